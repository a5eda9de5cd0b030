import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fetchLocation, Refresher, Slicer, type Fetched, type Location } from './resource.js';
import { quietLog } from '../engine/testing.js';

const loc = (o: Partial<Location>): Location => ({ refresh_interval: 3_600_000, timeout: 2_000, ...o });

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/feed.txt?key=secret` };
}

test('a URL is fetched with its validators; an unchanged feed answers 304 and is not reloaded', async () => {
  let body = 'one', etag = '"v1"';
  const seen: (string | undefined)[] = [];
  const { server, url } = await serve((req, res) => {
    seen.push(req.headers['if-none-match'] as string | undefined);
    if (req.headers['if-none-match'] === etag) { res.writeHead(304).end(); return; }
    res.writeHead(200, { etag, 'last-modified': 'Mon, 23 Nov 2026 10:00:00 GMT' }).end(body);
  });
  try {
    let prev: Fetched | null = null;
    const r = new Refresher<string>({
      name: 'feed test', log: quietLog, intervalMs: 0,
      async load() {
        const f = await fetchLocation(loc({ url, headers: { 'x-api-key': 'k' } }), '.', prev);
        if (f === 'unchanged') return 'unchanged';
        prev = f;
        return f.body.toString();
      },
    });
    await r.start();
    assert.equal(r.current, 'one');
    await r.refresh();
    assert.equal(r.stats.unchanged, 1, 'the second fetch was a 304');
    body = 'two'; etag = '"v2"';
    await r.refresh();
    assert.equal(r.current, 'two');
    assert.deepEqual(seen, [undefined, '"v1"', '"v1"']);
    assert.equal(prev!.source, url.replace(/\?.*$/, ''), 'messages name the URL without its query');
  } finally { server.close(); }
});

test('a failed reload keeps the data loaded before and is counted', async () => {
  let fail = false;
  const warnings: string[] = [];
  const r = new Refresher<number>({
    name: 'table t', intervalMs: 0,
    log: { ...quietLog, warn: (m) => { warnings.push(m); } },
    async load() { if (fail) throw new Error('HTTP 503 Service Unavailable'); return 42; },
  });
  await r.start();
  fail = true;
  await r.refresh();
  assert.equal(r.current, 42);
  assert.equal(r.stats.failures, 1);
  assert.equal(r.stats.lastError, 'HTTP 503 Service Unavailable');
  assert.match(warnings[0]!, /table t: reload failed, keeping the data loaded before/);
});

test('HTTP errors and unreachable servers name the URL', async () => {
  const { server, url } = await serve((_req, res) => { res.writeHead(500).end(); });
  try {
    await assert.rejects(fetchLocation(loc({ url }), '.', null), /cannot fetch http:\/\/127\.0\.0\.1:\d+\/feed\.txt: HTTP 500/);
  } finally { server.close(); }
  await assert.rejects(fetchLocation(loc({ path: 'no-such-file.csv' }), '/nonexistent', null), /cannot read \/nonexistent\/no-such-file\.csv: ENOENT/);
});

test('a watched file reloads when a new version is renamed over it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-res-'));
  const file = join(dir, 'table.csv');
  writeFileSync(file, 'v1');
  let prev: Fetched | null = null;
  const swapped: string[] = [];
  const r = new Refresher<string>({
    name: 'table', log: quietLog, intervalMs: 0, watchFile: file,
    async load() {
      const f = await fetchLocation(loc({ path: 'table.csv' }), dir, prev);
      if (f === 'unchanged') return 'unchanged';
      prev = f;
      return f.body.toString();
    },
    onSwap: (next) => { swapped.push(next); },
  });
  await r.start();
  try {
    writeFileSync(join(dir, 'table.csv.tmp'), 'v2');
    renameSync(join(dir, 'table.csv.tmp'), file);
    const deadline = Date.now() + 5_000;
    while (r.current !== 'v2' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    assert.equal(r.current, 'v2');
    assert.deepEqual(swapped, ['v1', 'v2']);
  } finally { r.stop(); }
});

test('the slicer yields to the event loop while a big table is built', async () => {
  const s = new Slicer(0);
  let yielded = 0;
  for (let i = 0; i < 10_000; i++) {
    const p = s.tick();
    if (p) { yielded++; await p; }
  }
  assert.ok(yielded >= 9, `yielded ${yielded} times`);
});
