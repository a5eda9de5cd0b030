/**
 * `http_enrich` against a local provider that answers, refuses, breaks and hangs on purpose.
 * Time that matters (TTLs, the rate limit, the breaker, backoff) runs on a fake clock; only
 * request timeouts use real time, and they are short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Event } from '../../../core/event.js';
import { ComponentConfigError, type Logger } from '../../../core/component.js';
import { redact } from '../../../core/schema.js';
import { checkConfig, quietLog, runTransform } from '../../../engine/testing.js';
import def, { createHttpEnrich, type HttpEnrichConfig } from './index.js';
import type { Clock } from './clock.js';

// ---- the provider -------------------------------------------------------------------------------

interface Provider {
  url: string;
  /** Requests received, in total and by key. */
  requests: number;
  byKey: Map<string, number>;
  inFlight: number;
  maxInFlight: number;
  connections: number;
  /** `start <key>` and `end <key>` as requests arrive and finish. */
  timeline: string[];
  /** `down`: every request gets a 500. */
  mode: 'up' | 'down';
  /** Delay before answering an `ok` key, in ms. */
  delayMs: number;
  last: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string } | null;
  close(): Promise<void>;
}

/**
 * Keys choose the answer: `missing*` 404, `err*` 500, `hang*` never answers, `big*` 2 MB,
 * `notjson*` text, `empty*` 204, anything else 200 with `{ data: { ip, score, tags } }`.
 */
