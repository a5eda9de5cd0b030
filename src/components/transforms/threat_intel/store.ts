/**
 * The indicator index of one feed: built once per load (in slices, off the event path) and then
 * only read. Sized for 1,000,000 indicators in well under 300 MB; figures from
 * bench/threat-intel.bench.ts are in decision 0020.
 *
 *   - IPv4 addresses: a sorted Uint32Array with a parallel Int32Array of record numbers, searched
 *     inside the slice of addresses that share the top 16 bits (a 65,537-entry offset table):
 *     8 bytes an address, where a Map entry costs ~50; ~30 ns a search of 400,000 addresses where
 *     a plain bisection measured ~140 (its first steps miss the cache).
 *   - IPv4 networks: the shared RangeTable, one per bucket of addresses sharing their top 8, 12 or
 *     16 bits (networks wider than a bucket in one more table). RangeTable builds in one piece
 *     (55,000 networks: ~200 ms); a bucket's table is small, and the build yields between buckets.
 *   - A bitmap of the /24 blocks that hold any IPv4 indicator (2 MB, when there are more than a few
 *     thousand): most addresses of a stream are in none, and one bit says so before any search
 *     (an IPv4 lookup with 55,000 networks loaded went from ~300 to ~50 ns on random addresses).
 *   - IPv6: a Map by hex for addresses, a RangeTable for networks (feeds hold few of either).
 *   - domains, URLs and hashes: one open-addressing hash table (KeyTable) of 32-bit hashes and
 *     key numbers in typed arrays, over the keys' bytes, behind a Bloom filter. Keys cannot collide
 *     across types: a hash has no dot, a domain no slash, a URL key always has one.
 *   - everything else about an indicator (type, expiry, confidence, severity, description, tags,
 *     dates) in typed-array columns indexed by record number. A column exists only when some
 *     indicator of the feed has a value for it; strings (descriptions, severities) and tag lists
 *     are interned, so a feed that says "Feodo C2" a million times stores it once. Nothing is an
 *     object per indicator; the entry added to an event is built from the columns on a hit.
 *
 * A key listed twice keeps the later entry (a feed's last word on an indicator wins).
 */
import { parseNetwork, RangeTable, RangeTableBuilder, formatV4, formatV6Hex, type ParsedIp, type ParsedNetwork } from '../../../enrich/ip.js';
import type { Slicer } from '../../../enrich/resource.js';
import { parseIPv4 } from '../../../expr/values.js';
import { domainKey, hashKey, hashTypeOf, scratch, urlKey, T_CIDR, T_DOMAIN, T_IPV4, T_IPV6, T_MD5, T_SHA1, T_SHA256, T_URL } from './indicators.js';

export type Want = 'auto' | 'ip' | 'cidr' | 'domain' | 'url' | 'hash' | 'md5' | 'sha1' | 'sha256';

/** Per-entry details a parser knows; NaN / undefined when it does not. Reused between entries. */
export interface EntryMeta {
  firstSeen: number;
  lastSeen: number;
  expires: number;
  validFrom: number;
  confidence: number;
  severity: string | undefined;
  description: string | undefined;
  tags: readonly string[] | undefined;
}

export function newMeta(): EntryMeta {
  return { firstSeen: NaN, lastSeen: NaN, expires: NaN, validFrom: NaN, confidence: NaN, severity: undefined, description: undefined, tags: undefined };
}

export function resetMeta(m: EntryMeta): EntryMeta {
  m.firstSeen = m.lastSeen = m.expires = m.validFrom = m.confidence = NaN;
  m.severity = m.description = undefined;
  m.tags = undefined;
  return m;
}

/** What a load found besides indicators, for counters and the load log. */
export interface LoadReport {
  indicators: number;
  /** Entries by type name (before duplicates are merged). */
  byType: Record<string, number>;
  /** Entries that are not an indicator of a supported type (a bad line, a wrong type column). */
  invalid: number;
  /** Entries of a kind this transform does not match (a STIX pattern with AND, a MISP regkey). */
  unsupported: number;
  /** Entries left out on purpose (revoked, deleted, not for detection). */
  skipped: number;
  /** Entries already expired when loaded. */
  expired: number;
  /** Keys listed more than once (the later entry is kept). */
  duplicates: number;
  /** Reasons with their count and a first example, for the log. */
  reasons: Map<string, { count: number; example: string }>;
}

async function tick(slicer: Slicer): Promise<void> {
  const p = slicer.tick();
  if (p) await p;
}

// ---------------------------------------------------------------------------------------------
// Growable typed columns

type TypedArray = Uint8Array | Int32Array | Uint32Array | Float64Array;
type TypedCtor<A extends TypedArray> = new (n: number) => A;

const COL_BITS = 16;
const COL_CHUNK = 1 << COL_BITS;

