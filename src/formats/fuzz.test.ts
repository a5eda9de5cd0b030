/**
 * Fuzz the pure parsers: random and mutated inputs from a seeded PRNG (a failure prints its seed
 * and input, so it replays), asserting that nothing throws and every result is well formed.
 * Each parser gets a fixed number of cases with a time budget as a backstop, so a slow machine
 * runs fewer cases instead of timing out. Huge and deeply nested inputs check that no parser
 * recurses or goes quadratic on hostile input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyslog } from './syslog.js';
import { compileKv } from './kv.js';
import { compileCsv, splitCsvLine } from './csv.js';
import { prng } from '../../bench/events.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const CASES = Number(process.env.FUZZ_CASES ?? 30_000);
const BUDGET_MS = 4000;


/** Random text biased towards the characters each grammar cares about. */
function generator(rand: () => number, alphabet: string) {
  const pick = (s: string) => s[Math.floor(rand() * s.length)]!;
  const randomText = (max: number) => {
    const n = Math.floor(rand() * max);
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = rand();
      s += r < 0.7 ? pick(alphabet) : r < 0.9 ? String.fromCharCode(32 + Math.floor(rand() * 95)) : String.fromCharCode(Math.floor(rand() * 0x3000));
    }
    return s;
  };
  const mutate = (seed: string) => {
    let s = seed;
    const edits = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * (s.length + 1));
      const r = rand();
      if (r < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 5));
      else if (r < 0.6) s = s.slice(0, at) + randomText(6) + s.slice(at);
      else if (r < 0.8) s = s.slice(0, at) + pick(alphabet) + s.slice(at + 1);
      else { const from = Math.floor(rand() * s.length); s = s.slice(0, at) + s.slice(from, from + Math.floor(rand() * 20)) + s.slice(at); }
    }
    return s;
  };
  return { randomText, mutate, pick };
}

function fuzz(name: string, seeds: string[], alphabet: string, check: (input: string) => void): void {
  test(`fuzz ${name}: random and mutated inputs never throw and give well-formed results`, () => {
    const rand = prng(SEED);
    const g = generator(rand, alphabet);
    const start = Date.now();
    let n = 0;
    for (; n < CASES && Date.now() - start < BUDGET_MS; n++) {
      const input = rand() < 0.3 ? g.randomText(120) : g.mutate(seeds[Math.floor(rand() * seeds.length)]!);
      try { check(input); } catch (e) {
        assert.fail(`${name} failed on case ${n} (FUZZ_SEED=${SEED}) input ${JSON.stringify(input)}: ${(e as Error).stack}`);
      }
    }
    assert.ok(n >= Math.min(CASES, 1000), `only ${n} cases ran`);
  });
}

function isPlain(o: unknown): o is Record<string, unknown> {
  return o !== null && typeof o === 'object' && !Array.isArray(o) && Object.getPrototypeOf(o) === Object.prototype;
}

function checkResult(r: { ok: boolean; value?: unknown; error?: string }): void {
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.ok(typeof r.error === 'string' && r.error.length > 0 && !r.error.startsWith('internal parser error'), `bad error: ${r.error}`);
  else assert.ok(isPlain(r.value), 'value must be a plain object');
}

// ---------------------------------------------------------------------------------------------

const syslogSeeds = [
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed",
  '<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"][p@1 class="high"] msg',
  '<13>1 - - - - - [x@1 a="say \\"hi\\"" b="c:\\\\dir" c="[1\\]"] m',
  '<34>Oct 11 22:14:15 mymachine su: failed',
  'Mar  9 06:25:13 web-1 sshd[2211]: Failed password for root',
  '2024-01-15T10:20:30.123456+01:00 web-1 sshd[42]: Accepted',
  '<189>Oct  1 2003 22:14:15.123 router tag: x',
  '<13>sshd[1]: x',
];
const opts = { timezone: 'utc' as const, now: Date.parse('2024-03-10T12:00:00Z') };

