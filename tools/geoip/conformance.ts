/**
 * GeoIP conformance over MaxMind's own test data (the MaxMind-DB repository: test databases,
 * expected lookups, and corrupt files that have broken readers). Not a unit test (the corpus is
 * not in the repository):
 *   npm run conformance:geoip -- [corpus dir, default ../shared/corpora/geoip-maxmind-test]
 *
 * 1. Runs the geoip transform's lookup (its tree walk, the record it finds, the OCSF location and
 *    autonomous_system converted from it) over expected_lookups_city_country.tsv and
 *    expected_lookups_asn.tsv, and compares network, country, city, region, time zone and ASN;
 *    and checks that its walk ends at the depth the maxmind package's Reader reports.
 * 2. Opens every test-data/*.mmdb and bad-data/**.mmdb as the transform does, looks up a spread of
 *    addresses in each, and reports what happened: loaded, or refused with which error.
 * Exits 1 on any mismatch, or when a file makes the reader fail with something other than an
 * Error saying what is wrong (a crash).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { formatV4, formatV6Hex, parseIp, parseNetwork } from '../../src/enrich/ip.js';
import { GeoDatabase } from '../../src/components/transforms/geoip/database.js';

const root = process.argv[2] ?? '../shared/corpora/geoip-maxmind-test';
if (!existsSync(join(root, 'test-data'))) { console.error(`no MaxMind DB test data at ${root}; pass the directory: npm run conformance:geoip -- <dir>`); process.exit(64); }

let failed = false;
const open = new Map<string, GeoDatabase>();
function db(file: string): GeoDatabase {
  let d = open.get(file);
  if (!d) open.set(file, (d = new GeoDatabase(readFileSync(join(root, 'test-data', file)), basename(file, '.mmdb'), 'auto', 'en', 50_000)));
  return d;
}

/** The network a lookup ended in, from the depth the walk reached. */
function network(ip: { v: 4; n: number } | { v: 6; hex: string }, depth: number): string {
  if (ip.v === 4) { const size = 2 ** (32 - depth); return `${formatV4(Math.floor(ip.n / size) * size)}/${depth}`; }
  let bits = '';
  for (const c of ip.hex) bits += parseInt(c, 16).toString(2).padStart(4, '0');
  bits = bits.slice(0, depth).padEnd(128, '0');
  let hex = '';
  for (let i = 0; i < 128; i += 4) hex += parseInt(bits.slice(i, i + 4), 2).toString(16);
  return `${formatV6Hex(hex)}/${depth}`;
}

/** Whether network `outer` (a.b.c.d/n or v6/n) contains network `inner`. */
function contains(outer: string, inner: string): boolean {
  const [oa, op] = outer.split('/'), [ia, ip] = inner.split('/');
  const o = parseNetwork(`${oa}/${op}`), i = parseNetwork(`${ia}/${ip}`);
  if (!o || !i || o.v !== i.v || o.prefix > i.prefix) return false;
  return o.v === 4 ? i.lo >= o.lo && i.hi <= o.hi : i.hex.startsWith(o.hex.slice(0, Math.floor(o.prefix / 4))) && parseNetwork(`${ia}/${op}`)!.hex === o.hex;
}

