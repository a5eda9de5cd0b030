/**
 * Small, real components for engine tests: a counting source, a collecting sink and a mutating
 * transform. They exercise the topology exactly as built-in components do.
 */
import { defineComponent } from '../core/component.js';
import type { Event } from '../core/event.js';
import { s } from '../core/schema.js';
import { Registry } from './registry.js';

export const collected = new Map<string, Event[]>();

export const counter = defineComponent({
  type: 'counter', kind: 'source', status: 'alpha', summary: 'test: emits `count` events {n} in batches', capabilities: { finite: true },
  config: s.object({ count: s.int(0).default(10), batch: s.int(1).default(5), forever: s.bool().default(false), delay_ms: s.int(0).default(0) }),
  build: (cfg) => ({
    async run(ctx) {
      let n = 0;
      while ((cfg.forever || n < cfg.count) && !ctx.signal.aborted) {
        const evs: Event[] = [];
        for (let i = 0; i < cfg.batch && (cfg.forever || n < cfg.count); i++) evs.push({ n: n++, source: ctx.id });
        await ctx.send(evs);
        if (cfg.delay_ms) await new Promise((r) => setTimeout(r, cfg.delay_ms));
      }
    },
  }),
});

export const collect = defineComponent({
  type: 'collect', kind: 'sink', status: 'alpha', summary: 'test: keeps events in memory under `name`',
  config: s.object({ name: s.string().required(), delay_ms: s.int(0).default(0), reject_odd: s.bool().default(false), fail: s.bool().default(false), fail_times: s.int(0).default(0), json_lines: s.bool().default(false) }),
  build: (cfg) => { let failures = 0; const sink = {
    /** With json_lines, takes a disk buffer's JSON texts (and notes that it did). */
    writeJsonLines: cfg.json_lines ? (lines: string[]) => sink.write(lines.map((l) => ({ ...(JSON.parse(l) as Event), via_lines: true }))) : undefined,
    async write(events: Event[]) {
      if (cfg.delay_ms) await new Promise((r) => setTimeout(r, cfg.delay_ms));
      if (cfg.fail || failures++ < cfg.fail_times) throw new Error('destination down');
      const list = collected.get(cfg.name) ?? [];
      collected.set(cfg.name, list);
      const rejected: { index: number; reason: string }[] = [];
      events.forEach((e, i) => {
        if (cfg.reject_odd && typeof e.n === 'number' && e.n % 2 === 1) rejected.push({ index: i, reason: 'odd numbers refused' });
        else list.push(e);
      });
      return { rejected };
    },
  }; return sink; },
});

export const tag = defineComponent({
  type: 'tag', kind: 'transform', status: 'alpha', summary: 'test: sets a field; fails on events with `bad`; counts state', capabilities: { stateful: true },
  outputs: [{ name: 'even', description: 'events with an even n' }],
  config: s.object({ field: s.string().default('tagged'), value: s.any() }),
  build: (cfg) => {
    let seen = 0; // state that must survive a reload when this component is unchanged
    return {
      process(events, out) {
        for (const e of events) {
          if (e.bad) { out.error(e, 'bad event', 'parse_failed'); continue; }
          e[cfg.field] = cfg.value ?? true;
          e.seen = ++seen;
          if (typeof e.n === 'number' && e.n % 2 === 0) out.emit('even', { ...e });
          out.push(e);
        }
      },
    };
  },
});

export const testRegistry = new Registry([counter, collect, tag]);
