/**
 * MISP: a feed (the `manifest.json` of a MISP feed directory or URL, naming one
 * `<event uuid>.json` per event next to it), one event (`{"Event": {...}}`), a list of events or a
 * REST search result (`{"response": [...]}`), or an attribute list (`{"Attribute": [...]}`, a bare
 * list of attributes, or `{"response": {"Attribute": [...]}}`).
 *
 * Attributes of these types become indicators (the rest are counted as unsupported, by type):
 *   ip-src, ip-dst (an address or a network), ip-src|port, ip-dst|port (the address),
 *   domain, hostname, hostname|port (the host), domain|ip (both), url,
 *   md5, sha1, sha256, filename|md5, filename|sha1, filename|sha256, malware-sample (the hash).
 * Attributes inside MISP objects (`Event.Object[].Attribute`) count as well. Deleted attributes
 * are left out; so are attributes with `to_ids: false` unless `misp.to_ids_only` is false.
 *
 * Details: severity from the event's `threat_level_id` (1 high, 2 medium, 3 low), description from
 * the attribute's comment or else the event's `info`, tags from the event's and the attribute's
 * tags, first_seen / last_seen from the attribute's (its `timestamp`, the last change, when it has
 * no last_seen).
 */
import { toTime } from '../../../ocsf/map-kit.js';
import type { Slicer } from '../../../enrich/resource.js';
import { newMeta, resetMeta, type EntryMeta, type IndexBuilder, type Want } from './store.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj { return v !== null && typeof v === 'object' && !Array.isArray(v); }

/** Attribute type -> what its value holds: [want of the left part, want of the right part] (null: not used). */
const TYPES: Record<string, [Want | null, Want | null]> = {
  'ip-src': ['ip', null],
  'ip-dst': ['ip', null],
  'ip-src|port': ['ip', null],
  'ip-dst|port': ['ip', null],
  'domain': ['domain', null],
  'hostname': ['domain', null],
  'hostname|port': ['domain', null],
  'domain|ip': ['domain', 'ip'],
  'url': ['url', null],
  'md5': ['md5', null],
  'sha1': ['sha1', null],
  'sha256': ['sha256', null],
  'filename|md5': [null, 'md5'],
  'filename|sha1': [null, 'sha1'],
  'filename|sha256': [null, 'sha256'],
  'malware-sample': [null, 'md5'],
};

/** The attribute types indicators are taken from (for docs). */
export const MISP_TYPES = Object.keys(TYPES);

const SEVERITY: Record<string, string> = { 1: 'high', 2: 'medium', 3: 'low' };

export interface MispOptions { toIdsOnly: boolean }

/** What a MISP document is. */
export type MispDoc =
  | { kind: 'manifest'; uuids: string[] }
  | { kind: 'events'; events: Obj[] }
  | { kind: 'attributes'; attributes: unknown[] };

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function classifyMisp(doc: unknown): MispDoc {
  if (Array.isArray(doc)) {
    if (doc.length === 0) return { kind: 'attributes', attributes: [] };
    if (isObj(doc[0]) && isObj(doc[0].Event)) return { kind: 'events', events: doc.filter(isObj).map((x) => x.Event).filter(isObj) };
    return { kind: 'attributes', attributes: doc };
  }
  if (!isObj(doc)) throw new Error('not a MISP document: expected a JSON object or list');
  if (isObj(doc.Event)) return { kind: 'events', events: [doc.Event] };
  if (Array.isArray(doc.Attribute)) return { kind: 'attributes', attributes: doc.Attribute };
  const r = doc.response;
  if (Array.isArray(r)) return classifyMisp(r);
  if (isObj(r) && Array.isArray(r.Attribute)) return { kind: 'attributes', attributes: r.Attribute };
  const keys = Object.keys(doc);
  if (keys.length > 0 && keys.every((k) => UUID.test(k) && isObj(doc[k]))) return { kind: 'manifest', uuids: keys };
  if (keys.length === 0) return { kind: 'manifest', uuids: [] };
  throw new Error('not a MISP feed manifest, event or attribute list (expected {"Event": ...}, {"Attribute": [...]}, {"response": ...} or a manifest keyed by event UUID)');
}

function tagNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const t of v) if (isObj(t) && typeof t.name === 'string' && t.name) out.push(t.name);
  return out;
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

/** Add one event's attributes (and its objects' attributes). */
export async function addMispEvent(ev: Obj, b: IndexBuilder, opts: MispOptions, slicer: Slicer): Promise<void> {
  const ctx: EventContext = {
    severity: SEVERITY[String(ev.threat_level_id)],
    info: typeof ev.info === 'string' && ev.info ? ev.info : undefined,
    tags: tagNames(ev.Tag),
  };
  const attrs: unknown[] = Array.isArray(ev.Attribute) ? [...ev.Attribute] : [];
  if (Array.isArray(ev.Object)) for (const o of ev.Object) if (isObj(o) && Array.isArray(o.Attribute) && !truthy(o.deleted)) attrs.push(...o.Attribute);
  await addMispAttributes(attrs, b, opts, slicer, ctx);
}

interface EventContext { severity: string | undefined; info: string | undefined; tags: string[] }

const NO_EVENT: EventContext = { severity: undefined, info: undefined, tags: [] };
const meta: EntryMeta = newMeta();

export async function addMispAttributes(attrs: unknown[], b: IndexBuilder, opts: MispOptions, slicer: Slicer, ctx: EventContext = NO_EVENT): Promise<void> {
  for (const a of attrs) {
    const tick = slicer.tick();
    if (tick) await tick;
    if (!isObj(a)) { b.problem('invalid', 'an attribute that is not an object', JSON.stringify(a) ?? ''); continue; }
    const type = typeof a.type === 'string' ? a.type : '';
    const value = typeof a.value === 'string' ? a.value.trim() : '';
    const label = `${type}: ${value}`;
    if (truthy(a.deleted)) { b.problem('skipped', 'deleted', label); continue; }
    const spec = TYPES[type];
    if (!spec) { b.problem('unsupported', `attribute type ${type || '(none)'}`, label); continue; }
    if (opts.toIdsOnly && a.to_ids !== undefined && !truthy(a.to_ids)) { b.problem('skipped', 'to_ids is false', label); continue; }
    if (!value) { b.problem('invalid', 'no value', label); continue; }
    resetMeta(meta);
    meta.severity = ctx.severity;
    const comment = typeof a.comment === 'string' && a.comment ? a.comment : undefined;
    meta.description = comment ?? ctx.info;
    const tags = tagNames(a.Tag);
    if (ctx.tags.length || tags.length) meta.tags = ctx.tags.length && tags.length ? [...new Set([...ctx.tags, ...tags])] : tags.length ? tags : ctx.tags;
    meta.firstSeen = toTime(a.first_seen) ?? NaN;
    meta.lastSeen = toTime(a.last_seen) ?? toTime(a.timestamp) ?? NaN;
    const [left, right] = spec;
    const bar = value.indexOf('|');
    const l = bar < 0 ? value : value.slice(0, bar);
    const r = bar < 0 ? '' : value.slice(bar + 1);
    if (left) b.add(l.trim(), left, meta);
    if (right) {
      if (!r) { b.problem('invalid', `${type} without the part after "|"`, label); continue; }
      b.add(r.trim(), right, meta);
    }
  }
}
