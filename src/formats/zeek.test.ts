import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readZeekTsv, unescape, ZeekTsvReader, type ZeekLineResult } from './zeek.js';
import { prng } from '../../bench/events.js';

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#open\t2026-11-23-10-00-00',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tconn_state\tlocal_orig\thistory\ttunnel_parents',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tstring\tbool\tstring\tset[string]',
];

test('a conn.log: headers are read, data lines become typed events with flat Zeek field names and _path', () => {
  const text = [
    ...HEADER,
    '1795428000.444458\tCHLXQF2OBY4onAR0Ug\t192.0.2.10\t62771\t198.51.100.20\t443\ttcp\tssl\t1.135424\t1596\tSF\tT\tShADdaFf\t(empty)',
    '1795428033.749548\tCEL3aLvvNGvO6Ecoa\t203.0.113.7\t46563\t192.0.2.10\t3933\ttcp\t-\t0.000010\t0\tS0\tF\tS\t-',
    '#close\t2026-11-23-11-00-00',
    '',
  ].join('\n');
  const { events, errors } = readZeekTsv(text);
  assert.deepEqual(errors, []);
  assert.deepEqual(events, [
    {
      _path: 'conn', ts: 1795428000.444458, uid: 'CHLXQF2OBY4onAR0Ug', 'id.orig_h': '192.0.2.10', 'id.orig_p': 62771,
      'id.resp_h': '198.51.100.20', 'id.resp_p': 443, proto: 'tcp', service: 'ssl', duration: 1.135424, orig_bytes: 1596,
      conn_state: 'SF', local_orig: true, history: 'ShADdaFf', tunnel_parents: [],
    },
    {
      _path: 'conn', ts: 1795428033.749548, uid: 'CEL3aLvvNGvO6Ecoa', 'id.orig_h': '203.0.113.7', 'id.orig_p': 46563,
      'id.resp_h': '192.0.2.10', 'id.resp_p': 3933, proto: 'tcp', duration: 0.00001, orig_bytes: 0,
      conn_state: 'S0', local_orig: false, history: 'S',
    },
  ]);
});

test('the reader keeps the header state: path, fields, open and close times, line number', () => {
  const r = new ZeekTsvReader();
  for (const l of HEADER) assert.deepEqual(r.line(l), { ok: true, event: null });
  assert.equal(r.path, 'conn');
  assert.equal(r.fields?.length, 14);
  assert.equal(r.open, '2026-11-23-10-00-00');
  r.line('#close\t2026-11-23-11-00-00');
  assert.equal(r.close, '2026-11-23-11-00-00');
  assert.equal(r.lineNumber, HEADER.length + 1);
});

test('every Zeek type: numbers, bools, addresses, sets and vectors, unset (left out) and empty (by type)', () => {
  const r = new ZeekTsvReader();
  const lines = [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tmixed',
    '#fields\tt\ti\td\tc\tn\tp\tb\ta\tnet\te\ts\tset_s\tvec_i\tvec_s\tempty_s\tempty_v\tunset_n',
    '#types\ttime\tinterval\tdouble\tcount\tint\tport\tbool\taddr\tsubnet\tenum\tstring\tset[string]\tvector[interval]\tvector[string]\tstring\tvector[count]\tcount',
    '1795428000.000001\t0.5\t-12.25\t18446744\t-3\t53\tF\t2001:db8::1\t198.51.100.0/24\tNotice::ACTION_LOG\thello world\ta,b\t300.000000,60.000000\tx,-,z\t(empty)\t(empty)\t-',
  ];
  const results = lines.map((l) => r.line(l));
  assert.deepEqual(results.at(-1), {
    ok: true,
    event: {
      _path: 'mixed', t: 1795428000.000001, i: 0.5, d: -12.25, c: 18446744, n: -3, p: 53, b: false, a: '2001:db8::1',
      net: '198.51.100.0/24', e: 'Notice::ACTION_LOG', s: 'hello world', set_s: ['a', 'b'], vec_i: [300, 60],
      vec_s: ['x', null, 'z'], empty_s: '', empty_v: [],
    },
  });
});

test('escapes: \\xHH bytes (separators, control characters, UTF-8 runs), \\\\, and bytes that are not UTF-8 stay escaped', () => {
  assert.equal(unescape('a\\x09b'), 'a\tb');
  assert.equal(unescape('caf\\xc3\\xa9'), 'café');
  assert.equal(unescape('\\x2d'), '-');
  assert.equal(unescape('C:\\\\Windows'), 'C:\\Windows');
  assert.equal(unescape('bad\\xff\\x41'), 'bad\\xffA');
  assert.equal(unescape('\\xe2\\x82\\xac\\xfe'), '€\\xfe');
  assert.equal(unescape('trailing\\'), 'trailing\\');
  assert.equal(unescape('\\xZZ'), '\\xZZ');
  // In a log: an escaped separator inside a string and an escaped set separator inside an element.
  const { events, errors } = readZeekTsv([
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\thttp',
    '#fields\turi\ttags\tliteral_dash',
    '#types\tstring\tset[string]\tstring',
    '/a\\x09b\ta\\x2cb,c\t\\x2d',
  ].join('\n'));
  assert.deepEqual(errors, []);
  assert.deepEqual(events, [{ _path: 'http', uri: '/a\tb', tags: ['a,b', 'c'], literal_dash: '-' }]);
});

