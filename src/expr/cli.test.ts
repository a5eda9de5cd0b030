// `sluice eval` and `sluice repl` (src/cli/commands/eval.ts, repl.ts), driven without a terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { evaluate, register as registerEval } from '../cli/commands/eval.js';
import { register as registerRepl, ReplSession } from '../cli/commands/repl.js';

test('eval: one JSON object in, one JSON value out', () => {
  assert.deepEqual(evaluate('lower(.user.name)', '{"user": {"name": "ALICE"}}'), { stdout: ['"alice"'], stderr: [], code: 0 });
  assert.deepEqual(evaluate('.a', '{\n  "a": [1,\n 2]\n}').stdout, ['[1,2]'], 'pretty-printed JSON is one event');
  assert.deepEqual(evaluate('1 + 1', '').stdout, ['2'], 'no input: an empty event');
});

test('eval: NDJSON, one result per line, failures reported with their line', () => {
  const r = evaluate('.n * 10', '{"n": 1}\n{"n": "x"}\n\nnot json\n[1]\n{"n": 3}\n');
  assert.deepEqual(r.stdout, ['10', '30']);
  assert.deepEqual(r.stderr, [
    'line 2: error: cannot apply "*" to string and number (convert with to_string() or to_int())',
    'line 4: not valid JSON: Unexpected token \'o\', "not json" is not valid JSON',
    'line 5: an event must be a JSON object',
  ]);
  assert.equal(r.code, 1);
});

test('eval --program prints the modified event; abort is reported', () => {
  const r = evaluate('.user.name = lower(.user.name); del(.raw)\nif .drop { abort "dropped" }', '{"user":{"name":"ANN"},"raw":"x"}\n{"drop":true}', { program: true });
  assert.deepEqual(r.stdout, ['{"user":{"name":"ann"}}']);
  assert.deepEqual(r.stderr, ['line 2: aborted: dropped']);
  assert.equal(r.code, 1);
});

test('eval: a compile error exits 2 with the caret excerpt', () => {
  const r = evaluate('lowr(.x)', '{}');
  assert.equal(r.code, 2);
  assert.equal(r.stderr[0], 'expression:1:1: unknown function "lowr"\n  lowr(.x)\n  ^^^^\n  hint: did you mean "lower"?');
});

test('eval and repl register as commander subcommands', () => {
  const program = new Command('sluice');
  registerEval(program);
  registerRepl(program);
  const names = program.commands.map((c) => c.name());
  assert.deepEqual(names, ['eval', 'repl']);
  const evalCmd = program.commands[0]!;
  assert.ok(evalCmd.options.some((o) => o.long === '--program'));
});

test('repl: expressions, statements, variables and the current event', () => {
  const s = new ReplSession();
  assert.equal(s.handle('. = {"message": "a=1 b=2"}').output, '{\n  "message": "a=1 b=2"\n}');
  assert.equal(s.handle('merge(., parse_kv(.message))').output, 'null');
  assert.equal(s.handle('x = len(.message)').output, '7');
  assert.equal(s.handle('x + 1').output, '8');
  assert.equal(s.handle('.a').output, '"1"');
  assert.deepEqual(JSON.parse(s.handle(':event').output), { message: 'a=1 b=2', a: '1', b: '2' });
  assert.match(s.handle('lowr(.a)').output, /^error: unknown function "lowr"/);
  assert.match(s.handle('.a + 1').output, /^error: cannot apply "\+" to string and number/);
  assert.equal(s.handle('abort "stop"').output, 'aborted: stop');
  assert.match(s.handle(':functions').output, /\bparse_syslog\b/);
  assert.match(s.handle(':help').output, /:load <file>/);
  assert.equal(s.handle(':reset').output, 'event and variables cleared');
  assert.match(s.handle('x').output, /unknown variable "x"/);
  assert.deepEqual(s.handle(':quit'), { output: '', quit: true });
});

test('repl: unfinished input continues on the next line', () => {
  const s = new ReplSession();
  assert.deepEqual(s.handle('if true {'), { output: '', more: true });
  assert.deepEqual(s.handle('  .ok = [1,'), { output: '', more: true });
  assert.equal(s.handle('  2] }').output, '[\n  1,\n  2\n]');
  assert.deepEqual(s.event, { ok: [1, 2] });
  assert.match(s.handle('"open').output, /unterminated string/);
});

test('repl: :load reads a JSON or NDJSON file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-repl-'));
  writeFileSync(join(dir, 'e.json'), '{"user": {"name": "Bob"}}\n{"second": true}\n');
  const s = new ReplSession();
  assert.match(s.handle(`:load ${join(dir, 'e.json')}`).output, /"Bob"/);
  assert.equal(s.handle('lower(.user.name)').output, '"bob"');
  assert.match(s.handle(`:load ${join(dir, 'missing.json')}`).output, /^error: cannot read/);
  assert.equal(s.handle(':load').output, 'usage: :load <file.json>');
});
