// Lexer: expression text -> tokens with source offsets.
import { isIPv6 } from 'node:net';
import { compileError, type SourcePosition } from './errors.js';

export type TokKind =
  | 'num' // value: number (durations are already converted to milliseconds)
  | 'str' // value: decoded string
  | 'regex' // value: pattern source, flags in `flags` (from /.../flags or r'...')
  | 'cidr' // value: network text
  | 'word' // identifiers and keywords; value: the word
  | 'op' // punctuation; value: the operator text
  | 'eof';

export interface Token {
  kind: TokKind;
  value: string | number;
  flags?: string;
  start: number;
  end: number;
  /** A newline (or comment ending in one) separates this token from the previous one. */
  nl: boolean;
}

const OPS2 = new Set(['==', '!=', '<=', '>=', '=~', '!~', '&&', '||', '??']);
const NOT_VALUE_WORDS = new Set(['and', 'or', 'not', 'in', 'if', 'else', 'abort', 'let']);
const OPS1 = '+-*/%<>=!?:;,.()[]{}';

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000,
};
const DURATION_RE = /(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w))+(?![A-Za-z0-9_])/y;
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/g;
const IPV4_RE = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d{1,3})?(?![\w.])/y;
const IPV6_RE = /[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\/\d{1,3}(?![\w.])/y;
const NUM_RE = /(?:0[xX][0-9A-Fa-f]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 64;
}
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}

function isHexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Duration text such as "1h30m" or "250ms" -> milliseconds, or null. */
export function durationToMs(text: string): number | null {
  DURATION_RE.lastIndex = 0;
  const m = DURATION_RE.exec(text);
  if (!m || m[0].length !== text.length) return null;
  let ms = 0;
  for (const p of text.matchAll(DURATION_PART)) ms += Number(p[1]) * DURATION_UNITS[p[2]!]!;
  return ms;
}

/** Tokens that end a value: after them `/` is division, otherwise it starts a regex literal. */
function endsValue(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'num' || t.kind === 'str' || t.kind === 'regex' || t.kind === 'cidr') return true;
  if (t.kind === 'word') return !NOT_VALUE_WORDS.has(t.value as string);
  return t.kind === 'op' && (t.value === ')' || t.value === ']' || t.value === '}' || t.value === '.');
}

