import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SinkRuntime } from '../../../core/component.js';
import { checkConfig, quietLog, testBuildContext } from '../../../engine/testing.js';
import { circuitBreakerFromConfig } from '../../_shared/circuit-breaker.js';
import { retryPolicy } from '../http/retry.js';
import { Destination } from '../../_shared/webhook-delivery.js';
import def from './index.js';
import { describeAnswer, WebhookSink } from './sink.js';

const SECRET = 'a-long-random-shared-secret';

/** The receiver check from the component description, as a receiver would write it. */
function verify(headers: IncomingHttpHeaders, rawBody: Buffer, secret: string, opts: { algorithm?: string; sigHeader?: string; tsHeader?: string; nowSec?: number } = {}): string | null {
  const algorithm = opts.algorithm ?? 'sha256';
  const ts = headers[opts.tsHeader ?? 'x-sluice-timestamp'];
  const sig = String(headers[opts.sigHeader ?? 'x-sluice-signature'] ?? '');
  if (typeof ts !== 'string' || !/^\d+$/.test(ts)) return 'missing timestamp';
  if (Math.abs((opts.nowSec ?? Date.now() / 1000) - Number(ts)) > 300) return 'timestamp outside the replay window';
  if (!sig.startsWith(`${algorithm}=`)) return 'wrong algorithm';
  const want = createHmac(algorithm, secret).update(`${ts}.`).update(rawBody).digest();
  const got = Buffer.from(sig.slice(algorithm.length + 1), 'hex');
  return got.length === want.length && timingSafeEqual(got, want) ? null : 'bad signature';
}

interface Seen { headers: IncomingHttpHeaders; raw: Buffer; json: unknown; verdict: string | null }
type Reply = (res: ServerResponse, seen: Seen, n: number) => void;

