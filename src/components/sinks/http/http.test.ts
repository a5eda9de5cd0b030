import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { SinkRuntime } from '../../../core/component.js';
import { checkConfig, quietLog, testBuildContext } from '../../../engine/testing.js';
import def from './index.js';
import { backoffMs, parseRetryAfter } from './retry.js';

interface Seen { method: string; headers: IncomingMessage['headers']; body: Buffer; text: string }
type Reply = (res: ServerResponse, req: Seen) => void;

/** A real HTTP server answering from a script (the last reply repeats). */
async function server(...script: Reply[]): Promise<{ url: string; seen: Seen[]; close: () => Promise<void>; srv: Server }> {
  const seen: Seen[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      const s: Seen = { method: req.method!, headers: req.headers, body, text };
      seen.push(s);
      (script[Math.min(seen.length - 1, script.length - 1)]!)(res, s);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`, seen, srv,
    close: () => { srv.closeAllConnections(); return new Promise((r) => srv.close(() => r())); },
  };
}

const ok: Reply = (res) => res.writeHead(200).end('ok');
const status = (code: number, body = '', headers: Record<string, string> = {}): Reply => (res) => res.writeHead(code, headers).end(body);

const fast = { initial_backoff: '10ms', max_backoff: '50ms', jitter: 'none' };

async function sink(raw: Record<string, unknown>): Promise<SinkRuntime> {
  return (await def.build(checkConfig(def, raw) as never, testBuildContext())) as SinkRuntime;
}

async function write(rt: SinkRuntime, events: Record<string, unknown>[], signal = new AbortController().signal) {
  const ctx = { id: 'test', signal, log: quietLog };
  try { return await rt.write(events, ctx); } finally { await rt.stop?.(); }
}

const events = [{ msg: 'a', n: 1 }, { msg: 'b', n: 2 }, { msg: 'c', n: 3 }];

test('delivers a batch as NDJSON with POST', async () => {
  const s = await server(ok);
  try {
    const r = await write(await sink({ uri: s.url }), events);
    assert.equal(r, undefined);
    assert.equal(s.seen.length, 1);
    assert.equal(s.seen[0]!.method, 'POST');
    assert.equal(s.seen[0]!.headers['content-type'], 'application/x-ndjson');
    assert.deepEqual(s.seen[0]!.text.split('\n'), [...events.map((e) => JSON.stringify(e)), '']);
  } finally { await s.close(); }
});

test('json_array with PUT, gzip-compressed', async () => {
  const s = await server(ok);
  try {
    await write(await sink({ uri: s.url, method: 'put', encoding: 'json_array', compression: 'gzip' }), events);
    const [req] = s.seen;
    assert.equal(req!.method, 'PUT');
    assert.equal(req!.headers['content-encoding'], 'gzip');
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req!.text), events);
  } finally { await s.close(); }
});

test('500 twice then 200: retried, and each attempt carries the whole batch', async () => {
  const s = await server(status(500, 'oops'), status(502), ok);
  try {
    assert.equal(await write(await sink({ uri: s.url, retry: fast }), events), undefined);
    assert.equal(s.seen.length, 3);
    assert.ok(s.seen.every((x) => x.text === s.seen[0]!.text));
  } finally { await s.close(); }
});

test('429 with Retry-After waits as told instead of the backoff', async () => {
  // Retry-After: 0 with a 10 s backoff: retried at once only if Retry-After is honoured.
  let s = await server(status(429, '', { 'retry-after': '0' }), ok);
  try {
    const t0 = Date.now();
    await write(await sink({ uri: s.url, retry: { initial_backoff: '10s', jitter: 'none' } }), events);
    assert.equal(s.seen.length, 2);
    assert.ok(Date.now() - t0 < 5000);
  } finally { await s.close(); }
  // Retry-After: 1 with a 1 ms backoff: the retry waits about a second.
  s = await server(status(503, '', { 'retry-after': '1' }), ok);
  try {
    const t0 = Date.now();
    await write(await sink({ uri: s.url, retry: { initial_backoff: '1ms', jitter: 'none' } }), events);
    assert.equal(s.seen.length, 2);
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
  } finally { await s.close(); }
});

test('400 is permanent: not retried, the error names the status and the body', async () => {
  const s = await server(status(400, '{"error":"field x is required"}'));
  try {
    await assert.rejects(write(await sink({ uri: s.url, retry: fast }), events), (e: Error) => {
      assert.match(e.message, /HTTP 400/);
      assert.match(e.message, /field x is required/);
      return true;
    });
    assert.equal(s.seen.length, 1);
  } finally { await s.close(); }
});

test('a timeout is retried', async () => {
  const s = await server(() => { /* never answer */ }, ok);
  try {
    await write(await sink({ uri: s.url, timeout: '200ms', retry: fast }), events);
    assert.equal(s.seen.length, 2);
  } finally { await s.close(); }
});

test('gives up after the configured retries, naming the last error', async () => {
  const s = await server(status(503, 'down'));
  try {
    await assert.rejects(write(await sink({ uri: s.url, retry: { ...fast, attempts: 2 } }), events), /gave up after 3 attempts.*HTTP 503/);
    assert.equal(s.seen.length, 3);
  } finally { await s.close(); }
});

test('connection refused is retried, then reported', async () => {
  const s = await server(ok);
  await s.close();
  await assert.rejects(write(await sink({ uri: s.url, retry: { ...fast, attempts: 1 } }), events), /gave up after 2 attempts.*ECONNREFUSED/);
});

test('a forced stop ends the retries and the write fails (events are dead-lettered, not lost)', async () => {
  const s = await server(status(503));
  try {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const t0 = Date.now();
    await assert.rejects(write(await sink({ uri: s.url, retry: { attempts: 100, initial_backoff: '30s', jitter: 'none' } }), events, abort.signal), /stopped/);
    assert.ok(Date.now() - t0 < 5000);
  } finally { await s.close(); }
});

test('bearer and basic auth headers, custom headers', async () => {
  const s = await server(ok);
  try {
    await write(await sink({ uri: s.url, auth: { strategy: 'bearer', token: 'tok-123' }, headers: { 'X-Tenant': 'blue' } }), events);
    await write(await sink({ uri: s.url, auth: { strategy: 'basic', user: 'ingest', password: 'pw' } }), events);
    assert.equal(s.seen[0]!.headers.authorization, 'Bearer tok-123');
    assert.equal(s.seen[0]!.headers['x-tenant'], 'blue');
    assert.equal(s.seen[1]!.headers.authorization, `Basic ${Buffer.from('ingest:pw').toString('base64')}`);
  } finally { await s.close(); }
});

test('a write larger than max_batch_bytes is split into several requests, in order', async () => {
  const s = await server(ok);
  try {
    const many = Array.from({ length: 20 }, (_, i) => ({ i, pad: 'x'.repeat(80) }));
    await write(await sink({ uri: s.url, max_batch_bytes: 400 }), many);
    assert.ok(s.seen.length >= 5, `split into ${s.seen.length} requests`);
    for (const r of s.seen) assert.ok(r.body.length <= 400);
    const got = s.seen.flatMap((r) => r.text.trim().split('\n').map((l) => JSON.parse(l) as { i: number }));
    assert.deepEqual(got.map((e) => e.i), many.map((e) => e.i));
  } finally { await s.close(); }
});

test('when one part is refused, only its events are rejected', async () => {
  const s = await server(ok, status(422, 'bad part'), ok);
  try {
    const many = Array.from({ length: 6 }, (_, i) => ({ i, pad: 'x'.repeat(80) }));
    const r = await write(await sink({ uri: s.url, max_batch_bytes: 200, retry: fast }), many);
    assert.equal(s.seen.length, 3);
    assert.deepEqual(r!.rejected!.map((x) => x.index), [2, 3]);
    assert.match(r!.rejected![0]!.reason, /HTTP 422.*bad part/);
  } finally { await s.close(); }
});

test('when retries run out for one part, it and the parts behind it are returned as retriable, not sent', async () => {
  const s = await server(ok, status(503, 'down'));
  try {
    const many = Array.from({ length: 6 }, (_, i) => ({ i, pad: 'x'.repeat(80) }));
    const r = await write(await sink({ uri: s.url, max_batch_bytes: 200, retry: { ...fast, attempts: 1 } }), many);
    assert.equal(s.seen.length, 3, 'the first part, then two tries of the second; the third is not sent');
    assert.deepEqual(r!.rejected!.map((x) => [x.index, x.retriable]), [[2, true], [3, true], [4, true], [5, true]]);
    assert.match(r!.rejected![0]!.reason, /gave up after 2 attempts.*HTTP 503/);
  } finally { await s.close(); }
});

test('circuit breaker: after repeated failures the next write waits for open_for instead of sending at once, then one probe resumes sending', async () => {
  let up = false;
  const s = await server((res, seen) => (up ? ok : status(503, 'down'))(res, seen));
  const warnings: string[] = [];
  const infos: string[] = [];
  const log = { ...quietLog, warn: (m: string) => warnings.push(m), info: (m: string) => infos.push(m) };
  try {
    const rt = (await def.build(checkConfig(def, { uri: s.url, retry: { ...fast, attempts: 2 }, circuit_breaker: { failure_threshold: 3, open_for: '400ms' } }) as never, { ...testBuildContext(), log })) as SinkRuntime & { breaker: { state: string } };
    const ctx = { id: 'test', signal: new AbortController().signal, log };
    await assert.rejects(rt.write(events, ctx), /gave up after 3 attempts/);
    assert.equal(s.seen.length, 3);
    assert.equal(rt.breaker.state, 'open');
    assert.equal(warnings.filter((w) => /circuit breaker open/.test(w)).length, 1);
    up = true;
    const t0 = Date.now();
    const firstRequestAt = new Promise<number>((r) => s.srv.once('request', () => r(Date.now())));
    await rt.write(events, ctx);
    assert.ok((await firstRequestAt) - t0 >= 300, 'no request while the breaker is open');
    assert.equal(s.seen.length, 4, 'one probe, which succeeded');
    assert.equal(rt.breaker.state, 'closed');
    assert.equal(infos.filter((m) => /circuit breaker closed/.test(m)).length, 1);
    await rt.stop?.();
  } finally { await s.close(); }
});

test('config errors are reported at build', async () => {
  await assert.rejects(sink({ uri: 'not a url' }), /invalid URL/);
  await assert.rejects(sink({ uri: 'ftp://x/' }), /scheme/);
  await assert.rejects(sink({ uri: 'http://x/', auth: { strategy: 'bearer' } }), /needs a `token`/);
  await assert.rejects(sink({ uri: 'http://x/', tls: { ca_file: '/nonexistent/ca.pem' } }), /cannot read tls.ca_file/);
  assert.throws(() => checkConfig(def, {}), /uri/);
});

test('backoff doubles up to the cap; full jitter stays below it; Retry-After parses both forms', () => {
  const p = { attempts: 5, initialBackoffMs: 100, maxBackoffMs: 1000, jitter: 'none' as const };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffMs(p, n)), [100, 200, 400, 800, 1000, 1000]);
  for (let n = 0; n < 50; n++) assert.ok(backoffMs({ ...p, jitter: 'full' }, 3) <= 800);
  assert.equal(parseRetryAfter('7'), 7000);
  const now = Date.parse('2024-11-23T10:00:00Z');
  assert.equal(parseRetryAfter('Sat, 23 Nov 2024 10:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(undefined), null);
});

// A self-signed certificate for 127.0.0.1, valid 2020-2120, made for this test only (its key
// protects nothing).
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBcjCCARmgAwIBAgIUGirLGrCHkHfy7lTC6NBZ0VIGpnUwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVc2x1aWNlIHRlc3QgbG9jYWxob3N0MCAXDTIwMDEwMTAwMDAw
MFoYDzIxMjAwMTAxMDAwMDAwWjAgMR4wHAYDVQQDDBVzbHVpY2UgdGVzdCBsb2Nh
bGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATpzS+ZZ7EZq9Aoqvwjks8m
3gBunhmqat1IvOtWmplGkINMnCdG34e0syCEPmSKoSNfJ9T5dDsOaO5KsLBS9Ojt
oy8wLTAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNHADBEAiBc7Op8vq6xiMHu5ma4pB1AABfD10oPwjkk/c6s
liDyZAIgOVOZ8xSh5ELzY7MoNF50O+fuV0SE0Fi5joE/9JttrxE=
-----END CERTIFICATE-----
`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgY8sH54tasFhUVV91
13V75llq4qFNSBGg0gG8bWVSwXmhRANCAATpzS+ZZ7EZq9Aoqvwjks8m3gBunhmq
at1IvOtWmplGkINMnCdG34e0syCEPmSKoSNfJ9T5dDsOaO5KsLBS9Ojt
-----END PRIVATE KEY-----
`;

test('https: trusts tls.ca_file, refuses an unknown certificate, and verify: false skips the check', async () => {
  let got = 0;
  const srv = createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, (req, res) => { req.resume(); req.on('end', () => { got++; res.writeHead(200).end(); }); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const uri = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/ingest`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-http-tls-'));
  try {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, TEST_CERT);
    await write(await sink({ uri, tls: { ca_file: ca } }), events);
    assert.equal(got, 1);
    await assert.rejects(write(await sink({ uri, retry: { attempts: 0 } }), events), /certificate/i);
    assert.equal(got, 1);
    await write(await sink({ uri, tls: { verify: false } }), events);
    assert.equal(got, 2);
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSON text from a disk buffer makes the same request bodies as the events would', async () => {
  const s = await server(ok);
  try {
    const rt = await sink({ uri: s.url, encoding: 'json_array' });
    const ctx = { id: 'test', signal: new AbortController().signal, log: quietLog };
    await rt.writeJsonLines!(events.map((e) => JSON.stringify(e)), ctx);
    await rt.write(events, ctx);
    await rt.stop?.();
    assert.equal(s.seen.length, 2);
    assert.equal(s.seen[0]!.text, s.seen[1]!.text);
    assert.deepEqual(JSON.parse(s.seen[0]!.text), events);
  } finally { await s.close(); }
});