async function provider(): Promise<Provider> {
  const p: Provider = { url: '', requests: 0, byKey: new Map(), inFlight: 0, maxInFlight: 0, connections: 0, timeline: [], mode: 'up', delayMs: 0, last: null, close: async () => {} };
  const server = http.createServer((req, res) => {
    p.requests++;
    p.inFlight++;
    p.maxInFlight = Math.max(p.maxInFlight, p.inFlight);
    res.on('close', () => { p.inFlight--; });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      p.last = { method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString() };
      const u = new URL(path, 'http://provider');
      const key = u.searchParams.get('ip') ?? decodeURIComponent(u.pathname.slice(u.pathname.lastIndexOf('/') + 1));
      p.byKey.set(key, (p.byKey.get(key) ?? 0) + 1);
      p.timeline.push(`start ${key}`);
      res.on('finish', () => p.timeline.push(`end ${key}`));
      const json = (status: number, v: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(v)); };
      if (p.mode === 'down') return json(500, { error: 'upstream exploded' });
      if (key.startsWith('hang')) return; // never answers
      if (key.startsWith('missing')) return json(404, { error: 'not found' });
      if (key.startsWith('err')) return json(500, { error: 'boom' });
      if (key.startsWith('denied')) return json(403, { error: 'key not allowed' });
      if (key.startsWith('big')) return json(200, { data: { blob: 'x'.repeat(2 * 1024 * 1024) } });
      if (key.startsWith('notjson')) { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello'); return; }
      if (key.startsWith('empty')) { res.writeHead(204); res.end(); return; }
      const answer = () => json(200, { data: { ip: key, score: key.length, tags: ['scanner'] }, meta: { plan: 'free' } });
      if (p.delayMs > 0) setTimeout(answer, p.delayMs); else answer();
    });
  });
  server.on('connection', () => { p.connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  p.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return p;
}

/** A clock that moves only when the transform sleeps (or a test says so); sleeping yields to real I/O. */
class FakeClock implements Clock {
  t = Date.parse('2024-11-23T10:00:00Z');
  slept: number[] = [];
  now() { return this.t; }
  async sleep(ms: number, signal: AbortSignal) {
    this.slept.push(ms);
    this.t += ms;
    await new Promise<void>((r) => {
      const timer = setTimeout(done, 2);
      function done() { clearTimeout(timer); signal.removeEventListener('abort', done); r(); }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string) => { lines.push(`${level}: ${msg}`); };
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

function make(p: Provider, raw: Record<string, unknown>, opts: { clock?: Clock; log?: Logger } = {}) {
  const cfg = checkConfig(def, { key: 'src_endpoint.ip', url: `${p.url}/v1/ip/{{ key }}`, ...raw }) as unknown as HttpEnrichConfig;
  return createHttpEnrich(cfg, { id: 'iprep', configDir: process.cwd(), log: opts.log ?? quietLog }, opts.clock ?? new FakeClock());
}

const ev = (ip: string | null, i = 0): Event => (ip === null ? { i } : { i, src_endpoint: { ip } });
const entry = (e: Event) => (e.enrichments as Record<string, any>[] | undefined)?.at(-1);
const status = (e: Event) => entry(e)?.data.status as string | undefined;

async function withProvider(fn: (p: Provider) => Promise<void>) {
  const p = await provider();
  try { await fn(p); } finally { await p.close(); }
}

// ---- answers ------------------------------------------------------------------------------------

test('a found key: an OCSF enrichments entry with the selected answer, and mapped fields', () => withProvider(async (p) => {
  const rt = make(p, {
    provider: 'iprep', headers: { Authorization: 'Bearer s3cret', 'X-Lookup': '{{ key }}' },
    response: { select: 'data', mappings: { score: 'src_endpoint.reputation.base_score', 'tags[0]': 'src_endpoint.label' } },
  });
  try {
    const r = await runTransform(rt, [{ ...ev('203.0.113.7'), enrichments: [{ name: 'earlier', value: 'x', type: 'lookup', provider: 't', data: {} }] }]);
    const e = r.main[0]!;
    assert.equal((e.enrichments as unknown[]).length, 2, 'appended after the entries already there');
    const en = entry(e)!;
    assert.deepEqual({ ...en, created_time: typeof en.created_time }, {
      name: 'src_endpoint.ip', value: '203.0.113.7', type: 'http', provider: 'iprep', created_time: 'number',
      data: { status: 'ok', http_status: 200 },
    });
    assert.deepEqual(e.src_endpoint, { ip: '203.0.113.7', reputation: { base_score: 11 }, label: 'scanner' });
    assert.equal(p.last!.path, '/v1/ip/203.0.113.7');
    assert.equal(p.last!.headers.authorization, 'Bearer s3cret');
    assert.equal(p.last!.headers['x-lookup'], '203.0.113.7');
    assert.equal(p.last!.headers['user-agent'], 'sluice');
    assert.equal(rt.enrichment().providers.get('iprep')!.hits, 1);
  } finally { rt.stop(); }
}));

test('without target or mappings the selected answer is the entry\'s data.response; with target it goes there', () => withProvider(async (p) => {
  const a = make(p, { response: { select: 'data' } });
  const b = make(p, { response: { select: 'data.tags', target: 'threat.tags' } });
  try {
    const ea = (await runTransform(a, [ev('198.51.100.1')])).main[0]!;
    assert.deepEqual(entry(ea)!.data, { status: 'ok', http_status: 200, response: { ip: '198.51.100.1', score: 12, tags: ['scanner'] } });
    assert.equal(entry(ea)!.provider, p.url.slice('http://'.length), 'the provider defaults to the URL host');
    const eb = (await runTransform(b, [ev('198.51.100.1')])).main[0]!;
    assert.deepEqual(eb.threat, { tags: ['scanner'] });
    assert.equal(entry(eb)!.data.response, undefined);
  } finally { a.stop(); b.stop(); }
}));

test('events from the cache get their own copies: editing one does not change the others or the cache', () => withProvider(async (p) => {
  const rt = make(p, { response: { select: 'data' } });
  try {
    const r1 = await runTransform(rt, [ev('192.0.2.1', 1), ev('192.0.2.1', 2)]);
    (entry(r1.main[0]!)!.data.response as Record<string, unknown>).score = 'edited';
    assert.equal(entry(r1.main[1]!)!.data.response.score, 9);
    const r2 = await runTransform(rt, [ev('192.0.2.1', 3)]);
    assert.equal(entry(r2.main[0]!)!.data.response.score, 9);
  } finally { rt.stop(); }
}));

test('POST: the key goes into the JSON body escaped, so it cannot change the JSON', () => withProvider(async (p) => {
  const rt = make(p, { url: `${p.url}/v1/query`, method: 'post', body: { query: { ip: '{{ key }}', note: 'key={{ key }}' } }, response: { select: 'data' } });
  try {
    const key = 'a"b\\c}{{';
    await runTransform(rt, [ev(key)]);
    assert.equal(p.last!.method, 'POST');
    assert.equal(p.last!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(p.last!.body), { query: { ip: key, note: `key=${key}` } });
  } finally { rt.stop(); }
}));

test('the key is percent-encoded in the URL: it cannot add path segments, a query or a parent directory', () => withProvider(async (p) => {
  const rt = make(p, {});
  try {
    await runTransform(rt, [ev('a/b?c=d#e')]);
    assert.equal(p.last!.path, '/v1/ip/a%2Fb%3Fc%3Dd%23e');
    await runTransform(rt, [ev('..')]);
    assert.equal(p.last!.path, '/v1/ip/%2E%2E');
  } finally { rt.stop(); }
}));

test('events without the key pass unchanged and are counted', () => withProvider(async (p) => {
  const rt = make(p, {});
  try {
    const r = await runTransform(rt, [ev(null, 1), { i: 2, src_endpoint: { ip: null } }, ev('', 3)]);
    assert.deepEqual(r.main, [{ i: 1 }, { i: 2, src_endpoint: { ip: null } }, { i: 3, src_endpoint: { ip: '' } }]);
    assert.equal(p.requests, 0);
    assert.equal(rt.counters().missing_key, 3);
  } finally { rt.stop(); }
}));

// ---- cache --------------------------------------------------------------------------------------

test('cache: a cached key costs no request; answers expire after ttl', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const rt = make(p, { cache: { ttl: '10m' } }, { clock });
  try {
    await runTransform(rt, [ev('192.0.2.10')]);
    const r = await runTransform(rt, [ev('192.0.2.10'), ev('192.0.2.10')]);
    assert.equal(p.requests, 1, 'the second batch is answered from the cache');
    assert.deepEqual(r.main.map(status), ['ok', 'ok']);
    assert.equal(rt.counters()['cache.hits'], 2);
    assert.equal(rt.enrichment().providers.get(p.url.slice(7))!.hits, 3, 'every event counts once, cache hits included');
    clock.t += 9 * 60_000;
    await runTransform(rt, [ev('192.0.2.10')]);
    assert.equal(p.requests, 1);
    clock.t += 2 * 60_000;
    await runTransform(rt, [ev('192.0.2.10')]);
    assert.equal(p.requests, 2, 'asked again once the ttl has passed');
  } finally { rt.stop(); }
}));

test('negative caching: a 404 is not_found, cached for negative_ttl, and counted as a miss', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const rt = make(p, { cache: { ttl: '1h', negative_ttl: '1m' } }, { clock });
  try {
    const r1 = await runTransform(rt, [ev('missing-1')]);
    assert.equal(status(r1.main[0]!), 'not_found');
    assert.equal(entry(r1.main[0]!)!.data.http_status, 404);
    await runTransform(rt, [ev('missing-1')]);
    assert.equal(p.requests, 1, 'the "not found" is reused');
    clock.t += 61_000;
    await runTransform(rt, [ev('missing-1')]);
    assert.equal(p.requests, 2, 'and asked again after negative_ttl');
    const s = rt.enrichment().providers.get(p.url.slice(7))!;
    assert.deepEqual([s.hits, s.misses, s.failures], [0, 3, 0]);
  } finally { rt.stop(); }
}));

