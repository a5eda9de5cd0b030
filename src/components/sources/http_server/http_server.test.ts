import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { connect } from 'node:net';
import { get } from 'node:http';
import type { Event } from '../../../core/event.js';
import type { BatchFinalizer } from '../../../core/finalizer.js';
import { checkConfig, runSource, testBuildContext, type SourceResult } from '../../../engine/testing.js';
import def from './index.js';
import type { HttpServerSource } from './server.js';
import { jsonErrorOffset } from './json-position.js';

interface Running { url: string; base: string; stop: () => Promise<SourceResult>; result: SourceResult | null }

/** Start the source on a free port; `stop()` aborts it and returns everything it produced. */
async function start(raw: Record<string, unknown> = {}, onSend?: (events: Event[], fin?: BatchFinalizer) => void): Promise<Running> {
  const rt = (await def.build(checkConfig(def, { address: '127.0.0.1:0', ...raw }) as never, testBuildContext())) as HttpServerSource;
  const abort = new AbortController();
  const done = runSource(rt, { signal: abort, timeoutMs: 15_000, onSend });
  const addr = await rt.listening();
  const base = `http://127.0.0.1:${addr.port}`;
  const path = (raw.path as string | undefined) ?? '/';
  const r: Running = {
    url: base + path, base, result: null,
    stop: async () => { abort.abort(); r.result = await done; return r.result; },
  };
  return r;
}

const post = (url: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers });

test('a JSON object and a JSON array become events with the client IP', async () => {
  const s = await start();
  try {
    let res = await post(s.url, JSON.stringify({ user: 'alice', action: 'login' }), { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 1 });
    res = await post(s.url, JSON.stringify([{ n: 1 }, { n: 2 }, 'plain']), { 'content-type': 'application/json; charset=utf-8' });
    assert.deepEqual(await res.json(), { accepted: 3 });
  } finally {
    const out = await s.stop();
    assert.deepEqual(out.events, [
      { user: 'alice', action: 'login', source_ip: '127.0.0.1' },
      { n: 1, source_ip: '127.0.0.1' }, { n: 2, source_ip: '127.0.0.1' }, { message: 'plain', source_ip: '127.0.0.1' },
    ]);
  }
});

test('NDJSON: good lines are accepted, bad lines go to errors with their line number', async () => {
  const s = await start({ source_ip_key: '' });
  try {
    const res = await post(s.url, '{"a":1}\n\n{"a":2\n{"a":3}\n', { 'content-type': 'application/x-ndjson' });
    assert.equal(res.status, 200);
    const body = await res.json() as { accepted: number; rejected: number; errors: { line: number; error: string }[] };
    assert.equal(body.accepted, 2);
    assert.equal(body.rejected, 1);
    assert.equal(body.errors[0]!.line, 3);
  } finally {
    const out = await s.stop();
    assert.deepEqual(out.events, [{ a: 1 }, { a: 3 }]);
    assert.equal(out.errors.length, 1);
    assert.deepEqual(out.errors[0]!.event, { message: '{"a":2' });
    assert.match(out.errors[0]!.reason, /line 3 is not valid JSON/);
    assert.equal(out.errors[0]!.error_code, 'parse_failed');
  }
});

test('text/plain: JSON lines are sniffed, other text becomes one message per line', async () => {
  const s = await start({ source_ip_key: '' });
  try {
    assert.deepEqual(await (await post(s.url, '{"k":"v"}\n{"k":"w"}', { 'content-type': 'text/plain' })).json(), { accepted: 2 });
    assert.deepEqual(await (await post(s.url, 'first line\r\nsecond line\n\n', { 'content-type': 'text/plain' })).json(), { accepted: 2 });
  } finally {
    const out = await s.stop();
    assert.deepEqual(out.events, [{ k: 'v' }, { k: 'w' }, { message: 'first line' }, { message: 'second line' }]);
  }
});

test('decoding: text forces lines even for JSON content', async () => {
  const s = await start({ decoding: 'text', source_ip_key: '' });
  try {
    await post(s.url, '{"a":1}', { 'content-type': 'application/json' });
  } finally {
    assert.deepEqual((await s.stop()).events, [{ message: '{"a":1}' }]);
  }
});

