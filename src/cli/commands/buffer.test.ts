// Tests for `sluice buffer inspect|verify` (src/cli/commands/buffer.ts), kept beside the buffer
// they read: the commands are run as functions with captured output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCommand, verifyCommand, type CommandIo } from './buffer.js';
import { DiskBuffer } from '../../engine/buffers/disk.js';
import { HEADER_BYTES, scanSegment } from '../../engine/buffers/segment.js';

function capture(tty = false): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = '', err = '';
  return {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s), isTTY: tty },
    stdout: () => out,
    stderr: () => err,
  };
}

async function makeBuffer(t: { after(fn: () => void): void }): Promise<{ sinkDir: string; dir: string }> {
  const sinkDir = mkdtempSync(join(tmpdir(), 'sluice-buffer-cli-'));
  t.after(() => rmSync(sinkDir, { recursive: true, force: true }));
  const dir = join(sinkDir, 'buffer');
  const b = await DiskBuffer.open(dir, { maxBytes: 1e8, fsyncIntervalMs: 1 });
  for (let i = 0; i < 4; i++) await b.append(Array.from({ length: 25 }, (_, k) => ({ seq: i * 25 + k, msg: 'hello' })));
  b.ack((await b.read(25))!.id);
  await b.close();
  return { sinkDir, dir };
}

test('verify: a clean buffer exits 0 and says so', async (t) => {
  const { dir } = await makeBuffer(t);
  const io = capture();
  assert.equal(await verifyCommand(dir, io), 0);
  assert.match(io.stdout(), /^ok: 4 records in 1 segment \(.*\) checked in [\d.]+ s; no corrupt records in /);
  assert.equal(io.stderr(), '', 'no progress line when stderr is not a terminal');
});

test('verify: a corrupted buffer exits 1 and lists file:offset and reason for each corrupt record', async (t) => {
  const { dir } = await makeBuffer(t);
  const file = join(dir, '00000001.seg');
  const data = readFileSync(file);
  const at: number[] = [];
  scanSegment(data, { record: (r) => at.push(r.offset), corrupt: () => undefined });
  data[at[1]! + HEADER_BYTES + 3] ^= 0x10;
  writeFileSync(file, data.subarray(0, data.length - 5)); // and a torn tail
  const io = capture();
  assert.equal(await verifyCommand(dir, io), 1);
  const out = io.stdout();
  assert.match(out, /^2 corrupt records \(.*\) in /);
  assert.ok(out.includes(`${file}:${at[1]}  payload checksum mismatch (${at[2]! - at[1]!} bytes)`), out);
  assert.ok(out.includes(`${file}:${at[3]}  truncated record (torn write) (${data.length - 5 - at[3]!} bytes)`), out);
  assert.match(out, /the other 25 waiting events are delivered/);
});

test('inspect: waiting events, ack position, record times and a segment table', async (t) => {
  const { sinkDir, dir } = await makeBuffer(t);
  const io = capture();
  // Given the sink's directory, it finds buffer/ inside.
  assert.equal(await inspectCommand(sinkDir, {}, io), 0);
  const out = io.stdout();
  assert.ok(out.startsWith(`disk buffer ${dir}\n`), out);
  assert.match(out, /waiting {7}75 events in 3 records, [\d.]+ KiB/);
  assert.match(out, /ack position {2}segment 1, offset \d+/);
  assert.match(out, /oldest {8}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
  assert.match(out, /corrupt {7}none/);
  assert.match(out, /SEGMENT +SIZE +RECORDS +EVENTS +WAITING +CORRUPT +OLDEST +NEWEST\n00000001\.seg +[\d.]+ KiB +4 +100 +75 +0 /);
  const json = capture();
  await inspectCommand(dir, { json: true }, json);
  assert.equal(JSON.parse(json.stdout()).totals.pendingEvents, 75);
});

test('a missing directory is an error with a hint', async () => {
  const io = capture();
  assert.equal(await verifyCommand('/nonexistent/sluice/buffer', io), 1);
  assert.match(io.stderr(), /no disk buffer directory at \/nonexistent\/sluice\/buffer\n {2}hint: /);
});

test('on a terminal, progress (percent of bytes, records/s) goes to stderr and is cleared at the end', async (t) => {
  const { dir } = await makeBuffer(t);
  const io = capture(true);
  assert.equal(await verifyCommand(dir, io), 0);
  assert.match(io.stderr(), /verifying: 100% of [\d.]+ KiB, 4 records, [\d,]+ records\/s/);
  assert.ok(io.stderr().endsWith('\r\x1b[2K'));
});