test('a 2xx without the selected part, or empty, is not_found; a refusal (403) or a non-JSON answer is failed and cached', () => withProvider(async (p) => {
  const rt = make(p, { response: { select: 'data.nothing_here' } });
  try {
    const r = await runTransform(rt, [ev('192.0.2.20'), ev('empty-1'), ev('denied-1'), ev('notjson-1')]);
    assert.deepEqual(r.main.map(status), ['not_found', 'not_found', 'failed', 'failed']);
    assert.match(entry(r.main[2]!)!.data.reason, /HTTP 403.*key not allowed/);
    assert.match(entry(r.main[3]!)!.data.reason, /not JSON/);
    await runTransform(rt, [ev('denied-1'), ev('notjson-1')]);
    assert.equal(p.requests, 4, 'refusals are not asked again within negative_ttl');
  } finally { rt.stop(); }
}));

test('the cache holds at most max_entries keys, least recently used out first', () => withProvider(async (p) => {
  const rt = make(p, { cache: { max_entries: 2 } });
  try {
    await runTransform(rt, [ev('k1'), ev('k2')]);
    await runTransform(rt, [ev('k1')]); // k1 is now the most recently used
    await runTransform(rt, [ev('k3')]); // evicts k2
    assert.equal(rt.cacheSize, 2);
    const before = p.requests;
    await runTransform(rt, [ev('k1'), ev('k3')]);
    assert.equal(p.requests, before, 'k1 and k3 are still cached');
    await runTransform(rt, [ev('k2')]);
    assert.equal(p.requests, before + 1);
    assert.ok(rt.counters()['cache.evictions'] >= 1);
  } finally { rt.stop(); }
}));

