/**
 * Message templates for the alert sinks (`slack`, `pagerduty`, `email`, ...): the text a person
 * reads, made from an event's fields. Built on the same `{{ .field.path }}` and `%Y %m %d %H %M %S`
 * syntax as file paths and index names (time-template.ts), with what message text needs on top:
 *
 * - `{{ .a.b ?? .c ?? "text" }}`: the first alternative that is present and not an empty string.
 *   Alerts come from many shapes (OCSF findings, raw logs), so one template can name several places.
 * - `{{ . }}` is the whole event; `[*]` maps over a list: `{{ .attacks[*].technique.uid }}` gives
 *   `T1110, T1078`.
 * - Filters: `| json` (compact JSON), `| pretty` (indented JSON), `| upper`, `| lower`, and
 *   `| severity` (an OCSF severity id or a Sigma level as its OCSF caption: `4` -> `High`).
 * - Values render as text: strings as they are, numbers and booleans as written, lists of plain
 *   values joined by `, `, objects as JSON. A missing value renders as nothing.
 * - A line whose fields are all missing is left out, so `Host: {{ .device.hostname }}` disappears
 *   for an event without a host instead of printing an empty label.
 * - A `%` that is not a time code (`%Y`...) or `%%` is a literal `%`: alert text says "90%" often,
 *   and an error for it would only get in the way.
 *
 * Templates compile once, at build; rendering is string concatenation over precompiled accessors.
 * Sinks escape values for their medium (Slack mrkdwn) through `render(e, escape)`, never the
 * literal text the user wrote.
 *
 * The second half of the module names where the alert sinks find the facts of an alert (title,
 * severity, rule, host, user, address, ATT&CK techniques), so all of them describe an alert the
 * same way and their defaults are ordinary templates a user can copy and change.
 */
import { ComponentConfigError } from '../../core/component.js';
import type { Event } from '../../core/event.js';
import type { Path } from '../../core/schema.js';
import { compileFieldPath, FieldPathError, type FieldPath } from './field-path.js';
import { EventTime, parseTemplate, type TemplatePart, type TimeCode } from './time-template.js';

type Filter = 'json' | 'pretty' | 'upper' | 'lower' | 'severity';
const FILTERS = new Set<string>(['json', 'pretty', 'upper', 'lower', 'severity']);

/** One alternative of a `{{ }}`: a field (possibly mapped over lists), the whole event, or text. */
type Alt = { k: 'get'; get: (e: Event) => unknown } | { k: 'lit'; s: string };
interface FieldRef { alts: Alt[]; filter: Filter | null }
type Part = TemplatePart<FieldRef>;
interface Line { parts: Part[]; fields: number }

export interface TextTemplate {
  readonly source: string;
  /** True when the template has no field and no time code: every event renders the same text. */
  readonly constant: boolean;
  /**
   * The text for one event. `escape` is applied to field values only (not to the template's own
   * text). Lines whose fields are all missing are left out.
   */
  render(e: Event, escape?: (s: string) => string): string;
}

/** The event time for time codes: OCSF `time` (epoch ms), else `timestamp` or `@timestamp`. */
const eventTime = (e: Event): unknown => e.time ?? e.timestamp ?? e['@timestamp'];

/**
 * Compile a template. `path` is the option's place in the config (`['links', 0, 'href']`), so a
 * mistake is reported at its file:line:col.
 */
export function compileTextTemplate(source: string, path: Path): TextTemplate {
  const option = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
  const lines: Line[] = [];
  try {
    for (const text of source.split('\n')) {
      const parts = parseTemplate(escapePercents(text), option, (inner) => compileRef(inner));
      lines.push({ parts, fields: parts.filter((p) => p.k === 'field').length });
    }
  } catch (e) {
    if (e instanceof ComponentConfigError) throw new ComponentConfigError(e.message, path, e.hint);
    throw e;
  }
  const constant = lines.every((l) => l.parts.every((p) => p.k === 'lit'));
  const time = new EventTime(eventTime);
  const fixed = constant ? lines.map((l) => l.parts.map((p) => (p.k === 'lit' ? p.s : '')).join('')).join('\n') : '';

  return {
    source,
    constant,
    render(e, escape) {
      if (constant) return fixed;
      let out = '';
      let first = true;
      let t: Record<TimeCode, string> | null = null;
      for (const line of lines) {
        let text = '';
        let present = 0;
        for (const p of line.parts) {
          if (p.k === 'lit') text += p.s;
          else if (p.k === 'time') text += (t ??= time.of(e, Date.now()))[p.c];
          else {
            const v = renderRef(p.field, e);
            if (v === '') continue;
            present++;
            text += escape ? escape(v) : v;
          }
        }
        if (line.fields > 0 && present === 0) continue;
        out += first ? text : `\n${text}`;
        first = false;
      }
      return out;
    },
  };
}

