import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileCorrelation,
  CorrelationEngine,
  type CompiledCorrelation,
  type CorrelationAlert,
  type CorrelationEngineOptions,
} from './correlation.js';
import type { SigmaCorrelation } from './types.js';

// Fixtures follow the examples of the Sigma correlation specification 2.1.

const FILE = 'rules/mr_fixture.yml';

function doc(correlation: Record<string, unknown>, meta: { id?: string; name?: string; title?: string; line?: number; generate?: unknown } = {}): SigmaCorrelation {
  const raw: Record<string, unknown> = { title: meta.title ?? 'fixture', correlation };
  if (meta.generate !== undefined) raw['generate'] = meta.generate;
  const d: SigmaCorrelation = {
    type: 'correlation',
    file: FILE,
    place: { file: FILE, line: meta.line ?? 1, col: 1 },
    title: meta.title ?? 'fixture',
    references: [],
    tags: [],
    falsepositives: [],
    raw,
    correlation,
  };
  if (meta.id !== undefined) d.id = meta.id;
  if (meta.name !== undefined) d.name = meta.name;
  return d;
}

function compile(correlation: Record<string, unknown>, meta: Parameters<typeof doc>[1] = {}): CompiledCorrelation {
  const r = compileCorrelation(doc(correlation, meta));
  if (!r.ok) assert.fail(`expected to compile: ${r.error.message}`);
  return r.rule;
}

function compileError(correlation: unknown, meta: Parameters<typeof doc>[1] = {}): string {
  const r = compileCorrelation(doc(correlation as Record<string, unknown>, { line: 7, ...meta }));
  if (r.ok) assert.fail(`expected a compile error for ${JSON.stringify(correlation)}`);
  assert.equal(r.error.file, FILE);
  assert.deepEqual(r.error.place, { file: FILE, line: 7, col: 1 });
  return r.error.message;
}

