import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStateStore } from '../../../engine/state.js';
import { build, messages, sleep, start, tempDir, waitFor } from './test-kit.js';

const trace = [
  '2024-05-01 10:00:00 ERROR request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.example.Service.run(Service.java:42)',
  '\tat java.base/java.lang.Thread.run(Thread.java:833)',
  '2024-05-01 10:00:01 INFO recovered',
  '2024-05-01 10:00:02 INFO last',
].join('\n') + '\n';

test('halt_before joins a stack trace; the last event is emitted after the timeout', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'java.log');
    writeFileSync(f, trace);
    const src = start(await build({ include: [f], multiline: { start_pattern: '^\\d{4}-\\d{2}-\\d{2} ', timeout: '150ms' } }));
    await waitFor('2 events', () => src.res.events.length >= 2);
    assert.equal(src.res.events.length, 2, 'the last event waits for a following line or the timeout');
    await waitFor('timeout flush', () => src.res.events.length >= 3);
    const { events } = await src.stop();
    const lines = trace.trimEnd().split('\n');
    assert.deepEqual(messages(events), [lines.slice(0, 4).join('\n'), lines[4], lines[5]]);
  } finally { await cleanup(); }
});

test('continue_through joins lines matching the condition; max_lines bounds an event', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'x.log');
    writeFileSync(f, 'a\n b\n c\nd\ne\n f\n g\n h\n i\nz\n');
    const src = start(await build({ include: [f], multiline: { start_pattern: '^\\S', condition_pattern: '^\\s', mode: 'continue_through', max_lines: 3, timeout: '100ms' } }));
    await waitFor('5 events', () => src.res.events.length >= 5);
    await sleep(150);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), ['a\n b\n c', 'd', 'e\n f\n g', ' h\n i', 'z']);
  } finally { await cleanup(); }
});

test('a pending multi-line event is not checkpointed: after a restart it is read whole', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'java.log');
    writeFileSync(f, trace);
    const stateDir = join(dir, 'state');
    const ml = { start_pattern: '^\\d{4}-', timeout: '10s' };
    const st = new FileStateStore(stateDir);
    const run1 = start(await build({ include: [f], multiline: ml }), { state: st });
    await waitFor('2 events', () => run1.res.events.length >= 2);
    appendFileSync(f, '\tcontinued after the timeout line?\n');
    await sleep(100);
    const r1 = await run1.stop();
    st.flushSync();
    assert.equal(r1.events.length, 2);
    const run2 = start(await build({ include: [f], multiline: { ...ml, timeout: '50ms' } }), { state: new FileStateStore(stateDir) });
    await waitFor('the held event', () => run2.res.events.length >= 1);
    await sleep(100);
    const r2 = await run2.stop();
    assert.deepEqual(messages(r2.events), ['2024-05-01 10:00:02 INFO last\n\tcontinued after the timeout line?']);
  } finally { await cleanup(); }
});

test('a joined event is bounded by max_line_bytes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'x.log');
    writeFileSync(f, `start 1\n${' x'.repeat(20)}\n${' y'.repeat(20)}\nstart 2\n`);
    const src = start(await build({ include: [f], max_line_bytes: 60, multiline: { start_pattern: '^start', timeout: '50ms' } }));
    await waitFor('3 events', () => src.res.events.length >= 3);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), [`start 1\n${' x'.repeat(20)}`, ' y'.repeat(20), 'start 2']);
  } finally { await cleanup(); }
});