/** `%` that is not a time code or `%%` becomes `%%` (a literal), outside `{{ }}` only. */
function escapePercents(src: string): string {
  if (!src.includes('%')) return src;
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '{' && src[i + 1] === '{') {
      const end = src.indexOf('}}', i + 2);
      if (end < 0) return out + src.slice(i); // parseTemplate reports the unclosed `{{`
      out += src.slice(i, end + 2);
      i = end + 1;
    } else if (c === '%') {
      const n = src[i + 1];
      if (n === '%' || (n !== undefined && 'YmdHMS'.includes(n))) { out += c + n; i++; } else out += '%%';
    } else out += c;
  }
  return out;
}

/** Split `s` at `sep` where it is outside double quotes (quoted names and text literals). */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (s.startsWith(sep, i)) { out.push(s.slice(start, i)); start = i + sep.length; i += sep.length - 1; }
  }
  out.push(s.slice(start));
  return out;
}

/** Compile the inside of `{{ }}`; a string return is the reason it is invalid. */
function compileRef(inner: string): FieldRef | string {
  const [expr = '', ...filters] = splitOutsideQuotes(inner, '|').map((x) => x.trim());
  if (filters.length > 1) return 'only one filter may follow `|`';
  const filter = filters[0] ?? null;
  if (filter !== null && !FILTERS.has(filter)) return `unknown filter ${JSON.stringify(filter)} (filters: json, pretty, upper, lower, severity)`;
  const alts: Alt[] = [];
  for (const raw of splitOutsideQuotes(expr, '??').map((x) => x.trim())) {
    if (raw === '') return 'empty alternative (write `{{ .a ?? .b ?? "text" }}`)';
    if (raw.startsWith('"')) {
      let s: unknown;
      try { s = JSON.parse(raw); } catch { return `invalid text ${raw} (write text in double quotes, as in JSON)`; }
      if (typeof s !== 'string') return `invalid text ${raw}`;
      alts.push({ k: 'lit', s });
      continue;
    }
    if (raw === '.') { alts.push({ k: 'get', get: (e) => e }); continue; }
    try { alts.push({ k: 'get', get: compileMapped(raw) }); } catch (e) {
      if (e instanceof FieldPathError) return e.message;
      throw e;
    }
  }
  return { alts, filter: filter as Filter | null };
}

/** A path with `[*]` steps: each step maps over a list and the results are flattened. */
function compileMapped(text: string): (e: Event) => unknown {
  const pieces = splitOutsideQuotes(text, '[*]');
  if (pieces.length === 1) { const p = compileFieldPath(text); return (e) => p.get(e); }
  const head = compileFieldPath(pieces[0]!);
  const tails: (FieldPath | null)[] = pieces.slice(1).map((t) => {
    if (t === '') return null;
    if (!t.startsWith('.')) throw new FieldPathError(`expected \`.\` after [*] in ${JSON.stringify(text)}`, 'write lists as .attacks[*].technique.uid');
    return compileFieldPath(t);
  });
  return (e) => {
    let cur: unknown[] = [head.get(e)];
    for (const tail of tails) {
      const next: unknown[] = [];
      for (const x of cur) {
        if (!Array.isArray(x)) continue;
        for (const item of x) {
          const v = tail === null ? item : item !== null && typeof item === 'object' && !Array.isArray(item) ? tail.get(item as Event) : undefined;
          if (v !== undefined && v !== null) next.push(v);
        }
      }
      cur = next;
    }
    return cur.length ? cur : undefined;
  };
}

function renderRef(ref: FieldRef, e: Event): string {
  for (const a of ref.alts) {
    const v = a.k === 'lit' ? a.s : a.get(e);
    const text = valueText(v, ref.filter);
    if (text !== '') return text;
  }
  return '';
}

/** A value as message text; '' for missing values. */
export function valueText(v: unknown, filter: Filter | null = null): string {
  if (v === undefined || v === null) return '';
  if (filter === 'json') return JSON.stringify(v);
  if (filter === 'pretty') return JSON.stringify(v, null, 2);
  if (filter === 'severity') {
    const id = typeof v === 'number' ? v : typeof v === 'string' ? SEVERITY_NAMES[v.trim().toLowerCase()] : undefined;
    const caption = id === undefined ? undefined : SEVERITY_CAPTIONS[id];
    if (caption !== undefined) return caption;
  }
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) s = v.filter((x) => x !== null && x !== undefined && x !== '').map(String).join(', ');
  else s = JSON.stringify(v) ?? '';
  return filter === 'upper' ? s.toUpperCase() : filter === 'lower' ? s.toLowerCase() : s;
}

/** Cut `s` to at most `max` characters, ending with `…` when cut (never inside a surrogate pair). */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return s.slice(0, end) + '…';
}

// ---- Alert facts ------------------------------------------------------------------------------

