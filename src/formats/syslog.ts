/**
 * Syslog message parser: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) and RFC 3164
 * (BSD: `<PRI>Mmm dd hh:mm:ss host tag[pid]: msg`, also without PRI as in /var/log/auth.log, with
 * a year, or with the ISO timestamps rsyslog writes). The two are told apart by what follows the
 * PRI: a version number and a space means 5424; anything else is read as 3164. Timestamps are
 * read by syslog-timestamp.ts.
 *
 * Pure and total: any input string yields `{ ok: true, value }` or `{ ok: false, error }`, never
 * an exception. Absent (NILVALUE) fields are left out of the result rather than set to null, so
 * merging a parsed message into an event never clobbers a field with nothing.
 */
import { readBsdTimestamp, readIsoTimestamp } from './syslog-timestamp.js';

export interface SyslogMessage {
  facility?: string;
  severity?: string;
  facility_code?: number;
  severity_code?: number;
  /** ISO 8601 in UTC; sub-millisecond digits are kept when the sender gave them. */
  timestamp?: string;
  hostname?: string;
  appname?: string;
  procid?: string;
  msgid?: string;
  /** SD-ID -> parameters. A parameter repeated inside one element (RFC 5424 allows it, e.g. origin ip) becomes a list. */
  structured_data?: Record<string, Record<string, string | string[]>>;
  /** The free-form message; '' when the sender sent none. */
  message: string;
  /** Protocol version (5424 only). */
  version?: number;
}

export type SyslogResult = { ok: true; value: SyslogMessage } | { ok: false; error: string };

export interface SyslogOptions {
  /**
   * How to read timestamps that carry no zone (all of 3164's `Mmm dd hh:mm:ss`): `local` is the
   * zone of this process (right for files written on this host), `utc` for senders that log UTC.
   */
  timezone?: 'local' | 'utc';
  /** "Now" in ms since the epoch, for choosing the year of 3164 timestamps that have none. */
  now?: number;
}

export const facilityNames: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const severityNames: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

const SP = 32;
/** Most SD-IDs plus parameter names in one message; wider objects cost seconds to build (~2.6 µs a key). */
export const MAX_SD_NAMES = 10_000;

/** Parse one syslog message, detecting RFC 5424 vs RFC 3164. */
export function parseSyslog(text: string, opts: SyslogOptions = {}): SyslogResult {
  try {
    if (typeof text !== 'string') return fail('input is not a string');
    const pri = readPri(text);
    if (pri === 'bad') return fail(`invalid PRI at position 0: expected "<0-191>" at the start, found ${quote(text.slice(0, 6))}`);
    if (pri && isVersionStart(text, pri.end)) return parse5424(text, pri, opts);
    return parse3164(text, pri, opts);
  } catch (e) {
    // Defensive: the parser is written not to throw; if it ever does, the input must not crash a pipeline.
    return fail(`internal parser error: ${(e as Error).message}`);
  }
}

/** Parse strictly as RFC 5424 (no fallback to 3164). */
export function parseRfc5424(text: string, opts: SyslogOptions = {}): SyslogResult {
  try {
    const pri = readPri(text);
    if (!pri || pri === 'bad') return fail('invalid PRI at position 0: RFC 5424 messages start with "<0-191>"');
    return parse5424(text, pri, opts);
  } catch (e) {
    return fail(`internal parser error: ${(e as Error).message}`);
  }
}

/** Parse as RFC 3164 (BSD); a missing PRI is allowed. */
export function parseRfc3164(text: string, opts: SyslogOptions = {}): SyslogResult {
  try {
    const pri = readPri(text);
    if (pri === 'bad') return fail(`invalid PRI at position 0: expected "<0-191>", found ${quote(text.slice(0, 6))}`);
    return parse3164(text, pri, opts);
  } catch (e) {
    return fail(`internal parser error: ${(e as Error).message}`);
  }
}

interface Pri { code: number; end: number }

function fail(error: string): SyslogResult { return { ok: false, error }; }

function quote(s: string): string { return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s); }

/** `<PRI>` at the start: null when absent, 'bad' when it starts like one but is malformed. */
function readPri(t: string): Pri | null | 'bad' {
  if (t.charCodeAt(0) !== 60 /* < */) return null;
  let v = 0;
  let i = 1;
  for (; i < t.length && i <= 4; i++) {
    const c = t.charCodeAt(i);
    if (c === 62 /* > */) break;
    if (c < 48 || c > 57) return 'bad';
    v = v * 10 + (c - 48);
  }
  if (i === 1 || i > 4 || t.charCodeAt(i) !== 62 || v > 191) return 'bad';
  // Leading zeros are not allowed by either RFC ("<01>"), except "<0>" itself.
  if (i > 2 && t.charCodeAt(1) === 48) return 'bad';
  return { code: v, end: i + 1 };
}

function isVersionStart(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  if (c < 49 || c > 57) return false;
  let j = i + 1;
  while (j < t.length && j < i + 3 && isDigit(t.charCodeAt(j))) j++;
  return t.charCodeAt(j) === SP;
}

