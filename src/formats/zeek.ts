/**
 * Zeek's tab-separated ("ASCII") log format, read one line at a time:
 *
 *   #separator \x09
 *   #set_separator	,
 *   #empty_field	(empty)
 *   #unset_field	-
 *   #path	conn
 *   #open	2026-11-23-10-00-00
 *   #fields	ts	uid	id.orig_h	id.orig_p	...
 *   #types	time	string	addr	port	...
 *   1795428000.123456	CHLXQF2OBY4onAR0Ug	192.0.2.10	62771	...
 *   #close	2026-11-23-11-00-00
 *
 * Each data line becomes an event with the field names exactly as Zeek writes them (`id.orig_h`
 * is one flat key, as in Zeek's JSON output) plus `_path` from the #path header, so TSV and JSON
 * logs of the same kind have the same shape. Values are typed by #types: time, interval and
 * double are numbers (epoch seconds keep their fractions), count/int/port are numbers, bool is
 * true/false, set[..] and vector[..] are arrays; an unset field (`-`) is left out; `(empty)` is
 * '' or [] by type. Zeek escapes bytes it would not print (and the separators) as `\xHH` and a
 * backslash as `\\`; both are decoded, and runs of `\xHH` that form UTF-8 become those characters.
 * Bytes that are not UTF-8 stay written as `\xHH`, as Zeek's JSON writer keeps them.
 *
 * The reader is a small state machine so it works on a stream: headers update the state, data
 * lines use it. A new #separator line starts a new header block (concatenated or rotated files).
 * Total: it never throws; a bad line comes back as { ok: false, reason } naming the line number.
 */

export type ZeekScalar = string | number | boolean;
/** A typed value; arrays hold null where a vector element was unset. */
export type ZeekValue = ZeekScalar | (ZeekScalar | null)[];
export type ZeekEvent = Record<string, ZeekValue>;

export type ZeekLineResult =
  /** `event` is null for header, comment and blank lines. */
  | { ok: true; event: ZeekEvent | null }
  | { ok: false; reason: string; line: number };

/** More columns than this is not a Zeek log; building objects that wide costs seconds. */
export const MAX_FIELDS = 10_000;

/** Event shapes remembered per header block (see ZeekTsvReader.template). */
const MAX_TEMPLATES = 256;

/** Marks a value that does not fit its declared type (never a valid value). */
const INVALID: unique symbol = Symbol('invalid');
type Converter = (raw: string) => ZeekValue | typeof INVALID;

