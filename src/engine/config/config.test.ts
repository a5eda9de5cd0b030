import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError, type ConfigProblem } from './index.js';
import { testRegistry } from '../test-components.js';

function problems(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    validateConfig(Object.keys(files), testRegistry, { texts: new Map(Object.entries(files)), env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const ok = `
sources:
  gen: { type: counter, count: 3 }
transforms:
  t: { type: tag, inputs: [gen] }
sinks:
  out: { type: collect, inputs: [t], name: x }
`;

test('a valid config loads with inputs resolved', () => {
  const cfg = validateConfig(['a.yaml'], testRegistry, { texts: new Map([['a.yaml', ok]]), env: {} });
  assert.deepEqual(cfg.components.get('out')!.inputs, [{ component: 't', output: '' }]);
  assert.equal(cfg.components.get('gen')!.config.count, 3);
});

test('every problem is reported at once with file:line:col and a hint', () => {
  const ps = problems({ 'p.yaml': `
sources:
  gen: { type: countr }
transforms:
  t: { type: tag, inputs: [gne], fieldd: x }
sinks:
  out: { type: collect, inputs: [t] }
  out2: { type: collect, inputs: [t], name: 5, delay_ms: soon }
` });
  const text = ps.map((p) => `${p.position?.line}:${p.position?.col} ${p.message} | ${p.hint ?? ''}`);
  assert.equal(ps.length, 5, text.join('\n'));
  assert.match(text[0]!, /^3:16 unknown source type `countr` \| did you mean `counter`/);
  assert.match(text[1]!, /^5:28 unknown input `gne`/);
  assert.match(text[2]!, /^5:34 unknown option `fieldd` \| did you mean `field`/);
  assert.match(text[3]!, /^7:3 missing required field `name`/);
  assert.match(text[4]!, /^8:58 expected integer, found the string "soon"/);
  assert.equal(ps[0]!.position!.file, 'p.yaml');
  assert.equal(ps[0]!.excerpt, '  gen: { type: countr }');
});

test('a component declared under the wrong kind says where it belongs', () => {
  const ps = problems({ 'a.yaml': 'transforms:\n  x: { type: collect, inputs: [y] }\n' });
  assert.match(ps[0]!.hint!, /is a sink; declare it under sinks/);
});

test('cycles are found', () => {
  const ps = problems({ 'a.yaml': `
sources: { gen: { type: counter } }
transforms:
  a: { type: tag, inputs: [gen, c] }
  b: { type: tag, inputs: [a] }
  c: { type: tag, inputs: [b] }
sinks: { o: { type: collect, inputs: [c], name: x } }
` });
  assert.equal(ps.length, 1);
  assert.match(ps[0]!.message, /cycle: .*a -> .*a|cycle: .*c -> .*c|cycle: .*b -> .*b/);
});

test('named outputs, error outputs and globs resolve', () => {
  const cfg = validateConfig(['a.yaml'], testRegistry, { env: {}, texts: new Map([['a.yaml', `
sources: { gen: { type: counter } }
transforms:
  a: { type: tag, inputs: [gen] }
  b: { type: tag, inputs: [a.even] }
sinks:
  o: { type: collect, inputs: [b], name: x }
  dead: { type: collect, inputs: ["*.errors"], name: y }
`]]) });
  assert.deepEqual(cfg.components.get('b')!.inputs, [{ component: 'a', output: 'even' }]);
  const dead = cfg.components.get('dead')!.inputs.map((r) => `${r.component}.${r.output}`).sort();
  assert.deepEqual(dead, ['a.errors', 'b.errors', 'gen.errors', 'o.errors']);
  const ps = problems({ 'a.yaml': 'sources: { gen: { type: counter } }\nsinks: { o: { type: collect, inputs: [gen.nope], name: x } }\n' });
  assert.match(ps[0]!.message, /has no output `nope` \(outputs: gen, gen.errors\)/);
});

test('${VAR} and ${VAR:-default} interpolate, typed; a missing variable is an error at its place', () => {
  const cfg = validateConfig(['a.yaml'], testRegistry, { env: { N: '7', NAME: 'x' }, texts: new Map([['a.yaml', `
sources:
  gen:
    type: counter
    count: \${N}
    batch: \${B:-2}
sinks: { o: { type: collect, inputs: [gen], name: "pre-\${NAME}-$\${NOT}" } }
`]]) });
  assert.equal(cfg.components.get('gen')!.config.count, 7);
  assert.equal(cfg.components.get('gen')!.config.batch, 2);
  assert.equal(cfg.components.get('o')!.config.name, 'pre-x-${NOT}');
  // A string option keeps digits as written (a routing key or a PIN is not a number).
  const digits = validateConfig(['b.yaml'], testRegistry, { env: { KEY: '0123' }, texts: new Map([['b.yaml',
    'sources: { gen: { type: counter } }\nsinks: { o: { type: collect, inputs: [gen], name: "${KEY}" } }\n']]) });
  assert.equal(digits.components.get('o')!.config.name, '0123');
  const ps = problems({ 'a.yaml': 'sources:\n  gen:\n    type: counter\n    count: ${MISSING}\n' });
  assert.match(ps[0]!.message, /environment variable MISSING is not set/);
  assert.equal(ps[0]!.position!.line, 4);
});

test('several files merge; a duplicate id names both files', () => {
  const cfg = validateConfig(['a.yaml', 'b.yaml'], testRegistry, { env: {}, texts: new Map([
    ['a.yaml', 'sources: { gen: { type: counter } }\n'],
    ['b.yaml', 'sinks: { o: { type: collect, inputs: [gen], name: x } }\n'],
  ]) });
  assert.equal(cfg.components.size, 2);
  const ps = problems({ 'a.yaml': 'sources: { gen: { type: counter } }\n', 'b.yaml': 'sources:\n  gen: { type: counter }\n' });
  assert.equal(ps[0]!.position!.file, 'b.yaml');
  assert.match(ps[0]!.message, /declared twice \(also in a.yaml\)/);
});

test('YAML syntax errors and unknown top-level keys have positions', () => {
  const ps = problems({ 'a.yaml': 'sources:\n  gen: { type: counter\n' });
  assert.match(ps[0]!.message, /invalid YAML/);
  assert.ok(ps[0]!.position!.line >= 2);
  const ps2 = problems({ 'a.yaml': 'sorces: {}\n' });
  assert.match(ps2[0]!.hint!, /did you mean `sources`/);
});

test('JSON configs work with positions too', () => {
  const ps = problems({ 'a.json': '{\n  "sources": {\n    "gen": { "type": "counter", "count": "many" }\n  }\n}\n' });
  assert.equal(ps[0]!.position!.line, 3);
  assert.match(ps[0]!.message, /expected integer/);
});

test('an API beyond loopback without a token is refused', () => {
  const ps = problems({ 'a.yaml': 'api: { address: 0.0.0.0:8686 }\nsources: { gen: { type: counter } }\n' });
  assert.match(ps[0]!.message, /without a token/);
  assert.deepEqual(problems({ 'a.yaml': 'api: { address: 0.0.0.0:8686, token: s3cret }\nsources: { gen: { type: counter } }\n' }), []);
});