/**
 * A typed column that grows in 64Ki-entry chunks while a feed loads, then becomes one typed array
 * in `finish`, copied a chunk at a time between slices. Growing one array by doubling meant single
 * appends of 25+ ms on the benchmark machine (a fresh 4 MB array is page-faulted in as it is
 * copied into: ~4.5 ms a MB there); chunks keep every step small. A chunk never written reads as
 * `fill`, so a column that starts late (the first entry with an expiry is the 900,000th) costs
 * nothing for the entries before it.
 */
class Column<A extends TypedArray> {
  private readonly chunks: (A | undefined)[] = [];
  /** One past the highest index written. */
  n = 0;
  constructor(private readonly Ctor: TypedCtor<A>, private readonly fill: number) {}

  set(i: number, v: number): void {
    const c = i >>> COL_BITS;
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      chunk = new this.Ctor(COL_CHUNK);
      if (this.fill !== 0) chunk.fill(this.fill);
      this.chunks[c] = chunk;
    }
    chunk[i & (COL_CHUNK - 1)] = v;
    if (i >= this.n) this.n = i + 1;
  }

  push(v: number): void { this.set(this.n, v); }

  /** The first `len` entries as one array. */
  async finish(len: number, slicer: Slicer): Promise<A> {
    const out = new this.Ctor(len);
    for (let c = 0; c * COL_CHUNK < len; c++) {
      const chunk = this.chunks[c];
      const end = Math.min(COL_CHUNK, len - c * COL_CHUNK);
      if (chunk !== undefined) out.set(end === COL_CHUNK ? chunk : chunk.subarray(0, end), c * COL_CHUNK);
      else if (this.fill !== 0) out.fill(this.fill, c * COL_CHUNK, c * COL_CHUNK + end);
      await ticks(slicer, end >>> 4);
    }
    return out;
  }
}

/** Count `n` items of work on the slicer (a block of work done in one piece). */
async function ticks(slicer: Slicer, n: number): Promise<void> {
  for (let k = 0; k < n; k++) await tick(slicer);
}

const NO_CONFIDENCE = 255;

// ---------------------------------------------------------------------------------------------
// Key table

/** Bytes per chunk of key storage (a key longer than this gets a chunk of its own). */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;

/**
 * Keys as bytes (Latin-1: one byte a character), appended while a feed loads, in 1 MiB chunks
 * that are never copied: doubling one big buffer instead meant single appends of 100+ ms (a
 * 32 MB allocation and a 16 MB copy) in the middle of a reload on a busy machine.
 */
export class KeyBytes {
  readonly chunks: Uint8Array[] = [];
  private cur: Uint8Array | null = null;
  private used = 0;
  /** Key k: chunk starts[k] >>> CHUNK_BITS, from byte starts[k] & (CHUNK - 1), lens[k] bytes. */
  readonly starts = new Column(Uint32Array, 0);
  readonly lens = new Column(Uint32Array, 0);
  readonly hashes = new Column(Int32Array, 0);
  readonly recs = new Column(Int32Array, 0);
  get count(): number { return this.recs.n; }
  /** Append `key` (every character <= 0xff) for record `rec`. */
  push(key: string, rec: number): void {
    const n = key.length;
    if (this.cur === null || this.used + n > this.cur.length) {
      this.cur = new Uint8Array(Math.max(CHUNK, n));
      this.chunks.push(this.cur);
      this.used = 0;
    }
    const bytes = this.cur, at = this.used;
    for (let i = 0; i < n; i++) bytes[at + i] = key.charCodeAt(i);
    this.used += n;
    this.starts.push((this.chunks.length - 1) * CHUNK + at);
    this.lens.push(n);
    this.hashes.push(hashKey(key, 0, n));
    this.recs.push(rec);
  }
}

/** Any character above 0xff in s[start, end)? (Such keys are not stored as bytes.) */
export function hasWide(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) > 0xff) return true;
  return false;
}

/**
 * Keys (domains, URLs, hashes) -> record numbers: an open-addressing table (linear probing,
 * load <= 0.6) whose slots hold a 32-bit hash and a key number side by side in one Int32Array,
 * over the keys' bytes in one Uint8Array. A probe that misses reads one cache line and no key. A
 * Map<string, number> of 600,000 keys measured ~600 ns per lookup of a fresh string (hashing it,
 * then a chain of entries and key strings spread over the heap), this ~100 ns. And nothing here
 * is a heap object per key: with 470,000 key strings in the heap, the old-generation collections
 * that a reload triggers paused the loop for up to 240 ms (node --trace-gc) on a busy machine;
 * typed arrays are not traced. It is also built in slices, where a Map rehashes its whole table
 * at once when it grows (240 ms measured at 600,000 keys).
 */
