/**
 * Small helpers every pack uses, so packs stay declarative-looking: build `metadata`, read times,
 * build endpoints, and collect what a mapping did not use into `unmapped`.
 *
 * Packs set ids only (class_uid, activity_id, severity_id, status_id, ...): `derive` in
 * src/ocsf/validate.ts fills the names and derived fields (category_uid, class_name, type_uid,
 * type_name, activity_name, severity, status) from the compiled schema, once, after mapping.
 */
import type { Event } from '../core/event.js';

/** The OCSF release the shipped schema artifact comes from. */
export const OCSF_VERSION = '1.8.0';

export interface Product { name: string; vendor_name: string; version?: string }

/** `metadata` for an event: OCSF version, the source product, and optional extra fields. */
export function metadata(product: Product, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: OCSF_VERSION, product: { ...product }, ...extra };
}

/**
 * A source time as OCSF `timestamp_t` (milliseconds since the epoch). Accepts ISO 8601 strings,
 * epoch seconds (with fractions, as Zeek writes them) and epoch milliseconds; null when it is none.
 */
export function toTime(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && v !== '') {
    if (/^\d+(\.\d+)?$/.test(v)) return toTime(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** Read a dotted path of own properties; undefined when any step is missing. */
export function get(e: unknown, path: string): unknown {
  let v: unknown = e;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** An object without its undefined, null and empty-string members (OCSF omits absent attributes). */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') out[k] = v;
  return out as Partial<T>;
}

/**
 * The source fields a mapping did not use, for OCSF's `unmapped` (so nothing is lost). `used`
 * lists dotted paths; using a path uses everything under it. Returns undefined when nothing is left.
 */
export function unmapped(e: Event, used: readonly string[]): Record<string, unknown> | undefined {
  const tree = new Map<string, unknown>();
  for (const p of used) {
    let node = tree;
    const segs = p.split('.');
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (i === segs.length - 1) { node.set(s, true); break; }
      let next = node.get(s);
      if (next === true) break;
      if (!(next instanceof Map)) node.set(s, (next = new Map()));
      node = next as Map<string, unknown>;
    }
  }
  const rest = strip(e, tree);
  return rest && Object.keys(rest).length ? rest : undefined;
}

function strip(v: Record<string, unknown>, used: Map<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const u = used.get(k);
    if (u === true) continue;
    if (u instanceof Map && val !== null && typeof val === 'object' && !Array.isArray(val)) {
      const r = strip(val as Record<string, unknown>, u as Map<string, unknown>);
      if (r && Object.keys(r).length) { out[k] = r; any = true; }
      continue;
    }
    out[k] = val;
    any = true;
  }
  return any ? out : undefined;
}

/** Whether a string is an IPv4 or IPv6 address (for fields that may hold a name or an address). */
export function isIp(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s)) return true;
  return s.includes(':') && /^[0-9a-fA-F:.]+(%\w+)?$/.test(s);
}

/** A network endpoint from an address that may be an IP or a host name, and an optional port. */
export function endpoint(addr: unknown, port?: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = { ...extra };
  if (typeof addr === 'string' && addr !== '') { if (isIp(addr)) out.ip = addr; else out.hostname = addr; }
  const p = typeof port === 'string' ? Number(port) : port;
  if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535) out.port = p;
  const c = compact(out);
  return Object.keys(c).length ? c : undefined;
}
