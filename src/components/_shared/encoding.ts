/** How sinks turn events into bytes. */
import { s } from '../../core/schema.js';
import type { Event } from '../../core/event.js';

export const encodingField = () => s.enum('json', 'text', 'pretty').default('json')
  .desc('`json`: one JSON object per line (NDJSON). `text`: the `message` field (or JSON when there is none). `pretty`: indented JSON, for reading in a terminal.');

export type Encoding = 'json' | 'text' | 'pretty';

export function encoder(enc: Encoding): (e: Event) => string {
  switch (enc) {
    case 'json': return (e) => JSON.stringify(e);
    case 'pretty': return (e) => JSON.stringify(e, null, 2);
    case 'text': return (e) => (typeof e.message === 'string' ? e.message : JSON.stringify(e));
  }
}

/** Encode a batch as newline-terminated records in one string (one allocation per batch). */
export function encodeLines(events: readonly Event[], enc: (e: Event) => string): string {
  let out = '';
  for (let i = 0; i < events.length; i++) out += enc(events[i]!) + '\n';
  return out;
}
