/**
 * The `elasticsearch` sink against a local implementation of the Elasticsearch _bulk API: a real
 * HTTP server on 127.0.0.1 that parses the NDJSON action and document lines, stores documents
 * per index with the documented `create`/`index` semantics (409 version_conflict_engine_exception
 * for a `create` of an existing `_id`), answers with the documented response body (`errors`,
 * `items[i].<action>.status`, `.error.type`, `.error.reason`), honours `filter_path`, and can be
 * scripted to refuse given items or whole requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger, SinkContext, WriteResult } from '../../../core/component.js';
import { checkConfig, quietLog, testBuildContext } from '../../../engine/testing.js';
import def from './index.js';
import type { ElasticsearchSink } from './sink.js';
import { BulkApi, type Doc, type ItemError } from './test-kit.js';

const fast = { initial_backoff: '10ms', max_backoff: '50ms', jitter: 'none' };

async function sink(raw: Record<string, unknown>, log: Logger = quietLog): Promise<ElasticsearchSink> {
  return (await def.build(checkConfig(def, raw) as never, { ...testBuildContext(), log })) as ElasticsearchSink;
}

function context(log: Logger = quietLog, signal = new AbortController().signal): SinkContext {
  return { id: 'test', signal, log };
}

async function writeOnce(rt: ElasticsearchSink, events: Doc[], ctx = context()): Promise<WriteResult | void> {
  try { return await rt.write(events, ctx); } finally { await rt.stop(); }
}

const day = '2024-11-23T10:00:00Z';
const events = (n: number, extra: (i: number) => Doc = () => ({})): Doc[] =>
  Array.from({ length: n }, (_, i) => ({ n: i, message: `event ${i}`, timestamp: day, ...extra(i) }));

const busy = (doc: Doc): ItemError => ({ status: 429, type: 'es_rejected_execution_exception', reason: `rejected execution of primary operation [n=${String(doc.n)}] on EsThreadPoolExecutor[name = node-1/write, queue capacity = 10000]` });

test('all items indexed: one _bulk request of action and document lines (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  try {
    const evs = events(4);
    assert.equal(await writeOnce(await sink({ endpoint: es.url, index: 'sluice-%Y.%m.%d' }), evs), undefined);
    assert.equal(es.requests.length, 1);
    const [r] = es.requests;
    assert.equal(r!.url.pathname, '/_bulk');
    assert.equal(r!.headers['content-type'], 'application/x-ndjson');
    assert.deepEqual(r!.actions, evs.map(() => ({ create: { _index: 'sluice-2024.11.23' } })));
    assert.deepEqual(es.docs('sluice-2024.11.23'), evs);
  } finally { await es.close(); }
});

test('items refused with 429: only those are resent, after the backoff, and nothing is stored twice (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failItem = (doc, before) => (doc.n === 1 || doc.n === 3) && before < 2 ? busy(doc) : null;
  try {
    const evs = events(5);
    const warnings: string[] = [];
    const log = { ...quietLog, warn: (m: string) => warnings.push(m) };
    assert.equal(await writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: fast }, log), evs, context(log)), undefined);
    assert.deepEqual(es.requests.map((r) => r.docs.map((d) => d.n)), [[0, 1, 2, 3, 4], [1, 3], [1, 3]]);
    // No id_field: the cluster makes ids, so resending an item it had stored would duplicate it.
    assert.equal(es.count(), 5);
    assert.deepEqual(es.docs('logs').map((d) => d.n).sort(), [0, 1, 2, 3, 4]);
    assert.match(warnings[0]!, /2 of 5 items refused.*es_rejected_execution_exception.*HTTP 429.*resending those 2/);
  } finally { await es.close(); }
});

test('items refused with 400 are returned as rejected with the error type and reason, not retried (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failItem = (doc) => (typeof doc.bytes === 'string'
    ? { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse field [bytes] of type [long] in document with id 'x'. Preview of field's value: '${doc.bytes}'` }
    : null);
  try {
    const evs = events(4, (i) => ({ bytes: i === 2 ? 'lots' : i }));
    const r = await writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: fast }), evs);
    assert.equal(es.requests.length, 1);
    assert.deepEqual(r, { rejected: [{ index: 2, reason: "mapper_parsing_exception: failed to parse field [bytes] of type [long] in document with id 'x'. Preview of field's value: 'lots' (HTTP 400)" }] });
    assert.equal(es.count(), 3);
  } finally { await es.close(); }
});

test('create with id_field: a retry after a lost answer gets 409 for what was stored, which counts as delivered (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  // The first request is processed and stored, but its answer is lost on the way back.
  es.loseAnswer = (n) => (n === 0 ? { status: 502, body: 'Bad Gateway' } : null);
  try {
    const evs = events(3, (i) => ({ event_id: `ev-${i}` }));
    assert.equal(await writeOnce(await sink({ endpoint: es.url, index: 'logs', id_field: 'event_id', retry: fast }), evs), undefined);
    assert.equal(es.requests.length, 2);
    assert.deepEqual(es.requests[1]!.actions, evs.map((e) => ({ create: { _index: 'logs', _id: e.event_id } })));
    assert.equal(es.count(), 3, 'each document stored once');
    // Without id_field the same lost answer stores duplicates; and with `index` there is no 409.
    const es2 = await new BulkApi().start();
    es2.loseAnswer = (n) => (n === 0 ? { status: 502, body: 'Bad Gateway' } : null);
    try {
      await writeOnce(await sink({ endpoint: es2.url, index: 'logs', retry: fast }), evs);
      assert.equal(es2.count(), 6);
    } finally { await es2.close(); }
  } finally { await es.close(); }
});

test('a 409 that is not a retry of ours (action index with a conflict) stays a rejection (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failItem = (doc) => (doc.n === 0 ? { status: 409, type: 'version_conflict_engine_exception', reason: '[x]: version conflict, required seqNo [1], primary term [1]. current document has seqNo [2] and primary term [1]' } : null);
  try {
    const r = await writeOnce(await sink({ endpoint: es.url, index: 'logs', action: 'index', id_field: 'event_id' }), events(2, (i) => ({ event_id: `x${i}` })));
    assert.equal(r?.rejected?.length, 1);
    assert.match(r!.rejected![0]!.reason, /^version_conflict_engine_exception: .* \(HTTP 409\)$/);
    assert.equal(es.requests[0]!.actions[0]!.index!._id, 'x0');
  } finally { await es.close(); }
});

test('items still refused when retries run out are returned as rejected with retriable: true (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failItem = (doc) => (doc.n === 2 ? busy(doc) : doc.n === 3 ? { status: 503, type: 'unavailable_shards_exception', reason: '[logs][0] primary shard is not active' } : null);
  try {
    const r = await writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: { ...fast, attempts: 2 } }), events(5));
    assert.equal(es.requests.length, 3, 'the first try and 2 retries');
    assert.deepEqual(r!.rejected!.map((x) => [x.index, x.retriable]), [[2, true], [3, true]]);
    assert.match(r!.rejected![0]!.reason, /^gave up after 3 attempts; last error: es_rejected_execution_exception: rejected execution .* \(HTTP 429\)$/);
    assert.match(r!.rejected![1]!.reason, /unavailable_shards_exception: \[logs\]\[0\] primary shard is not active \(HTTP 503\)$/);
    assert.equal(es.count(), 3);
  } finally { await es.close(); }
});

test('whole request answered 500, then 200: the whole batch is retried and stored once (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failRequest = (n) => (n < 2 ? { status: 500, body: '{"error":{"type":"internal_server_error","reason":"boom"},"status":500}' } : null);
  try {
    assert.equal(await writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: fast }), events(3)), undefined);
    assert.equal(es.requests.length, 3);
    assert.ok(es.requests.every((r) => r.raw.equals(es.requests[0]!.raw)));
    assert.equal(es.count(), 3);
  } finally { await es.close(); }
});

test('an answer that is not a _bulk response is retried as a whole; retries running out throw with a clear message (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  const html = { status: 200, body: '<html><body>Welcome to nginx!</body></html>' };
  const short = { status: 200, body: '{"errors":false,"items":[]}' };
  es.failRequest = (n) => (n === 0 ? html : n === 1 ? short : null);
  try {
    assert.equal(await writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: fast }), events(2)), undefined);
    assert.equal(es.requests.length, 3);
    assert.equal(es.count(), 2);
    es.failRequest = () => html;
    await assert.rejects(writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: { ...fast, attempts: 1 } }), events(2)),
      /gave up after 2 attempts; last error: invalid _bulk response from http:\/\/127\.0\.0\.1:\d+\/_bulk: not valid JSON .*Welcome to nginx/);
    es.failRequest = () => short;
    await assert.rejects(writeOnce(await sink({ endpoint: es.url, index: 'logs', retry: { ...fast, attempts: 0 } }), events(2)), /0 items in the answer for 2 sent/);
  } finally { await es.close(); }
});

test('basic, bearer and api_key auth headers; wrong credentials are a permanent refusal (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  try {
    const cases: [Record<string, unknown>, string][] = [
      [{ strategy: 'basic', user: 'elastic', password: 'changeme' }, `Basic ${Buffer.from('elastic:changeme').toString('base64')}`],
      [{ strategy: 'bearer', token: 'tok-1' }, 'Bearer tok-1'],
      [{ strategy: 'api_key', api_key: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' }, 'ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=='],
      [{ strategy: 'api_key', api_key_id: 'VuaCfGcBCdbkQm-e5aOx', api_key: 'ui2lp2axTNmsyakw9tvNnw' }, `ApiKey ${Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64')}`],
    ];
    for (const [auth, header] of cases) {
      es.requiredAuth = header;
      assert.equal(await writeOnce(await sink({ endpoint: es.url, index: 'logs', auth }), events(1)), undefined, JSON.stringify(auth));
    }
    es.requiredAuth = `Basic ${Buffer.from('u:p w').toString('base64')}`;
    assert.equal(await writeOnce(await sink({ endpoint: es.url.replace('//', '//u:p%20w@'), index: 'logs' }), events(1)), undefined, 'credentials in the URL');
    const before = es.requests.length;
    await assert.rejects(writeOnce(await sink({ endpoint: es.url, index: 'logs', auth: { strategy: 'bearer', token: 'wrong' }, retry: fast }), events(2)), /HTTP 401.*security_exception.*permanent/);
    assert.equal(es.requests.length, before + 1, 'not retried');
  } finally { await es.close(); }
});

test('index template: fields lowercased and made safe, %Y.%m.%d from the event time, a missing field rejects that event (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  try {
    const evs: Doc[] = [
      { service: 'Web Front', timestamp: '2024-11-23T23:59:59Z' },
      { service: 'db', timestamp: Date.parse('2024-11-24T00:00:01Z') },
      { timestamp: day },
      { service: 'auth/../x', '@timestamp': 'ignored', timestamp: 'not a date' },
    ];
    const rt = await sink({ endpoint: `${es.url}/`, index: 'logs-{{ .service }}-%Y.%m.%d' });
    const before = Date.now();
    const r = await writeOnce(rt, evs);
    const today = new Date(before).toISOString().slice(0, 10).replace(/-/g, '.');
    assert.deepEqual(r, { rejected: [{ index: 2, reason: 'index template "logs-{{ .service }}-%Y.%m.%d": field .service is missing' }] });
    assert.deepEqual(es.requests[0]!.actions.map((a) => a.create!._index), ['logs-web_front-2024.11.23', 'logs-db-2024.11.24', `logs-auth_.._x-${today}`]);
    assert.deepEqual([...es.indices.keys()].sort(), ['logs-auth_.._x-' + today, 'logs-db-2024.11.24', 'logs-web_front-2024.11.23'].sort());
    // timestamp_field picks another field.
    await writeOnce(await sink({ endpoint: es.url, index: 'x-%Y', timestamp_field: '.@timestamp' }), [{ '@timestamp': '1999-01-01T00:00:00Z' }]);
    assert.deepEqual(es.docs('x-1999'), [{ '@timestamp': '1999-01-01T00:00:00Z' }]);
  } finally { await es.close(); }
});

test('gzip: the body is compressed and the cluster stores the documents (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  try {
    const evs = events(50, () => ({ pad: 'x'.repeat(100) }));
    await writeOnce(await sink({ endpoint: es.url, index: 'logs', compression: 'gzip' }), evs);
    const [r] = es.requests;
    assert.equal(r!.headers['content-encoding'], 'gzip');
    assert.ok(r!.raw.length < 2000, `compressed to ${r!.raw.length} bytes`);
    assert.deepEqual(es.docs('logs'), evs);
  } finally { await es.close(); }
});

test('a write larger than max_batch_bytes goes in several bulk requests, in order (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  try {
    const evs = events(20, () => ({ pad: 'x'.repeat(80) }));
    await writeOnce(await sink({ endpoint: es.url, index: 'logs', max_batch_bytes: 600 }), evs);
    assert.ok(es.requests.length >= 5, `${es.requests.length} requests`);
    for (const r of es.requests) assert.ok(r.raw.length <= 600);
    assert.deepEqual(es.requests.flatMap((r) => r.docs.map((d) => d.n)), evs.map((e) => e.n));
  } finally { await es.close(); }
});

test('circuit breaker: it opens after repeated failures, then the next write waits for open_for instead of sending at once (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  let down = true;
  es.failRequest = () => (down ? { status: 503, body: '{"error":{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"},"status":503}' } : null);
  const warnings: string[] = [];
  const log = { ...quietLog, warn: (m: string) => warnings.push(m) };
  try {
    const rt = await sink({ endpoint: es.url, index: 'logs', retry: { ...fast, attempts: 1 }, circuit_breaker: { failure_threshold: 2, open_for: '500ms' } }, log);
    await assert.rejects(rt.write(events(2), context(log)), /gave up after 2 attempts.*HTTP 503.*cluster_block_exception/);
    assert.equal(es.requests.length, 2);
    assert.equal(rt.breaker.state, 'open');
    assert.equal(warnings.filter((w) => /circuit breaker open: 2 consecutive failed attempts/.test(w)).length, 1);
    down = false;
    const t0 = Date.now();
    assert.equal(await rt.write(events(2), context(log)), undefined);
    assert.equal(es.requests.length, 3, 'one probe, which succeeded');
    assert.ok(es.requests[2]!.at - t0 >= 400, `sent after ${es.requests[2]!.at - t0} ms, not at once`);
    assert.equal(rt.breaker.state, 'closed');
    await rt.stop();
  } finally { await es.close(); }
});

test('waiting on an open breaker does not use up retry attempts: only requests sent count (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failRequest = (n) => (n < 2 ? { status: 503, body: '' } : null);
  try {
    // Every failure opens the breaker for 150 ms; 2 retries are enough for the third request.
    const rt = await sink({ endpoint: es.url, index: 'logs', retry: { ...fast, attempts: 2 }, circuit_breaker: { failure_threshold: 1, open_for: '150ms', max_open_for: '150ms' } });
    const t0 = Date.now();
    assert.equal(await writeOnce(rt, events(2)), undefined);
    assert.equal(es.requests.length, 3);
    assert.ok(es.requests[1]!.at - es.requests[0]!.at >= 120 && es.requests[2]!.at - es.requests[1]!.at >= 120, 'each retry waited for the open period');
    assert.ok(Date.now() - t0 >= 250);
    assert.equal(es.count(), 2);
  } finally { await es.close(); }
});

test('a forced stop while the breaker is open ends the write at once (local implementation of the Elasticsearch _bulk API)', async () => {
  const es = await new BulkApi().start();
  es.failRequest = () => ({ status: 502, body: '' });
  try {
    const rt = await sink({ endpoint: es.url, index: 'logs', retry: { ...fast, attempts: 0 }, circuit_breaker: { failure_threshold: 1, open_for: '1m' } });
    await assert.rejects(rt.write(events(1), context()), /gave up after 1 attempt/);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const t0 = Date.now();
    await assert.rejects(rt.write(events(1), context(quietLog, abort.signal)), /stopped \(forced\) while the circuit breaker was open/);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(es.requests.length, 1);
    await rt.stop();
  } finally { await es.close(); }
});

test('config errors are reported at build', async () => {
  await assert.rejects(sink({ endpoint: 'not a url', index: 'x' }), /invalid URL/);
  await assert.rejects(sink({ endpoint: 'http://es:9200/_bulk', index: 'x' }), /adds itself/);
  await assert.rejects(sink({ endpoint: 'http://es:9200', index: 'Logs' }), /"L", which index names may not contain/);
  await assert.rejects(sink({ endpoint: 'http://es:9200', index: '_x' }), /may not start/);
  await assert.rejects(sink({ endpoint: 'http://es:9200', index: 'x-%q' }), /unsupported time code %q/);
  await assert.rejects(sink({ endpoint: 'http://es:9200', index: 'x-{{ .a' }), /unclosed/);
  await assert.rejects(sink({ endpoint: 'http://es:9200', index: 'x', auth: { strategy: 'api_key' } }), /needs an `api_key`/);
  await assert.rejects(sink({ endpoint: 'http://es:9200', index: 'x', circuit_breaker: { open_for: 0 } }), /open_for must be more than 0/);
  assert.throws(() => checkConfig(def, { endpoint: 'http://es:9200' }), /index/);
  assert.throws(() => checkConfig(def, { endpoint: 'http://es:9200', index: 'x', action: 'upsert' }), /action/);
});
