import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Event } from '../../../core/event.js';
import { buildTransform, checkConfig, quietLog, runTransform } from '../../../engine/testing.js';
import { Registry } from '../../../engine/registry.js';
import { validateConfig } from '../../../engine/config/index.js';
import { runUnitTest } from '../../../engine/unit-tests.js';
import { loadSchema } from '../../../ocsf/schema.js';
import { validate } from '../../../ocsf/validate.js';
import { definitions } from '../../registry.js';
import def, { createThreatIntel, type ThreatIntelConfig, type ThreatIntelRuntime } from './index.js';

const src = fileURLToPath(new URL('.', import.meta.url)).replace(/\/(?:dist|\.build\/[^/]+)\/src\//, '/src/');

function feedFile(text: string, name = 'feed.txt'): string {
  const p = join(mkdtempSync(join(tmpdir(), 'sluice-ti-')), name);
  writeFileSync(p, text);
  return p;
}

async function build(raw: Record<string, unknown>): Promise<ThreatIntelRuntime> {
  return (await buildTransform(def, raw)) as ThreatIntelRuntime;
}

/** A minimal OCSF Network Activity event. */
function netEvent(src: string, dst: string, extra: Record<string, unknown> = {}): Event {
  return {
    class_uid: 4001, category_uid: 4, activity_id: 6, type_uid: 400106, severity_id: 1, time: 1732356000000,
    metadata: { version: '1.8.0', product: { name: 'test', vendor_name: 'sluice' } },
    src_endpoint: { ip: src }, dst_endpoint: { ip: dst }, ...extra,
  };
}

const BLOCKLIST = [
  '198.51.100.7',
  '203.0.113.0/24',
  '203.0.113.128/25',
  '2001:db8:bad::/48',
  'evil.example',
  'http://dl.example.net/payload.exe',
  'cdn.example.org/kit/',
  '44d88612fea8a8f36de82e1278abb02f',
].join('\n');

test('an IP hit: an OCSF enrichment entry, an observable with a reputation, and the event still valid OCSF', async () => {
  const rt = await build({ feeds: { blocklist: { path: feedFile(BLOCKLIST), confidence: 90, description: 'Known bad', tags: ['c2'] } } });
  const { main, outputs } = await runTransform(rt, [netEvent('10.0.0.5', '198.51.100.7'), netEvent('10.0.0.5', '192.0.2.1')]);
  assert.equal(main.length, 2);
  const [hit, miss] = main as [Event, Event];
  const enr = hit.enrichments as Record<string, unknown>[];
  assert.equal(enr.length, 1);
  assert.equal(typeof enr[0]!.created_time, 'number');
  const { created_time: _, ...rest } = enr[0]!;
  const reputation = { base_score: 90, score_id: 10, score: 'Malicious', provider: 'blocklist' };
  assert.deepEqual(rest, {
    name: 'dst_endpoint.ip', value: '198.51.100.7', type: 'threat_intel', provider: 'blocklist',
    data: { indicator: '198.51.100.7', indicator_type: 'ipv4', feed: 'blocklist', match: 'exact', confidence: 90, description: 'Known bad', tags: ['c2'] },
    reputation,
  });
  assert.deepEqual(hit.observables, [{ name: 'dst_endpoint.ip', type_id: 2, value: '198.51.100.7', reputation }]);
  assert.equal(miss.enrichments, undefined);
  assert.equal(miss.observables, undefined);
  const errors = validate(loadSchema(), hit).filter((v) => v.level === 'error');
  assert.deepEqual(errors, []);
  assert.equal(outputs.get('matches')?.length, 1, 'route: copy by default');
  rt.stop();
});

test('networks: the innermost CIDR of a feed, IPv4 and IPv6; IPv4-mapped IPv6 counts as IPv4', async () => {
  const rt = await build({ feeds: { blocklist: { path: feedFile(BLOCKLIST) } }, route: 'none' });
  const { main } = await runTransform(rt, [
    netEvent('203.0.113.200', '192.0.2.1'),
    netEvent('203.0.113.5', '192.0.2.1'),
    netEvent('2001:DB8:BAD:1::5', '192.0.2.1'),
    netEvent('::ffff:198.51.100.7', '192.0.2.1'),
    netEvent('2001:db8:bae::1', '203.0.112.255'),
  ]);
  const data = (e: Event) => ((e.enrichments as { data: Record<string, unknown> }[] | undefined) ?? []).map((x) => [x.data.indicator, x.data.match]);
  assert.deepEqual(data(main[0]!), [['203.0.113.128/25', 'cidr']]);
  assert.deepEqual(data(main[1]!), [['203.0.113.0/24', 'cidr']]);
  assert.deepEqual(data(main[2]!), [['2001:db8:bad::/48', 'cidr']]);
  assert.deepEqual(data(main[3]!), [['198.51.100.7', 'exact']]);
  assert.deepEqual(data(main[4]!), []);
  rt.stop();
});

test('domains: the domain and its parents, ignoring case and a trailing dot; not a mere suffix', async () => {
  const rt = await build({ feeds: { blocklist: { path: feedFile(BLOCKLIST) } }, route: 'none' });
  const host = (h: string): Event => ({ query: { hostname: h } });
  const { main } = await runTransform(rt, ['evil.example', 'A.B.Evil.Example.', 'notevil.example', 'example', 'evil.example.com'].map(host));
  const got = main.map((e) => ((e.enrichments as { data: Record<string, unknown> }[] | undefined) ?? []).map((x) => `${x.data.indicator} ${x.data.match}`));
  assert.deepEqual(got, [['evil.example exact'], ['evil.example parent_domain'], [], [], []]);
  assert.equal((main[1]!.observables as { type_id: number }[])[0]!.type_id, 1, 'Hostname');
  rt.stop();
});

test('domains outside ASCII: Unicode names match as written (case folding is ASCII only)', async () => {
  const rt = await build({ feeds: { idn: { path: feedFile('пример.рф\nbücher.example\nxn--e1afmkfd.xn--p1ai\n') } }, route: 'none' });
  const host = (h: string): Event => ({ dst_endpoint: { hostname: h } });
  const { main } = await runTransform(rt, ['mail.пример.рф', 'WWW.bücher.example', 'shop.xn--e1afmkfd.xn--p1ai', 'другой.рф'].map(host));
  const got = main.map((e) => ((e.enrichments as { data: Record<string, unknown> }[] | undefined) ?? []).map((x) => x.data.indicator));
  assert.deepEqual(got, [['пример.рф'], ['bücher.example'], ['xn--e1afmkfd.xn--p1ai'], []]);
  rt.stop();
});

test('per-indicator details from the feed reach the enrichment data', async () => {
  const path = feedFile([
    'value,type,first,last,until,conf,sev,threat,tags',
    '198.51.100.9,ip,2024-12-01T00:00:00Z,2024-12-20T00:00:00Z,2099-01-01T00:00:00Z,75,high,Cobalt Strike,c2;cobaltstrike',
  ].join('\n'), 'iocs.csv');
  const rt = await build({
    feeds: { csv: { path, format: 'csv', reputation: 'probably_malicious', csv: { type: 'type', first_seen: 'first', last_seen: 'last', expires: 'until', confidence: 'conf', severity: 'sev', description: 'threat', tags: 'tags' } } },
    route: 'none',
  });
  const { main } = await runTransform(rt, [netEvent('10.0.0.1', '198.51.100.9')]);
  const enr = (main[0]!.enrichments as Record<string, unknown>[])[0]!;
  assert.deepEqual(enr.data, {
    indicator: '198.51.100.9', indicator_type: 'ipv4', feed: 'csv', match: 'exact', confidence: 75, severity: 'high', description: 'Cobalt Strike',
    tags: ['c2', 'cobaltstrike'], first_seen: Date.parse('2024-12-01T00:00:00Z'), last_seen: Date.parse('2024-12-20T00:00:00Z'), expires: Date.parse('2099-01-01T00:00:00Z'),
  });
  assert.deepEqual(enr.reputation, { base_score: 75, score_id: 9, score: 'Probably Malicious', provider: 'csv' });
  rt.stop();
});

test('URLs: normalised, then without the query, then by host; paths keep their case', async () => {
  const rt = await build({ feeds: { blocklist: { path: feedFile(BLOCKLIST) } }, route: 'none' });
  const url = (u: string): Event => ({ http_request: { url: { url_string: u } } });
  const { main } = await runTransform(rt, [
    'HTTPS://DL.Example.NET:443/payload.exe#top',
    'http://dl.example.net/payload.exe?session=1',
    'https://user:pw@cdn.example.org:443/kit/',
    'http://www.evil.example/index.html',
    'http://dl.example.net/PAYLOAD.exe',
    'http://198.51.100.7:8080/x',
  ].map(url));
  const got = main.map((e) => ((e.enrichments as { data: Record<string, unknown> }[] | undefined) ?? []).map((x) => `${x.data.indicator} ${x.data.indicator_type} ${x.data.match}`));
  assert.deepEqual(got, [
    ['dl.example.net/payload.exe url exact'],
    ['dl.example.net/payload.exe url url_without_query'],
    ['cdn.example.org/kit/ url exact'],
    ['evil.example domain url_host'],
    [],
    ['198.51.100.7 ipv4 url_host'],
  ]);
  assert.deepEqual((main[0]!.observables as Record<string, unknown>[]).map((o) => [o.name, o.type_id, o.value]), [['http_request.url.url_string', 6, 'HTTPS://DL.Example.NET:443/payload.exe#top']]);
  rt.stop();
});

test('hashes in lists of objects, in any case, named by their index', async () => {
  const rt = await build({ feeds: { blocklist: { path: feedFile(BLOCKLIST) } }, route: 'none' });
  const { main } = await runTransform(rt, [{
    file: { name: 'eicar.com', hashes: [{ algorithm_id: 2, value: 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709' }, { algorithm_id: 1, value: '44D88612FEA8A8F36DE82E1278ABB02F' }] },
  }]);
  const enr = main[0]!.enrichments as Record<string, unknown>[];
  assert.deepEqual(enr.map((x) => [x.name, x.value, (x.data as Record<string, unknown>).indicator_type]), [['file.hashes[1].value', '44D88612FEA8A8F36DE82E1278ABB02F', 'md5']]);
  assert.equal((main[0]!.observables as { type_id: number }[])[0]!.type_id, 8, 'Hash');
  rt.stop();
});

test('observables: their values are looked up by type; a hit sets their reputation, keeping the strongest', async () => {
  const rt = await build({
    feeds: [
      { name: 'suspicious', path: feedFile('evil.example\n198.51.100.7\n'), reputation: 'suspicious', confidence: 40 },
      { name: 'malicious', path: feedFile('198.51.100.7\n'), confidence: 95 },
    ],
    fields: [],
    route: 'none',
  });
  const { main } = await runTransform(rt, [{
    observables: [
      { name: 'actor.user.name', type_id: 4, value: 'evil.example' },
      { name: 'dst_endpoint.ip', type_id: 2, value: '198.51.100.7' },
      { name: 'dst_endpoint.hostname', type_id: 1, value: 'evil.example' },
    ],
  }]);
  const e = main[0]!;
  const obs = e.observables as Record<string, unknown>[];
  assert.equal(obs.length, 3, 'no observable added: the event had them');
  assert.equal(obs[0]!.reputation, undefined, 'a user name is not a domain, even when it looks like one');
  assert.deepEqual(obs[1]!.reputation, { base_score: 95, score_id: 10, score: 'Malicious', provider: 'malicious' });
  assert.deepEqual(obs[2]!.reputation, { base_score: 40, score_id: 7, score: 'Suspicious/Risky', provider: 'suspicious' });
  assert.deepEqual((e.enrichments as Record<string, unknown>[]).map((x) => `${x.name} ${x.provider}`), [
    'dst_endpoint.ip suspicious', 'dst_endpoint.ip malicious', 'dst_endpoint.hostname suspicious',
  ]);
  rt.stop();
});

test('route: copy, divert, none', async () => {
  const path = feedFile(BLOCKLIST);
  const events = () => [netEvent('10.0.0.1', '198.51.100.7'), netEvent('10.0.0.1', '192.0.2.1')];
  for (const [route, main, matches] of [['copy', 2, 1], ['divert', 1, 1], ['none', 2, 0]] as const) {
    const rt = await build({ feeds: { b: { path } }, route });
    const r = await runTransform(rt, events());
    assert.equal(r.main.length, main, route);
    assert.equal(r.outputs.get('matches')?.length ?? 0, matches, route);
    if (route === 'copy') {
      assert.notEqual(r.outputs.get('matches')![0], r.main[0], 'a copy, not the same object');
      assert.deepEqual(r.outputs.get('matches')![0], r.main[0]);
    }
    rt.stop();
  }
});

test('expiry: an indicator stops matching once it expires, checked at lookup time', async () => {
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const path = feedFile('value,expires\n198.51.100.1,2025-01-02T00:00:00Z\n198.51.100.2,\n', 'iocs.csv');
  const cfg = checkConfig(def, { feeds: { b: { path, format: 'csv', csv: { expires: 'expires' } } }, route: 'none' }) as ThreatIntelConfig;
  const rt = createThreatIntel(cfg, { id: 'ti', configDir: process.cwd(), log: quietLog }, () => clock);
  const hits = async () => (await runTransform(rt, [netEvent('198.51.100.1', '198.51.100.2')])).main[0]!.enrichments as { value: string; data: Record<string, unknown> }[];
  const before = await hits();
  assert.deepEqual(before.map((x) => x.value), ['198.51.100.1', '198.51.100.2']);
  assert.equal(before[0]!.data.expires, Date.parse('2025-01-02T00:00:00Z'));
  clock = Date.parse('2025-01-03T00:00:00Z');
  assert.deepEqual((await hits()).map((x) => x.value), ['198.51.100.2']);
  rt.stop();
});

test('refresh over HTTP: ETag answers 304 without a reload; a changed feed swaps; a failed refresh keeps the old indicators', async () => {
  let body = '198.51.100.1\n';
  let etag = '"v1"';
  let status = 200;
  let requests = 0, notModified = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    if (status !== 200) { res.writeHead(status); res.end('oops'); return; }
    if (req.headers['if-none-match'] === etag) { notModified++; res.writeHead(304); res.end(); return; }
    res.writeHead(200, { etag, 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.txt`;
  try {
    const rt = await build({ feeds: { remote: { url } }, route: 'none' });
    const ips = async () => ((await runTransform(rt, [netEvent('198.51.100.1', '198.51.100.2')])).main[0]!.enrichments as { value: string; src_url?: string }[] | undefined ?? []);
    const first = await ips();
    assert.deepEqual(first.map((x) => x.value), ['198.51.100.1']);
    assert.equal(first[0]!.src_url, url, 'the feed URL, as OCSF src_url');

    await rt.refresh();
    assert.equal(notModified, 1);
    assert.equal(rt.counters()['threat_intel_loads.remote'], 1, 'a 304 is not a reload');

    body = '198.51.100.2\n';
    etag = '"v2"';
    await rt.refresh();
    assert.equal(rt.counters()['threat_intel_loads.remote'], 2);
    assert.deepEqual((await ips()).map((x) => x.value), ['198.51.100.2'], 'the new feed replaced the old');

    status = 503;
    await rt.refresh();
    assert.deepEqual((await ips()).map((x) => x.value), ['198.51.100.2'], 'the indicators loaded before still match');
    status = 200;
    body = '<html><body>maintenance</body></html>\n';
    etag = '"v3"';
    await rt.refresh();
    assert.deepEqual((await ips()).map((x) => x.value), ['198.51.100.2'], 'a page with no indicators is a failed reload');
    assert.equal(rt.enrichment().providers.get('remote')!.failures, 2);
    assert.equal(rt.counters()['threat_intel_reload_failures.remote'], 2);
    assert.equal(requests, 5);
    rt.stop();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a changed feed file reloads', async () => {
  const path = feedFile('198.51.100.1\n');
  const rt = await build({ feeds: { local: { path } }, route: 'none' });
  const ips = async () => ((await runTransform(rt, [netEvent('198.51.100.1', '198.51.100.2')])).main[0]!.enrichments as { value: string }[] | undefined ?? []).map((x) => x.value);
  assert.deepEqual(await ips(), ['198.51.100.1']);
  writeFileSync(path, '198.51.100.2\n# a longer file, so its size changes too\n');
  await rt.refresh('local');
  assert.deepEqual(await ips(), ['198.51.100.2']);
  rt.stop();
});

test('a feed that cannot be loaded fails the start with its name; a later start (or batch) tries again', async () => {
  let clock = 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ti-'));
  const path = join(dir, 'later.txt');
  const cfg = checkConfig(def, { feeds: { ok: { path: feedFile('192.0.2.1\n') }, later: { path } } }) as ThreatIntelConfig;
  const rt = createThreatIntel(cfg, { id: 'ti', configDir: process.cwd(), log: quietLog }, () => clock);
  await assert.rejects(rt.start(), /^Error: threat intel feed later could not be loaded: cannot read .*later\.txt: ENOENT$/);
  writeFileSync(path, '198.51.100.1\n');
  await assert.rejects(runTransform(rt, [netEvent('198.51.100.1', '198.51.100.2')]), /ENOENT/, 'not retried within a second');
  clock += 1500;
  const { main } = await runTransform(rt, [netEvent('198.51.100.1', '198.51.100.2')]);
  assert.equal((main[0]!.enrichments as unknown[]).length, 1);
  assert.equal(rt.enrichment().providers.get('later')!.failures, 1);
  assert.equal(rt.counters()['threat_intel_loads.ok'], 1, 'the feed that loaded the first time was not loaded again');
  rt.stop();
});

test('metrics: hits, misses and skipped per feed, latency, and counters per feed', async () => {
  const rt = await build({
    feeds: {
      ips: { path: feedFile('198.51.100.7\n10.0.0.0/8 internal\nnot-valid!\n') },
      stix: { path: join(src, 'testdata', 'stix-bundle.json'), format: 'stix' },
    },
  });
  await runTransform(rt, [
    netEvent('10.1.2.3', '198.51.100.7', { src_endpoint: { ip: '10.1.2.3', hostname: 'WORKSTATION' } }),
    netEvent('192.0.2.1', '192.0.2.2'),
  ]);
  const st = rt.enrichment().toJSON();
  // Four addresses looked up; WORKSTATION is no IP, domain, URL or hash.
  assert.deepEqual({ ...st.ips, latency_seconds_avg: null }, { hits: 2, misses: 2, failures: 0, skipped: 1, latency_seconds_avg: null });
  assert.deepEqual({ ...st.stix, latency_seconds_avg: null }, { hits: 1, misses: 3, failures: 0, skipped: 1, latency_seconds_avg: null });
  assert.ok(st.ips!.latency_seconds_avg! > 0);
  assert.equal(rt.enrichment().providers.get('ips')!.latency.count, 4);
  const c = rt.counters();
  assert.equal(c['threat_intel_indicators.ips'], 2);
  assert.equal(c['threat_intel_invalid.ips'], 1);
  assert.equal(c['threat_intel_indicators.stix'], 12);
  assert.equal(c['threat_intel_unsupported.stix'], 4);
  assert.equal(c['threat_intel_skipped.stix'], 1);
  assert.equal(c['threat_intel_events.matched'], 1);
  rt.stop();
});

test('an `enrichments` field that is not a list is left alone (and counted); the observable still gets the reputation', async () => {
  const rt = await build({ feeds: { b: { path: feedFile('198.51.100.7\n') } }, route: 'none' });
  const { main } = await runTransform(rt, [netEvent('10.0.0.1', '198.51.100.7', { enrichments: 'legacy' })]);
  assert.equal(main[0]!.enrichments, 'legacy');
  assert.equal((main[0]!.observables as unknown[]).length, 1);
  assert.equal(rt.counters()['threat_intel_events.enrichments_not_a_list'], 1);
  rt.stop();
});

test('config: feeds as a map or a list, with problems reported at the feed', () => {
  const ok = checkConfig(def, { feeds: [{ name: 'a', path: 'a.txt' }, { name: 'b', url: 'https://example.com/b.txt', format: 'stix' }] });
  assert.deepEqual((ok.feeds as { name: string }[]).map((f) => f.name), ['a', 'b']);
  assert.throws(() => checkConfig(def, { feeds: { a: { path: 'a.txt', url: 'https://example.com/a' } } }), /feeds\.a: set either `path` or `url`, not both/);
  assert.throws(() => checkConfig(def, { feeds: { a: { format: 'list' } } }), /feeds\.a: set `path` \(a file\) or `url`/);
  assert.throws(() => checkConfig(def, { feeds: { a: { path: 'a.txt', csv: { value: 'ip' } } } }), /feeds\.a\.csv: `csv` options apply to `format: csv` only/);
  assert.throws(() => checkConfig(def, { feeds: [{ path: 'a.txt' }] }), /feeds\.0: missing required field `name`/);
  assert.throws(() => checkConfig(def, { feeds: [{ name: 'a', path: 'a.txt' }, { name: 'a', path: 'b.txt' }] }), /two feeds named "a"/);
  assert.throws(() => checkConfig(def, { feeds: { a: { path: 'a.txt', fromat: 'csv' } } }), /unknown option `fromat` \(did you mean `format`\?\)/);
  assert.throws(() => checkConfig(def, { feeds: { a: { path: 'a.txt' } }, fields: ['a[*].b[*].c'] }), /more than one \[\*\]/);
  assert.throws(() => checkConfig(def, { feeds: {} }), /no feeds/);
});

test('build() has no side effects: nothing is read, fetched or scheduled until the first batch', async () => {
  const kinds = new Set(['TCPWrap', 'TCPConnectWrap', 'Timeout', 'FSReqCallback', 'FSReqPromise', 'FileHandle', 'FSEventWrap', 'StatWatcher', 'GetAddrInfoReqWrap']);
  const active = () => process.getActiveResourcesInfo().filter((r) => kinds.has(r)).sort();
  const before = active();
  const rt = (await def.build(checkConfig(def, { feeds: { a: { path: '/nonexistent/feed.txt' }, b: { url: 'http://127.0.0.1:9/feed.txt', refresh_interval: '1s' } } }) as never, { id: 'ti', dataDir: tmpdir(), globalDataDir: tmpdir(), configDir: process.cwd(), log: quietLog })) as ThreatIntelRuntime;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(active(), before);
  rt.stop();
});

test('the example pipeline passes its own tests', async () => {
  // The generic example test covers this once the transform is registered; until then, here.
  const registry = new Registry([...definitions.filter((d) => !(d.kind === 'transform' && d.type === 'threat_intel')), def]);
  const cfg = validateConfig([join(src, 'examples', 'threat-feed.yaml')], registry, { env: {} });
  assert.ok(cfg.tests.length > 0);
  for (const tc of cfg.tests) {
    const r = await runUnitTest(cfg, tc);
    const why = r.error ?? [...r.outputs.flatMap((o) => o.failures), ...r.unexpected.map((u) => `unexpected output from ${u.output}`)].join('; ');
    assert.ok(r.passed, `${tc.name}: ${why}`);
  }
});
