import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { applyPipelines, parsePipeline, PipelineError, type Pipeline, type PipelineTrace } from './pipeline.js';
import { loadPipeline, BUILTIN_PIPELINES } from './builtin-pipelines.js';
import { parseSigma } from './parse.js';
import { compileRule } from './compile.js';
import type { DetectionItem, RuleError, SigmaRule } from './types.js';
import windowsPack from '../../packs/windows/index.js';
import cloudtrailPack from '../../packs/aws_cloudtrail/index.js';
import oktaPack from '../../packs/okta/index.js';
import linuxAuthPack from '../../packs/linux_auth/index.js';
import { loadSchema } from '../ocsf/schema.js';
import { derive } from '../ocsf/validate.js';
import type { Pack } from '../ocsf/pack.js';

// ---------------------------------------------------------------------------------------------
// Helpers

function rule(yaml: string, file = 'rules/r.yml'): SigmaRule {
  const r = parseSigma(yaml, file);
  assert.deepEqual(r.errors, []);
  const d = r.docs[0];
  assert.ok(d && d.type === 'rule');
  return d;
}

function pipe(yaml: string, file = 'p.yml'): Pipeline {
  return parsePipeline(yaml, file);
}

function isError(x: SigmaRule | RuleError): x is RuleError {
  return !('type' in x);
}

function apply(r: SigmaRule, ...ps: Pipeline[]): SigmaRule {
  const x = applyPipelines(r, ps);
  if (isError(x)) assert.fail(`refused: ${x.message}`);
  return x;
}

function refusal(r: SigmaRule, ...ps: Pipeline[]): RuleError {
  const x = applyPipelines(r, ps);
  if (!isError(x)) assert.fail('expected the rule to be refused');
  return x;
}

/** The first detection item of a search testing `field`. */
function item(r: SigmaRule, field: string, search = 'selection'): DetectionItem {
  for (const g of r.detection[search]!.groups) for (const d of g) if (d.field === field) return d;
  assert.fail(`no item ${field} in ${search}`);
}

/** The problems of a pipeline that must not parse, as `line:col message` lines. */
function problems(yaml: string): string[] {
  try {
    parsePipeline(yaml, 'p.yml');
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    return e.problems.map((p) => `${p.place.line}:${p.place.col} ${p.message}${p.hint ? ` | ${p.hint}` : ''}`);
  }
  assert.fail('expected a PipelineError');
}

function matches(r: SigmaRule, e: Record<string, unknown>): boolean {
  return compileRule(r).match(e);
}

