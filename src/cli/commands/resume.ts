/** `sluice resume <id>`: release a component stopped by `on_error: stall`. */
import type { Command } from 'commander';
import { apiGet, apiTarget, fail } from '../shared.js';

export function register(program: Command): void {
  program.command('resume <component>')
    .description('Resume a component stalled by `on_error: stall`: retry the held events (after a fix), send them to the dead-letter store, or drop them.')
    .option('--action <action>', 'retry | dlq | drop', 'retry')
    .option('--api <address>', 'API address (default 127.0.0.1:8686, or the one in -c)')
    .option('-c, --config <path...>', 'take the API address and token from this config')
    .option('--token <token>', 'API bearer token (or SLUICE_API_TOKEN)')
    .action(async (id: string, opts: { action: string; api?: string; config?: string[]; token?: string }) => {
      if (!['retry', 'dlq', 'drop'].includes(opts.action)) fail(`unknown action ${opts.action}`, 'use --action retry, dlq or drop');
      const res = await apiGet(apiTarget(opts), `/api/components/${encodeURIComponent(id)}/resume`, { method: 'POST', body: { action: opts.action } });
      const body = (await res.json()) as { error?: string; stalled?: string[] };
      if (!res.ok) fail(body.error ?? `the API answered ${res.status}`, body.stalled?.length ? `stalled now: ${body.stalled.join(', ')}` : 'nothing is stalled');
      process.stdout.write(`resumed ${id} (${opts.action})\n`);
    });
}
