/**
 * One HTTP request with a hard deadline, over a keep-alive agent. node:http/https directly (not
 * fetch) so the agent, the TLS trust and the timeout are ours to control.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface ClientOptions {
  url: URL;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM). */
  ca: Buffer | null;
  verify: boolean;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** The start of the response body (enough for an error message). */
  bodyStart: Buffer;
}

/** No complete response within the timeout: retriable. */
export class TimeoutError extends Error {}

/** Keep this much of a response body: error messages quote its start, the rest is drained. */
const KEEP_BODY_BYTES = 4096;

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(private readonly o: ClientOptions) {
    const tls = o.url.protocol === 'https:';
    // A few sockets: the engine writes one batch at a time per sink, so more would sit idle.
    this.agent = tls
      ? new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: o.verify, ...(o.ca ? { ca: o.ca } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.request = tls ? https.request : http.request;
  }

  send(body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, res?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err); else resolve(res!);
      };
      const req = this.request(this.o.url, {
        method: this.o.method,
        agent: this.agent,
        headers: { ...this.o.headers, ...headers, 'content-length': String(body.length) },
      }, (res) => {
        const kept: Buffer[] = [];
        let keptBytes = 0;
        res.on('data', (chunk: Buffer) => {
          if (keptBytes < KEEP_BODY_BYTES) { kept.push(chunk); keptBytes += chunk.length; }
        });
        res.on('end', () => finish(null, {
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          bodyStart: Buffer.concat(kept).subarray(0, KEEP_BODY_BYTES),
        }));
        res.on('error', (e) => finish(e));
      });
      // The deadline covers the whole exchange: connect, send, and reading the full response.
      const timer = setTimeout(() => {
        const e = new TimeoutError(`no complete response within ${this.o.timeoutMs} ms`);
        finish(e);
        req.destroy(e);
      }, this.o.timeoutMs);
      const onAbort = () => {
        const e = new Error('request aborted (forced stop)');
        finish(e);
        req.destroy(e);
      };
      if (signal.aborted) { onAbort(); return; }
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => finish(e));
      req.end(body);
    });
  }

  close(): void { this.agent.destroy(); }
}
