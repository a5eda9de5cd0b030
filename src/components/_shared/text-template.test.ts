import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentConfigError } from '../../core/component.js';
import { ALERT, alertField, alertSeverity, alertTechniques, compileTextTemplate, truncate } from './text-template.js';

const render = (src: string, e: Record<string, unknown>, escape?: (s: string) => string) => compileTextTemplate(src, ['text']).render(e, escape);

const finding = {
  class_uid: 2004,
  time: Date.parse('2024-11-23T10:00:05Z'),
  severity: 'High',
  severity_id: 4,
  message: 'Failed password for root from 203.0.113.50',
  finding_info: { title: 'SSH brute force', uid: 'f-1', analytic: { name: 'SSH brute force', uid: 'r-1' } },
  attacks: [{ technique: { uid: 'T1110', name: 'Brute Force' } }, { technique: { uid: 'T1110.001' } }],
  evidences: [{ src_endpoint: { ip: '203.0.113.50' }, data: { device: { hostname: 'bastion-1' }, user: { name: 'root' } } }],
};

test('fields, fallbacks and literal text', () => {
  assert.equal(render('[{{ .severity }}] {{ .finding_info.title }}', finding), '[High] SSH brute force');
  assert.equal(render('{{ finding_info.uid }}', finding), 'f-1', 'the leading dot is optional');
  assert.equal(render('{{ .title ?? .finding_info.title }}', finding), 'SSH brute force');
  assert.equal(render('{{ .nope ?? .also_nope ?? "none" }}', finding), 'none');
  assert.equal(render('{{ .empty ?? "fallback" }}', { empty: '' }), 'fallback', 'an empty string counts as missing');
  assert.equal(render('a {{ .missing }} b', {}), '', 'a line whose only field is missing is left out');
  assert.equal(render('{{ ."dotted.key" }}', { 'dotted.key': 'x' }), 'x');
});

test('values render as text: numbers, booleans, lists joined, objects as JSON', () => {
  assert.equal(render('{{ .n }} {{ .b }}', { n: 4.5, b: false }), '4.5 false');
  assert.equal(render('{{ .tags }}', { tags: ['a', 'b', 3] }), 'a, b, 3');
  assert.equal(render('{{ .obj }}', { obj: { a: 1 } }), '{"a":1}');
  assert.equal(render('{{ . }}', { a: 1 }), '{"a":1}');
  assert.equal(render('{{ .obj | pretty }}', { obj: { a: 1 } }), '{\n  "a": 1\n}');
  assert.equal(render('{{ .s | json }}', { s: 'x"y' }), '"x\\"y"');
  assert.equal(render('{{ .s | upper }}/{{ .s | lower }}', { s: 'MiXed' }), 'MIXED/mixed');
});

test('[*] maps over lists, skipping items without the field', () => {
  assert.equal(render('{{ .attacks[*].technique.uid }}', finding), 'T1110, T1110.001');
  assert.equal(render('{{ .attacks[*].technique.name }}', finding), 'Brute Force');
  assert.equal(render('{{ .tags[*] }}', { tags: ['x', null, 'y'] }), 'x, y');
  assert.equal(render('ATT&CK: {{ .attacks[*].technique.uid }}', { attacks: [] }), '', 'an empty list is missing');
  assert.equal(render('{{ .a[*].b[*].c }}', { a: [{ b: [{ c: 1 }, { c: 2 }] }, { b: [{ c: 3 }] }] }), '1, 2, 3');
});

test('lines whose fields are all missing are left out; other lines stay', () => {
  const src = 'Alert: {{ .finding_info.title }}\nHost: {{ .host }}\nUser: {{ .user ?? .user_name }}\n\nplain line';
  assert.equal(render(src, { finding_info: { title: 'T' }, user_name: 'bob' }), 'Alert: T\nUser: bob\n\nplain line');
  assert.equal(render('{{ .a }} and {{ .b }}', { b: 'B' }), ' and B', 'a line with one present field stays');
});

test('time codes are the event time in UTC; a % that is no time code is literal', () => {
  assert.equal(render('%Y-%m-%d %H:%M:%S', finding), '2024-11-23 10:00:05');
  assert.equal(render('%H:%M', { timestamp: '2024-11-23T08:09:10Z' }), '08:09');
  assert.equal(render('disk 90% full, 100%% sure, {{ .p ?? "5%" }}', { p: '' }), 'disk 90% full, 100% sure, 5%');
  const t = compileTextTemplate('no fields 50%', ['x']);
  assert.equal(t.constant, true);
  assert.equal(t.render({}), 'no fields 50%');
});

test('escape applies to field values, never to the template text', () => {
  const esc = (s: string) => s.replace(/</g, '&lt;');
  assert.equal(render('<b>{{ .v }}</b>', { v: '<script>' }, esc), '<b>&lt;script></b>');
});

