/**
 * Config fields holding expressions. They compile when the config is validated, so a broken
 * condition is reported by `sluice validate` at its file:line:col, with the expression and a caret.
 */
import { s, type CheckContext, type Path } from '../../core/schema.js';
import { compileCondition, compileProgram, compileValue, ExpressionError, type Event } from '../../expr/index.js';

export interface Compiled<F> { source: string; fn: F }
export type Condition = Compiled<(e: Event) => boolean>;
export type ValueExpr = Compiled<(e: Event) => unknown>;
export type Program = Compiled<(e: Event) => void>;

function field<F>(typeName: string, compile: (src: string, opts: object) => F) {
  return s.custom<Compiled<F>>(typeName, (v: unknown, path: Path, ctx: CheckContext) => {
    if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
    if (typeof v !== 'string') {
      ctx.issues.push({ path, message: `expected ${typeName} (a string), found ${v === null ? 'null' : typeof v}`, at: 'value' });
      return undefined;
    }
    const pos = ctx.positionOf(path);
    try {
      // A block scalar (`|`) starts on the next line; the expression text begins there.
      return { source: v, fn: compile(v, { origin: pos ? { file: pos.file, line: pos.line, col: pos.col } : undefined }) };
    } catch (e) {
      if (e instanceof ExpressionError) {
        ctx.issues.push({ path, message: e.message, hint: e.hint, at: 'value' });
        return undefined;
      }
      throw e;
    }
  }, { type: 'string' });
}

export const expr = {
  /** A boolean expression, e.g. `.level == "error" and .src.ip in 10.0.0.0/8`. */
  condition: () => field('a condition expression', compileCondition),
  /** An expression computing a value. */
  value: () => field('a value expression', compileValue),
  /** A remap program: statements applied to each event in place. */
  program: () => field('a remap program', compileProgram),
};