// ---- coalescing, concurrency, rate limit --------------------------------------------------------

test('identical keys share one request: within a batch and across batches processed at the same time', () => withProvider(async (p) => {
  p.delayMs = 30;
  const rt = make(p, {});
  try {
    const batch = (n: number, base: number) => Array.from({ length: n }, (_, i) => ev(i % 2 ? '192.0.2.1' : '192.0.2.2', base + i));
    const [a, b] = await Promise.all([runTransform(rt, batch(50, 0)), runTransform(rt, batch(50, 100))]);
    assert.equal(p.requests, 2, 'one request per distinct key');
    assert.deepEqual(p.byKey, new Map([['192.0.2.1', 1], ['192.0.2.2', 1]]));
    assert.equal(a.main.length + b.main.length, 100);
    assert.ok(a.main.concat(b.main).every((e) => status(e) === 'ok'));
    assert.equal(rt.counters().coalesced, 98);
  } finally { rt.stop(); }
}));

test('concurrency: never more requests in flight than the cap, over that many keep-alive connections', () => withProvider(async (p) => {
  p.delayMs = 15;
  const rt = make(p, { concurrency: 3 });
  try {
    const r = await runTransform(rt, Array.from({ length: 24 }, (_, i) => ev(`198.51.100.${i}`, i)));
    assert.equal(p.requests, 24);
    assert.ok(p.maxInFlight <= 3, `max in flight ${p.maxInFlight}`);
    assert.ok(p.maxInFlight > 1, 'requests do run in parallel');
    assert.ok(p.connections <= 3, `${p.connections} connections for 24 requests`);
    assert.deepEqual(r.main.map((e) => e.i), Array.from({ length: 24 }, (_, i) => i), 'events leave in order');
  } finally { rt.stop(); }
}));

test('rate limit: lookups that would wait longer than max_wait pass at once as rate_limited; tokens come back with time', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const rt = make(p, { rate_limit: { per_second: 1, burst: 2, max_wait: '0s' } }, { clock });
  try {
    const r = await runTransform(rt, ['a', 'b', 'c', 'd', 'e'].map((k, i) => ev(`10.0.0.${k.charCodeAt(0)}`, i)));
    assert.equal(p.requests, 2);
    assert.deepEqual(r.main.map(status), ['ok', 'ok', 'rate_limited', 'rate_limited', 'rate_limited']);
    assert.equal(rt.counters().rate_limited, 3);
    assert.equal(rt.enrichment().providers.get(p.url.slice(7))!.skipped, 3, 'not looked up on purpose: skipped, not failures');
    clock.t += 1000;
    const r2 = await runTransform(rt, [ev('10.0.1.1'), ev('10.0.1.2')]);
    assert.deepEqual(r2.main.map(status), ['ok', 'rate_limited'], 'one token per second');
    assert.deepEqual(clock.slept, [], 'max_wait 0 never waits');
  } finally { rt.stop(); }
}));

test('rate limit: lookups wait for their turn up to max_wait, spaced at the configured rate', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const rt = make(p, { rate_limit: { per_second: 10, burst: 1, max_wait: '1s' } }, { clock });
  try {
    const start = clock.t;
    const r = await runTransform(rt, Array.from({ length: 5 }, (_, i) => ev(`10.1.0.${i}`, i)));
    assert.deepEqual(r.main.map(status), ['ok', 'ok', 'ok', 'ok', 'ok']);
    // Each of the 2nd..5th requests reserved the next slot, 100 ms after the one before. (This
    // clock moves as each sleep starts, so the waits show as 100 ms each rather than 100..400.)
    assert.deepEqual(clock.slept, [100, 100, 100, 100]);
    assert.equal(clock.t - start, 400);
  } finally { rt.stop(); }
}));

