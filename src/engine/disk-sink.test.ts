/**
 * Sinks with `buffer: { type: disk }`: acknowledged once durable in the buffer, delivered from it,
 * kept across a stop and a restart, and bounded by `max_size` with the configured policy.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, validateConfig } from './config/index.js';
import { Pipeline } from './topology.js';
import { DiskBuffer } from './buffers/disk.js';
import { quietLog } from './testing.js';
import { collected, testRegistry } from './test-components.js';

beforeEach(() => collected.clear());

function pipeline(dir: string, yaml: string): Pipeline {
  const cfg = validateConfig(['p.yaml'], testRegistry, { env: {}, texts: new Map([['p.yaml', `data_dir: ${dir}\n${yaml}`]]) });
  return new Pipeline(cfg, { log: quietLog, bufferFsyncMs: 5 });
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sluice-disk-sink-'));

test('a disk-buffered sink delivers everything in order and its books balance', async () => {
  const dir = tmp();
  const p = pipeline(dir, `
sources: { gen: { type: counter, count: 1000, batch: 50 } }
sinks: { out: { type: collect, inputs: [gen], name: a, buffer: { type: disk, max_size: 10MiB } } }
`);
  await p.start();
  await p.done;
  assert.deepEqual(collected.get('a')!.map((e) => e.n), [...Array(1000).keys()]);
  const gen = p.accounting.of('gen').toJSON();
  assert.equal(gen.delivered, 1000, 'the source counts events durable in the buffer as delivered');
  assert.equal(gen.in_flight, 0);
  const buf = p.accounting.of('out (disk buffer)').toJSON();
  assert.deepEqual([buf.received, buf.delivered, buf.in_flight, buf.balanced], [1000, 1000, 0, true]);
  const stats = p.stats().find((s) => s.id === 'out')!.toJSON() as { disk_buffer?: { appendedEvents: number; ackedEvents: number; events: number } };
  assert.equal(stats.disk_buffer!.appendedEvents, 1000);
  assert.equal(stats.disk_buffer!.ackedEvents, 1000);
  assert.equal(stats.disk_buffer!.events, 0);
  assert.ok(existsSync(join(dir, 'out', 'buffer', 'ack')), 'the consumed position is saved');
});

test('a stop keeps undelivered events in the buffer; the next run delivers them', async () => {
  const dir = tmp();
  // A slow destination: the buffer holds what the sink has not written yet when the stop comes.
  const p1 = pipeline(dir, `
sources: { gen: { type: counter, forever: true, batch: 100, delay_ms: 1 } }
sinks: { out: { type: collect, inputs: [gen], name: a, delay_ms: 50, batch: { max_events: 100 }, buffer: { type: disk } } }
`);
  await p1.start();
  while ((collected.get('a')?.length ?? 0) < 300) await new Promise((r) => setTimeout(r, 10));
  await p1.stop();
  const sent = p1.accounting.of('gen').received;
  const first = collected.get('a')!.length;
  const left = p1.accounting.of('out (disk buffer)').inFlight;
  assert.ok(left > 0, `events should remain in the buffer at the stop (sent ${sent}, delivered ${first})`);
  assert.equal(p1.accounting.of('gen').delivered, sent, 'everything the source sent was acknowledged by the buffer');
  assert.equal(first + left, sent);

  const p2 = pipeline(dir, `
sources: { gen: { type: counter, count: 0 } }
sinks: { out: { type: collect, inputs: [gen], name: a, buffer: { type: disk } } }
`);
  await p2.start();
  await p2.done;
  const ns = collected.get('a')!.map((e) => e.n as number);
  assert.equal(ns.length, sent, 'no event lost or repeated across a graceful stop');
  assert.deepEqual(ns, [...Array(sent).keys()]);
  assert.equal(p2.accounting.of('out (disk buffer)').received, left);
});

test('when_full: drop_newest drops and counts what does not fit; the rest is delivered', async () => {
  const dir = tmp();
  const p = pipeline(dir, `
sources: { gen: { type: counter, count: 3000, batch: 100 } }
sinks: { out: { type: collect, inputs: [gen], name: a, delay_ms: 20, batch: { max_events: 100 }, buffer: { type: disk, max_size: 20KiB, when_full: drop_newest } } }
`);
  await p.start();
  await p.done;
  const got = collected.get('a')!.length;
  const gen = p.accounting.of('gen').toJSON();
  assert.ok(gen.dropped > 0, 'a 20 KiB buffer cannot hold 3,000 events in front of a slow sink');
  assert.equal(gen.delivered + gen.dropped, 3000);
  assert.equal(got, gen.delivered);
  assert.equal(gen.balanced, true);
  const out = p.stats().find((s) => s.id === 'out')!;
  assert.equal(out.discarded.get('disk buffer full (when_full: drop_newest)'), gen.dropped);
});

test('when_full: block holds the source back instead of dropping', async () => {
  const dir = tmp();
  const p = pipeline(dir, `
sources: { gen: { type: counter, count: 2000, batch: 100 } }
sinks: { out: { type: collect, inputs: [gen], name: a, delay_ms: 5, batch: { max_events: 100 }, buffer: { type: disk, max_size: 20KiB } } }
`);
  await p.start();
  await p.done;
  assert.equal(collected.get('a')!.length, 2000);
  assert.equal(p.accounting.of('gen').dropped, 0);
});

test('failed deliveries from a disk buffer are dead-lettered with the reason, then acked', async () => {
  const dir = tmp();
  const p = pipeline(dir, `
sources: { gen: { type: counter, count: 10 } }
sinks: { out: { type: collect, inputs: [gen], name: a, fail: true, buffer: { type: disk } } }
`);
  await p.start();
  await p.done;
  const dead = [...p.deadLetters.read()];
  assert.equal(dead.length, 10);
  assert.match(dead[0]!.reason, /destination down/);
  const buf = p.accounting.of('out (disk buffer)').toJSON();
  assert.deepEqual([buf.received, buf.dead_lettered, buf.in_flight], [10, 10, 0]);
  // Nothing comes back on the next run: dead-lettered records are consumed.
  const p2 = pipeline(dir, `
sources: { gen: { type: counter, count: 0 } }
sinks: { out: { type: collect, inputs: [gen], name: a, buffer: { type: disk } } }
`);
  await p2.start();
  await p2.done;
  assert.equal(collected.get('a'), undefined);
});

test('disk buffer options are checked where they are written', () => {
  const check = (yaml: string) => {
    try { validateConfig(['p.yaml'], testRegistry, { env: {}, texts: new Map([['p.yaml', yaml]]) }); } catch (e) { return (e as ConfigError).problems.map((p) => `${p.position?.line}:${p.position?.col} ${p.message}`); }
    return [];
  };
  assert.deepEqual(check(`sources: { gen: { type: counter } }
transforms:
  t:
    type: tag
    inputs: [gen]
    buffer: { type: disk }
sinks: { out: { type: collect, inputs: [t], name: a } }
`), ['6:21 a disk buffer belongs on a sink']);
  assert.deepEqual(check(`sources: { gen: { type: counter } }
sinks:
  out:
    type: collect
    inputs: [gen]
    name: a
    buffer: { max_size: 1GiB }
`), ['7:15 `max_size` is the size of a disk buffer']);
  assert.match(check(`sources: { gen: { type: counter } }
sinks: { out: { type: collect, inputs: [gen], name: a, buffer: { type: disk, when_full: spill } } }
`)[0]!, /^2:\d+ .*block.*drop_newest/);
});

test('a record corrupted on disk between runs is dead-lettered with where it was; the rest is delivered', async () => {
  const dir = tmp();
  const bufDir = join(dir, 'out', 'buffer');
  const b = await DiskBuffer.open(bufDir, { maxBytes: 1e6, fsyncIntervalMs: 0 });
  for (let r = 0; r < 3; r++) await b.append(Array.from({ length: 10 }, (_, i) => ({ n: r * 10 + i })));
  await b.close();
  const seg = join(bufDir, readdirSync(bufDir).find((f) => f.endsWith('.seg'))!);
  const bytes = readFileSync(seg);
  const magic = Buffer.from([0xff, 0x53, 0x4c, 0x42]);
  const second = bytes.indexOf(magic, 1);
  bytes[second + 40] ^= 0xff; // inside the second record's payload
  writeFileSync(seg, bytes);

  const p = pipeline(dir, `
sources: { gen: { type: counter, count: 0 } }
sinks: { out: { type: collect, inputs: [gen], name: a, buffer: { type: disk } } }
`);
  await p.start();
  await p.done;
  assert.deepEqual(collected.get('a')!.map((e) => e.n), [...Array(10).keys(), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
  const dead = [...p.deadLetters.read()];
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.error_code, 'buffer_corrupt');
  assert.match(dead[0]!.reason, /payload checksum mismatch/);
  assert.deepEqual(dead[0]!.event, { buffer: bufDir, file: seg, offset: second, bytes: (dead[0]!.event as { bytes: number }).bytes, events: 10 });
  const books = p.accounting.of('out (disk buffer)').toJSON();
  assert.deepEqual([books.received, books.delivered, books.dead_lettered, books.in_flight, books.balanced], [30, 20, 10, 0, true]);
});

test('a sink that takes JSON text gets the buffer\'s lines as they are; what it refuses is dead-lettered as events', async () => {
  const dir = tmp();
  const p = pipeline(dir, `
sources: { gen: { type: counter, count: 20, batch: 5 } }
sinks: { out: { type: collect, inputs: [gen], name: a, json_lines: true, reject_odd: true, buffer: { type: disk } } }
`);
  await p.start();
  await p.done;
  const got = collected.get('a')!;
  assert.deepEqual(got.map((e) => e.n), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.ok(got.every((e) => e.via_lines === true), 'delivered through writeJsonLines');
  const dead = [...p.deadLetters.read()];
  assert.deepEqual(dead.map((d) => (d.event as { n: number }).n), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  assert.deepEqual(dead[0]!.event, { n: 1, source: 'gen' });
  assert.equal(dead[0]!.reason, 'odd numbers refused');
  const books = p.accounting.of('out (disk buffer)').toJSON();
  assert.deepEqual([books.received, books.delivered, books.dead_lettered, books.balanced], [20, 10, 10, true]);
});
