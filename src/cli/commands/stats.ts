/** `sluice stats`: per-source books from the running pipeline, proving every event is accounted for. */
import type { Command } from 'commander';
import { apiGet, apiTarget, color } from '../shared.js';
import { table } from './dlq.js';

interface Books { source: string; received: number; created: number; delivered: number; dropped: number; unreported: number; dead_lettered: number; in_flight: number; balanced: boolean }

export function register(program: Command): void {
  program.command('stats')
    .description('Per source: received (+ copies created) = delivered + dropped + dead-lettered + in flight, from the running pipeline\'s API.')
    .option('--api <address>', 'API address (default 127.0.0.1:8686, or the one in -c)')
    .option('-c, --config <path...>', 'take the API address and token from this config')
    .option('--token <token>', 'API bearer token (or SLUICE_API_TOKEN)')
    .option('--json', 'print the books as JSON')
    .action(async (opts: { api?: string; config?: string[]; token?: string; json?: boolean }) => {
      const target = apiTarget(opts);
      const body = (await (await apiGet(target, '/api/stats')).json()) as { sources: Books[]; dead_letters_written: number };
      if (opts.json) { process.stdout.write(JSON.stringify(body, null, 2) + '\n'); return; }
      const out = process.stdout;
      const rows = body.sources.map((b) => [
        b.source, String(b.received), String(b.created), String(b.delivered), String(b.dropped), String(b.dead_lettered), String(b.in_flight),
        b.unreported ? color('31', String(b.unreported), out) : '0',
        b.balanced ? color('32', '✓', out) : color('31', '✗', out),
      ]);
      out.write(table([['SOURCE', 'RECEIVED', '+COPIES', 'DELIVERED', 'DROPPED', 'DEAD-LETTERED', 'IN FLIGHT', 'UNREPORTED', 'BALANCED'], ...rows]));
      out.write(`\nreceived + copies = delivered + dropped + dead-lettered + in flight (+ unreported: events a component lost without saying; should be 0)\n`);
      if (body.sources.some((b) => !b.balanced || b.unreported)) process.exitCode = 1;
    });
}