fuzz('syslog', syslogSeeds, '<>[]="\\- :.0123456789TZ+1JanOctMar@sshd', (input) => {
  const r = parseSyslog(input, opts);
  checkResult(r);
  if (!r.ok) return;
  const m = r.value;
  assert.equal(typeof m.message, 'string');
  if (m.facility_code !== undefined) {
    assert.ok(m.facility_code >= 0 && m.facility_code <= 23 && typeof m.facility === 'string');
    assert.ok(m.severity_code! >= 0 && m.severity_code! <= 7 && typeof m.severity === 'string');
  }
  if (m.timestamp !== undefined) assert.ok(!Number.isNaN(Date.parse(m.timestamp.replace(/(\.\d{3})\d+Z$/, '$1Z'))), `bad timestamp ${m.timestamp}`);
  for (const k of ['hostname', 'appname', 'procid', 'msgid'] as const) if (m[k] !== undefined) assert.equal(typeof m[k], 'string');
  if (m.structured_data !== undefined) {
    assert.ok(isPlain(m.structured_data));
    for (const params of Object.values(m.structured_data)) {
      assert.ok(isPlain(params));
      for (const v of Object.values(params)) assert.ok(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
    }
  }
  JSON.stringify(m);
});

const kvSeeds = ['a=1 b="two words" c=\'x\'', 'msg="say \\"hi\\"" p="C:\\Windows" flag', 'a=1, b = 2 ,c="q, x"', 'x=1 x=2 x=3'];
const kvParsers = [compileKv(), compileKv({ fieldSplit: ',', duplicates: 'array' }), compileKv({ fieldSplit: '||', valueSplit: '=>' })];

fuzz('kv', kvSeeds, '= "\'\\,|>ab', (input) => {
  for (const p of kvParsers) {
    const r = p(input);
    checkResult(r);
    if (!r.ok) continue;
    assert.ok(Object.keys(r.value).length > 0);
    for (const v of Object.values(r.value)) {
      assert.ok(typeof v === 'string' || v === true || (Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'string' || x === true)));
    }
  }
});

const csvSeeds = ['aaa,bbb,ccc', '"aaa","b,bb","c""cc"', '"",,""', '5 "inch",b', 'a;"b;c";d'];
const csvParser = compileCsv({ columns: ['a', 'b', 'c'] });

fuzz('csv', csvSeeds, ',;"ab ', (input) => {
  const r = csvParser(input);
  checkResult(r);
  const s = splitCsvLine(input, ';');
  if (s.ok) {
    assert.ok(s.value.length >= 1 && s.value.every((x) => typeof x === 'string'));
    // Re-quoting every field must round-trip to the same fields.
    const again = splitCsvLine(s.value.map((x) => `"${x.replaceAll('"', '""')}"`).join(';'), ';');
    assert.deepEqual(again, s);
  }
});

// ---------------------------------------------------------------------------------------------

test('huge and deeply nested inputs: no stack overflow, results still well formed', () => {
  const big = 4 * 2 ** 20;
  const sdDeep = '<13>1 - h a p m ' + '[a x="1"]'.repeat(200_000) + ' msg';
  const r1 = parseSyslog(sdDeep, opts);
  assert.ok(r1.ok && Object.keys(r1.value.structured_data!).length === 1);
  const manyParams = '<13>1 - h a p m [a ' + Array.from({ length: 100_000 }, (_, i) => `k="${i}"`).join(' ') + ']';
  const r2 = parseSyslog(manyParams, opts);
  assert.ok(r2.ok && (r2.value.structured_data!.a!.k as string[]).length === 100_000);
  checkResult(parseSyslog('<13>1 - h a p m [' + '['.repeat(big), opts));
  checkResult(parseSyslog('<13>' + '<'.repeat(big), opts));
  checkResult(parseSyslog('Oct 11 22:14:15 ' + 'x'.repeat(big) + ':', opts));

  const kv = compileKv({ duplicates: 'array' });
  const r3 = kv('a=1 '.repeat(500_000));
  assert.ok(r3.ok && (r3.value.a as string[]).length === 500_000);
  checkResult(kv('"'.repeat(big)));
  checkResult(kv('a="' + '\\"'.repeat(big / 2)));
  checkResult(kv('='.repeat(big)));

  const r4 = splitCsvLine('"a""b",'.repeat(300_000) + 'x');
  assert.ok(r4.ok && r4.value.length === 300_001 && r4.value[0] === 'a"b');
  checkResult(compileCsv()('"'.repeat(big)));
  checkResult(compileCsv()(','.repeat(big)));

  // Width limits: wider records are errors, not multi-second object builds.
  assert.deepEqual(compileCsv()(','.repeat(big)), { ok: false, error: `record has ${big + 1} fields, more than the limit of 10000` });
  assert.deepEqual(kv(Array.from({ length: 10_001 }, (_, i) => `k${i}=1`).join(' ')), { ok: false, error: 'more than 10000 distinct keys' });
  const wideSd = parseSyslog('<13>1 - h a p m [a ' + Array.from({ length: 10_001 }, (_, i) => `k${i}="1"`).join(' ') + ']', opts);
  assert.ok(!wideSd.ok && /more than 10000/.test(wideSd.error));
});
