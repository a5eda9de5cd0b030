// The geoip transform, on databases built by the MMDB writer (fixtures.ts) and the builtin one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Reader } from 'maxmind';
import { ComponentConfigError, type TransformRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { buildTransform, checkConfig, quietLog, runTransform, testBuildContext } from '../../../engine/testing.js';
import { validateConfig } from '../../../engine/config/index.js';
import { Registry } from '../../../engine/registry.js';
import { runUnitTest } from '../../../engine/unit-tests.js';
import { loadSchema } from '../../../ocsf/schema.js';
import { deriveAndValidate } from '../../../ocsf/validate.js';
import { definitions } from '../../registry.js';
import def, { createGeoip, type GeoipConfig, type GeoipRuntime } from './index.js';
import { LONDON, MILTON, cityRecord, smallAnonymousDb, smallAsnDb, smallCityDb, smallCountryDb } from './fixtures.js';
import { MmdbWriter } from './mmdb-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-geoip-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
/** Write a database to a fresh file; returns its path. */
function dbFile(buf: Buffer, name = `db${++fileNo}.mmdb`): string {
  const p = join(dir, name);
  writeFileSync(p, buf);
  return p;
}
const city = dbFile(smallCityDb(), 'GeoIP2-City.mmdb');
const asn = dbFile(smallAsnDb(), 'GeoLite2-ASN.mmdb');
const country = dbFile(smallCountryDb(), 'GeoLite2-Country.mmdb');
const anon = dbFile(smallAnonymousDb(), 'GeoIP2-Anonymous-IP.mmdb');

async function geoip(raw: Record<string, unknown>): Promise<GeoipRuntime> {
  return (await buildTransform(def, raw)) as unknown as GeoipRuntime;
}
async function once(raw: Record<string, unknown>, events: Event[]): Promise<{ out: any[]; rt: GeoipRuntime }> {
  const rt = await geoip(raw);
  try {
    const r = await runTransform(rt, events);
    assert.equal(r.errors.length, 0);
    return { out: r.main, rt };
  } finally { rt.stop(); }
}
const stats = (rt: TransformRuntime, name: string) => { const p = rt.enrichment!().providers.get(name)!; return { hits: p.hits, misses: p.misses, skipped: p.skipped, failures: p.failures }; };

test('City and ASN results land beside each address as OCSF location and autonomous_system', async () => {
  const { out, rt } = await once({ databases: [{ path: city }, { path: asn }] }, [
    { src_endpoint: { ip: '81.2.69.142', port: 5000 }, dst_endpoint: { ip: '216.160.83.58' } },
  ]);
  const e = out[0];
  assert.deepEqual(e.src_endpoint, {
    ip: '81.2.69.142', port: 5000,
    location: { city: 'London', country: 'GB', continent: 'Europe', region: 'ENG', postal_code: 'SW1A', lat: 51.5142, long: -0.0931, provider: 'GeoIP2-City' },
    autonomous_system: { number: 20712, name: 'Andrews & Arnold Ltd' },
  });
  assert.deepEqual(e.dst_endpoint.location, { city: 'Milton', country: 'US', continent: 'North America', region: 'WA', postal_code: '98354', lat: 47.2513, long: -122.3149, provider: 'GeoIP2-City' });
  assert.equal(e.dst_endpoint.autonomous_system, undefined, 'not in the ASN database');
  assert.equal(e.enrichments, undefined);
  assert.deepEqual(stats(rt, 'GeoIP2-City'), { hits: 2, misses: 0, skipped: 0, failures: 0 });
  assert.deepEqual(stats(rt, 'GeoLite2-ASN'), { hits: 1, misses: 1, skipped: 0, failures: 0 });
  assert.equal(rt.enrichment().providers.get('GeoIP2-City')!.latency.count, 2);
});

test('the enriched event is valid OCSF', async () => {
  const base = {
    class_uid: 4001, activity_id: 6, time: 1_732_356_000_000, severity_id: 1,
    metadata: { version: '1.8.0', product: { name: 'Zeek', vendor_name: 'Zeek' }, profiles: ['host'] },
    connection_info: { protocol_name: 'tcp', direction_id: 2 },
    src_endpoint: { ip: '81.2.69.142', port: 5000 }, dst_endpoint: { ip: '10.0.0.5', port: 22 },
    device: { ip: '216.160.83.57', hostname: 'sensor-1', type_id: 1 },
  };
  const { out } = await once({ databases: [{ path: city }, { path: asn }, { path: anon }], fields: ['src_endpoint.ip', 'dst_endpoint.ip', 'device.ip'], special_ranges: 'tag' }, [structuredClone(base)]);
  const e = out[0];
  assert.ok(e.src_endpoint.location && e.src_endpoint.autonomous_system && e.device.location && e.enrichments.length === 2, JSON.stringify(e));
  const violations = deriveAndValidate(loadSchema('1.8.0'), e, { missingRecommended: false }).filter((v) => v.level === 'error' || /location|autonomous_system|enrichments|network_scope/.test(v.path));
  assert.deepEqual(violations, []);
});

test('IPv6 addresses, and IPv4-mapped IPv6 addresses as IPv4', async () => {
  const { out } = await once({ databases: [{ path: city }, { path: asn }] }, [
    { src_endpoint: { ip: '2001:218:1:2::3' }, dst_endpoint: { ip: '::ffff:81.2.69.7' } },
    { src_endpoint: { ip: '2001:0DB9::1' } },
  ]);
  assert.equal(out[0].src_endpoint.location.city, 'Tokyo');
  assert.deepEqual(out[0].src_endpoint.autonomous_system, { number: 2914, name: 'NTT America, Inc.' });
  assert.equal(out[0].dst_endpoint.location.city, 'London');
  assert.equal(out[1].src_endpoint.location, undefined);
});

test('special-purpose addresses are not looked up: counted as skipped, tagged with their category', async () => {
  const { out, rt } = await once({ databases: [{ path: city }, { path: asn }], fields: ['src_endpoint.ip', 'dst_endpoint.ip', 'device.ip'], special_ranges: 'tag' }, [
    { src_endpoint: { ip: '10.1.2.3' }, dst_endpoint: { ip: '203.0.113.9' }, device: { ip: '127.0.0.1' } },
    { src_endpoint: { ip: 'fe80::1%eth0' }, dst_endpoint: { ip: 'fd00::7', network_scope_id: 2 } },
  ]);
  const [a, b] = out;
  assert.deepEqual(a.src_endpoint, { ip: '10.1.2.3', network_scope_id: 1, network_scope: 'Internal' });
  assert.deepEqual(a.dst_endpoint, { ip: '203.0.113.9' }, 'documentation addresses are special, not internal');
  assert.deepEqual(a.device, { ip: '127.0.0.1' }, 'device has no network scope in OCSF');
  assert.deepEqual(a.enrichments.map((x: any) => [x.name, x.value, x.type, x.provider, x.data]), [
    ['src_endpoint.ip', '10.1.2.3', 'geoip', 'iana', { status: 'skipped', special_range: 'private' }],
    ['dst_endpoint.ip', '203.0.113.9', 'geoip', 'iana', { status: 'skipped', special_range: 'documentation' }],
    ['device.ip', '127.0.0.1', 'geoip', 'iana', { status: 'skipped', special_range: 'loopback' }],
  ]);
  assert.equal(b.src_endpoint.network_scope_id, 1);
  assert.equal(b.dst_endpoint.network_scope_id, 2, 'a scope the event has is kept');
  assert.deepEqual(b.enrichments.map((x: any) => x.data.special_range), ['link_local', 'unique_local']);
  assert.deepEqual(stats(rt, 'GeoIP2-City'), { hits: 0, misses: 0, skipped: 5, failures: 0 });
  assert.deepEqual(stats(rt, 'GeoLite2-ASN'), { hits: 0, misses: 0, skipped: 5, failures: 0 });
});

test('by default special addresses only get a network scope; special_ranges: skip only counts them', async () => {
  const events = () => [{ src_endpoint: { ip: '192.168.1.1' }, dst_endpoint: { ip: '224.0.0.251' } }];
  const scoped = await once({ databases: [{ path: city }] }, events());
  assert.deepEqual(scoped.out[0], { src_endpoint: { ip: '192.168.1.1', network_scope_id: 1, network_scope: 'Internal' }, dst_endpoint: { ip: '224.0.0.251' } });
  const { out, rt } = await once({ databases: [{ path: city }], special_ranges: 'skip' }, events());
  assert.deepEqual(out[0], events()[0]);
  assert.equal(stats(rt, 'GeoIP2-City').skipped, 2);
});

test('values that are not addresses are skipped; missing fields are not counted at all', async () => {
  const { out, rt } = await once({ databases: [{ path: city }] }, [
    { src_endpoint: { ip: 'not-an-ip' }, dst_endpoint: { ip: 42 } },
    { src_endpoint: { ip: '081.2.69.1' }, dst_endpoint: { ip: null } },
    { message: 'no endpoints' },
  ]);
  assert.deepEqual(out.map((e) => e.src_endpoint?.location), [undefined, undefined, undefined]);
  assert.deepEqual(stats(rt, 'GeoIP2-City'), { hits: 0, misses: 0, skipped: 3, failures: 0 });
});

test('device.ip gets a location only; other fields need their targets named', async () => {
  const { out } = await once({
    databases: [{ path: city }, { path: asn }],
    fields: ['device.ip', { ip: 'client', location: 'geo.client', autonomous_system: 'geo.client_as' }],
  }, [{ device: { ip: '81.2.69.1' }, client: '81.2.69.2', src_endpoint: { ip: '81.2.69.3' } }]);
  const e = out[0];
  assert.deepEqual(Object.keys(e.device), ['ip', 'location']);
  assert.equal(e.geo.client.city, 'London');
  assert.deepEqual(e.geo.client_as, { number: 20712, name: 'Andrews & Arnold Ltd' });
  assert.equal(e.src_endpoint.location, undefined, 'only the configured fields');
  await assert.rejects(geoip({ databases: [{ path: city }], fields: ['client_ip'] }), /`client_ip` is not the `ip` of an object.*name the targets/s);
});

test('anonymous IP: an enrichments entry with the flags when the address is listed', async () => {
  const { out, rt } = await once({ databases: [{ path: anon }] }, [
    { src_endpoint: { ip: '216.160.83.57' }, dst_endpoint: { ip: '81.2.69.200' } },
  ]);
  assert.deepEqual(out[0].enrichments, [{
    name: 'src_endpoint.ip', value: '216.160.83.57', type: 'geoip', provider: 'GeoIP2-Anonymous-IP',
    data: { is_anonymous: true, is_public_proxy: true, is_tor_exit_node: true },
  }]);
  assert.equal(out[0].src_endpoint.location, undefined);
  assert.deepEqual(stats(rt, 'GeoIP2-Anonymous-IP'), { hits: 1, misses: 1, skipped: 0, failures: 0 });
});

test('any other database: the record as an enrichments entry (JSON-safe), or under a mapped `data` path', async () => {
  const custom = dbFile(new MmdbWriter({ ipVersion: 6, databaseType: 'Acme-Threat-Zones' })
    .insert('81.2.69.0/24', { zone: 'red', score: 9.5, seen: 2n ** 40n, huge: 2n ** 70n, raw: Buffer.from([0xde, 0xad]) })
    .build(), 'acme-zones.mmdb');
  const { out } = await once({ databases: [{ path: custom, name: 'zones' }] }, [{ src_endpoint: { ip: '81.2.69.1' } }]);
  assert.deepEqual(out[0].enrichments, [{
    name: 'src_endpoint.ip', value: '81.2.69.1', type: 'geoip', provider: 'zones',
    data: { zone: 'red', score: 9.5, seen: 2 ** 40, huge: '1180591620717411303424', raw: 'dead' },
  }]);
  const mapped = await once({ databases: { zones: { path: custom } }, fields: [{ ip: 'client', data: 'client_info' }] }, [{ client: '81.2.69.1' }]);
  assert.equal(mapped.out[0].client_info.zones.zone, 'red');
  assert.equal(mapped.out[0].enrichments, undefined);
  // `type` overrides the detection: a City database read as generic.
  const generic = await once({ databases: [{ path: city, type: 'generic' }] }, [{ src_endpoint: { ip: '81.2.69.1' } }]);
  assert.equal(generic.out[0].enrichments[0].data.city.names.en, 'London');
  assert.equal(generic.out[0].src_endpoint.location, undefined);
});

test('databases of other publishers: the flat country_code layout, whatever the database_type', async () => {
  const flat = dbFile(new MmdbWriter({ ipVersion: 6, databaseType: 'my-ip-db' })
    .insert('81.2.69.0/24', { country_code: 'GB' })
    .insert('216.160.83.0/24', { autonomous_system_number: 209, autonomous_system_organization: 'CenturyLink' })
    .build(), 'my-ip-db.mmdb');
  const { out } = await once({ databases: [flat] }, [{ src_endpoint: { ip: '81.2.69.1' }, dst_endpoint: { ip: '216.160.83.1' } }]);
  assert.deepEqual(out[0].src_endpoint.location, { country: 'GB', provider: 'my-ip-db' });
  assert.deepEqual(out[0].dst_endpoint.autonomous_system, { number: 209, name: 'CenturyLink' });
});

test('builtin:country: the country database shipped with Sluice', async () => {
  const { out, rt } = await once({ databases: ['builtin:country'] }, [
    { src_endpoint: { ip: '8.8.8.8' }, dst_endpoint: { ip: '2001:4860:4860::8888' } },
  ]);
  assert.deepEqual(out[0].src_endpoint.location, { country: 'US', provider: 'geo-whois-asn-country' });
  assert.equal(out[0].dst_endpoint.location.country, 'US');
  assert.equal(rt.databases()[0]!.kind, 'country');
  await assert.rejects(geoip({ databases: ['builtin:city'] }), (e: unknown) => e instanceof ComponentConfigError && /unknown builtin database `city`/.test(e.message) && e.hint === 'builtin databases: builtin:country');
});

test('results from several databases: for each kind, the first database that has one wins', async () => {
  const other = dbFile(smallCityDb({ databaseType: 'Other-City', london: { ...LONDON, city: 'Westminster' } }), 'other-city.mmdb');
  const a = await once({ databases: [{ path: country }, { path: city }] }, [{ src_endpoint: { ip: '81.2.69.1' } }]);
  assert.deepEqual(a.out[0].src_endpoint.location, { country: 'GB', continent: 'Europe', provider: 'GeoLite2-Country' });
  const b = await once({ databases: [{ path: other }, { path: city }] }, [{ src_endpoint: { ip: '81.2.69.1' } }]);
  assert.equal(b.out[0].src_endpoint.location.city, 'Westminster');
});

test('what the event already has is kept unless overwrite is set', async () => {
  const ev = () => [{ src_endpoint: { ip: '81.2.69.1', location: { city: 'Cambridge', country: 'GB' } } }];
  const kept = await once({ databases: [{ path: city }] }, ev());
  assert.deepEqual(kept.out[0].src_endpoint.location, { city: 'Cambridge', country: 'GB' });
  const replaced = await once({ databases: [{ path: city }], overwrite: true }, ev());
  assert.equal(replaced.out[0].src_endpoint.location.city, 'London');
});

test('locale picks the names\' language, English when a name lacks it', async () => {
  const de = dbFile(new MmdbWriter({ ipVersion: 6, databaseType: 'GeoIP2-City' })
    .insert('81.2.69.0/24', { country: { iso_code: 'DE', names: { en: 'Germany', de: 'Deutschland' } }, city: { names: { en: 'Munich', de: 'München' } }, continent: { names: { en: 'Europe' } } })
    .build());
  const { out } = await once({ databases: [de], locale: 'de' }, [{ src_endpoint: { ip: '81.2.69.1' } }]);
  assert.deepEqual(out[0].src_endpoint.location, { city: 'München', country: 'DE', continent: 'Europe', provider: `db${fileNo}` });
});

test('each event gets its own result objects', async () => {
  const rt = await geoip({ databases: [{ path: city }, { path: asn }] });
  try {
    const { main } = await runTransform(rt, [{ src_endpoint: { ip: '81.2.69.1' } }, { src_endpoint: { ip: '81.2.69.2' } }]);
    assert.notEqual(main[0]!.src_endpoint, main[1]!.src_endpoint);
    (main[0] as any).src_endpoint.location.city = 'changed downstream';
    (main[0] as any).src_endpoint.autonomous_system.number = 1;
    const { main: later } = await runTransform(rt, [{ src_endpoint: { ip: '81.2.69.3' } }]);
    assert.equal((main[1] as any).src_endpoint.location.city, 'London');
    assert.equal((later[0] as any).src_endpoint.location.city, 'London');
    assert.equal((later[0] as any).src_endpoint.autonomous_system.number, 20712);
  } finally { rt.stop(); }
});

test('a record that cannot be decoded: counted as a failure, marked on the event, the event goes on', async () => {
  // The first record written sits at the start of the data section: break its type byte.
  const buf = new MmdbWriter({ ipVersion: 6, databaseType: 'GeoIP2-City' })
    .insert('5.5.5.0/24', cityRecord(MILTON))
    .insert('81.2.69.0/24', cityRecord(LONDON))
    .build();
  const dataStart = new Reader(buf).metadata.searchTreeSize + 16;
  buf[dataStart] = 0x00; buf[dataStart + 1] = 0x00; // extended type 7: invalid
  const { out, rt } = await once({ databases: [{ path: dbFile(buf), name: 'broken' }] }, [
    { src_endpoint: { ip: '5.5.5.5' }, dst_endpoint: { ip: '81.2.69.1' } },
  ]);
  assert.equal(out.length, 1);
  assert.equal(out[0].dst_endpoint.location.city, 'London');
  assert.equal(out[0].enrichments.length, 1);
  assert.equal(out[0].enrichments[0].provider, 'broken');
  assert.equal(out[0].enrichments[0].data.status, 'failed');
  assert.match(out[0].enrichments[0].data.reason, /Invalid Extended Type/);
  assert.deepEqual(stats(rt, 'broken'), { hits: 1, misses: 0, skipped: 0, failures: 1 });
});

test('config: list, map and bare paths; names; the first load is fatal and names the database', async () => {
  const cfg = checkConfig(def, { databases: [city, { path: asn, name: 'as' }] }) as unknown as GeoipConfig;
  assert.deepEqual(cfg.databases.map((d) => [d.name, d.type]), [['GeoIP2-City', 'auto'], ['as', 'auto']]);
  const m = checkConfig(def, { databases: { c: { path: city, type: 'city' } } }) as unknown as GeoipConfig;
  assert.deepEqual(m.databases.map((d) => [d.name, d.type, d.refresh_interval]), [['c', 'city', 3_600_000]]);
  assert.deepEqual((checkConfig(def, { databases: [city] }) as unknown as GeoipConfig).fields.map((f) => f.ip.text), ['src_endpoint.ip', 'dst_endpoint.ip', 'proxy_endpoint.ip']);
  assert.throws(() => checkConfig(def, { databases: 'x.mmdb' }), /expected a list or a map of databases/);
  assert.throws(() => checkConfig(def, { databases: [{ path: city, type: 'cty' }] }), /databases.0.type: expected one of/);
  assert.throws(() => checkConfig(def, { databases: [city], fields: [{ location: 'x' }] }), /missing required field `ip`/);

  const fails = async (raw: Record<string, unknown>, path: (string | number)[], msg: RegExp) => {
    await assert.rejects(createGeoip(checkConfig(def, raw) as unknown as GeoipConfig, dir, quietLog), (e: unknown) => {
      assert.ok(e instanceof ComponentConfigError, String(e));
      assert.deepEqual(e.path, path);
      assert.match(e.message, msg);
      return true;
    });
  };
  await fails({ databases: [city, { path: join(dir, 'missing.mmdb') }] }, ['databases', 1, 'path'], /database `missing`: cannot read .*missing\.mmdb: ENOENT/);
  await fails({ databases: [dbFile(Buffer.from('not a database at all'), 'junk.mmdb')] }, ['databases', 0, 'path'], /database `junk`: .*junk\.mmdb: not a valid MaxMind DB file/);
  await fails({ databases: [city, city] }, ['databases', 1, 'name'], /two databases are named `GeoIP2-City`/);
  await fails({ databases: [{ name: 'x' }] }, ['databases', 0], /set either `path` or `url`/);
  await fails({ databases: [] }, ['databases'], /`databases` is empty/);
  // Relative paths are resolved against the config file's directory.
  const rt = await createGeoip(checkConfig(def, { databases: ['GeoIP2-City.mmdb'] }) as unknown as GeoipConfig, dir, quietLog);
  rt.stop();
});

test('a database replaced on disk is reloaded without a restart; a corrupt replacement keeps the old one', async () => {
  const sub = mkdtempSync(join(dir, 'reload-'));
  const live = join(sub, 'GeoIP2-City.mmdb');
  writeFileSync(live, smallCityDb());
  const rt = await createGeoip(checkConfig(def, { databases: [{ path: live }] }) as unknown as GeoipConfig, dir, quietLog);
  try {
    const look = async () => ((await runTransform(rt, [{ src_endpoint: { ip: '81.2.69.1' } }])).main[0] as any).src_endpoint.location?.city;
    assert.equal(await look(), 'London');
    // Replace it the way geoipupdate does: write beside it, rename over it. The watch reloads it.
    writeFileSync(join(sub, 'next.tmp'), smallCityDb({ london: { ...LONDON, city: 'Camden' } }));
    renameSync(join(sub, 'next.tmp'), live);
    await until(() => rt.counters()['geoip_reloads.GeoIP2-City'] === 2);
    assert.equal(await look(), 'Camden');
    // A half-written file: the reload fails, is counted, and lookups keep the database loaded before.
    const good = readFileSync(live);
    writeFileSync(join(sub, 'next.tmp'), good.subarray(0, good.length >> 1));
    renameSync(join(sub, 'next.tmp'), live);
    await rt.refresh();
    assert.equal(rt.counters()['geoip_reload_failures.GeoIP2-City'], 1);
    assert.equal(rt.counters()['geoip_reloads.GeoIP2-City'], 2);
    assert.equal(await look(), 'Camden');
  } finally { rt.stop(); }
});

test('a database fetched from a URL', async () => {
  const body = smallCityDb();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.headers['if-none-match'] === '"v1"') { res.writeHead(304).end(); return; }
    res.writeHead(200, { etag: '"v1"', 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dbs/GeoIP2-City.mmdb`;
    const rt = await geoip({ databases: [{ url }] });
    try {
      const out = (await runTransform(rt, [{ src_endpoint: { ip: '81.2.69.1' } }])).main as any[];
      assert.equal(out[0].src_endpoint.location.provider, 'GeoIP2-City');
      assert.equal(out[0].src_endpoint.location.city, 'London');
      await rt.refresh();
      assert.equal(requests, 2);
      assert.equal(rt.counters()['geoip_reloads.GeoIP2-City'], 1, 'unchanged (304): not loaded again');
    } finally { rt.stop(); }
  } finally { server.close(); }
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('examples/*.yaml validate, build and pass their tests', async () => {
  const registry = new Registry(definitions.some((d) => d.kind === 'transform' && d.type === 'geoip') ? definitions : [...definitions, def]);
  // Compiled tests run from dist/ (or a private build folder); examples live in src/.
  const repo = fileURLToPath(new URL('../../../../../', import.meta.url)).replace(/\/\.build\/(?:[^/]+\/)?$/, '/');
  const exampleDir = join(repo, 'src', 'components', 'transforms', 'geoip', 'examples');
  for (const name of ['geoip-city.yaml']) {
    const cfg = validateConfig([join(exampleDir, name)], registry, { env: {} });
    assert.ok(cfg.tests.length > 0);
    for (const tc of cfg.tests) {
      const r = await runUnitTest(cfg, tc);
      assert.ok(r.passed, `${name}: ${tc.name}: ${r.error ?? JSON.stringify(r.outputs.flatMap((o) => o.failures))}`);
    }
  }
});

test('build context: the transform builds through the definition with the config directory, and loads at start', async () => {
  const ctx = { ...testBuildContext(), configDir: dir };
  const rt = (await def.build(checkConfig(def, { databases: ['GeoLite2-ASN.mmdb'] }) as never, ctx)) as GeoipRuntime;
  try {
    assert.throws(() => rt.databases(), /not loaded/, 'build() loads nothing: `sluice validate` builds without starting');
    await rt.start();
    assert.equal(rt.databases()[0]!.databaseType, 'GeoLite2-ASN');
  } finally { rt.stop(); }
});
