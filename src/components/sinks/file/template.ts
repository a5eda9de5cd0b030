/**
 * Path templates: `./out/%Y-%m-%d/{{ .host }}.ndjson`. Compiled once at build into parts; per
 * event, rendering is string concatenation.
 *
 * - `%Y %m %d %H %M %S` are the event's time in UTC: its `timestamp_field` when that is an ISO
 *   8601 string or epoch milliseconds, else the current time. `%%` is a literal `%`.
 * - `{{ .field.path }}` is an event field. Values are sanitized so an event cannot choose where
 *   its file goes: `/`, `\` and control characters become `_`, a value of only dots (`.`, `..`)
 *   becomes underscores, an empty value becomes `_`, and values are cut to 128 characters. A
 *   missing field is an error for that event (it goes to the errors output).
 * Every rendered path is also checked to stay under `baseDir`, the directory of the template's
 * literal prefix, as a second line of defence.
 */
import { resolve, sep } from 'node:path';
import { ComponentConfigError } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { EventTime, parseTemplate, type TemplatePart, type TimeCode } from '../../_shared/time-template.js';

type Part = TemplatePart<{ name: string; get: (e: Event) => unknown }>;

export type Rendered = { ok: true; path: string } | { ok: false; reason: string };

const FIELD_RE = /^\.?([A-Za-z0-9_@$-]+(?:\.[A-Za-z0-9_@$-]+)*)$/;

/** A getter for a dotted path of own properties (`a.b.c`). */
export function fieldGetter(path: string): (e: Event) => unknown {
  const segs = path.split('.');
  if (segs.length === 1) {
    const k = segs[0]!;
    return (e) => (Object.hasOwn(e, k) ? e[k] : undefined);
  }
  return (e) => {
    let v: unknown = e;
    for (let i = 0; i < segs.length; i++) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, segs[i]!)) return undefined;
      v = (v as Record<string, unknown>)[segs[i]!];
    }
    return v;
  };
}

/** Make a field value safe as (part of) one path segment. */
export function sanitizeSegment(v: unknown): string {
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  s = s.replace(/[/\\\u0000-\u001f\u007f]/g, '_');
  if (s.length > 128) s = s.slice(0, 128);
  if (s === '' || /^\.+$/.test(s)) s = s.replace(/\./g, '_') || '_';
  return s;
}

export class PathTemplate {
  private readonly parts: Part[];
  readonly hasTime: boolean;
  /** Every rendered path must stay under this directory. */
  readonly baseDir: string;
  private readonly time: EventTime;

  constructor(readonly source: string, private readonly configDir: string, timestampField: string) {
    this.parts = parseTemplate(source, 'path', (inner) => {
      const m = FIELD_RE.exec(inner);
      return m ? { name: m[1]!, get: fieldGetter(m[1]!) } : 'use letters, digits, _ @ $ - and dots, as {{ .field.path }}';
    });
    this.hasTime = this.parts.some((p) => p.k === 'time');
    if (!FIELD_RE.test(timestampField)) throw new ComponentConfigError(`invalid field name ${JSON.stringify(timestampField)}`, ['timestamp_field']);
    this.time = new EventTime(fieldGetter(timestampField.replace(/^\./, '')));
    let prefix = '';
    for (const p of this.parts) { if (p.k !== 'lit') break; prefix += p.s; }
    const dynamic = this.parts.some((p) => p.k !== 'lit');
    if (!dynamic && (prefix.endsWith('/') || prefix === '')) throw new ComponentConfigError('`path` names a directory, not a file', ['path']);
    this.baseDir = resolve(configDir, prefix.slice(0, prefix.lastIndexOf('/') + 1) || '.');
  }

  /** True when the path has no time code and no field: every event goes to the same file. */
  get isStatic(): boolean { return this.parts.every((p) => p.k === 'lit'); }

  /** Render the path for an event (not yet resolved against the config directory). */
  render(e: Event, nowMs: number): Rendered {
    const parts = this.parts;
    if (parts.length === 1 && parts[0]!.k === 'lit') return { ok: true, path: parts[0]!.s };
    let t: Record<TimeCode, string> | null = null;
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.k === 'lit') out += p.s;
      else if (p.k === 'time') out += (t ??= this.time.of(e, nowMs))[p.c];
      else {
        const v = p.field.get(e);
        if (v === undefined || v === null) return { ok: false, reason: `path template field .${p.field.name} is missing` };
        out += sanitizeSegment(v);
      }
    }
    return { ok: true, path: out };
  }

  /** Absolute path for a rendered one, or null when it would leave baseDir. */
  resolve(rendered: string): string | null {
    const abs = resolve(this.configDir, rendered);
    const base = this.baseDir.endsWith(sep) ? this.baseDir : this.baseDir + sep;
    return abs.startsWith(base) ? abs : null;
  }
}

