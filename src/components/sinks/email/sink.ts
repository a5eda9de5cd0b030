/**
 * The running `email` sink: SMTP through nodemailer, one email per alert or one digest per batch,
 * with the same retry policy and circuit breaker as the HTTP sinks.
 *
 * An SMTP reply says who is at fault: 5xx is permanent (the server will refuse this message
 * again), 4xx is temporary ("try again later"), and no reply (refused connection, timeout, TLS
 * failure) says nothing about the message. So a 5xx rejects the email's alerts with the server's
 * reply, while 4xx replies and connection errors are retried and, when retries run out, the
 * alerts settle as not delivered (replayable).
 */
import nodemailer from 'nodemailer';
import type { SinkContext, SinkRuntime, WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import type { CircuitBreaker } from '../../_shared/circuit-breaker.js';
import { loadCa } from '../http/client.js';
import { backoffMs, sleep, type RetryPolicy } from '../http/retry.js';
import { DeliveryError, WriteOutcome } from '../../_shared/webhook-delivery.js';
import type { Mail, MessageMaker } from './message.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure: boolean;
  starttls: 'required' | 'opportunistic' | 'never';
  auth: { user: string; pass: string } | null;
  caFile: string | null;
  verify: boolean;
  timeoutMs: number;
}

export interface EmailSinkOptions {
  smtp: SmtpOptions;
  from: string;
  to: string[];
  messages: MessageMaker;
  /** Alerts per digest email; null: one email per alert. */
  digest: number | null;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
}

interface SmtpError extends Error { code?: string; responseCode?: number; response?: string; command?: string }

type Transport = ReturnType<typeof nodemailer.createTransport>;

export class EmailSink implements SinkRuntime {
  private transport: Transport | null = null;
  readonly breaker: CircuitBreaker;
  private readonly target: string;

  constructor(private readonly o: EmailSinkOptions) {
    this.breaker = o.breaker;
    this.target = `smtp://${o.smtp.host}:${o.smtp.port}`;
  }

  async start(): Promise<void> { await this.connect(); }

  async stop(): Promise<void> {
    this.transport?.close();
    this.transport = null;
  }

  async write(events: Event[], ctx: SinkContext): Promise<WriteResult | void> {
    const out = new WriteOutcome(events.length);
    const size = this.o.digest ?? 1;
    for (let from = 0; from < events.length; from += size) {
      const indexes: number[] = [];
      for (let i = from; i < Math.min(events.length, from + size); i++) indexes.push(i);
      if (out.down) { out.notSent(indexes); continue; }
      let mail: Mail;
      try {
        mail = this.o.digest === null ? this.o.messages.one(events[from]!) : this.o.messages.digest(indexes.map((i) => events[i]!));
      } catch (e) { out.refuse(indexes, `could not make the email: ${(e as Error).message}`); continue; }
      try {
        await this.send(mail, ctx);
      } catch (e) {
        out.fail(indexes, e);
      }
    }
    return out.result();
  }

  /** nodemailer's transport, made at start (not build); one pooled connection, reused. */
  private async connect(): Promise<Transport> {
    if (this.transport) return this.transport;
    const s = this.o.smtp;
    const ca = await loadCa(s.caFile);
    return (this.transport ??= nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      host: s.host,
      port: s.port,
      secure: s.secure,
      // required: nodemailer sends STARTTLS even when it is not offered, and fails rather than
      // continue in clear; never: it does not try. opportunistic: it upgrades when offered.
      requireTLS: !s.secure && s.starttls === 'required',
      ignoreTLS: !s.secure && s.starttls === 'never',
      auth: s.auth ?? undefined,
      tls: { rejectUnauthorized: s.verify, minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) },
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
    }));
  }

  private async send(mail: Mail, ctx: SinkContext): Promise<void> {
    const transport = await this.connect();
    const { retry } = this.o;
    for (let n = 0; ; n++) {
      if (ctx.signal.aborted) throw new DeliveryError(`not delivered to ${this.target}: stopped (forced) during retries`, false);
      const permit = await this.breaker.acquire(ctx.signal);
      if (!permit) throw new DeliveryError(`not delivered to ${this.target}: stopped (forced) while the circuit breaker was open`, false);
      let problem: string;
      try {
        const info = await abortable(transport.sendMail({ from: this.o.from, to: this.o.to, subject: mail.subject, text: mail.text, html: mail.html }), ctx.signal);
        permit.success();
        if (info.rejected.length) ctx.log.warn(`email to ${this.target}: some recipients were refused (${info.rejected.map(String).join(', ')}); delivered to the others`);
        return;
      } catch (e) {
        if (ctx.signal.aborted) {
          permit.cancel();
          // The transport may hold a half-sent message: drop it so stop() does not wait on it.
          this.transport?.close();
          this.transport = null;
          throw new DeliveryError(`not delivered to ${this.target}: stopped (forced) during sending`, false);
        }
        const err = e as SmtpError;
        problem = smtpProblem(err, this.target, this.o.smtp.starttls);
        if (err.responseCode !== undefined && err.responseCode >= 500 && err.responseCode < 600) {
          // The server answered: it is up, and it will refuse this message again.
          permit.success();
          throw new DeliveryError(`${problem} (permanent; not retried)`, true);
        }
        permit.failure(problem);
      }
      if (n >= retry.attempts) throw new DeliveryError(`gave up after ${n + 1} attempt${n ? 's' : ''}; last error: ${problem}`, false);
      const wait = backoffMs(retry, n);
      const held = this.breaker.remainingOpenMs;
      ctx.log.warn(`attempt ${n + 1} failed (${problem}); retrying in ${Math.max(wait, held)} ms${held > wait ? ' (circuit breaker open)' : ''}`);
      await sleep(wait, ctx.signal);
    }
  }
}

/** An SMTP failure as a message: the server's reply and the command it answered, when there was one. */
export function smtpProblem(e: SmtpError, target: string, starttls: SmtpOptions['starttls']): string {
  if (e.code === 'ETLS') {
    const said = e.response ? `: the server answered ${e.response.trim()}` : `: ${e.message}`;
    return `${target} did not accept STARTTLS${said}; with starttls: ${starttls} nothing is sent in clear`;
  }
  if (e.response) return `${target} answered ${e.command ? `${e.command} with ` : ''}${e.response.trim()}`;
  return `SMTP to ${target} failed: ${e.message.trim()}${e.code ? ` (${e.code})` : ''}`;
}

/** The promise, or a rejection as soon as `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
