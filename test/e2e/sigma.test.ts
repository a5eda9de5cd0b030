/** Sigma from the command line: `sluice rules lint`, `sluice rules test`, `sluice detect`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceSync, tmp } from './cli.js';

/** Writes files (path -> text) under a new temporary directory and returns it. */
function fixture(files: Record<string, string>): string {
  const dir = tmp('sluice-sigma-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const ENCODED = `title: Encoded PowerShell
id: 6a1c0f3e-0000-4000-8000-000000000001
status: test
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\powershell.exe'
    CommandLine|contains: ' -enc '
  filter_admin:
    User: backup-admin
  condition: selection and not filter_admin
`;

const WHOAMI = `title: Whoami
id: 6a1c0f3e-0000-4000-8000-000000000002
level: low
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswith: '\\whoami.exe'
  condition: selection
`;

const BRUTE = `title: Failed logon
id: 6a1c0f3e-0000-4000-8000-000000000003
name: failed_logon
level: low
logsource: { product: linux, service: auth }
detection:
  selection: { outcome: failure }
  condition: selection
---
title: Brute force
id: 6a1c0f3e-0000-4000-8000-000000000004
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [user]
  timespan: 1m
  condition: { gte: 3 }
`;

const BROKEN = {
  'rules/typo1.yml': `title: A typo in a modifier
id: 6a1c0f3e-0000-4000-8000-00000000000a
logsource: { product: windows, category: process_creation }
detection:
  selection:
    CommandLine|contians: whoami
  condition: selection
`,
  'rules/typo2.yml': `title: Another typo in a modifier
id: 6a1c0f3e-0000-4000-8000-00000000000b
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswiths: '\\x.exe'
  condition: selection
`,
  'rules/undefined.yml': `title: The condition names a search that is not there
id: 6a1c0f3e-0000-4000-8000-00000000000c
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswith: '\\x.exe'
  condition: selection and not filter
`,
};

test('rules lint: every problem at file:line:col with its rule, a summary by reason, exit 1; a clean set exits 0', () => {
  const dir = fixture({ 'rules/encoded.yml': ENCODED, 'rules/brute.yml': BRUTE, ...BROKEN });
  const r = sluiceSync(['rules', 'lint', 'rules'], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('rules/typo1.yml:6:5: unknown modifier "contians" in "CommandLine|contians"; did you mean "contains"? (6a1c0f3e-0000-4000-8000-00000000000a)'), r.stdout);
  assert.ok(lines.includes('rules/typo2.yml:6:5: unknown modifier "endswiths" in "Image|endswiths"; did you mean "endswith"? (6a1c0f3e-0000-4000-8000-00000000000b)'), r.stdout);
  assert.match(r.stdout, /^rules\/undefined\.yml:7:32: condition: the condition uses "filter", which the detection does not define/m);
  assert.ok(lines.includes('5 files: 5 rules, 1 correlation, 0 filters'), r.stdout);
  assert.match(r.stdout, /^compiled 3 of 6 \(50\.00%\), 3 failed, in \d+\.\d s$/m);
  // Grouped by reason, the most common first, without what is particular to one rule.
  const reasons = r.stdout.slice(r.stdout.indexOf('failed by reason:')).trim().split('\n');
  assert.deepEqual(reasons, [
    'failed by reason:',
    '  2  unknown modifier "…" in "…"',
    '  1  condition: the condition uses "…", which the detection does not define (it defines selection)',
  ]);

  const j = sluiceSync(['rules', 'lint', '--json', 'rules'], { cwd: dir });
  assert.equal(j.code, 1);
  const o = JSON.parse(j.stdout) as { files: number; rules: number; correlations: number; filters: number; compiled: number; failed: number; errors: Array<Record<string, unknown>> };
  assert.deepEqual({ ...o, errors: o.errors.length }, { files: 5, rules: 5, correlations: 1, filters: 0, compiled: 3, failed: 3, errors: 3 });
  assert.deepEqual(o.errors[0], { file: 'rules/typo1.yml', line: 6, col: 5, rule: '6a1c0f3e-0000-4000-8000-00000000000a', message: 'unknown modifier "contians" in "CommandLine|contians"; did you mean "contains"?' });

  const q = sluiceSync(['rules', 'lint', '--quiet', '--min-compiled', '50', 'rules'], { cwd: dir });
  assert.equal(q.code, 0, 'half compiles, half is required');
  assert.doesNotMatch(q.stdout, /typo1\.yml:6:5/, '--quiet prints only the summary');
  assert.match(q.stdout, /at least 50% must compile: ok/);
  assert.equal(sluiceSync(['rules', 'lint', '--quiet', '--min-compiled', '51', 'rules'], { cwd: dir }).code, 1);

  const clean = sluiceSync(['rules', 'lint', 'rules/encoded.yml', 'rules/brute.yml'], { cwd: dir });
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /^2 files: 2 rules, 1 correlation, 0 filters\ncompiled 3 of 3 \(100\.00%\), 0 failed/m);
});

test('rules lint: a broken YAML file and a pipeline refusal are failures with their place; bad paths and pipelines are usage errors (64)', () => {
  const dir = fixture({
    'rules/yaml.yml': 'title: Broken YAML\ndetection:\n  selection: [a, b\n  condition: selection\n',
    'rules/etw.yml': 'title: File access\nid: 6a1c0f3e-0000-4000-8000-00000000000d\nlogsource: { product: windows, category: file_access }\ndetection:\n  selection: { FileName|endswith: .kdbx }\n  condition: selection\n',
    'mine.yml': 'name: mine\ntransformations:\n  - type: field_name_mapping\n    mapping: { Image: proc.path }\n  - type: no_such_thing\n',
  });
  const r = sluiceSync(['rules', 'lint', '--pipeline', 'windows', 'rules'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^rules\/yaml\.yml:4:3: YAML: /m);
  assert.match(r.stdout, /^rules\/etw\.yml:1:1: pipeline "windows" \(windows_unsupported\) refused the rule: .*\(6a1c0f3e-0000-4000-8000-00000000000d\)$/m);

  const missing = sluiceSync(['rules', 'lint', 'rules', 'nowhere'], { cwd: dir });
  assert.equal(missing.code, 64);
  assert.match(missing.stderr, /no such file or folder: nowhere/);

  const pipe = sluiceSync(['rules', 'lint', '--pipeline', 'mine.yml', 'rules'], { cwd: dir });
  assert.equal(pipe.code, 64);
  assert.match(pipe.stderr, /^mine\.yml:5:11: error: unknown transformation type "no_such_thing"/m);
  assert.equal(pipe.stdout, '', 'nothing is linted with an unusable pipeline');

  const unknown = sluiceSync(['rules', 'lint', '--pipeline', 'windoze', 'rules'], { cwd: dir });
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /"windoze" is not a built-in pipeline/);
});

test('rules test: cases beside the rule pass, a failing case shows its place and what matched, exit 1', () => {
  const dir = fixture({
    'rules/encoded.yml': ENCODED,
    'rules/encoded.tests.yml': `cases:
  - name: encoded command line
    event: { Image: 'C:\\Windows\\System32\\powershell.exe', CommandLine: 'powershell -enc SQBFAFgA' }
    match: true
  - name: the backup admin is allowed
    event: { Image: 'C:\\Windows\\System32\\powershell.exe', CommandLine: 'powershell -enc SQBFAFgA', User: backup-admin }
    match: false
`,
    'rules/brute.yml': BRUTE,
    'rules/brute.tests.yml': `cases:
  - name: three failures in a minute
    events:
      - { time: '2024-05-01T10:00:00Z', user: alice, outcome: failure }
      - { time: '2024-05-01T10:00:20Z', user: alice, outcome: failure }
      - { time: 1714557640000, user: alice, outcome: failure }
    alerts: 1
  - name: three failures over ten minutes
    events:
      - { time: '2024-05-01T10:00:00Z', user: bob, outcome: failure }
      - { time: '2024-05-01T10:05:00Z', user: bob, outcome: failure }
      - { time: '2024-05-01T10:10:00Z', user: bob, outcome: failure }
    alerts: 0
`,
  });
  const ok = sluiceSync(['rules', 'test', 'rules'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual(ok.stdout.trim().split('\n'), [
    'ok   rules/brute.tests.yml:2 three failures in a minute',
    'ok   rules/brute.tests.yml:8 three failures over ten minutes',
    'ok   rules/encoded.tests.yml:2 encoded command line',
    'ok   rules/encoded.tests.yml:5 the backup admin is allowed',
    '',
    '4 cases in 2 tests files: 4 passed, 0 failed',
  ]);

  // The same cases written wrong: the expectation flipped, a correlation that does not fire.
  writeFileSync(join(dir, 'rules/encoded.tests.yml'), `cases:
  - name: plain command line
    event: { Image: 'C:\\Windows\\System32\\powershell.exe', CommandLine: 'powershell -enc SQBFAFgA' }
    match: false
  - name: wrong binary
    event: { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd -enc x' }
    match: true
`);
  writeFileSync(join(dir, 'rules/brute.tests.yml'), `cases:
  - name: two failures are not enough
    events:
      - { time: '2024-05-01T10:00:00Z', user: alice, outcome: failure }
      - { time: '2024-05-01T10:00:20Z', user: alice, outcome: failure }
    alerts: 1
`);
  const bad = sluiceSync(['rules', 'test', 'rules/encoded.tests.yml', 'rules/brute.tests.yml'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^FAIL rules\/encoded\.tests\.yml:2 plain command line \(rule: Encoded PowerShell\)\n\s+expected no match, but the rule matched on:\n\s+selection: Image = "C:\\\\Windows\\\\System32\\\\powershell\.exe"\n\s+selection: CommandLine = "powershell -enc SQBFAFgA"$/m);
  assert.match(bad.stdout, /^FAIL rules\/encoded\.tests\.yml:5 wrong binary \(rule: Encoded PowerShell\)\n\s+expected a match, but the rule did not match:\n\s+condition: selection and not filter_admin\n\s+selection: no match \(wants Image\|endswith: "\\\\powershell\.exe", CommandLine\|contains: " -enc "\)\n\s+filter_admin: no match/m);
  assert.match(bad.stdout, /^FAIL rules\/brute\.tests\.yml:2 two failures are not enough \(rule: Brute force\)\n\s+expected 1 alert, got 0\n/m);
  assert.match(bad.stdout, /rules\/brute\.tests\.yml:4 \(2024-05-01T10:00:00\.000Z\): matched Failed logon/);
  assert.match(bad.stdout, /3 cases in 2 tests files: 0 passed, 3 failed/);
});

test('rules test: a tests file elsewhere names its rule; mistakes in it are reported with their place; none found is an error with a hint', () => {
  const dir = fixture({
    'rules/encoded.yml': ENCODED,
    'rules/whoami.yml': WHOAMI,
    'tests/encoded.tests.yml': `rule: 6a1c0f3e-0000-4000-8000-000000000001
cases:
  - event: { Image: 'C:\\x\\powershell.exe', CommandLine: 'x -enc y' }
    match: true
`,
    'tests/typos.tests.yml': `rule: Whoami
cases:
  - event: { Image: 'C:\\x\\whoami.exe' }
    match: yes
`,
    'tests/nobody.tests.yml': 'rule: No such rule\ncases:\n  - { event: { a: 1 }, match: true }\n',
  });
  const r = sluiceSync(['rules', 'test', 'rules', 'tests'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ok   tests\/encoded\.tests\.yml:3 case 1$/m);
  assert.match(r.stdout, /^FAIL tests\/typos\.tests\.yml:4:12: case "case 1": `match:` must be true or false$/m);
  assert.match(r.stdout, /^FAIL tests\/nobody\.tests\.yml:1:7: no rule with id, name or title "No such rule" among the rules loaded/m);

  const none = sluiceSync(['rules', 'test', 'rules'], { cwd: dir });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no tests found in rules/);
  assert.match(none.stderr, /rules\/x\.tests\.yml/);
});

test('detect: one line per match with exactly the rule\'s keys, correlation alerts with their group, bad lines and broken rules warned, exit 0', () => {
  const dir = fixture({ 'rules/encoded.yml': ENCODED, 'rules/whoami.yml': WHOAMI, 'rules/brute.yml': BRUTE, 'rules/typo1.yml': BROKEN['rules/typo1.yml'] });
  const events = [
    { Image: 'C:\\Windows\\System32\\powershell.exe', CommandLine: 'powershell -enc SQBFAFgA' },
    { Image: 'C:\\Windows\\System32\\notepad.exe' },
    { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' },
    { time: '2024-05-01T10:00:00Z', user: 'alice', outcome: 'failure' },
    { time: '2024-05-01T10:00:10Z', user: 'alice', outcome: 'failure' },
    { time: '2024-05-01T10:00:20Z', user: 'alice', outcome: 'failure' },
  ].map((e) => JSON.stringify(e));
  events.splice(2, 0, '{"Image": "C:\\\\x\\\\', '[1, 2]');
  writeFileSync(join(dir, 'events.ndjson'), events.join('\n') + '\n');
  const r = sluiceSync(['detect', '--rules', 'rules', 'events.ndjson'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    { rule_id: '6a1c0f3e-0000-4000-8000-000000000001', title: 'Encoded PowerShell', level: 'high', file: 'rules/encoded.yml', line: 1 },
    { rule_id: '6a1c0f3e-0000-4000-8000-000000000002', title: 'Whoami', level: 'low', file: 'rules/whoami.yml', line: 1 },
    // The base rule feeds the correlation only (Sigma's default `generate: false`).
    { rule_id: '6a1c0f3e-0000-4000-8000-000000000004', title: 'Brute force', level: 'high', file: 'rules/brute.yml', line: 10, correlation: true, group: { user: 'alice' } },
  ]);
  assert.equal(r.stdout.split('\n')[0], '{"rule_id":"6a1c0f3e-0000-4000-8000-000000000001","title":"Encoded PowerShell","level":"high","file":"rules/encoded.yml","line":1}', 'exactly these keys, in this order');
  assert.match(r.stderr, /^events\.ndjson:3: invalid JSON: /m);
  assert.match(r.stderr, /^events\.ndjson:4: expected a JSON object, found an array$/m);
  assert.match(r.stderr, /rules\/typo1\.yml:6:5: unknown modifier "contians"/);

  // The same events on stdin, as a JSON array: same matches.
  const arr = sluiceSync(['detect', '--rules', 'rules/encoded.yml', '--rules', 'rules/whoami.yml', '-'], { cwd: dir, input: JSON.stringify([JSON.parse(events[0]!), JSON.parse(events[4]!)]) });
  assert.equal(arr.code, 0, arr.stderr);
  assert.deepEqual(arr.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { title: string }).title), ['Encoded PowerShell', 'Whoami']);

  const nothing = sluiceSync(['detect', '--rules', 'rules/whoami.yml', 'events.ndjson'], { cwd: dir });
  assert.equal(nothing.code, 0);
  const none = sluiceSync(['detect', '--rules', 'rules/encoded.yml', '-'], { cwd: dir, input: '{"Image": "a.exe"}\n' });
  assert.equal(none.code, 0, 'no match is not an error');
  assert.equal(none.stdout, '');
  assert.equal(sluiceSync(['detect', '--rules', 'rules', 'missing.ndjson'], { cwd: dir }).code, 64);
  assert.equal(sluiceSync(['detect', '--rules', 'nowhere', 'events.ndjson'], { cwd: dir }).code, 64);
});

test('detect --pipeline windows: a process_creation rule matches Sysmon 1 in the flat and the winlogbeat renderings, not other events', () => {
  const dir = fixture({ 'rules/encoded.yml': ENCODED });
  const image = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
  const events = [
    // flat (NXLog, OTRF)
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: image, CommandLine: 'powershell.exe -enc SQBFAFgA' },
    // winlogbeat
    { winlog: { event_id: '1', channel: 'Microsoft-Windows-Sysmon/Operational', event_data: { Image: image, CommandLine: 'powershell.exe -enc SQBFAFgA' } } },
    // a network connection (Sysmon 3) with the same fields: not process creation
    { EventID: 3, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: image, CommandLine: 'powershell.exe -enc SQBFAFgA' },
    // right fields, no event id: the pipeline's log source condition is not met
    { Image: image, CommandLine: 'powershell.exe -enc SQBFAFgA' },
  ];
  writeFileSync(join(dir, 'sysmon.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const r = sluiceSync(['detect', '--rules', 'rules', '--pipeline', 'windows', 'sysmon.ndjson'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const line = '{"rule_id":"6a1c0f3e-0000-4000-8000-000000000001","title":"Encoded PowerShell","level":"high","file":"rules/encoded.yml","line":1}';
  assert.deepEqual(r.stdout.split('\n'), [line, line, '']);
  // Without the pipeline the rule reads Sigma's names only: the flat event and the bare one.
  const raw = sluiceSync(['detect', '--rules', 'rules', 'sysmon.ndjson'], { cwd: dir });
  assert.deepEqual(raw.stdout.split('\n'), [line, line, line, '']);
});

test('detect --placeholder: a rule with |expand runs with the values given and is skipped with its place without them', () => {
  const dir = fixture({
    'admins.yml': 'title: Admin logon\nid: 6a1c0f3e-0000-4000-8000-000000000005\nlogsource: { product: linux }\ndetection:\n  selection:\n    user|expand: \'%Admins%\'\n  condition: selection\n',
    'events.ndjson': '{"user":"bob"}\n{"user":"mallory"}\n',
  });
  const r = sluiceSync(['detect', '--rules', 'admins.yml', '--placeholder', 'Admins=alice,bob', 'events.ndjson'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '{"rule_id":"6a1c0f3e-0000-4000-8000-000000000005","title":"Admin logon","level":null,"file":"admins.yml","line":1}\n');
  const without = sluiceSync(['detect', '--rules', 'admins.yml', 'events.ndjson'], { cwd: dir });
  assert.equal(without.code, 0);
  assert.equal(without.stdout, '');
  assert.match(without.stderr, /admins\.yml:6:5: unknown placeholder %Admins%/);
});
