/**
 * The `lookup` transform against a real PostgreSQL (127.0.0.1:5432, user postgres, database
 * `test`). Each run creates its own table and drops it. Without a server these tests fail.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Logger } from '../../src/core/component.js';
import type { Event } from '../../src/core/event.js';
import { checkConfig, runTransform, eventually } from '../../src/engine/testing.js';
import def, { createLookup, type LookupConfig, type LookupRuntime } from '../../src/components/transforms/lookup/index.js';

const URL = process.env['SLUICE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TABLE = `sluice_lookup_it_${process.pid}_${Date.now().toString(36)}`;
// Events and enrichment entries are plain JSON; the tests read them by path.
type Obj = Record<string, any>;

let admin: pg.Client;
const runtimes: LookupRuntime[] = [];

before(async () => {
  admin = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`CREATE TABLE ${TABLE} (network cidr NOT NULL, owner text, criticality int, tags jsonb, seen_at timestamptz, retired boolean DEFAULT false)`);
  await admin.query(`INSERT INTO ${TABLE} (network, owner, criticality, tags, seen_at) VALUES
    ('10.0.0.0/8', 'it', 1, '["corp"]', '2030-01-02T03:04:05Z'),
    ('10.20.0.0/16', 'payments', 4, '["pci","prod"]', NULL),
    ('2001:db8:1::/48', 'edge', 2, NULL, NULL)`);
});

after(async () => {
  for (const rt of runtimes) await rt.stop();
  await admin?.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => {});
  await admin?.end().catch(() => {});
});

function lookup(raw: Record<string, unknown>, logs: string[] = []): LookupRuntime {
  const log: Logger = { debug() {}, info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
  const rt = createLookup(checkConfig(def, raw) as unknown as LookupConfig, { id: 'assets', configDir: process.cwd(), log });
  runtimes.push(rt);
  return rt;
}

async function run(rt: LookupRuntime, events: Obj[]): Promise<Obj[]> {
  const r = await runTransform(rt, events as Event[]);
  assert.equal(r.main.length, events.length);
  return r.main as Obj[];
}

const table = (extra: Record<string, unknown> = {}) => ({
  postgres: { connection: URL, query: `SELECT network, owner, criticality, tags, seen_at FROM ${TABLE} WHERE NOT retired`, ...extra },
});

test('a PostgreSQL query keyed by CIDR: the innermost network wins, column types come through as JSON values', async () => {
  const rt = lookup({
    table: table(),
    key: { field: 'src_endpoint.ip', column: 'network', match: 'cidr' },
    mappings: { owner: 'device.owner.name', criticality: 'device.risk_level_id', tags: 'device.groups', seen_at: 'device.first_seen' },
  });
  const [a, b, c, d] = await run(rt, [
    { src_endpoint: { ip: '10.20.1.1' } }, { src_endpoint: { ip: '10.1.1.1' } }, { src_endpoint: { ip: '2001:db8:1::9' } }, { src_endpoint: { ip: '192.0.2.1' } },
  ]);
  assert.deepEqual(a!.device, { owner: { name: 'payments' }, risk_level_id: 4, groups: ['pci', 'prod'] });
  assert.deepEqual(b!.device, { owner: { name: 'it' }, risk_level_id: 1, groups: ['corp'], first_seen: '2030-01-02T03:04:05.000Z' });
  assert.equal(c!.device.owner.name, 'edge');
  assert.equal(d!.device, undefined);
  assert.deepEqual(a!.enrichments[0], { name: 'src_endpoint.ip', value: '10.20.1.1', type: 'lookup', provider: 'assets', data: { owner: 'payments', criticality: 4, tags: ['pci', 'prod'] } });
  const p = rt.enrichment().providers.get('assets')!;
  assert.deepEqual([p.hits, p.misses], [3, 1]);
  assert.equal(rt.counters()['lookup_rows.assets'], 3);
});

test('the query runs again every refresh_interval: an UPDATE shows up without a restart', async () => {
  const rt = lookup({ table: table({ refresh_interval: '200ms' }), key: { field: 'ip', column: 'network', match: 'cidr' }, mappings: { owner: 'owner' } });
  assert.equal((await run(rt, [{ ip: '10.20.9.9' }]))[0]!.owner, 'payments');
  await admin.query(`UPDATE ${TABLE} SET owner = 'treasury' WHERE network = '10.20.0.0/16'`);
  await eventually(async () => (await run(rt, [{ ip: '10.20.9.9' }]))[0]!.owner === 'treasury');
  await admin.query(`UPDATE ${TABLE} SET retired = true WHERE network = '10.20.0.0/16'`);
  await eventually(async () => (await run(rt, [{ ip: '10.20.9.9' }]))[0]!.owner === 'it');
  await admin.query(`UPDATE ${TABLE} SET owner = 'payments', retired = false WHERE network = '10.20.0.0/16'`);
  assert.ok(rt.counters()['lookup_loads.assets']! >= 3);
});

test('a failed reload keeps the rows loaded before and is counted; the next good one replaces them', async () => {
  const logs: string[] = [];
  const rt = lookup({ table: table(), key: { field: 'ip', column: 'network', match: 'cidr' }, mappings: { owner: 'owner' } }, logs);
  assert.equal((await run(rt, [{ ip: '10.1.1.1' }]))[0]!.owner, 'it');
  const moved = `${TABLE}_moved`;
  await admin.query(`ALTER TABLE ${TABLE} RENAME TO ${moved}`);
  try {
    await rt.refresh();
    assert.equal(rt.counters()['lookup_reload_failures.assets'], 1);
    assert.ok(logs.some((l) => /reload failed/.test(l)), logs.join('\n'));
    assert.equal((await run(rt, [{ ip: '10.1.1.1' }]))[0]!.owner, 'it', 'the old rows still answer');
  } finally {
    await admin.query(`ALTER TABLE ${moved} RENAME TO ${TABLE}`);
  }
  await admin.query(`UPDATE ${TABLE} SET owner = 'it-ops' WHERE network = '10.0.0.0/8'`);
  await rt.refresh();
  assert.equal((await run(rt, [{ ip: '10.1.1.1' }]))[0]!.owner, 'it-ops');
  await admin.query(`UPDATE ${TABLE} SET owner = 'it' WHERE network = '10.0.0.0/8'`);
});

test('statement_timeout bounds the query; a first load that fails names the table and the reason', async () => {
  const slow = lookup({
    table: { postgres: { connection: URL, query: 'SELECT pg_sleep(5) AS network', statement_timeout: '200ms' } },
    key: { field: 'ip', column: 'network' }, mappings: { network: 'n' },
  });
  await assert.rejects(slow.start(), /lookup table assets could not be loaded: postgres 127\.0\.0\.1:5432\/test: query failed: canceling statement due to statement timeout/);

  const bad = lookup({ table: { postgres: { connection: 'postgres://postgres@127.0.0.1:5432/test', query: 'SELECT * FROM no_such_table_here' } }, key: { field: 'ip', column: 'network' }, mappings: { network: 'n' } });
  await assert.rejects(bad.start(), /query failed: relation "no_such_table_here" does not exist/);
});

test('a server that is not there fails the first load with the address, never the password', async () => {
  const rt = lookup({ table: { postgres: { connection: 'postgres://postgres:hunter2@127.0.0.1:1/test', query: 'SELECT 1', connect_timeout: '2s' } }, key: { field: 'ip', column: 'network' }, mappings: { network: 'n' } });
  await assert.rejects(rt.start(), (e: Error) => /postgres 127\.0\.0\.1:1\/test: cannot connect: .*ECONNREFUSED/.test(e.message) && !e.message.includes('hunter2'));
});
