import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiskBuffer, type DiskBufferOptions } from './disk.js';
import { nodeIo, type BufferIo } from './io.js';
import { HEADER_BYTES, scanSegment } from './segment.js';

const tmp = (t: { after(fn: () => void): void }) => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-disk-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return join(d, 'sink', 'buffer');
};
const ev = (i: number, pad = 0) => ({ seq: i, host: 'web-01', message: `event ${i}`.padEnd(pad, '.') });
const batch = (from: number, n: number, pad = 0) => Array.from({ length: n }, (_, k) => ev(from + k, pad));
const opts = (o: Partial<DiskBufferOptions> = {}): DiskBufferOptions => ({ maxBytes: 64 * 1024 * 1024, fsyncIntervalMs: 5, ...o });
const segs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
const tick = () => new Promise((r) => setTimeout(r, 20));
async function waitFor(what: string, ok: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

/** Read everything currently in the buffer (after `end`), acking each read. */
async function drain(b: DiskBuffer, maxEvents?: number): Promise<number[]> {
  await b.end();
  const seen: number[] = [];
  for (let r = await b.read(maxEvents); r; r = await b.read(maxEvents)) {
    for (const e of r.events) seen.push((e as { seq: number }).seq);
    b.ack(r.id);
  }
  return seen;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

test('round trip: events come back equal and in order, coalesced up to maxEvents', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts());
  const results = await Promise.all([b.append(batch(0, 3)), b.append(batch(3, 3)), b.append(batch(6, 3))]);
  assert.deepEqual(results, [{ dropped: false }, { dropped: false }, { dropped: false }]);
  const r1 = (await b.read(6))!;
  assert.deepEqual(r1.events, batch(0, 6), 'two records fit in 6 events');
  assert.equal(r1.records, 2);
  const r2 = (await b.read(1))!;
  assert.deepEqual(r2.events, batch(6, 3), 'a record is never split: one larger than maxEvents comes alone');
  b.ack(r1.id); b.ack(r2.id);
  b.ack(r1.id); // a second ack of the same read is a no-op
  assert.throws(() => b.ack(99), RangeError, 'an id never read is a defect in the caller');
  assert.equal(b.stats().events, 0);
  assert.equal(b.stats().ackedEvents, 9);
  const waiting = b.read(); // nothing to read: it waits
  await tick();
  b.stopReads();
  assert.equal(await waiting, null, 'stopReads ends a waiting read');
  await b.close();
  assert.equal(await b.read(), null, 'read after close is null');
});

test('close and reopen: unread and unacked records are delivered after restart, acked ones are not', async (t) => {
  const dir = tmp(t);
  let b = await DiskBuffer.open(dir, opts());
  for (let i = 0; i < 10; i++) await b.append(batch(i * 10, 10));
  const r = (await b.read(20))!; // read but not acked: must come back
  const acked = (await b.read(20))!;
  b.ack(acked.id); // out of order: the prefix is not contiguous, so nothing is consumed yet
  assert.equal(b.stats().ackedEvents, 0);
  b.ack(r.id);
  assert.equal(b.stats().ackedEvents, 40);
  await b.close();
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'ack'), 'utf8')).segment, 1);

  b = await DiskBuffer.open(dir, opts());
  assert.deepEqual(b.recovered, { records: 6, events: 60, bytes: b.recovered.bytes, corruptRecords: 0, corruptBytes: 0, corruptEvents: 0, corrupt: [], segments: 1 });
  assert.deepEqual(await drain(b), range(40, 100));
  await b.close();
});

test('opening the same directory twice in one process is refused', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts());
  await assert.rejects(DiskBuffer.open(dir, opts()), /already open/);
  await b.close();
  await (await DiskBuffer.open(dir, opts())).close();
});

