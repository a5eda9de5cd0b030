// The shortcuts matching takes must not change what matches: field reads from the prepared-event
// snapshot, the case-folding literal scan, the choice and bound of prefilter literals, and items
// shared between rules during a load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadPipeline } from './builtin-pipelines.js';
import { compileItem, necessaryLiterals, pathReader, prepareEvent, releaseEvent } from './compile.js';
import { SigmaEngine, type EngineRule } from './engine.js';
import { LiteralScanner } from './literal-scan.js';
import { parseSigma } from './parse.js';
import { applyPipelines } from './pipeline.js';
import type { DetectionItem, SigmaRule } from './types.js';

const KEYS = ['a', 'b', 'a.b', 'c', 'constructor', 'toString', '__proto__', 'x.y.z'];
const value = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean());
const event: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ obj: Record<string, unknown>; v: unknown }>((tie) => ({
  v: fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: tie('obj') }, { weight: 1, arbitrary: fc.array(fc.oneof(value, tie('obj')), { maxLength: 3 }) }),
  obj: fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 4 }),
})).obj;
const PATHS = ['a', 'b', 'a.b', 'c', 'a.b.c', 'x.y.z', 'x.y', 'constructor', 'toString', 'a.constructor', 'a.length', 'b.a', 'missing', 'missing.deeper'];

test('reading a prepared event gives what reading it directly gives, on any path', () => {
  const readers = PATHS.map((p) => [p, pathReader(p)] as const);
  fc.assert(fc.property(event, (e) => {
    const direct = readers.map(([, r]) => r(e));
    prepareEvent(e);
    try {
      readers.forEach(([p, r], i) => assert.deepEqual(r(e), direct[i], `${p} of ${JSON.stringify(e)}`));
    } finally {
      releaseEvent();
    }
  }), { numRuns: 2000 });
});

test('the snapshot is of one event at a time and is gone after releaseEvent', () => {
  const read = pathReader('Image');
  const e1 = { Image: 'one.exe' }, e2 = { Image: 'two.exe' };
  prepareEvent(e1);
  assert.equal(read(e2), 'two.exe', 'another event is read directly');
  prepareEvent(e2);
  assert.equal(read(e2), 'two.exe');
  assert.equal(read(e1), 'one.exe');
  releaseEvent();
  e2.Image = 'changed.exe';
  assert.equal(read(e2), 'changed.exe');
});

test('scanAnyCase finds what scan finds in the lower-cased text, on mixed case and non-ASCII text', () => {
  // Letters whose case mapping is not ASCII's: Kelvin sign, dotted I, final sigma, sharp s, long s.
  const chars = ['a', 'A', 'B', 'z', 'Z', 'k', 'K', '\u212a', 'i', 'I', '\u0130', '\u0307', 's', 'S', '\u017f', '\u03a3', '\u03c3', '\u03c2', '\u00df', 'é', 'É', '-', ' '];
  const str = (max: number) => fc.string({ unit: fc.constantFrom(...chars), maxLength: max });
  let hits = 0;
  fc.assert(fc.property(fc.array(str(4), { minLength: 1, maxLength: 8 }), fc.array(str(30), { minLength: 1, maxLength: 5 }), (lits, texts) => {
    const sc = new LiteralScanner(lits.map((l) => l.toLowerCase()));
    for (const t of texts) {
      const want = new Set<number>(), got = new Set<number>();
      sc.scan(t.toLowerCase(), (id) => want.add(id));
      sc.scanAnyCase(t, (id) => got.add(id));
      assert.deepEqual([...got].sort(), [...want].sort(), `${JSON.stringify(lits)} in ${JSON.stringify(t)}`);
      hits += want.size;
    }
  }), { numRuns: 1000 });
  assert.ok(hits > 1000, `too few hits (${hits}) for the property to mean much`);
});

function windowsRule(detection: string): SigmaRule {
  const r = parseSigma(`title: t\nid: r1\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n${detection}`, 'r.yml');
  assert.deepEqual(r.errors, []);
  const x = applyPipelines(r.docs[0] as SigmaRule, [loadPipeline('windows')]);
  if (!('type' in x)) assert.fail(x.message);
  return x;
}

test('prefilter literals come from the rule, not from the log source conditions a pipeline adds', () => {
  // The channel name is longer than the rule's literal, and occurs in every Sysmon event.
  const need = necessaryLiterals(windowsRule('  sel:\n    Image|endswith: \'\\whoami.exe\'\n  condition: sel\n'));
  assert.ok(need !== null);
  assert.deepEqual([...new Set(need.flatMap((n) => n.literals))], ['\\whoami.exe']);
  assert.deepEqual(need.map((n) => n.path).sort(), ['Event.EventData.Image', 'Event.EventData.NewProcessName', 'Image', 'NewProcessName', 'winlog.event_data.Image', 'winlog.event_data.NewProcessName']);
});

