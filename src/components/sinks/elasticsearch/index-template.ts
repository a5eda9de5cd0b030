/**
 * Index name templates: `logs-{{ .service }}-%Y.%m.%d`. Compiled once at build; per event,
 * rendering is string concatenation.
 *
 * - `%Y %m %d %H %M %S` are the event's time in UTC (its `timestamp_field` when that is an ISO
 *   8601 string or epoch milliseconds, else the current time); `%%` is a literal `%`.
 * - `{{ .field.path }}` is an event field. Elasticsearch and OpenSearch accept only lowercase
 *   index names without `\ / * ? " < > | , # :` or spaces, so values are lowercased and those
 *   characters become `_`; a missing field fails that event (it is not guessed into another
 *   index).
 * The literal parts are checked at build, so a template that can never give a valid name is a
 * config error rather than one refusal per event.
 */
import { ComponentConfigError } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { compileFieldPath, FieldPathError, keyString, type FieldPath } from '../../_shared/field-path.js';

type TimeCode = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S';
type Part = { k: 'lit'; s: string } | { k: 'time'; c: TimeCode } | { k: 'field'; path: FieldPath };

export type RenderedIndex = { ok: true; index: string } | { ok: false; reason: string };

const TIME_CODES = new Set(['Y', 'm', 'd', 'H', 'M', 'S']);
/** Characters Elasticsearch refuses in index names. */
const FORBIDDEN = /[\\/*?"<>|,#: A-Z\u0000-\u001f]/;
const FORBIDDEN_G = /[\\/*?"<>|,#:\s\u0000-\u001f]/g;
const MAX_NAME_BYTES = 255;

export class IndexTemplate {
  private readonly parts: Part[];
  private readonly fixed: string | null;
  private cacheSec = Number.NaN;
  private cache: Record<TimeCode, string> = { Y: '', m: '', d: '', H: '', M: '', S: '' };

  constructor(readonly source: string, private readonly timestamp: FieldPath) {
    this.parts = parse(source);
    for (const p of this.parts) {
      if (p.k !== 'lit') continue;
      const bad = FORBIDDEN.exec(p.s);
      if (bad) {
        throw new ComponentConfigError(`index ${JSON.stringify(source)} contains ${JSON.stringify(bad[0])}, which index names may not contain`, ['index'],
          'index names are lowercase and without \\ / * ? " < > | , # : or spaces');
      }
    }
    const first = this.parts[0];
    if (first?.k === 'lit' && /^[-_+]/.test(first.s)) throw new ComponentConfigError('an index name may not start with -, _ or +', ['index']);
    this.fixed = this.parts.length === 1 && first?.k === 'lit' ? first.s : this.parts.length === 0 ? '' : null;
    if (this.fixed !== null) {
      if (this.fixed === '' || this.fixed === '.' || this.fixed === '..') throw new ComponentConfigError(`invalid index name ${JSON.stringify(this.fixed)}`, ['index']);
      if (Buffer.byteLength(this.fixed) > MAX_NAME_BYTES) throw new ComponentConfigError(`index name longer than ${MAX_NAME_BYTES} bytes`, ['index']);
    }
  }

  render(e: Event, nowMs: number): RenderedIndex {
    if (this.fixed !== null) return { ok: true, index: this.fixed };
    let t: Record<TimeCode, string> | null = null;
    let out = '';
    for (const p of this.parts) {
      if (p.k === 'lit') out += p.s;
      else if (p.k === 'time') out += (t ??= this.timeOf(e, nowMs))[p.c];
      else {
        const v = p.path.get(e);
        if (v === undefined || v === null) return { ok: false, reason: `index template ${JSON.stringify(this.source)}: field .${p.path.text.replace(/^\./, '')} is missing` };
        out += keyString(v).toLowerCase().replace(FORBIDDEN_G, '_');
      }
    }
    if (out === '' || out === '.' || out === '..' || /^[-_+]/.test(out) || Buffer.byteLength(out) > MAX_NAME_BYTES) {
      return { ok: false, reason: `index template ${JSON.stringify(this.source)} gave an invalid index name ${JSON.stringify(out.slice(0, 300))}` };
    }
    return { ok: true, index: out };
  }

  private timeOf(e: Event, nowMs: number): Record<TimeCode, string> {
    let ms = nowMs;
    const v = this.timestamp.get(e);
    if (typeof v === 'number' && Number.isFinite(v)) ms = v;
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) { const x = Date.parse(v); if (!Number.isNaN(x)) ms = x; }
    else if (v instanceof Date && !Number.isNaN(v.getTime())) ms = v.getTime();
    const sec = Math.floor(ms / 1000);
    // Consecutive events nearly always share the second: format once per second, not per event.
    if (sec !== this.cacheSec) {
      const d = new Date(sec * 1000);
      if (Number.isNaN(d.getTime())) return ms === nowMs ? this.cache : this.timeOf({}, nowMs);
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
        throw new ComponentConfigError(`unsupported time code %${n ?? ''} in index`, ['index'], 'use %Y %m %d %H %M %S (UTC), or %% for a literal %');
      }
      flush();
      parts.push({ k: 'time', c: n as TimeCode });
      i++;
    } else if (c === '{' && src[i + 1] === '{') {
      const end = src.indexOf('}}', i + 2);
      if (end < 0) throw new ComponentConfigError('unclosed `{{` in index', ['index'], 'write fields as {{ .field.path }}');
      const inner = src.slice(i + 2, end).trim();
      let path: FieldPath;
      try { path = compileFieldPath(inner); } catch (e) {
        if (e instanceof FieldPathError) throw new ComponentConfigError(`invalid field ${JSON.stringify(inner)} in index: ${e.message}`, ['index'], 'write fields as {{ .field.path }}');
        throw e;
      }
      flush();
      parts.push({ k: 'field', path });
      i = end + 1;
    } else lit += c;
  }
  flush();
  return parts;
}
