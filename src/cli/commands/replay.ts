/** `sluice replay --from dlq --to <component>`: send dead letters back through the pipeline after a fix. */
import type { Command } from 'commander';
import { compileCondition, ExpressionError } from '../../expr/index.js';
import { DeadLetterStore, type DeadLetter } from '../../engine/dlq.js';
import { createLogger } from '../../engine/log.js';
import { replay } from '../../engine/replay.js';
import { color, configPaths, fail, loadOrExit } from '../shared.js';

interface ReplayOptions { config?: string[]; from: string; to: string; filter?: string; component?: string; dryRun?: boolean }

/** A `--filter` expression runs against each dead-letter record (`.reason`, `.component_id`, `.event.…`). */
export function selectDeadLetters(store: DeadLetterStore, opts: { filter?: string; component?: string }): DeadLetter[] {
  let test: ((e: Record<string, unknown>) => boolean) | null = null;
  if (opts.filter) {
    try { test = compileCondition(opts.filter); } catch (e) {
      fail(`--filter does not compile: ${e instanceof ExpressionError ? e.message : (e as Error).message}`, 'the filter sees each record: .component_id, .error_code, .reason, .attempts, .event.<field>');
    }
  }
  const out: DeadLetter[] = [];
  for (const r of store.read()) {
    if (opts.component && r.component_id !== opts.component) continue;
    if (test && !test(r as unknown as Record<string, unknown>)) continue;
    out.push(r);
  }
  return out;
}

export function register(program: Command): void {
  program.command('replay')
    .description('Send dead letters back into a component (and everything after it) once the cause is fixed. Handled records leave the store; events that fail again become new records with one more attempt.')
    .option('-c, --config <path...>', 'the pipeline config (its data_dir holds the dead letters)')
    .requiredOption('--from <store>', 'where the events come from (dlq)')
    .requiredOption('--to <component>', 'the transform or sink that receives them')
    .option('--filter <expr>', 'only records for which this expression is true, e.g. \'.component_id == "parse" and contains(.reason, "JSON")\'')
    .option('--component <id>', 'only records from this component')
    .option('--dry-run', 'list how many records would be replayed, and stop')
    .action(async (opts: ReplayOptions) => {
      if (opts.from !== 'dlq') fail(`unknown --from ${opts.from}`, 'the only store is `dlq`');
      const cfg = loadOrExit(configPaths(opts.config));
      const store = new DeadLetterStore(cfg.dataDir);
      const records = selectDeadLetters(store, opts);
      if (records.length === 0) { process.stdout.write(`no dead letters match in ${store.dir}\n`); return; }
      if (opts.dryRun) { process.stdout.write(`${records.length} dead letters would be replayed into ${opts.to}\n`); return; }
      const tty = process.stderr.isTTY;
      const started = Date.now();
      const result = await replay(cfg, records, opts.to, {
        log: createLogger({ level: process.env.SLUICE_LOG ?? 'warn' }),
        progress: (done, total) => {
          if (!tty) return;
          const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
          process.stderr.write(`\r  replaying ${done}/${total} (${Math.round((done / total) * 100)}%, ${rate} events/s)`);
        },
      }).catch((e: Error) => fail(e.message, 'name a transform or sink of this config with --to'));
      if (tty) process.stderr.write('\n');
      const out = process.stdout;
      out.write(`replayed ${result.replayed} events into ${opts.to}: ${color('32', `${result.delivered} delivered`, out)}, ${result.dropped} dropped on purpose, ${result.deadLettered ? color('31', `${result.deadLettered} failed again`, out) : '0 failed again'}\n`);
      out.write(`${result.removed} records left the dead-letter store${result.deadLettered ? '; the ones that failed again are new records (see `sluice dlq list`)' : ''}\n`);
      if (result.deadLettered) process.exitCode = 1;
    });
}
