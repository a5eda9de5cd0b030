/**
 * Writing enrichment results into events the OCSF way, the same in every enrichment transform.
 */
import type { Event } from '../core/event.js';

/**
 * The event's OCSF `enrichments` list, created when missing. Null when the field holds something
 * that is not a list: it is the event's own data, left as it is (callers count such events).
 */
export function enrichmentsOf(e: Event): unknown[] | null {
  const list = e['enrichments'];
  if (list === undefined || list === null) { const fresh: unknown[] = []; e['enrichments'] = fresh; return fresh; }
  return Array.isArray(list) ? list : null;
}

/** Append one `enrichment` object (name, value, type, provider, data...); false when `enrichments` is not a list. */
export function appendEnrichment(e: Event, entry: Record<string, unknown>): boolean {
  const list = enrichmentsOf(e);
  if (list === null) return false;
  list.push(entry);
  return true;
}
