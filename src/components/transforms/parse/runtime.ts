/**
 * The parse transform's per-event code. build() picks one specialised loop for the config: the
 * JSON-into-root path (the reference pipeline's hot path) has its own loop; every other
 * combination goes through the general loop with a compiled text -> value parser.
 */
import RE2 from 're2';
import { ComponentConfigError, type TransformOutput, type TransformRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { compileCsv } from '../../../formats/csv.js';
import { compileKv } from '../../../formats/kv.js';
import { parseSyslog } from '../../../formats/syslog.js';
import { ZeekTsvReader } from '../../../formats/zeek.js';
import { compileFieldPath, FieldPathError, type FieldPath } from '../../_shared/field-path.js';
import { converter, describeValue, INVALID, type TypeName } from './convert.js';
import { describeJsonError } from './json-error.js';

export type Format = 'json' | 'syslog' | 'kv' | 'csv' | 'regex' | 'zeek';

export interface ParseOptions {
  field: string;
  format: Format;
  target: string;
  drop_field?: boolean;
  kv?: { field_split: string; value_split: string; duplicates: 'last' | 'array' };
  csv?: { columns: string[]; delimiter: string };
  regex?: { pattern: string };
  syslog?: { timezone: 'local' | 'utc' };
  zeek?: { file_field: string; max_files: number };
  types?: Record<string, TypeName>;
}

type Result = { ok: true; value: unknown } | { ok: false; error: string };
/** `value: null`: the text was consumed without making an event (a Zeek header line). */
type Parser = (text: string, e: Event) => Result | { ok: true; value: null };
type Obj = Record<string, unknown>;

const CODE = 'parse_failed';

export function buildParse(cfg: ParseOptions): TransformRuntime {
  const source = toPath(cfg.field, ['field']);
  if (source === null) throw new ComponentConfigError('`field` must name a field, not the event root', ['field']);
  const target = toPath(cfg.target, ['target']);
  // Default: drop the raw text only when it is fully redundant (JSON merged into the root: every
  // byte of it now lives in the event, and keeping it would double the event's size).
  const drop = cfg.drop_field ?? (cfg.format === 'json' && target === null);
  const convert = compileTypes(cfg.types);
  const parse = compileParser(cfg);

  if (cfg.format === 'json' && target === null && source.segments.length === 1) return jsonIntoRoot(source.segments[0] as string, drop, convert);

  const sourceName = cfg.field;
  return {
    process(events: Event[], out: TransformOutput) {
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const raw = source.get(e);
        if (typeof raw !== 'string') { out.error(e, notText(sourceName, raw), CODE); continue; }
        const r = parse(raw, e);
        if (!r.ok) { out.error(e, r.error, CODE); continue; }
        const v = r.value;
        if (v === null && cfg.format === 'zeek') { out.discard(1, 'zeek header'); continue; }
        if (target === null && !isObject(v)) { out.error(e, notObject(v), CODE); continue; }
        if (convert !== null && isObject(v)) {
          const bad = convert(v);
          if (bad !== null) { out.error(e, bad, CODE); continue; }
        }
        if (drop) source.delete(e);
        if (target === null) {
          if (cfg.format === 'json') { out.push(mergeOriginal(v as Obj, e)); continue; }
          for (const k in v as Obj) setOwn(e, k, (v as Obj)[k]);
        } else target.set(e, v);
        out.push(e);
      }
    },
  };
}

/**
 * JSON text merged into the event root. The parsed object becomes the new event and the original's
 * other fields are copied onto it (parsed fields win), instead of copying every parsed field onto
 * the original: events carry few fields besides the raw text, so this is the cheaper direction.
 */
function jsonIntoRoot(key: string, drop: boolean, convert: ((v: Obj) => string | null) | null): TransformRuntime {
  return {
    process(events: Event[], out: TransformOutput) {
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const raw = e[key];
        if (typeof raw !== 'string') { out.error(e, notText(key, raw), CODE); continue; }
        let v: unknown;
        try { v = JSON.parse(raw); } catch (err) { out.error(e, describeJsonError(raw, (err as Error).message), CODE); continue; }
        if (v === null || typeof v !== 'object' || Array.isArray(v)) { out.error(e, notObject(v), CODE); continue; }
        if (convert !== null) {
          const bad = convert(v as Obj);
          if (bad !== null) { out.error(e, bad, CODE); continue; }
        }
        const p = v as Obj;
        for (const k in e) {
          if ((drop && k === key) || Object.hasOwn(p, k)) continue;
          if (k === '__proto__') setOwn(p, k, e[k]); else p[k] = e[k];
        }
        out.push(p);
      }
    },
  };
}

/**
 * Zeek TSV: one header state per file (a Map in least-recently-used order, bounded), since lines
 * of several files interleave in one stream and each file's header types its own lines.
 */
function zeekParser(fileField: string, maxFiles: number): Parser {
  const fileOf = fileField === '' ? null : compileFieldPath(fileField);
  const readers = new Map<string, ZeekTsvReader>();
  return (text, e) => {
    const f = fileOf === null ? '' : fileOf.get(e);
    const key = typeof f === 'string' ? f : '';
    let r = readers.get(key);
    if (r === undefined) {
      if (readers.size >= maxFiles) readers.delete(readers.keys().next().value!);
      r = new ZeekTsvReader();
    } else readers.delete(key);
    readers.set(key, r);
    const res = r.line(text);
    if (!res.ok) return { ok: false, error: `invalid Zeek log line${key ? ` in ${key}` : ''}: ${res.reason}` };
    return { ok: true, value: res.event };
  };
}