function isDigit(c: number): boolean { return c >= 48 && c <= 57; }

function setPri(m: SyslogMessage, pri: Pri): void {
  const f = pri.code >> 3;
  const s = pri.code & 7;
  m.facility = facilityNames[f];
  m.severity = severityNames[s];
  m.facility_code = f;
  m.severity_code = s;
}

/** Own property write that cannot touch a prototype (SD-IDs and keys are attacker-controlled). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

// ---------------------------------------------------------------------------------------------
// RFC 5424

/** Set the message last, so it follows the header fields when the event is printed. */
function done(m: SyslogMessage, message: string): SyslogResult {
  m.message = message;
  return { ok: true, value: m };
}

function parse5424(t: string, pri: Pri, opts: SyslogOptions): SyslogResult {
  const m = {} as SyslogMessage;
  setPri(m, pri);
  let i = pri.end;
  let version = 0;
  while (isDigit(t.charCodeAt(i))) version = version * 10 + (t.charCodeAt(i++) - 48);
  m.version = version;
  i++; // the space (checked by isVersionStart)

  // TIMESTAMP
  if (t.charCodeAt(i) === 45 /* - */ && (t.charCodeAt(i + 1) === SP || i + 1 === t.length)) i++;
  else {
    const ts = readIsoTimestamp(t, i, opts);
    if (typeof ts === 'string') return fail(`invalid RFC 5424 timestamp at position ${i}: ${ts}`);
    m.timestamp = ts.iso;
    i = ts.end;
  }
  // HOSTNAME APP-NAME PROCID MSGID: tokens separated by one space; "-" is NILVALUE. Unrolled with
  // literal property names: a loop over the names made every store megamorphic.
  let j: number;
  if (i >= t.length) return done(m, '');
  if ((j = tokenEnd(t, ++i)) === i) return emptyField('hostname', i);
  if (!isNil(t, i, j)) m.hostname = t.slice(i, j);
  if ((i = j) >= t.length) return done(m, '');
  if ((j = tokenEnd(t, ++i)) === i) return emptyField('appname', i);
  if (!isNil(t, i, j)) m.appname = t.slice(i, j);
  if ((i = j) >= t.length) return done(m, '');
  if ((j = tokenEnd(t, ++i)) === i) return emptyField('procid', i);
  if (!isNil(t, i, j)) m.procid = t.slice(i, j);
  if ((i = j) >= t.length) return done(m, '');
  if ((j = tokenEnd(t, ++i)) === i) return emptyField('msgid', i);
  if (!isNil(t, i, j)) m.msgid = t.slice(i, j);
  i = j;
  // STRUCTURED-DATA (lenient: a message that ends after MSGID has none).
  if (i >= t.length) return done(m, '');
  if (t.charCodeAt(i) !== SP) return fail(`expected a space before structured data at position ${i}`);
  i++;
  if (i >= t.length) return done(m, '');
  if (t.charCodeAt(i) === 45 && (i + 1 === t.length || t.charCodeAt(i + 1) === SP)) i++;
  else if (t.charCodeAt(i) === 91 /* [ */) {
    const sd = readStructuredData(t, i);
    if (typeof sd === 'string') return fail(sd);
    m.structured_data = sd.value;
    i = sd.end;
  } else return fail(`expected structured data ("[" or "-") at position ${i}, found ${quote(t[i]!)}`);
  // MSG
  if (i >= t.length) return done(m, '');
  if (t.charCodeAt(i) !== SP) return fail(`expected a space before the message at position ${i}, found ${quote(t[i]!)}`);
  i++;
  // A UTF-8 BOM marks the message as UTF-8; it is not part of the text.
  if (t.charCodeAt(i) === 0xfeff) i++;
  return done(m, t.slice(i));
}

function tokenEnd(t: string, i: number): number {
  const j = t.indexOf(' ', i);
  return j < 0 ? t.length : j;
}

function isNil(t: string, i: number, j: number): boolean { return j - i === 1 && t.charCodeAt(i) === 45; }

function emptyField(name: string, i: number): SyslogResult { return fail(`empty ${name} at position ${i} (use "-" for none)`); }

type SdMap = Record<string, Record<string, string | string[]>>;

