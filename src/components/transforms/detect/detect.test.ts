import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, TransformOutput } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { checkConfig } from '../../../engine/testing.js';
import { loadSchema } from '../../../ocsf/schema.js';
import { validate } from '../../../ocsf/validate.js';
import def, { createDetect } from './index.js';

type DetectConfig = Parameters<typeof createDetect>[0];
// Alerts are plain JSON objects; the tests read them by path.
type Obj = Record<string, any>;

const schema = loadSchema();
// 2030-01-01: later than any real clock these tests run on, so nothing can read the real time
// and still pass (correlation windows, alert times).
const T0 = Date.UTC(2030, 0, 1);
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

interface Harness {
  dir: string;
  clock: { t: number };
  logs: string[];
  rt: ReturnType<typeof createDetect>;
  run(events: Event[]): { main: Event[]; alerts: Obj[] };
  flush(): Obj[];
}

/** A detect transform over `files` (written under a fresh directory), with a fake clock and a captured log. */
function harness(files: Record<string, string>, raw: Record<string, unknown> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-detect-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const clock = { t: T0 };
  const logs: string[] = [];
  const log: Logger = { debug() {}, info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
  const cfg = checkConfig(def, { rules: ['rules/'], ...raw }) as unknown as DetectConfig;
  const rt = createDetect(cfg, dir, log, () => clock.t);
  const output = () => {
    const main: Event[] = [], alerts: Obj[] = [];
    const out: TransformOutput = {
      push: (e) => main.push(e),
      emit: (name, e) => { assert.equal(name, 'alerts'); alerts.push(e); },
      error: (_e, reason) => assert.fail(`unexpected error output: ${reason}`),
      discard: () => assert.fail('detect discards nothing'),
    };
    return { main, alerts, out };
  };
  return {
    dir, clock, logs, rt,
    run(events) {
      const o = output();
      void rt.process(events, o.out);
      return { main: o.main, alerts: o.alerts };
    },
    flush() {
      const o = output();
      void rt.flush!(o.out);
      assert.equal(o.main.length, 0);
      return o.alerts;
    },
  };
}

/** No errors and no warnings (deprecated attributes, bad enums...); recommended attributes the alert cannot know are not asked for. */
function assertValid(alert: Obj): void {
  assert.deepEqual(validate(schema, alert, { missingRecommended: false }), [], `not a valid OCSF event: ${JSON.stringify(alert)}`);
  assert.equal(alert['class_uid'], 2004);
  assert.equal(alert['class_name'], 'Detection Finding');
}

const ENCODED_PS = `title: Encoded PowerShell
id: 6b1c2f5e-7a0d-4e43-9d5e-0c1f2a3b4c5d
status: test
level: high
description: PowerShell started with an encoded command.
references: [https://example.test/encoded-powershell]
tags: [attack.execution, attack.t1059.001]
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: \\powershell.exe
    CommandLine|contains: ' -enc '
  condition: selection
falsepositives: [Admin scripts]
`;

const psEvent = (extra: Obj = {}): Obj => ({
  time: T0 - 5_000,
  Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  CommandLine: 'powershell.exe -nop -enc SQBFAFgA',
  User: 'CORP\\bob',
  host: { name: 'ws-17' },
  ...extra,
});

const quiet = (): Obj => ({ time: T0, Image: 'C:\\Windows\\explorer.exe', CommandLine: 'explorer.exe' });

// ---------------------------------------------------------------------------------------------

test('events pass through unchanged and in order; each match is an alert on `alerts`', () => {
  const h = harness({ 'rules/ps.yml': ENCODED_PS });
  const events = [quiet(), psEvent(), quiet(), psEvent({ n: 2 }), { no: 'fields' }];
  const before = structuredClone(events);
  const r = h.run(events);
  assert.equal(r.main.length, 5);
  r.main.forEach((e, i) => assert.equal(e, events[i], 'the same objects, in order'));
  assert.deepEqual(events, before, 'events are not modified');
  assert.equal(r.alerts.length, 2);
  assert.deepEqual(r.alerts.map((a) => a['evidences'][0].data.event), [events[1], events[3]]);
  const c = h.rt.counters!();
  assert.equal(c['sigma_rules.loaded'], 1);
  assert.equal(c['sigma_rules.skipped'], 0);
  assert.equal(c['sigma_matches.6b1c2f5e-7a0d-4e43-9d5e-0c1f2a3b4c5d'], 2);
  assert.ok(h.logs.some((l) => /^info loaded 1 Sigma rules and 0 correlations from 1 files$/.test(l)), h.logs.join('\n'));
});

test('an alert is a valid OCSF Detection Finding carrying the rule, severity, ATT&CK, matched fields and the event', () => {
  const h = harness({ 'rules/ps.yml': ENCODED_PS });
  const e = psEvent();
  const [a, ...rest] = h.run([e]).alerts;
  assert.equal(rest.length, 0);
  assertValid(a!);
  assert.equal(a!['severity_id'], 4);
  assert.equal(a!['severity'], 'High');
  assert.equal(a!['time'], T0 - 5_000, 'the event\'s time');
  assert.equal(a!['is_alert'], true);
  const fi = a!['finding_info'];
  assert.equal(fi.title, 'Encoded PowerShell');
  assert.equal(fi.desc, 'PowerShell started with an encoded command.');
  assert.equal(fi.created_time, T0);
  assert.equal(fi.src_url, 'https://example.test/encoded-powershell');
  assert.deepEqual(fi.analytic, { uid: '6b1c2f5e-7a0d-4e43-9d5e-0c1f2a3b4c5d', name: 'Encoded PowerShell', type_id: 1, type: 'Rule', category: 'windows/process_creation' });
  assert.deepEqual(fi.attacks, [{
    technique: { uid: 'T1059' }, sub_technique: { uid: 'T1059.001' }, tactic: { uid: 'TA0002', name: 'Execution' },
  }]);
  const sigma = a!['unmapped'].sigma;
  assert.equal(sigma.id, '6b1c2f5e-7a0d-4e43-9d5e-0c1f2a3b4c5d');
  assert.equal(sigma.level, 'high');
  assert.equal(sigma.status, 'test');
  assert.equal(sigma.line, 1);
  assert.equal(sigma.file, join(h.dir, 'rules/ps.yml'));
  assert.deepEqual(sigma.falsepositives, ['Admin scripts']);
  assert.deepEqual(a!['evidences'][0].data.matched, [
    { search: 'selection', field: 'Image', path: 'Image', value: e['Image'] },
    { search: 'selection', field: 'CommandLine', path: 'CommandLine', value: e['CommandLine'] },
  ]);
  assert.deepEqual(a!['evidences'][0].data.event, e);

  // include_event: false keeps what matched, not the event.
  const lean = harness({ 'rules/ps.yml': ENCODED_PS }, { include_event: false }).run([psEvent()]).alerts[0]!;
  assertValid(lean);
  assert.deepEqual(Object.keys(lean['evidences'][0].data), ['matched']);
  assert.ok(!JSON.stringify(lean).includes('ws-17'));
});

test('a rule without level, tags or references is still a valid finding (severity Unknown)', () => {
  const h = harness({ 'rules/bare.yml': 'title: Bare\nlogsource: {product: any}\ndetection:\n  keywords: [mimikatz]\n  condition: keywords\n' });
  const [a] = h.run([{ CommandLine: 'C:\\tools\\MIMIKATZ.exe', time: T0 }]).alerts;
  assertValid(a!);
  assert.equal(a!['severity_id'], 0);
  assert.equal(a!['finding_info'].attacks, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(a!['evidences'][0].data.matched)), [{ search: 'keywords', field: '(keywords)', value: 'C:\\tools\\MIMIKATZ.exe' }]);
});

