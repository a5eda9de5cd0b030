/**
 * How sources turn one framed input (a line, a datagram, a request body item) into an event.
 * `text` keeps it as `message`; `json` parses it (the object becomes the event).
 */
import { s } from '../../core/schema.js';
import type { Event } from '../../core/event.js';

export const decodingField = () => s.enum('text', 'json').default('text')
  .desc('`text`: each line becomes `{ "message": line }`. `json`: each line is parsed as a JSON object (other values become `{ "message": value }`); lines that are not JSON go to the errors output.');

export type Decoding = 'text' | 'json';

export type DecodeResult = { ok: true; event: Event } | { ok: false; reason: string };

export function decode(decoding: Decoding, text: string): DecodeResult {
  if (decoding === 'text') return { ok: true, event: { message: text } };
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { ok: true, event: v as Event };
    return { ok: true, event: { message: v } };
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
}
