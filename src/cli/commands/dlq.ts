/** `sluice dlq list|show|purge`: read and prune the built-in dead-letter store. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DeadLetterStore, removeDeadLetters } from '../../engine/dlq.js';
import { selectDeadLetters } from './replay.js';
import { color, fail, loadOrExit } from '../shared.js';

interface DlqOptions { config?: string[]; dataDir?: string; limit: string; json?: boolean; component?: string; filter?: string; all?: boolean }

function store(opts: DlqOptions): DeadLetterStore {
  if (opts.dataDir) return new DeadLetterStore(resolve(opts.dataDir));
  if (opts.config?.length) return new DeadLetterStore(loadOrExit(opts.config).dataDir);
  return new DeadLetterStore(resolve('data'));
}

export function register(program: Command): void {
  const dlq = program.command('dlq').description('Inspect dead letters: events that failed, with the reason and the original payload.');
  const common = (c: Command) => c
    .option('-c, --config <path...>', 'read data_dir from this config')
    .option('--data-dir <dir>', 'the data directory (default ./data)');

  common(dlq.command('list'))
    .description('Summary by component and reason, then the newest records.')
    .option('-n, --limit <n>', 'how many records to list', '20')
    .option('--component <id>', 'only this component')
    .option('--json', 'print records as NDJSON')
    .action((opts: DlqOptions) => {
      const st = store(opts);
      const all = [...st.read()].filter((r) => !opts.component || r.component_id === opts.component);
      if (opts.json) { for (const r of all.slice(-Number(opts.limit))) process.stdout.write(JSON.stringify(r) + '\n'); return; }
      const out = process.stdout;
      if (all.length === 0) { out.write(`no dead letters in ${st.dir}\n`); return; }
      const groups = new Map<string, number>();
      for (const r of all) { const k = `${r.component_id}\t${r.error_code}`; groups.set(k, (groups.get(k) ?? 0) + 1); }
      out.write(`${all.length} dead letters in ${st.dir}\n\n`);
      out.write(table([['COMPONENT', 'ERROR', 'COUNT'], ...[...groups].sort((a, b) => b[1] - a[1]).map(([k, n]) => [...k.split('\t'), String(n)])]));
      out.write(`\nnewest ${Math.min(Number(opts.limit), all.length)}:\n`);
      const rows = all.slice(-Number(opts.limit)).reverse().map((r) => [r.id, r.timestamp.slice(0, 19).replace('T', ' '), r.component_id, r.error_code, truncate(r.reason, 70)]);
      out.write(table([['ID', 'TIME', 'COMPONENT', 'ERROR', 'REASON'], ...rows]));
      out.write(`\n${color('2', 'show one with: sluice dlq show <ID>', out)}\n`);
    });

  common(dlq.command('show <id>'))
    .description('One dead letter in full: reason, component, time and the original event.')
    .action((id: string, opts: DlqOptions) => {
      for (const r of store(opts).read()) {
        if (r.id === id) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      }
      fail(`no dead letter with id ${id}`, 'list them with `sluice dlq list`');
    });

  registerPurge(dlq, common);
}

export function registerPurge(dlq: Command, common: (c: Command) => Command): void {
  common(dlq.command('purge'))
    .description('Delete dead letters: those matching --filter / --component, or every one with --all.')
    .option('--component <id>', 'only records from this component')
    .option('--filter <expr>', 'only records for which this expression is true (sees .component_id, .error_code, .reason, .attempts, .event)')
    .option('--all', 'delete every dead letter')
    .action((opts: DlqOptions) => {
      if (!opts.all && !opts.filter && !opts.component) fail('say which dead letters to delete', 'use --component <id>, --filter <expr>, or --all');
      const st = store(opts);
      const ids = new Set(selectDeadLetters(st, opts).map((r) => r.id));
      const n = removeDeadLetters(st, ids);
      process.stdout.write(`deleted ${n} dead letter${n === 1 ? '' : 's'} from ${st.dir}\n`);
    });
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function truncate(s: string, n: number): string { return s.length > n ? s.slice(0, n - 1) + '…' : s; }
