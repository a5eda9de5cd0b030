import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimespan, parseTimespan } from './timespan.js';

test('timespans in seconds, minutes, hours, days and weeks', () => {
  const ms = (t: string) => {
    const r = parseTimespan(t);
    if (!r.ok) assert.fail(`${t}: ${r.message}`);
    return r.ms;
  };
  assert.equal(ms('30s'), 30_000);
  assert.equal(ms('5m'), 300_000);
  assert.equal(ms('90m'), 5_400_000);
  assert.equal(ms('1h'), 3_600_000);
  assert.equal(ms('1d'), 86_400_000);
  assert.equal(ms('2w'), 14 * 86_400_000);
});

test('timespan errors say what to write', () => {
  const msg = (t: unknown) => {
    const r = parseTimespan(t);
    assert.equal(r.ok, false, `${String(t)} should be refused`);
    return (r as { message: string }).message;
  };
  assert.match(msg('5x'), /'5x' has the unknown unit 'x'; write a whole number and one of s, m, h, d/);
  assert.match(msg('5H'), /units are lower-case: '5h'/);
  assert.match(msg('1M'), /months and years have no fixed length; give the window in days/);
  assert.match(msg('0m'), /greater than zero/);
  assert.match(msg('1.5h'), /'1\.5h' is not a timespan/);
  assert.match(msg('h'), /'h' is not a timespan/);
  assert.match(msg(300), /found the number 300/);
  assert.match(msg(undefined), /found nothing/);
  assert.match(msg('400d'), /longer than 366 days/);
});

test('formatTimespan picks the largest exact unit', () => {
  assert.equal(formatTimespan(5_400_000), '90m');
  assert.equal(formatTimespan(7_200_000), '2h');
  assert.equal(formatTimespan(1500), '1500ms');
});
