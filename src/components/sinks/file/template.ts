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

type TimeCode = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S';
type Part = { k: 'lit'; s: string } | { k: 'time'; c: TimeCode } | { k: 'field'; name: string; get: (e: Event) => unknown };

export type Rendered = { ok: true; path: string } | { ok: false; reason: string };

const TIME_CODES = new Set(['Y', 'm', 'd', 'H', 'M', 'S']);
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
  private readonly getTs: (e: Event) => unknown;
  private cacheSec = Number.NaN;
  private cache: Record<TimeCode, string> = { Y: '', m: '', d: '', H: '', M: '', S: '' };

  constructor(readonly source: string, private readonly configDir: string, timestampField: string) {
    this.parts = parse(source);
    this.hasTime = this.parts.some((p) => p.k === 'time');
    if (!FIELD_RE.test(timestampField)) throw new ComponentConfigError(`invalid field name ${JSON.stringify(timestampField)}`, ['timestamp_field']);
    this.getTs = fieldGetter(timestampField.replace(/^\./, ''));
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
      else if (p.k === 'time') out += (t ??= this.timeOf(e, nowMs))[p.c];
      else {
        const v = p.get(e);
        if (v === undefined || v === null) return { ok: false, reason: `path template field .${p.name} is missing` };
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

  private timeOf(e: Event, nowMs: number): Record<TimeCode, string> {
    let ms = nowMs;
    const v = this.getTs(e);
    if (typeof v === 'number' && Number.isFinite(v)) ms = v;
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) { const x = Date.parse(v); if (!Number.isNaN(x)) ms = x; }
    else if (v instanceof Date && !Number.isNaN(v.getTime())) ms = v.getTime();
    const sec = Math.floor(ms / 1000);
    // Consecutive events nearly always share the second: format once per second, not per event.
    if (sec !== this.cacheSec) {
      const d = new Date(sec * 1000);
      if (Number.isNaN(d.getTime())) return this.timeOf({}, nowMs);
      this.cacheSec = sec;
      this.cache = {
        Y: String(d.getUTCFullYear()).padStart(4, '0'), m: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()),
        H: pad(d.getUTCHours()), M: pad(d.getUTCMinutes()), S: pad(d.getUTCSeconds()),
      };
    }
    return this.cache;
  }
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

function parse(src: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  const flush = () => { if (lit) { parts.push({ k: 'lit', s: lit }); lit = ''; } };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '%') {
      const n = src[i + 1];
      if (n === '%') { lit += '%'; i++; continue; }
      if (n === undefined || !TIME_CODES.has(n)) {
        throw new ComponentConfigError(`unsupported time code %${n ?? ''} in path`, ['path'], 'use %Y %m %d %H %M %S (UTC), or %% for a literal %');
      }
      flush();
      parts.push({ k: 'time', c: n as TimeCode });
      i++;
    } else if (c === '{' && src[i + 1] === '{') {
      const end = src.indexOf('}}', i + 2);
      if (end < 0) throw new ComponentConfigError('unclosed `{{` in path', ['path'], 'write fields as {{ .field.path }}');
      const inner = src.slice(i + 2, end).trim();
      const m = FIELD_RE.exec(inner);
      if (!m) throw new ComponentConfigError(`invalid field ${JSON.stringify(inner)} in path`, ['path'], 'write fields as {{ .field.path }}');
      flush();
      parts.push({ k: 'field', name: m[1]!, get: fieldGetter(m[1]!) });
      i = end + 1;
    } else lit += c;
  }
  flush();
  return parts;
}