test('a broken rule file is logged with file:line:col and skipped; the other rules run', () => {
  const h = harness({
    'rules/ps.yml': ENCODED_PS,
    'rules/broken.yml': 'title: Broken\nlogsource: {product: windows}\ndetection:\n  selection:\n    Image|endwith: x.exe\n  condition: selection\n',
    'rules/bad-yaml.yml': 'title: [unclosed\n',
  });
  const warns = h.logs.filter((l) => l.startsWith('warn rule skipped: '));
  assert.equal(warns.length, 2, h.logs.join('\n'));
  const broken = warns.find((l) => l.includes('broken.yml'))!;
  assert.ok(broken.startsWith(`warn rule skipped: ${join(h.dir, 'rules/broken.yml')}:5:5: unknown modifier "endwith"`), broken);
  assert.match(broken, /did you mean "endswith"\?/);
  assert.match(warns.find((l) => l.includes('bad-yaml.yml'))!, /bad-yaml\.yml:\d+:\d+: YAML: /);
  assert.ok(h.logs.some((l) => l.includes('loaded 1 Sigma rules') && l.includes('2 skipped')), h.logs.join('\n'));
  assert.equal(h.rt.counters!()['sigma_rules.skipped'], 2);
  assert.equal(h.run([psEvent()]).alerts.length, 1, 'the good rule runs');
});

