/**
 * One HTTP request with a hard deadline, over a keep-alive agent. node:http/https directly (not
 * fetch) so the agent, the TLS trust and the timeout are ours to control.
 */
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { resolve } from 'node:path';
import { ComponentConfigError } from '../../../core/component.js';
import { s } from '../../../core/schema.js';

/** `tls:` option block of the HTTP-based sinks. */
export const tlsField = () => s.object({
  ca_file: s.string().desc('PEM file with CA certificates to trust besides the system ones (relative to the config file).'),
  verify: s.bool().default(true).desc('Verify the server certificate and name. Turn off only for testing.'),
});

/**
 * The absolute path of `tls.ca_file`, checked to be readable so `sluice validate` reports a wrong
 * path; its content is read at start (build does no I/O beyond this check).
 */
export function checkCaFile(configDir: string, caFile: string | undefined): string | null {
  if (!caFile) return null;
  const abs = resolve(configDir, caFile);
  try { accessSync(abs, constants.R_OK); } catch (e) { throw new ComponentConfigError(`cannot read tls.ca_file ${abs}: ${(e as Error).message}`, ['tls', 'ca_file']); }
  return abs;
}

export async function loadCa(caFile: string | null): Promise<Buffer | null> {
  if (caFile === null) return null;
  try { return await readFile(caFile); } catch (e) { throw new Error(`cannot read tls.ca_file ${caFile}: ${(e as Error).message}`); }
}

/** `Authorization: Basic ...` for a user and password. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** A URL for messages: never echo credentials or a query that may sit in it. */
export function safeTarget(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export interface ClientOptions {
  url: URL;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM). */
  ca: Buffer | null;
  verify: boolean;
  /** How much of a response body to keep (default 4 KiB, enough for an error message). */
  keepBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** The response body, up to `keepBodyBytes` (by default its start, enough for an error message). */
  bodyStart: Buffer;
  /** False when the body was longer than `keepBodyBytes` and `bodyStart` is only its start. */
  complete: boolean;
}

/** No complete response within the timeout: retriable. */
export class TimeoutError extends Error {}

/** Keep this much of a response body by default: error messages quote its start, the rest is drained. */
const KEEP_BODY_BYTES = 4096;

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly keep: number;

  constructor(private readonly o: ClientOptions) {
    const tls = o.url.protocol === 'https:';
    // A few sockets: the engine writes one batch at a time per sink, so more would sit idle.
    this.agent = tls
      ? new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: o.verify, ...(o.ca ? { ca: o.ca } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.request = tls ? https.request : http.request;
    this.keep = o.keepBodyBytes ?? KEEP_BODY_BYTES;
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
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (keptBytes < this.keep) { kept.push(chunk); keptBytes += chunk.length; }
        });
        res.on('end', () => finish(null, {
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          bodyStart: Buffer.concat(kept).subarray(0, this.keep),
          complete: total <= this.keep,
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

/** A non-2xx answer as a message: status, reason phrase, target and the start of the body. */
export function statusProblem(res: HttpResponse, target: string): string {
  const preview = res.bodyStart.subarray(0, 200).toString('utf8').trim();
  return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${target}${preview ? `: ${preview}` : ''}`;
}

/** A request that got no answer (network error, timeout) as a message. */
export function requestProblem(e: unknown, target: string): string {
  return e instanceof TimeoutError ? `timeout: ${e.message} from ${target}` : `request to ${target} failed: ${(e as Error).message}`;
}