// ---- failures -----------------------------------------------------------------------------------

test('timeouts: a provider that does not answer fails the lookup after `timeout`; the event passes as failed', () => withProvider(async (p) => {
  const rt = make(p, { timeout: '500ms', retry: { attempts: 0 } });
  try {
    const r = await runTransform(rt, [ev('hang-1', 1), ev('192.0.2.5', 2)]);
    assert.deepEqual(r.main.map((e) => [e.i, status(e)]), [[1, 'failed'], [2, 'ok']]);
    assert.match(entry(r.main[0]!)!.data.reason, /^timeout: no answer within 500 ms/);
    assert.equal(entry(r.main[0]!)!.created_time, undefined, 'no answer, no time');
    const s = rt.enrichment().providers.get(p.url.slice(7))!;
    assert.equal(s.latency.count, 2, 'both requests are timed');
    assert.equal(p.requests, 2);
  } finally { rt.stop(); }
}));

test('a failing provider never loses or reorders events: each passes with its status, and the metrics count them', () => withProvider(async (p) => {
  const log = recordingLog();
  const rt = make(p, { timeout: '500ms', retry: { attempts: 1, backoff: '10ms' }, circuit_breaker: { failure_threshold: 0 }, response: { select: 'data' } }, { log });
  try {
    const keys = ['192.0.2.1', 'err-1', 'missing-1', 'hang-1', null, 'err-1', '192.0.2.1', 'big-1'];
    const r = await runTransform(rt, keys.map((k, i) => ev(k, i)));
    assert.deepEqual(r.main.map((e) => e.i), [0, 1, 2, 3, 4, 5, 6, 7], 'every event, in order');
    assert.deepEqual(r.main.map(status), ['ok', 'failed', 'not_found', 'failed', undefined, 'failed', 'ok', 'failed']);
    assert.equal(r.errors.length, 0, 'lookup failures are not event errors');
    assert.equal(entry(r.main[1]!)!.data.reason, 'HTTP 500 Internal Server Error');
    assert.equal(entry(r.main[1]!)!.data.http_status, 500);
    assert.match(entry(r.main[7]!)!.data.reason, /larger than max_response_size/);
    assert.equal(p.byKey.get('err-1'), 2, '5xx is retried once (retry.attempts: 1), for both events together');
    assert.equal(p.byKey.get('hang-1'), 2, 'a timeout is retried too');
    assert.equal(p.byKey.get('missing-1'), 1, 'a 404 is an answer: not retried');
    const s = rt.enrichment().providers.get(p.url.slice(7))!;
    assert.deepEqual({ hits: s.hits, misses: s.misses, failures: s.failures }, { hits: 2, misses: 1, failures: 4 });
    const c = rt.counters();
    assert.equal(c.retries, 2);
    assert.equal(c.missing_key, 1);
    assert.equal(log.lines.filter((l) => l.startsWith('warn: lookup to')).length, 1, 'one log line per outage, not one per request');
  } finally { rt.stop(); }
}));

test('circuit breaker: opens after failure_threshold failures; events pass as circuit_open without requests; a probe closes it', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const log = recordingLog();
  const rt = make(p, { concurrency: 1, retry: { attempts: 0 }, circuit_breaker: { failure_threshold: 3, open_for: '10s' } }, { clock, log });
  try {
    p.mode = 'down';
    const r1 = await runTransform(rt, Array.from({ length: 5 }, (_, i) => ev(`10.2.0.${i}`, i)));
    assert.equal(p.requests, 3, 'the breaker opened after 3 failed requests');
    assert.deepEqual(r1.main.map(status), ['failed', 'failed', 'failed', 'circuit_open', 'circuit_open']);
    assert.equal(rt.breaker.state, 'open');
    assert.equal(rt.counters().breaker_opens, 1);
    assert.ok(log.lines.some((l) => l.startsWith('warn: circuit breaker open')));

    const r2 = await runTransform(rt, [ev('10.2.1.1'), ev('10.2.1.2')]);
    assert.equal(p.requests, 3, 'no request while open');
    assert.deepEqual(r2.main.map(status), ['circuit_open', 'circuit_open']);
    assert.equal(rt.enrichment().providers.get(p.url.slice(7))!.failures, 7);

    clock.t += 10_000;
    p.mode = 'up';
    const r3 = await runTransform(rt, [ev('10.2.2.1'), ev('10.2.2.2')]);
    assert.equal(rt.breaker.state, 'closed', 'the probe succeeded');
    assert.deepEqual(r3.main.map(status), ['ok', 'ok']);
    assert.equal(p.requests, 5);
  } finally { rt.stop(); }
}));

