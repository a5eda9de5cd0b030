/**
 * One loaded MaxMind DB file: the `maxmind` package's Reader for the metadata and for decoding
 * records, plus Sluice's own walk of the search tree and a cache of converted results.
 *
 * Why not just `reader.get(ip)` per lookup: measured on the builtin country database (1.3 M
 * nodes) it costs ~1.5 µs per IPv4 lookup (it parses the address text again, walks the tree one
 * bit at a time through Buffer.readUIntBE, and decodes the record anew), and ~24 µs on a
 * City-like record (names in 8 languages). Sluice has already parsed the address (to check the
 * special-purpose ranges), walks the tree over the raw bytes from that number, and keeps the
 * OCSF objects converted from each data record by its offset: a repeated record, which is what
 * a network's addresses share, is converted once. Measured on the same database: ~140 ns per
 * IPv4 walk, ~20 ns for the cached result. The Reader decodes a record the first time it is seen
 * (given the address text, it walks again: a µs next to the tens of µs of decoding a City record);
 * tools/geoip/conformance checks on MaxMind's test databases that both walks end at the same depth.
 */
import { Reader } from 'maxmind';
import { formatV4, formatV6Hex } from '../../../enrich/ip.js';

/** What starts the metadata section (its last occurrence in the file). */
export const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);

export type DatabaseKind = 'city' | 'country' | 'asn' | 'anonymous_ip' | 'generic';

/** What one data record contributes to an event, converted once and copied per event. */
export interface GeoResult {
  /** An OCSF location (a template: copy it, do not change it), or null when the record names no place. */
  readonly location: Readonly<Record<string, unknown>> | null;
  /** An OCSF autonomous_system (a template). */
  readonly as: Readonly<{ number?: number; name?: string }> | null;
  readonly isp: string | null;
  readonly ispOrg: string | null;
  /** For `anonymous_ip` and `generic`: the enrichment entry's data (a JSON-safe template, deep-copied per event). */
  readonly data: Readonly<Record<string, unknown>> | null;
}

const NONE: GeoResult = { location: null, as: null, isp: null, ispOrg: null, data: null };

/** The kind a `database_type` names: MaxMind's, DB-IP's, IPinfo's and ip-location-db's names. */
export function kindOfType(databaseType: string): DatabaseKind | null {
  const t = databaseType.toLowerCase();
  if (t.includes('anonymous')) return 'anonymous_ip';
  if (t.includes('city') || t.includes('enterprise')) return 'city';
  if (t.includes('country')) return 'country';
  if (t.includes('asn') || t.includes('isp')) return 'asn';
  return null;
}

export class GeoDatabase {
  readonly reader: Reader<Record<string, unknown>>;
  readonly databaseType: string;
  readonly ipVersion: 4 | 6;
  /** `kind` from the config, or detected from `database_type`; null: detected per record from its fields. */
  readonly kind: DatabaseKind | null;
  /** Depth (prefix length) of the last lookup's network, for tools; IPv4 lookups count from the IPv4 root. */
  lastDepth = 0;
  private readonly db: Buffer;
  private readonly nodeCount: number;
  private readonly recordSize: number;
  private readonly treeSize: number;
  /** First byte past the data section (the metadata marker). */
  private readonly dataEnd: number;
  /** Where IPv4 lookups start: a node, or already a record (data pointer or nodeCount). */
  private readonly ipv4Start: number;
  /** Data record file offset -> converted result; first in, first out when full. */
  private readonly cache = new Map<number, GeoResult>();

  /**
   * Parse and check a database. Throws an Error saying what is wrong with the file (the
   * `maxmind` Reader's own message for a bad metadata section).
   */
  constructor(db: Buffer, readonly name: string, kind: DatabaseKind | 'auto', private readonly locale: string, private readonly cacheSize: number) {
    this.db = db;
    try {
      this.reader = new Reader<Record<string, unknown>>(db);
    } catch (e) {
      throw new Error(`not a valid MaxMind DB file (its metadata cannot be read): ${(e as Error).message}`);
    }
    const m = this.reader.metadata;
    if (m.binaryFormatMajorVersion !== 2) throw new Error(`unsupported MaxMind DB format version ${String(m.binaryFormatMajorVersion)} (Sluice reads 2.x)`);
    if (m.ipVersion !== 4 && m.ipVersion !== 6) throw new Error(`invalid ip_version ${String(m.ipVersion)} in the metadata`);
    if (!Number.isInteger(m.nodeCount) || m.nodeCount <= 0) throw new Error(`invalid node_count ${String(m.nodeCount)} in the metadata`);
    this.nodeCount = m.nodeCount;
    this.recordSize = m.recordSize;
    this.treeSize = m.searchTreeSize;
    this.ipVersion = m.ipVersion as 4 | 6;
    this.databaseType = typeof m.databaseType === 'string' ? m.databaseType : '';
    this.dataEnd = db.lastIndexOf(METADATA_MARKER);
    if (this.treeSize + 16 > this.dataEnd) throw new Error(`the search tree (node_count ${m.nodeCount}, ${m.recordSize}-bit records: ${this.treeSize} bytes) is larger than the file`);
    let start = 0;
    if (this.ipVersion === 6) for (let i = 0; i < 96 && start < this.nodeCount; i++) start = this.read(start, 0);
    this.ipv4Start = start;
    this.kind = kind === 'auto' ? kindOfType(this.databaseType) : kind;
    // A corrupt tree or data section shows on the first lookups: try a few before accepting the
    // file, so a bad replacement is refused at reload instead of failing event after event.
    for (const probe of PROBES) {
      try {
        const p = probe.v === 4 ? this.find4(probe.n) : this.find6(probe.hex);
        if (p > 0) this.result(p, probe.v === 4 ? probe.n : -1, probe.v === 6 ? probe.hex : '');
      } catch (e) {
        throw new Error(`corrupt database: looking up ${probe.v === 4 ? formatV4(probe.n) : formatV6Hex(probe.hex)} fails: ${(e as Error).message}`);
      }
    }
    this.cache.clear();
  }