test('other separators and markers from the header are honoured', () => {
  const { events, errors } = readZeekTsv([
    '#separator \\x7c', '#set_separator|;', '#empty_field|EMPTY', '#unset_field|NONE', '#path|dns',
    '#fields|query|answers|rtt', '#types|string|vector[string]|interval',
    'example.com|192.0.2.1;192.0.2.2|NONE',
    'example.org|EMPTY|0.25',
  ].join('\n'));
  assert.deepEqual(errors, []);
  assert.deepEqual(events, [
    { _path: 'dns', query: 'example.com', answers: ['192.0.2.1', '192.0.2.2'] },
    { _path: 'dns', query: 'example.org', answers: [], rtt: 0.25 },
  ]);
});

test('concatenated logs: a new #separator starts a new header block; CRLF line ends are accepted', () => {
  const { events, errors } = readZeekTsv([
    '#separator \\x09', '#path\tconn', '#fields\tts\tuid', '#types\ttime\tstring', '1.5\tC1', '#close\tx',
    '#separator \\x09', '#path\tdns', '#fields\tts\tquery', '#types\ttime\tstring', '2.5\texample.com\r',
  ].join('\n'));
  assert.deepEqual(errors, []);
  assert.deepEqual(events, [{ _path: 'conn', ts: 1.5, uid: 'C1' }, { _path: 'dns', ts: 2.5, query: 'example.com' }]);
});

test('without #types every value is a string; without #path there is no _path', () => {
  const { events } = readZeekTsv('#fields\tts\tn\n1.5\t7');
  assert.deepEqual(events, [{ ts: '1.5', n: '7' }]);
});

test('bad lines come back with the line number and the reason; the reader goes on', () => {
  const r = new ZeekTsvReader();
  const out: ZeekLineResult[] = [
    '1795428000.1\tC1',
    '#separator \\x09', '#fields\tts\tuid\tn\tok', '#types\ttime\tstring\tcount\tbool',
    '1795428000.1\tC1\t5',
    '1795428000.1\tC1\tfive\tT',
    '1795428000.1\tC1\t5\tyes',
    'yesterday\tC1\t5\tT',
    '1795428000.1\tC1\t5\tT',
    '#types\ttime\tstring',
    '#close\t2026',
    '1795428000.1\tC1\t5\tT',
    '#separator',
    '#fields\ta\ta',
  ].map((l) => r.line(l));
  assert.deepEqual(out, [
    { ok: false, reason: 'line 1: data line before the #fields header', line: 1 },
    { ok: true, event: null },
    { ok: true, event: null },
    { ok: true, event: null },
    { ok: false, reason: 'line 5: expected 4 fields (as #fields lists), found 3', line: 5 },
    { ok: false, reason: 'line 6: field "n" is not a valid count: "five"', line: 6 },
    { ok: false, reason: 'line 7: field "ok" is not a valid bool: "yes"', line: 7 },
    { ok: false, reason: 'line 8: field "ts" is not a valid time: "yesterday"', line: 8 },
    { ok: true, event: { ts: 1795428000.1, uid: 'C1', n: 5, ok: true } },
    { ok: false, reason: 'line 10: #types lists 2 types but #fields lists 4 fields; values are read as strings', line: 10 },
    { ok: true, event: null },
    { ok: false, reason: 'line 12: data line after #close without a new #fields header', line: 12 },
    { ok: false, reason: 'line 13: #separator must be followed by a space and the separator (e.g. "#separator \\x09")', line: 13 },
    { ok: false, reason: 'line 14: #fields lists "a" twice', line: 14 },
  ]);
});

test('lines with every combination of unset fields give exactly their own keys', () => {
  const names = Array.from({ length: 10 }, (_, i) => `f${i}`);
  const r = new ZeekTsvReader();
  r.line('#separator \\x09');
  r.line('#path\tx');
  r.line('#fields\t' + names.join('\t'));
  r.line('#types\t' + names.map(() => 'count').join('\t'));
  for (let mask = 0; mask < 1 << names.length; mask++) {
    const res = r.line(names.map((_, i) => (mask & (1 << i) ? '-' : String(i))).join('\t'));
    const expected: Record<string, unknown> = { _path: 'x' };
    names.forEach((n, i) => { if (!(mask & (1 << i))) expected[n] = i; });
    assert.deepEqual(res, { ok: true, event: expected });
  }
});

