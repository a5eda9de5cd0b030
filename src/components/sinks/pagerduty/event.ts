/**
 * PagerDuty Events API v2 events from alerts: `trigger` with the PD-CEF payload (summary,
 * source, severity, timestamp, component, group, class, custom_details) and links, or
 * `acknowledge` / `resolve` with only the dedup_key, as the API documents.
 *
 * The API's limits are applied here rather than discovered as refusals: summary at most 1024
 * characters (cut), dedup_key at most 255 (a longer key keeps its start and ends in a hash of the
 * whole key, so two long keys stay distinct), and the whole event at most 512 KB (custom_details
 * is replaced by a note and the start of the alert's JSON when the alert alone is larger).
 */
import { createHash } from 'node:crypto';
import type { Event } from '../../../core/event.js';
import type { FieldPath } from '../../_shared/field-path.js';
import { alertSeverity, truncate, type TextTemplate } from '../../_shared/text-template.js';

export type Action = 'trigger' | 'acknowledge' | 'resolve';
export type PdSeverity = 'critical' | 'error' | 'warning' | 'info';

export const MAX_SUMMARY = 1024;
export const MAX_DEDUP_KEY = 255;
export const MAX_EVENT_BYTES = 512 * 1024;

export interface EventOptions {
  routingKey: string;
  actionField: FieldPath | null;
  dedupKey: TextTemplate;
  summary: TextTemplate;
  source: TextTemplate;
  component: TextTemplate | null;
  group: TextTemplate | null;
  class: TextTemplate | null;
  links: { href: TextTemplate; text: TextTemplate | null }[];
  client: string | null;
  clientUrl: string | null;
  defaultSeverity: PdSeverity;
}

/** OCSF severity_id -> PagerDuty severity: Fatal and Critical page as critical, High as error, Medium as warning, Low and Informational as info. */
export function pdSeverity(e: Event, fallback: PdSeverity): PdSeverity {
  const sev = alertSeverity(e);
  if (!sev || sev.id === 0 || sev.id === 99) return fallback;
  return sev.id >= 5 ? 'critical' : sev.id === 4 ? 'error' : sev.id === 3 ? 'warning' : 'info';
}

/** The event's action from `action_field`: resolve(d) and acknowledge(d), any case; anything else triggers. */
export function actionOf(e: Event, field: FieldPath | null): Action {
  if (!field) return 'trigger';
  const v = field.get(e);
  if (typeof v !== 'string') return 'trigger';
  const a = v.trim().toLowerCase();
  if (a === 'resolve' || a === 'resolved') return 'resolve';
  if (a === 'acknowledge' || a === 'acknowledged') return 'acknowledge';
  return 'trigger';
}

/** A dedup_key within 255 characters: kept as is when it fits, else its start and a SHA-256 of it. */
export function fitDedupKey(key: string): string {
  if (key.length <= MAX_DEDUP_KEY) return key;
  const hash = createHash('sha256').update(key).digest('hex');
  return `${key.slice(0, MAX_DEDUP_KEY - hash.length - 1)}~${hash}`;
}

/** ISO 8601 time of the alert (`time` in epoch ms, or an ISO `timestamp`), or undefined. */
function isoTime(e: Event): string | undefined {
  for (const v of [e.time, e.timestamp, e['@timestamp']]) {
    const ms = typeof v === 'number' ? v : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isFinite(ms)) { const d = new Date(ms); if (!Number.isNaN(d.getTime())) return d.toISOString(); }
  }
  return undefined;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export type Built = { ok: true; body: Buffer; action: Action; dedupKey: string | null } | { ok: false; reason: string };

/** The request body for one alert, or why none can be made. */
export function buildEvent(e: Event, o: EventOptions): Built {
  const action = actionOf(e, o.actionField);
  const rendered = oneLine(o.dedupKey.render(e));
  const dedupKey = rendered === '' ? null : fitDedupKey(rendered);
  if (action !== 'trigger') {
    if (dedupKey === null) {
      return { ok: false, reason: `cannot ${action} in PagerDuty: the dedup_key template ${JSON.stringify(o.dedupKey.source)} gave nothing for this event, so it names no alert; set dedup_key to fields this event has, the same ones its trigger had` };
    }
    return { ok: true, action, dedupKey, body: Buffer.from(JSON.stringify({ routing_key: o.routingKey, event_action: action, dedup_key: dedupKey })) };
  }
  const opt = (t: TextTemplate | null) => { if (!t) return undefined; const v = oneLine(t.render(e)); return v === '' ? undefined : v; };
  const links = o.links.map((l) => ({ href: oneLine(l.href.render(e)), text: opt(l.text) })).filter((l) => l.href !== '');
  const event = {
    routing_key: o.routingKey,
    event_action: action,
    dedup_key: dedupKey ?? undefined,
    client: o.client ?? undefined,
    client_url: o.clientUrl ?? undefined,
    payload: {
      summary: truncate(oneLine(o.summary.render(e)) || 'Sluice alert', MAX_SUMMARY),
      source: opt(o.source) ?? 'sluice',
      severity: pdSeverity(e, o.defaultSeverity),
      timestamp: isoTime(e),
      component: opt(o.component),
      group: opt(o.group),
      class: opt(o.class),
      custom_details: e as unknown,
    },
    links: links.length ? links : undefined,
  };
  let json = JSON.stringify(event);
  if (Buffer.byteLength(json) > MAX_EVENT_BYTES) {
    // Keep the page: the alert's start as text, within the limit with room for the rest.
    const alert = Buffer.from(JSON.stringify(e));
    const note = `the alert is ${alert.length} bytes, more than PagerDuty takes in one event (512 KB); its JSON is cut here`;
    // Quoted inside a string the JSON grows (every `"` becomes `\"`): cut, measure, cut more.
    let keep = MAX_EVENT_BYTES - (Buffer.byteLength(json) - alert.length) - 1024;
    for (;;) {
      event.payload.custom_details = { note, alert_json_start: alert.subarray(0, Math.max(0, keep)).toString('utf8').replace(/\uFFFD$/, '') };
      json = JSON.stringify(event);
      const over = Buffer.byteLength(json) - MAX_EVENT_BYTES;
      if (over <= 0 || keep <= 0) break;
      keep -= over + 64;
    }
  }
  return { ok: true, action, dedupKey, body: Buffer.from(json) };
}
