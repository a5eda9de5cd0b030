/** `remap`: modifies events with a program in the expression language and/or declarative options. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s, type Infer } from '../../../core/schema.js';
import { cloneValue, type Event } from '../../../core/event.js';
import { ExprAbort } from '../../../expr/index.js';
import { expr } from '../../_shared/expr-fields.js';
import { compileFieldPath, fieldPath, FieldPathError, type FieldPath } from '../../_shared/field-path.js';

export const config = s.object({
  rename: s.map(fieldPath()).desc('Field path -> new field path. A missing field is not created. Applied first.')
    .example({ 'src.addr': 'src_endpoint.ip' }),
  fields: s.map(expr.value()).desc('Field path -> value expression, set in the order written; a missing result sets null. '
    + 'A string is an expression: write a literal string with quotes (`env: \'"prod"\'`). Applied after `rename`.')
    .example({ 'user.name': 'lower(.user.name)', 'metadata.product': '"sluice"' }),
  source: expr.program().desc('A remap program, run after `fields`: statements such as `.user.name = lower(.user.name)`, `del(.raw)`, `abort "reason"`. See docs/language.md.'),
  delete: s.list(fieldPath(), true).desc('Field paths to remove, as `del()` does in a program. Applied last.').example(['raw', 'debug.trace']),
  keep_original_on_error: s.bool().default(false).desc('Copy each event before remapping so that an event sent to errors is exactly as it arrived. '
    + 'Costs a deep copy per event; without it an errored event carries the changes made before the failure.').advanced(),
});

export type RemapConfig = Infer<typeof config>;

interface Step {
  /** Where a failure happened, for the reason: `fields."user.name"`, `source`. */
  where: string;
  run(e: Event): void;
}

function compilePathKey(text: string, option: string): FieldPath {
  try { return compileFieldPath(text); } catch (e) {
    if (e instanceof FieldPathError) throw new ComponentConfigError(e.message, [option, text], e.hint);
    throw e;
  }
}

/** The steps in their documented order: rename, fields, source, delete. */
function compileSteps(cfg: RemapConfig): Step[] {
  const steps: Step[] = [];
  for (const [fromText, to] of Object.entries(cfg.rename ?? {})) {
    const from = compilePathKey(fromText, 'rename');
    steps.push({
      where: `rename."${fromText}"`,
      run: (e) => {
        const v = from.get(e);
        if (v === undefined) return;
        from.remove(e);
        to.set(e, v);
      },
    });
  }
  for (const [pathText, value] of Object.entries(cfg.fields ?? {})) {
    const path = compilePathKey(pathText, 'fields');
    const fn = value.fn;
    steps.push({ where: `fields."${pathText}"`, run: (e) => { const v = fn(e); path.set(e, v === undefined ? null : v); } });
  }
  if (cfg.source) steps.push({ where: 'source', run: cfg.source.fn });
  const del = cfg.delete ?? [];
  if (del.length) steps.push({ where: 'delete', run: (e) => { for (let i = 0; i < del.length; i++) del[i]!.remove(e); } });
  return steps;
}

export default defineComponent({
  type: 'remap',
  kind: 'transform',
  status: 'stable',
  summary: 'Modify events: a remap program in the expression language, or declarative rename / set / delete.',
  description: [
    'Steps run in this order: `rename`, then `fields` (in the order written), then `source`, then `delete`.',
    'Any combination may be used. Field paths are compiled once when the pipeline is built.',
    '',
    'When a step fails at run time, or the program runs `abort "reason"`, the event goes to the errors output',
    '(code `remap_failed` or `remap_aborted`) with the reason, naming the step. Events are changed in place, so the',
    'errored event carries the changes made before the failure (copying every event up front would cost on every',
    'event to serve the few that fail). Set `keep_original_on_error: true` to pay that copy and get the event',
    'exactly as it arrived.',
  ].join('\n'),
  config,
  build: (cfg) => {
    const steps = compileSteps(cfg);
    if (steps.length === 0) throw new ComponentConfigError('remap has nothing to do', [], 'set `source`, `fields`, `rename` or `delete`');
    const keepOriginal = cfg.keep_original_on_error;
    const runs = steps.map((x) => x.run);
    const count = runs.length;

    return {
      process(events: Event[], out) {
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          const original = keepOriginal ? cloneValue(e) : null;
          let k = 0;
          try {
            for (; k < count; k++) runs[k]!(e);
          } catch (err) {
            const failed = original ?? e;
            if (err instanceof ExprAbort) out.error(failed, err.reason, 'remap_aborted');
            else out.error(failed, `${steps[k]!.where}: ${(err as Error).message}`, 'remap_failed');
            continue;
          }
          out.push(e);
        }
      },
    };
  },
});
