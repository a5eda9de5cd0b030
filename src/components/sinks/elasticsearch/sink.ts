/**
 * The running `elasticsearch` sink: encode a batch as _bulk NDJSON, split it by size, deliver each
 * part, and read the per-item results. Items refused for a reason that may pass (429, 5xx) are
 * sent again, alone, in a new bulk request; the others are reported back to the engine.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { SinkContext, SinkRuntime, WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { keyString, type FieldPath } from '../../_shared/field-path.js';
import type { CircuitBreaker } from '../../_shared/circuit-breaker.js';
import { HttpClient, loadCa, requestProblem, safeTarget, statusProblem, type HttpResponse } from '../http/client.js';
import { backoffMs, isRetriableStatus, parseRetryAfter, sleep, type RetryPolicy } from '../http/retry.js';
import type { IndexTemplate } from './index-template.js';

const gzipAsync = promisify(gzip);

/**
 * Ask only for what is read: `errors` and each item's `status` and `error`. Every item has a
 * status, so no item drops out of the list and positions still match the request.
 */
export const BULK_QUERY = 'filter_path=errors,items.*.status,items.*.error';

/** Most of a _bulk response kept; the filtered answer is a few dozen bytes per item. */
const MAX_RESPONSE_BYTES = 64 * 2 ** 20;