export class KeyTable {
  constructor(
    /**
     * A one-hash Bloom filter over the keys' hashes, 8-16 bits a key (512 KB for 470,000 keys):
     * it stays in the CPU's cache and answers ~90% of misses without touching the slots (8 MB).
     * Measured on 1,000,000 indicators: scanning a hostname and probing its parent went from
     * ~240 to ~140 ns.
     */
    private readonly filter: Uint8Array,
    private readonly filterShift: number,
    private readonly slots: Int32Array,
    private readonly mask: number,
    private readonly chunks: readonly Uint8Array[],
    private readonly starts: Uint32Array,
    private readonly lens: Uint32Array,
    /** Record + 1 per key; 0 for a repeated key (its first copy holds the later record). */
    private readonly recs1: Int32Array,
  ) {}

  get size(): number { return this.recs1.length; }

  /** The record of key k, or -1 when k repeats an earlier key. */
  rec(k: number): number { return this.recs1[k]! - 1; }

  key(k: number): string {
    const o = this.starts[k]!;
    const c = this.chunks[Math.floor(o / CHUNK)]!;
    const at = o % CHUNK;
    return Buffer.from(c.buffer, c.byteOffset + at, this.lens[k]!).toString('latin1');
  }

  /**
   * The record of s[start, end) with hash `h` (hashKey), or -1. `fold`: compare ignoring ASCII
   * case in `s` (keys are stored in lower case when their type ignores case).
   */
  find(h: number, s: string, start: number, end: number, fold: boolean): number {
    const f = Math.imul(h, 0x9e3779b1) >>> this.filterShift;
    if ((this.filter[f >>> 3]! & (1 << (f & 7))) === 0) return -1;
    const slots = this.slots, mask = this.mask;
    let i = h & mask;
    for (;;) {
      const p = slots[2 * i + 1]!;
      if (p === 0) return -1;
      if (slots[2 * i] === h && this.equal(p - 1, s, start, end, fold)) return this.recs1[p - 1]! - 1;
      i = (i + 1) & mask;
    }
  }

  private equal(k: number, s: string, start: number, end: number, fold: boolean): boolean {
    if (this.lens[k] !== end - start) return false;
    const o = this.starts[k]!;
    const b = this.chunks[o >>> CHUNK_BITS]!;
    const base = (o & (CHUNK - 1)) - start;
    for (let j = start; j < end; j++) {
      let c = s.charCodeAt(j);
      if (fold && c >= 65 && c <= 90) c |= 0x20;
      if (c !== b[base + j]) return false;
    }
    return true;
  }

  static async build(src: KeyBytes, slicer: Slicer): Promise<{ table: KeyTable; duplicates: number }> {
    const n = src.count;
    let cap = 16;
    while (cap * 0.6 < n) cap *= 2;
    const slots = new Int32Array(cap * 2);
    const mask = cap - 1;
    // The filter: the next power of two >= 8 bits a key (at least 2^13 bits).
    let fbits = 13;
    while ((1 << fbits) < n * 8) fbits++;
    const filter = new Uint8Array(1 << (fbits - 3));
    const filterShift = 32 - fbits;
    const chunks = src.chunks;
    const starts = await src.starts.finish(n, slicer), lens = await src.lens.finish(n, slicer);
    const hashes = await src.hashes.finish(n, slicer), inRecs = await src.recs.finish(n, slicer);
    const recs1 = new Int32Array(n);
    let duplicates = 0;
    for (let k = 0; k < n; k++) {
      const h = hashes[k]!;
      const f = Math.imul(h, 0x9e3779b1) >>> filterShift;
      filter[f >>> 3]! |= 1 << (f & 7);
      let i = h & mask;
      for (;;) {
        const p = slots[2 * i + 1]!;
        if (p === 0) { slots[2 * i] = h; slots[2 * i + 1] = k + 1; recs1[k] = inRecs[k]! + 1; break; }
        if (slots[2 * i] === h && sameBytes(chunks, starts[p - 1]!, lens[p - 1]!, starts[k]!, lens[k]!)) { recs1[p - 1] = inRecs[k]! + 1; duplicates++; break; }
        i = (i + 1) & mask;
      }
      await tick(slicer);
    }
    return { table: new KeyTable(filter, filterShift, slots, mask, chunks, starts, lens, recs1), duplicates };
  }
}

