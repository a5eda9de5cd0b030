/**
 * Read a file of source events for `sluice ocsf map`, whatever shape it comes in: NDJSON, a JSON
 * array (or a `{"Records": [...]}` document, which the CloudTrail pack takes whole), concatenated
 * JSON objects, Zeek TSV (with `#fields` headers), Windows event XML, or text lines (syslog,
 * access logs), each line becoming `{ message }`. The shape is decided once per file from its
 * start. Unreadable parts come back as problems with their place, never as exceptions.
 */
import type { Event } from '../core/event.js';
import { ZeekTsvReader } from '../formats/zeek.js';
import { parseWinXml, splitWinXml } from '../formats/winxml.js';

export type InputItem = { ok: true; event: Event; where: string } | { ok: false; reason: string; where: string };
export type InputFormat = 'json' | 'ndjson' | 'json_stream' | 'zeek_tsv' | 'windows_xml' | 'lines';

/** The format of a file, from its first non-blank characters. */
export function sniff(text: string): InputFormat {
  const start = text.trimStart();
  if (start.startsWith('#separator') || start.startsWith('#fields')) return 'zeek_tsv';
  if (/^<(\?xml|Events?[\s>])/.test(start)) return 'windows_xml';
  if (start.startsWith('[')) return 'json';
  if (start.startsWith('{')) {
    try { JSON.parse(text); return 'json'; } catch { /* several documents */ }
    const first = start.slice(0, start.indexOf('\n') < 0 ? undefined : start.indexOf('\n'));
    try { JSON.parse(first); return 'ndjson'; } catch { return 'json_stream'; }
  }
  return 'lines';
}

export function* readInput(text: string, name: string, format: InputFormat = sniff(text)): Generator<InputItem> {
  switch (format) {
    case 'json': {
      let v: unknown;
      try { v = JSON.parse(text); } catch (e) { yield { ok: false, reason: `invalid JSON: ${(e as Error).message}`, where: name }; return; }
      const items = Array.isArray(v) ? v : [v];
      for (let i = 0; i < items.length; i++) yield object(items[i], Array.isArray(v) ? `${name}[${i}]` : name);
      return;
    }
    case 'ndjson': {
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!.trim();
        if (!l) continue;
        try { yield object(JSON.parse(l), `${name}:${i + 1}`); } catch (e) { yield { ok: false, reason: `invalid JSON: ${(e as Error).message}`, where: `${name}:${i + 1}` }; }
      }
      return;
    }
    case 'json_stream': yield* jsonStream(text, name); return;
    case 'zeek_tsv': {
      const r = new ZeekTsvReader();
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (i === lines.length - 1 && lines[i] === '') break;
        const x = r.line(lines[i]!);
        if (!x.ok) yield { ok: false, reason: x.reason, where: `${name}:${i + 1}` };
        else if (x.event) yield { ok: true, event: x.event as Event, where: `${name}:${i + 1}` };
      }
      return;
    }
    case 'windows_xml': {
      for (const piece of splitWinXml(text)) {
        const where = `${name}@${piece.offset}`;
        if (!piece.ok) { yield { ok: false, reason: piece.reason, where }; continue; }
        const r = parseWinXml(piece.xml);
        yield r.ok ? { ok: true, event: r.value as Event, where } : { ok: false, reason: r.reason, where };
      }
      return;
    }
    case 'lines': {
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!.replace(/\r$/, '');
        if (l.trim() === '') continue;
        yield { ok: true, event: { message: l }, where: `${name}:${i + 1}` };
      }
    }
  }
}

function object(v: unknown, where: string): InputItem {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: `expected a JSON object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`, where };
  return { ok: true, event: v as Event, where };
}

/** Concatenated JSON objects (`{...}{...}` or pretty-printed one after another). */
function* jsonStream(text: string, name: string): Generator<InputItem> {
  let depth = 0, start = -1, inString = false, escaped = false, line = 1, startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) { inString = true; continue; }
    if (c === 123 || c === 91) { if (depth++ === 0) { start = i; startLine = line; } continue; }
    if (c === 125 || c === 93) {
      if (--depth === 0) {
        const where = `${name}:${startLine}`;
        try { yield object(JSON.parse(text.slice(start, i + 1)), where); } catch (e) { yield { ok: false, reason: `invalid JSON: ${(e as Error).message}`, where }; }
      } else if (depth < 0) { yield { ok: false, reason: 'unbalanced closing bracket', where: `${name}:${line}` }; depth = 0; }
    }
  }
  if (depth > 0) yield { ok: false, reason: 'the last JSON document is not closed', where: `${name}:${startLine}` };
}
