/**
 * A local implementation of Slack's incoming-webhook API for tests: a real HTTP server on
 * 127.0.0.1 with one URL per channel (`/services/T.../B.../<secret>`), answering as Slack
 * documents: 200 `ok`; 400 `invalid_payload` (a body that is not the JSON message), `no_text`
 * (neither `text` nor `blocks`), `invalid_blocks` (a block over Slack's limits: at most 50 blocks,
 * header plain_text up to 150 characters, section text up to 3000, up to 10 fields of up to 2000,
 * context up to 10 elements); 404 `no_service` (unknown or removed webhook); 410
 * `channel_is_archived`; and 429 with `Retry-After` (seconds) beyond about one message per second
 * per channel, with a configurable burst. Requests can also be scripted to fail.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Posted { channel: string; headers: IncomingMessage['headers']; body: Record<string, unknown>; at: number }
export type Canned = { status: number; body: string; headers?: Record<string, string> };

interface Hook { channel: string; archived: boolean; tokens: number; last: number }

export class SlackWebhookApi {
  readonly posted: Posted[] = [];
  /** Every request received, in order (also refused ones). */
  readonly requests: { path: string; status: number }[] = [];
  /** Answer request n (0-based, over all hooks) with this instead of processing it. */
  failRequest: (n: number, body: string) => Canned | null = () => null;
  /** Messages one channel may post at once before the one-per-second rate applies. */
  burst = 1000;
  private readonly hooks = new Map<string, Hook>();
  private srv!: Server;
  private base = '';
  private seq = 0;

  async start(): Promise<this> {
    this.srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { status, body, headers } = this.handle(req, Buffer.concat(chunks).toString('utf8'));
        this.requests.push({ path: req.url ?? '', status });
        res.writeHead(status, { 'content-type': 'text/html', ...headers }).end(body);
      });
    });
    await new Promise<void>((r) => this.srv.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.srv.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.srv.closeAllConnections();
    await new Promise((r) => this.srv.close(r));
  }

  /** A new incoming webhook posting to `channel`; returns its URL. */
  hook(channel: string): string {
    const path = `/services/T0SLUICE/B0${++this.seq}/${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    this.hooks.set(path, { channel, archived: false, tokens: this.burst, last: Date.now() });
    return this.base + path;
  }

  /** A URL with the right shape that no webhook answers to (removed, or mistyped). */
  unknownHook(): string { return `${this.base}/services/T0SLUICE/B0GONE/notawebhook`; }

  archive(url: string): void { this.hooks.get(new URL(url).pathname)!.archived = true; }

  messages(channel: string): Record<string, unknown>[] {
    return this.posted.filter((p) => p.channel === channel).map((p) => p.body);
  }

  private handle(req: IncomingMessage, text: string): Canned {
    const n = this.requests.length;
    const canned = this.failRequest(n, text);
    if (canned) return canned;
    const hook = this.hooks.get(req.url ?? '');
    if (req.method !== 'POST') return { status: 405, body: 'invalid_method' };
    if (!hook) return { status: 404, body: 'no_service' };
    // One message per second per channel, after the burst: 429 with the seconds to wait.
    const now = Date.now();
    hook.tokens = Math.min(this.burst, hook.tokens + (now - hook.last) / 1000);
    hook.last = now;
    if (hook.tokens < 1) return { status: 429, body: '', headers: { 'retry-after': String(Math.ceil(1 - hook.tokens)) } };
    hook.tokens -= 1;
    if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return { status: 400, body: 'invalid_payload' };
    let body: unknown;
    try { body = JSON.parse(text); } catch { return { status: 400, body: 'invalid_payload' }; }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return { status: 400, body: 'invalid_payload' };
    const msg = body as Record<string, unknown>;
    const hasText = typeof msg.text === 'string' && msg.text.trim() !== '';
    if (!hasText && msg.blocks === undefined) return { status: 400, body: 'no_text' };
    if (msg.blocks !== undefined && !validBlocks(msg.blocks)) return { status: 400, body: 'invalid_blocks' };
    if (hook.archived) return { status: 410, body: 'channel_is_archived' };
    this.posted.push({ channel: hook.channel, headers: req.headers, body: msg, at: now });
    return { status: 200, body: 'ok' };
  }
}

function textObject(t: unknown, max: number, plainOnly = false): boolean {
  if (t === null || typeof t !== 'object') return false;
  const o = t as Record<string, unknown>;
  if (o.type !== 'plain_text' && (plainOnly || o.type !== 'mrkdwn')) return false;
  return typeof o.text === 'string' && o.text.length >= 1 && o.text.length <= max;
}

/** Block Kit's documented limits for the block types an alert uses. */
export function validBlocks(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  return blocks.every((b) => {
    if (b === null || typeof b !== 'object') return false;
    const o = b as Record<string, unknown>;
    switch (o.type) {
      case 'header': return textObject(o.text, 150, true);
      case 'section': {
        if (o.text === undefined && o.fields === undefined) return false;
        if (o.text !== undefined && !textObject(o.text, 3000)) return false;
        if (o.fields !== undefined && (!Array.isArray(o.fields) || o.fields.length < 1 || o.fields.length > 10 || !o.fields.every((f) => textObject(f, 2000)))) return false;
        return true;
      }
      case 'context': return Array.isArray(o.elements) && o.elements.length >= 1 && o.elements.length <= 10 && o.elements.every((x) => textObject(x, 3000));
      case 'divider': return true;
      default: return false;
    }
  });
}