const SKIP: ZeekLineResult = Object.freeze({ ok: true, event: null }) as ZeekLineResult;
const COUNT = /^\d+$/;
const INT = /^[-+]?\d+$/;
const REAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ZeekTsvReader {
  private n = 0;
  private sep = '\t';
  private setSep = ',';
  private emptyField = '(empty)';
  private unsetField = '-';
  private _path: string | undefined;
  private _fields: string[] | undefined;
  private types: string[] | undefined;
  private converters: Converter[] | undefined;
  private _open: string | undefined;
  private _close: string | undefined;
  private templates = new Map<string, ZeekEvent>();

  /** The #path of the current header block (the log's name: conn, dns, ...). */
  get path(): string | undefined { return this._path; }
  /** The #fields of the current header block. */
  get fields(): readonly string[] | undefined { return this._fields; }
  /** The #open and #close times as Zeek writes them (`2026-11-23-10-00-00`). */
  get open(): string | undefined { return this._open; }
  get close(): string | undefined { return this._close; }
  /** How many lines have been read (the number of the last line). */
  get lineNumber(): number { return this.n; }

  /** Read one line (without its newline; a trailing CR is ignored). */
  line(text: string): ZeekLineResult {
    this.n++;
    try {
      if (typeof text !== 'string') return this.fail('the line is not a string');
      if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
      if (text === '') return SKIP;
      // Zeek escapes a '#' that starts a data field, so a line starting with '#' is a header.
      if (text.charCodeAt(0) === 35) return this.directive(text);
      return this.data(text);
    } catch (e) {
      return this.fail(`internal reader error: ${(e as Error).message}`);
    }
  }

  private fail(reason: string): ZeekLineResult {
    return { ok: false, reason: `line ${this.n}: ${reason}`, line: this.n };
  }

  private directive(text: string): ZeekLineResult {
    if (text.startsWith('#separator')) {
      // The one header whose value follows a space: the separator is not known yet.
      const c = text.charCodeAt(10);
      if (c !== 32 && c !== 9) return this.fail('#separator must be followed by a space and the separator (e.g. "#separator \\x09")');
      const sep = unescape(text.slice(11));
      if (sep === '') return this.fail('#separator is empty');
      // A new header block: forget the previous file's state.
      this.sep = sep;
      this.setSep = ',';
      this.emptyField = '(empty)';
      this.unsetField = '-';
      this._path = this._fields = this.types = this.converters = this._open = this._close = undefined;
      this.templates.clear();
      return SKIP;
    }
    const at = text.indexOf(this.sep);
    const name = at < 0 ? text : text.slice(0, at);
    const value = at < 0 ? '' : text.slice(at + this.sep.length);
    switch (name) {
      case '#set_separator': {
        const v = unescape(value);
        if (v === '') return this.fail('#set_separator is empty');
        this.setSep = v;
        return this.recompile();
      }
      case '#empty_field': this.emptyField = unescape(value); return this.recompile();
      case '#unset_field': this.unsetField = unescape(value); return this.recompile();
      case '#path': this._path = unescape(value) || undefined; this.templates.clear(); return SKIP;
      case '#open': this._open = value; this._close = undefined; return SKIP;
      case '#close': this._close = value; this._fields = this.converters = undefined; return SKIP;
      case '#fields': {
        const names = value.split(this.sep).map(unescape);
        if (value === '') return this.fail('#fields lists no fields');
        if (names.length > MAX_FIELDS) return this.fail(`#fields lists ${names.length} fields, more than the limit of ${MAX_FIELDS}`);
        const seen = new Set<string>();
        for (const f of names) {
          if (f === '') return this.fail('#fields has an empty field name');
          if (seen.has(f)) return this.fail(`#fields lists ${JSON.stringify(f)} twice`);
          seen.add(f);
        }
        this._fields = names;
        this._close = undefined;
        // #types normally follows; types from an earlier block only apply if they still line up.
        if (this.types && this.types.length !== names.length) this.types = undefined;
        return this.recompile();
      }
      case '#types': {
        const types = value.split(this.sep);
        if (this._fields && types.length !== this._fields.length) {
          this.types = undefined;
          this.recompile();
          return this.fail(`#types lists ${types.length} types but #fields lists ${this._fields.length} fields; values are read as strings`);
        }
        this.types = types;
        return this.recompile();
      }
      default:
        // Other '#' lines (comments, directives of newer writers) carry no data.
        return SKIP;
    }
  }

  private recompile(): ZeekLineResult {
    this.templates.clear();
    if (!this._fields) { this.converters = undefined; return SKIP; }
    const types = this.types;
    this.converters = this._fields.map((_, i) => converter(types?.[i] ?? 'string', this.setSep, this.emptyField, this.unsetField));
    return SKIP;
  }

  /**
   * An object with this line's keys, to copy. Adding 20-odd computed keys to `{}` one by one
   * leaves V8 with a slow dictionary-mode object, and every later read of the event pays for it
   * (~2x on the OCSF mapping); a copy of a template built in one go stays fast. One template per
   * set of unset fields, a few dozen at most in practice, bounded anyway.
   */
  private template(shape: string, vals: readonly (ZeekValue | undefined)[]): ZeekEvent {
    let t = this.templates.get(shape);
    if (t) return t;
    const entries: [string, ZeekValue][] = [];
    if (this._path !== undefined) entries.push(['_path', this._path]);
    for (let i = 0; i < vals.length; i++) if (vals[i] !== undefined) entries.push([this._fields![i]!, '']);
    t = Object.fromEntries(entries) as ZeekEvent;
    if (this.templates.size < MAX_TEMPLATES) this.templates.set(shape, t);
    return t;
  }

  private data(text: string): ZeekLineResult {
    const fields = this._fields;
    const conv = this.converters;
    if (!fields || !conv) {
      return this.fail(this._close !== undefined ? 'data line after #close without a new #fields header' : 'data line before the #fields header');
    }
    const parts = text.split(this.sep);
    if (parts.length !== fields.length) return this.fail(`expected ${fields.length} fields (as #fields lists), found ${parts.length}`);
    const unset = this.unsetField;
    const vals: (ZeekValue | undefined)[] = new Array(parts.length);
    let shape = '';
    for (let i = 0; i < parts.length; i++) {
      const raw = parts[i]!;
      if (raw === unset) { shape += String.fromCharCode(i); continue; }
      const v = conv[i]!(raw);
      if (v === INVALID) return this.fail(`field ${JSON.stringify(fields[i])} is not a valid ${this.types?.[i] ?? 'string'}: ${JSON.stringify(raw.length > 80 ? raw.slice(0, 80) + '...' : raw)}`);
      vals[i] = v;
    }
    const ev = { ...this.template(shape, vals) };
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v === undefined) continue;
      const k = fields[i]!;
      // ev already owns every key (from the template), so this never reaches Object.prototype.
      if (k === '__proto__') Object.defineProperty(ev, k, { value: v });
      else ev[k] = v;
    }
    return { ok: true, event: ev };
  }
}

