/** Read a byte stream as lines into batches: shared by stdin and anything else stream-shaped. */
import type { ErrorCode } from '../../core/errors.js';
import type { Readable } from 'node:stream';
import type { SourceContext } from '../../core/component.js';
import type { Event } from '../../core/event.js';
import { decode, type Decoding } from './decoding.js';
import { badLineEvent, LineSplitter } from './lines.js';

export async function readLines(stream: Readable, cfg: { decoding: Decoding; max_line_bytes: number; batch_events: number }, ctx: SourceContext, extra?: Record<string, unknown>): Promise<void> {
  let events: Event[] = [];
  let bytes = 0;
  const errors: { event: Event; reason: string; code: ErrorCode }[] = [];
  const splitter = new LineSplitter(cfg.max_line_bytes, {
    line(text, n) {
      const r = decode(cfg.decoding, text);
      if (r.ok) {
        if (extra) Object.assign(r.event, extra);
        events.push(r.event); bytes += n;
      } else errors.push({ event: { message: text }, reason: r.reason, code: 'parse_failed' });
    },
    bad(reason, preview, n, raw) {
      errors.push({ event: badLineEvent(preview, raw), reason: reason === 'line_too_long' ? `line of ${n} bytes exceeds max_line_bytes (${cfg.max_line_bytes})` : 'line is not valid UTF-8', code: reason });
    },
  });
  const flush = async () => {
    if (events.length) { const e = events; const b = bytes; events = []; bytes = 0; await ctx.send(e, { bytes: b }); }
    while (errors.length) { const x = errors.shift()!; await ctx.error(x.event, x.reason, x.code); }
  };
  const onAbort = () => stream.destroy();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      if (events.length >= cfg.batch_events || errors.length) await flush();
      else if (events.length && stream.readableLength === 0) await flush();
    }
  } catch (e) {
    if (!ctx.signal.aborted) throw e;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  splitter.end();
  await flush();
}
