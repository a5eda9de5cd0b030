/**
 * The running `webhook` sink: each event (or each write, as a JSON array) is one signed POST.
 *
 * The signature covers `<timestamp>.<body>` and is made again for every attempt, so a retry after
 * a long backoff still carries a fresh timestamp that a receiver's replay window accepts.
 */
import { createHmac } from 'node:crypto';
import type { SinkContext, SinkRuntime, WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { bodyText, statusLine, WriteOutcome, type Attempt, type Destination } from '../../_shared/webhook-delivery.js';
import type { HttpResponse } from '../http/client.js';

export interface Signature {
  secret: string;
  /** Lower-case header names. */
  header: string;
  timestampHeader: string;
  algorithm: 'sha256' | 'sha512';
}

export interface WebhookSinkOptions {
  destination: Destination;
  encoding: 'json' | 'json_array';
  maxBatchBytes: number;
  signature: Signature | null;
  /** Unix time in seconds; replaceable in tests. */
  now?: () => number;
}

/** Events of one request, by index in the write, and the request body. */
interface Part { indexes: number[]; body: Buffer }

/** The signature headers of a body: `<timestamp header>: <unix seconds>`, `<header>: <algorithm>=<hex>`. */
export function signatureHeaders(sig: Signature, body: Buffer, unixSeconds: number): Record<string, string> {
  const ts = String(unixSeconds);
  const mac = createHmac(sig.algorithm, sig.secret).update(`${ts}.`).update(body).digest('hex');
  return { [sig.timestampHeader]: ts, [sig.header]: `${sig.algorithm}=${mac}` };
}

export function describeAnswer(res: HttpResponse, target: string): string {
  const body = bodyText(res, 200);
  return `${statusLine(res, target)}${body ? `: ${body}` : ''}`;
}

export class WebhookSink implements SinkRuntime {
  private readonly now: () => number;
  private static readonly CONTENT = { 'content-type': 'application/json' };

  constructor(private readonly o: WebhookSinkOptions) {
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get breaker() { return this.o.destination.breaker; }

  async start(): Promise<void> { await this.o.destination.connect(); }

  async write(events: Event[], ctx: SinkContext): Promise<WriteResult | void> {
    const out = new WriteOutcome(events.length);
    return this.send(this.encode(events.length, (i) => JSON.stringify(events[i]), out), out, ctx);
  }

  /** Events already serialized (from a disk buffer): the bodies are built from the texts as they are. */
  async writeJsonLines(lines: string[], ctx: SinkContext): Promise<WriteResult | void> {
    const out = new WriteOutcome(lines.length);
    return this.send(this.encode(lines.length, (i) => lines[i]!, out), out, ctx);
  }

  async stop(): Promise<void> { this.o.destination.close(); }

  private async send(parts: Part[], out: WriteOutcome, ctx: SinkContext): Promise<WriteResult | void> {
    for (const part of parts) {
      if (out.down) { out.notSent(part.indexes); continue; }
      try {
        await this.o.destination.post(() => this.attempt(part.body), ctx);
      } catch (e) {
        out.fail(part.indexes, e);
      }
    }
    return out.result();
  }

  private attempt(body: Buffer): Attempt {
    const sig = this.o.signature;
    return { body, headers: sig ? { ...WebhookSink.CONTENT, ...signatureHeaders(sig, body, this.now()) } : WebhookSink.CONTENT };
  }

  /** One part per event (`json`), or arrays of at most max_batch_bytes (`json_array`; a larger event goes alone). */
  private encode(count: number, json: (i: number) => string, out: WriteOutcome): Part[] {
    const parts: Part[] = [];
    if (this.o.encoding === 'json') {
      for (let i = 0; i < count; i++) {
        let text: string;
        try { text = json(i); } catch (e) { out.refuse([i], `could not encode event as JSON: ${(e as Error).message}`); continue; }
        parts.push({ indexes: [i], body: Buffer.from(text) });
      }
      return parts;
    }
    let texts: string[] = [];
    let indexes: number[] = [];
    let size = 2;
    const flush = () => {
      if (indexes.length) parts.push({ indexes, body: Buffer.from(`[${texts.join(',')}]`) });
      texts = []; indexes = []; size = 2;
    };
    for (let i = 0; i < count; i++) {
      let text: string;
      try { text = json(i); } catch (e) { out.refuse([i], `could not encode event as JSON: ${(e as Error).message}`); continue; }
      const n = Buffer.byteLength(text) + 1;
      if (indexes.length > 0 && size + n > this.o.maxBatchBytes) flush();
      texts.push(text);
      indexes.push(i);
      size += n;
    }
    flush();
    return parts;
  }
}