  /** A record value of a node: `side` 0 is left, 1 is right. */
  private read(node: number, side: number): number {
    const d = this.db;
    switch (this.recordSize) {
      case 24: { const o = node * 6 + side * 3; return (d[o]! << 16) | (d[o + 1]! << 8) | d[o + 2]!; }
      case 28: {
        const o = node * 7;
        return side === 0
          ? ((d[o + 3]! & 0xf0) << 20) | (d[o]! << 16) | (d[o + 1]! << 8) | d[o + 2]!
          : ((d[o + 3]! & 0x0f) << 24) | (d[o + 4]! << 16) | (d[o + 5]! << 8) | d[o + 6]!;
      }
      default: { const o = node * 8 + side * 4; return d[o]! * 0x1000000 + ((d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!); }
    }
  }

  /**
   * The data record's file offset for an IPv4 address (a 32-bit number), 0 when the database
   * has nothing for it. Throws when the tree is corrupt.
   *
   * One loop per record size, reading the bytes inline: a shared read(node, side) with a switch
   * on the record size measured ~2x slower (24 levels of a 28-bit tree: ~550 ns vs ~250 ns).
   */
  find4(n: number): number {
    const d = this.db, count = this.nodeCount;
    let node = this.ipv4Start, depth = 0;
    if (this.recordSize === 24) {
      for (; depth < 32 && node < count; depth++) {
        const o = node * 6 + ((n >>> (31 - depth)) & 1) * 3;
        node = (d[o]! << 16) | (d[o + 1]! << 8) | d[o + 2]!;
      }
    } else if (this.recordSize === 28) {
      for (; depth < 32 && node < count; depth++) {
        const o = node * 7;
        node = ((n >>> (31 - depth)) & 1) === 0
          ? ((d[o + 3]! & 0xf0) << 20) | (d[o]! << 16) | (d[o + 1]! << 8) | d[o + 2]!
          : ((d[o + 3]! & 0x0f) << 24) | (d[o + 4]! << 16) | (d[o + 5]! << 8) | d[o + 6]!;
      }
    } else {
      for (; depth < 32 && node < count; depth++) node = this.read(node, (n >>> (31 - depth)) & 1);
    }
    this.lastDepth = depth;
    return this.resolve(node);
  }

  /** The same for an IPv6 address given as 32 hex digits; 0 in an IPv4-only database. */
  find6(hex: string): number {
    if (this.ipVersion === 4) { this.lastDepth = 0; return 0; }
    let node = 0;
    const count = this.nodeCount;
    let depth = 0;
    for (let i = 0; i < 32 && node < count; i++) {
      const c = hex.charCodeAt(i);
      const nibble = c <= 57 ? c - 48 : c - 87;
      for (let b = 3; b >= 0 && node < count; b--, depth++) node = this.read(node, (nibble >> b) & 1);
    }
    this.lastDepth = depth;
    return this.resolve(node);
  }

  private resolve(node: number): number {
    if (node === this.nodeCount) return 0;
    if (node < this.nodeCount) throw new Error(`corrupt search tree in ${this.name}: the tree is deeper than an address`);
    const at = node - this.nodeCount + this.treeSize;
    if (node < this.nodeCount + 16 || at >= this.dataEnd) throw new Error(`corrupt search tree in ${this.name}: record ${node} points outside the data section`);
    return at;
  }

  /**
   * The converted result of the record at `at`, found by find4(n) (then `n` >= 0) or find6(hex).
   * The first time a record is seen, the Reader decodes it (given the address as text). Throws
   * when the record cannot be decoded.
   */
  result(at: number, n: number, hex: string): GeoResult {
    const hit = this.cache.get(at);
    if (hit !== undefined) return hit;
    const raw = this.reader.get(n >= 0 ? formatV4(n) : formatV6Hex(hex));
    const r = raw === null || raw === undefined ? NONE : convert(raw, this.kind, this.name, this.locale);
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(at, r);
    }
    return r;
  }

