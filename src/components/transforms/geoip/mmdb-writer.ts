/**
 * A small MaxMind DB (format 2.0) writer, for test fixtures and benchmarks: GeoIP databases are
 * licensed data that the repository cannot ship, so tests build the databases they need.
 *
 * It writes the three parts of the format: the binary search tree (record size 24, 28 or 32
 * bits), the data section (every type a reader decodes: map, array, UTF-8 string, bytes, double,
 * float, uint16/32/64/128, int32, boolean; identical records stored once, and with `pointers`
 * repeated strings, maps and arrays inside records written once and referenced) and the metadata
 * map after the `\xAB\xCD\xEFMaxMind.com` marker.
 *
 * IPv6 databases hold IPv4 networks at `::a.b.c.d/96+n`, and (like MaxMind's) alias
 * `::ffff:0:0/96` and `2002::/16` to that IPv4 subtree unless `ipv4Aliases: false`.
 *
 * Not for production databases: the whole tree is built in memory as objects (about 100 bytes
 * per node), which is fine for the few hundred thousand networks a benchmark needs.
 */
import { parseNetwork, type ParsedNetwork } from '../../../enrich/ip.js';
import { METADATA_MARKER } from './database.js';

/** A value with an explicit MaxMind type (plain JS values are typed as `MmdbValue` says). */
export class Typed {
  constructor(readonly type: 'uint16' | 'uint32' | 'uint64' | 'uint128' | 'int32' | 'double' | 'float', readonly value: number | bigint) {}
}

export const mmdb = {
  uint16: (v: number) => new Typed('uint16', v),
  uint32: (v: number) => new Typed('uint32', v),
  uint64: (v: number | bigint) => new Typed('uint64', v),
  uint128: (v: number | bigint) => new Typed('uint128', v),
  int32: (v: number) => new Typed('int32', v),
  double: (v: number) => new Typed('double', v),
  float: (v: number) => new Typed('float', v),
};

/**
 * What can be stored. Plain numbers: whole numbers 0..2^32-1 become uint32, negative whole
 * numbers in range int32, anything else a double; bigint becomes uint64 (uint128 when larger);
 * a Buffer or Uint8Array is `bytes`.
 */
export type MmdbValue = string | number | boolean | bigint | Uint8Array | Typed | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbWriterOptions {
  ipVersion: 4 | 6;
  recordSize?: 24 | 28 | 32;
  databaseType: string;
  languages?: string[];
  description?: Record<string, string>;
  /** Seconds since the epoch; default now. */
  buildEpoch?: number;
  /** IPv6 only: point ::ffff:0:0/96 and 2002::/16 at the IPv4 subtree (::/96). Default true. */
  ipv4Aliases?: boolean;
  /** Write repeated strings, maps and arrays inside records once and point at them. Default false. */
  pointers?: boolean;
}

const T = { pointer: 1, string: 2, double: 3, bytes: 4, uint16: 5, uint32: 6, map: 7, int32: 8, uint64: 9, uint128: 10, array: 11, boolean: 14, float: 15 } as const;

/** A tree node: each side is another node, a data record (index into `records`), or empty (-1). */
interface Node { l: Node | number; r: Node | number }
const EMPTY = -1;

export class MmdbWriter {
  private readonly root: Node = { l: EMPTY, r: EMPTY };
  private readonly records: MmdbValue[] = [];
  private readonly recordIndex = new Map<number, number>();
  private readonly interner = new Interner();
  private readonly opts: Required<Omit<MmdbWriterOptions, 'languages' | 'description' | 'buildEpoch'>> & MmdbWriterOptions;

  constructor(opts: MmdbWriterOptions) {
    this.opts = { recordSize: 24, ipv4Aliases: true, pointers: false, ...opts };
  }

