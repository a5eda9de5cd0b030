/**
 * The built-in dead-letter store: error events nobody consumes land here, one NDJSON file per day
 * under `data_dir/dlq/`. Each record keeps the original event, the reason, the component and the
 * time, so `sluice dlq` can show it and `sluice replay` can send it back after a fix.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, readdirSync, readFileSync, existsSync } from 'node:fs';
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

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dlq');
  }

  /** Append records durably (fsync), so an acknowledged dead letter survives a crash. */
  write(events: Event[], fallback: { componentId: string; componentType: string }): void {
    if (events.length === 0) return;
    const day = new Date().toISOString().slice(0, 10);
    if (day !== this.day || this.fd === null) {
      if (this.fd !== null) closeSync(this.fd);
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(join(this.dir, `${day}.ndjson`), 'a');
      this.day = day;
    }
    let text = '';
    for (const e of events) {
      const rec: DeadLetter = isErrorEvent(e)
        ? { id: newId(), attempts: 1, ...e }
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

function newId(): string {
  seq = (seq + 1) % 1_000_000;
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${seq.toString(36)}`;
}
