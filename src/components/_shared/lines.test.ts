import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './lines.js';
import { prng } from '../../../bench/events.js';

function split(chunks: Buffer[], max = 100) {
  const lines: string[] = [];
  const bad: string[] = [];
  const s = new LineSplitter(max, { line: (t) => lines.push(t), bad: (r, p, n) => bad.push(`${r}:${n}:${p.slice(0, 10)}`) });
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, bad };
}

test('lines split across chunks, CRLF stripped, last line without newline kept at end', () => {
  const r = split([Buffer.from('ab'), Buffer.from('c\r\nde'), Buffer.from('f\n\ng')]);
  assert.deepEqual(r.lines, ['abc', 'def', '', 'g']);
  assert.deepEqual(r.bad, []);
});

test('an over-long line is reported once with its size and the next line flows', () => {
  const long = 'x'.repeat(250);
  const r = split([Buffer.from(long.slice(0, 120)), Buffer.from(long.slice(120) + '\nok\n')], 100);
  assert.deepEqual(r.lines, ['ok']);
  assert.deepEqual(r.bad, ['line_too_long:251:xxxxxxxxxx']);
});

test('invalid UTF-8 is reported per line; valid neighbours survive', () => {
  const r = split([Buffer.concat([Buffer.from('good\n'), Buffer.from([0x66, 0xff, 0xfe, 0x0a]), Buffer.from('also good\n')])]);
  assert.deepEqual(r.lines, ['good', 'also good']);
  assert.equal(r.bad.length, 1);
  assert.match(r.bad[0]!, /^invalid_utf8:4:/);
});

test('a multi-byte character split between chunks is decoded whole', () => {
  const bytes = Buffer.from('é✓\n');
  const r = split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)]);
  assert.deepEqual(r.lines, ['é✓']);
});

test('fuzz: any chunking of random input gives the same lines as splitting it whole', () => {
  const rand = prng(7);
  for (let round = 0; round < 300; round++) {
    const len = Math.floor(rand() * 400);
    const buf = Buffer.alloc(len);
    for (let i = 0; i < len; i++) { const x = rand(); buf[i] = x < 0.1 ? 10 : x < 0.15 ? 13 : x < 0.2 ? 0xc3 : 97 + Math.floor(x * 20); }
    const whole = split([buf], 64);
    const chunks: Buffer[] = [];
    for (let at = 0; at < len;) { const n = 1 + Math.floor(rand() * 30); chunks.push(buf.subarray(at, at + n)); at += n; }
    const pieces = split(chunks, 64);
    assert.deepEqual(pieces.lines, whole.lines, `round ${round}`);
    assert.deepEqual(pieces.bad.map((b) => b.split(':').slice(0, 2).join(':')), whole.bad.map((b) => b.split(':').slice(0, 2).join(':')), `round ${round}`);
  }
});