test('a crash (kill -9) after append resolved loses nothing; acked-but-unsaved records come again', async (t) => {
  const dir = tmp(t);
  const mod = fileURLToPath(new URL('./disk.js', import.meta.url));
  // A child appends 20 batches, reads and acks the first 5, then kills itself without closing.
  const script = `
    import { DiskBuffer } from ${JSON.stringify(mod)};
    const b = await DiskBuffer.open(${JSON.stringify(dir)}, { maxBytes: 1e8, fsyncIntervalMs: 1000, segmentBytes: 4096 });
    const appends = [];
    for (let i = 0; i < 20; i++) appends.push(b.append(Array.from({ length: 10 }, (_, k) => ({ seq: i * 10 + k, pad: 'x'.repeat(40) }))));
    await Promise.all(appends);
    for (let i = 0; i < 5; i++) { const r = await b.read(10); b.ack(r.id); }
    process.stdout.write('appended\\n');
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  assert.equal(child.stdout, 'appended\n');
  const b = await DiskBuffer.open(dir, opts());
  assert.equal(b.recovered.corruptRecords, 0);
  const seen = await drain(b);
  // The ack file is written at most once per interval (1 s here), so the acked records may come again.
  assert.deepEqual(seen.slice(-150), range(50, 200), 'every appended record after the acked ones is there, in order');
  assert.ok(seen.length === 150 || seen.length === 200, `delivered ${seen.length}`);
  assert.deepEqual([...new Set(seen)].sort((a, c) => a - c), seen.length === 200 ? range(0, 200) : range(50, 200));
  await b.close();
});

test('acks are persisted and fully consumed segments are deleted', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts({ segmentBytes: 4096 }));
  for (let i = 0; i < 30; i++) await b.append(batch(i * 5, 5, 100)); // ~600 bytes a record
  const before = segs(dir).length;
  assert.ok(before >= 4, `${before} segments`);
  const seen: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = (await b.read(5))!;
    for (const e of r.events) seen.push((e as { seq: number }).seq);
    b.ack(r.id);
  }
  assert.deepEqual(seen, range(0, 100));
  await waitFor('the ack file', () => existsSync(join(dir, 'ack')));
  const after = segs(dir);
  assert.ok(after.length < before && after.length >= 2, `${before} -> ${after.length} segments`);
  assert.equal(b.stats().segments, after.length);
  const ack = JSON.parse(readFileSync(join(dir, 'ack'), 'utf8')) as { segment: number; offset: number };
  assert.ok(ack.segment >= 2 && ack.segment <= parseInt(after[0]!, 10), `ack position ${ack.segment}:${ack.offset} is saved`);
  await b.close();
  const again = await DiskBuffer.open(dir, opts());
  assert.deepEqual(await drain(again), range(100, 150));
  await again.close();
  assert.deepEqual(segs(dir), [], 'an empty, fully consumed buffer leaves no segment behind on the next open');
  const third = await DiskBuffer.open(dir, opts());
  await third.append(batch(1000, 2));
  await third.close();
  assert.ok(segs(dir)[0]! > after[after.length - 1]!, 'segment numbers are never reused after the consumed ones are deleted');
  const fourth = await DiskBuffer.open(dir, opts());
  assert.deepEqual(await drain(fourth), [1000, 1001], 'a new record is not mistaken for a consumed one');
  await fourth.close();
});

test('a torn tail (crash mid-write) is recovered, reported, and the rest delivered', async (t) => {
  const dir = tmp(t);
  let b = await DiskBuffer.open(dir, opts());
  for (let i = 0; i < 5; i++) await b.append(batch(i * 4, 4));
  await b.close();
  const file = join(dir, segs(dir)[0]!);
  truncateSync(file, statSync(file).size - 17);
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
  b = await DiskBuffer.open(dir, opts({ log }));
  assert.equal(b.recovered.records, 4);
  assert.equal(b.recovered.corruptRecords, 1);
  assert.ok(b.recovered.corruptBytes > 0);
  assert.match(warnings.join('\n'), /00000001\.seg:\d+ .*truncated record \(torn write\)/);
  assert.equal(b.stats().corruptRecords, 1);
  await b.append(batch(100, 2)); // new appends go to a new segment, never after the torn tail
  assert.deepEqual(await drain(b), [...range(0, 16), 100, 101]);
  await b.close();
});

test('a flipped byte in the middle: that record is skipped and counted, the others delivered', async (t) => {
  const dir = tmp(t);
  let b = await DiskBuffer.open(dir, opts());
  for (let i = 0; i < 6; i++) await b.append(batch(i * 3, 3));
  await b.close();
  const file = join(dir, segs(dir)[0]!);
  const data = readFileSync(file);
  const at: number[] = [];
  scanSegment(data, { record: (r) => at.push(r.offset), corrupt: () => undefined });
  data[at[2]! + HEADER_BYTES + 10] ^= 0x20; // payload of the third record
  data[at[4]! + 9] ^= 0x01; // length field of the fifth record's header
  writeFileSync(file, data);
  b = await DiskBuffer.open(dir, opts());
  assert.equal(b.recovered.corruptRecords, 2);
  assert.equal(b.recovered.records, 4);
  assert.deepEqual(await drain(b), [0, 1, 2, 3, 4, 5, 9, 10, 11, 15, 16, 17]);
  assert.equal(b.stats().corruptRecords, 2, 'skipped corrupt records are counted once');
  await b.close();
});

test('when full, block waits for the reader to free room', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts({ maxBytes: 3000, segmentBytes: 4096 }));
  for (let i = 0; i < 3; i++) await b.append(batch(i, 1, 900)); // ~960 bytes each
  let resolved = false;
  const blocked = b.append(batch(3, 1, 900)).then((r) => { resolved = true; return r; });
  await tick();
  assert.equal(resolved, false, 'the fourth append waits');
  assert.ok(b.stats().bytes <= 3000);
  const r = (await b.read(1))!;
  await tick();
  assert.equal(resolved, false, 'reading is not enough: the room frees on ack');
  b.ack(r.id);
  assert.deepEqual(await blocked, { dropped: false });
  assert.deepEqual(await drain(b), [1, 2, 3]);
  await b.close();
});

test('when full, drop_newest resolves dropped without storing, and counts it', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts({ maxBytes: 3000, whenFull: 'drop_newest' }));
  for (let i = 0; i < 3; i++) assert.deepEqual(await b.append(batch(i, 1, 900)), { dropped: false });
  assert.deepEqual(await b.append(batch(3, 1, 900)), { dropped: true });
  assert.equal(b.stats().droppedEvents, 1);
  b.ack((await b.read(1))!.id);
  assert.deepEqual(await b.append(batch(4, 1, 900)), { dropped: false }, 'room again after an ack');
  assert.deepEqual(await drain(b), [1, 2, 4]);
  await b.close();
});

test('an oversized batch enters an empty buffer, so it can never deadlock', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts({ maxBytes: 1000, segmentBytes: 4096 }));
  assert.deepEqual(await b.append(batch(0, 20, 100)), { dropped: false });
  assert.deepEqual(await drain(b), range(0, 20));
  await b.close();
});

test('a blocked append rejects when the buffer closes; it was not stored', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts({ maxBytes: 1000 }));
  await b.append(batch(0, 1, 900));
  const blocked = b.append(batch(1, 1, 900)).then(() => null, (e: Error) => e);
  await tick();
  await b.close();
  assert.equal((await blocked)?.name, 'DiskBufferClosedError');
  await assert.rejects(b.append(batch(2, 1)), /is closed/);
  const again = await DiskBuffer.open(dir, opts({ maxBytes: 1000 }));
  assert.deepEqual(await drain(again), [0]);
  await again.close();
});

test('concurrent append and read: every event exactly once, in order, across segment rolls', async (t) => {
  const dir = tmp(t);
  const b = await DiskBuffer.open(dir, opts({ maxBytes: 40_000, segmentBytes: 4096, fsyncIntervalMs: 2 }));
  const producer = (async () => {
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      inFlight.push(b.append(batch(i * 7, 7, 20)));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
    await b.end();
  })();
  const seen: number[] = [];
  for (let r = await b.read(25); r; r = await b.read(25)) {
    assert.ok(r.events.length <= 25 || r.records === 1);
    for (const e of r.events) seen.push((e as { seq: number }).seq);
    b.ack(r.id);
  }
  await producer;
  assert.deepEqual(seen, range(0, 2100));
  const s = b.stats();
  assert.equal(s.events, 0);
  assert.equal(s.appendedEvents, 2100);
  assert.equal(s.ackedEvents, 2100);
  await b.close();
  assert.ok(segs(dir).length <= 1, `consumed segments were deleted (${segs(dir).length} left)`);
});

test('group commit: appends resolve only after an fsync that started after their write; one fsync covers many', async (t) => {
  const dir = tmp(t);
  let writesDone = 0;
  const syncs: { after: number; done: boolean }[] = [];
  const io: BufferIo = {
    ...nodeIo,
    async createSegment(path) {
      const f = await nodeIo.createSegment(path);
      return {
        write: async (...a) => { const n = await f.write(...a); writesDone++; return n; },
        sync: async () => { const s = { after: writesDone, done: false }; syncs.push(s); await f.sync(); s.done = true; },
        truncate: (n) => f.truncate(n),
        close: () => f.close(),
      };
    },
  };
  const b = await DiskBuffer.open(dir, opts({ fsyncIntervalMs: 500, io }));
  const covered: boolean[] = [];
  const all = Array.from({ length: 40 }, (_, i) => b.append(batch(i, 2)).then(() => {
    covered[i] = syncs.some((s) => s.done && s.after >= i + 1);
  }));
  await Promise.all(all);
  assert.deepEqual(covered, Array(40).fill(true), 'no append resolved before a completed fsync covered it');
  assert.ok(syncs.length <= 3, `${syncs.length} fsyncs for 40 appends`);
  assert.equal(b.stats().fsyncs, syncs.length);
  await b.close();
});

test('a reader that keeps up takes records from memory, one that falls behind reads them from disk: same events, same order', async (t) => {
  const dir = tmp(t);
  // Room in memory for about two records of ~2.6 KB: the rest must come back from the files.
  const b = await DiskBuffer.open(dir, opts({ hotBytes: 6000, segmentBytes: 16 * 1024 }));
  const want: number[] = [];
  for (let i = 0; i < 40; i++) { await b.append(batch(i * 20, 20, 100)); want.push(...batch(i * 20, 20).map((e) => e.seq)); }
  const got: number[] = [];
  // Behind by 40 records: the first reads come from disk, across several segments.
  for (let i = 0; i < 10; i++) { const r = (await b.read(20))!; got.push(...r.events.map((e) => (e as { seq: number }).seq)); b.ack(r.id); }
  // Now keep up: append one, read one (from memory).
  for (let i = 40; i < 60; i++) {
    await b.append(batch(i * 20, 20, 100));
    want.push(...batch(i * 20, 20).map((e) => e.seq));
  }
  while (b.stats().events > 0) { const r = (await b.read(100))!; got.push(...r.events.map((e) => (e as { seq: number }).seq)); b.ack(r.id); }
  for (let i = 60; i < 70; i++) {
    void b.append(batch(i * 20, 20, 100));
    want.push(...batch(i * 20, 20).map((e) => e.seq));
    const r = (await b.read(20))!;
    assert.deepEqual(r.lines.map((l) => (JSON.parse(l) as { seq: number }).seq), batch(i * 20, 20).map((e) => e.seq));
    got.push(...r.lines.map((l) => (JSON.parse(l) as { seq: number }).seq));
    b.ack(r.id);
  }
  assert.deepEqual(got, want);
  const st = b.stats();
  assert.equal(st.events, 0);
  assert.ok(st.recordsFromMemory >= 10, `records read from memory: ${st.recordsFromMemory}`);
  assert.ok(st.recordsFromMemory < 70, 'and some from disk');
  await b.close();
});
