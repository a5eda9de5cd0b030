/**
 * Fault: a disk-buffer segment is damaged on disk between two runs. Sluice must start, report
 * the corrupt record (log, `sluice buffer verify`, a dead letter with its place), and deliver
 * everything else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sluice, sluiceAsync, sluiceSync, tmp, waitFor } from '../e2e/cli.js';
import { booksFrom, deadLetters, liveBooks, numberedFile, pipelineYaml, receiver, sleep } from './support.js';

test('a disk-buffer segment corrupted between runs: Sluice starts, reports it, delivers the rest', async () => {
  const dir = tmp('sluice-fault-corrupt-');
  const N = 20_000;
  const input = join(dir, 'in.ndjson');
  numberedFile(input, N);
  const rx = await receiver();
  try {
    const port = await freePort();
    const dataDir = join(dir, 'data');
    const cfg = join(dir, 'p.yaml');
    writeFileSync(cfg, pipelineYaml({ dataDir: dataDir, input, apiPort: port, sinks: `
  out:
    type: http
    inputs: [in]
    uri: ${rx.url}
    retry: { attempts: 1000, initial_backoff: 100ms, max_backoff: 200ms }
    batch: { max_events: 1000 }
    buffer: { type: disk }
` }));
    // Run 1: the destination is down, so everything the source reads waits in the disk buffer.
    rx.failWith = { status: 503, until: Infinity };
    const first = sluice(['run', '-c', cfg]);
    await waitFor(async () => (await liveBooks(port))?.delivered === N, 60_000, 'every line durable in the disk buffer');
    await sleep(1500); // the file source saves its checkpoint every second
    first.child.kill('SIGKILL');
    await first.exited;

    // Damage one byte inside the payload of the third record of the first segment.
    const bufDir = join(dataDir, 'out', 'buffer');
    const seg = join(bufDir, readdirSync(bufDir).filter((f) => f.endsWith('.seg')).sort()[0]!);
    const bytes = readFileSync(seg);
    const magic = Buffer.from([0xff, 0x53, 0x4c, 0x42]);
    let at = -1;
    for (let k = 0; k < 3; k++) at = bytes.indexOf(magic, at + 1);
    assert.ok(at > 0, 'the first segment holds at least three records');
    bytes[at + 100] ^= 0x5a;
    writeFileSync(seg, bytes);

    const verify = sluiceSync(['buffer', 'verify', bufDir]);
    assert.notEqual(verify.code, 0, 'verify fails on a damaged buffer');
    assert.match(verify.stdout + verify.stderr, /corrupt/i);

    // Run 2: the destination is back.
    rx.failWith = null;
    const second = await sluiceAsync(['run', '-c', cfg]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /1 corrupt record\(s\)/);
    const dead = deadLetters(dataDir).filter((d) => d.error_code === 'buffer_corrupt');
    assert.equal(dead.length, 1);
    const lost = (dead[0]!.event as { events: number; file: string; offset: number });
    assert.equal(lost.file, seg);
    assert.equal(lost.offset, at);
    assert.match(dead[0]!.reason, /payload checksum mismatch/);
    assert.ok(lost.events > 0);
    assert.equal(rx.distinct(), N - lost.events, 'everything but the damaged record is delivered');
    assert.equal(rx.duplicates(), 0);
    const books = booksFrom(second.stderr).get('out (disk buffer)')!;
    assert.deepEqual([books.received, books.delivered, books.dead_lettered, books.in_flight, books.balanced], [N, N - lost.events, lost.events, 0, true]);
  } finally {
    await rx.close();
  }
});
