/**
 * A local implementation of the PagerDuty Events API v2 for tests: a real HTTP server on
 * 127.0.0.1 serving `POST /v2/enqueue` as PagerDuty documents it. It checks the event (routing_key
 * of 32 characters, event_action, for a trigger `payload.summary` up to 1024 characters,
 * `payload.source`, `payload.severity` one of critical/error/warning/info, a parseable
 * `payload.timestamp`, `dedup_key` up to 255 characters, links with `href`, the 512 KB size
 * limit) and answers 202 `{"status":"success","message":"Event processed","dedup_key":...}` or
 * 400 `{"status":"invalid event","message":"Event object is invalid","errors":[...]}`. It keeps
 * alerts by dedup_key with the documented semantics: a trigger opens an alert or adds to the open
 * one; acknowledge and resolve apply to the open alert and are dropped when there is none; a
 * trigger after a resolve opens a new alert. Requests can be scripted to fail (429, 5xx).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PdEvent = Record<string, unknown> & { routing_key: string; event_action: string; dedup_key?: string; payload?: Record<string, unknown> };
export interface PdAlert { dedupKey: string; routingKey: string; status: 'triggered' | 'acknowledged' | 'resolved'; events: PdEvent[] }
export type Canned = { status: number; body: string; headers?: Record<string, string> };

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const MAX_BYTES = 512 * 1024;

export class EventsApi {
  readonly requests: { headers: IncomingMessage['headers']; raw: string; status: number }[] = [];
  /** Every alert ever opened, oldest first (a resolved key can have several). */
  readonly alerts: PdAlert[] = [];
  /** Answer request n (0-based) with this instead of processing it. */
  failRequest: (n: number, body: string) => Canned | null = () => null;
  private srv!: Server;
  url = '';

  async start(): Promise<this> {
    this.srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const n = this.requests.length;
        const entry = { headers: req.headers, raw: raw.toString('utf8'), status: 0 };
        this.requests.push(entry);
        const a = this.failRequest(n, entry.raw) ?? this.handle(req, raw);
        entry.status = a.status;
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
      });
    });
    await new Promise<void>((r) => this.srv.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.srv.address() as AddressInfo).port}/v2/enqueue`;
    return this;
  }

  async close(): Promise<void> {
    this.srv.closeAllConnections();
    await new Promise((r) => this.srv.close(r));
  }

  /** The open (or last) alert with this key. */
  alert(dedupKey: string): PdAlert | undefined {
    return [...this.alerts].reverse().find((a) => a.dedupKey === dedupKey);
  }

  /** The documented 429 answer. */
  static throttled(): Canned {
    return { status: 429, body: JSON.stringify({ status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' }) };
  }

  private handle(req: IncomingMessage, raw: Buffer): Canned {
    const invalid = (...errors: string[]): Canned => ({ status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors }) });
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/v2/enqueue') return { status: 404, body: JSON.stringify({ status: 'not found', message: 'Not found' }) };
    if (raw.length > MAX_BYTES) return invalid(`Event payload exceeds the maximum size of ${MAX_BYTES} bytes`);
    let e: PdEvent;
    try { e = JSON.parse(raw.toString('utf8')); } catch { return invalid('Event object is not valid JSON'); }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return invalid('Event object must be a JSON object');
    const errors: string[] = [];
    if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
    if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action)) errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
    if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)) errors.push("'dedup_key' is invalid (must be a string of at most 255 characters)");
    if (e.event_action === 'trigger') {
      const p = e.payload;
      if (p === null || typeof p !== 'object') errors.push("'payload' is missing or invalid");
      else {
        if (typeof p.summary !== 'string' || p.summary.trim() === '') errors.push("'payload.summary' is missing or blank");
        else if (p.summary.length > 1024) errors.push("'payload.summary' is too long (must be at most 1024 characters)");
        if (typeof p.source !== 'string' || p.source.trim() === '') errors.push("'payload.source' is missing or blank");
        if (!SEVERITIES.has(p.severity as string)) errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
        if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp)))) errors.push("'payload.timestamp' is invalid (must be an ISO 8601 timestamp)");
        if (p.custom_details !== undefined && (p.custom_details === null || typeof p.custom_details !== 'object')) errors.push("'payload.custom_details' must be an object");
      }
      if (e.links !== undefined && (!Array.isArray(e.links) || !e.links.every((l) => l !== null && typeof l === 'object' && typeof (l as { href?: unknown }).href === 'string'))) errors.push("'links' is invalid (each link needs an 'href')");
    } else if (typeof e.dedup_key !== 'string' || e.dedup_key === '') errors.push(`'dedup_key' is required for '${String(e.event_action)}' events`);
    if (errors.length) return invalid(...errors);

    const key = e.dedup_key ?? randomUUID().replace(/-/g, '');
    const open = this.alerts.find((a) => a.dedupKey === key && a.routingKey === e.routing_key && a.status !== 'resolved');
    if (e.event_action === 'trigger') {
      if (open) open.events.push(e);
      else this.alerts.push({ dedupKey: key, routingKey: e.routing_key, status: 'triggered', events: [e] });
    } else if (open) {
      open.events.push(e);
      open.status = e.event_action === 'resolve' ? 'resolved' : 'acknowledged';
    }
    return { status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: key }) };
  }
}
