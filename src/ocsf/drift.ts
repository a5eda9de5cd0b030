/**
 * Schema drift: source fields and event types a pack has never seen before. A field is new when
 * a path under `unmapped` (the source fields the mapping does not use, up to three levels deep)
 * first appears; an event type is new when a (class, activity, source event code) first appears.
 * Kept per pack, saved as JSON under the normalize component's data directory, read by
 * `sluice ocsf drift`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DriftEntry { pack: string; kind: 'field' | 'event_type'; name: string; first_seen: string; count: number }

const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 3;

export class DriftTracker {
  private readonly entries = new Map<string, DriftEntry>();
  /** New entries since the start, per pack and kind: `field.<pack>` / `event_type.<pack>`. */
  readonly newCounts = new Map<string, number>();
  private dirty = false;
  private lastSave = 0;

  constructor(private readonly file: string | null) {
    if (file === null) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { entries?: DriftEntry[] };
      for (const e of saved.entries ?? []) this.entries.set(key(e.pack, e.kind, e.name), e);
    } catch { /* first run, or an unreadable file: start empty */ }
  }

  /** Record one mapped event. Cheap when nothing is new: a few map lookups. */
  observe(pack: string, ev: Record<string, unknown>, now: number): void {
    const code = (ev.metadata as { event_code?: unknown } | undefined)?.event_code;
    this.see(pack, 'event_type', `${String(ev.class_uid)}:${String(ev.activity_id)}${code !== undefined ? `:${String(code)}` : ''}`, now);
    const u = ev.unmapped;
    if (u !== null && typeof u === 'object') this.walk(pack, u as Record<string, unknown>, '', 1, now);
  }

  private walk(pack: string, o: Record<string, unknown>, prefix: string, depth: number, now: number): void {
    for (const k of Object.keys(o)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const v = o[k];
      if (depth < MAX_DEPTH && v !== null && typeof v === 'object' && !Array.isArray(v)) this.walk(pack, v as Record<string, unknown>, path, depth + 1, now);
      else this.see(pack, 'field', path, now);
    }
  }

  private see(pack: string, kind: 'field' | 'event_type', name: string, now: number): void {
    const k = key(pack, kind, name);
    const e = this.entries.get(k);
    if (e) { e.count++; return; }
    if (this.entries.size >= MAX_ENTRIES) return;
    this.entries.set(k, { pack, kind, name, first_seen: new Date(now).toISOString(), count: 1 });
    const c = `${kind}.${pack}`;
    this.newCounts.set(c, (this.newCounts.get(c) ?? 0) + 1);
    this.dirty = true;
  }

  /** Save when something changed, at most every `everyMs` (0: now). Errors are the caller's to log. */
  save(now: number, everyMs = 10_000): void {
    if (!this.dirty || this.file === null || now - this.lastSave < everyMs) return;
    this.lastSave = now;
    this.dirty = false;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ entries: [...this.entries.values()] }) + '\n');
    renameSync(tmp, this.file);
  }

  list(): DriftEntry[] { return [...this.entries.values()]; }
}

const key = (pack: string, kind: string, name: string) => `${pack}\0${kind}\0${name}`;

/** Read a saved drift file (for the CLI). */
export function readDrift(file: string): DriftEntry[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { entries?: DriftEntry[] }).entries ?? [];
}
