/**
 * The HTTP API: /health, Prometheus /metrics, component stats for `sluice top`, and a live tap
 * for `sluice tap`. Off unless `api` is configured; bearer-token auth when a token is set (the
 * config refuses a non-loopback address without one).
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiConfig } from '../engine/config/index.js';
import type { Pipeline } from '../engine/topology.js';
import { createMetricsRegistry } from './metrics.js';

export interface ApiServer { app: FastifyInstance; address: string; close(): Promise<void> }

export async function startApi(cfg: ApiConfig, getPipeline: () => Pipeline | null): Promise<ApiServer> {
  // forceCloseConnections: a stop must not wait for a `sluice tap` that is still streaming.
  const app = Fastify({ logger: false, bodyLimit: 1 << 20, connectionTimeout: 0, keepAliveTimeout: 5000, forceCloseConnections: true });
  const metrics = createMetricsRegistry(getPipeline);
  const expected = cfg.token ? Buffer.from(`Bearer ${cfg.token}`) : null;

  app.addHook('onRequest', async (req, reply) => {
    if (!expected || req.url === '/health') return;
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token', hint: 'send Authorization: Bearer <api.token>' });
    }
  });

  app.get('/health', async () => {
    const p = getPipeline();
    const stalled = p?.stalled() ?? [];
    return { status: !p || p.isStopping ? 'stopping' : stalled.length ? 'stalled' : 'ok', uptime_secs: p ? Math.round((Date.now() - p.startedAt) / 1000) : 0, components: p?.components().length ?? 0, stalled };
  });

  // on_error: stall — an operator decides what happens to the held events.
  app.post<{ Params: { id: string }; Body: { action?: string } | undefined }>('/api/components/:id/resume', async (req, reply) => {
    const p = getPipeline();
    const action = req.body?.action ?? 'retry';
    if (action !== 'retry' && action !== 'dlq' && action !== 'drop') return reply.code(400).send({ error: `unknown action ${JSON.stringify(action)}`, hint: 'use retry, dlq or drop' });
    if (!p || !p.resume(req.params.id, action)) return reply.code(409).send({ error: `component ${req.params.id} is not stalled`, stalled: p?.stalled().map((x) => x.id) ?? [] });
    return { resumed: req.params.id, action };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });

  app.get('/api/components', async () => {
    const p = getPipeline();
    if (!p) return { components: [] };
    const specs = new Map(p.components().map((c) => [c.id, c]));
    return {
      time: Date.now(),
      components: p.stats().map((s) => ({ ...s.toJSON(), inputs: specs.get(s.id)?.inputs.map((r) => (r.output ? `${r.component}.${r.output}` : r.component)) ?? [] })),
    };
  });

  // Per-source books: received + created = delivered + dropped + dead-lettered + in flight.
  app.get('/api/stats', async () => {
    const p = getPipeline();
    return { time: Date.now(), sources: p ? p.accounting.all().map((a) => a.toJSON()) : [], dead_letters_written: p?.deadLetters.count ?? 0 };
  });

  // Live sample of events on an output, as NDJSON, until `limit` events or the client leaves.
  app.get<{ Querystring: { output?: string; limit?: string; interval_ms?: string } }>('/api/tap', async (req, reply) => {
    const p = getPipeline();
    const ref = req.query.output;
    if (!p || !ref) return reply.code(400).send({ error: 'give ?output=<component>[.output]' });
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 100_000);
    // At most this many events per 100 ms reach the client: a tap is a sample, never a firehose.
    const perTick = 50;
    let sent = 0;
    let tickCount = 0;
    let off: (() => void) | null = null;
    try {
      off = p.tap(ref, (events) => {
        for (const e of events) {
          if (sent >= limit || tickCount >= perTick) break;
          sent++; tickCount++;
          reply.raw.write(JSON.stringify(e) + '\n');
        }
        if (sent >= limit) finish();
      });
    } catch (e) {
      return reply.code(404).send({ error: (e as Error).message });
    }
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const tick = setInterval(() => { tickCount = 0; }, 100);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(tick);
      off?.();
      reply.raw.end();
    };
    req.raw.on('close', finish);
    void p.done.then(finish);
  });

  const [host, port] = splitAddress(cfg.address);
  await app.listen({ host, port });
  const addr = app.server.address();
  const address = typeof addr === 'object' && addr ? `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : cfg.address;
  return { app, address, close: () => app.close() };
}

export function splitAddress(address: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid address ${address}: use host:port`);
  return [m[1]!.replace(/^\[|\]$/g, ''), Number(m[2])];
}
