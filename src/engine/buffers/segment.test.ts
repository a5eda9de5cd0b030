import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { HEADER_BYTES, crc32, decodePayload, encodeRecord, parseSegmentName, readHeader, scanSegment, segmentName, tableCrc32, type CorruptSpan, type ScannedRecord } from './segment.js';

function scan(buf: Buffer, start = 0): { records: ScannedRecord[]; corrupt: CorruptSpan[] } {
  const records: ScannedRecord[] = [], corrupt: CorruptSpan[] = [];
  scanSegment(buf, { record: (r) => records.push(r), corrupt: (c) => corrupt.push(c) }, start);
  return { records, corrupt };
}

const batch = (i: number, n = 3) => Array.from({ length: n }, (_, j) => ({ i, j, msg: `event ${i}.${j} naïve ✓` }));
const segment = (count: number) => Buffer.concat(Array.from({ length: count }, (_, i) => encodeRecord(batch(i), 1_700_000_000_000 + i)));

test('the fallback CRC32 matches the check value and zlib', () => {
  assert.equal(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
  const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919) & 0xff));
  const z = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  if (typeof z === 'function') assert.equal(tableCrc32(data), z(data));
  assert.equal(crc32(data), tableCrc32(data));
  assert.equal(tableCrc32(data.subarray(5000), tableCrc32(data.subarray(0, 5000))), tableCrc32(data), 'incremental');
});

test('a record round-trips: header fields, payload, UTF-8', () => {
  const events = batch(7, 4);
  const rec = encodeRecord(events, 1_700_000_000_123);
  const h = readHeader(rec, 0);
  assert.ok(typeof h !== 'string', String(h));
  assert.equal(h.count, 4);
  assert.equal(h.timeMs, 1_700_000_000_123);
  assert.equal(h.length, rec.length - HEADER_BYTES);
  assert.deepEqual(decodePayload(rec.subarray(HEADER_BYTES), h.format, h.count).map((l) => JSON.parse(l)), events);
  assert.deepEqual(scan(rec).records, [{ offset: 0, bytes: rec.length, count: 4, timeMs: 1_700_000_000_123 }]);
});

test('a flipped payload byte skips exactly that record, by its length', () => {
  const seg = segment(5);
  const { records } = scan(seg);
  const victim = records[2]!;
  seg[victim.offset + HEADER_BYTES + 5] ^= 0x01;
  const after = scan(seg);
  assert.deepEqual(after.corrupt, [{ offset: victim.offset, bytes: victim.bytes, reason: 'payload checksum mismatch', events: victim.count }]);
  assert.deepEqual(after.records.map((r) => r.offset), records.filter((r) => r !== victim).map((r) => r.offset));
});

test('a damaged header is resynchronised: the records after it survive', () => {
  const seg = segment(5);
  const { records } = scan(seg);
  seg.writeUInt32LE(0xffffff, records[1]!.offset + 8); // the length field
  const after = scan(seg);
  assert.equal(after.corrupt.length, 1);
  assert.equal(after.corrupt[0]!.reason, 'header checksum mismatch');
  assert.equal(after.corrupt[0]!.offset, records[1]!.offset);
  assert.equal(after.corrupt[0]!.bytes, records[1]!.bytes);
  assert.deepEqual(after.records.map((r) => r.count), [3, 3, 3, 3]);
});

test('a torn tail is one corrupt record; a short header too', () => {
  const seg = segment(3);
  const { records } = scan(seg);
  const torn = seg.subarray(0, seg.length - 10);
  assert.deepEqual(scan(torn).corrupt, [{ offset: records[2]!.offset, bytes: records[2]!.bytes - 10, reason: 'truncated record (torn write)' }]);
  const shortHeader = seg.subarray(0, records[2]!.offset + 7);
  assert.deepEqual(scan(shortHeader).corrupt, [{ offset: records[2]!.offset, bytes: 7, reason: 'truncated header' }]);
  assert.equal(scan(shortHeader).records.length, 2);
});

test('a hole of zeros (pages lost in a crash) between records is skipped', () => {
  const a = segment(2), b = segment(2);
  const seg = Buffer.concat([a, Buffer.alloc(5000), b]);
  const r = scan(seg);
  assert.deepEqual(r.corrupt, [{ offset: a.length, bytes: 5000, reason: 'no record header (bad magic)' }]);
  assert.equal(r.records.length, 4);
});

test('scanning from an offset (the ack position) sees only later records', () => {
  const seg = segment(4);
  const { records } = scan(seg);
  assert.deepEqual(scan(seg, records[2]!.offset).records.map((r) => r.offset), [records[2]!.offset, records[3]!.offset]);
});

test('fuzz: random damage never throws, and every untouched record is still found', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let round = 0; round < 300; round++) {
    const seg = segment(8);
    const { records } = scan(seg);
    const damaged = new Set<number>();
    const hits = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < hits; k++) {
      const at = Math.floor(rnd() * seg.length);
      seg[at] = Math.floor(rnd() * 256);
      damaged.add(records.findIndex((r) => at >= r.offset && at < r.offset + r.bytes));
    }
    const after = scan(seg);
    const found = new Set(after.records.map((r) => r.offset));
    records.forEach((r, i) => { if (!damaged.has(i)) assert.ok(found.has(r.offset), `round ${round}: record ${i} lost`); });
    let covered = 0;
    for (const r of after.records) covered += r.bytes;
    for (const c of after.corrupt) covered += c.bytes;
    assert.equal(covered, seg.length, 'records and corrupt spans tile the segment');
  }
});

test('segment names', () => {
  assert.equal(segmentName(1), '00000001.seg');
  assert.equal(parseSegmentName('00000042.seg'), 42);
  assert.equal(parseSegmentName('123456789.seg'), 123456789);
  assert.equal(parseSegmentName('ack'), null);
  assert.equal(parseSegmentName('00000001.seg.tmp'), null);
});

test('records with a JSON-array payload (format 1, written by earlier versions) are still read', () => {
  const events = batch(3, 5);
  const payload = Buffer.from(JSON.stringify(events));
  const rec = Buffer.alloc(HEADER_BYTES + payload.length);
  // The documented layout: magic, version 1, format 1, length, count, time, payload CRC, header CRC.
  Buffer.from([0xff, 0x53, 0x4c, 0x42]).copy(rec, 0);
  rec[4] = 1; rec[5] = 1;
  rec.writeUInt32LE(payload.length, 8);
  rec.writeUInt32LE(events.length, 12);
  rec.writeDoubleLE(1_700_000_000_000, 16);
  rec.writeUInt32LE(crc32(payload), 24);
  rec.writeUInt32LE(crc32(rec.subarray(0, 28)), 28);
  payload.copy(rec, HEADER_BYTES);
  const h = readHeader(rec, 0);
  assert.ok(typeof h !== 'string', String(h));
  assert.equal(h.format, 1);
  assert.deepEqual(decodePayload(rec.subarray(HEADER_BYTES), h.format, h.count).map((l) => JSON.parse(l)), events);
});

test('a payload whose event count disagrees with its header is refused', () => {
  const rec = encodeRecord(batch(0, 3));
  assert.throws(() => decodePayload(rec.subarray(HEADER_BYTES), 2, 4), /holds 3 events, its header says 4/);
});