  /**
   * Map a network (`1.2.3.0/24`, `2001:db8::/32`, or a single address) to a value. Later inserts
   * win over earlier ones where they overlap (a smaller network inside a larger one splits it).
   */
  insert(network: string, value: MmdbValue): this {
    const net = parseNetwork(network);
    if (!net) throw new Error(`not a network: ${network}`);
    if (net.v === 6 && this.opts.ipVersion === 4) throw new Error(`IPv6 network ${network} in an IPv4 database`);
    const key = this.interner.id(value);
    let rec = this.recordIndex.get(key);
    if (rec === undefined) { rec = this.records.length; this.records.push(value); this.recordIndex.set(key, rec); }
    const bits = networkBits(net, this.opts.ipVersion);
    let node = this.root;
    for (let i = 0; i < bits.length - 1; i++) {
      const side = bits[i] ? 'r' : 'l';
      let next = node[side];
      // Inside an existing record: split it, both halves keep the old value.
      if (typeof next === 'number') { next = { l: next, r: next }; node[side] = next; }
      node = next;
    }
    node[bits[bits.length - 1] ? 'r' : 'l'] = rec;
    return this;
  }

  /**
   * The database file. Call it once, after the last insert; values inserted must not be changed
   * before it (their encoding is remembered at insert).
   */
  build(): Buffer {
    const o = this.opts;
    const rs = o.recordSize;
    if (o.ipVersion === 6 && o.ipv4Aliases) this.alias();
    // Number the nodes breadth first (the root is node 0); aliased subtrees are numbered once.
    const ids = new Map<Node, number>();
    const order: Node[] = [];
    ids.set(this.root, 0);
    order.push(this.root);
    for (let k = 0; k < order.length; k++) {
      const n = order[k]!;
      for (const c of [n.l, n.r]) if (typeof c !== 'number' && !ids.has(c)) { ids.set(c, ids.size); order.push(c); }
    }
    const nodeCount = order.length;

    // Data section: each distinct record once.
    const data = new DataWriter(o.pointers, this.interner);
    const offsets = this.records.map((v) => data.writeTop(v));
    const dataBytes = data.bytes();

    const nodeBytes = rs / 4;
    const tree = Buffer.alloc(nodeCount * nodeBytes);
    const max = 2 ** rs;
    const recordValue = (c: Node | number): number => {
      if (typeof c !== 'number') return ids.get(c)!;
      if (c === EMPTY) return nodeCount;
      return nodeCount + 16 + offsets[c]!;
    };
    for (let i = 0; i < nodeCount; i++) {
      const n = order[i]!;
      const l = recordValue(n.l), r = recordValue(n.r);
      if (l >= max || r >= max) throw new Error(`record size ${rs} is too small for ${nodeCount} nodes and ${dataBytes.length} bytes of data`);
      const at = i * nodeBytes;
      if (rs === 24) { tree.writeUIntBE(l, at, 3); tree.writeUIntBE(r, at + 3, 3); }
      else if (rs === 28) {
        tree.writeUIntBE(l % 0x1000000, at, 3);
        tree[at + 3] = (Math.floor(l / 0x1000000) << 4) | Math.floor(r / 0x1000000);
        tree.writeUIntBE(r % 0x1000000, at + 4, 3);
      } else { tree.writeUInt32BE(l, at); tree.writeUInt32BE(r, at + 4); }
    }

    const meta = new DataWriter(false, new Interner());
    meta.writeTop({
      binary_format_major_version: mmdb.uint16(2),
      binary_format_minor_version: mmdb.uint16(0),
      build_epoch: mmdb.uint64(BigInt(o.buildEpoch ?? Math.floor(Date.now() / 1000))),
      database_type: o.databaseType,
      description: o.description ?? { en: o.databaseType },
      ip_version: mmdb.uint16(o.ipVersion),
      languages: o.languages ?? [],
      node_count: mmdb.uint32(nodeCount),
      record_size: mmdb.uint16(rs),
    });
    return Buffer.concat([tree, Buffer.alloc(16), dataBytes, METADATA_MARKER, meta.bytes()]);
  }

  /** ::ffff:0:0/96 and 2002::/16 lead to the node that ::/96 leads to. */
  private alias(): void {
    let v4: Node | number = this.root;
    let depth = 0;
    for (; depth < 96 && typeof v4 !== 'number'; depth++) v4 = v4.l;
    // No IPv4 subtree (no IPv4 networks, or one record covering more than ::/96): nothing to alias.
    if (depth < 96 || typeof v4 === 'number') return;
    const target: Node = v4;
    const place = (prefix: number[]) => {
      let node = this.root;
      for (let i = 0; i < prefix.length - 1; i++) {
        const side = prefix[i] ? 'r' : 'l';
        let next = node[side];
        if (typeof next === 'number') { next = { l: next, r: next }; node[side] = next; }
        node = next;
      }
      node[prefix[prefix.length - 1] ? 'r' : 'l'] = target;
    };
    // ::ffff:0:0/96: 80 zero bits then 16 one bits.
    place([...Array(80).fill(0), ...Array(16).fill(1)]);
    // 2002::/16.
    place(bitsOf(0x2002, 16));
  }
}

