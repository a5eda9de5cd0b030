/**
 * Disk buffer micro benchmark: N deterministic ~550-byte events (bench/events.ts) in batches of
 * 1,000 are appended (group commit, fsync every 100 ms) and read back with acks, on the real disk
 * under the OS temp dir. Three runs:
 *   floor       JSON.stringify + JSON.parse of the same batches, no I/O (the cost we cannot avoid)
 *   write,read  all appends (64 in flight), then all reads and acks
 *   concurrent  appends and reads/acks at the same time, as a sink runs it
 * Usage: npm run build && node dist/bench/disk-buffer.bench.js [--events N] [--fsync-ms 100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBuffer } from '../src/engine/buffers/disk.js';
import { makeEvent, prng } from './events.js';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('events', 1_000_000);
const fsyncMs = arg('fsync-ms', 100);
const BATCH = 1000;
const IN_FLIGHT = 64;

// 50 distinct batches reused cyclically: 1M live event objects would measure the GC, not the buffer.
const r = prng(42);
const batches = Array.from({ length: 50 }, (_, b) => Array.from({ length: BATCH }, (_, i) => makeEvent(r, b * BATCH + i)));
const batchCount = Math.ceil(N / BATCH);
const payloadBytes = batches.reduce((n, b) => n + Buffer.byteLength(JSON.stringify(b)), 0) / batches.length;
const totalMB = (payloadBytes * batchCount) / 1e6;
process.stderr.write(`${N} events in batches of ${BATCH}, ${Math.round(payloadBytes / BATCH)} bytes/event, ${totalMB.toFixed(0)} MB; fsync every ${fsyncMs} ms\n`);

const root = mkdtempSync(join(tmpdir(), 'sluice-disk-bench-'));
const rows: string[][] = [['RUN', 'SECONDS', 'EVENTS/S', 'MB/S', 'FSYNCS']];
const row = (name: string, secs: number, fsyncs: number | string) => rows.push([name, secs.toFixed(2), Math.round(N / secs).toLocaleString('en-US'), (totalMB / secs).toFixed(0), String(fsyncs)]);
const now = () => performance.now() / 1000;

async function appendAll(b: DiskBuffer): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < batchCount; i++) {
    inFlight.push(b.append(batches[i % batches.length]!));
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

async function readAll(b: DiskBuffer): Promise<number> {
  let events = 0;
  for (let x = await b.read(BATCH); x; x = await b.read(BATCH)) { events += x.events.length; b.ack(x.id); }
  return events;
}

try {
  // floor
  let t = now();
  for (let i = 0; i < batchCount; i++) JSON.parse(JSON.stringify(batches[i % batches.length]));
  row('floor (stringify+parse)', now() - t, '-');

  // sequential
  let b = await DiskBuffer.open(join(root, 'seq'), { maxBytes: 2 ** 30, fsyncIntervalMs: fsyncMs });
  t = now();
  await appendAll(b);
  row('write (append, durable)', now() - t, b.stats().fsyncs);
  await b.end();
  t = now();
  const read = await readAll(b);
  row('read + ack', now() - t, '-');
  if (read !== batchCount * BATCH) throw new Error(`read ${read} events, expected ${batchCount * BATCH}`);
  await b.close();

  // concurrent
  b = await DiskBuffer.open(join(root, 'conc'), { maxBytes: 2 ** 30, fsyncIntervalMs: fsyncMs });
  t = now();
  const [, got] = await Promise.all([appendAll(b).then(() => b.end()), readAll(b)]);
  row('write + read concurrently', now() - t, b.stats().fsyncs);
  if (got !== batchCount * BATCH) throw new Error(`read ${got} events, expected ${batchCount * BATCH}`);
  await b.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
process.stdout.write(rows.map((x) => x.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n') + '\n');