/** Read a whole log text (for files and tests): the events, and the errors of the bad lines. */
export function readZeekTsv(text: string): { events: ZeekEvent[]; errors: { line: number; reason: string }[] } {
  const r = new ZeekTsvReader();
  const events: ZeekEvent[] = [];
  const errors: { line: number; reason: string }[] = [];
  for (const l of text.split('\n')) {
    const res = r.line(l);
    if (!res.ok) errors.push({ line: res.line, reason: res.reason });
    else if (res.event) events.push(res.event);
  }
  return { events, errors };
}

// ---------------------------------------------------------------------------------------------

/** 1e400 matches the number grammar but is no number JSON can carry. */
const finite = (n: number) => (Number.isFinite(n) ? n : INVALID);

function scalar(type: string): (raw: string) => ZeekScalar | typeof INVALID {
  switch (type) {
    case 'time': case 'interval': case 'double':
      return (raw) => (REAL.test(raw) ? finite(Number(raw)) : INVALID);
    case 'count': case 'port':
      return (raw) => (COUNT.test(raw) ? finite(Number(raw)) : INVALID);
    case 'int':
      return (raw) => (INT.test(raw) ? finite(Number(raw)) : INVALID);
    case 'bool':
      return (raw) => (raw === 'T' ? true : raw === 'F' ? false : INVALID);
    default:
      // addr, subnet, string, enum, pattern, and anything newer: text.
      return unescape;
  }
}

const isText = (type: string) => !['time', 'interval', 'double', 'count', 'port', 'int', 'bool'].includes(type);

function converter(type: string, setSep: string, empty: string, unset: string): Converter {
  const container = /^(?:set|vector)\[(.*)\]$/.exec(type);
  if (container) {
    const inner = container[1]!;
    const elem = scalar(inner);
    return (raw) => {
      if (raw === empty) return [];
      const parts = raw.split(setSep);
      const out: (ZeekScalar | null)[] = new Array(parts.length);
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (p === unset) { out[i] = null; continue; }
        const v = elem(p);
        if (v === INVALID) return INVALID;
        out[i] = v;
      }
      return out;
    };
  }
  const one = scalar(type);
  if (isText(type)) return (raw) => (raw === empty ? '' : one(raw));
  return one;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Decode Zeek's escapes: `\xHH` bytes (UTF-8 runs become characters) and `\\`. */
export function unescape(s: string): string {
  let i = s.indexOf('\\');
  if (i < 0) return s;
  let out = '';
  let start = 0;
  while (i >= 0 && i < s.length) {
    const next = s.charCodeAt(i + 1);
    if (next === 120 /* x */ && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3))) {
      out += s.slice(start, i);
      const bytes: number[] = [];
      let j = i;
      while (s.charCodeAt(j) === 92 && s.charCodeAt(j + 1) === 120 && isHex(s.charCodeAt(j + 2)) && isHex(s.charCodeAt(j + 3))) {
        bytes.push(parseInt(s.slice(j + 2, j + 4), 16));
        j += 4;
      }
      out += decodeBytes(bytes);
      start = i = j;
    } else if (next === 92) {
      out += s.slice(start, i) + '\\';
      start = i = i + 2;
    } else {
      i++;
    }
    i = s.indexOf('\\', i);
  }
  return out + s.slice(start);
}

const hex2 = (b: number) => '\\x' + b.toString(16).padStart(2, '0');

function decodeBytes(bytes: number[]): string {
  const all = Uint8Array.from(bytes);
  try { return utf8.decode(all); } catch { /* some bytes are not UTF-8: decode what is, keep the rest escaped */ }
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b < 0x80) { out += String.fromCharCode(b); i++; continue; }
    const n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (n > 1 && i + n <= bytes.length) {
      try { out += utf8.decode(all.subarray(i, i + n)); i += n; continue; } catch { /* not a character */ }
    }
    out += hex2(b);
    i++;
  }
  return out;
}