test('circuit breaker: lookups that come while the probe is out wait for its outcome instead of failing', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const rt = make(p, { concurrency: 4, retry: { attempts: 0 }, circuit_breaker: { failure_threshold: 1, open_for: '10s' } }, { clock });
  try {
    p.mode = 'down';
    await runTransform(rt, [ev('10.6.0.1')]);
    assert.equal(rt.breaker.state, 'open');
    clock.t += 10_000;
    p.mode = 'up';
    p.delayMs = 20;
    const r = await runTransform(rt, [ev('10.6.1.1'), ev('10.6.1.2'), ev('10.6.1.3')]);
    assert.deepEqual(r.main.map(status), ['ok', 'ok', 'ok']);
    const phase2 = p.timeline.slice(p.timeline.indexOf('start 10.6.1.1'));
    assert.deepEqual(phase2.slice(0, 2), ['start 10.6.1.1', 'end 10.6.1.1'], 'the probe went alone; the others followed once it succeeded');
  } finally { rt.stop(); }
}));

test('circuit breaker: a failed probe opens it again for twice as long', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const rt = make(p, { concurrency: 1, retry: { attempts: 0 }, circuit_breaker: { failure_threshold: 1, open_for: '10s' } }, { clock });
  try {
    p.mode = 'down';
    await runTransform(rt, [ev('10.3.0.1')]);
    assert.equal(rt.breaker.state, 'open');
    clock.t += 10_000;
    const r = await runTransform(rt, [ev('10.3.0.2')]);
    assert.equal(status(r.main[0]!), 'failed', 'the probe went out and failed');
    assert.equal(rt.breaker.remainingOpenMs, 20_000);
    assert.equal(rt.counters().breaker_opens, 2);
  } finally { rt.stop(); }
}));

test('on_failure: wait holds the batch, retrying, until the provider answers; then every event passes enriched', () => withProvider(async (p) => {
  const clock = new FakeClock();
  const log = recordingLog();
  const rt = make(p, { on_failure: 'wait', retry: { attempts: 0, backoff: '100ms', max_backoff: '2s' }, circuit_breaker: { failure_threshold: 3, open_for: '1s' } }, { clock, log });
  try {
    p.mode = 'down';
    let done = false;
    const run = runTransform(rt, [ev('10.4.0.1', 1), ev('10.4.0.2', 2), ev(null, 3)]).then((r) => { done = true; return r; });
    while (p.requests < 8) await new Promise((r) => setTimeout(r, 5));
    assert.equal(done, false, 'the batch is held while the provider fails');
    assert.ok(rt.counters().breaker_opens >= 1, 'and the breaker spaces the retries out');
    p.mode = 'up';
    const r = await run;
    assert.deepEqual(r.main.map((e) => [e.i, status(e)]), [[1, 'ok'], [2, 'ok'], [3, undefined]]);
    assert.equal(rt.enrichment().providers.get(p.url.slice(7))!.failures, 0, 'the events were enriched in the end: no failure to count');
    assert.ok(log.lines.some((l) => l.includes('on_failure: wait holds the batch')));
    assert.ok(log.lines.some((l) => l.includes('answer again')));
  } finally { rt.stop(); }
}));

test('on_failure: wait ends at stop: the held events pass marked failed, none lost', () => withProvider(async (p) => {
  const rt = make(p, { on_failure: 'wait', retry: { attempts: 0 }, circuit_breaker: { failure_threshold: 0 } });
  try {
    p.mode = 'down';
    const run = runTransform(rt, [ev('10.5.0.1', 1), ev('10.5.0.2', 2)]);
    while (p.requests < 3) await new Promise((r) => setTimeout(r, 5));
    rt.stop();
    const r = await run;
    assert.deepEqual(r.main.map((e) => [e.i, status(e)]), [[1, 'failed'], [2, 'failed']]);
  } finally { rt.stop(); }
}));

