/** `filter`: keeps the events for which a condition is true; the rest are dropped and counted. */
import { defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { expr } from '../../_shared/expr-fields.js';

export default defineComponent({
  type: 'filter',
  kind: 'transform',
  status: 'stable',
  summary: 'Keep events matching a condition; drop (and count) the rest.',
  config: s.object({
    condition: expr.condition().required().desc('Events for which this is true pass; others are dropped. See docs/language.md.'),
  }),
  build: (cfg) => {
    const test = cfg.condition.fn;
    return {
      process(events, out) {
        let dropped = 0;
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          let keep: boolean;
          try { keep = test(e); } catch (err) { out.error(e, `condition failed: ${(err as Error).message}`, 'condition_failed'); continue; }
          if (keep) out.push(e); else dropped++;
        }
        if (dropped) out.discard(dropped, 'condition false');
      },
    };
  },
});
