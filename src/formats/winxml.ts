/**
 * Windows event XML (as `wevtutil qe /f:xml`, `Get-WinEvent ... .ToXml()` and Windows Event
 * Forwarding write it) into the JSON form people export:
 *
 *   { Event: { System: { Provider: { Name, Guid }, EventID, Version, Level, Task, Opcode, Keywords,
 *                        TimeCreated: { SystemTime }, EventRecordID, Correlation: { ActivityID },
 *                        Execution: { ProcessID, ThreadID }, Channel, Computer, Security: { UserID } },
 *              EventData: { <Data Name>: <text>, ... } } }
 *
 * - System: attribute-only elements become objects of their attributes; text elements become their
 *   text. The numeric members (EventID, Version, Level, Task, Opcode, EventRecordID and the
 *   Execution attributes) become numbers; Keywords stays the hex string Windows writes.
 *   `<EventID Qualifiers="16384">` (classic providers) keeps the qualifiers as System.Qualifiers,
 *   the name PowerShell's Get-WinEvent uses, so EventID is always a plain number.
 * - EventData: each `<Data Name="X">` becomes `X: "<text>"`, text untrimmed (command lines keep their
 *   trailing spaces, which detection rules may test). Unnamed `<Data>` elements become param1,
 *   param2... (as winlogbeat names them); a name seen twice keeps every value, in an array.
 *   `<Binary>` becomes `Binary`. An empty `<Data Name="X"/>` is the empty string.
 * - UserData, RenderingInfo and anything else: elements become objects keyed by element name (a
 *   repeated name becomes an array), attributes become members, text becomes the value. Namespace
 *   declarations and prefixes are dropped.
 *
 * fast-xml-parser does the parsing; entities are decoded here, because the library leaves numeric
 * character references (`&#xD;`) undecoded. A DOCTYPE is refused: Windows never writes one, and it
 * is the only way in for entity-expansion attacks. References to undefined entities are kept as
 * text (a log pipeline would rather keep the event than insist on XML's rule).
 *
 * `WinXmlSplitter` cuts a stream (or file) of many `<Event>` elements, with or without `<Events>`
 * wrappers and XML declarations, into one document per event, across chunk boundaries.
 *
 * Pure and total: nothing here throws. Errors are { ok: false, reason }.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** An event document longer than this is not a Windows event (Windows caps an event near 64 KB). */
export const MAX_EVENT_CHARS = 1 << 20;

export type WinEventJson = Record<string, unknown>;
export type WinXmlResult = { ok: true; value: { Event: WinEventJson } } | { ok: false; reason: string };

/** One piece of a stream: an event document, or why some part of the stream is not one. */
export type WinXmlPiece =
  | { ok: true; xml: string; /** Character offset of the document in the stream. */ offset: number }
  | { ok: false; reason: string; offset: number };

type XNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Namespace prefixes and declarations are dropped here (localName, attributes below): about a
  // third faster than the library doing it, as is not building path strings (jPath: false).
  removeNSPrefix: false,
  jPath: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  commentPropName: false,
});

const UNCLOSED = /^Invalid '\[\s*(.*?)\s*\]' found\.$/;
const QUOTES = /^"|"$/g;

const SYSTEM_NUMBERS = new Set(['EventID', 'Version', 'Level', 'Task', 'Opcode', 'EventRecordID']);
const EXECUTION_NUMBERS = new Set(['ProcessID', 'ThreadID', 'ProcessorID', 'SessionID', 'KernelTime', 'UserTime', 'ProcessorTime']);
/** System members that carry attributes only: `{}` when empty, never `''`. */
const SYSTEM_ATTRIBUTE_ELEMENTS = new Set(['Provider', 'TimeCreated', 'Correlation', 'Execution', 'Security']);