test('hot reload: a changed rule applies after reload_interval; a folder that went away keeps the previous rules', () => {
  const rule = (word: string) => `title: Word ${word}\nid: word-rule\nlogsource: {product: any}\ndetection:\n  selection: {CommandLine|contains: ${word}}\n  condition: selection\n`;
  const h = harness({ 'rules/word.yml': rule('foo') }, { reload_interval: '10s' });
  assert.equal(h.run([{ CommandLine: 'foo' }]).alerts.length, 1);
  writeFileSync(join(h.dir, 'rules/word.yml'), rule('barbaz'));
  h.clock.t += 9_999;
  assert.equal(h.run([{ CommandLine: 'foo' }]).alerts.length, 1, 'not checked before the interval');
  h.clock.t += 1;
  const r = h.run([{ CommandLine: 'foo' }, { CommandLine: 'a barbaz b' }]);
  assert.deepEqual(r.alerts.map((a) => a['evidences'][0].data.event.CommandLine), ['a barbaz b']);
  assert.equal(h.rt.counters!()['sigma_reloads'], 1);
  assert.ok(h.logs.some((l) => l.startsWith('info rules changed: reloaded 1 rules')), h.logs.join('\n'));

  rmSync(join(h.dir, 'rules'), { recursive: true });
  h.clock.t += 10_000;
  const kept = h.run([{ CommandLine: 'barbaz' }]);
  assert.equal(kept.alerts.length, 1, 'still running the previous rules');
  const err = h.logs.filter((l) => l.startsWith('error '));
  assert.equal(err.length, 1, h.logs.join('\n'));
  assert.match(err[0]!, /rules changed but could not be reloaded \(no such file or folder: rules\/\); still running the previous 1 rules/);
  h.clock.t += 10_000;
  h.run([{ CommandLine: 'barbaz' }]);
  assert.equal(h.logs.filter((l) => l.startsWith('error ')).length, 1, 'logged once, not on every check');
  assert.equal(h.rt.counters!()['sigma_rules.loaded'], 1);
});

test('suppress: duplicates (same rule, same `by` values) within the window are dropped and counted', () => {
  const h = harness({ 'rules/ps.yml': ENCODED_PS }, { suppress: { by: ['User', 'host.name'], window: '1m' } });
  const bob = psEvent(), bob2 = psEvent({ CommandLine: 'powershell -enc AAAA' }), otherHost = psEvent({ host: { name: 'ws-18' } }), ann = psEvent({ User: 'CORP\\ann' });
  assert.equal(h.run([bob, bob2, otherHost, ann, bob]).alerts.length, 3);
  assert.equal(h.rt.counters!()['sigma_suppressed'], 2);
  h.clock.t += 59_999;
  assert.equal(h.run([bob]).alerts.length, 0, 'within the window');
  assert.equal(h.rt.counters!()['sigma_suppressed'], 3);
  h.clock.t += 1;
  assert.equal(h.run([bob, bob]).alerts.length, 1, 'the window is over: one gets through and starts a new one');
  assert.equal(h.rt.counters!()['sigma_suppressed'], 4);
});

test('rate_limit: at most N alerts per rule per window, the rest counted and logged once', () => {
  const other = ENCODED_PS.replace('title: Encoded PowerShell', 'title: Other').replace(/^id: .*$/m, 'id: other-rule');
  const h = harness({ 'rules/ps.yml': ENCODED_PS, 'rules/other.yml': other }, { rate_limit: { alerts: 2, per: '1m' } });
  const r = h.run(Array.from({ length: 5 }, () => psEvent()));
  assert.equal(r.alerts.length, 4, 'two per rule');
  assert.deepEqual(r.alerts.map((a) => a['finding_info'].title).sort(), ['Encoded PowerShell', 'Encoded PowerShell', 'Other', 'Other']);
  assert.equal(h.rt.counters!()['sigma_rate_limited'], 6);
  assert.equal(h.logs.filter((l) => l.startsWith('warn rule ') && l.includes('rate_limit')).length, 2, 'once per rule and window');
  h.clock.t += 30_000;
  assert.equal(h.run([psEvent()]).alerts.length, 0);
  h.clock.t += 30_000;
  assert.equal(h.run([psEvent(), psEvent(), psEvent()]).alerts.length, 4, 'a new window');
  assert.equal(h.rt.counters!()['sigma_rate_limited'], 6 + 2 + 2);
});