test('gzip and deflate bodies are decompressed', async () => {
  const s = await start({ source_ip_key: '' });
  try {
    let res = await post(s.url, gzipSync('{"z":1}\n{"z":2}\n'), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    assert.deepEqual(await res.json(), { accepted: 2 });
    res = await post(s.url, deflateSync('{"z":3}'), { 'content-type': 'application/json', 'content-encoding': 'deflate' });
    assert.deepEqual(await res.json(), { accepted: 1 });
    res = await post(s.url, 'x', { 'content-encoding': 'br' });
    assert.equal(res.status, 415);
  } finally {
    assert.deepEqual((await s.stop()).events, [{ z: 1 }, { z: 2 }, { z: 3 }]);
  }
});

test('bearer auth: 401 without or with a wrong token, 200 with the right one; health needs none', async () => {
  const s = await start({ auth: { strategy: 'bearer', token: 's3cret-token' }, path: '/events', source_ip_key: '' });
  try {
    let res = await post(s.url, '{"a":1}', { 'content-type': 'application/json' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    res = await post(s.url, '{"a":2}', { 'content-type': 'application/json', authorization: 'Bearer wrong' });
    assert.equal(res.status, 401);
    res = await post(s.url, '{"a":3}', { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' });
    assert.equal(res.status, 200);
    res = await fetch(`${s.base}/events/health`);
    assert.equal(res.status, 200);
    res = await post(`${s.base}/other`, '{}', { authorization: 'Bearer s3cret-token' });
    assert.equal(res.status, 404);
  } finally {
    assert.deepEqual((await s.stop()).events, [{ a: 3 }]);
  }
});

test('a body over max_body_bytes gets 413', async () => {
  const s = await start({ max_body_bytes: 1024 });
  try {
    const res = await post(s.url, 'x'.repeat(2048), { 'content-type': 'text/plain' });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /max_body_bytes/);
  } finally {
    assert.equal((await s.stop()).events.length, 0);
  }
});

test('a gzip bomb is refused with 413 once its inflated size passes the limit', async () => {
  const s = await start({ max_body_bytes: '1MiB' });
  try {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x61));
    assert.ok(bomb.length < 1024 * 1024, 'the compressed bomb itself is under the limit');
    const res = await post(s.url, bomb, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /decompressed/);
  } finally {
    assert.equal((await s.stop()).events.length, 0);
  }
});

test('a JSON body that does not parse gets 400 with the line of the error', async () => {
  const s = await start();
  try {
    const res = await post(s.url, '{\n  "a": 1,\n  "b": nope\n}', { 'content-type': 'application/json' });
    assert.equal(res.status, 400);
    const body = await res.json() as { error: string; line: number };
    assert.match(body.error, /not valid JSON/);
    assert.equal(body.line, 3);
  } finally {
    const out = await s.stop();
    assert.equal(out.events.length, 0);
  }
});

test('copies configured request headers into http.headers', async () => {
  const s = await start({ headers: ['X-Request-Id', 'User-Agent'], source_ip_key: 'client' });
  try {
    await post(s.url, '{"a":1}', { 'content-type': 'application/json', 'x-request-id': 'r-1', 'user-agent': 'agent/1.0' });
  } finally {
    const [e] = (await s.stop()).events;
    assert.deepEqual(e, { a: 1, client: '127.0.0.1', http: { headers: { 'x-request-id': 'r-1', 'user-agent': 'agent/1.0' } } });
  }
});

test('acknowledgements: the answer waits for settlement: 200 when delivered, 503 when rejected', async () => {
  const settledAt: number[] = [];
  let nextStatus: 'delivered' | 'rejected' = 'delivered';
  const s = await start({ acknowledgements: true }, (_events, fin) => {
    assert.ok(fin, 'a finalizer is attached with acknowledgements: true');
    const status = nextStatus;
    // Settle later, as a sink would after writing.
    setTimeout(() => { settledAt.push(Date.now()); fin!.release(status); }, 150);
  });
  try {
    let res = await post(s.url, '{"a":1}', { 'content-type': 'application/json' });
    const answeredAt = Date.now();
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 1 });
    assert.equal(settledAt.length, 1, 'answered only after the finalizer settled');
    assert.ok(settledAt[0]! <= answeredAt);

    nextStatus = 'rejected';
    res = await post(s.url, '{"a":2}', { 'content-type': 'application/json' });
    assert.equal(settledAt.length, 2);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { status: string }).status, 'rejected');
  } finally {
    await s.stop();
  }
});

test('without acknowledgements no finalizer is attached', async () => {
  const s = await start({}, (_e, fin) => assert.equal(fin, undefined));
  try {
    assert.equal((await post(s.url, '{"a":1}', { 'content-type': 'application/json' })).status, 200);
  } finally {
    assert.equal((await s.stop()).events.length, 1);
  }
});

test('stopping waits for a request whose events are still settling, and it still gets its answer', async () => {
  let settle!: () => void;
  const s = await start({ acknowledgements: true }, (_e, fin) => { settle = () => fin!.release('delivered'); });
  const pending = post(s.url, '{"a":1}', { 'content-type': 'application/json' });
  while (!settle) await new Promise((r) => setTimeout(r, 10));
  let stopped = false;
  const stopping = s.stop().then(() => { stopped = true; });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stopped, false, 'the source waits for the request in flight');
  settle();
  const res = await pending;
  assert.equal(res.status, 200);
  await stopping;
});

test('max_connections: a connection over the limit is refused', async () => {
  const s = await start({ max_connections: 1 });
  const port = Number(new URL(s.base).port);
  const held = connect(port, '127.0.0.1');
  try {
    await new Promise<void>((r) => held.on('connect', () => r()));
    await new Promise((r) => setTimeout(r, 50)); // let the server account for it
    const outcome = await new Promise<string>((resolve) => {
      const req = get(`${s.base}/health`, (res) => { res.resume(); resolve(`status ${res.statusCode}`); });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    assert.match(outcome, /ECONNRESET|EPIPE|socket hang up/);
  } finally {
    held.destroy();
    await s.stop();
  }
});

test('config: invalid address and path are refused', async () => {
  await assert.rejects(async () => def.build(checkConfig(def, { address: 'nonsense' }) as never, testBuildContext()), /invalid listen address/);
  assert.throws(() => checkConfig(def, { path: 'events' }), /path/);
  assert.throws(() => checkConfig(def, { auth: { strategy: 'bearer' } }), /token/);
});

test('jsonErrorOffset finds the first syntax error and accepts valid JSON', () => {
  assert.equal(jsonErrorOffset('{"a":[1,2,{"b":null}],"c":"x\\u00e9"}'), -1);
  assert.equal(jsonErrorOffset('{"a":1,}'), 7);
  assert.equal(jsonErrorOffset('[1 2]'), 3);
  assert.equal(jsonErrorOffset('{"a" 1}'), 5);
  assert.equal(jsonErrorOffset('[1,'), 3);
  assert.equal(jsonErrorOffset('[01]'), 2);
  assert.equal(jsonErrorOffset('"a\tb"'), 2);
  assert.equal(jsonErrorOffset('['.repeat(100_000)), 100_000);
});
