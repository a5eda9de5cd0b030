/** `blackhole`: accepts and discards everything (benchmarks, and muting an output on purpose). */
import { defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';

export default defineComponent({
  type: 'blackhole',
  kind: 'sink',
  status: 'stable',
  summary: 'Discards events (counted as sent); for benchmarks and muting an output.',
  config: s.object({
    print_interval: s.duration().desc('Log the running count this often; off when unset.'),
  }),
  build: (cfg, ctx) => {
    let total = 0;
    let timer: NodeJS.Timeout | null = null;
    return {
      start: async () => {
        if (cfg.print_interval) { timer = setInterval(() => ctx.log.info(`${total} events`), cfg.print_interval); timer.unref(); }
      },
      write: async (events) => { total += events.length; },
      stop: async () => { if (timer) clearInterval(timer); },
    };
  },
});