/** Parse one Windows event XML document into the exported JSON form. */
export function parseWinXml(xml: string): WinXmlResult {
  if (typeof xml !== 'string') return { ok: false, reason: 'input is not a string' };
  if (xml.length > MAX_EVENT_CHARS) return { ok: false, reason: `document is ${xml.length} characters, more than the limit of ${MAX_EVENT_CHARS} for one event` };
  if (xml.trim() === '') return { ok: false, reason: 'empty document' };
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, reason: 'document has a DOCTYPE, which Windows event XML never has; refused' };
  let nodes: XNode[];
  try {
    const v = XMLValidator.validate(xml);
    if (v !== true) {
      // fast-xml-parser lists the elements left open as a JSON array; say it in words.
      const open = UNCLOSED.exec(v.err.msg);
      if (open) return { ok: false, reason: `not well-formed XML: the document ends inside ${open[1]!.split(',').map((t) => `<${t.trim().replace(QUOTES, '')}>`).join(', ')}` };
      const where = typeof v.err.col === 'number' ? `line ${v.err.line}, column ${v.err.col}` : `line ${v.err.line}`;
      return { ok: false, reason: `not well-formed XML at ${where}: ${v.err.msg}` };
    }
    nodes = parser.parse(xml) as XNode[];
  } catch (e) {
    return { ok: false, reason: `unreadable XML: ${(e as Error).message}` };
  }
  try {
    const roots = nodes.filter((n) => tagOf(n) !== undefined);
    if (roots.length === 0) return { ok: false, reason: 'no root element' };
    if (roots.length > 1) return { ok: false, reason: `${roots.length} root elements; split a stream of events with splitWinXml first` };
    const root = roots[0]!;
    const name = tagOf(root)!;
    if (name === 'Events') return { ok: false, reason: 'the document is an <Events> list; split it with splitWinXml first' };
    if (name !== 'Event') return { ok: false, reason: `the root element is <${name}>, not <Event>` };
    const event: WinEventJson = {};
    let sawSystem = false;
    for (const child of childrenOf(root)) {
      const tag = tagOf(child);
      if (tag === undefined) continue;
      let value: unknown;
      if (tag === 'System') { value = system(child); sawSystem = true; }
      else if (tag === 'EventData') value = eventData(child);
      else value = generic(child);
      add(event, tag, value);
    }
    if (!sawSystem) return { ok: false, reason: 'the <Event> element has no <System> element' };
    return { ok: true, value: { Event: event } };
  } catch (e) {
    return { ok: false, reason: `internal error reading the parsed XML: ${(e as Error).message}` };
  }
}

/** Split a whole text (a file's content) into event documents. */
export function splitWinXml(text: string): WinXmlPiece[] {
  const s = new WinXmlSplitter();
  return [...s.push(text), ...s.end()];
}

/**
 * Incremental splitter: push() text as it arrives, end() when the stream ends. Text between events
 * (XML declarations, `<Events>` wrappers, whitespace) is skipped; other text outside an event is
 * reported once per stretch. Memory is bounded: an event over MAX_EVENT_CHARS is reported and
 * skipped without being kept.
 */
export class WinXmlSplitter {
  private buf = '';
  /** Stream offset of buf[0]. */
  private base = 0;
  /** Next position in buf to scan. */
  private pos = 0;
  /** Element depth inside the current <Event> (0: outside any event). */
  private depth = 0;
  /** Where the current event starts in buf, and in the stream. */
  private evStart = 0;
  private evOffset = 0;
  private oversize = false;
  /** Stray text outside events was reported since the last event (report a stretch once). */
  private strayReported = false;
  private ended = false;

  push(chunk: string): WinXmlPiece[] {
    const out: WinXmlPiece[] = [];
    if (this.ended || typeof chunk !== 'string' || chunk === '') return out;
    this.buf += chunk;
    this.scan(false, out);
    return out;
  }

  end(): WinXmlPiece[] {
    const out: WinXmlPiece[] = [];
    if (this.ended) return out;
    this.scan(true, out);
    this.ended = true;
    if (this.depth > 0) out.push({ ok: false, reason: 'the input ended inside an <Event> element', offset: this.evOffset });
    this.buf = '';
    return out;
  }

  private scan(final: boolean, out: WinXmlPiece[]): void {
    const buf = this.buf;
    let pos = this.pos;
    for (;;) {
      const lt = buf.indexOf('<', pos);
      const textEnd = lt === -1 ? buf.length : lt;
      if (this.depth === 0 && textEnd > pos) this.stray(buf, pos, textEnd, out);
      if (lt === -1) { pos = buf.length; break; }
      const end = tokenEnd(buf, lt, final);
      if (end === -1) {
        if (!final) { pos = lt; break; }
        // Inside an event, end() reports the unfinished event instead.
        if (this.depth === 0) out.push({ ok: false, reason: 'the input ended inside markup', offset: this.base + lt });
        pos = buf.length;
        break;
      }
      if (end === -2) {
        // '<' not starting markup ("a < b"): plain text.
        if (this.depth === 0) this.stray(buf, lt, lt + 1, out);
        pos = lt + 1;
        continue;
      }
      const c1 = buf.charCodeAt(lt + 1);
      if (c1 === 47 /* / */) {
        if (this.depth > 0 && --this.depth === 0) this.close(buf, end, out);
      } else if (c1 !== 33 /* ! */ && c1 !== 63 /* ? */) {
        const selfClosing = buf.charCodeAt(end - 1) === 47;
        if (this.depth > 0) {
          if (!selfClosing) this.depth++;
        } else if (isEventTag(buf, lt)) {
          this.evStart = lt;
          this.evOffset = this.base + lt;
          this.oversize = false;
          this.strayReported = false;
          this.depth = 1;
          if (selfClosing) { this.depth = 0; this.close(buf, end, out); }
        }
      }
      pos = end + 1;
    }
    // Keep only what is still needed: the open event (unless oversized) or an unfinished token.
    let keepFrom = pos;
    if (this.depth > 0) {
      if (!this.oversize && pos - this.evStart > MAX_EVENT_CHARS) this.oversize = true;
      if (!this.oversize) keepFrom = this.evStart;
    }
    if (buf.length - pos > MAX_EVENT_CHARS) {
      // One unfinished tag or comment larger than any event: give up on it and resynchronise at
      // the next <Event>.
      out.push({ ok: false, reason: `markup longer than ${MAX_EVENT_CHARS} characters`, offset: this.base + pos });
      this.depth = 0;
      this.strayReported = true;
      keepFrom = buf.length;
      pos = buf.length;
    }
    this.buf = buf.slice(keepFrom);
    this.base += keepFrom;
    this.pos = pos - keepFrom;
    if (this.depth > 0 && !this.oversize) this.evStart -= keepFrom;
  }