export function tokenize(src: string, origin?: SourcePosition): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let nl = false;
  const n = src.length;
  const err = (start: number, end: number, msg: string, hint?: string, incomplete = false) =>
    compileError(src, start, end, msg, origin, hint, incomplete);
  const push = (kind: TokKind, value: string | number, start: number, end: number, flags?: string) => {
    const t: Token = { kind, value, start, end, nl };
    if (flags !== undefined) t.flags = flags;
    toks.push(t);
    nl = false;
  };

  while (i < n) {
    const c = src[i]!;
    if (c === '\n') { nl = true; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    // CIDR literals come before numbers and words: 10.0.0.0/8, 2001:db8::/32, fe80::/10, ::1/128
    const code = src.charCodeAt(i);
    if (isHexOrColon(code)) {
      let dots = 0, j0 = i;
      while (j0 < n && ((src.charCodeAt(j0) >= 48 && src.charCodeAt(j0) <= 57) || src.charCodeAt(j0) === 46)) {
        if (src.charCodeAt(j0) === 46) dots++;
        j0++;
      }
      if (code >= 48 && code <= 57 && dots === 3) {
        IPV4_RE.lastIndex = i;
        const m = IPV4_RE.exec(src);
        if (m) {
          if (!m[0].includes('/')) {
            throw err(start, start + m[0].length, 'an IP address literal must be a network with a prefix length',
              `write "${m[0]}" as a string to compare it, or ${m[0]}/32 to test membership with \`in\``);
          }
          push('cidr', m[0], start, start + m[0].length);
          i += m[0].length;
          continue;
        }
      }
      // IPv6 only when the run of hex/colon/dot characters contains a colon and is followed by "/"
      let j = i;
      while (j < n && (isHexOrColon(src.charCodeAt(j)) || src.charCodeAt(j) === 46)) j++;
      if (src.charCodeAt(j) === 47 && src.slice(i, j).includes(':')) {
        IPV6_RE.lastIndex = i;
        const m = IPV6_RE.exec(src);
        if (m && isIPv6(m[0].slice(0, m[0].lastIndexOf('/')))) {
          push('cidr', m[0], start, start + m[0].length);
          i += m[0].length;
          continue;
        }
      }
    }
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < n && ((src.charCodeAt(j) >= 48 && src.charCodeAt(j) <= 57) || src.charCodeAt(j) === 46)) j++;
      DURATION_RE.lastIndex = i;
      const d = j < n && isWordStart(src.charCodeAt(j)) ? DURATION_RE.exec(src) : null;
      if (d) {
        push('num', durationToMs(d[0])!, start, start + d[0].length);
        i += d[0].length;
        continue;
      }
      NUM_RE.lastIndex = i;
      const m = NUM_RE.exec(src)!;
      i += m[0].length;
      if (i < n && (isWordChar(src.charCodeAt(i)) || src.charCodeAt(i) === 64)) {
        let j = i;
        while (j < n && (isWordChar(src.charCodeAt(j)) || src.charCodeAt(j) === 64)) j++;
        throw err(start, j, `invalid number or duration literal "${src.slice(start, j)}"`,
          'durations use the units ns, us, ms, s, m, h, d, w (e.g. 1h30m, 250ms)');
      }
      push('num', Number(m[0]), start, i);
      continue;
    }
    // raw strings r'...' / r"..." are regex literals
    if (c === 'r' && (src[i + 1] === "'" || src[i + 1] === '"')) {
      const q = src[i + 1]!;
      const close = src.indexOf(q, i + 2);
      if (close < 0) throw err(start, n, 'unterminated regex literal', undefined, true);
      push('regex', src.slice(i + 2, close), start, close + 1, '');
      i = close + 1;
      continue;
    }
    if (isWordStart(code)) {
      let j = i + 1;
      while (j < n && isWordChar(src.charCodeAt(j))) j++;
      push('word', src.slice(i, j), start, j);
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      const [value, end] = readString(src, i, err);
      push('str', value, start, end);
      i = end;
      continue;
    }
    if (c === '/' && !endsValue(toks[toks.length - 1])) {
      let j = i + 1, inClass = false;
      for (; j < n; j++) {
        const ch = src[j];
        if (ch === '\\') { j++; continue; }
        if (ch === '\n') throw err(start, j, 'unterminated regex literal');
        if (inClass) { if (ch === ']') inClass = false; continue; }
        if (ch === '[') inClass = true;
        else if (ch === '/') break;
      }
      if (j >= n) throw err(start, n, 'unterminated regex literal', undefined, true);
      let k = j + 1;
      while (k < n && /[A-Za-z]/.test(src[k]!)) k++;
      const flags = src.slice(j + 1, k);
      if (!/^[ims]*$/.test(flags) || new Set(flags).size !== flags.length) {
        throw err(j + 1, k, `invalid regex flags "${flags}"`, 'supported flags: i (ignore case), m (multi-line), s (dot matches newline)');
      }
      push('regex', src.slice(i + 1, j), start, k, flags);
      i = k;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.has(two)) { push('op', two, start, i + 2); i += 2; continue; }
    if (OPS1.includes(c)) { push('op', c, start, i + 1); i++; continue; }
    throw err(start, start + 1, `unexpected character ${JSON.stringify(c)}`);
  }
  push('eof', '', n, n);
  return toks;
}

function readString(
  src: string, start: number,
  err: (s: number, e: number, m: string, h?: string, inc?: boolean) => Error,
): [string, number] {
  const q = src[start]!;
  let out = '';
  let i = start + 1;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === q) return [out, i + 1];
    if (c === '\n') throw err(start, i, 'unterminated string literal', 'strings cannot span lines; use \\n');
    if (c !== '\\') { out += c; i++; continue; }
    const e = src[i + 1];
    switch (e) {
      case 'n': out += '\n'; i += 2; break;
      case 't': out += '\t'; i += 2; break;
      case 'r': out += '\r'; i += 2; break;
      case '0': out += '\0'; i += 2; break;
      case '\\': case '"': case "'": case '/': out += e; i += 2; break;
      case 'x': {
        const h = src.slice(i + 2, i + 4);
        if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw err(i, i + 4, 'invalid \\x escape (expected two hex digits)');
        out += String.fromCharCode(parseInt(h, 16)); i += 4; break;
      }
      case 'u': {
        let h: string, len: number;
        if (src[i + 2] === '{') {
          const close = src.indexOf('}', i + 3);
          h = close < 0 ? '' : src.slice(i + 3, close);
          len = close + 1 - i;
          if (!/^[0-9A-Fa-f]{1,6}$/.test(h) || parseInt(h, 16) > 0x10ffff) throw err(i, i + 3, 'invalid \\u{...} escape');
        } else {
          h = src.slice(i + 2, i + 6);
          len = 6;
          if (!/^[0-9A-Fa-f]{4}$/.test(h)) throw err(i, i + 6, 'invalid \\u escape (expected four hex digits)');
        }
        out += String.fromCodePoint(parseInt(h, 16)); i += len; break;
      }
      default:
        throw err(i, i + 2, `invalid escape sequence "\\${e ?? ''}"`, 'valid escapes: \\n \\t \\r \\0 \\\\ \\" \\\' \\xHH \\uHHHH \\u{H...}');
    }
  }
  // not "incomplete": a string cannot continue on the next line anyway
  throw err(start, n, 'unterminated string literal', 'close the string with a matching quote');
}
