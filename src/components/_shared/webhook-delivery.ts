/**
 * Delivery for the alert sinks that POST JSON (`webhook`, `slack`, `pagerduty`): one request with
 * retries, and the bookkeeping of a write that sends several requests.
 *
 * The `http` sink's loop is private to it and sends one fixed body; these sinks need a body and
 * headers made per attempt (a webhook signature carries the time it was made, so a retry after a
 * long backoff must be signed again) and describe refusals in the destination's own words (Slack's
 * `invalid_payload`, PagerDuty's `errors`). The pieces that are the same - the retry policy,
 * backoff, Retry-After, the TLS client and the circuit breaker - are the shared ones.
 */
import type { BuildContext, SinkContext, WriteResult } from '../../core/component.js';
import { circuitBreakerFromConfig, type CircuitBreaker, type CircuitBreakerConfig } from './circuit-breaker.js';
import { checkCaFile, HttpClient, loadCa, requestProblem, type HttpResponse } from '../sinks/http/client.js';
import { backoffMs, isRetriableStatus, parseRetryAfter, retryPolicy, sleep, type RetryConfig, type RetryPolicy } from '../sinks/http/retry.js';

/** A request that did not succeed: `permanent` when the destination refused it, else retries ran out or we stopped. */
export class DeliveryError extends Error {
  constructor(message: string, readonly permanent: boolean) { super(message); }
}

export interface DestinationOptions {
  url: URL;
  /** Names the destination in messages, without credentials (a Slack webhook's path is one). */
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Absolute path of extra CA certificates (PEM), read at start. */
  caFile: string | null;
  verify: boolean;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
  /** Answers that count as delivered (default: any 2xx). */
  accepted?: (status: number) => boolean;
  /** A refusal or failure answer in the destination's words, for the reason of rejected events. */
  describe: (res: HttpResponse, target: string) => string;
}

export interface Attempt {
  body: Buffer;
  headers: Record<string, string>;
}

/** One destination: its HTTP client (made at start, not at build) and the retry loop. */
/** The delivery options alert sinks share: `timeout`, `tls`, `retry`, `circuit_breaker`. */
export interface DeliveryConfig {
  timeout: number;
  tls?: { ca_file?: string; verify?: boolean };
  retry?: RetryConfig;
  circuit_breaker?: CircuitBreakerConfig;
}

/** A Destination built from a sink's shared delivery options. */
export function destinationFrom(
  cfg: DeliveryConfig, ctx: Pick<BuildContext, 'configDir' | 'log'>,
  to: { url: URL; target: string; headers?: Record<string, string>; describe: DestinationOptions['describe'] },
): Destination {
  return new Destination({
    url: to.url, target: to.target,
    headers: to.headers ?? { 'user-agent': 'sluice' },
    timeoutMs: cfg.timeout,
    caFile: checkCaFile(ctx.configDir, cfg.tls?.ca_file),
    verify: cfg.tls?.verify ?? true,
    retry: retryPolicy(cfg.retry),
    breaker: circuitBreakerFromConfig(cfg.circuit_breaker, to.target, ctx.log),
    describe: to.describe,
  });
}

export class Destination {
  private client: HttpClient | null = null;
  readonly breaker: CircuitBreaker;

  constructor(private readonly o: DestinationOptions) { this.breaker = o.breaker; }

  get target(): string { return this.o.target; }

