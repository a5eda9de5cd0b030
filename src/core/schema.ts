/**
 * Config schema field builders. A component declares its options once with these builders; from
 * that one declaration come the TypeScript type of its config (`Infer<typeof schema>`), runtime
 * validation with file:line:col errors, the generated reference docs, and the JSON Schema that
 * editors use. Secret fields are marked here and redacted wherever config is echoed back.
 */
import { closest } from './text.js';
import { parseDuration, parseBytes } from './units.js';

export type Path = (string | number)[];

export interface Issue {
  path: Path;
  message: string;
  hint?: string;
  /** Point at the key (unknown option) or the value (wrong type). */
  at: 'key' | 'value';
}

export interface Position { file?: string; line: number; col: number }

export interface CheckContext {
  issues: Issue[];
  /** Where a path's value starts in the config file, when known. */
  positionOf(path: Path): Position | undefined;
}

export interface FieldMeta {
  description?: string;
  default?: unknown;
  required?: boolean;
  secret?: boolean;
  examples?: unknown[];
  advanced?: boolean;
  deprecated?: string;
}

export abstract class Field<T> {
  declare readonly _type: T;
  meta: FieldMeta = {};
  abstract readonly typeName: string;

  /** Convert and check a present (non-undefined) value; report problems to ctx. */
  protected abstract check(v: unknown, path: Path, ctx: CheckContext): T | undefined;
  abstract jsonSchema(): Record<string, unknown>;

  parse(v: unknown, path: Path, ctx: CheckContext): T | undefined {
    if (v === undefined || v === null) {
      // Defaults go through the same conversion as written values (`'1s'` -> 1000).
      if (this.meta.default !== undefined) return this.check(structuredClone(this.meta.default), path, ctx);
      if (this.meta.required) {
        ctx.issues.push({ path, message: `missing required field \`${String(path[path.length - 1])}\``, hint: this.meta.description ? `${this.meta.description}` : undefined, at: 'key' });
      }
      return undefined;
    }
    return this.check(v, path, ctx);
  }

  desc(d: string): this { this.meta.description = d; return this; }
  required(): Field<Exclude<T, undefined>> { this.meta.required = true; return this as unknown as Field<Exclude<T, undefined>>; }
  default(v: Exclude<T, undefined> | (T extends number | undefined ? string : never)): Field<Exclude<T, undefined>> {
    this.meta.default = v; return this as unknown as Field<Exclude<T, undefined>>;
  }
  secret(): this { this.meta.secret = true; return this; }
  example(...e: unknown[]): this { this.meta.examples = e; return this; }
  advanced(): this { this.meta.advanced = true; return this; }

  protected baseSchema(): Record<string, unknown> {
    const s: Record<string, unknown> = {};
    if (this.meta.description) s.description = this.meta.description;
    if (this.meta.default !== undefined) s.default = this.meta.default;
    if (this.meta.examples) s.examples = this.meta.examples;
    if (this.meta.deprecated) s.deprecated = true;
    return s;
  }

  protected wrongType(v: unknown, path: Path, ctx: CheckContext, want = this.typeName): undefined {
    ctx.issues.push({ path, message: `expected ${want}, found ${describe(v)}`, at: 'value' });
    return undefined;
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

class StringField extends Field<string | undefined> {
  readonly typeName = 'string';
  constructor(private readonly pattern?: RegExp, private readonly patternHint?: string) { super(); }
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
    if (typeof v !== 'string') return this.wrongType(v, path, ctx);
    if (this.pattern && !this.pattern.test(v)) {
      ctx.issues.push({ path, message: `invalid value ${JSON.stringify(v)}`, hint: this.patternHint, at: 'value' });
      return undefined;
    }
    return v;
  }
  jsonSchema() { return { type: 'string', ...this.baseSchema() }; }
}

class NumberField extends Field<number | undefined> {
  constructor(private readonly integer: boolean, private readonly min?: number, private readonly max?: number) { super(); }
  get typeName() { return this.integer ? 'integer' : 'number'; }
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    // Interpolated values (`${RATE}`) arrive as strings; accept numeric strings.
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) v = Number(v);
    if (typeof v !== 'number' || Number.isNaN(v)) return this.wrongType(v, path, ctx);
    if (this.integer && !Number.isInteger(v)) return this.wrongType(v, path, ctx, 'a whole number');
    if (this.min !== undefined && v < this.min) { ctx.issues.push({ path, message: `must be at least ${this.min}, found ${v}`, at: 'value' }); return undefined; }
    if (this.max !== undefined && v > this.max) { ctx.issues.push({ path, message: `must be at most ${this.max}, found ${v}`, at: 'value' }); return undefined; }
    return v;
  }
  jsonSchema() {
    const s: Record<string, unknown> = { type: this.integer ? 'integer' : 'number', ...this.baseSchema() };
    if (this.min !== undefined) s.minimum = this.min;
    if (this.max !== undefined) s.maximum = this.max;
    return s;
  }
}

