// Runs every ```sluice-example block of docs/language.md, and checks that every function is shown.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  compileProgram, compileValue, ExprAbort, ExpressionError, ExprRuntimeError, functionNames, type Event,
} from './index.js';

// Compiled tests live in dist/src/expr/, so the repository root is three levels up; look a little
// further too, for builds into a nested folder such as .build/<name>/src/expr/.
function findDoc(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    dir = dirname(dir);
    const p = join(dir, 'docs', 'language.md');
    if (up >= 2 && existsSync(p)) return p;
  }
  throw new Error('docs/language.md not found above the compiled test');
}
const doc = readFileSync(findDoc(), 'utf8');

interface Example {
  line: number;
  event: Event;
  expr?: string;
  program?: string;
  expected?: unknown;
  error?: string;
  compileError?: string;
  secrets: Record<string, string>;
}

function parseBlock(body: string, line: number): Example {
  const ex: Example = { line, event: {}, secrets: {} };
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const m = /^(\w+):\s?(.*)$/.exec(l);
    if (!m) throw new Error(`docs/language.md:${line + i + 1}: cannot read example line ${JSON.stringify(l)}`);
    const [, key, rest] = m as unknown as [string, string, string];
    switch (key) {
      case 'event': ex.event = JSON.parse(rest) as Event; break;
      case 'secrets': ex.secrets = JSON.parse(rest) as Record<string, string>; break;
      case 'expr': ex.expr = rest; break;
      case 'expected': ex.expected = JSON.parse(rest); break;
      case 'error': ex.error = rest; break;
      case 'compile_error': ex.compileError = rest; break;
      case 'program': {
        const body: string[] = [];
        while (i + 1 < lines.length && (lines[i + 1]!.startsWith('  ') || lines[i + 1] === '')) body.push(lines[++i]!.slice(2));
        ex.program = body.join('\n');
        break;
      }
      default: throw new Error(`docs/language.md:${line + i + 1}: unknown example key ${key}`);
    }
  }
  return ex;
}

const examples: Example[] = [];
for (const m of doc.matchAll(/```sluice-example\n([\s\S]*?)```/g)) {
  const line = doc.slice(0, m.index).split('\n').length;
  examples.push(parseBlock(m[1]!, line));
}

test('docs/language.md has examples', () => {
  assert.ok(examples.length >= 40, `only ${examples.length} examples`);
});

for (const ex of examples) {
  test(`docs/language.md:${ex.line}: ${(ex.expr ?? ex.program ?? '').split('\n')[0]!.slice(0, 70)}`, () => {
    const src = ex.expr ?? ex.program;
    assert.ok(src !== undefined, 'an example needs expr or program');
    const opts = { secrets: (n: string) => ex.secrets[n] };
    const event = structuredClone(ex.event);
    let run: () => unknown;
    try {
      if (ex.program !== undefined) {
        const p = compileProgram(src, opts);
        run = () => { p(event); return event; };
      } else {
        const f = compileValue(src, opts);
        run = () => f(event);
      }
    } catch (err) {
      if (ex.compileError !== undefined && err instanceof ExpressionError) {
        assert.ok(err.reason.includes(ex.compileError), `compile error "${err.reason}" should mention "${ex.compileError}"`);
        return;
      }
      throw err;
    }
    assert.equal(ex.compileError, undefined, 'expected a compile error');
    if (ex.error !== undefined) {
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof ExprRuntimeError || err instanceof ExprAbort, `unexpected ${String(err)}`);
        assert.ok(err.reason.includes(ex.error!), `error "${err.reason}" should mention "${ex.error}"`);
        return true;
      });
      return;
    }
    const got = JSON.parse(JSON.stringify(run() ?? null)) as unknown;
    assert.deepEqual(got, ex.expected);
  });
}

test('every function appears in at least one docs example', () => {
  const code = examples.map((e) => `${e.expr ?? ''}\n${e.program ?? ''}`).join('\n');
  const missing = functionNames().filter((name) => !new RegExp(`\\b${name}\\s*\\(`).test(code));
  assert.deepEqual(missing, []);
});