function sameBytes(chunks: readonly Uint8Array[], a: number, an: number, b: number, bn: number): boolean {
  if (an !== bn) return false;
  const ca = chunks[a >>> CHUNK_BITS]!, cb = chunks[b >>> CHUNK_BITS]!;
  const oa = a & (CHUNK - 1), ob = b & (CHUNK - 1);
  for (let i = 0; i < an; i++) if (ca[oa + i] !== cb[ob + i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The index

interface V4Nets {
  /** Bucket of an address: `n >>> shift`. */
  shift: number;
  buckets: (RangeTable<number> | undefined)[];
  /** Networks wider than a bucket. */
  wide: RangeTable<number> | null;
}

/** Record numbers of one feed's indicators, and their details. */
export class FeedIndex {
  /** Scratch address for RangeTable lookups: one object reused, not one per lookup. */
  private static readonly probe: { v: 4; n: number } = { v: 4, n: 0 };

  constructor(
    readonly size: number,
    readonly report: LoadReport,
    private readonly keys: KeyTable | null,
    /** Keys with a character above 0xff (Unicode domains, URLs): few, in a Map. */
    private readonly wideKeys: Map<string, number> | null,
    private readonly v6: Map<string, number>,
    private readonly v4: Uint32Array,
    private readonly v4rec: Int32Array,
    /** v4 offsets by the top 16 bits of the address: v4[v4top[t] .. v4top[t+1]) share them. */
    private readonly v4top: Uint32Array | null,
    /** Bit per /24 block holding an IPv4 indicator (address or network); null: no filter. */
    private readonly v4bits: Uint8Array | null,
    private readonly v4nets: V4Nets | null,
    private readonly v6nets: RangeTable<number> | null,
    /** IPv4 networks: per network number (the RangeTable value), its record, first address and prefix. */
    private readonly net4rec: Int32Array,
    private readonly net4lo: Uint32Array,
    private readonly net4prefix: Uint8Array,
    /** IPv6 network text per record number. */
    private readonly net6Text: Map<number, string>,
    readonly type: Uint8Array,
    readonly expires: Float64Array | null,
    readonly validFrom: Float64Array | null,
    readonly firstSeen: Float64Array | null,
    readonly lastSeen: Float64Array | null,
    readonly confidence: Uint8Array | null,
    readonly severity: Int32Array | null,
    readonly description: Int32Array | null,
    readonly tags: Int32Array | null,
    readonly strings: readonly string[],
    readonly tagSets: readonly (readonly string[])[],
    /** Bit k (k <= 31) set: some domain indicator has k labels. Probing skips the other parents. */
    readonly domainLabels: number,
    readonly hasUrls: boolean,
  ) {}

  get hasV4(): boolean { return this.v4top !== null || this.v4nets !== null; }
  get hasV6(): boolean { return this.v6.size > 0 || this.v6nets !== null; }
  get hasKeys(): boolean { return this.keys !== null || this.wideKeys !== null; }

  /** Usable at `now`: not expired, already valid. */
  live(rec: number, now: number): boolean {
    const x = this.expires;
    if (x !== null && x[rec]! <= now) return false; // NaN (no expiry) compares false
    const f = this.validFrom;
    return f === null || !(f[rec]! > now);
  }

  /** The live record for an IPv4 address (exact first, then the innermost network), or -1. */
  findV4(n: number, now: number): number {
    this.lastNet = -1;
    const bits = this.v4bits;
    if (bits !== null && (bits[n >>> 11]! & (1 << ((n >>> 8) & 7))) === 0) return -1;
    const top = this.v4top;
    if (top !== null) {
      const t = n >>> 16;
      let lo = top[t]!, hi = top[t + 1]! - 1;
      const a = this.v4;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const x = a[mid]!;
        if (x === n) {
          const rec = this.v4rec[mid]!;
          if (this.live(rec, now)) return rec;
          break;
        }
        if (x < n) lo = mid + 1; else hi = mid - 1;
      }
    }
    const nets = this.v4nets;
    if (nets === null) return -1;
    FeedIndex.probe.n = n;
    const b = nets.buckets[n >>> nets.shift];
    if (b !== undefined) {
      const rec = this.firstLiveNet(b.all(FeedIndex.probe), now);
      if (rec >= 0) return rec;
    }
    return nets.wide === null ? -1 : this.firstLiveNet(nets.wide.all(FeedIndex.probe), now);
  }

  /** The network number behind the last record findV4 returned (-1: an address), for its text. */
  private lastNet = -1;

  /** The record of the first live network of `nets` (network numbers), or -1. */
  private firstLiveNet(nets: readonly number[], now: number): number {
    for (let i = 0; i < nets.length; i++) {
      const rec = this.net4rec[nets[i]!]!;
      if (this.live(rec, now)) { this.lastNet = nets[i]!; return rec; }
    }
    return -1;
  }

  /** The live record for an IPv6 address (32 hex digits), or -1. */
  findV6(hex: string, now: number): number {
    const rec = this.v6.get(hex);
    if (rec !== undefined && this.live(rec, now)) return rec;
    if (this.v6nets === null) return -1;
    return this.firstLive(this.v6nets.all({ v: 6, hex } as ParsedIp), now);
  }

  /**
   * The live record for the key s[start, end) with hash `h` (hashKey), or -1; see KeyTable.find.
   * `wide`: the key has a character above 0xff (see hasWide), so it can only be in `wideKeys`.
   */
  findHashed(h: number, s: string, start: number, end: number, fold: boolean, wide: boolean, now: number): number {
    let rec: number;
    if (wide) {
      if (this.wideKeys === null) return -1;
      const k = s.slice(start, end);
      rec = this.wideKeys.get(fold ? k.toLowerCase() : k) ?? -1;
    } else {
      if (this.keys === null) return -1;
      rec = this.keys.find(h, s, start, end, fold);
    }
    return rec >= 0 && this.live(rec, now) ? rec : -1;
  }

  /** The live record for a domain, URL or hash key as stored (lower case but a URL's path), or -1. */
  findKey(key: string, now: number): number {
    return this.findHashed(hashKey(key, 0, key.length), key, 0, key.length, false, hasWide(key, 0, key.length), now);
  }

  private firstLive(recs: readonly number[], now: number): number {
    for (let i = 0; i < recs.length; i++) if (this.live(recs[i]!, now)) return recs[i]!;
    return -1;
  }

  /**
   * The indicator as text, given the key it was found by. A network has its own text: call this
   * right after the findV4 / findV6 that returned `rec`.
   */
  indicatorText(rec: number, key: string): string {
    if (this.type[rec] !== T_CIDR) return key;
    const t6 = this.net6Text.get(rec);
    if (t6 !== undefined) return t6;
    const i = this.lastNet;
    return i >= 0 && this.net4rec[i] === rec ? `${formatV4(this.net4lo[i]!)}/${this.net4prefix[i]}` : key;
  }

  /** Every key and record, for tests and tools (slow). */
  *entries(): Generator<[string, number]> {
    for (let i = 0; i < this.v4.length; i++) yield [formatV4(this.v4[i]!), this.v4rec[i]!];
    for (const [hex, rec] of this.v6) yield [formatV6Hex(hex), rec];
    if (this.keys) for (let i = 0; i < this.keys.size; i++) if (this.keys.rec(i) >= 0) yield [this.keys.key(i), this.keys.rec(i)];
    if (this.wideKeys) yield* this.wideKeys;
    for (let i = 0; i < this.net4rec.length; i++) yield [`${formatV4(this.net4lo[i]!)}/${this.net4prefix[i]}`, this.net4rec[i]!];
    for (const [rec, text] of this.net6Text) yield [text, rec];
  }
}

// ---------------------------------------------------------------------------------------------
// Building

export interface BuilderOptions {
  /** Load time: entries that expired before it are left out. */
  now: number;
  /** Entries older than this (from last_seen, else first_seen) expire; 0: never. */
  maxAgeMs: number;
}

/** Fewer IPv4 indicators than this are searched without the /24 bitmap (2 MB) in front. */
const BITMAP_MIN = 4096;
/** Largest IPv4 network bucket wanted: its RangeTable builds in one piece (~40 ms at 10,000). */
const BUCKET_MAX = 8192;

/**
 * Collects a feed's entries while its parser runs, then `build()`s the index. Parsers call
 * `add()` for each value (normalising and counting what is not an indicator) and `problem()` for
 * entries they skip themselves.
 */
export class IndexBuilder {
  private n = 0;
  private readonly keys = new KeyBytes();
  private wideKeys: Map<string, number> | null = null;
  private wideDuplicates = 0;
  private readonly v6 = new Map<string, number>();
  private readonly v4 = new Column(Uint32Array, 0);
  private readonly v4rec = new Column(Int32Array, 0);
  private readonly net4lo = new Column(Uint32Array, 0);
  private readonly net4hi = new Column(Uint32Array, 0);
  private readonly net4prefix = new Column(Uint8Array, 0);
  private readonly net4rec = new Column(Int32Array, 0);
  private readonly nets6 = new RangeTableBuilder<number>();
  private readonly net6Text = new Map<number, string>();
  private readonly type = new Column(Uint8Array, 0);
  private expires: Column<Float64Array> | null = null;
  private validFrom: Column<Float64Array> | null = null;
  private firstSeen: Column<Float64Array> | null = null;
  private lastSeen: Column<Float64Array> | null = null;
  private confidence: Column<Uint8Array> | null = null;
  private severity: Column<Int32Array> | null = null;
  private description: Column<Int32Array> | null = null;
  private tags: Column<Int32Array> | null = null;
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly tagSets: (readonly string[])[] = [];
  private readonly tagSetIds = new Map<string, number>();
  private domainLabels = 0;
  private hasUrls = false;
  readonly report: LoadReport = { indicators: 0, byType: {}, invalid: 0, unsupported: 0, skipped: 0, expired: 0, duplicates: 0, reasons: new Map() };

  constructor(private readonly opts: BuilderOptions) {}

  /** Count an entry left out: kind `invalid`, `unsupported`, `skipped` or `expired`, with why. */
  problem(kind: 'invalid' | 'unsupported' | 'skipped' | 'expired', reason: string, example: string): void {
    this.report[kind]++;
    const key = `${kind}: ${reason}`;
    const r = this.report.reasons.get(key);
    if (r) r.count++;
    else this.report.reasons.set(key, { count: 1, example: example.length > 200 ? example.slice(0, 200) + '…' : example });
  }

  /**
   * Add one indicator given as text (trimmed by the caller). `want` restricts or names its type;
   * `auto` infers it. Returns false (and counts it as invalid) when the text is not one.
   */
  add(raw: string, want: Want, meta: EntryMeta | null): boolean {
    if (raw === '') return false;
    let exp = NaN;
    if (meta !== null) {
      exp = meta.expires;
      if (this.opts.maxAgeMs > 0) {
        const seen = meta.lastSeen === meta.lastSeen ? meta.lastSeen : meta.firstSeen;
        if (seen === seen && !(exp <= seen + this.opts.maxAgeMs)) exp = seen + this.opts.maxAgeMs;
      }
      if (exp <= this.opts.now) { this.problem('expired', 'expired before it was loaded', raw); return true; }
    }
    const rec = this.n;
    const t = this.place(raw, want, rec);
    if (t === 0) { this.problem('invalid', want === 'auto' ? 'not an IP address, network, domain, URL or hash' : `not ${article(want)}`, raw); return false; }
    this.n++;
    this.report.byType[TYPE_KEYS[t]!] = (this.report.byType[TYPE_KEYS[t]!] ?? 0) + 1;
    this.type.set(rec, t);
    if (meta !== null) this.setMeta(rec, meta, exp);
    return true;
  }

  /** Normalise and index `raw` as record `rec`; returns its type, or 0 when it is not an indicator. */
  private place(raw: string, want: Want, rec: number): number {
    switch (want) {
      case 'auto': {
        if (raw.indexOf('://') > 0) return this.url(raw, rec);
        const slash = raw.indexOf('/');
        if (slash >= 0) {
          const t = this.ip(raw, rec, true);
          if (t) return t;
          return domainKey(raw.slice(0, slash)) !== null || parseIPv4(raw.slice(0, slash)) >= 0 ? this.url(raw, rec) : 0;
        }
        if (raw.indexOf(':') >= 0 || parseIPv4(raw) >= 0) return this.ip(raw, rec, false);
        const h = this.hash(raw, rec, 0);
        if (h) return h;
        return this.domain(raw, rec);
      }
      case 'ip': return this.ip(raw, rec, true);
      case 'cidr': return raw.indexOf('/') >= 0 ? this.ip(raw, rec, true) : 0;
      case 'domain': return this.domain(raw, rec);
      case 'url': return this.url(raw, rec);
      case 'hash': return this.hash(raw, rec, 0);
      case 'md5': return this.hash(raw, rec, T_MD5);
      case 'sha1': return this.hash(raw, rec, T_SHA1);
      case 'sha256': return this.hash(raw, rec, T_SHA256);
    }
  }

  private ip(raw: string, rec: number, allowNet: boolean): number {
    if (!allowNet && raw.indexOf('/') >= 0) return 0;
    // The common case, a plain IPv4 address, without parseNetwork's objects.
    const n = raw.length <= 15 ? parseIPv4(raw) : -1;
    if (n >= 0) { this.v4.push(n); this.v4rec.push(rec); return T_IPV4; }
    const net = parseNetwork(raw);
    if (!net) return 0;
    if (net.v === 4 && net.prefix === 32) { this.v4.push(net.lo); this.v4rec.push(rec); return T_IPV4; }
    if (net.v === 6 && net.prefix === 128) {
      if (this.v6.has(net.hex)) this.report.duplicates++;
      this.v6.set(net.hex, rec);
      return T_IPV6;
    }
    if (net.v === 4) {
      this.net4lo.push(net.lo); this.net4hi.push(net.hi); this.net4prefix.push(net.prefix); this.net4rec.push(rec);
    } else {
      this.nets6.add(net, rec);
      this.net6Text.set(rec, net.text);
    }
    return T_CIDR;
  }

  private domain(raw: string, rec: number): number {
    // `*.example.com` and `.example.com` mean the domain and everything below it, which is what
    // any domain indicator matches here.
    if (raw.charCodeAt(0) === 42 && raw.charCodeAt(1) === 46) raw = raw.slice(2);
    else if (raw.charCodeAt(0) === 46) raw = raw.slice(1);
    const k = domainKey(raw);
    if (k === null) return 0;
    this.domainLabels |= 1 << Math.min(scratch.labels, 31);
    this.key(k, rec);
    return T_DOMAIN;
  }

  private url(raw: string, rec: number): number {
    const k = urlKey(raw);
    if (k === null) return 0;
    this.hasUrls = true;
    this.key(k, rec);
    return T_URL;
  }

  private hash(raw: string, rec: number, want: number): number {
    const t = hashTypeOf(raw);
    if (!t || (want && t !== want)) return 0;
    this.key(raw.toLowerCase(), rec);
    return t;
  }

  private key(k: string, rec: number): void {
    if (!hasWide(k, 0, k.length)) { this.keys.push(k, rec); return; }
    const m = (this.wideKeys ??= new Map());
    if (m.has(k)) this.wideDuplicates++;
    m.set(k, rec);
  }

  private setMeta(rec: number, m: EntryMeta, exp: number): void {
    if (exp === exp) (this.expires ??= new Column(Float64Array, NaN)).set(rec, exp);
    if (m.validFrom === m.validFrom) (this.validFrom ??= new Column(Float64Array, NaN)).set(rec, m.validFrom);
    if (m.firstSeen === m.firstSeen) (this.firstSeen ??= new Column(Float64Array, NaN)).set(rec, m.firstSeen);
    if (m.lastSeen === m.lastSeen) (this.lastSeen ??= new Column(Float64Array, NaN)).set(rec, m.lastSeen);
    if (m.confidence === m.confidence) (this.confidence ??= new Column(Uint8Array, NO_CONFIDENCE)).set(rec, Math.max(0, Math.min(100, Math.round(m.confidence))));
    if (m.severity !== undefined) (this.severity ??= new Column(Int32Array, -1)).set(rec, this.intern(m.severity));
    if (m.description !== undefined) (this.description ??= new Column(Int32Array, -1)).set(rec, this.intern(m.description));
    if (m.tags !== undefined && m.tags.length) (this.tags ??= new Column(Int32Array, -1)).set(rec, this.internTags(m.tags));
  }

  private intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) { id = this.strings.length; this.strings.push(s); this.stringIds.set(s, id); }
    return id;
  }

  private internTags(tags: readonly string[]): number {
    const k = tags.join('\u0000');
    let id = this.tagSetIds.get(k);
    if (id === undefined) { id = this.tagSets.length; this.tagSets.push(Object.freeze([...tags])); this.tagSetIds.set(k, id); }
    return id;
  }

  /** The index: each step works in slices (Slicer), so a million indicators never hold the loop. */
  async build(slicer: Slicer): Promise<FeedIndex> {
    const n = this.n;
    const nn = this.net4lo.n;
    const net4lo = await this.net4lo.finish(nn, slicer), net4hi = await this.net4hi.finish(nn, slicer);
    const net4prefix = await this.net4prefix.finish(nn, slicer), net4rec = await this.net4rec.finish(nn, slicer);
    const { v4, v4top, v4rec } = await this.sortV4(slicer);
    const v4nets = await this.buildNets4(net4lo, net4hi, net4prefix, slicer);
    const v4bits = v4.length + nn >= BITMAP_MIN ? await this.bitmap(v4, net4lo, net4hi, slicer) : null;
    const v6nets = this.nets6.size ? this.nets6.build() : null;
    let keys: KeyTable | null = null;
    let distinctKeys = 0;
    if (this.keys.count) {
      const k = await KeyTable.build(this.keys, slicer);
      keys = k.table;
      this.report.duplicates += k.duplicates;
      distinctKeys = this.keys.count - k.duplicates;
    }
    this.report.duplicates += this.v4.n - v4.length + this.wideDuplicates;
    this.report.indicators = distinctKeys + (this.wideKeys?.size ?? 0) + this.v6.size + v4.length + nn + this.net6Text.size;
    const col = <A extends TypedArray>(c: Column<A> | null) => (c === null ? null : c.finish(n, slicer));
    return new FeedIndex(
      n, this.report, keys, this.wideKeys, this.v6, v4, v4rec, v4top, v4bits, v4nets, v6nets,
      net4rec, net4lo, net4prefix, this.net6Text,
      await this.type.finish(n, slicer),
      await col(this.expires), await col(this.validFrom), await col(this.firstSeen), await col(this.lastSeen),
      await col(this.confidence), await col(this.severity), await col(this.description), await col(this.tags),
      this.strings, this.tagSets, this.domainLabels, this.hasUrls,
    );
  }

  /**
   * IPv4 addresses sorted: a counting sort by the top 16 bits, then each bucket sorted on its own.
   * Inside a bucket the key (low 16 bits) * 2^32 + input position sorts by address and keeps the
   * input order of duplicates (so the last one is known); a Float64Array sorts natively, without a
   * comparator. Every pass over the addresses ticks the slicer.
   */
  private async sortV4(slicer: Slicer): Promise<{ v4: Uint32Array; v4rec: Int32Array; v4top: Uint32Array | null }> {
    const count = this.v4.n;
    if (count === 0) return { v4: new Uint32Array(0), v4rec: new Int32Array(0), v4top: null };
    const ips = await this.v4.finish(count, slicer), recs = await this.v4rec.finish(count, slicer);
    const start = new Uint32Array(65537);
    for (let i = 0; i < count; i++) { start[(ips[i]! >>> 16) + 1]!++; await tick(slicer); }
    for (let t = 0; t < 65536; t++) start[t + 1]! += start[t]!;
    const keys = new Float64Array(count);
    const fill = start.slice(0, 65536);
    for (let i = 0; i < count; i++) {
      const ip = ips[i]!;
      keys[fill[ip >>> 16]!++] = (ip & 0xffff) * 4294967296 + i;
      await tick(slicer);
    }
    const outIp = new Column(Uint32Array, 0);
    const outRec = new Column(Int32Array, 0);
    const top = new Uint32Array(65537);
    let w = 0;
    for (let t = 0; t < 65536; t++) {
      const a = start[t]!, b = start[t + 1]!;
      top[t] = w;
      if (a === b) continue;
      const bucket = keys.subarray(a, b);
      if (b - a > 1) bucket.sort();
      const hi = t * 65536;
      for (let j = 0; j < bucket.length; j++) {
        const k = bucket[j]!;
        const low = Math.floor(k / 4294967296);
        // Equal addresses are adjacent and in input order: keep the last.
        if (j + 1 < bucket.length && Math.floor(bucket[j + 1]! / 4294967296) === low) continue;
        outIp.set(w, hi + low);
        outRec.set(w, recs[k - low * 4294967296]!);
        w++;
        await tick(slicer);
      }
    }
    top[65536] = w;
    return { v4: await outIp.finish(w, slicer), v4rec: await outRec.finish(w, slicer), v4top: top };
  }

  /**
   * IPv4 networks into RangeTables per bucket of 8, 12 or 16 leading bits, whichever keeps the
   * largest bucket under BUCKET_MAX (RangeTable builds in one piece); networks wider than a bucket
   * go to one more table. The tables' values are network numbers (net4* columns).
   */
  private async buildNets4(lo: Uint32Array, hi: Uint32Array, prefix: Uint8Array, slicer: Slicer): Promise<V4Nets | null> {
    const count = lo.length;
    if (count === 0) return null;
    let bits = 8;
    for (; bits < 16; bits += 4) {
      const counts = new Uint32Array(1 << bits);
      let max = 0;
      for (let i = 0; i < count; i++) {
        if (prefix[i]! < bits) continue;
        const c = ++counts[lo[i]! >>> (32 - bits)]!;
        if (c > max) max = c;
      }
      if (max <= BUCKET_MAX) break;
    }
    const shift = 32 - bits;
    const builders = new Map<number, RangeTableBuilder<number>>();
    const wide = new RangeTableBuilder<number>();
    // RangeTableBuilder reads v, prefix, lo and hi: one object, refilled, serves every network.
    const net: ParsedNetwork = { v: 4, prefix: 0, lo: 0, hi: 0, hex: '', text: '' };
    for (let i = 0; i < count; i++) {
      net.prefix = prefix[i]!; net.lo = lo[i]!; net.hi = hi[i]!;
      if (net.prefix < bits) { wide.add(net, i); continue; }
      const b = net.lo >>> shift;
      let rb = builders.get(b);
      if (!rb) builders.set(b, (rb = new RangeTableBuilder<number>()));
      rb.add(net, i);
    }
    const buckets: (RangeTable<number> | undefined)[] = new Array(1 << bits);
    for (const [b, rb] of builders) {
      buckets[b] = rb.build();
      // A bucket's build is one piece: count its networks as slicer work, so the loop gets a turn
      // every few buckets (a bucket is at most BUCKET_MAX networks, ~30 ms).
      for (let k = 0; k < rb.size; k++) await tick(slicer);
    }
    return { shift, buckets, wide: wide.size ? wide.build() : null };
  }

  /** The /24 blocks holding an IPv4 address or network of the feed. */
  private async bitmap(v4: Uint32Array, lo: Uint32Array, hi: Uint32Array, slicer: Slicer): Promise<Uint8Array> {
    const bits = new Uint8Array(1 << 21);
    for (let i = 0; i < v4.length; i++) {
      const b = v4[i]! >>> 8;
      bits[b >>> 3]! |= 1 << (b & 7);
      await tick(slicer);
    }
    for (let i = 0; i < lo.length; i++) {
      const a = lo[i]! >>> 8, z = hi[i]! >>> 8;
      for (let b = a; b <= z; b++) {
        // Whole bytes at once inside wide networks.
        if ((b & 7) === 0 && b + 7 <= z) { const e = (z + 1) >>> 3; const s = b >>> 3; bits.fill(0xff, s, e); b = e * 8 - 1; continue; }
        bits[b >>> 3]! |= 1 << (b & 7);
      }
      await tick(slicer);
    }
    return bits;
  }
}

const TYPE_KEYS = ['', 'ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256'];

function article(want: Want): string {
  switch (want) {
    case 'ip': return 'an IP address or network';
    case 'cidr': return 'a network (CIDR)';
    case 'domain': return 'a domain name';
    case 'url': return 'a URL';
    case 'hash': return 'an MD5, SHA-1 or SHA-256 hash';
    default: return `a ${want.toUpperCase().replace('SHA', 'SHA-')} hash`;
  }
}

