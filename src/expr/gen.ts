// Code generator core: emits straight-line JavaScript ("three-address code") from a checked AST.
//
// Why generate source instead of composing closures: bench/expr.bench.ts measures both on the same
// 5-clause condition. Generated code gives every field read its own inline cache (V8 keeps property-load
// feedback per source site), so loads stay monomorphic; a closure tree funnels every read through one
// shared `o[k]` site that goes megamorphic as soon as a pipeline has more than a few event shapes.
// Measured on this machine: see the "closure composition" line printed by the bench.
//
// Safety rules of the emitter:
//  * user-controlled text (field names, strings) is embedded only through JSON.stringify;
//  * identifiers are generated (t0, v_name with name matching [A-Za-z_][A-Za-z0-9_]*, k0, f_name, h_name),
//    so no expression can name a JS global, `process`, `constructor` or `Function`;
//  * constants (string and number values, regexes, CIDRs, sets, secrets) are passed in the K array,
//    never printed; only field names and list indexes appear in the text, JSON.stringify'd.
import type { Expr } from './ast.js';
import { T } from './ast.js';

// A dictionary-mode object: adding a key internalizes it without creating a hidden class per key
// (measured ~2.3 µs per string, versus ~4 µs with `Object.keys({ [s]: 0 })`, which also leaves a
// map transition behind for every distinct constant).
const INTERN: Record<string, number> = Object.create(null) as Record<string, number>;
INTERN.x = 0;
delete INTERN.x;
function internalize(s: string): string {
  INTERN[s] = 0;
  const k = Object.keys(INTERN)[0]!;
  delete INTERN[s];
  return k;
}

const SHORT: Record<string, string> = { OP: 'O', getProto: 'P', hasOwn: 'W', isArray: 'A', parseIPv4: 'I' };
/** Keys that primitives (strings) and arrays own; reads of these need the full object check. */
const UNSAFE_KEY = /^(?:length|\d+)$/;

export class Gen {
  readonly consts: unknown[] = [];
  private readonly constIds = new Map<unknown, string>();
  readonly helpers = new Set<string>();
  readonly fns = new Set<string>();
  private temps = 0;
  private labels = 0;
  out: string[] = [];
  /** del()/rename() use the `delete` operator instead of undefined tombstones. */
  hardDelete = false;

  /** A fresh temporary variable. */
  tmp(): string {
    return `t${this.temps++}`;
  }
  tempNames(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.temps; i++) out.push(`t${i}`);
    return out;
  }
  label(): string {
    return `L${this.labels++}`;
  }
  emit(line: string): void {
    this.out.push(line);
  }
  /** Reference a runtime helper (see runtime.ts), destructured once in the factory. */
  h(name: string): string {
    this.helpers.add(name);
    return Gen.alias(name);
  }
  /** JS name of a helper. The four used by every field read get one-letter names: `new Function` cost
   * grows with source length (measured ~40 µs per KB), and field reads are most of the source. */
  static alias(name: string): string {
    return SHORT[name] ?? `h_${name}`;
  }
  /** Reference a library function. */
  f(name: string): string {
    this.fns.add(name);
    return `f_${name}`;
  }
  /** A constant passed by reference (string, number, regex, CIDR, Set, secret). */
  k(value: unknown): string {
    let id = this.constIds.get(value);
    if (!id) {
      id = `k${this.consts.length}`;
      this.consts.push(value);
      this.constIds.set(value, id);
    }
    return id;
  }

  /** A string constant compared with `===` or a string predicate: internalized first (property keys
   * are), so the comparison with internalized strings from JSON.parse can often be decided by pointer.
   * Measured on the condition bench, A/B in one process: generated/hand-written ratio 0.87 -> 0.95.
   * Only for compared strings: internalizing costs a few µs of compile time per constant. */
  kCompared(value: unknown): string {
    return this.k(typeof value === 'string' && value.length <= 64 ? internalize(value) : value);
  }

  /** JS literal text for a primitive. */
  static lit(v: null | boolean | number | string): string {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') return v < 0 || Object.is(v, -0) ? `(${v})` : String(v);
    return String(v);
  }

  /** Truthiness test text: only null and false are falsy. */
  truthy(atom: string, e: Expr): string {
    if (e.t === T.BOOL) return atom;
    return `(${atom} != null && ${atom} !== false)`;
  }

  /**
   * Own-property field read of a literal key.
   * Measured (bench/expr.bench.ts, 5-clause condition): `Object.hasOwn(o, k) ? o[k] : null` on every
   * segment ran at ~4-9 M events/s; this form runs at ~17 M events/s. The value is read first; it is own
   * when `o`'s prototype is Object.prototype and Object.prototype has no such key (V8 constant-folds both
   * checks for a stable map), otherwise Object.hasOwn decides. So inherited or polluted properties
   * (`.constructor`, `.__proto__`, `Object.prototype.x = 1`) still read as null.
   */
  readField(obj: string, key: string, knownObject: boolean): string {
    const K = JSON.stringify(key);
    const O = this.h('OP'), P = this.h('getProto'), W = this.h('hasOwn');
    // Per read, not hoisted: testing the prototype once at entry (`const pe = P(e) === O`) measured
    // 0.95 -> 0.77 of hand-written speed; per read, V8 folds the test into the map check of the load.
    const own = `${P}(${obj}) === ${O} && ${O}[${K}] === undefined || ${W}(${obj}, ${K}) ? tv : null`;
    if (knownObject) return `((tv = ${obj}[${K}]) === undefined ? null : ${own})`;
    // Other keys: strings and arrays own only "length" and index keys, so for any other key the own
    // check alone turns a string, number, boolean or array into null; only null needs excluding.
    // (`${obj}?.[K]` would be shorter, but measured ~25% slower on the condition bench.)
    if (!UNSAFE_KEY.test(key)) return `(typeof ${obj} === "object" && ${obj} !== null ? ((tv = ${obj}[${K}]) === undefined ? null : ${own}) : null)`;
    return `(typeof ${obj} === "object" && ${obj} !== null && !${this.h('isArray')}(${obj}) ? ((tv = ${obj}[${K}]) === undefined ? null : ${own}) : null)`;
  }

  /** Run `f` with a separate statement buffer; returns the emitted lines and f's result. */
  capture<R>(f: () => R): [string[], R] {
    const saved = this.out;
    this.out = [];
    try {
      const r = f();
      return [this.out, r];
    } finally {
      this.out = saved;
    }
  }
}