function mergeOriginal(p: Obj, e: Event): Obj {
  for (const k in e) if (!Object.hasOwn(p, k)) setOwn(p, k, e[k]);
  return p;
}

function compileParser(cfg: ParseOptions): Parser {
  const misplaced = (['kv', 'csv', 'regex', 'syslog', 'zeek'] as const).find((f) => f !== cfg.format && cfg[f] !== undefined);
  if (misplaced) throw new ComponentConfigError(`\`${misplaced}\` options apply only to \`format: ${misplaced}\` (format is ${cfg.format})`, [misplaced], `remove \`${misplaced}\` or set \`format: ${misplaced}\``);
  switch (cfg.format) {
    case 'zeek':
      return zeekParser(cfg.zeek?.file_field ?? 'file', cfg.zeek?.max_files ?? 1024);
    case 'json':
      return (text) => {
        try { return { ok: true, value: JSON.parse(text) }; } catch (err) { return { ok: false, error: describeJsonError(text, (err as Error).message) }; }
      };
    case 'syslog': {
      const opts = { timezone: cfg.syslog?.timezone ?? 'local' };
      return (text) => {
        const r = parseSyslog(text, opts);
        return r.ok ? r : { ok: false, error: `invalid syslog: ${r.error}` };
      };
    }
    case 'kv': {
      const o = cfg.kv;
      let p: ReturnType<typeof compileKv>;
      try { p = compileKv({ fieldSplit: o?.field_split, valueSplit: o?.value_split, duplicates: o?.duplicates }); } catch (err) {
        throw new ComponentConfigError((err as Error).message, ['kv']);
      }
      return (text) => {
        const r = p(text);
        return r.ok ? r : { ok: false, error: `invalid key/value text: ${r.error}` };
      };
    }
    case 'csv': {
      let p: ReturnType<typeof compileCsv>;
      try { p = compileCsv({ delimiter: cfg.csv?.delimiter, columns: cfg.csv?.columns }); } catch (err) {
        throw new ComponentConfigError((err as Error).message, /delimiter/.test((err as Error).message) ? ['csv', 'delimiter'] : ['csv', 'columns']);
      }
      return (text) => {
        const r = p(text);
        return r.ok ? r : { ok: false, error: `invalid CSV: ${r.error}` };
      };
    }
    case 'regex':
      return compileRegex(cfg.regex?.pattern);
  }
}

function compileRegex(pattern: string | undefined): Parser {
  if (pattern === undefined) throw new ComponentConfigError('`format: regex` needs `regex.pattern`', ['regex'], 'e.g. regex: { pattern: \'user=(?P<user>\\S+)\' }');
  let re: RE2;
  try { re = new RE2(pattern, 'u'); } catch (err) {
    throw new ComponentConfigError(`invalid regex: ${(err as Error).message}`, ['regex', 'pattern'], 'patterns use RE2 syntax: no lookaround or backreferences; name groups with (?P<name>...)');
  }
  const names = [...pattern.matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
  if (names.length === 0) throw new ComponentConfigError('the pattern has no named groups, so it would produce no fields', ['regex', 'pattern'], 'name what to capture: (?P<user>\\S+)');
  return (text) => {
    const m = re.exec(text);
    if (m === null) return { ok: false, error: 'text does not match regex.pattern' };
    const g = m.groups!;
    const v: Obj = {};
    for (let i = 0; i < names.length; i++) {
      const x = g[names[i]!];
      if (x !== undefined) setOwn(v, names[i]!, x);
    }
    return { ok: true, value: v };
  };
}

/** `types:` -> one function converting the parsed value in place; returns the reason on failure. */
function compileTypes(types: Record<string, TypeName> | undefined): ((v: Obj) => string | null) | null {
  if (!types || Object.keys(types).length === 0) return null;
  const steps = Object.entries(types).map(([p, t]) => {
    const path = toPath(p, ['types', p]);
    if (path === null) throw new ComponentConfigError('a `types` key must name a field', ['types', p]);
    return { name: p, path, type: t, fn: converter(t) };
  });
  return (v) => {
    for (const s of steps) {
      const x = s.path.get(v);
      if (x === undefined) continue;
      const y = s.fn(x);
      if (y === INVALID) return `field "${s.name}": cannot convert ${describeValue(x)} to ${s.type}`;
      s.path.set(v, y);
    }
    return null;
  };
}

// ---------------------------------------------------------------------------------------------

/** A field path from the config; `.` (the root) is null. */
function toPath(text: string, at: (string | number)[]): FieldPath | null {
  if (text === '.' || text === '') return null;
  try { return compileFieldPath(text); } catch (err) {
    throw new ComponentConfigError((err as Error).message, at, err instanceof FieldPathError ? err.hint : undefined);
  }
}

function setOwn(o: Obj, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function notText(field: string, v: unknown): string {
  return v === undefined ? `field \`${field}\` is missing` : `field \`${field}\` is ${describeValue(v)}, not text`;
}

function notObject(v: unknown): string {
  const what = v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`;
  return `parsed value is ${what}, not an object: set \`target\` to a field name to keep it`;
}