const schema = loadSchema();
/** An event as the normalize transform emits it: mapped by the pack, then derived. */
function ocsf(pack: Pack, e: Record<string, unknown>): Record<string, unknown> {
  const r = pack.map(e, { productVersion: '0.1.0', now: Date.UTC(2026, 10, 23) });
  if (!r.ok) assert.fail(r.reason);
  const out = r.events[0]!;
  derive(schema, out);
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

const PROCESS_RULE = `
title: Certutil download
id: 11111111-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\certutil.exe'
    CommandLine|contains: urlcache
  filter:
    ParentImage|endswith: '\\svchost.exe'
  condition: selection and not filter
`;

// ---------------------------------------------------------------------------------------------

describe('pipeline files: errors name the place and what to do', () => {
  test('invalid YAML', () => {
    assert.deepEqual(problems('name: x\ntransformations: [\n'), ['3:1 invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  });

  test('an unknown transformation type, with the closest known one', () => {
    const p = problems('name: x\ntransformations:\n  - type: field_name_mappin\n    mapping: {a: b}\n');
    assert.deepEqual(p, ['3:11 unknown transformation type "field_name_mappin" | did you mean "field_name_mapping"? Sluice supports: ' + [
      'field_name_mapping', 'field_name_prefix_mapping', 'field_name_prefix', 'field_name_suffix', 'add_condition', 'change_logsource',
      'drop_detection_item', 'replace_string', 'map_string', 'value_placeholders', 'add_field', 'remove_field', 'set_field',
      'detection_item_failure', 'rule_failure'].join(', ')]);
  });

  test('every problem at once: unknown and missing parameters, bad conditions, a bad regex', () => {
    const p = problems([
      'name: x',
      'priority: high',
      'transformations:',
      '  - type: field_name_mapping',
      '    mapings: {a: b}',
      '  - type: add_condition',
      '    rule_conditions: [{type: logsorce, product: windows}]',
      '    conditions: {EventID: 1}',
      '  - type: replace_string',
      '    regex: "(unclosed"',
      '    replacement: x',
      '  - type: rule_failure',
      '',
    ].join('\n'));
    assert.deepEqual(p, [
      '2:11 priority must be a number, found the string "high" | lower priorities run first; the built-in pipelines use 50',
      '5:5 unknown parameter "mapings" for a field_name_mapping transformation | did you mean "mapping"?',
      '4:5 a field_name_mapping transformation needs "mapping"',
      '7:30 unknown rule condition type "logsorce" | did you mean "logsource"? supported: logsource, processing_item_applied, tag',
      '10:12 invalid regular expression: Invalid regular expression: /(unclosed/g: Unterminated group | write it as for Python\'s re module (named groups (?P<name>...) and \\1 references are translated)',
      '12:5 a rule_failure transformation needs "message"',
    ]);
  });

  test('condition expressions must use known names, all of them', () => {
    const base = [
      'transformations:',
      '  - type: rule_failure',
      '    message: no',
      '    rule_conditions:',
      '      win: {type: logsource, product: windows}',
      '      lin: {type: logsource, product: linux}',
    ];
    assert.deepEqual(problems([...base, '    rule_cond_expr: win or mac', ''].join('\n')), [
      '7:21 invalid condition expression: "mac" is not one of the named conditions (win, lin) | write names of the conditions joined by and, or, not and parentheses',
    ]);
    assert.deepEqual(problems([...base, '    rule_cond_expr: win', ''].join('\n')), [
      '7:21 condition expression does not use "lin" | every named condition must appear in the expression',
    ]);
    assert.deepEqual(problems([...base, '    rule_cond_expr: (win or lin', ''].join('\n')), [
      '7:21 invalid condition expression: a "(" is not closed | write names of the conditions joined by and, or, not and parentheses',
    ]);
  });

  test('field-name conditions on a whole-rule transformation, and a top-level typo', () => {
    assert.deepEqual(problems([
      'nam: x',
      'transformations:',
      '  - type: add_condition',
      '    conditions: {a: 1}',
      '    field_name_conditions: [{type: include_fields, fields: [a]}]',
      '',
    ].join('\n')), [
      '1:1 unknown key "nam" in a pipeline file | did you mean "name"?',
      '5:5 a add_condition transformation acts on the whole rule; "field_name_conditions" does not apply to it | use rule_conditions',
    ]);
  });

  test('query-backend settings are ignored with a note, not an error', () => {
    const p = pipe([
      'name: x',
      'postprocessing: [{type: template, template: "{query}"}]',
      'transformations:',
      '  - type: set_state',
      '    key: a',
      '    val: b',
      '  - type: field_name_mapping',
      '    mapping: {a: b}',
      '',
    ].join('\n'));
    assert.equal(p.items.length, 1);
    assert.deepEqual(p.notes, [
      'p.yml:2: "postprocessing" is for query backends and has no effect on Sluice\'s engine; ignored',
      'p.yml:4: transformation type "set_state" sets state for query backends; ignored',
    ]);
  });

  test('loadPipeline: a file by path, an unknown name lists the built-ins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-'));
    try {
      const f = join(dir, 'mine.yml');
      writeFileSync(f, 'name: mine\npriority: 5\ntransformations:\n  - type: field_name_prefix\n    prefix: x.\n');
      const p = loadPipeline(f);
      assert.equal(p.name, 'mine');
      assert.equal(p.priority, 5);
      assert.throws(() => loadPipeline('windwos'), (e: unknown) => e instanceof PipelineError
        && e.message === 'windwos:1:1: error: "windwos" is not a built-in pipeline and no such file exists\n  hint: built-in pipelines: windows, ocsf, linux, cloud; or give the path of a pipeline YAML file');
      writeFileSync(f, 'transformations:\n  - type: nope\n');
      assert.throws(() => loadPipeline(f), (e: unknown) => e instanceof PipelineError && e.message.startsWith(`${f}:2:11: error: unknown transformation type "nope"`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every built-in parses, with nothing ignored', () => {
    for (const name of Object.keys(BUILTIN_PIPELINES)) {
      const p = loadPipeline(name);
      assert.equal(p.name, name);
      assert.equal(p.priority, 50);
      assert.deepEqual(p.notes, []);
      assert.ok(p.items.length > 10, name);
    }
  });
});

describe('transformations', () => {
  test('field_name_mapping: one to one and one to many, in detection and added conditions; the input is not changed', () => {
    const r = rule(PROCESS_RULE);
    const before = structuredClone(r);
    const p = pipe([
      'transformations:',
      '  - type: add_condition',
      '    conditions: {EventID: 1}',
      '  - type: field_name_mapping',
      '    mapping:',
      '      Image: [Image, NewProcessName]',
      '      EventID: event.code',
      '',
    ].join('\n'));
    const out = apply(r, p);
    assert.deepEqual(item(out, 'Image').paths, ['Image', 'NewProcessName']);
    assert.equal(item(out, 'CommandLine').paths, undefined);
    assert.equal(item(out, 'Image').field, 'Image');
    assert.equal(out.conditions.length, 1);
    assert.deepEqual(out.conditions[0]!.search.groups[0]![0]!.paths, ['event.code']);
    assert.deepEqual(r, before);
  });

  test('field_name_prefix_mapping: the first matching prefix wins', () => {
    const r = rule('title: t\nlogsource: {product: aws}\ndetection:\n  selection:\n    requestParameters.bucketName: b\n    requestParameters: x\n  condition: selection\n');
    const out = apply(r, pipe([
      'transformations:',
      '  - type: field_name_prefix_mapping',
      '    mapping:',
      "      'requestParameters.': ['api.request.data.', 'unmapped.requestParameters.']",
      "      'request': 'never.'",
      '',
    ].join('\n')));
    assert.deepEqual(item(out, 'requestParameters.bucketName').paths, ['api.request.data.bucketName', 'unmapped.requestParameters.bucketName']);
    assert.deepEqual(item(out, 'requestParameters').paths, ['never.Parameters']);
  });

  test('field_name_prefix (one or several) and field_name_suffix apply to every current path', () => {
    const r = rule(PROCESS_RULE);
    const out = apply(r, pipe([
      'transformations:',
      '  - type: field_name_mapping',
      '    mapping: {Image: [Image, NewProcessName]}',
      "  - type: field_name_prefix",
      "    prefix: ['', 'Event.EventData.']",
      '  - type: field_name_suffix',
      '    suffix: .keyword',
      '    field_name_conditions: [{type: include_fields, mode: re, fields: ["Event\\\\."]}]',
      '',
    ].join('\n')));
    assert.deepEqual(item(out, 'Image').paths, ['Image', 'Event.EventData.Image.keyword', 'NewProcessName', 'Event.EventData.NewProcessName.keyword']);
    assert.deepEqual(item(out, 'CommandLine').paths, ['CommandLine', 'Event.EventData.CommandLine.keyword']);
  });

  test('add_condition: a map ANDs, a list of maps ORs, negated excludes; modifiers are read', () => {
    const r = rule(PROCESS_RULE);
    const out = apply(r, pipe([
      'name: src',
      'transformations:',
      '  - id: ls',
      '    type: add_condition',
      '    conditions:',
      '      - {EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational}',
      '      - {EventID: [4688, 4689], Channel|contains: security}',
      '  - type: add_condition',
      '    negated: true',
      '    conditions: {Computer|endswith: .test}',
      '',
    ].join('\n')));
    assert.equal(out.conditions.length, 2);
    const [a, b] = out.conditions;
    assert.equal(a!.origin, 'pipeline src: ls');
    assert.equal(a!.negate, false);
    assert.deepEqual(a!.search.groups.map((g) => g.map((d) => [d.field, d.modifiers, d.values])), [
      [['EventID', [], [1]], ['Channel', [], ['Microsoft-Windows-Sysmon/Operational']]],
      [['EventID', [], [4688, 4689]], ['Channel', ['contains'], ['security']]],
    ]);
    assert.deepEqual(a!.search.groups[0]![0]!.place, { file: 'p.yml', line: 6, col: 10 });
    assert.equal(b!.negate, true);
    assert.equal(b!.origin, 'pipeline src');
    const e = { EventID: 4688, Channel: 'Security', Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil -urlcache x', Computer: 'pc.corp' };
    assert.equal(matches(out, e), true);
    assert.equal(matches(out, { ...e, EventID: 4624 }), false);
    assert.equal(matches(out, { ...e, Computer: 'lab.test' }), false);
  });

  test('change_logsource: later items see the new log source', () => {
    const r = rule(PROCESS_RULE);
    const out = apply(r, pipe([
      'transformations:',
      '  - type: change_logsource',
      '    rule_conditions: [{type: logsource, category: process_creation}]',
      '    product: windows',
      '    service: sysmon',
      '  - type: add_condition',
      '    rule_conditions: [{type: logsource, service: sysmon}]',
      '    conditions: {EventID: 1}',
      '',
    ].join('\n')));
    assert.deepEqual(out.logsource, { product: 'windows', service: 'sysmon' });
    assert.equal(out.conditions.length, 1);
  });

  test('drop_detection_item removes the selected items only', () => {
    const r = rule(PROCESS_RULE);
    const out = apply(r, pipe('transformations:\n  - type: drop_detection_item\n    field_name_conditions: [{type: include_fields, fields: [CommandLine]}]\n'));
    assert.deepEqual(out.detection.selection!.groups[0]!.map((d) => d.field), ['Image']);
    assert.deepEqual(out.detection.filter!.groups[0]!.map((d) => d.field), ['ParentImage']);
    assert.equal(matches(out, { Image: 'C:\\x\\certutil.exe' }), true);
  });

  test('replace_string: Python regex and replacement syntax; skip_special keeps wildcards', () => {
    const r = rule('title: t\nlogsource: {product: windows}\ndetection:\n  selection:\n    Image: \'*\\System32\\cmd.exe\'\n    User: CORP\\bob\n  condition: selection\n');
    const out = apply(r, pipe([
      'transformations:',
      '  - type: replace_string',
      '    field_name_conditions: [{type: include_fields, fields: [User]}]',
      '    regex: "^(?P<dom>[^\\\\\\\\]+)\\\\\\\\(.*)$"',
      '    replacement: "\\\\2@\\\\g<dom>"',
      '  - type: replace_string',
      '    field_name_conditions: [{type: include_fields, fields: [Image]}]',
      '    regex: "^"',
      '    replacement: "C:"',
      '    skip_special: true',
      '',
    ].join('\n')));
    assert.deepEqual(item(out, 'User').values, ['bob@CORP']);
    // With skip_special the replacement applies to each plain part: both sides of the wildcard.
    assert.deepEqual(item(out, 'Image').values, ['C:*C:\\System32\\cmd.exe']);
  });

  test('map_string maps whole values, one to many', () => {
    const r = rule('title: t\nlogsource: {product: aws}\ndetection:\n  selection:\n    userIdentity.type: [Root, AssumedRole]\n  condition: selection\n');
    const out = apply(r, pipe('transformations:\n  - type: map_string\n    mapping: {Root: [Admin, root]}\n'));
    assert.deepEqual(item(out, 'userIdentity.type').values, ['Admin', 'root', 'AssumedRole']);
  });

  test('value_placeholders expand %name% from vars, and refuse a name without a value', () => {
    const r = rule('title: t\nlogsource: {product: windows}\ndetection:\n  selection:\n    User|expand: \'%admins%\'\n    Image|expand: \'%tools%\\x.exe\'\n  condition: selection\n');
    const p = pipe('vars:\n  admins: [alice, bob]\ntransformations:\n  - type: value_placeholders\n    include: [admins]\n');
    const out = apply(r, p);
    assert.deepEqual(item(out, 'User').values, ['alice', 'bob']);
    assert.deepEqual(item(out, 'User').modifiers, []);
    assert.deepEqual(item(out, 'Image').values, ['%tools%\\x.exe']);
    assert.deepEqual(item(out, 'Image').modifiers, ['expand']);
    const err = refusal(r, pipe('name: v\ntransformations:\n  - id: ph\n    type: value_placeholders\n'));
    assert.equal(err.message, 'pipeline "v" (ph) refused the rule: placeholder %admins% has no value: add it to the pipeline\'s vars');
    assert.deepEqual(err.place, { file: 'rules/r.yml', line: 5, col: 5 });
  });

  test('add_field, remove_field, set_field change the rule\'s output fields', () => {
    const r = rule('title: t\nlogsource: {product: windows}\nfields: [a, b]\ndetection:\n  s: {x: 1}\n  condition: s\n');
    assert.deepEqual(apply(r, pipe('transformations:\n  - type: add_field\n    field: [c, a]\n  - type: remove_field\n    field: b\n')).fields, ['a', 'c']);
    assert.deepEqual(apply(r, pipe('transformations:\n  - type: set_field\n    fields: [z]\n')).fields, ['z']);
  });

  test('detection_item_failure refuses at the item; rule_failure at the rule; both name the pipeline', () => {
    const r = rule(PROCESS_RULE);
    const err = refusal(r, pipe([
      'name: strict',
      'transformations:',
      '  - id: no_parent',
      '    type: detection_item_failure',
      '    field_name_conditions: [{type: include_fields, fields: [ParentImage]}]',
      '    message: parent processes are not logged here',
      '',
    ].join('\n')));
    assert.deepEqual(err, {
      file: 'rules/r.yml',
      place: { file: 'rules/r.yml', line: 10, col: 5 },
      rule: '11111111-0000-0000-0000-000000000001',
      message: 'pipeline "strict" (no_parent) refused the rule: field "ParentImage": parent processes are not logged here',
    });
    const err2 = refusal(r, pipe('name: n\ntransformations:\n  - type: rule_failure\n    rule_conditions: [{type: logsource, category: process_creation}]\n    message: no processes\n'));
    assert.equal(err2.message, 'pipeline "n" refused the rule: no processes');
    assert.deepEqual(err2.place, { file: 'rules/r.yml', line: 2, col: 1 });
  });
});

describe('conditions', () => {
  const r = rule(PROCESS_RULE);
  const tagged = rule('title: t\ntags: [attack.T1059]\nlogsource: {product: Linux, service: sshd}\ndetection:\n  k: [x]\n  condition: k\n');
  const added = (p: Pipeline, x: SigmaRule) => apply(x, p).conditions.length;
  const one = (conds: string) => pipe(`transformations:\n  - type: add_condition\n    conditions: {a: 1}\n${conds}`);

  test('logsource: only the attributes it names, case-insensitively', () => {
    const p = one('    rule_conditions: [{type: logsource, product: linux}]\n');
    assert.equal(added(p, tagged), 1);
    assert.equal(added(p, r), 0);
    assert.equal(added(one('    rule_conditions: [{type: logsource, product: linux, service: auth}]\n'), tagged), 0);
    // null (a Sluice extension): the rule has no such attribute.
    const bare = rule('title: t\nlogsource: {product: linux}\ndetection:\n  k: [x]\n  condition: k\n');
    assert.equal(added(one('    rule_conditions: [{type: logsource, product: linux, service: null}]\n'), bare), 1);
    assert.equal(added(one('    rule_conditions: [{type: logsource, product: linux, service: null}]\n'), tagged), 0);
  });

  test('rule_cond_op or, rule_cond_not, tag', () => {
    const two = '    rule_conditions: [{type: logsource, product: linux}, {type: logsource, category: process_creation}]\n';
    assert.equal(added(one(two), r), 0);
    assert.equal(added(one(`${two}    rule_cond_op: or\n`), r), 1);
    assert.equal(added(one(`${two}    rule_cond_op: or\n    rule_cond_not: true\n`), r), 0);
    assert.equal(added(one('    rule_conditions: [{type: tag, tag: attack.t1059}]\n'), tagged), 1);
  });

  test('processing_item_applied, for the rule and for items; rule_cond_expr', () => {
    const p = pipe([
      'transformations:',
      '  - id: mapped',
      '    type: field_name_mapping',
      '    mapping: {Image: process.file.path}',
      '  - type: field_name_prefix',
      '    prefix: unmapped.',
      '    detection_item_conditions: [{type: processing_item_applied, processing_item_id: mapped}]',
      '    detection_item_cond_not: true',
      '  - type: rule_failure',
      '    message: nothing was mapped',
      '    rule_conditions:',
      '      any: {type: logsource, product: windows}',
      '      done: {type: processing_item_applied, processing_item_id: mapped}',
      '    rule_cond_expr: any and not done',
      '',
    ].join('\n'));
    const out = apply(r, p);
    assert.deepEqual(item(out, 'Image').paths, ['process.file.path']);
    assert.deepEqual(item(out, 'CommandLine').paths, ['unmapped.CommandLine']);
    const noImage = rule('title: t\nlogsource: {product: windows}\ndetection:\n  s: {CommandLine: x}\n  condition: s\n');
    assert.equal(refusal(noImage, p).message, 'pipeline "p" refused the rule: nothing was mapped');
  });

  test('field-name conditions: include, exclude, regular expressions, field_name_cond_not; match_string on values', () => {
    const run = (conds: string) => apply(r, pipe(`transformations:\n  - type: field_name_prefix\n    prefix: x.\n${conds}`));
    const mapped = (x: SigmaRule) => ['Image', 'CommandLine'].filter((f) => item(x, f).paths !== undefined);
    assert.deepEqual(mapped(run('    field_name_conditions: [{type: include_fields, fields: [Image]}]\n')), ['Image']);
    assert.deepEqual(mapped(run('    field_name_conditions: [{type: exclude_fields, fields: [Image]}]\n')), ['CommandLine']);
    assert.deepEqual(mapped(run('    field_name_conditions: [{type: include_fields, mode: re, fields: ["Comm"]}]\n')), ['CommandLine']);
    // re matches from the start of the name, as Python's re.match.
    assert.deepEqual(mapped(run('    field_name_conditions: [{type: include_fields, mode: re, fields: ["mand"]}]\n')), []);
    assert.deepEqual(mapped(run('    field_name_conditions: [{type: include_fields, fields: [Image]}]\n    field_name_cond_not: true\n')), ['CommandLine']);
    assert.deepEqual(mapped(run('    detection_item_conditions: [{type: match_string, pattern: "^url", cond: any}]\n')), ['CommandLine']);
    assert.deepEqual(mapped(run('    detection_item_conditions: [{type: match_string, pattern: "^url", negate: true}]\n')), ['Image']);
  });
});

describe('several pipelines', () => {
  const a = 'name: a\npriority: 20\ntransformations:\n  - type: field_name_mapping\n    mapping: {Image: mid}\n  - type: field_name_mapping\n    mapping: {first: first_then_a}\n';
  const b = 'name: b\npriority: 10\ntransformations:\n  - type: field_name_mapping\n    mapping: {Image: first, mid: b_after_a}\n';

  test('apply in priority order (lower first) whatever order they are given in', () => {
    const r = rule(PROCESS_RULE);
    for (const ps of [[pipe(a), pipe(b)], [pipe(b), pipe(a)]]) {
      assert.deepEqual(item(apply(r, ...ps), 'Image').paths, ['first_then_a']);
    }
  });

  test('equal priorities apply in the order given', () => {
    const r = rule(PROCESS_RULE);
    const b20 = b.replace('priority: 10', 'priority: 20');
    assert.deepEqual(item(apply(r, pipe(a), pipe(b20)), 'Image').paths, ['b_after_a']);
    assert.deepEqual(item(apply(r, pipe(b20), pipe(a)), 'Image').paths, ['first_then_a']);
  });

  test('a trace says which items changed which detection items', () => {
    const trace: PipelineTrace = { items: [], applied: [] };
    applyPipelines(rule(PROCESS_RULE), [pipe(a, 'a.yml')], trace);
    assert.deepEqual(trace.applied, ['a#1']);
    assert.deepEqual(trace.items.map((t) => [t.item.field, t.appliedBy]), [['Image', ['a#1']], ['CommandLine', []], ['ParentImage', []]]);
  });
});

// ---------------------------------------------------------------------------------------------
// Built-ins

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const flatSysmon1 = {
  EventID: 1, Channel: SYSMON, SourceName: 'Microsoft-Windows-Sysmon', Hostname: 'WKS-07',
  Image: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil.exe -urlcache -split -f http://x/a.exe',
  ParentImage: 'C:\\Windows\\System32\\cmd.exe', User: 'CORP\\bob',
};
const { EventID: _id, Channel: _ch, SourceName: _sn, Hostname: _hn, ...sysmonData } = flatSysmon1;
const jsonSysmon1 = { Event: { System: { EventID: 1, Channel: SYSMON, Provider: { Name: 'Microsoft-Windows-Sysmon' }, Computer: 'WKS-07' }, EventData: sysmonData } };
const beatSysmon1 = { '@timestamp': '2026-11-23T10:00:00Z', winlog: { event_id: '1', channel: SYSMON, provider_name: 'Microsoft-Windows-Sysmon', event_data: sysmonData } };
const flat4688 = {
  EventID: 4688, Channel: 'Security', SourceName: 'Microsoft-Windows-Security-Auditing', Hostname: 'WKS-07',
  NewProcessName: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil.exe -urlcache -f http://x/a.exe',
  ParentProcessName: 'C:\\Windows\\System32\\cmd.exe', SubjectUserName: 'bob', ProcessId: '0x1a2b', NewProcessId: '0x2c',
};

describe('built-in windows', () => {
  const windows = loadPipeline('windows');
  const r = apply(rule(PROCESS_RULE), windows);

  test('process_creation: Sysmon 1 or Security 4688, three renderings, 4688 names as alternatives', () => {
    assert.deepEqual(item(r, 'Image').paths, [
      'Image', 'Event.EventData.Image', 'winlog.event_data.Image',
      'NewProcessName', 'Event.EventData.NewProcessName', 'winlog.event_data.NewProcessName',
    ]);
    assert.deepEqual(item(r, 'CommandLine').paths, ['CommandLine', 'Event.EventData.CommandLine', 'winlog.event_data.CommandLine']);
    assert.equal(r.conditions.length, 1);
    assert.deepEqual(r.conditions[0]!.search.groups.map((g) => g.map((d) => [d.paths, d.values])), [
      [[['EventID', 'Event.System.EventID', 'winlog.event_id'], [1]], [['Channel', 'Event.System.Channel', 'winlog.channel'], [SYSMON]]],
      [[['EventID', 'Event.System.EventID', 'winlog.event_id'], [4688]], [['Channel', 'Event.System.Channel', 'winlog.channel'], ['Security']]],
    ]);
  });

  test('the compiled rule matches the event in each rendering, and not another event id or channel', () => {
    for (const e of [flatSysmon1, jsonSysmon1, beatSysmon1, flat4688]) assert.equal(matches(r, e), true, JSON.stringify(e).slice(0, 60));
    assert.equal(matches(r, { ...flatSysmon1, EventID: 5 }), false);
    assert.equal(matches(r, { ...flatSysmon1, Channel: 'Microsoft-Windows-Foo/Operational' }), false);
    assert.equal(matches(r, { Event: { ...jsonSysmon1.Event, System: { ...jsonSysmon1.Event.System, EventID: 10 } } }), false);
    assert.equal(matches(r, { winlog: { ...beatSysmon1.winlog, event_id: '4688' } }), false);
    // The filter still applies in every rendering.
    assert.equal(matches(r, { winlog: { ...beatSysmon1.winlog, event_data: { ...sysmonData, ParentImage: 'C:\\Windows\\svchost.exe' } } }), false);
  });

  test('a Security service rule: channel and event id, EventData names', () => {
    const x = apply(rule('title: t\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 4625, LogonType: 3}\n  condition: s\n'), windows);
    assert.deepEqual(item(x, 'LogonType', 's').paths, ['LogonType', 'Event.EventData.LogonType', 'winlog.event_data.LogonType']);
    assert.equal(matches(x, { winlog: { event_id: '4625', channel: 'Security', event_data: { LogonType: '3' } } }), true);
    assert.equal(matches(x, { Event: { System: { EventID: 4625, Channel: 'Security' }, EventData: { LogonType: '3' } } }), true);
    assert.equal(matches(x, { Event: { System: { EventID: 4625, Channel: 'System' }, EventData: { LogonType: '3' } } }), false);
  });

  test('registry_add also requires Sysmon\'s EventType CreateKey; ps_script is 4104 on the PowerShell channels', () => {
    const reg = apply(rule('title: t\nlogsource: {product: windows, category: registry_add}\ndetection:\n  s: {TargetObject|contains: \\Run\\}\n  condition: s\n'), windows);
    const key = { EventID: 12, Channel: SYSMON, EventType: 'CreateKey', TargetObject: 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x' };
    assert.equal(matches(reg, key), true);
    assert.equal(matches(reg, { ...key, EventType: 'DeleteKey' }), false);
    const ps = apply(rule('title: t\nlogsource: {product: windows, category: ps_script}\ndetection:\n  s: {ScriptBlockText|contains: Invoke-Mimikatz}\n  condition: s\n'), windows);
    const block = { System: { EventID: 4104, Channel: 'Microsoft-Windows-PowerShell/Operational' }, EventData: { ScriptBlockText: 'IEX Invoke-Mimikatz' } };
    assert.equal(matches(ps, { Event: block }), true);
    assert.equal(matches(ps, { Event: { ...block, System: { EventID: 4104, Channel: 'PowerShellCore/Operational' } } }), true);
    assert.equal(matches(ps, { Event: { ...block, System: { EventID: 4103, Channel: 'Microsoft-Windows-PowerShell/Operational' } } }), false);
  });

  test('System members: provider and computer in each rendering', () => {
    const x = apply(rule('title: t\nlogsource: {product: windows, service: system}\ndetection:\n  s: {Provider_Name: Service Control Manager, EventID: 7045}\n  condition: s\n'), windows);
    assert.deepEqual(item(x, 'Provider_Name', 's').paths, ['Provider_Name', 'SourceName', 'ProviderName', 'Event.System.Provider.Name', 'winlog.provider_name']);
    assert.equal(matches(x, { EventID: 7045, Channel: 'System', SourceName: 'Service Control Manager' }), true);
    assert.equal(matches(x, { winlog: { event_id: 7045, channel: 'System', provider_name: 'Service Control Manager' } }), true);
    assert.equal(matches(x, { winlog: { event_id: 7045, channel: 'System', provider_name: 'Other' } }), false);
  });

  test('log sources it cannot tell apart are refused with the reason', () => {
    const etw = refusal(rule('title: t\nlogsource: {product: windows, category: file_access}\ndetection:\n  s: {FileName: x}\n  condition: s\n'), windows);
    assert.match(etw.message, /^pipeline "windows" \(windows_unsupported\) refused the rule: this category comes from ETW/);
    const unknown = refusal(rule('title: t\nlogsource: {product: windows, service: my-app}\ndetection:\n  s: {EventID: 1}\n  condition: s\n'), windows);
    assert.match(unknown.message, /\(windows_unknown_logsource\) refused the rule: the windows pipeline does not know this log source/);
    // A rule for any Windows log (no category or service) runs on any Windows event.
    const any = apply(rule('title: t\nlogsource: {product: windows}\ndetection:\n  k: [mimikatz]\n  condition: k\n'), windows);
    assert.equal(matches(any, { winlog: { event_id: '4104', channel: 'Microsoft-Windows-PowerShell/Operational', event_data: { ScriptBlockText: 'Invoke-Mimikatz' } } }), true);
    assert.equal(matches(any, { message: 'mimikatz', appname: 'sshd' }), false);
    // Rules for other products pass through unchanged.
    const other = rule('title: t\nlogsource: {product: linux, service: sshd}\ndetection:\n  k: [x]\n  condition: k\n');
    assert.deepEqual(apply(other, windows), other);
  });
});

describe('built-in ocsf', () => {
  const ocsfPipe = loadPipeline('ocsf');
  const sysmon1 = ocsf(windowsPack, {
    Event: {
      System: { Provider: { Name: 'Microsoft-Windows-Sysmon' }, EventID: 1, Level: 4, TimeCreated: { SystemTime: '2026-11-23T10:00:00.000Z' }, EventRecordID: 7, Channel: SYSMON, Computer: 'WKS-07' },
      EventData: { UtcTime: '2026-11-23 10:00:00.000', ProcessGuid: '{7d1a5e2c-38d5-6643-8801-000000001b00}', ProcessId: '9012', ...sysmonData, ParentProcessId: '8800', IntegrityLevel: 'High', OriginalFileName: 'CertUtil.exe' },
    },
  });
  const r = apply(rule(PROCESS_RULE), ocsfPipe);

  test('Windows fields: unmapped.EventData first, then the OCSF attribute; the log source is a class and activity', () => {
    assert.deepEqual(item(r, 'Image').paths, ['unmapped.EventData.Image', 'unmapped.EventData.NewProcessName', 'process.file.path']);
    assert.deepEqual(r.conditions.map((c) => [c.negate, c.search.groups.map((g) => g.map((d) => `${d.field}=${d.values.join('|')}`))]), [
      [false, [['device.os.type_id=100'], ['metadata.product.name=Windows|Sysmon', 'metadata.product.vendor_name=Microsoft']]],
      [false, [['class_uid=1007', 'activity_id=1']]],
    ]);
  });

  test('matches the windows pack\'s Sysmon 1 and 4688, not a process exit or another product', () => {
    assert.equal(sysmon1.class_uid, 1007);
    assert.equal(matches(r, sysmon1), true);
    const sec4688 = ocsf(windowsPack, {
      Event: {
        System: { Provider: { Name: 'Microsoft-Windows-Security-Auditing' }, EventID: 4688, TimeCreated: { SystemTime: '2026-11-23T10:00:00.000Z' }, Channel: 'Security', Computer: 'WKS-07' },
        EventData: { SubjectUserSid: 'S-1-5-21-1-2-3-1107', SubjectUserName: 'bob', SubjectDomainName: 'CORP', SubjectLogonId: '0x2b8e41', NewProcessId: '0x1f2c', NewProcessName: 'C:\\Windows\\System32\\certutil.exe', ProcessId: '0x1a40', CommandLine: 'certutil -urlcache -f http://x', ParentProcessName: 'C:\\Windows\\System32\\cmd.exe' },
      },
    });
    assert.equal(matches(r, sec4688), true);
    // Not the same process's termination (Process Activity, activity 2).
    assert.equal(matches(r, { ...sysmon1, activity_id: 2 }), false);
    // An OCSF process launch from elsewhere matches through the OCSF attributes alone.
    const other = { class_uid: 1007, activity_id: 1, device: { os: { type_id: 100 } }, process: { file: { path: 'C:\\Windows\\System32\\certutil.exe' }, cmd_line: 'certutil -urlcache' } };
    assert.equal(matches(r, other), true);
    assert.equal(matches(r, { ...other, device: { os: { type_id: 200 } } }), false);
  });

  test('IntegrityLevel is tested on the OCSF integrity caption too; network rules use the actor', () => {
    const il = apply(rule('title: t\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {IntegrityLevel: High}\n  condition: s\n'), ocsfPipe);
    const { unmapped: _u, ...noUnmapped } = sysmon1;
    assert.equal(matches(il, noUnmapped), true);
    const net = apply(rule('title: t\nlogsource: {product: windows, category: network_connection}\ndetection:\n  s: {Image|endswith: \\powershell.exe, DestinationPort: 443}\n  condition: s\n'), ocsfPipe);
    assert.deepEqual(item(net, 'Image', 's').paths, ['unmapped.EventData.Image', 'actor.process.file.path']);
    const conn = ocsf(windowsPack, {
      Event: {
        System: { Provider: { Name: 'Microsoft-Windows-Sysmon' }, EventID: 3, TimeCreated: { SystemTime: '2026-11-23T10:00:00.000Z' }, Channel: SYSMON, Computer: 'WKS-07' },
        EventData: { UtcTime: '2026-11-23 10:00:00.000', ProcessId: '6412', Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', User: 'CORP\\bob', Protocol: 'tcp', Initiated: 'true', SourceIp: '192.0.2.57', SourcePort: '51544', DestinationIp: '203.0.113.50', DestinationPort: '443' },
      },
    });
    assert.equal(matches(net, conn), true);
    assert.equal(matches(r, conn), false);
  });

  test('a Security rule on the pack\'s 4625: event id and channel from unmapped.System', () => {
    const x = apply(rule('title: t\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 4625, LogonType: 3}\n  condition: s\n'), ocsfPipe);
    assert.deepEqual(item(x, 'EventID', 's').paths, ['unmapped.System.EventID', 'metadata.event_code']);
    const failed = ocsf(windowsPack, {
      Event: {
        System: { Provider: { Name: 'Microsoft-Windows-Security-Auditing' }, EventID: 4625, TimeCreated: { SystemTime: '2026-11-23T10:00:00.000Z' }, Channel: 'Security', Computer: 'FS01', Keywords: '0x8010000000000000' },
        EventData: { TargetUserName: 'administrator', TargetDomainName: 'CORP', Status: '0xc000006d', SubStatus: '0xc000006a', LogonType: '3', IpAddress: '203.0.113.77', IpPort: '0' },
      },
    });
    assert.equal(matches(x, failed), true);
    assert.equal(matches(x, { ...failed, unmapped: { ...(failed.unmapped as object), EventData: { LogonType: '10' } } }), false);
  });

  test('CloudTrail and Okta rules on the packs\' events', () => {
    const ct = apply(rule('title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventSource: iam.amazonaws.com, eventName: CreateAccessKey, userIdentity.type: Root}\n  condition: s\n'), ocsfPipe);
    assert.deepEqual(item(ct, 'eventName', 's').paths, ['api.operation']);
    assert.deepEqual(item(ct, 'userIdentity.type', 's').values, ['Admin']);
    const record = {
      eventVersion: '1.09', eventTime: '2026-11-23T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.7', userAgent: 'aws-cli/2', requestID: 'r-1', eventID: 'e-1', eventType: 'AwsApiCall', recipientAccountId: '111122223333',
      userIdentity: { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
    };
    assert.equal(matches(ct, ocsf(cloudtrailPack, record)), true);
    assert.equal(matches(ct, ocsf(cloudtrailPack, { ...record, userIdentity: { type: 'IAMUser', userName: 'bob', arn: 'arn:aws:iam::1:user/bob' } })), false);
    const ev = apply(rule('title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventType: AwsApiCall}\n  condition: s\n'), ocsfPipe);
    assert.deepEqual(item(ev, 'eventType', 's').paths, ['unmapped.eventType']);
    assert.equal(matches(ev, ocsf(cloudtrailPack, record)), true);

    const ok = apply(rule('title: t\nlogsource: {product: okta, service: okta}\ndetection:\n  s: {eventtype: user.account.privilege.grant, displayMessage|contains: privilege}\n  condition: s\n'), ocsfPipe);
    const okta = ocsf(oktaPack, {
      uuid: 'u-1', published: '2026-11-23T10:00:00.000Z', eventType: 'user.account.privilege.grant', version: '0', severity: 'INFO',
      displayMessage: 'Grant user privilege', actor: { id: '00u1', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
      outcome: { result: 'SUCCESS' }, client: { ipAddress: '192.0.2.1' },
      target: [{ id: '00u2', type: 'User', alternateId: 'bob@example.com', displayName: 'Bob' }],
      debugContext: { debugData: { privilegeGranted: 'Super administrator' } },
    });
    assert.equal(matches(ok, okta), true);
  });

  test('linux_auth events: sshd keyword rules are limited to sshd\'s events', () => {
    const k = apply(rule('title: t\nlogsource: {product: linux, service: sshd}\ndetection:\n  k: [\'Corrupted MAC on input\']\n  condition: k\n'), ocsfPipe);
    const ctx = { productVersion: '0.1.0', now: Date.UTC(2026, 10, 23) };
    const line = (m: string) => { const x = linuxAuthPack.map({ message: m }, ctx); if (!x.ok) assert.fail(x.reason); return x.events[0]!; };
    assert.equal(matches(k, line('<38>Nov 23 10:00:01 bastion-1 sshd[4411]: Corrupted MAC on input.')), true);
    assert.equal(matches(k, line('<38>Nov 23 10:00:01 bastion-1 sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/echo Corrupted MAC on input')), false);
  });

  test('what no pack normalizes is refused with a pointer to the raw pipelines', () => {
    assert.match(refusal(rule('title: t\nlogsource: {product: windows, category: ps_script}\ndetection:\n  s: {ScriptBlockText: x}\n  condition: s\n'), ocsfPipe).message,
      /\(ocsf_unsupported\) refused the rule: the windows pack does not normalize these events to OCSF .* with the windows pipeline$/);
    assert.match(refusal(rule('title: t\nlogsource: {product: linux, service: auditd}\ndetection:\n  s: {type: EXECVE}\n  condition: s\n'), ocsfPipe).message,
      /\(ocsf_unsupported_linux\)/);
    assert.match(refusal(rule('title: t\nlogsource: {product: azure, service: signinlogs}\ndetection:\n  s: {ResultType: 50053}\n  condition: s\n'), ocsfPipe).message,
      /\(ocsf_unsupported_cloud\) refused the rule: no Sluice pack normalizes this log source to OCSF/);
  });
});

describe('built-in linux', () => {
  const linux = loadPipeline('linux');

  test('sshd, sudo and auth keyword rules on syslog as Sluice parses it', () => {
    const k = apply(rule('title: t\nlogsource: {product: linux, service: sshd}\ndetection:\n  k: [\'error in libcrypto\']\n  condition: k\n'), linux);
    assert.deepEqual(k.conditions[0]!.search.groups.map((g) => g.map((d) => [d.field, d.values])), [[['appname', ['sshd', 'sshd-session']]]]);
    const line = { hostname: 'bastion-1', appname: 'sshd', procid: '4411', message: 'error: error in libcrypto' };
    assert.equal(matches(k, line), true);
    assert.equal(matches(k, { ...line, appname: 'cron' }), false);
    const auth = apply(rule('title: t\nlogsource: {product: linux, service: auth}\ndetection:\n  k: [\'authentication failure\']\n  condition: k\n'), linux);
    assert.equal(matches(auth, { appname: 'su', message: 'pam_unix(su:auth): authentication failure' }), true);
    assert.equal(matches(auth, { appname: 'nginx', facility: 'authpriv', message: 'authentication failure' }), true);
    assert.equal(matches(auth, { appname: 'nginx', facility: 'daemon', message: 'authentication failure' }), false);
  });

  test('auditd rules on key=value records', () => {
    const a = apply(rule('title: t\nlogsource: {product: linux, service: auditd}\ndetection:\n  s: {type: EXECVE, a0: arp, a1: -a}\n  condition: s\n'), linux);
    assert.deepEqual(item(a, 'a0', 's').paths, ['a0']);
    const rec = { type: 'EXECVE', msg: 'audit(1604994496.155:92733):', argc: '2', a0: 'arp', a1: '-a' };
    assert.equal(matches(a, rec), true);
    assert.equal(matches(a, { ...rec, msg: 'something else' }), false);
  });

  test('Sysmon for Linux process creation, flat or as Event.System/EventData', () => {
    const p = apply(rule('title: t\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {Image|endswith: /nc, CommandLine|contains: \' -e \'}\n  condition: s\n'), linux);
    const data = { Image: '/usr/bin/nc', CommandLine: 'nc 10.0.0.1 4444 -e /bin/sh' };
    assert.equal(matches(p, { EventID: 1, Channel: 'Linux-Sysmon/Operational', ...data }), true);
    assert.equal(matches(p, { Event: { System: { EventID: 1, Channel: 'Linux-Sysmon/Operational' }, EventData: data } }), true);
    assert.equal(matches(p, { Event: { System: { EventID: 3, Channel: 'Linux-Sysmon/Operational' }, EventData: data } }), false);
  });
});

describe('built-in cloud', () => {
  const cloud = loadPipeline('cloud');
  const record = { eventVersion: '1.09', eventTime: '2026-11-23T10:00:00Z', eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/bob' } };

  test('CloudTrail: its records only (not S3 event notifications); status is refused with what to write', () => {
    const r = apply(rule('title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventSource: cloudtrail.amazonaws.com, eventName: [StopLogging, DeleteTrail], userIdentity.type: IAMUser}\n  condition: s\n'), cloud);
    assert.deepEqual(item(r, 'userIdentity.type', 's').paths, ['userIdentity.type']);
    assert.equal(matches(r, record), true);
    assert.equal(matches(r, { ...record, eventSource: 'aws:s3' }), false);
    const err = refusal(rule('title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventName: DeleteSAMLProvider, status: success}\n  condition: s\n'), cloud);
    assert.match(err.message, /\(cloud_aws_status\) refused the rule: field "status": CloudTrail records have no "status" field/);
    assert.deepEqual(err.place, { file: 'rules/r.yml', line: 4, col: 38 });
  });

  test('Okta: lower-cased names become Okta\'s own', () => {
    const r = apply(rule('title: t\nlogsource: {product: okta, service: okta}\ndetection:\n  s: {eventtype: user.mfa.factor.deactivate, debugcontext.debugdata.requestUri|contains: /factors}\n  condition: s\n'), cloud);
    assert.deepEqual(item(r, 'eventtype', 's').paths, ['eventType']);
    assert.deepEqual(item(r, 'debugcontext.debugdata.requestUri', 's').paths, ['debugContext.debugData.requestUri']);
    const e = { uuid: 'u', published: '2026-11-23T10:00:00Z', eventType: 'user.mfa.factor.deactivate', actor: { id: 'x' }, debugContext: { debugData: { requestUri: '/api/v1/users/x/factors/y' } } };
    assert.equal(matches(r, e), true);
    assert.equal(matches(r, { ...e, uuid: undefined }), false);
  });

  test('GitHub audit and Kubernetes audit', () => {
    const gh = apply(rule('title: t\nlogsource: {product: github, service: audit}\ndetection:\n  s: {action: repo.destroy}\n  condition: s\n'), cloud);
    assert.equal(matches(gh, { action: 'repo.destroy', actor: 'mallory', '@timestamp': 1763892000000, _document_id: 'd' }), true);
    assert.equal(matches(gh, { action: 'repo.destroy', eventName: 'x' }), false);
    const k8s = apply(rule('title: t\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  s: {verb: patch, apiGroup: apps, objectRef.resource: deployments}\n  condition: s\n'), cloud);
    assert.deepEqual(item(k8s, 'apiGroup', 's').paths, ['objectRef.apiGroup']);
    const ev = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'patch', objectRef: { resource: 'deployments', apiGroup: 'apps', namespace: 'web', name: 'frontend' } };
    assert.equal(matches(k8s, ev), true);
    assert.equal(matches(k8s, { ...ev, kind: 'EventList' }), false);
    // The cluster's own Event objects are not audit events.
    assert.equal(matches(k8s, { kind: 'Event', apiVersion: 'v1', reason: 'Killing', objectRef: ev.objectRef, apiGroup: 'apps' }), false);
  });

  test('log sources it has no export for are refused', () => {
    assert.match(refusal(rule('title: t\nlogsource: {product: m365, service: threat_management}\ndetection:\n  s: {eventSource: SecurityComplianceCenter}\n  condition: s\n'), cloud).message, /\(cloud_unsupported\)/);
    assert.match(refusal(rule('title: t\nlogsource: {product: aws, service: guardduty}\ndetection:\n  s: {type: x}\n  condition: s\n'), cloud).message, /\(cloud_unknown_logsource\) refused the rule: the cloud pipeline does not know this log source/);
  });
});

test('field-name mappings rename the fields |fieldref values name, too (any of several paths)', () => {
  const r = rule([
    'title: Same user on both sides',
    'logsource: { product: windows }',
    'detection:',
    '  selection:',
    '    SubjectUserName|fieldref: TargetUserName',
    '  condition: selection',
  ].join('\n'));
  const p = pipe([
    'name: winlogbeat',
    'transformations:',
    '  - type: field_name_mapping',
    '    mapping:',
    '      SubjectUserName: winlog.event_data.SubjectUserName',
    '      TargetUserName: [winlog.event_data.TargetUserName, user.target.name]',
  ].join('\n'));
  const mapped = apply(r, p);
  assert.deepEqual(item(mapped, 'SubjectUserName').refPaths, { TargetUserName: ['winlog.event_data.TargetUserName', 'user.target.name'] });
  assert.ok(matches(mapped, { winlog: { event_data: { SubjectUserName: 'alice', TargetUserName: 'ALICE' } } }));
  assert.ok(matches(mapped, { winlog: { event_data: { SubjectUserName: 'alice' } }, user: { target: { name: 'alice' } } }), 'the second rendering');
  assert.ok(!matches(mapped, { winlog: { event_data: { SubjectUserName: 'alice', TargetUserName: 'bob' } } }));
  assert.ok(!matches(mapped, { SubjectUserName: 'alice', TargetUserName: 'alice' }), 'the unmapped names are not read');
  assert.equal(item(r, 'SubjectUserName').refPaths, undefined, 'the input rule is not changed');
});
