/**
 * `types:` conversions applied to parsed fields: text from kv/csv/regex/syslog becomes numbers,
 * booleans and normalised timestamps. A value that cannot be converted fails the event (to the
 * errors output with the reason) rather than passing a silently wrong type downstream.
 */

export const typeNames = ['int', 'float', 'bool', 'timestamp', 'string'] as const;
export type TypeName = (typeof typeNames)[number];

/** Returned when a value cannot be converted (no allocation on the success path). */
export const INVALID: unique symbol = Symbol('invalid');

const intRe = /^[+-]?\d+$/;
const floatRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const numericRe = /^[+-]?\d+(?:\.\d+)?$/;

const truthy = new Set(['true', 'yes', 'on', '1', 't', 'y']);
const falsy = new Set(['false', 'no', 'off', '0', 'f', 'n']);

export function converter(type: TypeName): (v: unknown) => unknown {
  switch (type) {
    case 'int': return toInt;
    case 'float': return toFloat;
    case 'bool': return toBool;
    case 'timestamp': return toTimestamp;
    case 'string': return toStr;
  }
}

function toInt(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : INVALID;
  if (typeof v !== 'string') return INVALID;
  const s = v.trim();
  if (!intRe.test(s)) return INVALID;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : INVALID;
}

function toFloat(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return INVALID;
  const s = v.trim();
  if (!floatRe.test(s)) return INVALID;
  const n = Number(s);
  return Number.isFinite(n) ? n : INVALID;
}

function toBool(v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== 'string') return INVALID;
  const s = v.trim().toLowerCase();
  if (truthy.has(s)) return true;
  if (falsy.has(s)) return false;
  return INVALID;
}

/**
 * ISO 8601 / RFC 2822 text (whatever Date.parse reads), or a Unix time: numbers below 1e11 are
 * seconds (1e11 s is the year 5138), larger ones milliseconds. Output: ISO 8601 in UTC.
 */
function toTimestamp(v: unknown): unknown {
  let ms: number;
  if (typeof v === 'number') ms = epochMs(v);
  else if (typeof v === 'string') {
    const s = v.trim();
    ms = numericRe.test(s) ? epochMs(Number(s)) : Date.parse(s);
  } else return INVALID;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return INVALID;
  return new Date(ms).toISOString();
}

function epochMs(n: number): number {
  return Math.abs(n) < 1e11 ? Math.round(n * 1000) : Math.round(n);
}

function toStr(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return INVALID;
  return JSON.stringify(v);
}

export function describeValue(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v) : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : String(v);
  return s;
}
