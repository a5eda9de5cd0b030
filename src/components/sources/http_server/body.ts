/**
 * Turning one request body into events: undo Content-Encoding within a size limit, then decode
 * by the configured `decoding` (or, in `auto`, by Content-Type). Pure functions, no HTTP.
 */
import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import type { Event } from '../../../core/event.js';
import { LineSplitter } from '../../_shared/lines.js';
import { jsonErrorOffset, lineColumn } from './json-position.js';

export type BodyDecoding = 'auto' | 'ndjson' | 'json' | 'text';

/** An HTTP error the handler turns into a response: `{ error, ...extra }` with `status`. */
export class RequestError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) { super(message); }
}

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/**
 * Undo `Content-Encoding`. `maxOutputLength` makes zlib stop as soon as the inflated size passes
 * the limit, so a small gzip bomb never becomes gigabytes in memory.
 */
export async function decompress(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return await gunzipAsync(body, { maxOutputLength: limit });
    if (enc === 'deflate') {
      // RFC 9110 says zlib-wrapped, but some clients send raw deflate: accept both.
      try { return await inflateAsync(body, { maxOutputLength: limit }); } catch (e) {
        if (isTooLarge(e)) throw e;
        return await inflateRawAsync(body, { maxOutputLength: limit });
      }
    }
  } catch (e) {
    if (isTooLarge(e)) throw new RequestError(413, `decompressed request body exceeds max_body_bytes (${limit} bytes)`);
    throw new RequestError(400, `request body is not valid ${enc} data: ${(e as Error).message}`);
  }
  throw new RequestError(415, `unsupported Content-Encoding ${JSON.stringify(enc)}`, { hint: 'send identity, gzip or deflate' });
}

function isTooLarge(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
}

export interface RejectedLine { line: number; reason: string; code: 'parse_failed' | 'invalid_utf8'; text: string }

export interface Decoded {
  events: Event[];
  /** NDJSON lines that were not JSON (or not UTF-8): they go to the errors output. */
  rejected: RejectedLine[];
}

const ndjsonTypes = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines']);

/** Which decoder `auto` picks for a Content-Type. */
export function chooseDecoding(mode: BodyDecoding, contentType: string | undefined, body: Buffer): Exclude<BodyDecoding, 'auto'> {
  if (mode !== 'auto') return mode;
  const mt = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mt === 'application/json' || mt.endsWith('+json')) return 'json';
  if (ndjsonTypes.has(mt)) return 'ndjson';
  // text/plain, a missing type, or anything else (curl -d sends form-urlencoded): JSON lines if
  // the first non-blank line is a JSON object, plain lines otherwise.
  return looksLikeJsonLines(body) ? 'ndjson' : 'text';
}

function looksLikeJsonLines(body: Buffer): boolean {
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(10, start);
    if (end < 0) end = body.length;
    const line = body.toString('utf8', start, Math.min(end, start + 1_048_576)).trim();
    if (line !== '') {
      if (line[0] !== '{') return false;
      try { const v: unknown = JSON.parse(line); return v !== null && typeof v === 'object' && !Array.isArray(v); } catch { return false; }
    }
    start = end + 1;
  }
  return false;
}

/** A JSON value as an event: objects as they are, anything else under `message`. */
function toEvent(v: unknown): Event {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Event) : { message: v };
}

/** Decode a body. Throws RequestError(400) for a whole-body JSON document that does not parse. */
export function decodeBody(decoding: Exclude<BodyDecoding, 'auto'>, body: Buffer): Decoded {
  if (decoding === 'json') return decodeJson(body);
  const events: Event[] = [];
  const rejected: RejectedLine[] = [];
  let line = 0;
  // The whole body is already bounded by max_body_bytes, so a line may be that long too.
  const splitter = new LineSplitter(Math.max(body.length, 1), {
    line(text) {
      line++;
      if (decoding === 'text') {
        if (text !== '') events.push({ message: text });
        return;
      }
      if (text.trim() === '') return;
      try {
        events.push(toEvent(JSON.parse(text)));
      } catch (e) {
        rejected.push({ line, reason: `line ${line} is not valid JSON: ${(e as Error).message}`, code: 'parse_failed', text });
      }
    },
    bad(_reason, preview) {
      line++;
      rejected.push({ line, reason: `line ${line} is not valid UTF-8`, code: 'invalid_utf8', text: preview });
    },
  });
  splitter.push(body);
  splitter.end();
  return { events, rejected };
}

function decodeJson(body: Buffer): Decoded {
  if (!isUtf8(body)) throw new RequestError(400, 'request body is not valid UTF-8');
  const text = body.toString('utf8');
  if (text.trim() === '') return { events: [], rejected: [] };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, at < 0 ? 0 : at);
    throw new RequestError(400, `request body is not valid JSON: ${(e as Error).message}`, { line, column });
  }
  return { events: Array.isArray(v) ? v.map(toEvent) : [toEvent(v)], rejected: [] };
}