class BoolField extends Field<boolean | undefined> {
  readonly typeName = 'boolean';
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (typeof v !== 'boolean') return this.wrongType(v, path, ctx);
    return v;
  }
  jsonSchema() { return { type: 'boolean', ...this.baseSchema() }; }
}

class EnumField<E extends string> extends Field<E | undefined> {
  constructor(readonly values: readonly E[]) { super(); }
  get typeName() { return `one of ${this.values.map((x) => JSON.stringify(x)).join(', ')}`; }
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (typeof v !== 'string' || !this.values.includes(v as E)) {
      const near = typeof v === 'string' ? closest(v, this.values) : undefined;
      ctx.issues.push({ path, message: `expected ${this.typeName}, found ${describe(v)}`, hint: near ? `did you mean "${near}"?` : undefined, at: 'value' });
      return undefined;
    }
    return v as E;
  }
  jsonSchema() { return { enum: [...this.values], ...this.baseSchema() }; }
}

/** A duration: `500ms`, `10s`, `5m`, `1h30m`, or a number of seconds. Parsed to milliseconds. */
class DurationField extends Field<number | undefined> {
  readonly typeName = 'duration (e.g. 500ms, 10s, 5m)';
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (typeof v === 'number' && v >= 0) return v * 1000;
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) return this.wrongType(v, path, ctx);
    return ms;
  }
  jsonSchema() { return { anyOf: [{ type: 'string', pattern: '^([0-9.]+(ms|s|m|h|d))+$' }, { type: 'number', minimum: 0 }], ...this.baseSchema() }; }
}

/** A size: `64KiB`, `10MB`, `1GiB`, or a number of bytes. */
class BytesField extends Field<number | undefined> {
  readonly typeName = 'size (e.g. 512KiB, 10MB)';
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (typeof v === 'number' && v >= 0) return v;
    const n = typeof v === 'string' ? parseBytes(v) : undefined;
    if (n === undefined) return this.wrongType(v, path, ctx);
    return n;
  }
  jsonSchema() { return { anyOf: [{ type: 'string', pattern: '^[0-9.]+\\s*([kKmMgGtT]i?[bB]?|[bB])?$' }, { type: 'integer', minimum: 0 }], ...this.baseSchema() }; }
}