export { METADATA_MARKER };

function bitsOf(n: number, width: number): number[] {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** i) % 2);
  return out;
}

/** The network's prefix as bits from the root of a tree of the given IP version. */
function networkBits(net: ParsedNetwork, ipVersion: 4 | 6): Uint8Array {
  if (net.prefix === 0 && (net.v === 6 || ipVersion === 4)) throw new Error(`${net.text} cannot be stored (the root has no record)`);
  if (net.v === 4) {
    const skip = ipVersion === 6 ? 96 : 0;
    const bits = new Uint8Array(skip + net.prefix);
    for (let i = 0; i < net.prefix; i++) bits[skip + i] = (net.lo >>> (31 - i)) & 1;
    return bits;
  }
  const bits = new Uint8Array(net.prefix);
  for (let i = 0; i < net.prefix; i++) bits[i] = (parseInt(net.hex[i >> 2]!, 16) >> (3 - (i & 3))) & 1;
  return bits;
}

/**
 * Hash-consing: equal ids for values that encode identically (object key order included), so
 * identical records are stored once and repeated parts can be pointed at. An object's id comes
 * from its children's ids, and is remembered per object (fixtures share sub-objects such as a
 * country map in `country` and `registered_country`). Ids keep the keys short: keys built from
 * whole nested texts made 100,000 City records take 250 MB and seconds of garbage collection.
 */
class Interner {
  private readonly ids = new Map<string, number>();
  private readonly objects = new Map<object, number>();
  // Strings and numbers by value: a lookup by the string itself needs no new key string.
  private readonly strings = new Map<string, number>();
  private readonly numbers = new Map<number, number>();

  id(v: MmdbValue): number {
    switch (typeof v) {
      case 'string': { let id = this.strings.get(v); if (id === undefined) this.strings.set(v, (id = this.intern(`s${v}`))); return id; }
      case 'number': { let id = this.numbers.get(v); if (id === undefined) this.numbers.set(v, (id = this.intern(`n${v}`))); return id; }
      case 'boolean': return v ? this.intern('T') : this.intern('F');
      case 'bigint': return this.intern(`B${v}`);
    }
    let id = this.objects.get(v);
    if (id !== undefined) return id;
    let key: string;
    if (v instanceof Typed) key = `t${v.type}:${v.value}`;
    else if (v instanceof Uint8Array) key = `x${Buffer.from(v).toString('hex')}`;
    else if (Array.isArray(v)) { key = '['; for (const x of v) key += `${this.id(x)},`; }
    else { key = '{'; for (const name of Object.keys(v)) key += `${this.id(name)}:${this.id(v[name]!)},`; }
    id = this.intern(key);
    this.objects.set(v, id);
    return id;
  }

  private intern(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }
}

/** A data section being written: one growing buffer. */
class DataWriter {
  private buf = Buffer.alloc(1 << 16);
  private size = 0;
  /** Interned id -> offset of a string, map or array already written (for pointers). */
  private readonly seen = new Map<number, number>();
  constructor(private readonly pointers: boolean, private readonly interner: Interner) {}

  bytes(): Buffer { return this.buf.subarray(0, this.size); }

  /** Write a top-level record; returns its offset in the data section. */
  writeTop(v: MmdbValue): number {
    const at = this.size;
    this.write(v, true);
    return at;
  }

