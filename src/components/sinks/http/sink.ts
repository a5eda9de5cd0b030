/** The running `http` sink: encode a batch, split it by size, and deliver each part with retries. */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { SinkContext, SinkRuntime, WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import type { CircuitBreaker } from '../../_shared/circuit-breaker.js';
import { HttpClient, loadCa, requestProblem, safeTarget, statusProblem, type ClientOptions } from './client.js';
import { backoffMs, isRetriableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

const gzipAsync = promisify(gzip);

export interface HttpSinkOptions extends Omit<ClientOptions, 'ca'> {
  /** Absolute path of a PEM file with extra CA certificates; read at start, not at build. */
  caFile: string | null;
  encoding: 'ndjson' | 'json_array';
  compression: 'none' | 'gzip';
  maxBatchBytes: number;
  retry: RetryPolicy;
  /** Shared by every write of this sink: it remembers failures across batches. */
  breaker: CircuitBreaker;
}

/** A delivery that failed: `permanent` when the server refused it, otherwise retries ran out or we stopped. */
class DeliveryError extends Error {
  constructor(message: string, readonly permanent: boolean) { super(message); }
}

interface Part { indexes: number[]; body: string }

export class HttpSink implements SinkRuntime {
  /** Made at start (or first write), not at build: `sluice validate` builds sinks it never starts. */
  private client: HttpClient | null = null;
  private readonly target: string;
  private readonly contentHeaders: Record<string, string>;

  readonly breaker: CircuitBreaker;

  constructor(private readonly o: HttpSinkOptions) {
    // For messages: never echo credentials that may sit in the URL.
    this.target = safeTarget(o.url);
    this.breaker = o.breaker;
    this.contentHeaders = {};
    if (o.compression === 'gzip') this.contentHeaders['content-encoding'] = 'gzip';
    const userType = Object.keys(o.headers).some((k) => k.toLowerCase() === 'content-type');
    if (!userType) this.contentHeaders['content-type'] = o.encoding === 'ndjson' ? 'application/x-ndjson' : 'application/json';
  }

  async start(): Promise<void> { await this.connect(); }

  async write(events: Event[], ctx: SinkContext): Promise<WriteResult | void> {
    const rejected: { index: number; reason: string; retriable?: boolean }[] = [];
    const parts = this.encode(events.length, (i) => JSON.stringify(events[i]), rejected);
    return this.send(parts, rejected, events.length, ctx);
  }

  /** Events already serialized (from a disk buffer): the body is built from the texts as they are. */
  async writeJsonLines(lines: string[], ctx: SinkContext): Promise<WriteResult | void> {
    const rejected: { index: number; reason: string; retriable?: boolean }[] = [];
    return this.send(this.encode(lines.length, (i) => lines[i]!, rejected), rejected, lines.length, ctx);
  }

  private async send(parts: Part[], rejected: { index: number; reason: string; retriable?: boolean }[], count: number, ctx: SinkContext): Promise<WriteResult | void> {
    const client = await this.connect();
    let failedFrom = -1;
    let failReason = '';
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      try {
        await this.deliver(client, part, ctx);
      } catch (e) {
        const err = e as DeliveryError;
        if (err.permanent) {
          // The server refused this part; the next parts may be fine.
          for (const index of part.indexes) rejected.push({ index, reason: err.message });
          continue;
        }
        // Retries ran out (or a forced stop): the destination is down, so stop sending.
        failedFrom = p;
        failReason = err.message;
        break;
      }
    }
    if (failedFrom >= 0) {
      // Not refused, only not delivered: the engine tells these apart from permanent refusals.
      for (let p = failedFrom; p < parts.length; p++) for (const index of parts[p]!.indexes) rejected.push({ index, reason: failReason, retriable: true });
    }
    if (rejected.length === 0) return;
    // Nothing got through: fail the whole write, so the engine dead-letters it with the reason.
    if (rejected.length === count) throw new Error(failReason || rejected[0]!.reason);
    rejected.sort((a, b) => a.index - b.index);
    return { rejected };
  }

  async stop(): Promise<void> {
    this.client?.close();
    this.client = null;
  }

  private async connect(): Promise<HttpClient> {
    if (this.client) return this.client;
    const ca = await loadCa(this.o.caFile);
    return (this.client ??= new HttpClient({ ...this.o, ca }));
  }

  /** Encode every event once, then group into bodies of at most max_batch_bytes (one event may exceed it alone). */
  private encode(count: number, json: (i: number) => string, rejected: { index: number; reason: string }[]): Part[] {
    const array = this.o.encoding === 'json_array';
    const parts: Part[] = [];
    let cur: Part = { indexes: [], body: '' };
    let size = array ? 2 : 0;
    for (let i = 0; i < count; i++) {
      let text: string;
      try { text = json(i); } catch (e) {
        rejected.push({ index: i, reason: `could not encode event as JSON: ${(e as Error).message}` });
        continue;
      }
      const n = Buffer.byteLength(text) + 1; // newline or comma
      if (cur.indexes.length > 0 && size + n > this.o.maxBatchBytes) {
        parts.push(cur);
        cur = { indexes: [], body: '' };
        size = array ? 2 : 0;
      }
      cur.body += array ? (cur.indexes.length ? ',' : '') + text : text + '\n';
      cur.indexes.push(i);
      size += n;
    }
    if (cur.indexes.length) parts.push(cur);
    if (array) for (const p of parts) p.body = `[${p.body}]`;
    return parts;
  }

  private async deliver(client: HttpClient, part: Part, ctx: SinkContext): Promise<void> {
    let body = Buffer.from(part.body);
    if (this.o.compression === 'gzip') body = await gzipAsync(body);
    const { retry } = this.o;
    // `attempt` counts requests really sent: waiting on an open circuit breaker is not one.
    for (let attempt = 0; ; attempt++) {
      if (ctx.signal.aborted) throw new DeliveryError(`not delivered to ${this.target}: stopped (forced) during retries`, false);
      const permit = await this.breaker.acquire(ctx.signal);
      if (!permit) throw new DeliveryError(`not delivered to ${this.target}: stopped (forced) while the circuit breaker was open`, false);
      let problem: string;
      let retryAfter: number | null = null;
      try {
        const res = await client.send(body, this.contentHeaders, ctx.signal);
        if (res.status >= 200 && res.status < 300) { permit.success(); return; }
        problem = statusProblem(res, this.target);
        if (!isRetriableStatus(res.status)) {
          // The destination is up and answering; only this request is wrong.
          permit.success();
          throw new DeliveryError(`${problem} (permanent; not retried)`, true);
        }
        permit.failure(problem);
        if (res.status === 429 || res.status === 503) retryAfter = parseRetryAfter(res.headers['retry-after']);
      } catch (e) {
        if (e instanceof DeliveryError) throw e;
        if (ctx.signal.aborted) {
          permit.cancel();
          throw new DeliveryError(`not delivered to ${this.target}: stopped (forced) during a request`, false);
        }
        problem = requestProblem(e, this.target);
        permit.failure(problem);
      }
      if (attempt >= retry.attempts) throw new DeliveryError(`gave up after ${attempt + 1} attempt${attempt ? 's' : ''}; last error: ${problem}`, false);
      // Retry-After is honoured up to max_backoff, so one answer cannot stall the pipeline for hours.
      const wait = retryAfter !== null ? Math.min(retryAfter, retry.maxBackoffMs) : backoffMs(retry, attempt);
      const held = this.breaker.remainingOpenMs;
      ctx.log.warn(`attempt ${attempt + 1} failed (${problem}); retrying in ${Math.max(wait, held)} ms${held > wait ? ' (circuit breaker open)' : ''}`);
      await sleep(wait, ctx.signal);
    }
  }
}
