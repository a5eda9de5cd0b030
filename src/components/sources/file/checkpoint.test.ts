import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchFinalizer } from '../../../core/finalizer.js';
import { FileStateStore } from '../../../engine/state.js';
import { runSource } from '../../../engine/testing.js';
import type { Checkpoint } from './checkpoints.js';
import { build, lines, messages, sleep, start, tempDir, waitFor } from './test-kit.js';

const offsets = (st: FileStateStore) => st.keys().map((k) => st.get<Checkpoint>(k)!.offset);

test('a restart resumes exactly after the last settled line: no loss, no duplicate', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'big.log');
    writeFileSync(f, lines('line', 5000));
    const stateDir = join(dir, 'state');
    const cfg = { include: [f], batch_events: 100, read_bytes: '4KiB' };
    const st1 = new FileStateStore(stateDir);
    const run1 = await runSource(await build(cfg), { state: st1 as never, until: (r) => r.events.length >= 1000 });
    st1.flushSync();
    assert.ok(run1.events.length >= 1000 && run1.events.length < 5000, `first run stopped mid-file (${run1.events.length})`);

    const st2 = new FileStateStore(stateDir); // what the engine loads on the next start
    const run2 = start(await build(cfg), { state: st2 });
    await waitFor('the rest', () => run1.events.length + run2.res.events.length >= 5000);
    await sleep(100);
    const r2 = await run2.stop();
    assert.deepEqual([...messages(run1.events), ...messages(r2.events)], lines('line', 5000).trimEnd().split('\n'));
    assert.deepEqual(offsets(st2), [statSync(f).size]);
  } finally { await cleanup(); }
});

test('the checkpoint advances only through settled batches, even when they settle out of order', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    writeFileSync(f, lines('l', 1000));
    const batchEnd = Buffer.byteLength(lines('l', 100));
    const state = new FileStateStore(join(dir, 'state'));
    const held: BatchFinalizer[] = [];
    let n = 0;
    const src = start(await build({ include: [f], batch_events: 100 }), {
      state,
      onSend: (_e, fin) => { if (++n === 2) held.push(fin!); else fin!.release('delivered'); },
    });
    await waitFor('all lines sent', () => src.res.events.length >= 1000);
    await sleep(50);
    assert.deepEqual(offsets(state), [batchEnd], 'stuck behind the unsettled second batch');
    held[0]!.release('errored');
    assert.deepEqual(offsets(state), [batchEnd], 'a retriable failure does not advance it either');
    await src.stop();
    state.flushSync();

    // The lines of the never-settled batch (and everything after it) are read again.
    const again = new FileStateStore(join(dir, 'state'));
    const run2 = start(await build({ include: [f], batch_events: 100 }), { state: again });
    await waitFor('900 lines', () => run2.res.events.length >= 900);
    await sleep(100);
    const r2 = await run2.stop();
    assert.deepEqual(messages(r2.events), lines('l', 900, 100).trimEnd().split('\n'));
    assert.deepEqual(offsets(again), [statSync(f).size]);
  } finally { await cleanup(); }
});

test('out-of-order settlement advances once the gap settles; error lines count as read', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    writeFileSync(f, Buffer.concat([Buffer.from(lines('l', 300)), Buffer.from([0xc3, 0x28, 0x0a])]));
    const state = new FileStateStore(join(dir, 'state'));
    const held: BatchFinalizer[] = [];
    const src = start(await build({ include: [f], batch_events: 100 }), { state, onSend: (_e, fin) => held.push(fin!) });
    await waitFor('300 lines and the bad one', () => src.res.events.length >= 300 && src.res.errors.length >= 1);
    held[2]!.release('delivered');
    held[0]!.release('delivered');
    assert.deepEqual(offsets(state), [Buffer.byteLength(lines('l', 100))]);
    held[1]!.release('rejected'); // dead-lettered downstream: accounted, so consumed
    assert.deepEqual(offsets(state), [statSync(f).size]);
    await src.stop();
    state.flushSync();
    const run2 = start(await build({ include: [f] }), { state: new FileStateStore(join(dir, 'state')) });
    await sleep(200);
    const r2 = await run2.stop();
    assert.equal(r2.events.length + r2.errors.length, 0, 'nothing is read twice');
  } finally { await cleanup(); }
});

test('checkpoints follow a file across a rename while stopped; a replaced file is read from 0', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    const other = join(dir, 'other.log');
    writeFileSync(f, lines('a', 10));
    writeFileSync(other, lines('o', 10));
    const stateDir = join(dir, 'state');
    const cfg = { include: [join(dir, '*.log')] };
    const st1 = new FileStateStore(stateDir);
    const run1 = start(await build(cfg), { state: st1 });
    await waitFor('20 lines', () => run1.res.events.length >= 20);
    await run1.stop();
    st1.flushSync();

    renameSync(f, join(dir, 'app-old.log'));
    appendFileSync(join(dir, 'app-old.log'), lines('a', 3, 10));
    unlinkSync(other);
    writeFileSync(other, lines('new', 4)); // may even get the old inode back
    const run2 = start(await build(cfg), { state: new FileStateStore(stateDir) });
    await waitFor('7 lines', () => run2.res.events.length >= 7);
    await sleep(100);
    const r2 = await run2.stop();
    assert.deepEqual(messages(r2.events).sort(), ['a 10', 'a 11', 'a 12', 'new 0', 'new 1', 'new 2', 'new 3']);
  } finally { await cleanup(); }
});
