/** `sluice top`: live per-component rates in the terminal, from the API. */
import type { Command } from 'commander';
import { formatBytes } from '../../core/units.js';
import { apiGet, apiTarget } from '../shared.js';
import { table } from './dlq.js';

interface Snapshot { time: number; components: ComponentRow[] }
interface ComponentRow {
  id: string; kind: string; type: string; inputs: string[];
  received_events: number; received_bytes: number; sent_events: number; sent_bytes: number;
  discarded_events: number; errors: number; queue_events: number; queue_bytes: number;
}

export function register(program: Command): void {
  program.command('top')
    .description('Live events/s, bytes/s, queue depth, errors and drops per component (needs `api:` in the running config).')
    .option('--api <address>', 'API address (default 127.0.0.1:8686, or the one in -c)')
    .option('-c, --config <path...>', 'take the API address and token from this config')
    .option('--token <token>', 'API bearer token (or SLUICE_API_TOKEN)')
    .option('-i, --interval <secs>', 'refresh interval', '1')
    .option('--once', 'print one sample (two reads, one interval apart) and exit')
    .action(async (opts: { api?: string; config?: string[]; token?: string; interval: string; once?: boolean }) => {
      const target = apiTarget(opts);
      const interval = Math.max(0.2, Number(opts.interval)) * 1000;
      const read = async (): Promise<Snapshot> => (await (await apiGet(target, '/api/components')).json()) as Snapshot;
      let prev = await read();
      const out = process.stdout;
      const live = out.isTTY && !opts.once;
      if (live) {
        out.write('\x1b[?1049h\x1b[?25l'); // alternate screen, hide cursor
        const restore = () => { out.write('\x1b[?25h\x1b[?1049l'); process.exit(0); };
        process.on('SIGINT', restore);
        if (process.stdin.isTTY) {
          process.stdin.setRawMode(true);
          process.stdin.on('data', (b) => { if (b[0] === 0x71 || b[0] === 0x03) restore(); });
        }
      }
      for (;;) {
        await new Promise((r) => setTimeout(r, interval));
        const cur = await read();
        const text = render(prev, cur, target.base);
        if (live) out.write('\x1b[H\x1b[2J' + text + '\n  q to quit\n');
        else { out.write(text); return; }
        prev = cur;
      }
    });
}

export function render(prev: Snapshot, cur: Snapshot, base: string): string {
  const dt = Math.max(0.001, (cur.time - prev.time) / 1000);
  const before = new Map(prev.components.map((c) => [c.id, c]));
  const rate = (a: number, b: number | undefined) => Math.max(0, (a - (b ?? 0)) / dt);
  const num = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(n < 10 && n % 1 ? 1 : 0));
  const order = { source: 0, transform: 1, sink: 2 } as Record<string, number>;
  const rows = [...cur.components].sort((a, b) => order[a.kind]! - order[b.kind]! || a.id.localeCompare(b.id)).map((c) => {
    const p = before.get(c.id);
    return [
      c.id, c.kind, c.type,
      num(rate(c.received_events, p?.received_events)) + '/s',
      num(rate(c.sent_events, p?.sent_events)) + '/s',
      formatBytes(Math.round(rate(c.received_bytes, p?.received_bytes))) + '/s',
      c.kind === 'source' ? '-' : `${c.queue_events}`,
      num(c.received_events), num(c.sent_events), num(c.discarded_events), num(c.errors),
    ];
  });
  return `sluice top — ${base} — ${new Date(cur.time).toISOString().slice(11, 19)}\n\n` +
    table([['ID', 'KIND', 'TYPE', 'IN', 'OUT', 'BYTES IN', 'QUEUED', 'TOTAL IN', 'TOTAL OUT', 'DROPPED', 'ERRORS'], ...rows]);
}
