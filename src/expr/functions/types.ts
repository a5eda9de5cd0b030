// Type conversion, type checks and numbers. Conversions are explicit: the language never coerces silently.
import { clone, isArray, keysOf } from '../runtime.js';
import { Regex, typeName } from '../values.js';
import { ANY, A, B, N, S, Z, def, fail, int, num, wrongType } from './registry.js';

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

def('to_int', [ANY], N | Z, (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw fail('to_int', `cannot convert ${v} to an integer`);
    return Math.trunc(v);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (INT_RE.test(t) || FLOAT_RE.test(t)) return Math.trunc(Number(t));
    if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
    throw fail('to_int', `cannot convert ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)} to an integer`);
  }
  throw wrongType('to_int', 'a number, string or boolean', v);
}, { fallible: true });

def('to_float', [ANY], N | Z, (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (FLOAT_RE.test(t)) return Number(t);
    throw fail('to_float', `cannot convert ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)} to a number`);
  }
  throw wrongType('to_float', 'a number, string or boolean', v);
}, { fallible: true });

def('to_string', [ANY], S | Z, (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && !isArray(v) && typeName(v) !== 'object') return String(v);
  try {
    return JSON.stringify(clone(v));
  } catch (err) {
    throw fail('to_string', (err as Error).message);
  }
});

const TRUE = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', 'off', '0']);
def('to_bool', [ANY], B | Z, (v: unknown) => {
  if (v === null) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (TRUE.has(t)) return true;
    if (FALSE.has(t)) return false;
    throw fail('to_bool', `cannot convert ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)} to a boolean`);
  }
  throw wrongType('to_bool', 'a boolean, number or string', v);
}, { fallible: true });

def('type_of', [ANY], S, (v: unknown) => typeName(v), { safe: true });
def('is_null', [ANY], B, (v: unknown) => v === null || v === undefined, { safe: true });
def('is_string', [ANY], B, (v: unknown) => typeof v === 'string', { safe: true });
def('is_number', [ANY], B, (v: unknown) => typeof v === 'number', { safe: true });
def('is_integer', [ANY], B, (v: unknown) => typeof v === 'number' && Number.isInteger(v), { safe: true });
def('is_boolean', [ANY], B, (v: unknown) => typeof v === 'boolean', { safe: true });
def('is_array', [ANY], B, (v: unknown) => isArray(v), { safe: true });
def('is_object', [ANY], B, (v: unknown) => typeName(v) === 'object', { safe: true });
def('is_regex', [ANY], B, (v: unknown) => v instanceof Regex, { safe: true });
def('is_empty', [ANY], B, (v: unknown) => {
  if (v === null || v === undefined || v === '') return true;
  if (isArray(v)) return v.length === 0;
  return typeName(v) === 'object' && keysOf(v as object).length === 0;
});

// ---- numbers ----
const NN = N | Z;
def('abs', [NN], NN, (v: unknown) => (v === null ? null : Math.abs(num('abs', v))));
def('floor', [NN], NN, (v: unknown) => (v === null ? null : Math.floor(num('floor', v))));
def('ceil', [NN], NN, (v: unknown) => (v === null ? null : Math.ceil(num('ceil', v))));
def('round', [NN, N], NN, (v: unknown, digits?: unknown) => {
  if (v === null) return null;
  const x = num('round', v);
  const d = digits === undefined || digits === null ? 0 : int('round', digits, 'an integer number of digits');
  if (d < 0 || d > 15) throw fail('round', 'digits must be between 0 and 15');
  const f = 10 ** d;
  return Math.round((x + Number.EPSILON * Math.sign(x)) * f) / f;
}, { min: 1 });

function extreme(fn: string, args: unknown[], pick: (a: number, b: number) => boolean): unknown {
  const items = args.length === 1 && isArray(args[0]) ? args[0] : args;
  let best: unknown = null;
  for (const x of items) {
    if (x === null || x === undefined) continue;
    if (typeof x !== 'number' && typeof x !== 'string') throw wrongType(fn, 'numbers or strings', x);
    if (best !== null && typeof best !== typeof x) throw fail(fn, `cannot compare ${typeName(best)} with ${typeName(x)}`);
    if (best === null || pick(x as number, best as number)) best = x;
  }
  return best;
}
def('min', [NN | S | A], ANY, (...a: unknown[]) => extreme('min', a, (x, y) => x < y), { min: 1, max: Infinity });
def('max', [NN | S | A], ANY, (...a: unknown[]) => extreme('max', a, (x, y) => x > y), { min: 1, max: Infinity });

