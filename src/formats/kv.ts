/**
 * key=value parser: `a=1 b="two words" c='x' flag` -> { a: '1', b: 'two words', c: 'x', flag: true }.
 *
 * - The field separator defaults to a single space, which means "any run of spaces or tabs";
 *   any other separator (`,`, `&`, `; `) is matched literally and spaces around keys and
 *   unquoted values are trimmed.
 * - Values (and keys) may be quoted with " or '. Inside quotes, a backslash escapes the quote
 *   character and the backslash itself; any other backslash is kept, so Windows paths survive
 *   (`path="C:\Windows"`).
 * - A word without the key/value delimiter is a standalone key set to `true` (`flag`), but an
 *   input with no `key=value` pair at all is an error: it is not key/value text.
 * - Duplicate keys: the last wins, or (`duplicates: 'array'`) all values are kept in order.
 *
 * Pure and total: parsing never throws (compileKv throws only for invalid options). An input may
 * hold at most MAX_KEYS distinct keys.
 */

export interface KvOptions {
  /** Between pairs. Default ' ' (any whitespace run). */
  fieldSplit?: string;
  /** Between key and value. Default '='. */
  valueSplit?: string;
  /** What to do with a key seen twice. Default 'last'. */
  duplicates?: 'last' | 'array';
}

/** More keys than this is not a log record; building an object that wide costs seconds (~2.6 µs a key). */
export const MAX_KEYS = 10_000;

export type KvValue = string | true | (string | true)[];
export type KvResult = { ok: true; value: Record<string, KvValue> } | { ok: false; error: string };
export type KvParser = (text: string) => KvResult;

/** Compile options once; the returned function parses one input. */
export function compileKv(opts: KvOptions = {}): KvParser {
  const fieldSplit = opts.fieldSplit ?? ' ';
  const valueSplit = opts.valueSplit ?? '=';
  if (fieldSplit === '') throw new TypeError('the field separator must not be empty');
  if (valueSplit === '') throw new TypeError('the key/value delimiter must not be empty');
  if (fieldSplit === valueSplit) throw new TypeError('the field separator and the key/value delimiter must differ');
  const ws = fieldSplit === ' ';
  const asArray = opts.duplicates === 'array';
  const vs0 = valueSplit.charCodeAt(0);
  const fs0 = fieldSplit.charCodeAt(0);

  const atValueSplit = (t: string, i: number) => t.charCodeAt(i) === vs0 && (valueSplit.length === 1 || t.startsWith(valueSplit, i));
  const atFieldSplit = ws
    ? (t: string, i: number) => isWs(t.charCodeAt(i))
    : (t: string, i: number) => t.charCodeAt(i) === fs0 && (fieldSplit.length === 1 || t.startsWith(fieldSplit, i));

  return (t: string): KvResult => {
    try {
      if (typeof t !== 'string') return { ok: false, error: 'input is not a string' };
      const out: Record<string, KvValue> = {};
      let pairs = 0;
      let keys = 0;
      let i = 0;
      const n = t.length;
      while (i < n) {
        // Skip separators (and, with a literal separator, the spaces around it).
        while (i < n && (isWs(t.charCodeAt(i)) || atFieldSplit(t, i))) i += ws || isWs(t.charCodeAt(i)) ? 1 : fieldSplit.length;
        if (i >= n) break;
        // Key
        let key: string;
        const keyStart = i;
        const kq = t.charCodeAt(i);
        if (kq === 34 || kq === 39) {
          const q = readQuoted(t, i);
          if (typeof q === 'string') return { ok: false, error: q };
          key = q.value;
          i = q.end;
        } else {
          while (i < n && !atValueSplit(t, i) && !atFieldSplit(t, i)) i++;
          key = t.slice(keyStart, i).trim();
        }
        if (!atValueSplit(t, i)) {
          // Standalone word: a flag.
          if (i < n && !atFieldSplit(t, i) && !isWs(t.charCodeAt(i))) return { ok: false, error: `unexpected ${JSON.stringify(t[i])} after key at position ${i}` };
          if (key === '') return { ok: false, error: `empty key at position ${keyStart}` };
          if (!Object.hasOwn(out, key) && ++keys > MAX_KEYS) return tooMany();
          put(out, key, true, asArray);
          continue;
        }
        if (key === '') return { ok: false, error: `empty key at position ${keyStart}` };
        i += valueSplit.length;
        if (!ws) while (isWs(t.charCodeAt(i))) i++;
        // Value
        let value: string;
        const vq = t.charCodeAt(i);
        if (vq === 34 || vq === 39) {
          const q = readQuoted(t, i);
          if (typeof q === 'string') return { ok: false, error: q };
          value = q.value;
          i = q.end;
          if (i < n && !atFieldSplit(t, i) && !isWs(t.charCodeAt(i))) return { ok: false, error: `unexpected ${JSON.stringify(t[i])} after the closing quote of "${key}" at position ${i}` };
        } else {
          const vs = i;
          while (i < n && !atFieldSplit(t, i)) i++;
          value = ws ? t.slice(vs, i) : t.slice(vs, i).trim();
        }
        if (!Object.hasOwn(out, key) && ++keys > MAX_KEYS) return tooMany();
        put(out, key, value, asArray);
        pairs++;
      }
      if (pairs === 0) return { ok: false, error: `no key${valueSplit}value pairs found` };
      return { ok: true, value: out };
    } catch (e) {
      return { ok: false, error: `internal parser error: ${(e as Error).message}` };
    }
  };
}

/** One-off parse (compiles the options each call; use compileKv in hot paths). */
export function parseKv(text: string, opts?: KvOptions): KvResult {
  return compileKv(opts)(text);
}

function tooMany(): KvResult { return { ok: false, error: `more than ${MAX_KEYS} distinct keys` }; }

function isWs(c: number): boolean { return c === 32 || c === 9; }

function readQuoted(t: string, i: number): { value: string; end: number } | string {
  const q = t.charCodeAt(i);
  let j = i + 1;
  let start = j;
  let value = '';
  for (;;) {
    if (j >= t.length) return `unterminated quoted string starting at position ${i}`;
    const c = t.charCodeAt(j);
    if (c === q) break;
    if (c === 92 /* \ */) {
      const next = t.charCodeAt(j + 1);
      if (next === q || next === 92) { value += t.slice(start, j); start = j + 1; j += 2; continue; }
    }
    j++;
  }
  return { value: value + t.slice(start, j), end: j + 1 };
}

function put(out: Record<string, KvValue>, key: string, value: string | true, asArray: boolean): void {
  if (asArray && Object.hasOwn(out, key)) {
    const prev = out[key]!;
    if (Array.isArray(prev)) prev.push(value);
    else setOwn(out, key, [prev, value]);
    return;
  }
  setOwn(out, key, value);
}

/** Own property write that cannot touch the prototype (keys come from the input). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
