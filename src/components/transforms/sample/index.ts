/** `sample`: keeps 1 in `rate` events, by a counter or by a hash of a key; the rest are dropped and counted. */
import { defineComponent } from '../../../core/component.js';
import { s, type Infer } from '../../../core/schema.js';
import type { Event } from '../../../core/event.js';
import { expr } from '../../_shared/expr-fields.js';
import { fieldPath, keyTemplate } from '../../_shared/field-path.js';

export const config = s.object({
  rate: s.int(1).required().desc('Keep 1 event in this many (1 keeps everything).'),
  key_field: keyTemplate().desc('Sample by this field (or `{{ path }}` template) instead of by count: every event with a kept value is kept, '
    + 'e.g. whole sessions. The choice is a hash of the value, so it is the same across restarts and instances. Events without the field fall back to the counter.')
    .example('session.uid', '{{ src_endpoint.ip }}-{{ user.name }}'),
  exclude: expr.condition().desc('Events for which this is true are always kept and not counted in the sampling, e.g. `.severity == "error"`.'),
  sample_rate_key: fieldPath().desc('When set, kept (sampled) events get the rate written to this field, so downstream counts can be scaled back up. Excluded events are left as they are.')
    .example('sample_rate'),
});

export type SampleConfig = Infer<typeof config>;

/**
 * 32-bit FNV-1a over UTF-16 code units, then murmur3's final mix: FNV alone leaves the low bits
 * poorly spread, and `% rate` reads exactly those bits.
 */
export function hashKey(k: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) {
    h ^= k.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export default defineComponent({
  type: 'sample',
  kind: 'transform',
  status: 'stable',
  summary: 'Keep 1 in N events (per key when key_field is set); drop and count the rest.',
  description: [
    'Without `key_field`, the first event of every `rate` is kept (a counter over the events this transform sees).',
    'With `key_field`, an event is kept when the hash of its key value falls in 1 of `rate` buckets, so all events',
    'sharing a value (a session, a host) are kept or dropped together; events lacking the field use the counter.',
    'Events matching `exclude` always pass and do not advance the counter. Dropped events are counted with reason `sampled`.',
    'If `exclude` fails at run time for an event, that event goes to the errors output (code `condition_failed`).',
  ].join('\n'),
  config,
  build: (cfg) => {
    const rate = cfg.rate;
    const key = cfg.key_field ?? null;
    const exclude = cfg.exclude?.fn ?? null;
    const rateField = cfg.sample_rate_key ?? null;
    let counter = 0;

    const keepByCount = (): boolean => {
      const keep = counter === 0;
      if (++counter >= rate) counter = 0;
      return keep;
    };

    return {
      process(events: Event[], out) {
        let dropped = 0;
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          if (exclude !== null) {
            let excluded: boolean;
            try { excluded = exclude(e); } catch (err) { out.error(e, `exclude condition failed: ${(err as Error).message}`, 'condition_failed'); continue; }
            if (excluded) { out.push(e); continue; }
          }
          let keep: boolean;
          if (key !== null) {
            const k = key.render(e);
            keep = k === null ? keepByCount() : hashKey(k) % rate === 0;
          } else keep = keepByCount();
          if (keep) {
            if (rateField !== null) rateField.set(e, rate);
            out.push(e);
          } else dropped++;
        }
        if (dropped) out.discard(dropped, 'sampled');
      },
    };
  },
});
