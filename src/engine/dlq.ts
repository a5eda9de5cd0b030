/**
 * The built-in dead-letter store: error events nobody consumes land here, one NDJSON file per day
 * under `data_dir/dlq/`. Each record keeps the original event, the reason, the component and the
 * time, so `sluice dlq` can show it and `sluice replay` can send it back after a fix.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, readdirSync, readFileSync, existsSync, renameSync, unlinkSync, fstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../core/event.js';

export interface ErrorEvent extends Event {
  timestamp: string;
  component_id: string;
  component_type: string;
  error_code: string;
  reason: string;
  event: unknown;
}

export interface DeadLetter extends ErrorEvent { id: string; attempts: number }

export function makeErrorEvent(event: unknown, componentId: string, componentType: string, reason: string, code: string): ErrorEvent {
  return { timestamp: new Date().toISOString(), component_id: componentId, component_type: componentType, error_code: code, reason, event };
}

export function isErrorEvent(e: Event): e is ErrorEvent {
  return typeof e.error_code === 'string' && typeof e.component_id === 'string' && 'event' in e;
}

let seq = 0;

export class DeadLetterStore {
  readonly dir: string;
  private fd: number | null = null;
  private day = '';
  count = 0;
  /** Attempts of events being replayed, so a record that fails again counts its attempts. */
  readonly priorAttempts = new WeakMap<object, number>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dlq');
  }

  /** Append records durably (fsync), so an acknowledged dead letter survives a crash. */
  write(events: Event[], fallback: { componentId: string; componentType: string }): void {
    if (events.length === 0) return;
    const day = new Date().toISOString().slice(0, 10);
    // `sluice dlq purge` or `sluice replay` may have rewritten (renamed over) the file this
    // process holds open; writing to the old inode would lose the records. Dead letters are rare,
    // so one stat per write is cheap insurance.
    if (this.fd !== null && day === this.day && !sameFile(this.fd, join(this.dir, `${day}.ndjson`))) { closeSync(this.fd); this.fd = null; }
    if (day !== this.day || this.fd === null) {
      if (this.fd !== null) closeSync(this.fd);
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(join(this.dir, `${day}.ndjson`), 'a');
      this.day = day;
    }
    let text = '';
    for (const e of events) {
      const prior = isErrorEvent(e) && e.event !== null && typeof e.event === 'object' ? this.priorAttempts.get(e.event) ?? 0 : 0;
      const rec: DeadLetter = isErrorEvent(e)
        ? { id: newId(), attempts: prior + 1, ...e }
        : { id: newId(), attempts: 1, ...makeErrorEvent(e, fallback.componentId, fallback.componentType, 'unconsumed output', 'unrouted') };
      text += JSON.stringify(rec) + '\n';
    }
    writeSync(this.fd, text);
    fsyncSync(this.fd);
    this.count += events.length;
  }

  close(): void {
    if (this.fd !== null) { closeSync(this.fd); this.fd = null; }
  }

  /** Every record, oldest first. */
  *read(): Generator<DeadLetter & { file: string; line: number }> {
    if (!existsSync(this.dir)) return;
    for (const f of readdirSync(this.dir).filter((x) => x.endsWith('.ndjson')).sort()) {
      const lines = readFileSync(join(this.dir, f), 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]) continue;
        try { yield { ...(JSON.parse(lines[i]!) as DeadLetter), file: f, line: i + 1 }; } catch { /* a torn last line after a crash */ }
      }
    }
  }
}

/**
 * Remove records by id, rewriting each affected day file atomically (temp file, fsync, rename).
 * Returns how many were removed. Lines that do not parse are kept as they are.
 */
export function removeDeadLetters(store: DeadLetterStore, ids: Set<string>): number {
  if (!existsSync(store.dir) || ids.size === 0) return 0;
  let removed = 0;
  for (const f of readdirSync(store.dir).filter((x) => x.endsWith('.ndjson')).sort()) {
    const path = join(store.dir, f);
    const lines = readFileSync(path, 'utf8').split('\n');
    const kept: string[] = [];
    let here = 0;
    for (const line of lines) {
      if (!line) continue;
      let id: string | undefined;
      try { id = (JSON.parse(line) as { id?: string }).id; } catch { /* keep torn lines for inspection */ }
      if (id !== undefined && ids.has(id)) { here++; continue; }
      kept.push(line);
    }
    if (here === 0) continue;
    removed += here;
    if (kept.length === 0) { unlinkSync(path); continue; }
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try { writeSync(fd, kept.join('\n') + '\n'); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, path);
  }
  return removed;
}

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch { return false; }
}

function newId(): string {
  seq = (seq + 1) % 1_000_000;
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${seq.toString(36)}`;
}