/** `<endpoint>/_bulk` with the response filter. */
export function bulkUrl(endpoint: URL): URL {
  const u = new URL(endpoint.href);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/_bulk`;
  u.search = BULK_QUERY;
  u.hash = '';
  return u;
}

export interface EsSinkOptions {
  /** The cluster's base URL (no credentials); requests go to `<endpoint>/_bulk`. */
  endpoint: URL;
  headers: Record<string, string>;
  action: 'create' | 'index';
  index: IndexTemplate;
  idField: FieldPath | null;
  timeoutMs: number;
  caFile: string | null;
  verify: boolean;
  compression: 'none' | 'gzip';
  maxBatchBytes: number;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
}

/** One event as a bulk operation: its action line and document, ready to send. */
interface Op { index: number; text: string; bytes: number; withId: boolean }

/** An event not delivered. `own`: a verdict about this item; otherwise the whole request failed. */
interface Failure { index: number; reason: string; retriable: boolean; own: boolean }

type ItemVerdict = { k: 'ok' } | { k: 'retry'; reason: string } | { k: 'reject'; reason: string; status: number };

export class ElasticsearchSink implements SinkRuntime {
  /** Made at start (or first write), not at build: `sluice validate` builds sinks it never starts. */
  private client: HttpClient | null = null;
  private readonly target: string;
  private readonly bulkUrl: URL;
  private readonly contentHeaders: Record<string, string>;
  readonly breaker: CircuitBreaker;

  constructor(private readonly o: EsSinkOptions) {
    this.bulkUrl = bulkUrl(o.endpoint);
    this.target = safeTarget(this.bulkUrl);
    this.breaker = o.breaker;
    this.contentHeaders = { 'content-type': 'application/x-ndjson' };
    if (o.compression === 'gzip') this.contentHeaders['content-encoding'] = 'gzip';
  }

  async start(): Promise<void> { await this.connect(); }

  async write(events: Event[], ctx: SinkContext): Promise<WriteResult | void> {
    const client = await this.connect();
    const failures: Failure[] = [];
    const parts = this.encode(events, failures);
    for (let p = 0; p < parts.length; p++) {
      const r = await this.deliver(client, parts[p]!, ctx);
      failures.push(...r.failures);
      if (r.down !== null) {
        // The destination stayed unreachable through every retry (or we were stopped): do not
        // start another retry ladder for the parts behind; they fail with the same reason.
        for (let q = p + 1; q < parts.length; q++) for (const op of parts[q]!) failures.push({ index: op.index, reason: r.down, retriable: true, own: false });
        break;
      }
    }
    if (failures.length === 0) return;
    // Nothing got through and no item got an answer of its own: the write failed as a whole, so
    // throw and let the engine dead-letter the batch with the reason, as the http sink does.
    // When items were judged one by one, their own reasons are worth more than one summary.
    if (failures.length === events.length && !failures.some((f) => f.own)) throw new Error(failures[0]!.reason);
    failures.sort((a, b) => a.index - b.index);
    return { rejected: failures.map((f) => (f.retriable ? { index: f.index, reason: f.reason, retriable: true } : { index: f.index, reason: f.reason })) };
  }

  async stop(): Promise<void> {
    this.client?.close();
    this.client = null;
  }

  private async connect(): Promise<HttpClient> {
    if (this.client) return this.client;
    const ca = await loadCa(this.o.caFile);
    return (this.client ??= new HttpClient({
      url: this.bulkUrl, method: 'POST', headers: this.o.headers, timeoutMs: this.o.timeoutMs,
      ca, verify: this.o.verify, keepBodyBytes: MAX_RESPONSE_BYTES,
    }));
  }

  /** Each event as an action line plus its document, grouped into bodies of at most max_batch_bytes. */
  private encode(events: Event[], failures: Failure[]): Op[][] {
    const { action, index, idField, maxBatchBytes } = this.o;
    const now = Date.now();
    const parts: Op[][] = [];
    let cur: Op[] = [];
    let size = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const idx = index.render(e, now);
      if (!idx.ok) { failures.push({ index: i, reason: idx.reason, retriable: false, own: true }); continue; }
      const meta: { _index: string; _id?: string } = { _index: idx.index };
      if (idField) {
        // Without a value there is no _id: Elasticsearch makes one, and a retry may duplicate.
        const v = idField.get(e);
        if (v !== undefined && v !== null && v !== '') meta._id = keyString(v);
      }
      let doc: string;
      try { doc = JSON.stringify(e); } catch (err) {
        failures.push({ index: i, reason: `could not encode event as JSON: ${(err as Error).message}`, retriable: false, own: true });
        continue;
      }
      const text = `${JSON.stringify({ [action]: meta })}\n${doc}\n`;
      const bytes = Buffer.byteLength(text);
      if (cur.length > 0 && size + bytes > maxBatchBytes) { parts.push(cur); cur = []; size = 0; }
      cur.push({ index: i, text, bytes, withId: meta._id !== undefined });
      size += bytes;
    }
    if (cur.length) parts.push(cur);
    return parts;
  }

  /**
   * Send one part until every item is delivered or refused for good, or retries run out. Each
   * request really sent is one attempt, whether it carried the whole part or only the items
   * refused last time; waiting on an open circuit breaker is not. `down` is set when the part
   * ended on a failure of the whole request (the destination is unreachable or we stopped).
   */
  private async deliver(client: HttpClient, ops: Op[], ctx: SinkContext): Promise<{ failures: Failure[]; down: string | null }> {
    const { retry } = this.o;
    const failures: Failure[] = [];
    let pending = ops;
    /** The last item-level reason per pending op, for when its retries run out. */
    let itemReason = new Map<Op, string>();
    const giveUp = (reason: (op: Op) => string, down: string | null) => {
      for (const op of pending) failures.push({ index: op.index, reason: reason(op), retriable: true, own: down === null });
      return { failures, down };
    };
    for (let attempt = 0; ; attempt++) {
      const stopped = (when: string) => giveUp(() => `not delivered to ${this.target}: stopped (forced) ${when}`, `not delivered to ${this.target}: stopped (forced) ${when}`);
      if (ctx.signal.aborted) return stopped('during retries');
      const permit = await this.breaker.acquire(ctx.signal);
      if (!permit) return stopped('while the circuit breaker was open');
      let body = Buffer.from(pending.length === 1 ? pending[0]!.text : pending.map((op) => op.text).join(''));
      if (this.o.compression === 'gzip') body = await gzipAsync(body);

      let problem = '';
      let whole = true;
      let retryAfter: number | null = null;
      let res: HttpResponse | null = null;
      try {
        res = await client.send(body, this.contentHeaders, ctx.signal);
      } catch (e) {
        if (ctx.signal.aborted) { permit.cancel(); return stopped('during a request'); }
        problem = requestProblem(e, this.target);
        permit.failure(problem);
      }
      if (res) {
        if (res.status < 200 || res.status >= 300) {
          problem = statusProblem(res, this.target);
          if (!isRetriableStatus(res.status)) {
            // The cluster answered; it refuses this request as a whole (bad auth, bad body...).
            permit.success();
            for (const op of pending) failures.push({ index: op.index, reason: `${problem} (permanent; not retried)`, retriable: false, own: false });
            return { failures, down: null };
          }
          permit.failure(problem);
          if (res.status === 429 || res.status === 503) retryAfter = parseRetryAfter(res.headers['retry-after']);
        } else {
          const verdicts = this.readBulk(res, pending.length);
          if (typeof verdicts === 'string') {
            problem = `invalid _bulk response from ${this.target}: ${verdicts}`;
            permit.failure(problem);
          } else {
            whole = false;
            const again: Op[] = [];
            const reasons = new Map<Op, string>();
            for (let i = 0; i < pending.length; i++) {
              const op = pending[i]!;
              const v = verdicts[i]!;
              if (v.k === 'ok') continue;
              if (v.k === 'reject') {
                // A create that finds its _id already there: an earlier try of ours got through
                // (its answer was lost). With id_field that is the document we sent: delivered.
                if (v.status === 409 && this.o.action === 'create' && op.withId) continue;
                failures.push({ index: op.index, reason: v.reason, retriable: false, own: true });
              } else { again.push(op); reasons.set(op, v.reason); }
            }
            // Every item refused for a passing reason (the cluster is overloaded) is a failed
            // attempt for the breaker; any item written means the destination works.
            if (again.length === pending.length) permit.failure(`all ${again.length} items refused (${reasons.get(again[0]!)})`);
            else permit.success();
            if (again.length === 0) return { failures, down: null };
            problem = `${again.length} of ${pending.length} items refused by ${this.target}, e.g. ${reasons.get(again[0]!)}`;
            pending = again;
            itemReason = reasons;
          }
        }
      }
      if (attempt >= retry.attempts) {
        const n = `${attempt + 1} attempt${attempt ? 's' : ''}`;
        return whole
          ? giveUp(() => `gave up after ${n}; last error: ${problem}`, `gave up after ${n}; last error: ${problem}`)
          : giveUp((op) => `gave up after ${n}; last error: ${itemReason.get(op)}`, null);
      }
      const wait = retryAfter !== null ? Math.min(retryAfter, retry.maxBackoffMs) : backoffMs(retry, attempt);
      const held = this.breaker.remainingOpenMs;
      ctx.log.warn(`attempt ${attempt + 1} failed (${problem}); ${whole ? 'retrying' : `resending those ${pending.length}`} in ${Math.max(wait, held)} ms${held > wait ? ' (circuit breaker open)' : ''}`);
      await sleep(wait, ctx.signal);
    }
  }

  /**
   * The per-item verdicts of a 2xx _bulk answer, in request order, or what is wrong with it.
   * Per the _bulk API: `errors` is false when every item succeeded; otherwise each
   * `items[i].<action>` carries `status` and, when it failed, `error.type` and `error.reason`.
   */
  private readBulk(res: HttpResponse, count: number): ItemVerdict[] | string {
    if (!res.complete) return `response larger than ${MAX_RESPONSE_BYTES} bytes`;
    const text = res.bodyStart.toString('utf8');
    let body: unknown;
    try { body = JSON.parse(text); } catch {
      return `not valid JSON (starts with ${JSON.stringify(text.slice(0, 100))}); is the endpoint an Elasticsearch or OpenSearch cluster?`;
    }
    if (body === null || typeof body !== 'object' || !Array.isArray((body as { items?: unknown }).items)) {
      return `no "items" list (starts with ${JSON.stringify(text.slice(0, 100))}); is the endpoint an Elasticsearch or OpenSearch cluster?`;
    }
    const { items, errors } = body as { items: unknown[]; errors?: unknown };
    if (items.length !== count) return `${items.length} items in the answer for ${count} sent`;
    const out: ItemVerdict[] = new Array(count);
    const ok: ItemVerdict = { k: 'ok' };
    if (errors === false) return out.fill(ok);
    for (let i = 0; i < count; i++) {
      const item = items[i];
      const r = (item !== null && typeof item === 'object' ? ((item as Record<string, unknown>)[this.o.action] ?? Object.values(item)[0]) : undefined) as
        { status?: unknown; error?: { type?: unknown; reason?: unknown } | string } | undefined;
      if (r === null || typeof r !== 'object' || typeof r.status !== 'number') return `item ${i} has no status`;
      const status = r.status;
      if (status >= 200 && status < 300) { out[i] = ok; continue; }
      const err = r.error;
      const what = typeof err === 'object' && err !== null
        ? `${String(err.type ?? 'error')}: ${String(err.reason ?? '(no reason given)')}`
        : `error: ${typeof err === 'string' ? err : '(no reason given)'}`;
      const reason = `${what} (HTTP ${status})`;
      out[i] = isRetriableStatus(status) ? { k: 'retry', reason } : { k: 'reject', reason, status };
    }
    return out;
  }
}