/** A webhook receiver on 127.0.0.1 that checks signatures as documented and answers from a script. */
async function receiver(reply: Reply = (res) => res.writeHead(204).end(), verifyOpts: Parameters<typeof verify>[3] = {}, secret = SECRET) {
  const seen: Seen[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const s: Seen = { headers: req.headers, raw, json: JSON.parse(raw.toString('utf8')), verdict: verify(req.headers, raw, secret, verifyOpts) };
      seen.push(s);
      if (s.verdict !== null && req.headers['x-sluice-signature'] !== undefined) { res.writeHead(401).end(`refused: ${s.verdict}`); return; }
      reply(res, s, seen.length - 1);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hooks/sluice`, seen, srv,
    close: () => { srv.closeAllConnections(); return new Promise<void>((r) => srv.close(() => r())); },
  };
}

const fast = { initial_backoff: '10ms', max_backoff: '50ms', jitter: 'none' };
const alerts = [
  { class_uid: 2004, severity_id: 4, finding_info: { title: 'SSH brute force', uid: 'f-1' } },
  { class_uid: 2004, severity_id: 2, finding_info: { title: 'Sudo to root', uid: 'f-2' } },
  { class_uid: 2004, severity_id: 5, finding_info: { title: 'Trail deleted', uid: 'f-3' } },
];

async function sink(raw: Record<string, unknown>): Promise<SinkRuntime> {
  return (await def.build(checkConfig(def, raw) as never, testBuildContext())) as SinkRuntime;
}
async function write(rt: SinkRuntime, events: Record<string, unknown>[]) {
  try { return await rt.write(events, { id: 'test', signal: new AbortController().signal, log: quietLog }); } finally { await rt.stop?.(); }
}

test('webhook (receiver verifying the documented HMAC): one signed JSON request per alert', async () => {
  const r = await receiver();
  try {
    const res = await write(await sink({ uri: r.url, signature: { secret: SECRET }, headers: { 'X-Tenant': 'blue' } }), alerts);
    assert.equal(res, undefined);
    assert.equal(r.seen.length, 3);
    assert.deepEqual(r.seen.map((x) => x.json), alerts);
    for (const x of r.seen) {
      assert.equal(x.verdict, null, 'the receiver accepts the signature');
      assert.equal(x.headers['content-type'], 'application/json');
      assert.equal(x.headers['x-tenant'], 'blue');
      assert.match(String(x.headers['x-sluice-signature']), /^sha256=[0-9a-f]{64}$/);
    }
  } finally { await r.close(); }
});

test('webhook (receiver verifying the documented HMAC): json_array sends one array per write, split at max_batch_bytes', async () => {
  const r = await receiver();
  try {
    await write(await sink({ uri: r.url, encoding: 'json_array', signature: { secret: SECRET } }), alerts);
    assert.equal(r.seen.length, 1);
    assert.deepEqual(r.seen[0]!.json, alerts);
    assert.equal(r.seen[0]!.verdict, null);
    const many = Array.from({ length: 12 }, (_, i) => ({ i, pad: 'x'.repeat(60) }));
    await write(await sink({ uri: r.url, encoding: 'json_array', max_batch_bytes: 300, signature: { secret: SECRET } }), many);
    const arrays = r.seen.slice(1);
    assert.ok(arrays.length >= 3, `split into ${arrays.length} requests`);
    for (const x of arrays) { assert.ok(x.raw.length <= 300); assert.equal(x.verdict, null); }
    assert.deepEqual(arrays.flatMap((x) => x.json as { i: number }[]).map((e) => e.i), many.map((e) => e.i));
  } finally { await r.close(); }
});

test('webhook (receiver verifying the documented HMAC): sha512 with custom header names', async () => {
  const r = await receiver(undefined, { algorithm: 'sha512', sigHeader: 'x-sig', tsHeader: 'x-sig-time' });
  try {
    await write(await sink({ uri: r.url, signature: { secret: SECRET, algorithm: 'sha512', header: 'X-Sig', timestamp_header: 'X-Sig-Time' } }), alerts.slice(0, 1));
    assert.equal(r.seen.length, 1);
    assert.match(String(r.seen[0]!.headers['x-sig']), /^sha512=[0-9a-f]{128}$/);
    assert.equal(r.seen[0]!.verdict, null);
  } finally { await r.close(); }
});

test('webhook (receiver verifying the documented HMAC): a wrong secret is refused by the receiver and the alert is rejected with its answer', async () => {
  const r = await receiver();
  try {
    const rt = await sink({ uri: r.url, signature: { secret: 'not-the-secret' }, retry: fast });
    const res = await write(rt, alerts);
    assert.equal(r.seen.filter((x) => x.verdict === 'bad signature').length, r.seen.length);
    assert.deepEqual(res?.rejected?.map((x) => [x.index, x.retriable ?? false]), [[0, false], [1, false], [2, false]]);
    assert.match(res!.rejected![0]!.reason, /HTTP 401.*refused: bad signature.*permanent/);
  } finally { await r.close(); }
});

function directSink(url: string, now: () => number, attempts = 3) {
  const target = url;
  return new WebhookSink({
    destination: new Destination({
      url: new URL(url), target, headers: {}, timeoutMs: 5000, caFile: null, verify: true,
      retry: retryPolicy({ attempts, initial_backoff: 10, max_backoff: 20, jitter: 'none' }),
      breaker: circuitBreakerFromConfig(undefined, target, quietLog), describe: describeAnswer,
    }),
    encoding: 'json', maxBatchBytes: 1 << 20,
    signature: { secret: SECRET, header: 'x-sluice-signature', timestampHeader: 'x-sluice-timestamp', algorithm: 'sha256' },
    now,
  });
}

test('webhook (receiver verifying the documented HMAC): each retry is signed again with a fresh timestamp', async () => {
  const r = await receiver((res, _s, n) => res.writeHead(n < 2 ? 503 : 200).end(n < 2 ? 'busy' : 'ok'), { nowSec: 1_700_000_001 });
  try {
    let t = 1_700_000_000;
    const rt = directSink(r.url, () => t++);
    assert.equal(await write(rt, alerts.slice(0, 1)), undefined);
    assert.equal(r.seen.length, 3);
    assert.deepEqual(r.seen.map((x) => x.headers['x-sluice-timestamp']), ['1700000000', '1700000001', '1700000002']);
    assert.ok(r.seen.every((x) => x.verdict === null));
    assert.notEqual(r.seen[0]!.headers['x-sluice-signature'], r.seen[1]!.headers['x-sluice-signature']);
  } finally { await r.close(); }
});

test('webhook (receiver verifying the documented HMAC): a request signed too long ago is refused as a replay', async () => {
  const r = await receiver();
  try {
    const res = await write(directSink(r.url, () => Math.floor(Date.now() / 1000) - 600), alerts.slice(0, 2));
    assert.equal(r.seen[0]!.verdict, 'timestamp outside the replay window');
    assert.equal(res?.rejected?.length, 2);
    assert.match(res!.rejected![0]!.reason, /HTTP 401.*replay window/);
  } finally { await r.close(); }
});

test('webhook: a 4xx refuses only its alert; the others are delivered', async () => {
  const r = await receiver((res, s) => {
    const title = (s.json as { finding_info: { title: string } }).finding_info.title;
    if (title === 'Sudo to root') res.writeHead(422).end('{"error":"unknown severity"}'); else res.writeHead(200).end();
  });
  try {
    const res = await write(await sink({ uri: r.url, retry: fast }), alerts);
    assert.equal(r.seen.length, 3);
    assert.deepEqual(res?.rejected?.map((x) => x.index), [1]);
    assert.match(res!.rejected![0]!.reason, /HTTP 422.*unknown severity/);
    assert.equal(res!.rejected![0]!.retriable, undefined);
  } finally { await r.close(); }
});

test('webhook: 429 with Retry-After and 5xx are retried; when retries run out, the rest of the write is not sent and settles as retriable', async () => {
  let r = await receiver((res, _s, n) => (n === 0 ? res.writeHead(429, { 'retry-after': '0' }).end() : res.writeHead(200).end()));
  try {
    assert.equal(await write(await sink({ uri: r.url, retry: { initial_backoff: '10s', jitter: 'none' } }), alerts.slice(0, 1)), undefined);
    assert.equal(r.seen.length, 2, 'retried at once, as Retry-After: 0 said');
  } finally { await r.close(); }
  r = await receiver((res, _s, n) => (n === 0 ? res.writeHead(200).end() : res.writeHead(503).end('down')));
  try {
    const res = await write(await sink({ uri: r.url, retry: { ...fast, attempts: 1 } }), alerts);
    assert.equal(r.seen.length, 3, 'the first alert, then two tries of the second; the third is not sent');
    assert.deepEqual(res?.rejected?.map((x) => [x.index, x.retriable]), [[1, true], [2, true]]);
    assert.match(res!.rejected![1]!.reason, /gave up after 2 attempts.*HTTP 503/);
    // Nothing delivered at all: the write fails as a whole.
    await assert.rejects(write(await sink({ uri: r.url, retry: { ...fast, attempts: 0 } }), alerts.slice(1)), /gave up after 1 attempt.*HTTP 503/);
  } finally { await r.close(); }
});

test('webhook: the circuit breaker opens after consecutive failures and a probe resumes sending', async () => {
  let up = false;
  const r = await receiver((res) => (up ? res.writeHead(200).end() : res.writeHead(503).end('down')));
  try {
    const rt = (await sink({ uri: r.url, retry: { ...fast, attempts: 2 }, circuit_breaker: { failure_threshold: 3, open_for: '300ms' } })) as SinkRuntime & { breaker: { state: string } };
    const ctx = { id: 'test', signal: new AbortController().signal, log: quietLog };
    await assert.rejects(rt.write(alerts.slice(0, 1), ctx), /gave up after 3 attempts/);
    assert.equal(rt.breaker.state, 'open');
    up = true;
    const t0 = Date.now();
    await rt.write(alerts.slice(0, 1), ctx);
    assert.ok(Date.now() - t0 >= 200, 'waited for the breaker');
    assert.equal(rt.breaker.state, 'closed');
    await rt.stop?.();
  } finally { await r.close(); }
});

test('webhook: JSON text from a disk buffer makes the same signed bodies', async () => {
  const r = await receiver();
  try {
    const rt = await sink({ uri: r.url, encoding: 'json_array', signature: { secret: SECRET } });
    const ctx = { id: 'test', signal: new AbortController().signal, log: quietLog };
    await rt.writeJsonLines!(alerts.map((a) => JSON.stringify(a)), ctx);
    await rt.write(alerts, ctx);
    await rt.stop?.();
    assert.equal(r.seen[0]!.raw.toString(), r.seen[1]!.raw.toString());
    assert.ok(r.seen.every((x) => x.verdict === null));
  } finally { await r.close(); }
});

test('webhook: config mistakes are reported at build with the option', async () => {
  await assert.rejects(sink({ uri: 'not a url' }), /invalid URL/);
  await assert.rejects(sink({ uri: 'ftp://x/' }), /scheme/);
  await assert.rejects(sink({ uri: 'http://x/', headers: { 'Content-Type': 'text/plain' } }), /set by the sink/);
  await assert.rejects(sink({ uri: 'http://x/', signature: { secret: '' } }), /signature.secret is empty/);
  await assert.rejects(sink({ uri: 'http://x/', headers: { 'X-Sluice-Signature': 'x' }, signature: { secret: 's' } }), /also set elsewhere/);
  await assert.rejects(sink({ uri: 'http://x/', signature: { secret: 's', header: 'X-A', timestamp_header: 'x-a' } }), /same header/);
  assert.throws(() => checkConfig(def, { uri: 'http://x/', signature: {} }), /signature.secret: missing required field/);
  assert.throws(() => checkConfig(def, { uri: 'http://x/', signature: { secret: 's', algorithm: 'md5' } }), /expected one of "sha256", "sha512"/);
});
