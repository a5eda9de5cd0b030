/**
 * The `lookup` transform against a real Redis (127.0.0.1:6379). Every run uses its own key
 * prefix and deletes its keys afterwards. Without a server these tests fail.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from '../../src/core/component.js';
import type { Event } from '../../src/core/event.js';
import { checkConfig, runTransform } from '../../src/engine/testing.js';
import def, { createLookup, type LookupConfig, type LookupRuntime } from '../../src/components/transforms/lookup/index.js';

const HOST = '127.0.0.1';
const PORT = Number(process.env['SLUICE_TEST_REDIS_PORT'] ?? 6379);
const URL = `redis://${HOST}:${PORT}`;
const PREFIX = `sluice-it:${process.pid}:${Date.now().toString(36)}:`;
// Events and enrichment entries are plain JSON; the tests read them by path.
type Obj = Record<string, any>;

let redis: Redis;
const runtimes: LookupRuntime[] = [];

before(async () => {
  redis = new Redis({ host: HOST, port: PORT, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await redis.connect();
  await redis.hset(`${PREFIX}assets:10.0.0.5`, { owner: 'alice', criticality: 'high', tags: '["pci"]' });
  await redis.hset(`${PREFIX}assets:10.0.0.6`, { owner: 'bob', criticality: 'low' });
});

after(async () => {
  for (const rt of runtimes) await rt.stop();
  if (redis?.status === 'ready') {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});

function lookup(raw: Record<string, unknown>, logs: string[] = []): LookupRuntime {
  const log: Logger = { debug() {}, info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
  const rt = createLookup(checkConfig(def, raw) as unknown as LookupConfig, { id: 'shared', configDir: process.cwd(), log });
  runtimes.push(rt);
  return rt;
}

async function run(rt: LookupRuntime, events: Obj[]): Promise<Obj[]> {
  const r = await runTransform(rt, events as Event[]);
  assert.equal(r.errors.length, 0);
  assert.equal(r.main.length, events.length, 'every event passes');
  return r.main as Obj[];
}

const assets = (redisOpts: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  table: { name: 'assets', redis: { url: URL, key_prefix: `${PREFIX}assets:`, ...redisOpts } },
  key: { field: 'src_endpoint.ip' },
  mappings: { owner: 'device.owner.name', criticality: 'device.risk_level' },
  ...extra,
});

test('hashes are rows: one pipelined round trip per batch for its distinct keys, then the cache answers', async () => {
  const rt = lookup(assets());
  const events = Array.from({ length: 100 }, (_, i) => ({ i, src_endpoint: { ip: ['10.0.0.5', '10.0.0.6', '10.0.0.7'][i % 3] } }));
  const out = await run(rt, events);
  assert.deepEqual(out[0]!.device, { owner: { name: 'alice' }, risk_level: 'high' });
  assert.deepEqual(out[1]!.device, { owner: { name: 'bob' }, risk_level: 'low' });
  assert.equal(out[2]!.device, undefined);
  assert.deepEqual(out[0]!.enrichments, [{ name: 'src_endpoint.ip', value: '10.0.0.5', type: 'lookup', provider: 'assets', data: { owner: 'alice', criticality: 'high' } }]);
  assert.equal(rt.counters()['lookup_redis_round_trips.assets'], 1);
  const p = rt.enrichment().providers.get('assets')!;
  assert.deepEqual([p.hits, p.misses, p.failures], [67, 33, 0]);
  assert.equal(p.latency.count, 1, 'one latency sample per round trip');

  // Found and not-found answers are both cached: the next batch costs no round trip.
  await run(rt, events.slice(0, 3));
  assert.equal(rt.counters()['lookup_redis_round_trips.assets'], 1);
  assert.equal(rt.counters()['lookup_cache_hits.assets'], 3);
});

test('the cache is bounded: past max_entries the oldest answer is dropped', async () => {
  const rt = lookup(assets({ cache: { max_entries: 2 } }));
  await run(rt, [{ src_endpoint: { ip: '10.0.0.5' } }, { src_endpoint: { ip: '10.0.0.6' } }, { src_endpoint: { ip: '10.0.0.7' } }]);
  assert.equal(rt.counters()['lookup_cache_entries.assets'], 2);
  await run(rt, [{ src_endpoint: { ip: '10.0.0.7' } }]);
  assert.equal(rt.counters()['lookup_redis_round_trips.assets'], 1, 'the newest answers stayed');
  await run(rt, [{ src_endpoint: { ip: '10.0.0.5' } }]);
  assert.equal(rt.counters()['lookup_redis_round_trips.assets'], 2, 'the oldest was dropped');
});

test('without the cache, a change in Redis shows up on the next batch; case_insensitive keys are lower-cased', async () => {
  await redis.hset(`${PREFIX}users:alice`, { department: 'Finance' });
  const rt = lookup({
    table: { redis: { url: URL, key_prefix: `${PREFIX}users:`, cache: { ttl: 0 } } },
    key: { field: 'user.name', match: 'case_insensitive' }, mappings: { department: 'user.org.name' }, defaults: { department: 'unknown' },
  });
  assert.deepEqual((await run(rt, [{ user: { name: 'Alice' } }, { user: { name: 'zed' } }])).map((e) => e.user.org.name), ['Finance', 'unknown']);
  await redis.hset(`${PREFIX}users:alice`, { department: 'Treasury' });
  assert.equal((await run(rt, [{ user: { name: 'ALICE' } }]))[0]!.user.org.name, 'Treasury');
});

test('shared state: write.seen marks the one event, across instances, that saw a user from an address first', async () => {
  const cfg = {
    table: { name: 'logins', redis: { url: URL, key_prefix: `${PREFIX}seen:`, write: { seen: true, ttl: '1h' } } },
    key: { fields: ['user.name', 'src_endpoint.ip'] },
    mappings: { new: 'unmapped.new_source', first_seen: 'unmapped.first_seen', last_seen: 'unmapped.previous_seen', count: 'unmapped.seen_before' },
    enrichments: 'none',
  };
  const a = lookup(cfg);
  const b = lookup(cfg);
  const before = Date.now();
  const fromA = await run(a, [
    { user: { name: 'alice' }, src_endpoint: { ip: '203.0.113.7' } },
    { user: { name: 'alice' }, src_endpoint: { ip: '203.0.113.7' } },
  ]);
  assert.equal(fromA[0]!.unmapped.new_source, true, 'the first sighting anywhere is new');
  assert.equal(fromA[1]!.unmapped.new_source, false, 'the second event of the same batch is not');
  const first = fromA[0]!.unmapped.first_seen as number;
  assert.ok(first >= before && first <= Date.now());
  assert.equal(fromA[0]!.unmapped.seen_before, 0);

  const fromB = await run(b, [
    { user: { name: 'alice' }, src_endpoint: { ip: '203.0.113.7' } },
    { user: { name: 'alice' }, src_endpoint: { ip: '198.51.100.9' } },
  ]);
  assert.deepEqual(fromB[0]!.unmapped, { new_source: false, first_seen: first, previous_seen: first, seen_before: 2 }, 'the other instance sees what the first one wrote');
  assert.equal(fromB[1]!.unmapped.new_source, true, 'another address is new again');

  const hash = await redis.hgetall(`${PREFIX}seen:alice|203.0.113.7`);
  assert.equal(hash['count'], '3');
  assert.equal(hash['first_seen'], String(first));
  const ttl = await redis.pttl(`${PREFIX}seen:alice|203.0.113.7`);
  assert.ok(ttl > 0 && ttl <= 3_600_000, `expiry is set (${ttl} ms)`);
  const p = a.enrichment().providers.get('logins')!;
  assert.deepEqual([p.hits, p.misses], [1, 1], 'the event that created the key counts as a miss');
});

test('write.fields stores event values for the other instances; they see the value from before their batch', async () => {
  const cfg = {
    table: { name: 'last_ip', redis: { url: URL, key_prefix: `${PREFIX}lastip:`, write: { fields: { ip: 'src_endpoint.ip', country: 'src_endpoint.location.country' } } } },
    key: { field: 'user.name' },
    mappings: { ip: 'unmapped.previous_ip', country: 'unmapped.previous_country' },
  };
  const a = lookup(cfg);
  const b = lookup(cfg);
  const firstSeen = await run(a, [
    { user: { name: 'bob' }, src_endpoint: { ip: '192.0.2.1', location: { country: 'DE' } } },
    { user: { name: 'bob' }, src_endpoint: { ip: '192.0.2.2', location: { country: 'FR' } } },
  ]);
  assert.equal(firstSeen[0]!.unmapped, undefined, 'nothing stored yet');
  const later = await run(b, [{ user: { name: 'bob' }, src_endpoint: { ip: '198.51.100.1' } }]);
  assert.deepEqual(later[0]!.unmapped, { previous_ip: '192.0.2.2', previous_country: 'FR' }, 'the last event of the batch was stored');
  assert.deepEqual(await redis.hgetall(`${PREFIX}lastip:bob`), { ip: '198.51.100.1', country: 'FR' }, 'a missing field leaves the stored one');
  assert.ok((await redis.pttl(`${PREFIX}lastip:bob`)) > 0, 'the default ttl applies');
});

test('Redis down (a closed port): events pass at once, marked failed, and the failures are counted', async () => {
  const port = await closedPort();
  const logs: string[] = [];
  const rt = lookup(assets({ url: `redis://${HOST}:${port}`, connect_timeout: '1s' }), logs);
  const events = [{ src_endpoint: { ip: '10.0.0.5' } }, { src_endpoint: { ip: '10.0.0.6' } }, { message: 'no key' }];
  for (let round = 0; round < 3; round++) {
    const out = await run(rt, structuredClone(events));
    assert.equal(out[0]!.device, undefined);
    assert.equal(out[0]!.enrichments.length, 1);
    const entry = out[0]!.enrichments[0];
    assert.deepEqual({ ...entry, data: { status: entry.data.status } }, { name: 'src_endpoint.ip', value: '10.0.0.5', type: 'lookup', provider: 'assets', data: { status: 'failed' } });
    assert.match(entry.data.reason, /^not connected: .*ECONNREFUSED/);
    assert.equal(out[2]!.enrichments, undefined, 'an event without a key is not a failure');
  }
  const p = rt.enrichment().providers.get('assets')!;
  assert.deepEqual([p.hits, p.misses, p.failures, p.skipped], [0, 0, 6, 3]);
  assert.equal(logs.filter((l) => /Redis lookups fail/.test(l)).length, 1, 'the outage is logged once');
});

test('Redis going away mid-stream and coming back: failed lookups meanwhile, hits again after', async () => {
  const proxy = await tcpProxy(PORT);
  const logs: string[] = [];
  const rt = lookup(assets({ url: `redis://${HOST}:${proxy.port}`, cache: { ttl: 0 } }), logs);
  const ev = () => [{ src_endpoint: { ip: '10.0.0.5' } }];
  try {
    assert.equal((await run(rt, ev()))[0]!.device.owner.name, 'alice');
    await proxy.stop();
    const down = (await run(rt, ev()))[0]!;
    assert.equal(down.enrichments[0].data.status, 'failed');
    await proxy.restart();
    let back: Obj | undefined;
    for (let i = 0; i < 100 && !back?.device; i++) {
      back = (await run(rt, ev()))[0]!;
      if (!back.device) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(back!.device.owner.name, 'alice', 'reconnected on its own');
    assert.ok(logs.some((l) => /Redis answers again/.test(l)), logs.join('\n'));
  } finally {
    await proxy.stop();
  }
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A TCP proxy to Redis that can be stopped (closing every connection) and restarted on the same port. */
async function tcpProxy(target: number): Promise<{ port: number; stop(): Promise<void>; restart(): Promise<void> }> {
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(target, HOST);
      sockets.add(client); sockets.add(upstream);
      client.pipe(upstream); upstream.pipe(client);
      const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('error', end); upstream.on('error', end); client.on('close', end); upstream.on('close', end);
    });
    await new Promise<void>((r) => server!.listen(port, HOST, r));
    port = (server!.address() as { port: number }).port;
  };
  await listen();
  return {
    get port() { return port; },
    async stop() {
      if (!server) return;
      const s = server;
      server = null;
      for (const x of sockets) x.destroy();
      sockets.clear();
      await new Promise((r) => s.close(r));
    },
    restart: listen,
  };
}
