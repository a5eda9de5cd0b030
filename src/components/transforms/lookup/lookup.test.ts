import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Logger } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { checkConfig, runTransform, eventually } from '../../../engine/testing.js';
import { Registry } from '../../../engine/registry.js';
import { definitions } from '../../registry.js';
import { validateConfig } from '../../../engine/config/index.js';
import { runUnitTest } from '../../../engine/unit-tests.js';
import def, { createLookup, type LookupConfig, type LookupRuntime } from './index.js';

// Events and enrichment entries are plain JSON; the tests read them by path.
type Obj = Record<string, any>;

const dirs: string[] = [];
const runtimes: LookupRuntime[] = [];
after(async () => {
  for (const rt of runtimes) await rt.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lookup-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function lookup(dir: string, raw: Record<string, unknown>, logs: string[] = []): LookupRuntime {
  const log: Logger = { debug() {}, info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
  const rt = createLookup(checkConfig(def, raw) as unknown as LookupConfig, { id: 'lk', configDir: dir, log });
  runtimes.push(rt);
  return rt;
}

async function run(rt: LookupRuntime, events: Obj[]): Promise<Obj[]> {
  const r = await runTransform(rt, events as Event[]);
  assert.equal(r.errors.length, 0, `unexpected errors: ${r.errors.map((e) => e.reason).join('; ')}`);
  assert.equal(r.main.length, events.length, 'every event passes');
  return r.main as Obj[];
}

const USERS_CSV = 'username,department,title,manager\nalice,Finance,Controller,carol\nbob,IT,Admin,\ncarol,Finance,CFO,dave\n';

test('CSV table: mapped columns land on the event, with an OCSF enrichment entry', async () => {
  const dir = tmp({ 'users.csv': USERS_CSV });
  const rt = lookup(dir, {
    table: { csv: { path: 'users.csv' } },
    key: { field: 'user.name', column: 'username' },
    mappings: { department: 'user.org.name', title: 'user.title', manager: 'user.manager' },
  });
  const [a, b, c, d] = await run(rt, [{ user: { name: 'alice' } }, { user: { name: 'bob' } }, { user: { name: 'mallory' } }, { message: 'no user' }]);
  assert.deepEqual(a!.user, { name: 'alice', org: { name: 'Finance' }, title: 'Controller', manager: 'carol' });
  assert.deepEqual(a!.enrichments, [{ name: 'user.name', value: 'alice', type: 'lookup', provider: 'lk', data: { department: 'Finance', title: 'Controller', manager: 'carol' } }]);
  assert.equal(b!.user.manager, undefined, 'an empty cell is no value');
  assert.equal('manager' in b!.enrichments[0].data, false);
  assert.deepEqual(c, { user: { name: 'mallory' } }, 'a miss leaves the event unchanged');
  assert.deepEqual(d, { message: 'no user' });
  const p = rt.enrichment().providers.get('lk')!;
  assert.deepEqual([p.hits, p.misses, p.skipped, p.failures], [2, 1, 1, 0]);
  assert.equal(p.latency.count, 3, 'latency is recorded per lookup');
  assert.equal(rt.counters()['lookup_rows.lk'], 3);
});

test('the enrichment entry data is a copy: changing one event changes neither the table nor other events', async () => {
  const dir = tmp({ 'users.csv': USERS_CSV });
  const rt = lookup(dir, { table: { csv: { path: 'users.csv' } }, key: { field: 'user.name', column: 'username' }, mappings: { title: 'user.title' }, target: 'user.directory' });
  const [a] = await run(rt, [{ user: { name: 'alice' } }]);
  assert.deepEqual(a!.user.directory, { username: 'alice', department: 'Finance', title: 'Controller', manager: 'carol' });
  a!.user.directory.title = 'changed';
  a!.enrichments[0].data.title = 'changed';
  const [b] = await run(rt, [{ user: { name: 'alice' } }]);
  assert.equal(b!.user.directory.title, 'Controller');
  assert.equal(b!.enrichments[0].data.title, 'Controller');
});

test('CIDR keys: the innermost network wins, IPv4 and IPv6; values that are not addresses are skipped', async () => {
  const dir = tmp({ 'nets.csv': 'net,zone\n10.0.0.0/8,corp\n10.1.0.0/16,dc\n10.1.2.0/24,pci\n10.1.2.3,one-host\n2001:db8::/32,v6\n2001:db8:1::/48,v6-inner\nnot-a-net,x\n' });
  const logs: string[] = [];
  const rt = lookup(dir, { table: { csv: { path: 'nets.csv' } }, key: { field: 'ip', column: 'net', match: 'cidr' }, mappings: { zone: 'zone' } }, logs);
  const out = await run(rt, [
    { ip: '10.9.9.9' }, { ip: '10.1.200.1' }, { ip: '10.1.2.200' }, { ip: '10.1.2.3' }, { ip: '::ffff:10.1.2.4' },
    { ip: '2001:db8:5::1' }, { ip: '2001:db8:1:2::3' }, { ip: '192.0.2.1' }, { ip: 'example.com' },
  ]);
  assert.deepEqual(out.map((e) => e.zone ?? null), ['corp', 'dc', 'pci', 'one-host', 'pci', 'v6', 'v6-inner', null, null]);
  const p = rt.enrichment().providers.get('lk')!;
  assert.deepEqual([p.hits, p.misses, p.skipped], [7, 1, 1]);
  assert.equal(rt.counters()['lookup_invalid_rows.lk'], 1);
  assert.ok(logs.some((l) => /1 row\(s\) have no usable key \(not a network or address\)/.test(l)), logs.join('\n'));
});

test('CIDR keys in a dense /16 (split into /24 tables) still give the innermost network', async () => {
  // 5,000 /30s fill 10.1.0.0 - 10.1.78.31; wider networks overlap them at every level.
  let csv = 'net,name\n10.0.0.0/8,eight\n10.1.0.0/16,sixteen\n10.1.64.0/18,eighteen\n10.1.7.0/24,twentyfour\n10.1.200.0/24,lone24\n';
  for (let i = 0; i < 5000; i++) csv += `10.1.${(i * 4) >> 8}.${(i * 4) & 255}/30,q${i}\n`;
  const dir = tmp({ 'dense.csv': csv });
  const rt = lookup(dir, { table: { csv: { path: 'dense.csv' } }, key: { field: 'ip', column: 'net', match: 'cidr' }, mappings: { name: 'name' } });
  const out = await run(rt, [
    { ip: '10.1.0.1' }, { ip: '10.1.7.9' }, { ip: '10.1.78.31' }, { ip: '10.1.78.32' }, { ip: '10.1.100.1' },
    { ip: '10.1.200.7' }, { ip: '10.1.250.1' }, { ip: '10.2.0.1' }, { ip: '11.0.0.1' },
  ]);
  assert.deepEqual(out.map((e) => e.name ?? null), ['q0', 'q450', 'q4999', 'eighteen', 'eighteen', 'lone24', 'sixteen', 'eight', null]);
  assert.equal(rt.counters()['lookup_rows.lk'], 5005);
});

test('duplicate keys: the first row wins, counted and logged once', async () => {
  const dir = tmp({ 'dup.csv': 'k,v\na,first\nb,only\na,second\nA,other-case\n' });
  const logs: string[] = [];
  const rt = lookup(dir, { table: { csv: { path: 'dup.csv' } }, key: { field: 'k', column: 'k', match: 'case_insensitive' }, mappings: { v: 'v' } }, logs);
  const out = await run(rt, [{ k: 'a' }, { k: 'B' }]);
  assert.deepEqual(out.map((e) => e.v), ['first', 'only']);
  assert.equal(rt.counters()['lookup_duplicate_keys.lk'], 2);
  assert.equal(rt.counters()['lookup_rows.lk'], 2);
  await rt.refresh();
  await rt.refresh();
  assert.equal(logs.filter((l) => l.includes('repeat a key')).length, 1, logs.join('\n'));
});

test('alternative key fields are tried in order; a composite key needs every part', async () => {
  const dir = tmp({
    'people.csv': 'id,name\nalice@example.com,Alice\nbob,Bob\n',
    'pairs.csv': 'user,host,allowed\nalice,db-1,yes\nalice|x,db-1,tricky\n',
  });
  const alt = lookup(dir, { table: { csv: { path: 'people.csv' } }, key: { field: ['user.email_addr', 'user.name'], column: 'id' }, mappings: { name: 'user.full_name' } });
  const out = await run(alt, [
    { user: { email_addr: 'alice@example.com', name: 'bob' } },
    { user: { email_addr: 'nobody@example.com', name: 'bob' } },
    { user: { email_addr: 'nobody@example.com' } },
  ]);
  assert.deepEqual(out.map((e) => e.user.full_name ?? null), ['Alice', 'Bob', null]);
  assert.equal(out[1]!.enrichments[0].name, 'user.name', 'the entry names the field that matched');
  assert.deepEqual(alt.enrichment().providers.get('lk')!.misses, 1);

  const comp = lookup(dir, { table: { csv: { path: 'pairs.csv' } }, key: { fields: ['user', 'host'], columns: ['user', 'host'] }, mappings: { allowed: 'allowed' } });
  const out2 = await run(comp, [{ user: 'alice', host: 'db-1' }, { user: 'alice', host: 'db-2' }, { user: 'alice' }, { user: 'alice|x', host: 'db-1' }, { user: 'alice', host: 'x|db-1' }]);
  assert.deepEqual(out2.map((e) => e.allowed ?? null), ['yes', null, null, 'tricky', null], 'a separator inside a part cannot forge another key');
  assert.equal(out2[0]!.enrichments[0].name, 'user,host');
  assert.equal(out2[0]!.enrichments[0].value, 'alice|db-1');
});

test('defaults on a miss, overwrite off by default, and enrichments: none', async () => {
  const dir = tmp({ 'users.csv': USERS_CSV });
  const keep = lookup(dir, { table: { csv: { path: 'users.csv' } }, key: { field: 'u', column: 'username' }, mappings: { title: 'title', department: 'dept' }, defaults: { department: 'unknown' }, enrichments: 'none' });
  const out = await run(keep, [{ u: 'alice', title: 'from the event' }, { u: 'zed' }, { u: 'zed', dept: 'Sales' }]);
  assert.deepEqual(out, [
    { u: 'alice', title: 'from the event', dept: 'Finance' },
    { u: 'zed', dept: 'unknown' },
    { u: 'zed', dept: 'Sales' },
  ]);
  const over = lookup(dir, { table: { csv: { path: 'users.csv' } }, key: { field: 'u', column: 'username' }, mappings: { title: 'title' }, overwrite: true, enrichments: 'failures' });
  assert.deepEqual(await run(over, [{ u: 'alice', title: 'from the event' }]), [{ u: 'alice', title: 'Controller' }]);

  // Deeper paths, kept or replaced the same way; a non-object in the way is replaced by an object.
  const deep = { department: 'a.b.c', title: 'a.t', manager: 'x.y[0]' };
  const kept = lookup(dir, { table: { csv: { path: 'users.csv' } }, key: { field: 'u', column: 'username' }, mappings: deep, enrichments: 'none' });
  assert.deepEqual(await run(kept, [{ u: 'alice', a: { b: { c: 'mine' }, t: 'mine' }, x: { y: ['mine'] } }, { u: 'alice', a: 'text' }]), [
    { u: 'alice', a: { b: { c: 'mine' }, t: 'mine' }, x: { y: ['mine'] } },
    { u: 'alice', a: { b: { c: 'Finance' }, t: 'Controller' }, x: { y: ['carol'] } },
  ]);
  const replaced = lookup(dir, { table: { csv: { path: 'users.csv' } }, key: { field: 'u', column: 'username' }, mappings: deep, enrichments: 'none', overwrite: true });
  assert.deepEqual(await run(replaced, [{ u: 'alice', a: { b: { c: 'mine' }, t: 'mine' }, x: { y: ['mine'] } }]), [
    { u: 'alice', a: { b: { c: 'Finance' }, t: 'Controller' }, x: { y: ['carol'] } },
  ]);
});

test('CSV without a header, another delimiter, comments; numbers in events match text keys', async () => {
  const dir = tmp({ 'ports.csv': '# port;service\n22;ssh\n"443";"https; tls"\n\n3389;rdp\n' });
  const rt = lookup(dir, { table: { csv: { path: 'ports.csv', header: false, columns: ['port', 'service'], delimiter: ';', comment: '#' } }, key: { field: 'dst_endpoint.port', column: 'port' }, mappings: { service: 'service' } });
  const out = await run(rt, [{ dst_endpoint: { port: 22 } }, { dst_endpoint: { port: '443' } }, { dst_endpoint: { port: 3389 } }]);
  assert.deepEqual(out.map((e) => e.service), ['ssh', 'https; tls', 'rdp']);
});

test('JSON tables: a list, a list inside the document, an object keyed by name, and NDJSON', async () => {
  const dir = tmp({
    'list.json': JSON.stringify([{ id: 1, tags: ['vip'], owner: { team: 'red' } }, { id: 2, tags: [] }]),
    'nested.json': JSON.stringify({ data: { items: [{ host: 'web-1', tier: 'front' }] } }),
    'map.json': JSON.stringify({ alice: { role: 'admin' }, bob: { role: 'user' } }),
    'lines.ndjson': '{"sha256":"AB","verdict":"malicious"}\n\n{"sha256":"cd","verdict":"clean"}\n',
  });
  const list = lookup(dir, { table: { json: { path: 'list.json' } }, key: { field: 'n', column: 'id' }, mappings: { tags: 'tags', owner: 'owner' } });
  const [a] = await run(list, [{ n: 1 }]);
  assert.deepEqual(a, { n: 1, tags: ['vip'], owner: { team: 'red' }, enrichments: [{ name: 'n', value: '1', type: 'lookup', provider: 'lk', data: { tags: ['vip'], owner: { team: 'red' } } }] });
  a!.tags.push('changed');
  const [a2] = await run(list, [{ n: '1' }]);
  assert.deepEqual(a2!.tags, ['vip'], 'objects from the table are copied per event');

  const nested = lookup(dir, { table: { json: { path: 'nested.json', records: 'data.items' } }, key: { field: 'host', column: 'host' }, mappings: { tier: 'tier' } });
  assert.equal((await run(nested, [{ host: 'web-1' }]))[0]!.tier, 'front');

  const map = lookup(dir, { table: { json: { path: 'map.json' } }, key: { field: 'user', column: 'name' }, mappings: { role: 'role', name: 'checked' } });
  assert.deepEqual((await run(map, [{ user: 'bob' }]))[0], { user: 'bob', role: 'user', checked: 'bob', enrichments: [{ name: 'user', value: 'bob', type: 'lookup', provider: 'lk', data: { role: 'user', name: 'bob' } }] });

  // A `__proto__` key in a JSON row is a plain field wherever it is copied, never a prototype.
  writeFileSync(join(dir, 'proto.json'), '[{"id":"x","__proto__":{"polluted":true},"info":{"__proto__":{"polluted":true}}}]');
  const proto = lookup(dir, { table: { json: { path: 'proto.json' } }, key: { field: 'id', column: 'id' }, mappings: { info: 'info' }, target: 'row' });
  const [p] = await run(proto, [{ id: 'x' }]);
  assert.equal(Object.getPrototypeOf(p!.row), Object.prototype);
  assert.equal(Object.getPrototypeOf(p!.info), Object.prototype);
  assert.deepEqual(Object.keys(p!.row), ['id', '__proto__', 'info']);
  assert.equal(({} as Obj).polluted, undefined);
  assert.equal(p!.row.polluted, undefined);

  const lines = lookup(dir, { table: { json: { path: 'lines.ndjson', lines: true } }, key: { field: 'hash', column: 'sha256', match: 'case_insensitive' }, mappings: { verdict: 'verdict' } });
  assert.deepEqual((await run(lines, [{ hash: 'ab' }, { hash: 'CD' }])).map((e) => e.verdict), ['malicious', 'clean']);
});

test('SQLite table: queried into memory, re-queried when the database changes', async () => {
  const dir = tmp();
  const file = join(dir, 'assets.db');
  const db = new Database(file);
  db.exec("CREATE TABLE assets (cidr TEXT, owner TEXT, crit INTEGER, retired INTEGER); INSERT INTO assets VALUES ('10.0.0.0/8', 'it', 1, 0), ('10.5.0.0/16', 'lab', 3, 0), ('10.6.0.0/16', 'old', 2, 1);");
  db.close();
  const rt = lookup(dir, { table: { sqlite: { path: 'assets.db', query: 'SELECT cidr, owner, crit FROM assets WHERE retired = 0' } }, key: { field: 'ip', column: 'cidr', match: 'cidr' }, mappings: { owner: 'owner', crit: 'crit' } });
  const out = await run(rt, [{ ip: '10.5.1.1' }, { ip: '10.6.1.1' }]);
  assert.deepEqual(out.map((e) => [e.owner, e.crit]), [['lab', 3], ['it', 1]], 'integers stay numbers; the WHERE applies');

  const w = new Database(file);
  w.exec("UPDATE assets SET owner = 'research' WHERE cidr = '10.5.0.0/16'");
  w.close();
  await rt.refresh();
  assert.equal((await run(rt, [{ ip: '10.5.1.1' }]))[0]!.owner, 'research');
  assert.equal(rt.counters()['lookup_loads.lk'], 2);
});

test('a changed file is reloaded on its own; a broken one keeps the rows loaded before', async () => {
  const dir = tmp({ 'users.csv': USERS_CSV });
  const logs: string[] = [];
  const rt = lookup(dir, { table: { csv: { path: 'users.csv' } }, key: { field: 'u', column: 'username' }, mappings: { title: 'title' } }, logs);
  assert.equal((await run(rt, [{ u: 'alice' }]))[0]!.title, 'Controller');

  // Replaced the way tools do it: a new file renamed over the old one.
  writeFileSync(join(dir, 'users.tmp'), 'username,title\nalice,CEO\nerin,Intern\n');
  renameSync(join(dir, 'users.tmp'), join(dir, 'users.csv'));
  await eventually(async () => (await run(rt, [{ u: 'alice' }]))[0]!.title === 'CEO');
  assert.equal((await run(rt, [{ u: 'erin' }]))[0]!.title, 'Intern');
  assert.equal((await run(rt, [{ u: 'bob' }]))[0]!.title, undefined, 'rows gone from the file are gone from the table');

  writeFileSync(join(dir, 'users.csv'), 'username,title\nalice,"never closed\n');
  await rt.refresh();
  assert.equal(rt.counters()['lookup_reload_failures.lk'], 1);
  assert.equal((await run(rt, [{ u: 'alice' }]))[0]!.title, 'CEO', 'the old rows still answer');
  assert.ok(logs.some((l) => /reload failed, keeping the data loaded before/.test(l)), logs.join('\n'));

  rmSync(join(dir, 'users.csv'));
  await rt.refresh();
  assert.equal(rt.counters()['lookup_reload_failures.lk'], 2);
  assert.equal((await run(rt, [{ u: 'erin' }]))[0]!.title, 'Intern');
});

test('a first load that fails sends the batch to errors, names the table, and is tried again', async () => {
  const dir = tmp();
  const rt = lookup(dir, { table: { name: 'assets', csv: { path: 'later.csv' } }, key: { field: 'u', column: 'username' }, mappings: { title: 'title' } });
  // The engine turns a batch that throws into `errors` events carrying the message.
  await assert.rejects(runTransform(rt, [{ u: 'alice' }]), /lookup table assets could not be loaded: cannot read .*later\.csv: ENOENT/);
  await assert.rejects(runTransform(rt, [{ u: 'alice' }]), /could not be loaded/, 'a batch right after fails the same way without another try');
  writeFileSync(join(dir, 'later.csv'), USERS_CSV);
  await new Promise((res) => setTimeout(res, 1100));
  assert.equal((await run(rt, [{ u: 'alice' }]))[0]!.title, 'Controller');
});

test('config problems are reported at build time, naming the option', () => {
  const build = (raw: Record<string, unknown>) => createLookup(checkConfig(def, raw) as unknown as LookupConfig, { id: 'lk', configDir: tmpdir(), log: { debug() {}, info() {}, warn() {}, error() {} } });
  const cases: [Record<string, unknown>, RegExp, string][] = [
    [{ table: { csv: { path: 'a.csv' }, json: { path: 'a.json' } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' } }, /set one table source, found csv and json/, 'table'],
    [{ table: { csv: { path: 'a.csv' } }, key: { field: 'a' }, mappings: { a: 'b' } }, /no key column/, 'key'],
    [{ table: { csv: { path: 'a.csv' } }, key: { field: 'a', column: 'a' } }, /nothing to do/, ''],
    [{ table: { csv: { path: 'a.csv' } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' }, defaults: { z: 1 } }, /`defaults` names column `z`/, 'defaults.z'],
    [{ table: { csv: { path: 'a.csv', url: 'https://example.com/a.csv' } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' } }, /not both/, 'table.csv'],
    [{ table: { csv: { path: 'a.csv', header: false } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' } }, /name the columns/, 'table.csv.columns'],
    [{ table: { redis: {} }, key: { field: 'ip', match: 'cidr' }, mappings: { a: 'b' } }, /keyed by exact values/, 'key.match'],
    [{ table: { csv: { path: 'a.csv' } }, key: { fields: ['a', 'b'], columns: ['a'] }, mappings: { a: 'b' } }, /pair up in order/, 'key.columns'],
    [{ table: { redis: { url: 'http://:hunter2@x' } }, key: { field: 'ip' }, mappings: { a: 'b' } }, /^`url` is a redis:\/\/ or rediss:\/\/ URL$/, 'table.redis.url'],
    [{ table: { redis: {} }, key: { field: 'ip', column: 'ip' }, mappings: { a: 'b' } }, /`column` is not used/, 'key.column'],
    [{ table: { postgres: { connection: 'mysql://x', query: 'select 1' } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' } }, /postgres:\/\/ URL/, 'table.postgres.connection'],
  ];
  for (const [raw, msg, path] of cases) {
    assert.throws(() => build(raw), (e: Error & { path?: unknown[] }) => msg.test(e.message) && (e.path ?? []).join('.') === path, `${msg}`);
  }
  assert.throws(() => checkConfig(def, { table: { csv: { path: 'a.csv' } }, key: { field: 'a', column: 'a', match: 'prefix' }, mappings: { a: 'b' } }), /expected one of "exact", "case_insensitive", "cidr"/);
});

test('building opens nothing: a missing file or an unreachable database is found when the table loads', async () => {
  const dir = tmp();
  const active = () => process.getActiveResourcesInfo().filter((r) => /TCP|FSReq|FSEvent|Timeout/.test(r)).sort();
  await new Promise((r) => setImmediate(r));
  const before = active();
  lookup(dir, { table: { csv: { path: 'missing.csv' } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' } });
  lookup(dir, { table: { postgres: { connection: 'postgres://nobody@127.0.0.1:1/none', query: 'select 1' } }, key: { field: 'a', column: 'a' }, mappings: { a: 'b' } });
  lookup(dir, { table: { redis: { url: 'redis://127.0.0.1:1' } }, key: { field: 'a' }, mappings: { a: 'b' } });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(active(), before);
});

test('the examples run and pass their own tests', async () => {
  const registry = new Registry([...definitions.filter((d) => !(d.kind === 'transform' && d.type === 'lookup')), def]);
  // Compiled tests run from dist/ (or a private build folder); examples live in src/.
  const repo = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/(?:dist|\.build\/[^/]+)\/$/, '/');
  const dir = join(repo, 'src', 'components', 'transforms', 'lookup', 'examples');
  const cfg = validateConfig([join(dir, 'assets-by-subnet.yaml')], registry, { env: {} });
  assert.ok(cfg.tests.length > 0);
  for (const tc of cfg.tests) {
    const r = await runUnitTest(cfg, tc);
    const why = r.error ?? [...r.outputs.flatMap((o) => o.failures), ...r.unexpected.map((u) => `unexpected output from ${u.output}`)].join('; ');
    assert.ok(r.passed, `${tc.name}: ${why}`);
  }
});