test('mistakes are config errors at the option path, with a hint', () => {
  const bad = (src: string, re: RegExp) => assert.throws(() => compileTextTemplate(src, ['links', 0, 'href']), (e: unknown) => {
    assert.ok(e instanceof ComponentConfigError);
    assert.deepEqual(e.path, ['links', 0, 'href']);
    assert.match(e.message, re);
    assert.match(e.message, /links\[0\]\.href/);
    return true;
  });
  bad('{{ .a ', /unclosed/);
  bad('{{ .a | shout }}', /unknown filter "shout"/);
  bad('{{ .a ?? }}', /empty alternative/);
  bad('{{ "unterminated }}', /unclosed|invalid text/);
  bad('{{ .a..b }}', /invalid field/);
  bad('{{ .a[*]b }}', /after \[\*\]/);
});

test('the alert facts read OCSF findings, their evidence, and flat events', () => {
  const fact = (k: keyof typeof ALERT, e: Record<string, unknown>) => render(`{{ ${ALERT[k]} }}`, e);
  assert.equal(fact('title', finding), 'SSH brute force');
  assert.equal(fact('host', finding), 'bastion-1');
  assert.equal(fact('user', finding), 'root');
  assert.equal(fact('ip', finding), '203.0.113.50');
  assert.equal(fact('techniques', finding), 'T1110, T1110.001');
  assert.equal(fact('rule_id', finding), 'r-1');
  const flat = { message: 'Failed password for admin', hostname: 'web-1', user: 'admin', src_ip: '198.51.100.7', level: 'medium' };
  assert.equal(fact('title', flat), 'Failed password for admin');
  assert.equal(fact('host', flat), 'web-1');
  assert.equal(fact('user', flat), 'admin');
  assert.equal(fact('ip', flat), '198.51.100.7');
  assert.equal(fact('title', {}), 'Sluice alert');
  assert.equal(fact('host', {}), '');
  // What Sigma detection emits: the matched event under evidences[0].data.event.
  const sigma = { severity_id: 5, finding_info: { title: 'Encoded PowerShell', analytic: { uid: 'r-9' }, attacks: [{ technique: { uid: 'T1059' }, sub_technique: { uid: 'T1059.001' } }] }, evidences: [{ data: { matched: [], event: { device: { hostname: 'ws-042' }, actor: { user: { name: 'alice' } }, src_endpoint: { ip: '10.1.2.3' } } } }] };
  assert.equal(fact('host', sigma), 'ws-042');
  assert.equal(fact('user', sigma), 'alice');
  assert.equal(fact('ip', sigma), '10.1.2.3');
  assert.equal(fact('techniques', sigma), 'T1059');
  assert.equal(render(alertField('severity'), sigma), 'Critical');
  assert.equal(render(alertField('severity', '"alert"'), {}), 'alert');
  assert.deepEqual(alertTechniques(sigma), [{ uid: 'T1059.001', name: null }], 'the sub-technique when there is one');
});

test('the severity filter gives OCSF captions for ids and level words, and leaves other text alone', () => {
  assert.equal(render('{{ .s | severity }}', { s: 4 }), 'High');
  assert.equal(render('{{ .s | severity }}', { s: 'informational' }), 'Informational');
  assert.equal(render('{{ .s | severity }}', { s: 'sev-2' }), 'sev-2');
  assert.equal(render('{{ .s | severity }}', { s: 42 }), '42');
});

test('severity from severity_id, else from severity or level words', () => {
  assert.deepEqual(alertSeverity({ severity_id: 5 }), { id: 5, caption: 'Critical' });
  assert.deepEqual(alertSeverity({ severity_id: 42, level: 'high' }), { id: 4, caption: 'High' });
  assert.deepEqual(alertSeverity({ severity: 'Informational' }), { id: 1, caption: 'Informational' });
  assert.equal(alertSeverity({ severity: 'whatever' }), null);
  assert.deepEqual(alertTechniques(finding), [{ uid: 'T1110', name: 'Brute Force' }, { uid: 'T1110.001', name: null }]);
  assert.deepEqual(alertTechniques({ attacks: 'nope', finding_info: { attacks: [{ technique: { uid: 'T1078', name: 'Valid Accounts' } }] } }), [{ uid: 'T1078', name: 'Valid Accounts' }]);
});

test('truncate marks the cut and keeps surrogate pairs whole', () => {
  assert.equal(truncate('abcdef', 10), 'abcdef');
  assert.equal(truncate('abcdef', 4), 'abc…');
  const s = 'ab\u{1F600}cd';
  const t = truncate(s, 4);
  assert.ok(t.length <= 4);
  assert.ok(!/[\ud800-\udbff]…$/.test(t), 'no lone high surrogate before the ellipsis');
});