// ---------------------------------------------------------------------------------------------
// Correlation

const FAILED_LOGIN = `title: Failed logon
id: 0f6e9a1c-5b7d-4c3e-8a2f-1d4b6c8e0a13
name: failed_logon
status: stable
level: low
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
`;

const correlation = (extra: string) => `title: Brute force on one account
id: 3c5e7a9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d
status: test
level: high
tags: [attack.credential-access, attack.t1110]
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
${extra}`;

const logon = (user: string, t: number, extra: Obj = {}): Obj => ({ EventID: 4625, TargetUserName: user, time: t, ...extra });

test('correlation: an event_count rule fires a valid finding with the group; the base rule (generate: false) does not alert', () => {
  const h = harness({ 'rules/brute.yml': `${FAILED_LOGIN}---\n${correlation('  condition: {gte: 3}\n')}` });
  assert.equal(h.rt.set.compiledCorrelations.length, 1);
  const r1 = h.run([logon('alice', T0 - 60_000), logon('bob', T0 - 50_000), logon('alice', T0 - 40_000)]);
  assert.equal(r1.main.length, 3);
  assert.equal(r1.alerts.length, 0, 'base matches feed the correlation; generate is false, so they raise nothing themselves');
  const r2 = h.run([logon('alice', T0 - 30_000, { n: 3 })]);
  assert.equal(r2.alerts.length, 1);
  const a = r2.alerts[0]!;
  assertValid(a);
  assert.equal(a['finding_info'].title, 'Brute force on one account');
  assert.equal(a['finding_info'].analytic.uid, '3c5e7a9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d');
  assert.equal(a['severity_id'], 4);
  assert.equal(a['count'], 3);
  assert.equal(a['start_time'], T0 - 60_000, 'from the events\' time');
  assert.equal(a['time'], T0 - 30_000);
  assert.deepEqual(a['unmapped'].sigma.group, { TargetUserName: 'alice' });
  assert.equal(a['unmapped'].sigma.correlation, 'event_count');
  assert.equal(a['unmapped'].sigma.value, 3);
  assert.deepEqual(a['evidences'].map((x: Obj) => x.data.time), [T0 - 60_000, T0 - 40_000, T0 - 30_000]);
  assert.deepEqual(a['finding_info'].attacks, [{ technique: { uid: 'T1110' }, tactic: { uid: 'TA0006', name: 'Credential Access' } }]);
  const c = h.rt.counters!();
  assert.equal(c['sigma_correlation_alerts'], 1);
  assert.equal(c['sigma_matches.0f6e9a1c-5b7d-4c3e-8a2f-1d4b6c8e0a13'], 4);
});

test('correlation with generate: true: the base rule alerts as well', () => {
  const h = harness({ 'rules/brute.yml': `${FAILED_LOGIN}---\ngenerate: true\n${correlation('  condition: {gte: 2}\n')}` });
  const r = h.run([logon('alice', T0 - 2_000), logon('alice', T0 - 1_000)]);
  // The second logon completes the correlation, whose alert goes out before that logon's own.
  assert.deepEqual(r.alerts.map((a) => a['finding_info'].title), ['Failed logon', 'Brute force on one account', 'Failed logon']);
  for (const a of r.alerts) assertValid(a);
});

test('correlation: a window that settles (lt) is reported on expire, by flush() and by a later batch', () => {
  // "fewer than 3 failed logons in 5 minutes" is only known when the 5 minutes are over.
  const h = harness({ 'rules/brute.yml': `${FAILED_LOGIN}---\n${correlation('  condition: {lt: 3}\n')}` });
  assert.equal(h.run([logon('alice', T0), logon('alice', T0 + 1_000), logon('bob', T0)]).alerts.length, 0);
  assert.equal(h.flush().length, 0, 'the windows are still open');
  h.clock.t = T0 + 5 * 60_000 + 1;
  const flushed = h.flush();
  assert.deepEqual(flushed.map((a) => a['unmapped'].sigma.group.TargetUserName).sort(), ['alice', 'bob']);
  for (const a of flushed) assertValid(a);
  assert.equal(flushed.find((a) => a['unmapped'].sigma.group.TargetUserName === 'alice')!['count'], 2);
  assert.equal(h.flush().length, 0, 'reported once');

  h.run([logon('carol', h.clock.t)]);
  h.clock.t += 5 * 60_000 + 1;
  const later = h.run([]);
  assert.deepEqual(later.alerts.map((a) => a['unmapped'].sigma.group.TargetUserName), ['carol'], 'process() expires windows too');
});

