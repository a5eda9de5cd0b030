/**
 * Indicator feeds: their options, and loading one into an index. A load fetches the feed (with
 * If-None-Match / If-Modified-Since, or the file's size and mtime, so an unchanged feed costs one
 * 304 or one stat), parses it into an IndexBuilder in slices (Slicer: the stream keeps flowing while
 * a million lines load) and returns the new index, which the Refresher swaps in with one
 * assignment. Formats: `list` and `csv` here, `stix` (stix.ts) and `misp` (misp.ts).
 */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Parser as CsvParser } from 'csv-parse';
import { s, type Infer } from '../../../core/schema.js';
import { fetchLocation, locationShape, resolvePath, Slicer, type Fetched, type Location } from '../../../enrich/resource.js';
import { toTime } from '../../../ocsf/map-kit.js';
import { addMispAttributes, addMispEvent, classifyMisp } from './misp.js';
import { parseStix } from './stix.js';
import { IndexBuilder, newMeta, resetMeta, type FeedIndex, type Want } from './store.js';

/** OCSF reputation score_id per `reputation` option value. */
export const REPUTATION: Record<string, { id: number; caption: string }> = {
  malicious: { id: 10, caption: 'Malicious' },
  probably_malicious: { id: 9, caption: 'Probably Malicious' },
  possibly_malicious: { id: 8, caption: 'Possibly Malicious' },
  suspicious: { id: 7, caption: 'Suspicious/Risky' },
  caution: { id: 6, caption: 'Exercise Caution' },
  may_not_be_safe: { id: 5, caption: 'May not be Safe' },
};

const column = () => s.string();

export const csvShape = s.object({
  header: s.bool().default(true).desc('The first row names the columns. Without it, columns are named by number from 0.'),
  delimiter: s.string().default(',').desc('The field separator.'),
  comment: s.string().default('#').desc('Lines starting with this are skipped (abuse.ch files start with `#` lines). Empty: none.'),
  value: column().default('0').desc('The column holding the indicator, by name (with `header`) or number from 0.'),
  type: column().desc('A column holding each indicator\'s type (`ip`, `ip:port`, `cidr`, `domain`, `hostname`, `url`, `md5`, `sha1`, `sha256`, `hash`, and spellings such as `ip-dst`, `sha256_hash`). Without it, the feed\'s `type` applies. Rows of another type are counted as unsupported.'),
  first_seen: column().desc('Column: when the indicator was first seen (ISO 8601, `YYYY-MM-DD HH:MM:SS` as UTC, or epoch seconds/ms).'),
  last_seen: column().desc('Column: when it was last seen.'),
  expires: column().desc('Column: when it stops matching.'),
  confidence: column().desc('Column: confidence 0-100 (or `high`, `medium`, `low`).'),
  severity: column().desc('Column: severity, as the feed writes it.'),
  description: column().desc('Column: a description (malware family, threat).'),
  tags: column().desc('Column: tags, separated by `,`, `;` or `|`.'),
});

export const feedShape = {
  name: s.string(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, `_`, `.`, `:` and `-`').desc('Names the feed: the enrichment entry\'s `provider`, the metrics\' `provider` label, counters and logs. In a map of feeds, the key.'),
  ...locationShape(),
  format: s.enum('list', 'csv', 'stix', 'misp').default('list').desc('`list`: one indicator per line. `csv`: columns mapped with `csv`. `stix`: a STIX 2.1 bundle of indicators. `misp`: a MISP feed (manifest.json and its events), event, or attribute list.'),
  type: s.enum('auto', 'ip', 'cidr', 'domain', 'url', 'hash', 'md5', 'sha1', 'sha256').default('auto').desc('The indicators\' type for `list` and `csv` (without a type column). `auto` infers it from each value; a fixed type makes other values invalid (counted, not loaded).'),
  csv: csvShape.desc('For `format: csv`: the columns.'),
  misp: s.object({
    to_ids_only: s.bool().default(true).desc('Only attributes flagged for detection (`to_ids`), as MISP exports them to IDSs. Attributes without the flag are kept.'),
  }).desc('For `format: misp`.'),
  confidence: s.int(0, 100).desc('Confidence (0-100) of indicators that carry none. Without either, the reputation\'s base_score is 100.'),
  severity: s.string().desc('Severity of indicators that carry none (`high`).'),
  description: s.string().desc('Description of indicators that carry none ("Feodo Tracker botnet C2").'),
  tags: s.list(s.string(), true).desc('Tags of indicators that carry none.'),
  reputation: s.enum(...(Object.keys(REPUTATION) as [keyof typeof REPUTATION & string])).default('malicious').desc('The OCSF reputation a hit reports (`score_id`): `malicious` 10, `probably_malicious` 9, `possibly_malicious` 8, `suspicious` 7, `caution` 6, `may_not_be_safe` 5.'),
  max_age: s.duration().desc('Indicators whose last_seen (else first_seen) is older than this stop matching. Indicators without either never age.'),
};

