// Compile errors: file/line/col from the caller's origin plus the position inside the expression,
// the expression line with a caret, and hints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCondition, compileProgram, compileValue, ExpressionError } from './index.js';

function error(f: () => unknown): ExpressionError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error('expected a compile error');
}

test('position = origin + position inside the expression; caret under the problem', () => {
  const e = error(() => compileCondition('.a == 1 and lowr(.b)', { origin: { file: 'pipe.yaml', line: 12, col: 17 } }));
  assert.equal(e.file, 'pipe.yaml');
  assert.equal(e.line, 12);
  assert.equal(e.col, 17 + 12);
  assert.equal(e.exprLine, 1);
  assert.equal(e.exprCol, 13);
  assert.equal(e.hint, 'did you mean "lower"?');
  assert.equal(e.message, [
    'pipe.yaml:12:29: unknown function "lowr"',
    '  .a == 1 and lowr(.b)',
    '              ^^^^',
    '  hint: did you mean "lower"?',
  ].join('\n'));
});

test('multi-line text: later lines add to the origin line; columns assume the same indentation', () => {
  const src = '.user.name = lower(.user.name)\ndel(.raw)\n.x = upper(.y, 1)';
  const e = error(() => compileProgram(src, { origin: { file: 'p.yaml', line: 20, col: 7 } }));
  assert.equal(e.line, 22);
  assert.equal(e.exprLine, 3);
  assert.equal(e.exprCol, 6);
  assert.equal(e.col, 7 + 5);
  assert.match(e.message, /^p\.yaml:22:12: upper\(\) takes 1 argument, got 2\n {2}\.x = upper\(\.y, 1\)\n {7}\^{12}/);
});

test('without an origin the position is inside the expression', () => {
  const e = error(() => compileValue('\n\n   .a +'));
  assert.equal(e.file, undefined);
  assert.deepEqual([e.line, e.col], [3, 8]);
  assert.match(e.message, /^<expr>:3:8: expected an expression, found end of input/);
  assert.equal(e.incomplete, true);
});

test('tabs in the line keep the caret aligned', () => {
  const e = error(() => compileValue('\t\t.a ++ 1'));
  assert.match(e.message, /\n {2}\t\t\.a \+\+ 1\n {2}\t\t {4}\^/);
});

test('long lines are cut around the caret', () => {
  const src = `.a == "${'x'.repeat(300)}" and nope(.b)`;
  const e = error(() => compileValue(src));
  const [, line, caret] = e.message.split('\n');
  assert.ok(line!.length < 120);
  assert.equal(line!.slice(caret!.indexOf('^'), caret!.indexOf('^') + 4), 'nope');
});

test('arity, unknown functions and variables, with hints', () => {
  assert.match(error(() => compileValue('lower()')).reason, /lower\(\) takes 1 argument, got 0/);
  assert.match(error(() => compileValue('split("a")')).reason, /split\(\) takes 2 to 3 arguments, got 1/);
  assert.match(error(() => compileValue('coalesce()')).reason, /coalesce\(\) takes at least 1 arguments, got 0/);
  assert.equal(error(() => compileValue('parse_jsn(.m)')).hint, 'did you mean "parse_json"?');
  assert.match(error(() => compileValue('frobnicate(.m)')).hint ?? '', /:functions/);
  assert.equal(error(() => compileValue('user.name')).hint, 'event fields start with a dot: .user');
  assert.equal(error(() => compileValue('lower')).hint, 'lower is a function: call it as lower(...)');
});

test('syntax errors point at the offending token', () => {
  const cases: [string, RegExp, number][] = [
    ['.a == == 1', /expected an expression, found "=="/, 7],
    ['.a = 1', /unexpected "=" after the expression/, 4],
    ['(.a', /expected "\)" to close the parenthesis, found end of input/, 4],
    ['.a ? 1', /expected ":"/, 7],
    ['.a.b c', /unexpected "c"/, 6],
    ['#', /expected an expression, found end of input/, 2],
    ['.a ~ 1', /unexpected character "~"/, 4],
  ];
  for (const [src, re, col] of cases) {
    const e = error(() => compileValue(src));
    assert.match(e.reason, re, src);
    assert.equal(e.col, col, src);
  }
});

test('invalid regex and CIDR literals are compile errors at their position', () => {
  const e = error(() => compileValue('.x =~ r\'a(b\''));
  assert.match(e.reason, /invalid regular expression/);
  assert.equal(e.col, 7);
  assert.match(e.hint ?? '', /RE2/);
  assert.match(error(() => compileValue('.ip in 300.1.1.1/8')).reason, /invalid CIDR/);
});
