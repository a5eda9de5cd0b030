/**
 * The process logger: readable lines on a terminal, one JSON object per line otherwise (for log
 * shippers). Debug lines are skipped unless SLUICE_LOG=debug, so disabled calls cost one compare.
 */
import type { Logger } from '../core/component.js';

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof levels;

export interface LogSink { write(line: string): void; isTTY?: boolean }

export function createLogger(opts: { level?: string; out?: LogSink; fields?: Record<string, unknown> } = {}): Logger & { child(fields: Record<string, unknown>): Logger } {
  const min = levels[(opts.level ?? process.env.SLUICE_LOG ?? 'info') as Level] ?? levels.info;
  const out = opts.out ?? process.stderr;
  const pretty = out.isTTY ?? false;
  const base = opts.fields ?? {};
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (levels[level] < min) return;
    const all = { ...base, ...fields };
    if (pretty) {
      const extra = Object.entries(all).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      const color = level === 'error' ? '\x1b[31m' : level === 'warn' ? '\x1b[33m' : level === 'debug' ? '\x1b[2m' : '\x1b[36m';
      out.write(`${new Date().toISOString().slice(11, 23)} ${color}${level.toUpperCase().padEnd(5)}\x1b[0m ${msg}${extra ? `  \x1b[2m${extra}\x1b[0m` : ''}\n`);
    } else {
      out.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }) + '\n');
    }
  };
  const logger = {
    debug: (m: string, f?: Record<string, unknown>) => emit('debug', m, f),
    info: (m: string, f?: Record<string, unknown>) => emit('info', m, f),
    warn: (m: string, f?: Record<string, unknown>) => emit('warn', m, f),
    error: (m: string, f?: Record<string, unknown>) => emit('error', m, f),
    child: (fields: Record<string, unknown>) => createLogger({ ...opts, fields: { ...base, ...fields } }),
  };
  return logger;
}