test('on_failure: error sends events whose lookup failed to on_error (enrichment_failed); answered ones pass', () => withProvider(async (p) => {
  const rt = make(p, { on_failure: 'error', timeout: '300ms', retry: { attempts: 0 }, circuit_breaker: { failure_threshold: 0 } });
  try {
    const r = await runTransform(rt, [ev('192.0.2.1', 1), ev('err-2', 2), ev('missing-2', 3)]);
    assert.deepEqual(r.main.map((e) => [e.i, status(e)]), [[1, 'ok'], [3, 'not_found']], 'a 404 is an answer, not a failure');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.error_code, 'enrichment_failed');
    assert.match(r.errors[0]!.reason, /^lookup of err-2 at .* failed: HTTP 500/);
    assert.equal((r.errors[0]!.event as Event).i, 2, 'the original event, marked with its status, is kept');
  } finally { rt.stop(); }
}));

test('the pipeline\'s stop signal releases a batch held by on_failure: wait', () => withProvider(async (p) => {
  const stopping = new AbortController();
  const rt = def.build(checkConfig(def, { key: 'src_endpoint.ip', url: `${p.url}/v1/ip/{{ key }}`, on_failure: 'wait', retry: { attempts: 0 }, circuit_breaker: { failure_threshold: 0 } }) as never,
    { id: 'iprep', dataDir: '', globalDataDir: '', configDir: process.cwd(), log: quietLog, stopping: stopping.signal }) as ReturnType<typeof createHttpEnrich>;
  try {
    p.mode = 'down';
    const run = runTransform(rt, [ev('10.6.0.1', 1)]);
    while (p.requests < 2) await new Promise((r) => setTimeout(r, 5));
    stopping.abort();
    const r = await run;
    assert.deepEqual(r.main.map((e) => [e.i, status(e)]), [[1, 'failed']]);
  } finally { rt.stop(); }
}));

// ---- config -------------------------------------------------------------------------------------

test('config: the key may not choose the host; only {{ key }} is a placeholder; body needs post', () => {
  const build = (raw: Record<string, unknown>) => createHttpEnrich(checkConfig(def, { key: 'ip', ...raw }) as unknown as HttpEnrichConfig, { id: 't', configDir: process.cwd(), log: quietLog });
  const fails = (raw: Record<string, unknown>, path: string, msg: RegExp) => {
    assert.throws(() => build(raw), (e: unknown) => e instanceof ComponentConfigError && e.path.join('.') === path && msg.test(e.message));
  };
  fails({ url: 'https://{{ key }}.example.com/x' }, 'url', /only in the URL's path or query/);
  fails({ url: 'https://api.example.com/ip/{{ .src_ip }}' }, 'url', /unsupported placeholder/);
  fails({ url: 'ftp://api.example.com/{{ key }}' }, 'url', /invalid URL/);
  fails({ url: 'https://api.example.com/a b/{{ key }}' }, 'url', /percent-encoded/);
  fails({ url: 'https://api.example.com/{{ key }}', body: { ip: '{{ key }}' } }, 'body', /only with method: post/);
  fails({ url: 'https://api.example.com/q', method: 'post' }, 'body', /needs a `body`/);
  fails({ url: 'https://api.example.com/q', method: 'post', body: 'ip={{ key }}' }, 'body', /map or a list/);
  fails({ url: 'https://api.example.com/{{ key }}', headers: { 'X-K': '{{ nope }}' } }, 'headers.X-K', /unsupported placeholder/);
  fails({ url: 'https://api.example.com/{{ key }}', response: { mappings: { 'a..b': 'x' } } }, 'response.mappings.a..b', /./);
  assert.throws(() => checkConfig(def, { key: 'ip', url: 'https://x/{{ key }}', on_failure: 'stall' }), /expected one of "pass", "wait", "error"/);
  // A valid config builds without any network access.
  build({ url: 'https://user:pw@api.example.com/ip/{{ key }}?fields=all', rate_limit: { per_second: 5 } }).stop();
});

test('config: header values are secrets, redacted wherever config is shown', () => {
  const shown = redact(def.config, { key: 'ip', url: 'https://x/{{ key }}', headers: { Authorization: 'Bearer s3cret' } }) as Record<string, any>;
  assert.equal(shown.headers.Authorization, '**redacted**');
});