test('field names from the input cannot reach the prototype', () => {
  const { events } = readZeekTsv('#fields\t__proto__\tx\n{"polluted":1}\t1');
  assert.equal(Object.getPrototypeOf(events[0]), Object.prototype);
  assert.equal(events[0]!.__proto__, '{"polluted":1}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

// ---------------------------------------------------------------------------------------------

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const CASES = Number(process.env.FUZZ_CASES ?? 20_000);
const BUDGET_MS = 4000;

test('fuzz: random bytes and mutated Zeek logs never throw; results are well formed', () => {
  const rand = prng(SEED);
  const alphabet = '\t,-#\\x09(empty)TF.0123456789abcdef[]';
  const pick = (s: string) => s[Math.floor(rand() * s.length)]!;
  const randomText = (max: number) => {
    let s = '';
    const n = Math.floor(rand() * max);
    for (let i = 0; i < n; i++) {
      const r = rand();
      s += r < 0.6 ? pick(alphabet) : r < 0.85 ? String.fromCharCode(32 + Math.floor(rand() * 95)) : String.fromCharCode(Math.floor(rand() * 0x3000));
    }
    return s;
  };
  const mutate = (seed: string) => {
    let s = seed;
    for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
      const at = Math.floor(rand() * (s.length + 1));
      const r = rand();
      if (r < 0.35) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 4));
      else if (r < 0.7) s = s.slice(0, at) + randomText(5) + s.slice(at);
      else s = s.slice(0, at) + pick(alphabet) + s.slice(at + 1);
    }
    return s;
  };
  const dataLines = [
    '1795428000.444458\tCHLXQF2OBY4onAR0Ug\t192.0.2.10\t62771\t198.51.100.20\t443\ttcp\tssl\t1.135424\t1596\tSF\tT\tShADdaFf\t(empty)',
    '1795428033.749548\tCEL3aLvvNGvO6Ecoa\t2001:db8::7\t46563\t192.0.2.10\t3933\ttcp\t-\t0.000010\t0\tS0\tF\tS\ta\\x2cb,c',
    '1795428033.7\tC\\xc3\\xa9\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-',
  ];
  const allowed = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  const check = (r: ZeekLineResult, reader: ZeekTsvReader) => {
    assert.equal(typeof r.ok, 'boolean');
    if (!r.ok) {
      assert.equal(r.line, reader.lineNumber);
      assert.ok(r.reason.startsWith(`line ${r.line}: `) && !r.reason.includes('internal reader error'), r.reason);
      return;
    }
    if (r.event === null) return;
    assert.equal(Object.getPrototypeOf(r.event), Object.prototype);
    for (const v of Object.values(r.event)) {
      if (Array.isArray(v)) assert.ok(v.every((x) => x === null || allowed(x)));
      else assert.ok(allowed(v) && (typeof v !== 'number' || Number.isFinite(v)), `bad value ${String(v)}`);
    }
    JSON.stringify(r.event);
  };
  const start = Date.now();
  let n = 0;
  for (; n < CASES && Date.now() - start < BUDGET_MS; n++) {
    const reader = new ZeekTsvReader();
    const lines = [...HEADER.map((h) => (rand() < 0.1 ? mutate(h) : h))];
    for (let k = 0; k < 4; k++) {
      const r = rand();
      lines.push(r < 0.3 ? randomText(160) : r < 0.4 ? '#' + randomText(40) : mutate(dataLines[Math.floor(rand() * dataLines.length)]!));
    }
    if (rand() < 0.2) lines.sort(() => rand() - 0.5);
    for (const l of lines) {
      let r: ZeekLineResult;
      try { r = reader.line(l); } catch (e) {
        assert.fail(`reader threw on case ${n} (FUZZ_SEED=${SEED}) line ${JSON.stringify(l)}: ${(e as Error).stack}`);
      }
      try { check(r, reader); } catch (e) {
        assert.fail(`bad result on case ${n} (FUZZ_SEED=${SEED}) line ${JSON.stringify(l)}: ${(e as Error).message}`);
      }
    }
  }
  assert.ok(n >= Math.min(CASES, 1000), `only ${n} cases ran`);
  // Non-string input and huge lines are errors, not crashes or multi-second stalls.
  const r = new ZeekTsvReader();
  assert.equal(r.line(undefined as unknown as string).ok, false);
  for (const h of HEADER) r.line(h);
  const t0 = Date.now();
  const wide = r.line('\t'.repeat(2 ** 20));
  assert.deepEqual(wide, { ok: false, reason: `line ${HEADER.length + 2}: expected 14 fields (as #fields lists), found ${2 ** 20 + 1}`, line: HEADER.length + 2 });
  assert.equal(r.line('#fields' + '\tf'.repeat(20_000)).ok, false);
  assert.equal(r.line('x' + '\\x41'.repeat(2 ** 18)).ok, false);
  assert.equal(unescape('\\xff'.repeat(2 ** 16)).length, 4 * 2 ** 16);
  assert.ok(Date.now() - t0 < 3000);
});
