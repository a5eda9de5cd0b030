/**
 * Fault: the filesystem under the disk buffer fills up. The test mounts a small tmpfs (this needs
 * root, as CI runs; without it the test fails and says so, it does not skip). With
 * `when_full: block` Sluice must hold the source back and say why, then deliver everything once
 * space returns; with `drop_newest` it must drop, count and say so. Never a crash, never silent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sluice, tmp, waitFor } from '../e2e/cli.js';
import { booksFrom, liveBooks, numberedFile, pipelineYaml, receiver, sleep } from './support.js';

function mountTmpfs(dir: string, size: string): () => void {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`cannot mount a ${size} tmpfs at ${dir} to fill up (${(e as Error).message.trim()}); this test needs root (CI runs as root)`);
  }
  return () => { try { execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); } catch { /* already gone */ } };
}

function config(dir: string, input: string, url: string, port: number, whenFull: string): string {
  const cfg = join(dir, 'p.yaml');
  writeFileSync(cfg, pipelineYaml({ dataDir: join(dir, 'full', 'data'), input, apiPort: port, sinks: `
  out:
    type: http
    inputs: [in]
    uri: ${url}
    retry: { attempts: 1000, initial_backoff: 100ms, max_backoff: 300ms }
    circuit_breaker: { open_for: 500ms, max_open_for: 1s }
    batch: { max_events: 1000 }
    buffer: { type: disk, max_size: 1GiB, when_full: ${whenFull} }
` }));
  return cfg;
}

test('disk full under a disk buffer with when_full: block: backpressure and a clear error, then everything arrives', async (t) => {
  const dir = tmp('sluice-fault-full-');
  const N = 100_000; // ~20 MB of events against a 3 MiB filesystem
  const input = join(dir, 'in.ndjson');
  numberedFile(input, N);
  const unmount = mountTmpfs(join(dir, 'full'), '3m');
  const rx = await receiver();
  rx.failWith = { status: 503, until: Infinity };
  try {
    const port = await freePort();
    const run = sluice(['run', '-c', config(dir, input, rx.url, port, 'block')]);
    await waitFor(() => /disk buffer write failed: .*(no space|ENOSPC)/i.test(run.stderr()), 60_000, 'the disk-full error in the log');
    await sleep(2000);
    assert.equal(run.child.exitCode, null, `Sluice must keep running on a full disk:\n${run.stderr().slice(-2000)}`);
    const held = await liveBooks(port);
    assert.ok(held && held.received < N, `the source must be held back while the buffer cannot write (received ${held?.received} of ${N})`);
    assert.match(run.stderr(), /new events wait upstream \(when_full: block\)/);
    assert.equal((run.stderr().match(/disk buffer write failed/g) ?? []).length, 1, 'a full disk is reported once, not once per batch');

    rx.failWith = null; // the destination recovers: the buffer drains and frees space
    const code = await run.exited;
    assert.equal(code, 0, run.stderr().slice(-3000));
    assert.equal(rx.distinct(), N, 'every event arrives once space returns');
    t.diagnostic(`${rx.duplicates()} duplicates; ${(run.stderr().match(/disk buffer write failed/g) ?? []).length} write-failure log lines`);
    assert.equal(rx.duplicates(), 0);
    const books = booksFrom(run.stderr()).get('in')!;
    assert.deepEqual([books.received, books.delivered, books.dropped, books.dead_lettered, books.balanced], [N, N, 0, 0, true]);
  } finally {
    await rx.close();
    unmount();
  }
});

test('disk full under a disk buffer with when_full: drop_newest: drops are counted and logged, the rest arrives', async () => {
  const dir = tmp('sluice-fault-full-drop-');
  const N = 40_000;
  const input = join(dir, 'in.ndjson');
  numberedFile(input, N);
  const unmount = mountTmpfs(join(dir, 'full'), '3m');
  const rx = await receiver();
  rx.failWith = { status: 503, until: Date.now() + 4000 };
  try {
    const port = await freePort();
    const run = sluice(['run', '-c', config(dir, input, rx.url, port, 'drop_newest')]);
    const code = await run.exited;
    assert.equal(code, 0, run.stderr().slice(-3000));
    assert.match(run.stderr(), /dropping new batches \(when_full: drop_newest\)/);
    const books = booksFrom(run.stderr()).get('in')!;
    assert.ok(books.dropped > 0, 'a 3 MiB filesystem cannot hold 8 MB of events');
    assert.equal(rx.distinct(), books.delivered, 'what the books call delivered (durable in the buffer) arrives');
    assert.deepEqual([books.received, books.delivered + books.dropped, books.balanced], [N, N, true]);
  } finally {
    await rx.close();
    unmount();
  }
});