test('an item with a very long list of values is not prefiltered, and still matches', () => {
  const values = Array.from({ length: 300 }, (_, i) => `    - 'tool${i}.exe'`).join('\n');
  const rule = windowsRule(`  sel:\n    CommandLine|contains:\n${values}\n  condition: sel\n`);
  const need = necessaryLiterals(rule) ?? [];
  assert.ok(!need.some((n) => n.literals.some((l) => l.includes('tool'))), 'no automaton holds the 300 values');
  const engine = new SigmaEngine([rule]);
  const out: EngineRule[] = [];
  const base = { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational' };
  assert.equal(engine.match({ ...base, CommandLine: 'c:\\x\\TOOL250.exe -q' }, out), 1);
  assert.equal(engine.match({ ...base, CommandLine: 'c:\\x\\tool.exe' }, out), 0);
});

test('items compiled in one load are shared by content, never across different meanings', () => {
  const item = (values: string[]): DetectionItem => ({ field: 'User', modifiers: ['expand'], values });
  const a = compileItem(item(['%admins%']), { placeholders: { admins: ['alice'] } });
  const b = compileItem(item(['%admins%']), { placeholders: { admins: ['bob'] } });
  assert.equal(a({ User: 'alice' }), true);
  assert.equal(b({ User: 'alice' }), false, 'other placeholder values, another predicate');
  const same = item(['x']);
  const p = compileItem(same);
  same.values[0] = 'y'; // changed in place, in the same tick
  const q = compileItem(same);
  assert.equal(p({ User: 'x' }), true);
  assert.equal(q({ User: 'y' }), true);
  assert.equal(q({ User: 'x' }), false);
  // Values JSON cannot tell apart are not shared.
  const num = (v: number): DetectionItem => ({ field: 'n', modifiers: [], values: [v] });
  assert.equal(compileItem(num(-0))({ n: '-0' }), false);
  assert.equal(compileItem(num(0))({ n: '0' }), true);
  assert.equal(compileItem(num(Infinity))({ n: 'Infinity' }), true);
});

test('keyword items match exactly as on the lower-cased text, whatever the case and script', () => {
  // The raw-text prefilter of keyword items must not lose a match that lower-casing makes:
  // 'İ' lowers to 'i' + U+0307 and the Kelvin sign to 'k'; 'ſ' and 'ẞ' do not lower to ASCII.
  const kw = (values: string[]): DetectionItem => ({ field: null, modifiers: [], values });
  const items = [kw(['*kiwi*', '*lsadump::*', 'exact']), kw(['*i*']), kw(['*ki*', 'a*b*c']), kw(['*s*', '*ß*'])];
  const preds = items.map((i) => compileItem(i));
  const text = fc.string({ unit: fc.constantFrom('k', 'K', '\u212a', 'i', 'I', '\u0130', 'w', 'W', 's', 'S', '\u017f', '\u1e9e', 'ß', ':', 'l', 'a', 'b', 'c', 'x', 'e', 'A', 'D', 'u', 'm', 'p', 't'), maxLength: 12 });
  const want = (values: string[], s: string) => values.some((v) => {
    const low = s.toLowerCase();
    // Keywords match anywhere in a value (an implicit contains).
    const re = new RegExp(v.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*'), 's');
    return re.test(low);
  });
  fc.assert(fc.property(text, fc.boolean(), (s, nested) => {
    const e = nested ? { a: [{ b: s }] } : { m: s, n: 1 };
    items.forEach((item, i) => assert.equal(preds[i]!(e), want(item.values as string[], s), `${JSON.stringify(item.values)} on ${JSON.stringify(s)}`));
  }), { numRuns: 3000 });
  assert.equal(preds[0]!({ m: 'MIMI\u212aIWI' }), true, 'Kelvin sign lowers to k');
  assert.equal(preds[1]!({ m: '\u0130' }), true, 'İ lowers to i + U+0307');
});

test('discriminator values are found by their text however the event gives them, and repeatedly', () => {
  const rule = windowsRule("  sel:\n    CommandLine|contains: 'whoami'\n  condition: sel\n");
  const plain = windowsRule("  sel:\n    User: 'x'\n  condition: sel\n");
  const engine = new SigmaEngine([rule, plain]);
  const out: EngineRule[] = [];
  for (let round = 0; round < 3; round++) {
    assert.equal(engine.match({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', CommandLine: 'WHOAMI /all' }, out), 1);
    assert.equal(engine.match({ EventID: '1', Channel: 'MICROSOFT-WINDOWS-SYSMON/OPERATIONAL', CommandLine: 'whoami' }, out), 1);
    assert.equal(engine.match({ EventID: [7, 1], Channel: ['x', 'Microsoft-Windows-Sysmon/Operational'], User: 'X' }, out), 1);
    assert.equal(engine.match({ EventID: 1.5, Channel: 'Microsoft-Windows-Sysmon/Operational', CommandLine: 'whoami' }, out), 0);
    assert.equal(engine.match({ EventID: true, Channel: 'Microsoft-Windows-Sysmon/Operational', CommandLine: 'whoami' }, out), 0);
  }
  // More distinct values than the memo holds: still right afterwards.
  for (let i = 0; i < 5000; i++) engine.match({ EventID: i + 2, Channel: `c${i}`, CommandLine: 'whoami' }, out);
  assert.equal(engine.match({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', CommandLine: 'x whoami' }, out), 1);
});

test('scanners with few literals report what the automaton reports', () => {
  fc.assert(fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é'), minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }), fc.string({ unit: fc.constantFrom('a', 'B', 'c', 'É', 'x'), maxLength: 40 }), (lits, t) => {
    const sc = new LiteralScanner(lits);
    assert.ok(sc.few !== null);
    const a = new Set<number>(), b = new Set<number>();
    sc.scan(t.toLowerCase(), (id) => a.add(id));
    sc.scanFew(t.toLowerCase(), (id) => b.add(id));
    assert.deepEqual([...b].sort(), [...a].sort());
  }), { numRuns: 1000 });
});
