/** `route`: sends each event to every named output whose condition it matches. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { cloneValue, type Event } from '../../../core/event.js';
import { expr } from '../../_shared/expr-fields.js';

const UNMATCHED = '_unmatched';
const ROUTE_NAME = /^[A-Za-z0-9_-]+$/;

export default defineComponent({
  type: 'route',
  kind: 'transform',
  status: 'stable',
  summary: 'Send each event to every named output whose condition it matches.',
  description: [
    'Each route becomes an output `<id>.<route name>`. An event goes to every route whose condition is true; when it',
    'matches more than one, each route gets its own copy, so downstream changes on one route never show on another.',
    'Events matching no route go to `<id>._unmatched` (or, with `reroute_unmatched: false`, are dropped and counted',
    'with reason `unmatched`). Routes are evaluated in the order written.',
    '',
    'If a condition fails at run time for an event, that event goes to the errors output (code `condition_failed`,',
    'the reason names the route) and to no route, so it is never both routed and in errors.',
  ].join('\n'),
  dynamicOutputs: (cfg) => [...Object.keys(cfg.routes ?? {}), ...(cfg.reroute_unmatched === false ? [] : [UNMATCHED])],
  config: s.object({
    routes: s.map(expr.condition()).required().desc('Route name -> condition. Names use letters, digits, `_` and `-`.')
      .example({ auth: '.class_uid == 3002', high: '.severity_id >= 4' }),
    reroute_unmatched: s.bool().default(true).desc('Send events that match no route to `<id>._unmatched`; when false they are dropped (counted).'),
  }),
  build: (cfg) => {
    const names = Object.keys(cfg.routes);
    if (names.length === 0) throw new ComponentConfigError('`routes` is empty', ['routes'], 'add at least one route, e.g. routes: { errors_only: \'.level == "error"\' }');
    for (const n of names) {
      if (!ROUTE_NAME.test(n)) throw new ComponentConfigError(`invalid route name \`${n}\``, ['routes', n], 'route names become output names: use letters, digits, _ and - (no dots)');
      if (n === 'errors' || n === UNMATCHED) throw new ComponentConfigError(`route name \`${n}\` is reserved`, ['routes', n], `\`${n}\` is an output every route transform has already`);
    }
    const tests = names.map((n) => cfg.routes[n]!.fn);
    const count = names.length;
    const reroute = cfg.reroute_unmatched;
    // Indexes of the routes the current event matched; reused across events.
    const hits = new Int32Array(count);

    return {
      process(events: Event[], out) {
        let dropped = 0;
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          let m = 0;
          let r = 0;
          try {
            for (; r < count; r++) if (tests[r]!(e)) hits[m++] = r;
          } catch (err) {
            out.error(e, `route \`${names[r]}\`: condition failed: ${(err as Error).message}`, 'condition_failed');
            continue;
          }
          if (m === 0) {
            if (reroute) out.emit(UNMATCHED, e); else dropped++;
            continue;
          }
          // Every route but the last gets a copy: consumers mutate events in place.
          for (let j = 0; j < m - 1; j++) out.emit(names[hits[j]!]!, cloneValue(e));
          out.emit(names[hits[m - 1]!]!, e);
        }
        if (dropped) out.discard(dropped, 'unmatched');
      },
    };
  },
});