function engine(cs: CompiledCorrelation[], opts: CorrelationEngineOptions = {}): CorrelationEngine {
  return new CorrelationEngine(cs, opts);
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** Feed matches; returns every alert, in order. */
function feed(e: CorrelationEngine, matches: Array<[rule: string, time: number, event: Record<string, unknown>]>): CorrelationAlert[] {
  const out: CorrelationAlert[] = [];
  for (const [rule, time, event] of matches) out.push(...e.observe({ ruleName: rule, event, time }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// event_count

const manyFailedLogins = () => compile({
  type: 'event_count',
  rules: ['5638f7c0-ac70-491d-8465-2a65075e0d86'],
  'group-by': ['ComputerName'],
  timespan: '1h',
  condition: { gte: 100 },
}, { id: '0e95725d-7320-415d-80f7-004da920fc11', title: 'Many failed logins' });

test('event_count (spec example): 100 failed logins to one host within an hour fire once, per host', () => {
  const e = engine([manyFailedLogins()]);
  const rule = '5638f7c0-ac70-491d-8465-2a65075e0d86';
  const alerts: CorrelationAlert[] = [];
  for (let i = 0; i < 99; i++) {
    alerts.push(...e.observe({ ruleId: rule, event: { ComputerName: 'dc1', n: i }, time: i * S }));
    alerts.push(...e.observe({ ruleId: rule, event: { ComputerName: 'dc2', n: i }, time: i * S }));
  }
  assert.equal(alerts.length, 0, 'two hosts with 99 each: no host reached 100');
  const fired = e.observe({ ruleId: rule, event: { ComputerName: 'dc1', n: 99 }, time: 99 * S });
  assert.equal(fired.length, 1);
  const a = fired[0]!;
  assert.equal(a.label, '0e95725d-7320-415d-80f7-004da920fc11');
  assert.equal(a.type, 'event_count');
  assert.deepEqual(a.group, { ComputerName: 'dc1' });
  assert.equal(a.value, 100);
  assert.equal(a.eventCount, 100);
  assert.equal(a.first, 0);
  assert.equal(a.last, 99 * S);
  assert.deepEqual(a.rules, [rule]);
  assert.equal(a.events.length, 10, 'sample events are bounded');
  assert.deepEqual(a.events.map((ev) => ev['n']), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99], 'the newest, oldest first');

  // The window was reset on firing: the 101st login does not alert again.
  assert.equal(e.observe({ ruleId: rule, event: { ComputerName: 'dc1' }, time: 100 * S }).length, 0);
  assert.equal(e.stats().fired, 1);
});

test('event_count: a match older than the timespan no longer counts (sliding window, ends included)', () => {
  const c = compile({ type: 'event_count', rules: ['fail'], 'group-by': ['user'], timespan: '1m', condition: { gte: 3 } });
  const e = engine([c]);
  const u = { user: 'bob' };
  assert.equal(feed(e, [['fail', 0, u], ['fail', 30 * S, u], ['fail', 61 * S, u]]).length, 0, '0s left the window at 61s');
  const a = feed(e, [['fail', 62 * S, u]]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.first, 30 * S);
  assert.equal(a[0]!.last, 62 * S);

  const e2 = engine([c]);
  assert.equal(feed(e2, [['fail', 0, u], ['fail', 30 * S, u], ['fail', 60 * S, u]]).length, 1, 'exactly one timespan apart is inside');
});

test('event_count: out-of-order matches are placed by event time; too-late ones are dropped and counted', () => {
  const c = compile({ type: 'event_count', rules: ['fail'], 'group-by': ['user'], timespan: '1m', condition: { gte: 3 } });
  const e = engine([c]);
  const u = { user: 'bob' };
  const a = feed(e, [['fail', 50 * S, u], ['fail', 10 * S, u], ['fail', 30 * S, u]]);
  assert.equal(a.length, 1, 'all three lie within one minute although they arrived out of order');
  assert.equal(a[0]!.first, 10 * S);
  assert.equal(a[0]!.last, 50 * S);

  const e2 = engine([c]);
  assert.equal(feed(e2, [['fail', 100 * S, u], ['fail', 30 * S, u], ['fail', 101 * S, u]]).length, 0, 'the 30s match is more than a minute older than 100s');
  assert.equal(e2.stats().late, 1);
  assert.equal(feed(e2, [['fail', 99 * S, u]]).length, 1, 'a slightly late match still counts');
});

test('event_count: dense matches share a time slot, which keeps memory bounded at a precision of one slot', () => {
  // 10s window, 10 slots: matches in the same second share an entry that leaves with its earliest match.
  const c = compile({ type: 'event_count', rules: ['r'], timespan: '10s', condition: { gte: 3 } });
  const e = engine([c], { maxValuesPerGroup: 10 });
  assert.equal(feed(e, [['r', 0, {}], ['r', 500, {}], ['r', 10_400, {}], ['r', 10_500, {}]]).length, 0,
    'exact times would count 500, 10400, 10500; the 500ms match left with its slot (earliest 0ms)');
  const e2 = engine([c], { maxValuesPerGroup: 10 });
  assert.equal(feed(e2, [['r', 0, {}], ['r', 1500, {}], ['r', 10_400, {}], ['r', 10_500, {}]]).length, 1, 'in its own slot the 1500ms match is still in the window');

  // However many matches arrive, the count is exact.
  const dense = compile({ type: 'event_count', rules: ['r'], timespan: '10s', condition: { gte: 5000 } });
  const e3 = engine([dense], { maxValuesPerGroup: 10 });
  let firedAt = -1;
  for (let i = 0; i < 6000 && firedAt < 0; i++) if (e3.observe({ ruleName: 'r', event: {}, time: i }).length > 0) firedAt = i;
  assert.equal(firedAt, 4999);
});

test('event_count without group-by counts all matches as one group', () => {
  const c = compile({ type: 'event_count', rules: ['r'], timespan: '1m', condition: { gt: 2 } });
  const e = engine([c]);
  const a = feed(e, [['r', 0, { h: 'a' }], ['r', 1, { h: 'b' }], ['r', 2, { h: 'c' }]]);
  assert.equal(a.length, 1);
  assert.deepEqual(a[0]!.group, {});
  assert.equal(a[0]!.value, 3);
});

test('a match without a group-by field is not counted', () => {
  const c = compile({ type: 'event_count', rules: ['r'], 'group-by': ['user'], timespan: '1m', condition: { gte: 2 } });
  const e = engine([c]);
  assert.equal(feed(e, [['r', 0, {}], ['r', 1, { user: null }], ['r', 2, { user: 'a' }]]).length, 0);
  assert.equal(e.stats().missingGroupBy, 2);
  assert.equal(feed(e, [['r', 3, { user: 'a' }]]).length, 1);
  // An empty string is a value.
  assert.equal(feed(e, [['r', 4, { user: '' }], ['r', 5, { user: '' }]]).length, 1);
});

test('group-by fields: the exact flat key first, then the nested path; several fields group together', () => {
  const c = compile({ type: 'event_count', rules: ['conn'], 'group-by': ['id.orig_h', 'proto'], timespan: '1m', condition: { gte: 2 } });
  const e = engine([c]);
  const a = feed(e, [
    ['conn', 0, { 'id.orig_h': '10.0.0.1', id: { orig_h: '10.9.9.9' }, proto: 'tcp' }],
    ['conn', 1, { id: { orig_h: '10.0.0.1' }, proto: 'udp' }],
    ['conn', 2, { id: { orig_h: '10.0.0.1' }, proto: 'tcp' }],
  ]);
  assert.equal(a.length, 1);
  assert.deepEqual(a[0]!.group, { 'id.orig_h': '10.0.0.1', proto: 'tcp' });
  // Values that would collide if simply joined stay apart.
  const e2 = engine([c]);
  assert.equal(feed(e2, [['conn', 0, { 'id.orig_h': 'a|', proto: 'b' }], ['conn', 1, { 'id.orig_h': 'a', proto: '|b' }]]).length, 0);
});

// ---------------------------------------------------------------------------------------------
// Lower bounds wait for the window to end

test('settle conditions (lt, eq, ranges) are evaluated once, when the window ends', () => {
  const few = compile({ type: 'event_count', rules: ['heartbeat'], 'group-by': ['host'], timespan: '1m', condition: { lt: 3 } }, { id: 'few-heartbeats' });
  const e = engine([few]);
  assert.equal(feed(e, [['heartbeat', 0, { host: 'a' }], ['heartbeat', 10 * S, { host: 'a' }]]).length, 0, 'not yet known while the window is open');
  feed(e, [['heartbeat', 0, { host: 'b' }], ['heartbeat', 5 * S, { host: 'b' }], ['heartbeat', 6 * S, { host: 'b' }]]);
  assert.equal(e.expire(60 * S).length, 0, 'the windows end at 60s, not before');
  const closed = e.expire(60 * S + 1);
  assert.equal(closed.length, 1);
  assert.deepEqual(closed[0]!.group, { host: 'a' });
  assert.equal(closed[0]!.value, 2);
  assert.equal(closed[0]!.first, 0);
  assert.equal(closed[0]!.last, 10 * S);
  assert.equal(e.stats().groups, 0);

  // A later match of the group closes the window as well, and opens the next one.
  const range = compile({ type: 'event_count', rules: ['r'], timespan: '1m', condition: { gt: 1, lte: 3 } });
  const e2 = engine([range]);
  const a = feed(e2, [['r', 0, {}], ['r', 1 * S, {}], ['r', 2 * S, {}], ['r', 70 * S, {}]]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.value, 3);
  assert.equal(e2.expire(200 * S).length, 0, 'the new window holds one match: not in (1, 3]');
});

test('temporal with an upper bound reports absence when the window ends: a without b', () => {
  const c = compile({ type: 'temporal', rules: ['job_started', 'job_finished'], 'group-by': ['job'], timespan: '1h', condition: { lt: 2 } });
  const e = engine([c]);
  feed(e, [['job_started', 0, { job: 'backup' }], ['job_started', 0, { job: 'sync' }], ['job_finished', 30 * M, { job: 'sync' }]]);
  const a = e.expire(H + 1);
  assert.equal(a.length, 1);
  assert.deepEqual(a[0]!.group, { job: 'backup' });
  assert.equal(a[0]!.value, 1);
  assert.deepEqual(a[0]!.rules, ['job_started']);
});

// ---------------------------------------------------------------------------------------------
// value_count

test('value_count (spec example): 100 distinct users failing on one source/destination pair in a day', () => {
  const c = compile({
    type: 'value_count',
    rules: ['5638f7c0-ac70-491d-8465-2a65075e0d86'],
    'group-by': ['ComputerName', 'WorkstationName'],
    timespan: '1d',
    condition: { field: 'User', gte: 100 },
  }, { id: '0e95725d-7320-415d-80f7-004da920fc12' });
  const e = engine([c]);
  const rule = '5638f7c0-ac70-491d-8465-2a65075e0d86';
  let alerts: CorrelationAlert[] = [];
  for (let i = 0; i < 99; i++) {
    // Each user twice: repeats do not add distinct values.
    alerts.push(...e.observe({ ruleId: rule, event: { ComputerName: 'dc1', WorkstationName: 'ws7', User: `u${i}` }, time: i * M }));
    alerts.push(...e.observe({ ruleId: rule, event: { ComputerName: 'dc1', WorkstationName: 'ws7', User: `u${i}` }, time: i * M + 1 }));
  }
  assert.equal(alerts.length, 0);
  alerts = e.observe({ ruleId: rule, event: { ComputerName: 'dc1', WorkstationName: 'ws8', User: 'u99' }, time: 100 * M });
  assert.equal(alerts.length, 0, 'another workstation is another group');
  alerts = e.observe({ ruleId: rule, event: { ComputerName: 'dc1', WorkstationName: 'ws7', User: 'u99' }, time: 100 * M });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.value, 100);
  assert.equal(alerts[0]!.eventCount, 199);
  assert.deepEqual(alerts[0]!.group, { ComputerName: 'dc1', WorkstationName: 'ws7' });
});

test('value_count: values seen only before the window do not count; a missing field is skipped', () => {
  const c = compile({ type: 'value_count', rules: ['r'], 'group-by': ['src'], timespan: '1m', condition: { field: 'dst_port', gte: 3 } });
  const e = engine([c]);
  const a = feed(e, [
    ['r', 0, { src: 'x', dst_port: 22 }],
    ['r', 10 * S, { src: 'x', dst_port: 80 }],
    ['r', 11 * S, { src: 'x' }],
    ['r', 65 * S, { src: 'x', dst_port: 443 }],
  ]);
  assert.equal(a.length, 0, '22 was last seen more than a minute before 443');
  assert.equal(e.stats().missingField, 1);
  assert.equal(feed(e, [['r', 66 * S, { src: 'x', dst_port: 22 }]]).length, 1);
});

test('value_count with a list of fields counts distinct combinations', () => {
  const c = compile({ type: 'value_count', rules: ['r'], timespan: '1m', condition: { field: ['user', 'domain'], gte: 3 } });
  const e = engine([c]);
  const a = feed(e, [
    ['r', 0, { user: 'a', domain: 'x' }],
    ['r', 1, { user: 'a', domain: 'x' }],
    ['r', 2, { user: 'a', domain: 'y' }],
    ['r', 3, { user: 'b', domain: 'x' }],
  ]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.value, 3);
});

test('value_count keeps at most maxValuesPerGroup values and says when a threshold cannot be reached', () => {
  const c = compile({ type: 'value_count', rules: ['r'], timespan: '1h', condition: { field: 'v', gte: 5 } }, { id: 'spray' });
  const e = engine([c], { maxValuesPerGroup: 4 });
  assert.deepEqual(e.problems().map((p) => p.message), [
    "correlation 'spray' needs 5 distinct values but a group keeps at most 4 (maxValuesPerGroup); it cannot fire until the limit is raised",
  ]);
  assert.equal(feed(e, [0, 1, 2, 3, 4, 5].map((i) => ['r', i, { v: i }] as [string, number, Record<string, unknown>])).length, 0);
  assert.equal(e.stats().valuesDropped, 2);
});

// ---------------------------------------------------------------------------------------------
// temporal and temporal_ordered

const recon = (type: 'temporal' | 'temporal_ordered') => compile({
  type,
  rules: ['recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c'],
  'group-by': ['ComputerName', 'User'],
  timespan: '5m',
});

test('temporal (spec example): three recon rules in any order within 5 minutes on one system by one user', () => {
  const e = engine([recon('temporal')]);
  const who = { ComputerName: 'ws1', User: 'eve' };
  const a = feed(e, [
    ['recon_cmd_c', 0, { ...who, cmd: 'whoami' }],
    ['recon_cmd_a', 1 * M, { ...who, cmd: 'net user' }],
    ['recon_cmd_a', 2 * M, { ComputerName: 'ws1', User: 'mallory', cmd: 'net user' }],
    ['recon_cmd_b', 4 * M, { ...who, cmd: 'ipconfig' }],
  ]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.value, 3);
  assert.deepEqual(a[0]!.group, { ComputerName: 'ws1', User: 'eve' });
  assert.deepEqual(a[0]!.rules.sort(), ['recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c']);
  assert.deepEqual(a[0]!.events.map((ev) => ev['cmd']), ['whoami', 'net user', 'ipconfig']);

  const e2 = engine([recon('temporal')]);
  assert.equal(feed(e2, [
    ['recon_cmd_a', 0, who], ['recon_cmd_b', 1 * M, who], ['recon_cmd_c', 5 * M + 1, who],
  ]).length, 0, 'a left the 5 minutes before c came');
  assert.equal(feed(e2, [['recon_cmd_a', 6 * M, who]]).length, 1, 'b, c and a new a are within 5 minutes');
});

test('temporal keeps an event of every rule among its samples', () => {
  const e = engine([recon('temporal')], { maxEventsPerAlert: 3 });
  const who = { ComputerName: 'ws1', User: 'eve' };
  const m: Array<[string, number, Record<string, unknown>]> = [['recon_cmd_a', 0, { ...who, i: 'a' }]];
  for (let i = 1; i <= 5; i++) m.push(['recon_cmd_b', i, { ...who, i: `b${i}` }]);
  m.push(['recon_cmd_c', 10, { ...who, i: 'c' }]);
  const a = feed(e, m);
  assert.equal(a.length, 1);
  assert.deepEqual(a[0]!.events.map((ev) => ev['i']), ['a', 'b5', 'c']);
});

test('temporal with a condition counts distinct rules', () => {
  const c = compile({ type: 'temporal', rules: ['a', 'b', 'c'], 'group-by': ['h'], timespan: '1m', condition: { gte: 2 } });
  const e = engine([c]);
  assert.equal(feed(e, [['a', 0, { h: 1 }], ['a', 1, { h: 1 }]]).length, 0, 'one rule twice is one rule');
  assert.equal(feed(e, [['c', 2, { h: 1 }]]).length, 1);
});

test('temporal_ordered (spec example): the rules must match in the order listed, by event time', () => {
  const who = { ComputerName: 'ws1', User: 'eve' };
  const e = engine([recon('temporal_ordered')]);
  assert.equal(feed(e, [['recon_cmd_b', 0, who], ['recon_cmd_a', 1 * S, who], ['recon_cmd_c', 2 * S, who]]).length, 0, 'b came before a');
  assert.equal(feed(e, [['recon_cmd_b', 3 * S, who]]).length, 0, 'the chain needs c after this b');
  const a = feed(e, [['recon_cmd_c', 4 * S, who]]);
  assert.equal(a.length, 1, 'a(1s) -> b(3s) -> c(4s)');
  assert.equal(a[0]!.value, 3);

  // Arrival order does not matter, event time does.
  const e2 = engine([recon('temporal_ordered')]);
  assert.equal(feed(e2, [['recon_cmd_c', 30 * S, who], ['recon_cmd_a', 10 * S, who], ['recon_cmd_b', 20 * S, who]]).length, 1);
});

test('failed logins followed by a successful login (spec example): a chain of correlations', () => {
  const outer = compile({
    type: 'temporal_ordered',
    rules: ['multiple_failed_login', 'successful_login'],
    'group-by': ['User'],
    timespan: '10m',
  }, { id: 'b180ead8-d58f-40b2-ae54-c8940995b9b6', title: 'Correlation - Multiple Failed Logins Followed by Successful Login' });
  const inner = compile({
    type: 'event_count',
    rules: ['failed_login'],
    'group-by': ['User'],
    timespan: '10m',
    condition: { gte: 10 },
  }, { id: 'a8418a5a-5fc4-46b5-b23b-6c73beb19d41', name: 'multiple_failed_login', title: 'Multiple failed logons' });
  const e = engine([outer, inner]);

  assert.deepEqual([...e.referenced()].sort(), ['failed_login', 'successful_login']);
  // generate is false (the default): the referenced rules and the inner correlation do not alert on their own.
  assert.equal(e.suppressBaseAlert('failed_login'), true);
  assert.equal(e.suppressBaseAlert('53ba33fd-3a50-4468-a5ef-c583635cfa92', 'successful_login'), true);
  assert.equal(e.suppressBaseAlert('some_other_rule'), false);

  const bob = (EventID: number, host = 'ws1') => ({ User: 'bob', EventID, ComputerName: host });
  const m: Array<[string, number, Record<string, unknown>]> = [];
  for (let i = 0; i < 10; i++) m.push(['failed_login', i * S, bob(4625, `ws${i % 3}`)]);
  m.push(['successful_login', 30 * S, { User: 'alice', EventID: 4624 }]);
  assert.equal(feed(e, m).length, 0, 'the inner alert is not returned; alice is another user');
  assert.equal(e.stats().fired, 1);
  assert.equal(e.stats().suppressed, 1);

  const a = feed(e, [['successful_login', 60 * S, bob(4624)]]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.label, 'b180ead8-d58f-40b2-ae54-c8940995b9b6');
  assert.deepEqual(a[0]!.group, { User: 'bob' });
  assert.deepEqual(a[0]!.rules, ['failed_login', 'successful_login'], 'chains are flattened to base rules');
  assert.equal(a[0]!.first, 9 * S, 'the inner correlation fired with the tenth failure');
  assert.equal(a[0]!.last, 60 * S);

  // A success before the failures is not the pattern.
  const e2 = engine([outer, inner]);
  const m2: Array<[string, number, Record<string, unknown>]> = [['successful_login', 0, bob(4624)]];
  for (let i = 1; i <= 10; i++) m2.push(['failed_login', i * S, bob(4625)]);
  assert.equal(feed(e2, m2).length, 0);
});

// ---------------------------------------------------------------------------------------------
// value_sum, value_avg, value_percentile

test('value_sum (spec example): more than 1,000,000 bytes sent by one source and user within an hour', () => {
  const c = compile({
    type: 'value_sum', rules: ['website_access'], 'group-by': ['SourceIP', 'User'], timespan: '1h',
    condition: { field: 'bytes_sent', gt: 1_000_000 },
  }, { title: 'Possible Exfiltration to Website' });
  const e = engine([c]);
  const ev = (bytes: unknown) => ({ SourceIP: '10.1.1.1', User: 'bob', bytes_sent: bytes });
  assert.equal(feed(e, [
    ['website_access', 0, ev(400_000)],
    ['website_access', 10 * M, ev('600000')],
    ['website_access', 11 * M, ev('n/a')],
  ]).length, 0, 'exactly 1,000,000 is not more; a value that is no number is skipped');
  assert.equal(e.stats().missingField, 1);
  const a = feed(e, [['website_access', 20 * M, ev(1)]]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.value, 1_000_001);
  assert.equal(a[0]!.label, 'Possible Exfiltration to Website');

  const e2 = engine([c]);
  assert.equal(feed(e2, [['website_access', 0, ev(900_000)], ['website_access', H + 1, ev(200_000)]]).length, 0, 'the first transfer left the hour');
});

test('value_avg (spec example): average BytesOut over 24h above 500', () => {
  const c = compile({
    type: 'value_avg', rules: ['rule_a_id'], 'group-by': ['SourceIP', 'User'], timespan: '24h',
    condition: { field: 'BytesOut', gt: 500 },
  });
  const e = engine([c]);
  const ev = (b: number) => ({ SourceIP: '10.1.1.1', User: 'bob', BytesOut: b });
  assert.equal(feed(e, [['rule_a_id', 0, ev(100)], ['rule_a_id', 1, ev(800)]]).length, 0, 'average 450');
  const a = feed(e, [['rule_a_id', 2, ev(700)]]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.value, 1600 / 3);
});

test('value_percentile with a percentile (as pySigma writes it): one outlier does not move the 95th percentile, two do', () => {
  const c = compile({
    type: 'value_percentile', rules: ['network_traffic'], 'group-by': ['SourceIP'], timespan: '15m',
    condition: { field: 'Latency', percentile: 95, gte: 500 },
  });
  const e = engine([c]);
  const m: Array<[string, number, Record<string, unknown>]> = [];
  for (let i = 1; i <= 19; i++) m.push(['network_traffic', i, { SourceIP: 'a', Latency: i * 10 }]);
  m.push(['network_traffic', 20, { SourceIP: 'a', Latency: 900 }]);
  assert.equal(feed(e, m).length, 0, '20 values: the 95th percentile is the 19th smallest, 190');
  const a = feed(e, [['network_traffic', 21, { SourceIP: 'a', Latency: 950 }]]);
  assert.equal(a.length, 1, '21 values: the 20th smallest, 900');
  assert.equal(a[0]!.value, 900);
});

test('value_percentile with a percentile fires when the nearest-rank percentile reaches the threshold', () => {
  const c = compile({
    type: 'value_percentile', rules: ['net'], timespan: '15m', condition: { field: 'Latency', percentile: 50, gte: 100 },
  });
  const e = engine([c]);
  assert.equal(feed(e, [['net', 0, { Latency: 10 }], ['net', 1, { Latency: 500 }]]).length, 0, 'median of [10, 500] by nearest rank is 10');
  const a = feed(e, [['net', 2, { Latency: 200 }]]);
  assert.equal(a.length, 1, 'median of [10, 200, 500] is 200');
  assert.equal(a[0]!.value, 200);
});

test('value_percentile as written in the spec (no percentile): a value that is at most 1% of a computer\'s matches', () => {
  const c = compile({
    type: 'value_percentile', rules: ['process_creation'], 'group-by': ['ComputerName'], timespan: '24h',
    condition: { field: 'Image', lte: 1 },
  });
  const e = engine([c]);
  const m: Array<[string, number, Record<string, unknown>]> = [];
  for (let i = 0; i < 199; i++) m.push(['process_creation', i * S, { ComputerName: 'ws1', Image: i % 2 ? 'C:\\Windows\\explorer.exe' : 'C:\\Windows\\svchost.exe' }]);
  assert.equal(feed(e, m).length, 0, 'common images are far above 1%');
  const rare = feed(e, [['process_creation', 200 * S, { ComputerName: 'ws1', Image: 'C:\\Users\\x\\AppData\\evil.exe' }]]);
  assert.equal(rare.length, 1);
  assert.equal(rare[0]!.value, 0.5, '1 of 200 matches');
  assert.deepEqual(rare[0]!.events.map((ev) => ev['Image']), ['C:\\Users\\x\\AppData\\evil.exe']);
  assert.equal(rare[0]!.eventCount, 200);
  // The baseline is kept after firing: a second rare image fires too, a common one does not.
  assert.equal(feed(e, [['process_creation', 201 * S, { ComputerName: 'ws1', Image: 'C:\\Windows\\svchost.exe' }]]).length, 0);
  assert.equal(feed(e, [['process_creation', 202 * S, { ComputerName: 'ws1', Image: 'C:\\tmp\\other.exe' }]]).length, 1);
  // A new computer has no baseline: its first image is 100% of its matches.
  assert.equal(feed(e, [['process_creation', 203 * S, { ComputerName: 'ws2', Image: 'C:\\tmp\\other.exe' }]]).length, 0);
});

// ---------------------------------------------------------------------------------------------
// Aliases

test('aliases (spec example): one address is the destination in one rule and the source in the other', () => {
  const c = compile({
    type: 'temporal',
    rules: ['internal_error', 'new_network_connection'],
    'group-by': ['internal_ip', 'remote_ip'],
    timespan: '10s',
    aliases: {
      internal_ip: { internal_error: 'destination.ip', new_network_connection: 'source.ip' },
      remote_ip: { internal_error: 'source.ip', new_network_connection: 'destination.ip' },
    },
  });
  const e = engine([c]);
  const err = { destination: { ip: '10.0.0.5' }, source: { ip: '203.0.113.9' }, http: { response: { status_code: 500 } } };
  const conn = { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.9', event: { category: 'network' } };
  const other = { 'source.ip': '10.0.0.5', 'destination.ip': '198.51.100.1' };
  assert.equal(feed(e, [['internal_error', 0, err], ['new_network_connection', 1 * S, other]]).length, 0, 'another remote address');
  const a = feed(e, [['new_network_connection', 2 * S, conn]]);
  assert.equal(a.length, 1);
  assert.deepEqual(a[0]!.group, { internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' });
  // The alias maps by rule name even when the match names its rule by id as well.
  const e2 = engine([c]);
  e2.observe({ ruleId: 'aaaa-1', ruleName: 'internal_error', event: err, time: 0 });
  assert.equal(e2.observe({ ruleId: 'bbbb-2', ruleName: 'new_network_connection', event: conn, time: 11 * S }).length, 0, 'outside 10s');
});

// ---------------------------------------------------------------------------------------------
// generate

test('generate: referenced rules keep their own alerts when a referencing correlation generates them', () => {
  const quiet = compile({ type: 'event_count', rules: ['r1', 'r2'], timespan: '1m', condition: { gte: 2 } }, { id: 'quiet' });
  const loudTop = compile({ type: 'event_count', rules: ['r2', 'r3'], timespan: '1m', condition: { gte: 2 } }, { id: 'loud', generate: true });
  const loudInside = compile({ type: 'event_count', rules: ['r4'], timespan: '1m', condition: { gte: 2 }, generate: true }, { id: 'loud2' });
  const e = engine([quiet, loudTop, loudInside]);
  assert.equal(e.suppressBaseAlert('r1'), true);
  assert.equal(e.suppressBaseAlert('r2'), false, 'one correlation asks for r2 stand-alone');
  assert.equal(e.suppressBaseAlert('r3'), false);
  assert.equal(e.suppressBaseAlert('r4'), false, 'generate inside the section, as pySigma writes it');
  assert.equal(e.suppressBaseAlert('unreferenced'), false);

  assert.match(compileError({ type: 'event_count', rules: ['r'], timespan: '1m', condition: { gte: 1 }, generate: false }, { generate: true }),
    /generate is true but correlation\.generate is false; keep one of them/);
  assert.match(compileError({ type: 'event_count', rules: ['r'], timespan: '1m', condition: { gte: 1 } }, { generate: 'yes' }),
    /^generate must be true or false, found 'yes'/);
});

test('generate on the outer correlation makes an inner correlation of a chain report too', () => {
  const inner = compile({ type: 'event_count', rules: ['f'], 'group-by': ['u'], timespan: '1m', condition: { gte: 2 } }, { name: 'inner' });
  const outer = compile({ type: 'event_count', rules: ['inner'], 'group-by': ['u'], timespan: '1h', condition: { gte: 2 } }, { name: 'outer', generate: true });
  const e = engine([inner, outer]);
  const m: Array<[string, number, Record<string, unknown>]> = [];
  for (let i = 0; i < 4; i++) m.push(['f', i * S, { u: 'x' }]);
  const a = feed(e, m);
  assert.deepEqual(a.map((x) => `${x.label}=${x.value}`), ['inner=2', 'inner=2', 'outer=2']);
});

// ---------------------------------------------------------------------------------------------
// Bounded state

test('at most maxGroupsPerRule groups per correlation: the least recently matched is evicted', () => {
  const c = compile({ type: 'event_count', rules: ['r'], 'group-by': ['user'], timespan: '1h', condition: { gte: 3 } });
  const e = engine([c], { maxGroupsPerRule: 3 });
  feed(e, [['r', 0, { user: 'u1' }], ['r', 1, { user: 'u1' }], ['r', 2, { user: 'u2' }], ['r', 3, { user: 'u3' }]]);
  assert.equal(e.stats().groups, 3);
  // Least recently matched first: u1, u2, u3; a new match of u2 moves it last, so u4 and u5 evict u1 and u3.
  feed(e, [['r', 4, { user: 'u2' }], ['r', 5, { user: 'u4' }], ['r', 6, { user: 'u5' }]]);
  const s = e.stats();
  assert.equal(s.groups, 3);
  assert.equal(s.evicted, 2);
  assert.equal(feed(e, [['r', 7, { user: 'u1' }]]).length, 0, "u1's two earlier matches were evicted with its group");
  assert.equal(feed(e, [['r', 8, { user: 'u2' }]]).length, 0, 'u2 was evicted by u1 coming back');
});

test('expire forgets windows that ended', () => {
  const c = compile({ type: 'event_count', rules: ['r'], 'group-by': ['user'], timespan: '1m', condition: { gte: 2 } });
  const e = engine([c]);
  feed(e, [['r', 0, { user: 'a' }], ['r', 30 * S, { user: 'b' }]]);
  e.expire(60 * S);
  assert.equal(e.stats().groups, 2, "a's window ends at 60s, inclusive");
  e.expire(60 * S + 1);
  assert.equal(e.stats().groups, 1);
  e.expire(10 * M);
  assert.equal(e.stats().groups, 0);
});

test('a match without a usable time is placed at the engine clock', () => {
  let now = 1_000_000;
  const c = compile({ type: 'event_count', rules: ['r'], timespan: '1m', condition: { gte: 2 } });
  const e = engine([c], { now: () => now });
  assert.equal(e.observe({ ruleName: 'r', event: {}, time: Number.NaN }).length, 0);
  now += 10 * S;
  const a = e.observe({ ruleName: 'r', event: {}, time: Number.NaN });
  assert.equal(a.length, 1);
  assert.equal(a[0]!.first, 1_000_000);
  assert.equal(a[0]!.last, 1_010_000);
});

test('a match dated far ahead of the clock is taken as happening now, so it cannot blind its group', () => {
  const now = 10 * H;
  const c = compile({ type: 'event_count', rules: ['r'], 'group-by': ['u'], timespan: '1m', condition: { gte: 3 } });
  const e = engine([c], { now: () => now });
  const a = feed(e, [['r', now + 5 * H, { u: 'x' }], ['r', now - 1 * S, { u: 'x' }], ['r', now - 2 * S, { u: 'x' }]]);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.last, now);
  assert.equal(e.stats().futureClamped, 1);
  assert.equal(e.stats().late, 0);
});

test('a correlation listing both the id and the name of a rule counts its match once', () => {
  const c = compile({ type: 'temporal', rules: ['1111-aaaa', 'login'], timespan: '1m' });
  const e = engine([c]);
  assert.equal(e.observe({ ruleId: '1111-aaaa', ruleName: 'login', event: {}, time: 0 }).length, 0);
});

test('duplicate ids and reference cycles disable the correlations involved, with a message', () => {
  const a = compile({ type: 'event_count', rules: ['b', 'base'], timespan: '1m', condition: { gte: 1 } }, { name: 'a', line: 3 });
  const b = compile({ type: 'event_count', rules: ['a'], timespan: '1m', condition: { gte: 1 } }, { name: 'b', line: 12 });
  const dup = compile({ type: 'event_count', rules: ['x'], timespan: '1m', condition: { gte: 1 } }, { name: 'a', line: 20 });
  const ok = compile({ type: 'event_count', rules: ['base'], timespan: '1m', condition: { gte: 1 } }, { name: 'ok', line: 30 });
  const e = engine([a, b, dup, ok]);
  const problems = e.problems().map((p) => `${p.place!.line}: ${p.message}`);
  assert.deepEqual(problems, [
    `20: correlation 'a' is also the id or name of the correlation at ${FILE}:3:1; ids and names must be unique; this one is disabled`,
    "3: correlation 'a' references itself through a -> b -> a; break the cycle; this one is disabled",
    "12: correlation 'b' references itself through b -> a -> b; break the cycle; this one is disabled",
  ]);
  assert.equal(e.stats().disabled, 3);
  assert.deepEqual(e.observe({ ruleName: 'base', event: {}, time: 0 }).map((x) => x.label), ['ok']);
});

// ---------------------------------------------------------------------------------------------
// Validation

test('compile errors name the document, its place and the attribute', () => {
  const base = { type: 'event_count', rules: ['r1'], 'group-by': ['User'], timespan: '1h', condition: { gte: 10 } };
  const cases: Array<[unknown, RegExp]> = [
    ['nope', /^the correlation section must be a mapping/],
    [{ ...base, groupby: ['User'] }, /^correlation: unknown attribute 'groupby'; did you mean 'group-by'\?/],
    [{ ...base, type: undefined }, /^correlation\.type is missing; use one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile$/],
    [{ ...base, type: 'event_cont' }, /^correlation\.type: 'event_cont' is not a correlation type; did you mean 'event_count'\?/],
    [{ ...base, rules: undefined }, /^correlation\.rules is missing/],
    [{ ...base, rules: [] }, /^correlation\.rules is empty/],
    [{ ...base, rules: ['a', 3] }, /^correlation\.rules\[1\] must be a rule id or name, found number 3/],
    [{ ...base, rules: ['a', 'a'] }, /^correlation\.rules lists 'a' twice/],
    [{ ...base, type: 'temporal', rules: ['a'] }, /^correlation\.rules: a temporal correlation relates at least two rules/],
    [{ ...base, timespan: undefined }, /^correlation\.timespan is missing; give the window, e\.g\. timespan: 5m/],
    [{ ...base, timespan: '1 hour' }, /^correlation\.timespan: '1 hour' is not a timespan; write a whole number and one of s, m, h, d/],
    [{ ...base, 'group-by': { a: 1 } }, /^correlation\.group-by must be a list of field names, found a mapping/],
    [{ ...base, 'group-by': ['a', 'a'] }, /^correlation\.group-by lists 'a' twice/],
    [{ ...base, aliases: { ip: 'src' } }, /^correlation\.aliases\.ip must map rule names to the event field/],
    [{ ...base, aliases: { ip: { r1: 5 } } }, /^correlation\.aliases\.ip\.r1 must be a field name, found number 5/],
    [{ ...base, condition: undefined }, /^correlation\.condition is missing; a event_count correlation needs one, e\.g\. condition: \{ gte: 10 \}/],
    [{ ...base, type: 'value_sum', condition: undefined }, /condition: \{ field: bytes_sent, gt: 1000000 \}/],
    [{ ...base, condition: [1] }, /^correlation\.condition must be a mapping such as \{ gte: 10 \}, found a list/],
    [{ ...base, condition: { gtee: 10 } }, /^correlation\.condition: unknown attribute 'gtee'; did you mean 'gte'\?/],
    [{ ...base, condition: { gte: '10' } }, /^correlation\.condition\.gte must be a number, found '10'/],
    [{ ...base, condition: { gte: 1.5 } }, /^correlation\.condition\.gte: a event_count counts events, so 1\.5 must be a whole number 0 or more/],
    [{ ...base, condition: { field: 'x' } }, /^correlation\.condition has no comparison/],
    [{ ...base, condition: { gte: 10, field: 'User' } }, /^correlation\.condition\.field has no meaning for event_count/],
    [{ ...base, type: 'value_count' }, /^correlation\.condition\.field is missing; a value_count correlation needs the field it aggregates/],
    [{ ...base, type: 'value_sum', condition: { gt: 1, field: ['a', 'b'] } }, /^correlation\.condition\.field: a value_sum aggregates one numeric field/],
    [{ ...base, type: 'value_avg', condition: { gt: 1, field: 7 } }, /^correlation\.condition\.field must be a field name, found number 7/],
    [{ ...base, condition: { gte: 10, percentile: 95 } }, /^correlation\.condition\.percentile only applies to value_percentile/],
    [{ ...base, type: 'value_percentile', condition: { gte: 10, field: 'x', percentile: 101 } }, /percentile must be a whole number from 0 to 100/],
    [{ ...base, condition: { gt: 10, lt: 5 } }, /^correlation\.condition can never be met: gt: 10, lt: 5 leaves no possible value/],
    [{ ...base, condition: { gt: 4, lt: 5 } }, /can never be met/],
    [{ ...base, condition: { eq: 3, neq: 3 } }, /equal and not equal to 3/],
    [{ ...base, type: 'temporal', rules: ['a', 'b'], condition: { gte: 3 } }, /gte: 3 asks for more than 2, the most a correlation of 2 rules can reach/],
    [{ ...base, type: 'value_percentile', condition: { field: 'Image', gt: 100 } }, /can never be met/],
  ];
  for (const [section, expected] of cases) {
    const message = compileError(section, { id: 'c-1' });
    assert.match(message, expected, `for ${JSON.stringify(section)}`);
  }
  const r = compileCorrelation(doc({ ...base, timespan: '2x' }, { id: 'c-1', line: 9 }));
  assert.ok(!r.ok);
  assert.equal(r.error.rule, 'c-1');
  assert.equal(r.error.place?.line, 9);
});

test('lenient forms: a single rule or group-by as a string, range conditions, fractional thresholds for value types', () => {
  const c = compile({ type: 'event_count', rules: 'r1', 'group-by': 'User', timespan: '30s', condition: { gt: 100, lte: 200 } });
  assert.deepEqual(c.rules, ['r1']);
  assert.deepEqual(c.groupBy, ['User']);
  assert.equal(c.timespanMs, 30_000);
  assert.equal(c.mode, 'settle');
  assert.deepEqual(c.condition, [{ op: 'gt', value: 100 }, { op: 'lte', value: 200 }]);
  assert.equal(compile({ type: 'value_avg', rules: ['r'], timespan: '1h', condition: { field: 'x', gt: 0.5 } }).mode, 'reach');
  const t = compile({ type: 'temporal_ordered', rules: ['a', 'b'], 'group-by': ['u'], timespan: '1h' });
  assert.deepEqual(t.condition, [{ op: 'gte', value: 2 }]);
  assert.equal(t.generate, false);
});
