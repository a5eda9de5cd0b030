import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, copyFileSync, openSync, renameSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStateStore } from '../../../engine/state.js';
import { build, lines, messages, sleep, start, tempDir, waitFor } from './test-kit.js';

const all = (...parts: string[]) => parts.join('').trimEnd().split('\n');

test('rotation (rename + create) loses nothing: the old file is read to its end, the new one from 0', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    const state = new MemoryStateStore();
    writeFileSync(f, lines('a', 100));
    const src = start(await build({ include: [join(dir, '*.log')] }), { state });
    await waitFor('first 100', () => src.res.events.length >= 100);
    // A writer that keeps its descriptor across the rename, as daemons do until told to reopen.
    const fd = openSync(f, 'a');
    writeSync(fd, lines('a', 50, 100));
    renameSync(f, `${f}.1`);
    writeSync(fd, lines('a', 50, 150));
    writeFileSync(f, lines('b', 50));
    writeSync(fd, 'last words without newline');
    closeSync(fd);
    await waitFor('all 251 lines', () => src.res.events.length >= 251);
    // The rotated file is closed and its checkpoint forgotten; only the new file's remains.
    await waitFor('old checkpoint retired', () => state.keys().length === 1);
    await sleep(100);
    const { events } = await src.stop();
    const a = messages(events.filter((e) => String(e.message).startsWith('a ') || String(e.message).startsWith('last')));
    assert.deepEqual(a, [...all(lines('a', 200)), 'last words without newline']);
    assert.deepEqual(messages(events.filter((e) => String(e.message).startsWith('b '))), all(lines('b', 50)));
    assert.equal(events.length, 251, 'no line twice');
  } finally { await cleanup(); }
});

test('a file renamed to another matched name keeps its place (no re-read)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    writeFileSync(f, lines('x', 20));
    const src = start(await build({ include: [join(dir, '*.log')] }));
    await waitFor('20 lines', () => src.res.events.length >= 20);
    const g = join(dir, 'app-1.log');
    renameSync(f, g);
    await sleep(120); // a glob round sees the new name
    appendFileSync(g, lines('x', 5, 20));
    await waitFor('25 lines', () => src.res.events.length >= 25);
    await sleep(100);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), all(lines('x', 25)));
    assert.equal(events.at(-1)!.file, g, 'events carry the current name');
  } finally { await cleanup(); }
});

test('copytruncate: a truncated file is read again from its start', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    writeFileSync(f, lines('a', 50));
    const src = start(await build({ include: [f] }));
    await waitFor('50 lines', () => src.res.events.length >= 50);
    copyFileSync(f, `${f}.1`);
    truncateSync(f, 0);
    appendFileSync(f, lines('b', 10));
    await waitFor('b lines', () => src.res.events.length >= 60);
    // Truncated and rewritten beyond the old offset within one poll: the first line tells.
    writeFileSync(f, lines('c', 300));
    await waitFor('c lines', () => src.res.events.length >= 360);
    await sleep(100);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), all(lines('a', 50), lines('b', 10), lines('c', 300)));
  } finally { await cleanup(); }
});

test('a deleted file is read to its end, closed, and its checkpoint removed', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'gone.log');
    const state = new MemoryStateStore();
    writeFileSync(f, lines('g', 10));
    const src = start(await build({ include: [f] }), { state });
    await waitFor('10 lines', () => src.res.events.length >= 10);
    assert.equal(state.keys().length, 1);
    appendFileSync(f, lines('g', 5, 10));
    unlinkSync(f);
    await waitFor('15 lines', () => src.res.events.length >= 15);
    await waitFor('checkpoint removed', () => state.keys().length === 0);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), all(lines('g', 15)));
  } finally { await cleanup(); }
});
