/** `sluice repl`: an interactive session for the expression language, in the spirit of VRL's REPL. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import {
  compileReplProgram, ExprAbort, ExpressionError, ExprRuntimeError, functionNames, type Event,
} from '../../expr/index.js';
import { parseEvents, toJson } from './eval.js';

const HELP = `Type an expression to evaluate it against the current event, or a statement to change the event:
  .user.name                      read a field (missing fields are null)
  .user.name = lower(.user.name)  assign (creates intermediate objects)
  . = {"message": "a=1 b=2"}      replace the whole event
  merge(., parse_kv(.message))    merge parsed fields into the event
  x = len(.message)               variables persist between lines
An unfinished line (open bracket, string or block) continues on the next line.

Commands:
  :load <file>   load the event from a JSON file (the first object of an NDJSON file)
  :event         print the current event
  :reset         empty event, no variables
  :functions     list the functions
  :help          this text
  :quit          leave (also Ctrl-D)
The language is described in docs/language.md.`;

export interface ReplReply {
  /** Text to print (may be empty). */
  output: string;
  /** The input is unfinished: read another line and call handle() again. */
  more?: boolean;
  quit?: boolean;
}

/** The REPL's state and line handling, separate from the terminal so it can be tested. */
export class ReplSession {
  event: Event = {};
  private vars: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  private varNames: string[] = [];
  private pending = '';

  handle(line: string): ReplReply {
    const trimmed = line.trim();
    if (this.pending === '' && trimmed.startsWith(':')) return this.command(trimmed);
    const src = this.pending === '' ? line : `${this.pending}\n${line}`;
    if (src.trim() === '') return { output: '' };
    try {
      const { run, vars } = compileReplProgram(src, this.varNames);
      this.pending = '';
      const value = run(this.event, this.vars);
      this.varNames = vars;
      return { output: toJson(value, 2) };
    } catch (err) {
      if (err instanceof ExpressionError) {
        if (err.incomplete && trimmed !== '') {
          this.pending = src;
          return { output: '', more: true };
        }
        this.pending = '';
        return { output: `error: ${err.message.replace(/^<expr>:\d+:\d+: /, '')}` };
      }
      this.pending = '';
      if (err instanceof ExprAbort) return { output: `aborted: ${err.reason}` };
      if (err instanceof ExprRuntimeError) return { output: `error: ${err.reason}` };
      throw err;
    }
  }

  private command(cmd: string): ReplReply {
    const [name, ...rest] = cmd.split(/\s+/);
    const arg = rest.join(' ');
    switch (name) {
      case ':q': case ':quit': case ':exit':
        return { output: '', quit: true };
      case ':h': case ':help':
        return { output: HELP };
      case ':event':
        return { output: toJson(this.event, 2) };
      case ':reset':
        this.event = {};
        this.vars = Object.create(null) as Record<string, unknown>;
        this.varNames = [];
        return { output: 'event and variables cleared' };
      case ':functions':
        return { output: functionNames().join(' ') };
      case ':load': {
        if (!arg) return { output: 'usage: :load <file.json>' };
        let text: string;
        try {
          text = readFileSync(arg, 'utf8');
        } catch (err) {
          return { output: `error: cannot read ${arg}: ${(err as Error).message}` };
        }
        const first = parseEvents(text).events[0]!;
        if (!first.event) return { output: `error: ${arg}: ${first.error}` };
        this.event = first.event;
        return { output: toJson(this.event, 2) };
      }
      default:
        return { output: `unknown command ${name}; type :help` };
    }
  }
}

export function register(program: Command): void {
  program.command('repl')
    .description('Interactive expression-language session: load an event, try expressions and remap statements against it.')
    .option('--event <file>', 'start with the event in this JSON file')
    .action(async (opts: { event?: string }) => {
      const session = new ReplSession();
      const out = process.stdout;
      if (opts.event) out.write(session.handle(`:load ${opts.event}`).output + '\n');
      else out.write('Sluice expression REPL. Type :help for help, :quit to leave.\n');
      const rl = createInterface({ input: process.stdin, output: out, prompt: '$ ', terminal: process.stdin.isTTY === true });
      rl.prompt();
      await new Promise<void>((resolve) => {
        rl.on('line', (line) => {
          const r = session.handle(line);
          if (r.output) out.write(r.output + '\n');
          if (r.quit) { rl.close(); return; }
          rl.setPrompt(r.more ? '... ' : '$ ');
          rl.prompt();
        });
        rl.on('close', resolve);
      });
    });
}