  private room(n: number): void {
    if (this.size + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.size + n));
    this.buf.copy(next, 0, 0, this.size);
    this.buf = next;
  }

  private byte(b: number): void { this.room(1); this.buf[this.size++] = b; }

  private raw(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.size); this.size += b.length; }

  /** Control byte(s) for a type and a payload size (or a map's pair count, an array's length). */
  private control(type: number, size: number): void {
    this.byte((type <= 7 ? type << 5 : 0) | (size < 29 ? size : size < 285 ? 29 : size < 65_821 ? 30 : 31));
    if (type > 7) this.byte(type - 7);
    if (size < 29) return;
    if (size < 285) { this.byte(size - 29); return; }
    if (size < 65_821) { const s = size - 285; this.byte(s >> 8); this.byte(s & 0xff); return; }
    if (size >= 16_843_037) throw new Error(`payload of ${size} is larger than the format allows`);
    const s = size - 65_821;
    this.byte(s >> 16); this.byte((s >> 8) & 0xff); this.byte(s & 0xff);
  }

  /** A pointer to a data-section offset, in the smallest of the four sizes. */
  private pointer(at: number): void {
    if (at < 2048) { this.byte(0x20 | (at >> 8)); this.byte(at & 0xff); return; }
    if (at < 526_336) { const v = at - 2048; this.byte(0x28 | (v >> 16)); this.byte((v >> 8) & 0xff); this.byte(v & 0xff); return; }
    if (at < 134_744_064) { const v = at - 526_336; this.byte(0x30 | (v >> 24)); this.byte((v >> 16) & 0xff); this.byte((v >> 8) & 0xff); this.byte(v & 0xff); return; }
    this.byte(0x38); this.room(4); this.buf.writeUInt32BE(at, this.size); this.size += 4;
  }

  private write(v: MmdbValue, top = false): void {
    if (this.pointers && !top && (typeof v === 'string' || (typeof v === 'object' && !(v instanceof Typed) && !(v instanceof Uint8Array)))) {
      const key = this.interner.id(v);
      const at = this.seen.get(key);
      if (at !== undefined) { this.pointer(at); return; }
      // Strings shorter than a pointer are cheaper written again.
      if (typeof v !== 'string' || v.length >= 3) this.seen.set(key, this.size);
    }
    if (typeof v === 'string') { const b = Buffer.from(v, 'utf8'); this.control(T.string, b.length); this.raw(b); return; }
    if (typeof v === 'boolean') { this.control(T.boolean, v ? 1 : 0); return; }
    if (typeof v === 'bigint') { this.typed(new Typed(v < 2n ** 64n ? 'uint64' : 'uint128', v)); return; }
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) this.typed(new Typed('uint32', v));
      else if (Number.isInteger(v) && v < 0 && v >= -0x80000000) this.typed(new Typed('int32', v));
      else this.typed(new Typed('double', v));
      return;
    }
    if (v instanceof Typed) { this.typed(v); return; }
    if (v instanceof Uint8Array) { this.control(T.bytes, v.length); this.raw(v); return; }
    if (Array.isArray(v)) {
      this.control(T.array, v.length);
      for (const x of v) this.write(x);
      return;
    }
    const names = Object.keys(v);
    this.control(T.map, names.length);
    for (const k of names) { this.write(k); this.write(v[k]!); }
  }

  private typed(t: Typed): void {
    switch (t.type) {
      case 'double': this.control(T.double, 8); this.room(8); this.buf.writeDoubleBE(Number(t.value), this.size); this.size += 8; return;
      case 'float': this.control(T.float, 4); this.room(4); this.buf.writeFloatBE(Number(t.value), this.size); this.size += 4; return;
      case 'int32': {
        const n = Number(t.value);
        if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new Error(`int32 out of range: ${n}`);
        // Negative numbers need all four bytes (the sign is the top bit of a full-width field).
        if (n < 0) { this.control(T.int32, 4); this.room(4); this.buf.writeInt32BE(n, this.size); this.size += 4; return; }
        const b = minimalBytes(BigInt(n));
        this.control(T.int32, b.length); this.raw(b); return;
      }
      default: {
        const n = BigInt(t.value);
        const max = { uint16: 16, uint32: 32, uint64: 64, uint128: 128 }[t.type];
        if (n < 0n || n >= 2n ** BigInt(max)) throw new Error(`${t.type} out of range: ${n}`);
        const b = minimalBytes(n);
        this.control(T[t.type], b.length); this.raw(b);
      }
    }
  }
}

/** Big-endian bytes without leading zeros (0 is no bytes at all). */
function minimalBytes(n: bigint): Uint8Array {
  const out: number[] = [];
  while (n > 0n) { out.unshift(Number(n & 0xffn)); n >>= 8n; }
  return Uint8Array.from(out);
}
