/**
 * Checkpoint storage for one component: a JSON file written atomically (temp file, fsync,
 * rename), so a crash leaves either the old or the new checkpoint, never a torn one.
 */
import { mkdirSync, readFileSync, existsSync, openSync, writeSync, fsyncSync, closeSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '../core/component.js';

export class FileStateStore implements StateStore {
  private data: Record<string, unknown> = {};
  private dirty = false;
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'state.json');
    if (existsSync(this.file)) {
      try { this.data = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, unknown>; } catch { this.data = {}; }
    }
  }

  get<T>(key: string): T | undefined { return this.data[key] as T | undefined; }
  set(key: string, value: unknown): void { this.data[key] = value; this.dirty = true; }
  delete(key: string): void { if (key in this.data) { delete this.data[key]; this.dirty = true; } }
  keys(): string[] { return Object.keys(this.data); }

  async flush(): Promise<void> { this.flushSync(); }

  flushSync(): void {
    if (!this.dirty) return;
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try { writeSync(fd, JSON.stringify(this.data)); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}

/** In-memory store for `sluice test` and unit tests. */
export class MemoryStateStore implements StateStore {
  private data = new Map<string, unknown>();
  get<T>(key: string): T | undefined { return this.data.get(key) as T | undefined; }
  set(key: string, value: unknown): void { this.data.set(key, value); }
  delete(key: string): void { this.data.delete(key); }
  keys(): string[] { return [...this.data.keys()]; }
  async flush(): Promise<void> {}
}