export const feedObject = s.object(feedShape);
export type FeedConfig = Infer<typeof feedObject> & { name: string };
export type CsvConfig = Infer<typeof csvShape>;

// ---------------------------------------------------------------------------------------------
// Loading

const NO_BODY = Buffer.alloc(0);

export class FeedLoader {
  /** A file whose changes reload the feed (set by `prepare`). */
  watchFile: string | undefined;
  private loc: Location;
  private prev: Fetched | null = null;

  constructor(readonly cfg: FeedConfig, private readonly configDir: string, private readonly now: () => number) {
    this.loc = cfg;
  }

  /** Resolve where the feed is (a MISP feed directory means its manifest.json). Before the first load. */
  async prepare(): Promise<void> {
    const c = this.cfg;
    if (c.path) {
      let file = resolvePath(this.configDir, c.path);
      if (c.format === 'misp' && (await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'manifest.json');
      this.loc = { ...c, path: file };
      this.watchFile = file;
    } else if (c.url && c.format === 'misp' && c.url.endsWith('/')) {
      this.loc = { ...c, url: `${c.url}manifest.json` };
    }
  }

  /** Load the feed into a new index; 'unchanged' when the source says so. Throws naming the source. */
  async load(): Promise<FeedIndex | 'unchanged'> {
    const f = await fetchLocation(this.loc, this.configDir, this.prev);
    if (f === 'unchanged') return 'unchanged';
    const b = new IndexBuilder({ now: this.now(), maxAgeMs: this.cfg.max_age ?? 0 });
    const slicer = new Slicer();
    let index: FeedIndex;
    try {
      await this.parse(f.body, b, slicer);
      index = await b.build(slicer);
    } catch (e) {
      throw new Error(`${f.source}: ${(e as Error).message}`);
    }
    const r = index.report;
    if (r.indicators === 0 && r.invalid + r.unsupported > 0) {
      // Most likely the wrong format, or an error page served with 200: keep what was loaded before.
      const [why, first] = [...r.reasons].find(([k]) => !k.startsWith('skipped') && !k.startsWith('expired')) ?? ['', { example: '' }];
      throw new Error(`${f.source}: no indicators in it as format ${this.cfg.format} (${r.invalid + r.unsupported} entries are not: ${why.replace(/^\w+: /, '')}, e.g. ${JSON.stringify(first.example)})`);
    }
    // Only the version (ETag, Last-Modified, mtime and size) is kept for the next fetch, not the body.
    this.prev = { ...f, body: NO_BODY };
    return index;
  }

  private async parse(body: Buffer, b: IndexBuilder, slicer: Slicer): Promise<void> {
    const c = this.cfg;
    switch (c.format) {
      case 'list': return parseList(body, b, c.type, slicer);
      case 'csv': return parseCsv(body, b, c.csv ?? csvShape.parse({}, [], { issues: [], positionOf: () => undefined })!, c.type, slicer);
      case 'stix': return parseStix(body, b, slicer);
      case 'misp': return this.parseMisp(body, b, slicer);
    }
  }

  private async parseMisp(body: Buffer, b: IndexBuilder, slicer: Slicer): Promise<void> {
    let doc: unknown;
    try { doc = JSON.parse(body.toString('utf8')); } catch (e) { throw new Error(`not JSON: ${(e as Error).message}`); }
    const opts = { toIdsOnly: this.cfg.misp?.to_ids_only ?? true };
    const d = classifyMisp(doc);
    if (d.kind === 'attributes') return addMispAttributes(d.attributes, b, opts, slicer);
    if (d.kind === 'events') { for (const ev of d.events) await addMispEvent(ev, b, opts, slicer); return; }
    // A feed manifest: fetch each event next to it, a few at a time, and add them in order.
    const at = (uuid: string): Location => this.loc.path
      ? { ...this.loc, path: join(dirname(this.loc.path), `${uuid}.json`) }
      : { ...this.loc, path: undefined, url: new URL(`${uuid}.json`, this.loc.url).href };
    const pending: Promise<Fetched | 'unchanged'>[] = [];
    const CONCURRENCY = 8;
    let next = 0;
    const fill = () => { while (pending.length < CONCURRENCY && next < d.uuids.length) pending.push(fetchLocation(at(d.uuids[next++]!), this.configDir, null)); };
    fill();
    for (let i = 0; i < d.uuids.length; i++) {
      const got = await pending.shift()!;
      fill();
      if (got === 'unchanged') continue;
      let ev: unknown;
      try { ev = JSON.parse(got.body.toString('utf8')); } catch (e) { throw new Error(`event ${d.uuids[i]}: not JSON: ${(e as Error).message}`); }
      const e = classifyMisp(ev);
      if (e.kind !== 'events') throw new Error(`event ${d.uuids[i]}: expected {"Event": {...}}`);
      for (const x of e.events) await addMispEvent(x, b, opts, slicer);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// list

function isSpace(c: number): boolean { return c === 32 || c === 9 || c === 13 || c === 11 || c === 12; }

/** Hosts-file lines (`0.0.0.0 evil.example`) name the domain in the second column. */
const SINKHOLES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1']);

/**
 * One indicator per line: the first word of the line (the rest is a comment: `1.2.3.0/24 ; SBL1`);
 * blank lines and lines starting with `#`, `;` or `//` are skipped. Read from the bytes, so each
 * indicator is a fresh string of its own (a slice of one big string would keep the whole file in
 * memory for as long as the index lives).
 */
export async function parseList(body: Buffer, b: IndexBuilder, want: Want, slicer: Slicer): Promise<void> {
  const n = body.length;
  let at = 0;
  if (n >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) at = 3;
  while (at < n) {
    let end = body.indexOf(10, at);
    if (end < 0) end = n;
    let s = at, e = end;
    at = end + 1;
    while (s < e && isSpace(body[s]!)) s++;
    while (e > s && isSpace(body[e - 1]!)) e--;
    if (s === e) continue;
    const c = body[s]!;
    if (c === 35 || c === 59 || (c === 47 && body[s + 1] === 47)) continue; // # ; //
    let w = s;
    while (w < e && !isSpace(body[w]!)) w++;
    let word = word8(body, s, w);
    if (w < e && SINKHOLES.has(word)) {
      let s2 = w;
      while (s2 < e && isSpace(body[s2]!)) s2++;
      let w2 = s2;
      while (w2 < e && !isSpace(body[w2]!)) w2++;
      if (body[s2] !== 35) word = word8(body, s2, w2);
    }
    b.add(word, want, null);
    const t = slicer.tick();
    if (t) await t;
  }
}

/** Bytes as text: latin1 (the fastest decoder) when they are ASCII, else UTF-8. */
function word8(body: Buffer, s: number, e: number): string {
  for (let i = s; i < e; i++) if (body[i]! > 127) return body.toString('utf8', s, e);
  return body.toString('latin1', s, e);
}

// ---------------------------------------------------------------------------------------------
// csv

/** Type column values (lower case, without `-`, `_`, `:` and spaces) -> type. */
const CSV_TYPES: Record<string, Want> = {
  ip: 'ip', ipv4: 'ip', ipv6: 'ip', ipsrc: 'ip', ipdst: 'ip', ipaddress: 'ip', ipaddr: 'ip', ipv4addr: 'ip', ipv6addr: 'ip', ipport: 'ip', address: 'ip',
  cidr: 'cidr', network: 'cidr', subnet: 'cidr', netblock: 'cidr', iprange: 'cidr',
  domain: 'domain', domainname: 'domain', hostname: 'domain', host: 'domain', fqdn: 'domain',
  url: 'url', uri: 'url',
  md5: 'md5', md5hash: 'md5', sha1: 'sha1', sha1hash: 'sha1', sha256: 'sha256', sha256hash: 'sha256', hash: 'hash', filehash: 'hash',
};

const CONFIDENCE_WORDS: Record<string, number> = { high: 85, medium: 50, low: 15 };

const IP_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const IP6_PORT = /^\[([0-9A-Fa-f:.]+)\]:\d{1,5}$/;

function confidenceOf(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  return CONFIDENCE_WORDS[v.toLowerCase()] ?? NaN;
}

/**
 * CSV through csv-parse's stream parser, written in 64 KiB slices and read back synchronously
 * after each, so the loader decides when to yield (a slice parses in ~1 ms).
 */
export async function parseCsv(body: Buffer, b: IndexBuilder, c: CsvConfig, want: Want, slicer: Slicer): Promise<void> {
  const parser = new CsvParser({
    delimiter: c.delimiter,
    comment: c.comment || undefined,
    // Comments start lines only: a '#' inside a value is a URL fragment, not a comment.
    comment_no_infix: true,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    trim: true,
  });
  parser.on('error', () => { /* read from parser.errored */ });
  let cols: Record<keyof Omit<CsvConfig, 'header' | 'delimiter' | 'comment'>, number> | null = null;
  const names = ['value', 'type', 'first_seen', 'last_seen', 'expires', 'confidence', 'severity', 'description', 'tags'] as const;
  const resolve = (header: string[] | null) => {
    const out: Record<string, number> = {};
    for (const k of names) {
      const ref = c[k];
      if (ref === undefined) { out[k] = -1; continue; }
      let i = header ? header.indexOf(ref) : -1;
      if (i < 0 && /^\d+$/.test(ref)) i = Number(ref);
      if (i < 0) throw new Error(`csv.${k}: no column ${JSON.stringify(ref)}${header ? ` (columns: ${header.join(', ')})` : ' (without a header, name columns by number from 0)'}`);
      out[k] = i;
    }
    return out as typeof cols & object;
  };
  const meta = newMeta();
  let row = 0;
  const onRow = (r: string[]) => {
    row++;
    if (cols === null) {
      if (c.header) { cols = resolve(r); return; }
      cols = resolve(null);
    }
    const k = cols;
    let value = r[k.value] ?? '';
    if (!value) { b.problem('invalid', 'an empty value column', `row ${row}`); return; }
    let w: Want = want;
    if (k.type >= 0) {
      const tt = (r[k.type] ?? '').toLowerCase().replace(/[-_: ]/g, '');
      const mapped = CSV_TYPES[tt];
      if (!mapped) { b.problem('unsupported', `type ${JSON.stringify(r[k.type] ?? '')}`, value); return; }
      w = mapped;
    }
    if (w === 'ip' || w === 'auto') {
      const m = IP_PORT.exec(value) ?? IP6_PORT.exec(value);
      if (m) value = m[1]!;
    }
    resetMeta(meta);
    if (k.first_seen >= 0) meta.firstSeen = toTime(r[k.first_seen]) ?? NaN;
    if (k.last_seen >= 0) meta.lastSeen = toTime(r[k.last_seen]) ?? NaN;
    if (k.expires >= 0) meta.expires = toTime(r[k.expires]) ?? NaN;
    if (k.confidence >= 0 && r[k.confidence]) meta.confidence = confidenceOf(r[k.confidence]!);
    if (k.severity >= 0 && r[k.severity]) meta.severity = r[k.severity];
    if (k.description >= 0 && r[k.description]) meta.description = r[k.description];
    if (k.tags >= 0 && r[k.tags]) {
      const tags = r[k.tags]!.split(/[,;|]/).map((x) => x.trim()).filter(Boolean);
      if (tags.length) meta.tags = tags;
    }
    b.add(value, w, meta);
  };
  const drain = async () => {
    for (let r = parser.read() as string[] | null; r !== null; r = parser.read() as string[] | null) {
      onRow(r);
      const t = slicer.tick();
      if (t) await t;
    }
    if (parser.errored) throw parser.errored;
  };
  const SLICE = 64 * 1024;
  for (let off = 0; off < body.length; off += SLICE) {
    parser.write(body.subarray(off, off + SLICE));
    await drain();
  }
  parser.end();
  await drain();
}
