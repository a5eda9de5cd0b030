/** `throttle`: at most `threshold` events per key per `window`; the excess is dropped or sent to `excess`. */
import { ComponentConfigError, defineComponent, type TransformRuntime } from '../../../core/component.js';
import { s, type Infer } from '../../../core/schema.js';
import type { Event } from '../../../core/event.js';
import { keyTemplate } from '../../_shared/field-path.js';

export const config = s.object({
  threshold: s.int(1).required().desc('Events let through per key in each window.'),
  window: s.duration().required().desc('Length of a key\'s window; it starts with the key\'s first event and restarts with the first event after it ends.'),
  key_field: keyTemplate().desc('Throttle each value of this field (or `{{ path }}` template) separately. Events without it (missing or null) share one bucket.')
    .example('user.name', '{{ src_endpoint.ip }}:{{ dst_endpoint.port }}'),
  emit_excess: s.bool().default(false).desc('Send events over the threshold to the `<id>.excess` output instead of dropping them.'),
  max_keys: s.int(1).default(100_000).desc('Most keys tracked. When full, the key whose window started longest ago is forgotten first (its next event starts a new window).'),
});

export type ThrottleConfig = Infer<typeof config>;

interface Bucket { start: number; count: number }

/** The runtime, with the clock injectable for tests. */
export function createThrottle(cfg: ThrottleConfig, now: () => number = Date.now): TransformRuntime & { readonly keys: number } {
  const { threshold, window, emit_excess: emitExcess, max_keys: maxKeys } = cfg;
  const key = cfg.key_field ?? null;
  // Key -> its current window. A key is re-inserted when its window restarts, so the Map's
  // insertion order is window-start order: expiry and eviction both take from the front.
  const buckets = new Map<string, Bucket>();
  // Events without a key: one bucket, outside the map so it is never evicted.
  const shared: Bucket = { start: 0, count: 0 };
  let sharedUsed = false;

  return {
    get keys() { return buckets.size; },
    process(events: Event[], out) {
      // One clock read per batch: a batch is processed in well under a millisecond.
      const t = now();
      for (const [k, b] of buckets) {
        if (t - b.start < window) break;
        buckets.delete(k);
      }
      let dropped = 0;
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const k = key === null ? null : key.render(e);
        let b: Bucket | undefined;
        if (k === null) {
          b = shared;
          if (!sharedUsed || t - b.start >= window) { b.start = t; b.count = 0; sharedUsed = true; }
        } else {
          b = buckets.get(k);
          if (b === undefined) {
            buckets.set(k, (b = { start: t, count: 0 }));
            if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
          } else if (t - b.start >= window) {
            b.start = t;
            b.count = 0;
            buckets.delete(k);
            buckets.set(k, b);
          }
        }
        if (b.count < threshold) { b.count++; out.push(e); }
        else if (emitExcess) out.emit('excess', e);
        else dropped++;
      }
      if (dropped) out.discard(dropped, 'throttled');
    },
  };
}

export default defineComponent({
  type: 'throttle',
  kind: 'transform',
  status: 'stable',
  summary: 'Let through at most N events per key per time window; drop or divert the excess.',
  description: [
    'Each key (the value of `key_field`; one shared bucket without it) gets a window of length `window` that starts',
    'with its first event. The first `threshold` events in the window pass; the rest are dropped and counted with',
    'reason `throttled`, or, with `emit_excess: true`, sent to the `<id>.excess` output. Windows are fixed, not',
    'sliding: across the end of one window and the start of the next, up to 2 x `threshold` events can pass in less',
    'than `window`. Time is the wall clock when the batch is processed.',
    '',
    'At most `max_keys` keys are tracked; beyond that the key whose window started longest ago is forgotten, so its',
    'next event passes as if new. Counts live in memory: they survive a config reload that leaves this transform',
    'unchanged, not a restart.',
  ].join('\n'),
  dynamicOutputs: (cfg) => (cfg.emit_excess ? ['excess'] : []),
  capabilities: { stateful: true },
  config,
  build: (cfg) => {
    if (cfg.window <= 0) throw new ComponentConfigError('`window` must be longer than 0', ['window']);
    return createThrottle(cfg);
  },
});