/**
 * Where the alert sinks find the facts of an alert, as template alternatives (the inside of
 * `{{ }}`): the OCSF Detection Finding fields first, then the event the finding was made from
 * (Sluice's Sigma detection keeps it at `evidences[0].data.event`; a correlation keeps its events
 * as `evidences[].data`), then the flat names of events that were never normalized. Any event
 * renders; a fact it lacks is empty. `alertField` makes the whole `{{ }}` with the fact's filter.
 */
export const ALERT = {
  title: '.finding_info.title ?? .title ?? .rule.title ?? .rule.name ?? .message ?? "Sluice alert"',
  severity: '.severity ?? .severity_id ?? .level',
  rule: '.finding_info.analytic.name ?? .rule.name ?? .rule.title',
  rule_id: '.finding_info.analytic.uid ?? .unmapped.sigma.id ?? .rule.id ?? .rule.uid',
  host: '.device.hostname ?? .device.name ?? .evidences[0].device.hostname ?? .evidences[0].data.event.device.hostname ?? .evidences[0].data.event.hostname ?? .evidences[0].data.device.hostname ?? .evidences[0].data.hostname ?? .host.hostname ?? .host.name ?? .hostname ?? .host',
  user: '.actor.user.name ?? .user.name ?? .evidences[0].actor.user.name ?? .evidences[0].user.name ?? .evidences[0].data.event.actor.user.name ?? .evidences[0].data.event.user.name ?? .evidences[0].data.event.user ?? .evidences[0].data.actor.user.name ?? .evidences[0].data.user.name ?? .user',
  ip: '.src_endpoint.ip ?? .evidences[0].src_endpoint.ip ?? .evidences[0].data.event.src_endpoint.ip ?? .evidences[0].data.event.src_ip ?? .evidences[0].data.src_endpoint.ip ?? .evidences[0].data.src_ip ?? .src_ip ?? .source.ip ?? .client.ip',
  techniques: '.finding_info.attacks[*].technique.uid ?? .attacks[*].technique.uid',
  product: '.metadata.product.name',
  finding_id: '.finding_info.uid',
  message: '.message',
} as const;

const ALERT_FILTERS: Partial<Record<keyof typeof ALERT, Filter>> = { severity: 'severity' };

/** A fact as a template field: `{{ <alternatives> [?? <fallback>] [| filter] }}`. `fallback` is template text, e.g. `"alert"`. */
export function alertField(fact: keyof typeof ALERT, fallback?: string): string {
  const filter = ALERT_FILTERS[fact];
  return `{{ ${ALERT[fact]}${fallback ? ` ?? ${fallback}` : ''}${filter ? ` | ${filter}` : ''} }}`;
}

/** The event time as `%` codes, for message defaults. */
export const ALERT_TIME = '%Y-%m-%d %H:%M:%S UTC';

/** OCSF severity ids and their captions; Sigma levels and common words map onto them. */
const SEVERITY_NAMES: Record<string, number> = {
  unknown: 0, informational: 1, info: 1, information: 1, low: 2, medium: 3, moderate: 3,
  high: 4, critical: 5, fatal: 6, other: 99,
};
const SEVERITY_CAPTIONS: Record<number, string> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal', 99: 'Other' };

export interface Severity { id: number; caption: string }

/**
 * An alert's severity on the OCSF scale: `severity_id` when it is a valid id, else the words in
 * `severity` or `level` (Sigma's `informational ... critical`). Null when the event says nothing.
 */
export function alertSeverity(e: Event): Severity | null {
  const id = e.severity_id;
  if (typeof id === 'number' && SEVERITY_CAPTIONS[id] !== undefined) return { id, caption: SEVERITY_CAPTIONS[id]! };
  for (const v of [e.severity, e.level]) {
    if (typeof v !== 'string') continue;
    const n = SEVERITY_NAMES[v.trim().toLowerCase()];
    if (n !== undefined) return { id: n, caption: SEVERITY_CAPTIONS[n]! };
  }
  return null;
}

/** An alert's ATT&CK techniques (`finding_info.attacks`, then `attacks`), without repeats. */
export function alertTechniques(e: Event): { uid: string; name: string | null }[] {
  const out: { uid: string; name: string | null }[] = [];
  const seen = new Set<string>();
  const info = e.finding_info;
  const lists = [info !== null && typeof info === 'object' ? (info as Event).attacks : undefined, e.attacks];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const a of list) {
      // The sub-technique when there is one (T1110.001 says more than T1110).
      const sub = a !== null && typeof a === 'object' ? (a as Event).sub_technique : undefined;
      const t = sub !== null && typeof sub === 'object' && typeof (sub as Event).uid === 'string' ? sub : a !== null && typeof a === 'object' ? (a as Event).technique : undefined;
      if (t === null || typeof t !== 'object') continue;
      const uid = (t as Event).uid;
      const name = (t as Event).name;
      if (typeof uid !== 'string' || uid === '' || seen.has(uid)) continue;
      seen.add(uid);
      out.push({ uid, name: typeof name === 'string' && name !== '' ? name : null });
    }
  }
  return out;
}