function readStructuredData(t: string, i: number): { value: SdMap; end: number } | string {
  const out: SdMap = {};
  let names = 0;
  // Next backslash at or after i (-1: none left). Kept across values so that looking for escapes
  // stays linear in the input, however many parameters it has.
  let bs = t.indexOf('\\', i);
  while (t.charCodeAt(i) === 91 /* [ */) {
    i++;
    const idStart = i;
    while (i < t.length && isSdNameChar(t.charCodeAt(i))) i++;
    if (i === idStart) return `invalid structured data at position ${i}: expected an SD-ID after "["`;
    const id = t.slice(idStart, i);
    let params = Object.hasOwn(out, id) ? out[id]! : null;
    if (params === null) {
      if (++names > MAX_SD_NAMES) return `structured data has more than ${MAX_SD_NAMES} element and parameter names`;
      params = {};
      setOwn(out, id, params);
    }
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 93 /* ] */) { i++; break; }
      if (c !== SP) return i >= t.length ? `invalid structured data: unterminated element "[${id}"` : `invalid structured data at position ${i}: expected " " or "]" in element "${id}", found ${quote(t[i]!)}`;
      i++;
      const nameStart = i;
      while (i < t.length && isSdNameChar(t.charCodeAt(i))) i++;
      if (i === nameStart) return `invalid structured data at position ${i}: expected a parameter name in element "${id}"`;
      const name = t.slice(nameStart, i);
      if (t.charCodeAt(i) !== 61 /* = */ || t.charCodeAt(i + 1) !== 34 /* " */) return `invalid structured data at position ${i}: expected '="' after parameter "${name}"`;
      i += 2;
      // PARAM-VALUE: \" \\ \] are escapes; a backslash before anything else is kept (RFC 5424 6.3.3).
      const q = t.indexOf('"', i);
      if (q < 0) return `invalid structured data: unterminated value of parameter "${name}" in element "${id}"`;
      let value: string;
      if (bs >= 0 && bs < i) bs = t.indexOf('\\', i);
      if (bs < 0 || bs > q) { value = t.slice(i, q); i = q + 1; } else {
        value = '';
        let start = i;
        for (;;) {
          if (i >= t.length) return `invalid structured data: unterminated value of parameter "${name}" in element "${id}"`;
          const v = t.charCodeAt(i);
          if (v === 34) break;
          if (v === 92 /* \ */) {
            const n = t.charCodeAt(i + 1);
            if (n === 34 || n === 92 || n === 93) { value += t.slice(start, i); start = i + 1; i += 2; continue; }
          }
          i++;
        }
        value += t.slice(start, i);
        i++; // closing quote
      }
      const prev = Object.hasOwn(params, name) ? params[name] : undefined;
      if (prev === undefined) {
        if (++names > MAX_SD_NAMES) return `structured data has more than ${MAX_SD_NAMES} element and parameter names`;
        setOwn(params, name, value);
      } else if (Array.isArray(prev)) prev.push(value);
      else setOwn(params, name, [prev, value]);
    }
  }
  return { value: out, end: i };
}

/** SD-NAME: printable US-ASCII except '=', SP, ']' and '"'. */
function isSdNameChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 61 && c !== 93 && c !== 34;
}

// ---------------------------------------------------------------------------------------------
// RFC 3164

function parse3164(t: string, pri: Pri | null, opts: SyslogOptions): SyslogResult {
  const m = {} as SyslogMessage;
  if (pri) setPri(m, pri);
  let i = pri ? pri.end : 0;
  const ts = isDigit(t.charCodeAt(i)) ? readIsoTimestamp(t, i, opts) : readBsdTimestamp(t, i, opts);
  if (typeof ts !== 'string') {
    m.timestamp = ts.iso;
    i = ts.end;
    if (t.charCodeAt(i) === SP) i++;
    // HOSTNAME, unless the next word is already the tag (messages from /dev/log carry no hostname).
    const w = wordEnd(t, i);
    if (w > i && tagEnd(t, i, w) < 0) {
      m.hostname = t.slice(i, w);
      i = w;
      if (t.charCodeAt(i) === SP) i++;
    }
  } else if (!pri) {
    return fail(`not a syslog message: no PRI ("<13>") and no timestamp at the start (${ts})`);
  }
  // TAG: `app[pid]:` or `app:` then the message; otherwise everything is the message.
  const w = wordEnd(t, i);
  const te = tagEnd(t, i, w);
  if (te >= 0) {
    const open = t.indexOf('[', i);
    if (open >= 0 && open < te) {
      m.appname = t.slice(i, open);
      m.procid = t.slice(open + 1, te - 2);
    } else m.appname = t.slice(i, te - 1);
    i = te;
    if (t.charCodeAt(i) === SP) i++;
  }
  return done(m, t.slice(i));
}

function wordEnd(t: string, i: number): number {
  while (i < t.length && t.charCodeAt(i) !== SP) i++;
  return i;
}

/**
 * If t[i..w) is a tag (`name:` or `name[pid]:`, name free of space, '[', ']' and ':'), the index
 * just after its colon; else -1.
 */
function tagEnd(t: string, i: number, w: number): number {
  if (w - i < 2 || t.charCodeAt(w - 1) !== 58) return -1;
  let j = i;
  while (j < w) {
    const c = t.charCodeAt(j);
    if (c === 91 || c === 93 || c === 58) break;
    j++;
  }
  if (j === i) return -1;
  if (t.charCodeAt(j) === 58) return j === w - 1 ? w : -1;
  if (t.charCodeAt(j) !== 91) return -1;
  const close = t.indexOf(']', j);
  return close === w - 2 && t.charCodeAt(w - 1) === 58 && t.lastIndexOf('[', close) === j ? w : -1;
}
