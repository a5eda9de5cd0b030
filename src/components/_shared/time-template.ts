/**
 * Templates of an event's time and fields, shared by the `file` sink's paths and the
 * `elasticsearch` sink's index names: `%Y %m %d %H %M %S` are the event time in UTC, `%%` is a
 * literal `%`, and `{{ .field.path }}` is an event field (each user compiles and renders fields its
 * own way: a path sanitizes them, an index name lowercases them).
 */
import { ComponentConfigError } from '../../core/component.js';
import type { Event } from '../../core/event.js';

export type TimeCode = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S';
export type TemplatePart<F> = { k: 'lit'; s: string } | { k: 'time'; c: TimeCode } | { k: 'field'; field: F };

const TIME_CODES = new Set(['Y', 'm', 'd', 'H', 'M', 'S']);

/**
 * Split a template into literal, time and field parts. `field` compiles the text inside `{{ }}`,
 * returning a string (the reason) when it is not a valid field. Errors name `option`.
 */
export function parseTemplate<F>(src: string, option: string, field: (inner: string) => F | string): TemplatePart<F>[] {
  const parts: TemplatePart<F>[] = [];
  let lit = '';
  const flush = () => { if (lit) { parts.push({ k: 'lit', s: lit }); lit = ''; } };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '%') {
      const n = src[i + 1];
      if (n === '%') { lit += '%'; i++; continue; }
      if (n === undefined || !TIME_CODES.has(n)) {
        throw new ComponentConfigError(`unsupported time code %${n ?? ''} in ${option}`, [option], 'use %Y %m %d %H %M %S (UTC), or %% for a literal %');
      }
      flush();
      parts.push({ k: 'time', c: n as TimeCode });
      i++;
    } else if (c === '{' && src[i + 1] === '{') {
      const end = src.indexOf('}}', i + 2);
      if (end < 0) throw new ComponentConfigError(`unclosed \`{{\` in ${option}`, [option], 'write fields as {{ .field.path }}');
      const inner = src.slice(i + 2, end).trim();
      const f = field(inner);
      if (typeof f === 'string') throw new ComponentConfigError(`invalid field ${JSON.stringify(inner)} in ${option}: ${f}`, [option], 'write fields as {{ .field.path }}');
      flush();
      parts.push({ k: 'field', field: f });
      i = end + 1;
    } else lit += c;
  }
  flush();
  return parts;
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** An event's time as template codes: its timestamp field when valid, else the current time. */
export class EventTime {
  private cacheSec = Number.NaN;
  private cache: Record<TimeCode, string> = { Y: '', m: '', d: '', H: '', M: '', S: '' };

  /** `timestamp` reads the field: an ISO 8601 string, epoch milliseconds or a Date. */
  constructor(private readonly timestamp: (e: Event) => unknown) {}

  of(e: Event, nowMs: number): Record<TimeCode, string> {
    let ms = nowMs;
    const v = this.timestamp(e);
    if (typeof v === 'number' && Number.isFinite(v)) ms = v;
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) { const x = Date.parse(v); if (!Number.isNaN(x)) ms = x; }
    else if (v instanceof Date && !Number.isNaN(v.getTime())) ms = v.getTime();
    const sec = Math.floor(ms / 1000);
    // Consecutive events nearly always share the second: format once per second, not per event.
    if (sec !== this.cacheSec) {
      const d = new Date(sec * 1000);
      // An epoch number out of Date's range: fall back to now (once; `now` itself is valid).
      if (Number.isNaN(d.getTime())) return ms === nowMs ? this.cache : this.of({}, nowMs);
      this.cacheSec = sec;
      this.cache = {
        Y: String(d.getUTCFullYear()).padStart(4, '0'), m: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()),
        H: pad(d.getUTCHours()), M: pad(d.getUTCMinutes()), S: pad(d.getUTCSeconds()),
      };
    }
    return this.cache;
  }
}
