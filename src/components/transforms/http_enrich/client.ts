/**
 * One lookup request: node:http(s) over a keep-alive agent with at most `concurrency` sockets,
 * a deadline that covers the whole exchange (connect, send, read), and a cap on the response
 * size. node:http rather than fetch: the path is sent exactly as built (WHATWG URL parsing would
 * resolve a key of `..` as a parent directory, even percent-encoded), the agent and TLS trust are
 * ours, and a response over the cap is cut off as it streams in.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { loadCa } from '../../sinks/http/client.js';

export interface ClientOptions {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Sockets kept open to the provider: the concurrency cap. */
  maxSockets: number;
  /** Absolute path of extra CA certificates (PEM), read before the first request. */
  caFile: string | null;
  verify: boolean;
}

export interface Answer { status: number; statusText: string; body: Buffer }

/** Why a request got no answer. `timeout` and `network` are the provider's trouble; `too_large` and `aborted` are not. */
export class RequestFailed extends Error {
  constructor(message: string, readonly kind: 'timeout' | 'network' | 'too_large' | 'aborted') { super(message); }
}

export class LookupClient {
  private agent: Promise<http.Agent> | null = null;
  private readonly request: typeof http.request;

  constructor(private readonly o: ClientOptions) {
    this.request = o.protocol === 'https:' ? https.request : http.request;
  }

  /** Made at the first request, not at build: `sluice validate` builds transforms it never runs. */
  private getAgent(): Promise<http.Agent> {
    return (this.agent ??= (async () => {
      if (this.o.protocol === 'http:') return new http.Agent({ keepAlive: true, maxSockets: this.o.maxSockets });
      const ca = await loadCa(this.o.caFile);
      return new https.Agent({ keepAlive: true, maxSockets: this.o.maxSockets, rejectUnauthorized: this.o.verify, ...(ca ? { ca } : {}) });
    })());
  }

  async send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: string | null, signal: AbortSignal): Promise<Answer> {
    const agent = await this.getAgent();
    const max = this.o.maxResponseBytes;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, a?: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err); else resolve(a!);
      };
      const fail = (e: RequestFailed) => { finish(e); req.destroy(e); };
      const payload = body === null ? null : Buffer.from(body);
      const req = this.request({
        protocol: this.o.protocol, hostname: this.o.hostname, port: this.o.port, path, method, agent,
        headers: payload ? { ...headers, 'content-length': String(payload.length) } : headers,
      }, (res) => {
        const declared = Number(res.headers['content-length']);
        if (declared > max) { fail(new RequestFailed(`response of ${declared} bytes is larger than max_response_size (${max})`, 'too_large')); return; }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) { fail(new RequestFailed(`response larger than max_response_size (${max} bytes)`, 'too_large')); return; }
          chunks.push(c);
        });
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
        res.on('error', (e) => finish(new RequestFailed(e.message, 'network')));
      });
      const timer = setTimeout(() => fail(new RequestFailed(`no answer within ${this.o.timeoutMs} ms`, 'timeout')), this.o.timeoutMs);
      const onAbort = () => fail(new RequestFailed('stopping', 'aborted'));
      if (signal.aborted) { onAbort(); return; }
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => finish(e instanceof RequestFailed ? e : new RequestFailed(e.message || ((e as NodeJS.ErrnoException).code ?? 'request failed'), 'network')));
      req.end(payload ?? undefined);
    });
  }

  close(): void {
    void this.agent?.then((a) => a.destroy(), () => {});
  }
}
