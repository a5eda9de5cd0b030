/** The running `http_server` source: a fastify app that turns requests into batches. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { SourceContext, SourceRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { finalizerWithPromise } from '../../../core/finalizer.js';
import { chooseDecoding, decodeBody, decompress, RequestError, type BodyDecoding } from './body.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  path: string;
  token: string | null;
  maxBodyBytes: number;
  decoding: BodyDecoding;
  acknowledgements: boolean;
  maxConnections: number;
  /** Lower-case header names to copy into events. */
  headers: string[];
  sourceIpKey: string | null;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `:8080` (all interfaces is never implied: host is required). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid listen address ${JSON.stringify(address)}`);
  return { host: (m[1] ?? m[2])!, port };
}

const digest = (v: string): Buffer => createHash('sha256').update(v).digest();

/** At most this many per-line reasons go back to the client; all of them go to `errors`. */
const MAX_REPORTED_ERRORS = 10;

export class HttpServerSource implements SourceRuntime {
  private bound: AddressInfo | null = null;
  private readonly waiters: ((a: AddressInfo) => void)[] = [];
  /** SHA-256 of the token: comparing fixed-length digests keeps the comparison constant-time. */
  private readonly tokenDigest: Buffer | null;

  constructor(private readonly o: HttpServerOptions) {
    this.tokenDigest = o.token === null ? null : digest(o.token);
  }

  /** The bound address once listening (tests listen on port 0). */
  listening(): Promise<AddressInfo> {
    return this.bound ? Promise.resolve(this.bound) : new Promise((r) => this.waiters.push(r));
  }

  async run(ctx: SourceContext): Promise<void> {
    if (ctx.signal.aborted) return;
    this.bound = null;
    const app = this.createApp(ctx);
    app.server.maxConnections = this.o.maxConnections;
    await app.listen({ host: this.o.host, port: this.o.port });
    this.bound = app.server.address() as AddressInfo;
    ctx.log.info(`listening on http://${formatHost(this.bound)}${this.o.path}`);
    for (const w of this.waiters.splice(0)) w(this.bound);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // close() refuses new requests (503) and waits for those in flight; with acknowledgements
    // they finish as the rest of the pipeline drains.
    await app.close();
  }

  private createApp(ctx: SourceContext): FastifyInstance {
    const o = this.o;
    const app = Fastify({
      logger: false,
      bodyLimit: o.maxBodyBytes,
      // Bound how long a client may take to send a request; waiting for acknowledgements
      // happens after the request is read, so it is not cut by this.
      requestTimeout: 60_000,
      connectionTimeout: 0,
      keepAliveTimeout: 5_000,
      return503OnClosing: true,
    });
    // One parser for every type: the raw bytes, bounded by max_body_bytes (413 beyond it).
    // Decompression and decoding happen in the handler, where the limit applies again.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, (_req, body, done) => done(null, body));

    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
      if (err instanceof RequestError) return reply.code(err.status).send({ error: err.message, ...err.extra });
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ error: `invalid Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}` });
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: `request body exceeds max_body_bytes (${o.maxBodyBytes} bytes)` });
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status === 500) ctx.log.error(`request failed: ${err.message}`);
      return reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
    });
    app.setNotFoundHandler((req, reply) => {
      reply.code(404).send({ error: `no route for ${req.method} ${req.url.split('?', 1)[0]}`, hint: `send events with POST ${o.path}` });
    });

    // While stopping, answers to requests still in flight close their connection; otherwise an
    // idle keep-alive connection would hold close() open until the client drops it.
    app.addHook('onSend', async (_req, reply) => { if (ctx.signal.aborted) reply.header('connection', 'close'); });

    const health = o.path === '/' ? '/health' : `${o.path}/health`;
    app.get(health, async () => ({ status: ctx.signal.aborted ? 'stopping' : 'ok' }));

    const handler = (req: FastifyRequest, reply: FastifyReply) => this.handle(req, reply, ctx);
    const onRequest = this.tokenDigest ? [this.authHook()] : [];
    app.route({ method: ['POST', 'PUT'], url: o.path, onRequest, handler });
    return app;
  }

  /** Checked before the body is read, so unauthenticated clients cannot make us buffer it. */
  private authHook() {
    const want = this.tokenDigest!;
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const h = req.headers.authorization ?? '';
      const m = /^Bearer +(.+)$/i.exec(h);
      if (!m || !timingSafeEqual(digest(m[1]!.trim()), want)) {
        reply.header('connection', 'close');
        await reply.code(401).header('www-authenticate', 'Bearer').send({ error: m ? 'wrong bearer token' : 'missing bearer token', hint: 'send Authorization: Bearer <token>' });
      }
    };
  }

  private async handle(req: FastifyRequest, reply: FastifyReply, ctx: SourceContext): Promise<unknown> {
    const o = this.o;
    const raw = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    const body = await decompress(raw, req.headers['content-encoding'], o.maxBodyBytes);
    const { events, rejected } = decodeBody(chooseDecoding(o.decoding, req.headers['content-type'], body), body);

    if (events.length) this.annotate(events, req);
    for (const r of rejected) await ctx.error({ message: r.text }, r.reason, r.code);

    const answer: Record<string, unknown> = { accepted: events.length };
    if (rejected.length) {
      answer.rejected = rejected.length;
      answer.errors = rejected.slice(0, MAX_REPORTED_ERRORS).map((r) => ({ line: r.line, error: r.reason }));
    }
    if (events.length === 0) return answer;

    if (!o.acknowledgements) {
      await ctx.send(events, { bytes: body.length });
      return answer;
    }
    const { finalizer, settled } = finalizerWithPromise();
    await ctx.send(events, { bytes: body.length, finalizer });
    const status = await settled;
    if (status === 'delivered') return answer;
    reply.code(503);
    return { error: `events were not delivered (${status === 'errored' ? 'a destination failed' : 'dead-lettered'})`, status, accepted: 0 };
  }

  /** Per-event additions computed once per request. */
  private annotate(events: Event[], req: FastifyRequest): void {
    const { sourceIpKey, headers } = this.o;
    const ip = sourceIpKey ? stripMapped(req.ip) : '';
    let hdrs: Record<string, string> | null = null;
    if (headers.length) {
      hdrs = {};
      for (const name of headers) {
        const v = req.headers[name];
        if (v !== undefined) hdrs[name] = Array.isArray(v) ? v.join(', ') : v;
      }
    }
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (sourceIpKey) e[sourceIpKey] = ip;
      if (hdrs) {
        const http = e.http;
        // Keep a client's own `http` object; only `http.headers` is ours.
        if (http !== null && typeof http === 'object' && !Array.isArray(http)) (http as Event).headers = { ...hdrs };
        else e.http = { headers: { ...hdrs } };
      }
    }
  }
}

/** `::ffff:203.0.113.7` (an IPv4 client on a dual-stack socket) -> `203.0.113.7`. */
function stripMapped(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function formatHost(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
