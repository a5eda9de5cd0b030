/** `sluice tap <component>[.output]`: print a live sample of events flowing out of a component. */
import type { Command } from 'commander';
import { apiGet, apiTarget, fail } from '../shared.js';

export function register(program: Command): void {
  program.command('tap <output>')
    .description('Print a live sample of events on an output (`id`, `id.errors`, `route.high`), as NDJSON.')
    .option('--api <address>', 'API address (default 127.0.0.1:8686, or the one in -c)')
    .option('-c, --config <path...>', 'take the API address and token from this config')
    .option('--token <token>', 'API bearer token (or SLUICE_API_TOKEN)')
    .option('-n, --limit <n>', 'stop after this many events', '100')
    .option('--pretty', 'indent each event')
    .action(async (output: string, opts: { api?: string; config?: string[]; token?: string; limit: string; pretty?: boolean }) => {
      const target = apiTarget(opts);
      const res = await apiGet(target, `/api/tap?output=${encodeURIComponent(output)}&limit=${Number(opts.limit) || 100}`);
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        fail(body.error ?? `the API answered ${res.status}`, 'list components with `sluice top --once`');
      }
      const decoder = new TextDecoder();
      let rest = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          process.stdout.write((opts.pretty ? JSON.stringify(JSON.parse(line), null, 2) : line) + '\n');
        }
      }
    });
}