  private close(buf: string, end: number, out: WinXmlPiece[]): void {
    if (this.oversize || end + 1 - this.evStart > MAX_EVENT_CHARS) {
      out.push({ ok: false, reason: `an <Event> element longer than ${MAX_EVENT_CHARS} characters`, offset: this.evOffset });
    } else {
      out.push({ ok: true, xml: buf.slice(this.evStart, end + 1), offset: this.evOffset });
    }
    this.oversize = false;
  }

  private stray(buf: string, from: number, to: number, out: WinXmlPiece[]): void {
    if (this.strayReported) return;
    for (let i = from; i < to; i++) {
      const c = buf.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue;
      out.push({ ok: false, reason: 'text outside an <Event> element', offset: this.base + i });
      this.strayReported = true;
      return;
    }
  }
}

/**
 * Index of the last character of the markup starting at buf[i] ('<'); -1 when it is not complete
 * yet; -2 when the '<' does not start markup.
 */
function tokenEnd(buf: string, i: number, final: boolean): number {
  const c1 = buf.charCodeAt(i + 1);
  if (Number.isNaN(c1)) return final ? -2 : -1;
  if (c1 === 33 /* ! */) {
    if (buf.length - i < 9 && !final) {
      const rest = buf.slice(i);
      if ('<![CDATA['.startsWith(rest) || '<!--'.startsWith(rest)) return -1;
    }
    if (buf.startsWith('<!--', i)) return closeAt(buf, '-->', i + 4);
    if (buf.startsWith('<![CDATA[', i)) return closeAt(buf, ']]>', i + 9);
    // <!DOCTYPE ...> possibly with an internal subset in brackets.
    const gt = buf.indexOf('>', i);
    const br = buf.indexOf('[', i);
    if (br !== -1 && (gt === -1 || br < gt)) {
      const close = buf.indexOf(']', br);
      return close === -1 ? -1 : closeAt(buf, '>', close);
    }
    return gt;
  }
  if (c1 === 63 /* ? */) return closeAt(buf, '?>', i + 2);
  const nameStart = c1 === 47 /* / */ ? i + 2 : i + 1;
  const n0 = buf.charCodeAt(nameStart);
  if (Number.isNaN(n0)) return final ? -2 : -1;
  if (!isNameStart(n0)) return -2;
  let quote = 0;
  for (let j = nameStart + 1; j < buf.length; j++) {
    const c = buf.charCodeAt(j);
    if (quote !== 0) { if (c === quote) quote = 0; }
    else if (c === 34 || c === 39) quote = c;
    else if (c === 62 /* > */) return j;
  }
  return -1;
}

function closeAt(buf: string, marker: string, from: number): number {
  const j = buf.indexOf(marker, from);
  return j === -1 ? -1 : j + marker.length - 1;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0xc0;
}

/** Whether the start tag at buf[lt] is <Event> (with or without a namespace prefix). */
function isEventTag(buf: string, lt: number): boolean {
  let j = lt + 1;
  let nameStart = j;
  for (; j < buf.length; j++) {
    const c = buf.charCodeAt(j);
    if (c === 58 /* : */) nameStart = j + 1;
    else if (c === 32 || c === 9 || c === 10 || c === 13 || c === 47 || c === 62) break;
  }
  return j - nameStart === 5 && buf.startsWith('Event', nameStart);
}

// ---------------------------------------------------------------------------------------------
// From fast-xml-parser's ordered nodes to the JSON form

/** The raw element name of a node (with any prefix); undefined for text, CDATA and processing instructions. */
function rawTagOf(n: XNode): string | undefined {
  for (const k in n) if (k !== ':@') return k === '#text' || k === '#cdata' || k.charCodeAt(0) === 63 /* ? */ ? undefined : k;
  return undefined;
}