interface Row { cells: string[]; line: number }
function rows(file: string): { header: string[]; rows: Row[] } {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const header = lines[0]!.replace(/^#\s*/, '').split('\t');
  const out: Row[] = [];
  lines.forEach((l, i) => { if (i > 0 && l.trim() && !l.startsWith('#')) out.push({ cells: l.split('\t'), line: i + 1 }); });
  return { header, rows: out };
}

type Got = Record<string, string | number>;
/** Look an address up as the transform does; the fields the expectation files name. */
function lookup(file: string, text: string): Got | string {
  const ip = parseIp(text);
  if (!ip) return `not an address: ${text}`;
  const d = db(file);
  const at = ip.v === 4 ? d.find4(ip.n) : d.find6(ip.hex);
  if (at === 0) return 'not found';
  const depth = d.lastDepth;
  const r = d.result(at, ip.v === 4 ? ip.n : -1, ip.v === 6 ? ip.hex : '');
  const raw = d.record(text) as { location?: { time_zone?: string } } | null;
  // The maxmind package's own walk, for the depth: Sluice's walk must end where it does.
  const libDepth = d.reader.getWithPrefixLength(text)[1];
  const loc = r.location as Record<string, unknown> | null;
  return {
    depth, libDepth,
    network: network(ip, depth),
    'country.iso_code': String(loc?.country ?? ''),
    'city.names.en': String(loc?.city ?? ''),
    'subdivisions[0].iso_code': String(loc?.region ?? ''),
    'location.time_zone': raw?.location?.time_zone ?? '',
    autonomous_system_number: r.as?.number === undefined ? '' : String(r.as.number),
    autonomous_system_organization: r.as?.name ?? '',
  };
}

const summary: string[][] = [['FILE', 'DATABASE', 'CHECKED', 'PASSED', 'MISMATCHES']];
const mismatches: string[] = [];
function check(tsv: string, dbOf: (cells: string[], header: string[]) => string): void {
  const { header, rows: rs } = rows(tsv);
  const per = new Map<string, { checked: number; passed: number }>();
  for (const { cells, line } of rs) {
    const file = dbOf(cells, header);
    const s = per.get(file) ?? { checked: 0, passed: 0 };
    per.set(file, s);
    s.checked++;
    let got: Got | string;
    try { got = lookup(file, cells[0]!); } catch (e) { got = `error: ${(e as Error).message}`; }
    const diffs: string[] = [];
    if (typeof got === 'string') diffs.push(got);
    else {
      if (got.depth !== got.libDepth) diffs.push(`walk ended at depth ${got.depth}, the maxmind Reader's at ${got.libDepth}`);
      header.forEach((h, i) => {
        if (h === 'ip' || h === 'source') return;
        const want = cells[i] ?? '';
        // The expected network is the one in the source data; a database merges adjacent networks
        // with the same record into one, so the network found must contain it.
        if (h === 'network' ? !contains(String(got.network), want) : got[h] !== want) diffs.push(`${h}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got[h])}`);
      });
    }
    if (diffs.length) mismatches.push(`${tsv}:${line} ${cells[0]} (${file}): ${diffs.join('; ')}`);
    else s.passed++;
  }
  for (const [file, s] of per) summary.push([tsv, file, String(s.checked), String(s.passed), String(s.checked - s.passed)]);
}

check('expected_lookups_city_country.tsv', (cells, header) => cells[header.indexOf('source')]!.replace(/\.json$/, '.mmdb'));
check('expected_lookups_asn.tsv', () => 'GeoLite2-ASN-Test.mmdb');

const table = (t: string[][]) => {
  const w = t[0]!.map((_, i) => Math.max(...t.map((r) => r[i]!.length)));
  for (const r of t) console.log(r.map((c, i) => (i >= 2 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  '));
};
console.log('\n## Expected lookups (the transform\'s tree walk and OCSF conversion)\n');
table(summary);
if (mismatches.length) {
  failed = true;
  console.log(`\n${mismatches.length} mismatches:`);
  for (const m of mismatches.slice(0, 200)) console.log(`  ${m}`);
}

// Every database file, good and bad: load as the transform does, then look up a spread of addresses.
const walk = (dir: string): string[] => {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...walk(p)); else if (f.endsWith('.mmdb')) out.push(p);
  }
  return out;
};
const SPREAD = ['1.1.1.1', '1.2.3.4', '2.125.160.216', '81.2.69.142', '89.160.20.112', '175.16.199.0', '216.160.83.56', '::1.1.1.1', '::ffff:81.2.69.142',
  '2001:218::', '2001:480::1', '2a02:d500::', '2c0f:ff40::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '255.255.255.255'];
const files = [...walk(join(root, 'test-data')), ...walk(join(root, 'bad-data'))];
const fileRows: string[][] = [['FILE', 'LOAD', 'LOOKUPS (found / not found / failed)', 'ERROR']];
const counts = { loaded: 0, refused: 0, lookupErrors: 0, crashed: 0 };
for (const path of files) {
  const name = relative(root, path);
  let d: GeoDatabase;
  try {
    d = new GeoDatabase(readFileSync(path), basename(path, '.mmdb'), 'auto', 'en', 1000);
  } catch (e) {
    if (!(e instanceof Error) || !e.message) { counts.crashed++; failed = true; fileRows.push([name, 'CRASH', '-', String(e)]); continue; }
    counts.refused++;
    fileRows.push([name, 'refused', '-', e.message.slice(0, 110)]);
    continue;
  }
  counts.loaded++;
  let found = 0, none = 0, errs = 0;
  let firstErr = '';
  for (const text of SPREAD) {
    const ip = parseIp(text)!;
    try {
      const at = ip.v === 4 ? d.find4(ip.n) : d.find6(ip.hex);
      if (at === 0) { none++; continue; }
      d.result(at, ip.v === 4 ? ip.n : -1, ip.v === 6 ? ip.hex : '');
      found++;
    } catch (e) {
      if (!(e instanceof Error) || !e.message) { counts.crashed++; failed = true; firstErr ||= `CRASH: ${String(e)}`; continue; }
      errs++;
      firstErr ||= e.message;
    }
  }
  if (errs) counts.lookupErrors++;
  fileRows.push([name, 'loaded', `${found} / ${none} / ${errs}`, firstErr.slice(0, 110)]);
}
console.log(`\n## Every database file (${files.length}): loaded ${counts.loaded}, refused at load ${counts.refused}, loaded but some lookups failed ${counts.lookupErrors}, crashes ${counts.crashed}\n`);
const w = fileRows[0]!.map((_, i) => Math.max(...fileRows.map((r) => r[i]!.length)));
for (const r of fileRows) console.log(r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
console.log(failed ? '\nFAILED' : '\nOK');
process.exit(failed ? 1 : 0);