  /** The decoded record for an address (tools and tests; not the event path). */
  record(text: string): unknown {
    return this.reader.get(text);
  }
}

const PROBES = [
  { v: 4 as const, n: 0x08080808 }, { v: 4 as const, n: 0x01010101 }, { v: 4 as const, n: 0x51024590 }, { v: 4 as const, n: 0xd8a05338 },
  { v: 6 as const, hex: '20010218000000000000000000000001' }, { v: 6 as const, hex: '2a000000000000000000000000000001' },
];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Obj : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined);

function localName(o: Obj | undefined, locale: string): string | undefined {
  const names = obj(o?.names);
  return names ? str(names[locale]) ?? str(names.en) : undefined;
}

/**
 * A data record in OCSF terms. Reads MaxMind's layout (country.iso_code, city.names,
 * subdivisions, postal.code, location.latitude...) and the flat one of other MMDB publishers
 * (country_code, city, postcode, latitude...). `kind` null: whatever the record has.
 */
export function convert(raw: unknown, kind: DatabaseKind | null, provider: string, locale: string): GeoResult {
  const r = obj(raw);
  if (!r) return kind === 'generic' || kind === null ? makeResult(null, null, null, null, { value: jsonSafe(raw) }) : NONE;
  if (kind === 'generic') return makeResult(null, null, null, null, jsonSafe(r) as Obj);
  if (kind === 'anonymous_ip') return makeResult(null, null, null, null, jsonSafe(r) as Obj);

  let location: Obj | null = null;
  if (kind === 'city' || kind === 'country' || kind === null) {
    const l: Obj = {};
    const city = kind === 'country' ? undefined : localName(obj(r.city), locale) ?? str(r.city);
    if (city !== undefined) l.city = city;
    const country = str(obj(r.country)?.iso_code) ?? str(r.country_code);
    if (country !== undefined) l.country = country;
    const continent = localName(obj(r.continent), locale);
    if (continent !== undefined) l.continent = continent;
    if (kind !== 'country') {
      const subs = r.subdivisions;
      const region = Array.isArray(subs) ? str(obj(subs[0])?.iso_code) : undefined;
      if (region !== undefined) l.region = region;
      const postal = str(obj(r.postal)?.code) ?? str(r.postcode);
      if (postal !== undefined) l.postal_code = postal;
      const loc = obj(r.location);
      const lat = num(loc?.latitude) ?? num(r.latitude);
      const long = num(loc?.longitude) ?? num(r.longitude);
      if (lat !== undefined && long !== undefined) { l.lat = lat; l.long = long; }
    }
    // OCSF: a location names at least one of city, country, postal_code, region.
    if (l.city !== undefined || l.country !== undefined || l.postal_code !== undefined || l.region !== undefined) {
      l.provider = provider;
      location = l;
    }
  }

  let as: { number?: number; name?: string } | null = null;
  let isp: string | null = null, ispOrg: string | null = null;
  if (kind === 'asn' || kind === 'city' || kind === null) {
    const traits = obj(r.traits);
    const number = num(r.autonomous_system_number) ?? num(traits?.autonomous_system_number);
    const name = str(r.autonomous_system_organization) ?? str(traits?.autonomous_system_organization);
    if (number !== undefined || name !== undefined) {
      as = {};
      if (number !== undefined) as.number = number;
      if (name !== undefined) as.name = name;
    }
    isp = str(r.isp) ?? str(traits?.isp) ?? null;
    ispOrg = str(r.organization) ?? str(traits?.organization) ?? null;
  }

  // A record of an unknown database that has none of the above: report it as it is.
  let data: Obj | null = null;
  if (kind === null && !location && !as && isp === null) data = jsonSafe(r) as Obj;
  else if (kind === null && r.is_anonymous !== undefined) data = jsonSafe(anonymousFlags(r)) as Obj;
  return makeResult(location, as, isp, ispOrg, data);
}

function anonymousFlags(r: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(r)) if (k.startsWith('is_')) out[k] = r[k];
  return out;
}

/**
 * The templates are not frozen although they are never changed: `{ ...template }` of a frozen
 * 8-field location measured 5x slower than of a plain one (~200 ns vs ~40 ns), V8's fast object
 * clone does not take frozen sources. They stay inside the cache; events get copies.
 */
function makeResult(location: Obj | null, as: GeoResult['as'], isp: string | null, ispOrg: string | null, data: Obj | null): GeoResult {
  return { location, as, isp, ispOrg, data };
}

/** A decoded value as JSON: bigint as a number when exact (else a decimal string), bytes as hex. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    for (const k of Object.keys(v)) out[k] = jsonSafe((v as Obj)[k]);
    return out;
  }
  return v;
}
