/**
 * The syslog listener: UDP datagrams (one message each, RFC 5426) or TCP connections (framed per
 * RFC 6587, see framing.ts). Messages from every peer are gathered into one batch, sent when it
 * holds BATCH_EVENTS events or FLUSH_MS after its first event.
 *
 * Backpressure: while a batch is being sent, every TCP socket is paused, so a slow pipeline slows
 * the senders through TCP flow control. UDP cannot be slowed down: while a send is pending,
 * datagrams queue up to a bound, beyond which they are dropped, counted and logged.
 */
import type { ErrorCode } from '../../../core/errors.js';
import { isUtf8 } from 'node:buffer';
import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import type { SourceContext, SourceRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { parseSyslog, type SyslogOptions } from '../../../formats/syslog.js';
import { Framer, type Framing } from './framing.js';

export interface SyslogSettings {
  mode: 'udp' | 'tcp';
  host: string;
  port: number;
  maxMessageBytes: number;
  framing: Framing;
  maxConnections: number;
  idleTimeoutMs: number;
  parse: boolean;
  hostKey: string;
  timezone: 'local' | 'utc';
}

const BATCH_EVENTS = 1000;
const BATCH_BYTES = 1 << 20;
/** Short enough to be invisible in latency, long enough to batch a busy sender's messages. */
const FLUSH_MS = 10;
/** UDP only: most events held while a send is pending, before datagrams are dropped. */
const UDP_MAX_PENDING_EVENTS = 10 * BATCH_EVENTS;
const UDP_MAX_PENDING_BYTES = 32 << 20;
const PREVIEW = 200;
const WARN_EVERY_MS = 10_000;

interface PendingError { event: Event; reason: string; code: ErrorCode }

/** Collects events and errors from all peers and sends them in batches, one send at a time. */
class Batcher {
  events: Event[] = [];
  bytes = 0;
  private errors: PendingError[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  failure: unknown = null;
  /** Resolves when a send fails: the source then stops instead of reading into a broken pipeline. */
  readonly failed: Promise<void>;
  private signalFailed!: () => void;

  constructor(private readonly ctx: SourceContext, private readonly onBusy: (busy: boolean) => void) {
    this.failed = new Promise((r) => { this.signalFailed = r; });
  }

  get busy(): boolean { return this.sending !== null; }
  get size(): number { return this.events.length + this.errors.length; }

  add(e: Event, bytes: number): void {
    this.events.push(e);
    this.bytes += bytes;
    this.schedule();
  }

  error(event: Event, reason: string, code: ErrorCode): void {
    this.errors.push({ event, reason, code });
    this.schedule();
  }

  private schedule(): void {
    if (this.sending) return; // the running send loop picks these up
    if (this.size >= BATCH_EVENTS || this.bytes >= BATCH_BYTES) this.kick();
    else if (this.timer === null) this.timer = setTimeout(() => { this.timer = null; this.kick(); }, FLUSH_MS);
  }

  private kick(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.sending || this.size === 0) return;
    this.sending = this.drain().finally(() => { this.sending = null; });
  }

  private async drain(): Promise<void> {
    this.onBusy(true);
    try {
      while (this.size > 0) {
        const events = this.events;
        const bytes = this.bytes;
        const errors = this.errors;
        this.events = []; this.bytes = 0; this.errors = [];
        if (events.length) await this.ctx.send(events, { bytes });
        for (const x of errors) await this.ctx.error(x.event, x.reason, x.code);
      }
    } catch (e) {
      this.failure ??= e;
      this.signalFailed();
    } finally {
      this.onBusy(false);
    }
  }

  /** Send everything still held; resolves when nothing is pending. */
  async close(): Promise<void> {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    while (this.sending || this.size > 0) {
      if (!this.sending) this.kick();
      await this.sending;
      if (this.failure) return;
    }
  }
}

export class SyslogSource implements SourceRuntime {
  /** Resolves with the bound address once listening (tests listen on port 0). */
  readonly bound: Promise<AddressInfo>;
  private resolveBound!: (a: AddressInfo) => void;
  private rejectBound!: (e: unknown) => void;
  private readonly parseOpts: SyslogOptions;

  constructor(private readonly cfg: SyslogSettings) {
    this.bound = new Promise((res, rej) => { this.resolveBound = res; this.rejectBound = rej; });
    this.bound.catch(() => {}); // run() reports listen errors; this promise is for callers that wait on it
    this.parseOpts = { timezone: cfg.timezone };
  }

  async run(ctx: SourceContext): Promise<void> {
    if (this.cfg.mode === 'udp') await this.runUdp(ctx); else await this.runTcp(ctx);
  }

  /** Turn one framed message into an event (or an error). */
  private handler(batcher: Batcher): (text: string, bytes: number, ip: string) => void {
    const { parse, hostKey } = this.cfg;
    const opts = this.parseOpts;
    return (text, bytes, ip) => {
      let e: Event;
      if (parse) {
        const r = parseSyslog(text, opts);
        if (!r.ok) { batcher.error(this.errorEvent(text, ip), `invalid syslog: ${r.error}`, 'parse_failed'); return; }
        e = r.value as unknown as Event;
      } else e = { message: text };
      if (hostKey) e[hostKey] = ip;
      batcher.add(e, bytes);
    };
  }

  private errorEvent(text: string, ip: string): Event {
    const e: Event = { message: text };
    if (this.cfg.hostKey) e[this.cfg.hostKey] = ip;
    return e;
  }

  private async runUdp(ctx: SourceContext): Promise<void> {
    const { host, port, maxMessageBytes } = this.cfg;
    const batcher = new Batcher(ctx, () => {});
    const handle = this.handler(batcher);
    const sock = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    const drops = new DropCounter(ctx);
    sock.on('message', (msg, rinfo) => {
      const ip = normalizeIp(rinfo.address);
      if (batcher.size >= UDP_MAX_PENDING_EVENTS || batcher.bytes >= UDP_MAX_PENDING_BYTES) { drops.add(); return; }
      if (msg.length > maxMessageBytes) {
        batcher.error(this.errorEvent(msg.toString('utf8', 0, PREVIEW), ip), `message of ${msg.length} bytes exceeds max_message_bytes (${maxMessageBytes})`, 'line_too_long');
        return;
      }
      // Senders often end a datagram with a newline (or NUL); it is not part of the message.
      let end = msg.length;
      while (end > 0 && (msg[end - 1] === 10 || msg[end - 1] === 13 || msg[end - 1] === 0)) end--;
      if (end === 0) return;
      const body = msg.subarray(0, end);
      if (!isUtf8(body)) { batcher.error(this.errorEvent(body.toString('utf8', 0, PREVIEW), ip), 'message is not valid UTF-8', 'invalid_utf8'); return; }
      handle(body.toString('utf8'), msg.length, ip);
    });
    try {
      await this.listen(ctx, () => new Promise((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, host, () => { sock.off('error', reject); resolve(sock.address()); });
      }));
    } catch (e) {
      sock.close();
      throw e;
    }
    sock.on('error', (e) => ctx.log.warn('syslog UDP socket error', { error: e.message }));
    await Promise.race([aborted(ctx.signal), batcher.failed]);
    await new Promise<void>((r) => sock.close(() => r()));
    drops.flush();
    await batcher.close();
    if (batcher.failure) throw batcher.failure;
  }

  private async runTcp(ctx: SourceContext): Promise<void> {
    const { host, port, maxMessageBytes, framing, maxConnections, idleTimeoutMs } = this.cfg;
    const conns = new Set<net.Socket>();
    const closed = new Set<Promise<void>>();
    const batcher = new Batcher(ctx, (busy) => { for (const s of conns) { if (busy) s.pause(); else s.resume(); } });
    const handle = this.handler(batcher);
    let lastRefusedWarn = 0;
    let refused = 0;

    const server = net.createServer((sock) => {
      if (conns.size >= maxConnections || ctx.signal.aborted) {
        refused++;
        const now = Date.now();
        if (now - lastRefusedWarn >= WARN_EVERY_MS) {
          ctx.log.warn(`syslog: refused ${refused} connection(s): max_connections (${maxConnections}) reached`, { peer: sock.remoteAddress });
          lastRefusedWarn = now; refused = 0;
        }
        sock.destroy();
        return;
      }
      const ip = normalizeIp(sock.remoteAddress ?? '');
      const framer = new Framer(framing, maxMessageBytes, {
        message: (text, bytes) => handle(text, bytes, ip),
        error: (code, reason, preview) => batcher.error(this.errorEvent(preview, ip), reason, code),
      });
      conns.add(sock);
      if (batcher.busy) sock.pause();
      sock.setTimeout(idleTimeoutMs);
      sock.on('timeout', () => { ctx.log.debug('syslog: closing idle connection', { peer: ip }); sock.destroy(); });
      sock.on('data', (chunk: Buffer) => {
        framer.push(chunk);
        if (framer.fatal !== null) { ctx.log.warn(`syslog: closing connection from ${ip}: ${framer.fatal}`); sock.destroy(); }
      });
      sock.on('error', (e) => ctx.log.debug('syslog: connection error', { peer: ip, error: e.message }));
      const done = new Promise<void>((resolve) => sock.once('close', () => {
        // Whatever the connection left unfinished is reported (or, for a final line, delivered).
        framer.end();
        conns.delete(sock);
        closed.delete(done);
        resolve();
      }));
      closed.add(done);
    });
    await this.listen(ctx, () => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(server.address() as AddressInfo); });
    }));
    server.on('error', (e) => ctx.log.warn('syslog TCP server error', { error: e.message }));
    await Promise.race([aborted(ctx.signal), batcher.failed]);
    // Stop accepting, stop reading, then close: what was already read is in the batch and is sent below.
    const serverClosed = new Promise<void>((r) => server.close(() => r()));
    for (const s of conns) { s.pause(); s.destroy(); }
    await Promise.all([...closed]);
    await serverClosed;
    await batcher.close();
    if (batcher.failure) throw batcher.failure;
  }

  /** Bind; a bind error (address in use, permission) fails run() with a clear message. */
  private async listen(ctx: SourceContext, bind: () => Promise<AddressInfo>): Promise<void> {
    try {
      this.resolveBound(await bind());
    } catch (err) {
      const e = new Error(`syslog: cannot listen on ${this.cfg.mode} ${this.cfg.host}:${this.cfg.port}: ${(err as Error).message}`);
      this.rejectBound(e);
      throw e;
    }
    ctx.log.info(`syslog: listening on ${this.cfg.mode} ${this.cfg.host}:${this.cfg.port}`);
  }
}

class DropCounter {
  private count = 0;
  private last = 0;
  constructor(private readonly ctx: SourceContext) {}
  add(): void {
    this.count++;
    // Counted at once in the component's discarded metric; the warning is rate-limited.
    this.ctx.discard(1, 'udp backlog full');
    const now = Date.now();
    if (now - this.last >= WARN_EVERY_MS) this.flush(now);
  }
  flush(now = Date.now()): void {
    if (this.count === 0) return;
    this.ctx.log.warn(`syslog: dropped ${this.count} UDP datagram(s): the pipeline is slower than the senders and UDP cannot be slowed down (use TCP for backpressure)`);
    this.count = 0;
    this.last = now;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((r) => signal.addEventListener('abort', () => r(), { once: true }));
}

/** `::ffff:10.0.0.1` -> `10.0.0.1`: IPv4 peers on a dual-stack socket. */
export function normalizeIp(a: string): string {
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}
