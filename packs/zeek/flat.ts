/**
 * Reading events whose field names contain dots (`id.orig_h`, as Zeek writes both TSV and JSON),
 * and collecting what a mapping did not use into `unmapped`.
 *
 * map-kit's `unmapped()` treats a dot as nesting, so a flat key named "id.orig_h" would never
 * count as used. These helpers accept both shapes: the flat key first, then the nested path
 * (`{ id: { orig_h } }`, as some shippers rewrite Zeek JSON).
 */
import type { Event } from '../../src/core/event.js';
import { get } from '../../src/ocsf/map-kit.js';

/** The value of a Zeek field, flat key first, then as a nested path. */
export function field(e: Event, name: string): unknown {
  const v = Object.hasOwn(e, name) ? e[name] : undefined;
  if (v !== undefined || name.indexOf('.') < 0) return v;
  return get(e, name);
}

/**
 * A compiled set of used field names: each name, plus a marker (`id.`) for every dotted prefix so
 * the nested shape can be walked. Build it once per mapping, not per event.
 */
export type UsedFields = ReadonlySet<string>;

export function usedFields(names: readonly string[]): UsedFields {
  const s = new Set<string>();
  for (const n of names) {
    s.add(n);
    for (let i = n.indexOf('.'); i > 0; i = n.indexOf('.', i + 1)) s.add(n.slice(0, i + 1));
  }
  return s;
}

/**
 * The fields of `e` that are neither in `used` nor in `extra` (names used by this event only),
 * plus those in `keep` (used in principle, but this event's value could not be mapped), for OCSF
 * `unmapped`; undefined when nothing is left.
 */
export function unmappedFields(e: Event, used: UsedFields, extra?: readonly string[], keep?: readonly string[]): Record<string, unknown> | undefined {
  return rest(e, used, extra, keep, '');
}

function rest(o: Record<string, unknown>, used: UsedFields, extra: readonly string[] | undefined, keep: readonly string[] | undefined, prefix: string): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (v === undefined) continue;
    const path = prefix === '' ? k : prefix + k;
    if ((used.has(path) || extra?.includes(path)) && !keep?.includes(path)) continue;
    let value: unknown = v;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && used.has(path + '.')) {
      value = rest(v as Record<string, unknown>, used, extra, keep, path + '.');
      if (value === undefined) continue;
    }
    out ??= {};
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out;
}
