/**
 * Fault: malformed lines mixed into a file (invalid JSON, invalid UTF-8, 10 MB lines). Each must
 * land in the dead-letter store with its reason, and every good line must still be delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceAsync, tmp } from '../e2e/cli.js';
import { booksFrom, deadLetters, pipelineYaml, receiver } from './support.js';

test('invalid JSON, invalid UTF-8 and 10 MB lines are dead-lettered with their reason; the rest flows', async () => {
  const dir = tmp('sluice-fault-malformed-');
  const input = join(dir, 'in.ndjson');
  const GOOD = 3000;
  const parts: Buffer[] = [];
  const badUtf8: Buffer[] = [];
  let brokenJson = 0, tooLong = 0;
  for (let i = 0; i < GOOD; i++) {
    parts.push(Buffer.from(`{"i":${i},"msg":"good line ${i}"}\n`));
    if (i % 300 === 7) { parts.push(Buffer.from(`{"i":${i}, "msg": "cut short\n`)); brokenJson++; }
    if (i % 500 === 11) {
      const raw = Buffer.concat([Buffer.from(`{"i":"bad-${i}","msg":"`), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]);
      badUtf8.push(raw);
      parts.push(raw, Buffer.from('\n'));
    }
    if (i === 1000 || i === 2000) { parts.push(Buffer.from(`{"i":"huge","pad":"${'y'.repeat(10 * 2 ** 20)}"}\n`)); tooLong++; }
  }
  writeFileSync(input, Buffer.concat(parts));
  const rx = await receiver();
  try {
    const dataDir = join(dir, 'data');
    const cfg = join(dir, 'p.yaml');
    writeFileSync(cfg, pipelineYaml({ dataDir: dataDir, input, sinks: `
  out: { type: http, inputs: [in], uri: ${rx.url}, buffer: { type: disk } }
` }));
    const run = await sluiceAsync(['run', '-c', cfg]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(rx.distinct(), GOOD, 'every good line is delivered');
    assert.equal(rx.duplicates(), 0);

    const dead = deadLetters(dataDir);
    const by = (code: string) => dead.filter((d) => d.error_code === code);
    assert.equal(by('parse_failed').length, brokenJson);
    assert.match(by('parse_failed')[0]!.reason, /JSON/);
    assert.match((by('parse_failed')[0]!.event as { message: string }).message, /cut short/, 'the original line is kept');

    assert.equal(by('invalid_utf8').length, badUtf8.length);
    assert.match(by('invalid_utf8')[0]!.reason, /not valid UTF-8/);
    const kept = by('invalid_utf8').map((d) => Buffer.from((d.event as { message_base64: string }).message_base64, 'base64'));
    assert.deepEqual(kept, badUtf8, 'the exact original bytes are kept, in base64');

    assert.equal(by('line_too_long').length, tooLong);
    const long = by('line_too_long')[0]!;
    assert.match(long.reason, /line of \d+ bytes exceeds max_line_bytes \(1048576\)/);
    assert.ok((long.event as { line_bytes: number }).line_bytes > 10 * 2 ** 20);
    assert.equal(typeof (long.event as { line_offset: number }).line_offset, 'number', 'the dead letter says where the line is');

    assert.equal(dead.length, brokenJson + badUtf8.length + tooLong);
    const books = booksFrom(run.stderr).get('in')!;
    assert.deepEqual(
      [books.received, books.delivered, books.dead_lettered, books.dropped, books.in_flight, books.balanced],
      [GOOD + dead.length, GOOD, dead.length, 0, 0, true],
    );
  } finally {
    await rx.close();
  }
});