  async connect(): Promise<HttpClient> {
    if (this.client) return this.client;
    const ca = await loadCa(this.o.caFile);
    return (this.client ??= new HttpClient({ url: this.o.url, method: 'POST', headers: this.o.headers, timeoutMs: this.o.timeoutMs, ca, verify: this.o.verify }));
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  /**
   * Send until accepted, refused, or out of retries. `attempt()` makes the body and headers of
   * each try. Network errors, timeouts, 408, 429 and 5xx are retried with backoff (Retry-After is
   * honoured on 429 and 503, up to max_backoff); other answers are permanent. Throws DeliveryError.
   */
  async post(attempt: () => Attempt, ctx: SinkContext): Promise<HttpResponse> {
    const client = await this.connect();
    const { retry, target } = this.o;
    const accepted = this.o.accepted ?? ((s: number) => s >= 200 && s < 300);
    // `n` counts requests really sent: waiting on an open circuit breaker is not one.
    for (let n = 0; ; n++) {
      if (ctx.signal.aborted) throw new DeliveryError(`not delivered to ${target}: stopped (forced) during retries`, false);
      const permit = await this.breaker.acquire(ctx.signal);
      if (!permit) throw new DeliveryError(`not delivered to ${target}: stopped (forced) while the circuit breaker was open`, false);
      let a: Attempt;
      // Made after the wait, so a signature's timestamp is the time of sending. A failure to make
      // the request is not the destination's: it is thrown as it is, and refuses the events.
      try { a = attempt(); } catch (e) { permit.cancel(); throw e; }
      let problem: string;
      let retryAfter: number | null = null;
      try {
        const res = await client.send(a.body, a.headers, ctx.signal);
        if (accepted(res.status)) { permit.success(); return res; }
        problem = this.o.describe(res, target);
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
          throw new DeliveryError(`not delivered to ${target}: stopped (forced) during a request`, false);
        }
        problem = requestProblem(e, target);
        permit.failure(problem);
      }
      if (n >= retry.attempts) throw new DeliveryError(`gave up after ${n + 1} attempt${n ? 's' : ''}; last error: ${problem}`, false);
      // Retry-After is honoured up to max_backoff, so one answer cannot stall the pipeline for hours.
      const wait = retryAfter !== null ? Math.min(retryAfter, retry.maxBackoffMs) : backoffMs(retry, n);
      const held = this.breaker.remainingOpenMs;
      ctx.log.warn(`attempt ${n + 1} failed (${problem}); retrying in ${Math.max(wait, held)} ms${held > wait ? ' (circuit breaker open)' : ''}`);
      await sleep(wait, ctx.signal);
    }
  }
}

/**
 * The outcome of a write that sends several requests (one per alert, or per group of alerts):
 * refusals reject only their own events; when retries run out the destination is down, so the
 * rest of the write is not sent and settles as retriable (errored, replayable from the dead-letter
 * store) rather than refused.
 */
export class WriteOutcome {
  private readonly rejected: { index: number; reason: string; retriable?: boolean }[] = [];
  private downReason: string | null = null;

  constructor(private readonly count: number) {}

  /** True once a request ran out of retries: send nothing more in this write. */
  get down(): boolean { return this.downReason !== null; }

  refuse(indexes: readonly number[], reason: string): void {
    for (const index of indexes) this.rejected.push({ index, reason });
  }

  /** Record a DeliveryError (or anything else thrown while sending) for these events. */
  fail(indexes: readonly number[], e: unknown): void {
    if (e instanceof DeliveryError && e.permanent) { this.refuse(indexes, e.message); return; }
    const reason = (e as Error).message;
    if (!(e instanceof DeliveryError)) { this.refuse(indexes, reason); return; }
    this.downReason = reason;
    for (const index of indexes) this.rejected.push({ index, reason, retriable: true });
  }

  /** Events after the failed request, never sent: the same retriable reason. */
  notSent(indexes: readonly number[]): void {
    for (const index of indexes) this.rejected.push({ index, reason: this.downReason!, retriable: true });
  }

  /** The write's result; throws when nothing got through because the destination is down. */
  result(): WriteResult | void {
    if (this.rejected.length === 0) return;
    if (this.rejected.length === this.count && this.rejected.every((r) => r.retriable)) throw new Error(this.downReason!);
    this.rejected.sort((a, b) => a.index - b.index);
    return { rejected: this.rejected };
  }
}

/** The start of a response body as text, for messages. */
export function bodyText(res: HttpResponse, max = 300): string {
  return res.bodyStart.subarray(0, max).toString('utf8').trim();
}

/** `HTTP 400 Bad Request from <target>` */
export function statusLine(res: HttpResponse, target: string): string {
  return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${target}`;
}