// ---------------------------------------------------------------------------------------------
// Time, placeholders, pipelines

test('the alert time comes from time (epoch ms), @timestamp, time_field, else the clock', () => {
  const rule = 'title: T\nlogsource: {product: any}\ndetection:\n  selection: {msg|contains: hit}\n  condition: selection\n';
  const h = harness({ 'rules/t.yml': rule });
  const times = h.run([
    { msg: 'hit', time: T0 - 1234 },
    { msg: 'hit', '@timestamp': '2029-12-31T23:00:00.500Z' },
    { msg: 'hit', timestamp: 1_893_455_000 }, // epoch seconds
    { msg: 'hit', time: 'not a time' },
    { msg: 'hit' },
  ]).alerts.map((a) => a['time']);
  assert.deepEqual(times, [T0 - 1234, Date.UTC(2029, 11, 31, 23, 0, 0, 500), 1_893_455_000_000, T0, T0]);

  const f = harness({ 'rules/t.yml': rule }, { time_field: 'event.created' });
  const [a, b] = f.run([{ msg: 'hit', time: T0 - 1, event: { created: '2029-06-01T00:00:00Z' } }, { msg: 'hit', time: T0 - 1 }]).alerts;
  assert.equal(a!['time'], Date.UTC(2029, 5, 1));
  assert.equal(b!['time'], T0, 'time_field set: time is not read');
  assertValid(a!);
});

test('placeholders and pipelines reach the rules: %admins% through the windows pipeline', () => {
  const rule = `title: Admin runs whoami
id: 9a8b7c6d-0000-4000-8000-00000000a0a0
level: medium
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: \\whoami.exe
    User|expand: '%admins%'
  condition: selection
`;
  const h = harness({ 'rules/admins.yml': rule }, { pipelines: ['windows'], placeholders: { admins: ['CORP\\alice', 'CORP\\b*'] } });
  const beat = (user: string, eventId: string = '1') => ({
    '@timestamp': '2029-12-31T12:00:00Z',
    winlog: { event_id: eventId, channel: 'Microsoft-Windows-Sysmon/Operational', event_data: { Image: 'C:\\Windows\\System32\\whoami.exe', User: user } },
  });
  const r = h.run([beat('CORP\\alice'), beat('corp\\BOB'), beat('CORP\\carol'), beat('CORP\\alice', '3')]);
  assert.deepEqual(r.alerts.map((a) => a['evidences'][0].data.event.winlog.event_data.User), ['CORP\\alice', 'corp\\BOB']);
  for (const a of r.alerts) assertValid(a);
  assert.deepEqual(r.alerts[0]!['evidences'][0].data.matched.map((m: Obj) => m.path), ['winlog.event_data.Image', 'winlog.event_data.User']);
  // The same rule, flat (NXLog) rendering.
  assert.equal(h.run([{ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\x\\whoami.exe', User: 'CORP\\bea' }]).alerts.length, 1);
});

test('a placeholder the configuration does not list matches nothing and is reported', () => {
  const rule = `title: Unknown group
logsource: {product: any}
detection:
  a: {User|expand: '%nobody%'}
  b: {User: root}
  condition: a or b
`;
  const h = harness({ 'rules/u.yml': rule }, { placeholders: { admins: ['x'] } });
  const warn = h.logs.filter((l) => l.includes('%nobody%'));
  assert.deepEqual(warn, [`warn rule placeholder: ${join(h.dir, 'rules/u.yml')}:4:7: %nobody% is not in the placeholders option, so that value matches nothing (Unknown group); list it under placeholders, or write \\% for a literal percent sign`]);
  const r = h.run([{ User: '%nobody%' }, { User: 'root' }, { User: '' }]);
  assert.deepEqual(r.alerts.map((a) => a['evidences'][0].data.event.User), ['root']);
});

test('configuration errors: a bad pipeline or a missing rules folder fail at build, naming the option', () => {
  assert.throws(() => harness({ 'rules/ps.yml': ENCODED_PS }, { pipelines: ['windwos'] }), /bad processing pipeline:[\s\S]*"windwos" is not a built-in pipeline/);
  assert.throws(() => harness({}, { rules: ['nowhere/'] }), /no such file or folder: nowhere\//);
});
