/** `sluice eval '<expr>' [--program] < events`: run an expression or remap program against JSON events. */
import type { Command } from 'commander';
import { compileProgram, compileValue, ExprAbort, ExpressionError, ExprRuntimeError, type Event } from '../../expr/index.js';

export interface EvalOutput {
  /** One JSON document per input event, in order (failed events print nothing here). */
  stdout: string[];
  /** Compile errors, per-event runtime errors and aborts. */
  stderr: string[];
  /** 0 ok; 1 some event failed or an input line was not a JSON object; 2 the expression does not compile. */
  code: number;
}

/** The events in `input`: one JSON object (possibly pretty-printed), or NDJSON; blank input is one empty event. */
export function parseEvents(input: string): { events: { line: number; event?: Event; error?: string }[] } {
  const text = input.trim();
  if (text === '') return { events: [{ line: 1, event: {} }] };
  try {
    const whole = JSON.parse(text) as unknown;
    return { events: [asEvent(whole, 1)] };
  } catch {
    // not a single document: NDJSON
  }
  const events: { line: number; event?: Event; error?: string }[] = [];
  input.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      events.push(asEvent(JSON.parse(raw) as unknown, i + 1));
    } catch (err) {
      events.push({ line: i + 1, error: `not valid JSON: ${(err as Error).message}` });
    }
  });
  return { events };
}

function asEvent(v: unknown, line: number): { line: number; event?: Event; error?: string } {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { line, event: v as Event };
  return { line, error: 'an event must be a JSON object' };
}

/** JSON text of a language value (regexes and CIDRs print as their text; undefined as null). */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v === undefined ? null : v, null, indent) ?? 'null';
}

export function evaluate(src: string, input: string, opts: { program?: boolean } = {}): EvalOutput {
  const out: EvalOutput = { stdout: [], stderr: [], code: 0 };
  let run: (e: Event) => unknown;
  try {
    if (opts.program) {
      const p = compileProgram(src);
      run = (e) => { p(e); return e; };
    } else {
      run = compileValue(src);
    }
  } catch (err) {
    if (err instanceof ExpressionError) {
      out.stderr.push(err.message.replace(/^<expr>:/, 'expression:'));
      out.code = 2;
      return out;
    }
    throw err;
  }
  const { events } = parseEvents(input);
  const many = events.length > 1;
  for (const item of events) {
    const where = many ? `line ${item.line}: ` : '';
    if (!item.event) {
      out.stderr.push(`${where}${item.error}`);
      out.code = 1;
      continue;
    }
    try {
      out.stdout.push(toJson(run(item.event)));
    } catch (err) {
      if (err instanceof ExprAbort) out.stderr.push(`${where}aborted: ${err.reason}`);
      else if (err instanceof ExprRuntimeError) out.stderr.push(`${where}error: ${err.reason}`);
      else throw err;
      out.code = 1;
    }
  }
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function register(program: Command): void {
  program.command('eval')
    .description('Evaluate an expression (or a remap program with --program) against JSON events from stdin: '
      + 'one JSON object or NDJSON, one result per line. Exit code 2 when the expression does not compile, '
      + '1 when an event failed.')
    .argument('<expr>', 'the expression, or the program text with --program')
    .option('-p, --program', 'run <expr> as a remap program and print each modified event')
    .option('-e, --event <json>', 'evaluate against this JSON event instead of reading stdin')
    .addHelpText('after', `
Examples:
  echo '{"user":{"name":"ALICE"}}' | sluice eval 'lower(.user.name)'
  sluice eval '.src.ip in 10.0.0.0/8' --event '{"src":{"ip":"10.1.2.3"}}'
  sluice eval --program '.user.name = lower(.user.name); del(.raw)' < events.ndjson`)
    .action(async (expr: string, opts: { program?: boolean; event?: string }) => {
      const input = opts.event ?? (process.stdin.isTTY ? '' : await readStdin());
      const r = evaluate(expr, input, { program: opts.program === true });
      if (r.stdout.length) process.stdout.write(r.stdout.join('\n') + '\n');
      if (r.stderr.length) process.stderr.write(r.stderr.join('\n') + '\n');
      process.exitCode = r.code;
    });
}
