// Parsers: JSON, key=value, URL, duration. All are fallible: invalid input is a runtime error,
// handled with `parse_x(...) ?? fallback` or try(parse_x(...), fallback).
import { durationToMs } from '../lexer.js';
import { clone, safeSet } from '../runtime.js';
import { A, ANY, N, O, S, Z, def, fail, str } from './registry.js';

/** JSON deeper than this is refused before JSON.parse builds it (later recursive steps would overflow the stack). */
export const MAX_JSON_DEPTH = 128;

function jsonDepthOk(s: string): boolean {
  // A depth of D needs at least D bracket characters, so short strings skip the scan.
  if (s.length <= MAX_JSON_DEPTH) return true;
  let depth = 0, inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++; // backslash
      else if (c === 34) inStr = false;
    } else if (c === 34) inStr = true;
    else if (c === 123 || c === 91) { if (++depth > MAX_JSON_DEPTH) return false; }
    else if (c === 125 || c === 93) depth--;
  }
  return true;
}

def('parse_json', [S | Z], ANY, (s: unknown) => {
  const text = str('parse_json', s);
  if (!jsonDepthOk(text)) throw fail('parse_json', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    // JSON.parse creates "__proto__" keys as own data properties, so parsed objects cannot change prototypes.
    return JSON.parse(text);
  } catch (err) {
    throw fail('parse_json', (err as Error).message);
  }
}, { fallible: true, fresh: true });

def('to_json', [ANY], S, (v: unknown) => {
  try {
    return JSON.stringify(clone(v)) ?? 'null';
  } catch (err) {
    throw fail('to_json', (err as Error).message);
  }
});

/** parse_kv("a=1 b=\"two words\"", " ", "=") -> {a: "1", b: "two words"}; values stay strings. */
def('parse_kv', [S | Z, S, S], O, (s: unknown, fieldSep?: unknown, kvSep?: unknown) => {
  const text = str('parse_kv', s);
  const fs = fieldSep === undefined || fieldSep === null ? ' ' : str('parse_kv', fieldSep, 'a string field separator');
  const ks = kvSep === undefined || kvSep === null ? '=' : str('parse_kv', kvSep, 'a string key/value separator');
  if (fs === '' || ks === '') throw fail('parse_kv', 'separators must not be empty');
  const out: Record<string, unknown> = {};
  const ws = fs.trim() === '';
  let i = 0;
  const n = text.length;
  let count = 0;
  while (i < n) {
    if (ws) { while (i < n && /\s/.test(text[i]!)) i++; }
    if (i >= n) break;
    // read a token up to the field separator, honouring quotes around values
    let key = '', val: string | null = null, j = i;
    const sepAt = (k: number) => (ws ? /\s/.test(text[k]!) : text.startsWith(fs, k));
    while (j < n && !sepAt(j) && !text.startsWith(ks, j)) j++;
    key = text.slice(i, j).trim();
    if (j < n && text.startsWith(ks, j)) {
      j += ks.length;
      const q = text[j];
      if (q === '"' || q === "'") {
        let v = '';
        let k = j + 1;
        for (; k < n && text[k] !== q; k++) {
          if (text[k] === '\\' && k + 1 < n) k++;
          v += text[k];
        }
        if (k >= n) throw fail('parse_kv', `unterminated quoted value for key "${key}"`);
        val = v;
        j = k + 1;
        while (j < n && !sepAt(j)) j++;
      } else {
        const vs = j;
        while (j < n && !sepAt(j)) j++;
        val = text.slice(vs, j).trim();
      }
    }
    if (key !== '' && val !== null) {
      safeSet(out, key, val);
      if (++count > 10_000) throw fail('parse_kv', 'more than 10000 pairs');
    }
    i = ws ? j : j + (j < n ? fs.length : 0);
  }
  return out;
}, { min: 1, fallible: true, fresh: true });

def('parse_url', [S | Z], O, (s: unknown) => {
  const text = str('parse_url', s);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw fail('parse_url', `invalid URL ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text)}`);
  }
  const query: Record<string, unknown> = {};
  for (const [k, v] of u.searchParams) safeSet(query, k, v);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    scheme: u.protocol.replace(/:$/, ''),
    username: u.username === '' ? null : decodeURIComponent(u.username),
    password: u.password === '' ? null : decodeURIComponent(u.password),
    host: host === '' ? null : host,
    port: u.port === '' ? null : Number(u.port),
    path: u.pathname,
    query,
    fragment: u.hash === '' ? null : u.hash.slice(1),
  };
}, { fallible: true, fresh: true });

def('parse_duration', [S | N | Z], N, (s: unknown) => {
  if (typeof s === 'number') return s;
  const text = str('parse_duration', s).trim().replace(/\s+/g, '');
  const ms = durationToMs(text);
  if (ms === null) throw fail('parse_duration', `invalid duration ${JSON.stringify(text)} (use e.g. "1h30m", "250ms", "2d")`);
  return ms;
}, { fallible: true });

def('parse_csv', [S | Z, S], A, (s: unknown, delim?: unknown) => {
  const text = str('parse_csv', s);
  const d = delim === undefined || delim === null ? ',' : str('parse_csv', delim, 'a one-character delimiter');
  if (d.length !== 1) throw fail('parse_csv', 'the delimiter must be one character');
  const out: string[] = [];
  let i = 0;
  const n = text.replace(/\r?\n$/, '').length;
  while (i <= n) {
    if (text[i] === '"') {
      let v = '';
      let k = i + 1;
      for (;;) {
        if (k >= n) throw fail('parse_csv', 'unterminated quoted field');
        if (text[k] === '"') {
          if (text[k + 1] === '"') { v += '"'; k += 2; continue; }
          break;
        }
        v += text[k++];
      }
      out.push(v);
      i = k + 1;
      if (i < n && text[i] !== d) throw fail('parse_csv', `unexpected character after a quoted field at ${i}`);
      i++;
    } else {
      let k = text.indexOf(d, i);
      if (k < 0 || k > n) k = n;
      out.push(text.slice(i, k));
      i = k + 1;
    }
    if (out.length > 100_000) throw fail('parse_csv', 'too many fields');
  }
  return out;
}, { min: 1, fallible: true, fresh: true });