/** The element name without its namespace prefix. */
function tagOf(n: XNode): string | undefined {
  const raw = rawTagOf(n);
  if (raw === undefined) return undefined;
  const colon = raw.indexOf(':');
  return colon === -1 ? raw : raw.slice(colon + 1);
}

function childrenOf(n: XNode): XNode[] {
  const tag = rawTagOf(n);
  const c = tag === undefined ? undefined : n[tag];
  return Array.isArray(c) ? (c as XNode[]) : [];
}

/** Attributes without namespace declarations and prefixes; undefined when none is left. */
function attrsOf(n: XNode): Record<string, string> | undefined {
  const a = n[':@'];
  if (a === null || typeof a !== 'object') return undefined;
  let out: Record<string, string> | undefined;
  for (const k in a as Record<string, string>) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const colon = k.indexOf(':');
    out ??= {};
    setOwn(out, colon === -1 ? k : k.slice(colon + 1), (a as Record<string, string>)[k]!);
  }
  return out;
}

/** The text of an element (text and CDATA children), or undefined when it has child elements. */
function textOf(n: XNode): string | undefined {
  let s = '';
  for (const c of childrenOf(n)) {
    if (typeof c['#text'] === 'string') s += decode(c['#text']);
    else if (Array.isArray(c['#cdata'])) for (const t of c['#cdata'] as XNode[]) { if (typeof t['#text'] === 'string') s += t['#text']; }
    else if (tagOf(c) !== undefined) return undefined;
  }
  return s;
}

function system(n: XNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of childrenOf(n)) {
    const tag = tagOf(child);
    if (tag === undefined) continue;
    const attrs = attrsOf(child);
    const text = textOf(child);
    let value: unknown;
    if (text === undefined) {
      value = generic(child);
    } else if (SYSTEM_ATTRIBUTE_ELEMENTS.has(tag) || (attrs && text.trim() === '')) {
      const o: Record<string, unknown> = {};
      if (attrs) for (const [k, v] of Object.entries(attrs)) setOwn(o, k, tag === 'Execution' && EXECUTION_NUMBERS.has(k) ? num(decode(v)) : decode(v));
      value = o;
    } else {
      const t = text.trim();
      value = SYSTEM_NUMBERS.has(tag) ? num(t) : t;
      if (attrs) {
        if (tag === 'EventID' && attrs.Qualifiers !== undefined && Object.keys(attrs).length === 1) {
          add(out, tag, value);
          add(out, 'Qualifiers', num(decode(attrs.Qualifiers)));
          continue;
        }
        value = generic(child);
      }
    }
    add(out, tag, value);
  }
  return out;
}

function eventData(n: XNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let unnamed = 0;
  for (const child of childrenOf(n)) {
    const tag = tagOf(child);
    if (tag === undefined) continue;
    if (tag === 'Data') {
      const name = attrsOf(child)?.Name;
      const key = name !== undefined && name !== '' ? decode(name) : `param${++unnamed}`;
      const text = textOf(child);
      add(out, key, text !== undefined ? text : generic(child));
    } else {
      add(out, tag, generic(child));
    }
  }
  return out;
}

/** Any element: text when it has only text, else an object of its attributes and child elements. */
function generic(n: XNode): unknown {
  const attrs = attrsOf(n);
  const text = textOf(n);
  if (text !== undefined && !attrs) return text;
  const out: Record<string, unknown> = {};
  if (attrs) for (const [k, v] of Object.entries(attrs)) setOwn(out, k, decode(v));
  if (text !== undefined) {
    if (text.trim() !== '') setOwn(out, '#text', text);
    return out;
  }
  let mixed = '';
  for (const child of childrenOf(n)) {
    const tag = tagOf(child);
    if (tag === undefined) { if (typeof child['#text'] === 'string') mixed += decode(child['#text']); continue; }
    add(out, tag, generic(child));
  }
  if (mixed.trim() !== '') setOwn(out, '#text', mixed);
  return out;
}

/**
 * Add a member; a name seen twice keeps every value in an array. (Values built here are never
 * arrays themselves, so an array can only be one made by this function.)
 */
function add(o: Record<string, unknown>, k: string, v: unknown): void {
  if (Object.hasOwn(o, k)) {
    const prev = o[k];
    if (Array.isArray(prev)) prev.push(v);
    else setOwn(o, k, [prev, v]);
  } else setOwn(o, k, v);
}

/** Own property write that cannot touch the prototype (names come from the input). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** A decimal integer string as a number (when exact), anything else unchanged. */
function num(s: string): number | string {
  if (s.length === 0 || s.length > 15) return s;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 48 || c > 57) return s; }
  return Number(s);
}

const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,10})|(lt|gt|amp|quot|apos));/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decode XML's predefined entities and character references; invalid code points become U+FFFD. */
function decode(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(ENTITY, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name]!;
    const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    const valid = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
    return valid ? String.fromCodePoint(cp) : '\uFFFD';
  });
}
