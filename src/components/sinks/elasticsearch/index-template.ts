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
import { EventTime, parseTemplate, type TemplatePart, type TimeCode } from '../../_shared/time-template.js';

type Part = TemplatePart<FieldPath>;

export type RenderedIndex = { ok: true; index: string } | { ok: false; reason: string };

/** Characters Elasticsearch refuses in index names. */
const FORBIDDEN = /[\\/*?"<>|,#: A-Z\u0000-\u001f]/;
const FORBIDDEN_G = /[\\/*?"<>|,#:\s\u0000-\u001f]/g;
const MAX_NAME_BYTES = 255;

export class IndexTemplate {
  private readonly parts: Part[];
  private readonly fixed: string | null;
  private readonly time: EventTime;

  constructor(readonly source: string, timestamp: FieldPath) {
    this.time = new EventTime((e) => timestamp.get(e));
    this.parts = parseTemplate(source, 'index', (inner) => {
      try { return compileFieldPath(inner); } catch (e) {
        if (e instanceof FieldPathError) return e.message;
        throw e;
      }
    });
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
      else if (p.k === 'time') out += (t ??= this.time.of(e, nowMs))[p.c];
      else {
        const v = p.field.get(e);
        if (v === undefined || v === null) return { ok: false, reason: `index template ${JSON.stringify(this.source)}: field .${p.field.text.replace(/^\./, '')} is missing` };
        out += keyString(v).toLowerCase().replace(FORBIDDEN_G, '_');
      }
    }
    if (out === '' || out === '.' || out === '..' || /^[-_+]/.test(out) || Buffer.byteLength(out) > MAX_NAME_BYTES) {
      return { ok: false, reason: `index template ${JSON.stringify(this.source)} gave an invalid index name ${JSON.stringify(out.slice(0, 300))}` };
    }
    return { ok: true, index: out };
  }
}