class ListField<T> extends Field<T[] | undefined> {
  constructor(readonly item: Field<T>, private readonly acceptSingle: boolean) { super(); }
  get typeName() { return `a list of ${this.item.typeName}`; }
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (!Array.isArray(v)) {
      if (this.acceptSingle && v !== null && typeof v !== 'object') v = [v];
      else return this.wrongType(v, path, ctx);
    }
    const out: T[] = [];
    (v as unknown[]).forEach((x, i) => {
      const r = this.item.parse(x, [...path, i], ctx);
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  jsonSchema() { return { type: 'array', items: this.item.jsonSchema(), ...this.baseSchema() }; }
}

class MapField<T> extends Field<Record<string, T> | undefined> {
  constructor(readonly value: Field<T>) { super(); }
  get typeName() { return `a map of ${this.value.typeName}`; }
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return this.wrongType(v, path, ctx);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = this.value.parse(x, [...path, k], ctx);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  jsonSchema() { return { type: 'object', additionalProperties: this.value.jsonSchema(), ...this.baseSchema() }; }
}

export type Shape = Record<string, Field<unknown>>;
export type InferShape<S extends Shape> = { [K in keyof S]: S[K]['_type'] };

export class ObjectField<S extends Shape> extends Field<InferShape<S> | undefined> {
  readonly typeName = 'a map';
  constructor(readonly shape: S, private readonly allowUnknown = false) { super(); }
  protected check(v: unknown, path: Path, ctx: CheckContext) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return this.wrongType(v, path, ctx);
    return this.checkObject(v as Record<string, unknown>, path, ctx, []);
  }
  /** Check keys of `v`; `ignore` lists keys that belong to someone else (e.g. `type`, `inputs`). */
  checkObject(v: Record<string, unknown>, path: Path, ctx: CheckContext, ignore: readonly string[]): InferShape<S> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (k in this.shape || ignore.includes(k) || this.allowUnknown) continue;
      const near = closest(k, Object.keys(this.shape));
      ctx.issues.push({ path: [...path, k], message: `unknown option \`${k}\``, hint: near ? `did you mean \`${near}\`?` : `valid options: ${Object.keys(this.shape).join(', ') || '(none)'}`, at: 'key' });
    }
    for (const [k, f] of Object.entries(this.shape)) {
      const r = f.parse(v[k], [...path, k], ctx);
      out[k] = r;
    }
    return out as InferShape<S>;
  }
  jsonSchema() {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [k, f] of Object.entries(this.shape)) {
      properties[k] = f.jsonSchema();
      if (f.meta.required) required.push(k);
    }
    const s: Record<string, unknown> = { type: 'object', properties, ...this.baseSchema() };
    if (!this.allowUnknown) s.additionalProperties = false;
    if (required.length) s.required = required;
    return s;
  }
}

/** Any JSON value (test events, static field values). */
class AnyField extends Field<unknown> {
  readonly typeName = 'any value';
  protected check(v: unknown) { return v; }
  jsonSchema() { return { ...this.baseSchema() }; }
}

/** A field with a custom checker, for values such as expressions that compile at validation time. */
export class CustomField<T> extends Field<T | undefined> {
  constructor(readonly typeName: string, private readonly fn: (v: unknown, path: Path, ctx: CheckContext) => T | undefined, private readonly schema: Record<string, unknown>) { super(); }
  protected check(v: unknown, path: Path, ctx: CheckContext) { return this.fn(v, path, ctx); }
  jsonSchema() { return { ...this.schema, ...this.baseSchema() }; }
}

export const s = {
  string: (pattern?: RegExp, hint?: string) => new StringField(pattern, hint),
  int: (min?: number, max?: number) => new NumberField(true, min, max),
  number: (min?: number, max?: number) => new NumberField(false, min, max),
  bool: () => new BoolField(),
  enum: <E extends string>(...values: E[]) => new EnumField<E>(values),
  duration: () => new DurationField(),
  bytes: () => new BytesField(),
  /** A list; a single scalar is accepted as a one-item list when `single` is true. */
  list: <T>(item: Field<T>, single = false) => new ListField<Exclude<T, undefined>>(item as Field<Exclude<T, undefined>>, single),
  map: <T>(value: Field<T>) => new MapField<Exclude<T, undefined>>(value as Field<Exclude<T, undefined>>),
  object: <S extends Shape>(shape: S, allowUnknown = false) => new ObjectField<S>(shape, allowUnknown),
  any: () => new AnyField(),
  custom: <T>(typeName: string, fn: (v: unknown, path: Path, ctx: CheckContext) => T | undefined, schema: Record<string, unknown> = {}) => new CustomField<T>(typeName, fn, schema),
};

export type Infer<F> = F extends Field<infer T> ? Exclude<T, undefined> : never;

/** Replace secret field values with a marker, for echoing config back (API, validate, logs). */
export function redact(field: Field<unknown>, v: unknown): unknown {
  if (v === undefined || v === null) return v;
  if (field.meta.secret) return '**redacted**';
  if (field instanceof ObjectField && typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const f = (field.shape as Shape)[k];
      out[k] = f ? redact(f, x) : x;
    }
    return out;
  }
  if (field instanceof ListField && Array.isArray(v)) return v.map((x) => redact(field.item, x));
  if (field instanceof MapField && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, redact(field.value, x)]));
  }
  return v;
}
