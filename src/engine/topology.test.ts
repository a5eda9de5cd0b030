import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from './config/index.js';
import { Pipeline } from './topology.js';
import { quietLog } from './testing.js';
import { collected, testRegistry } from './test-components.js';
import { finalizerWithPromise } from '../core/finalizer.js';
import { defineComponent } from '../core/component.js';
import { s } from '../core/schema.js';
import { Registry } from './registry.js';
import { collect, counter, tag } from './test-components.js';

beforeEach(() => collected.clear());

/** After a run: every source's books balance and nothing is left in flight. */
function assertBooks(p: Pipeline): void {
  for (const a of p.accounting.all()) {
    assert.ok(a.balanced, `books of ${a.source} do not balance: ${JSON.stringify(a)}`);
    assert.equal(a.inFlight, 0, `${a.source} has events in flight after the run`);
    assert.equal(a.unreported, 0, `${a.source} lost events without reporting them`);
  }
}

function pipeline(yaml: string, registry = testRegistry): Pipeline {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topo-'));
  const cfg = validateConfig(['p.yaml'], registry, { env: {}, texts: new Map([['p.yaml', `data_dir: ${dir}\n${yaml}`]]) });
  return new Pipeline(cfg, { log: quietLog });
}

test('a finite source drains through the pipeline and the run finishes', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 103, batch: 10 } }
transforms: { t: { type: tag, inputs: [gen], value: yes } }
sinks: { out: { type: collect, inputs: [t], name: a } }
`);
  await p.start();
  await p.done;
  const got = collected.get('a')!;
  assert.equal(got.length, 103);
  assert.deepEqual(got.map((e) => e.n), [...Array(103).keys()]);
  assert.equal(got[0]!.tagged, 'yes');
  const t = p.stats().find((x) => x.id === 't')!;
  assert.equal(t.receivedEvents, 103);
  assert.equal(t.sentEvents.get(''), 103);
  assert.equal(t.sentEvents.get('even'), 52);
  // The `even` copies are nobody's input: counted as created, then dropped (no consumer).
  assertBooks(p);
  assert.deepEqual(p.accounting.of('gen').toJSON(), { source: 'gen', received: 103, created: 52, delivered: 103, dropped: 52, unreported: 0, dead_lettered: 0, in_flight: 0, balanced: true });
});

test('fan-out gives each consumer its own copy', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 4 } }
transforms:
  a: { type: tag, inputs: [gen], field: which, value: a }
  b: { type: tag, inputs: [gen], field: which, value: b }
sinks:
  oa: { type: collect, inputs: [a], name: a }
  ob: { type: collect, inputs: [b], name: b }
`);
  await p.start();
  await p.done;
  assert.deepEqual(collected.get('a')!.map((e) => e.which), ['a', 'a', 'a', 'a']);
  assert.deepEqual(collected.get('b')!.map((e) => e.which), ['b', 'b', 'b', 'b']);
  assertBooks(p);
  // 4 fan-out copies, plus each transform's 2 `even` copies that nobody reads (dropped).
  assert.deepEqual(p.accounting.of('gen').toJSON(), { source: 'gen', received: 4, created: 8, delivered: 8, dropped: 4, unreported: 0, dead_lettered: 0, in_flight: 0, balanced: true });
});

test('failed events go to the errors output, or to the dead-letter store when nobody reads it', async () => {
  const badSource = defineComponent({
    type: 'bad', kind: 'source', status: 'alpha', summary: 'emits some bad events', config: s.object({}),
    build: () => ({ async run(ctx) { await ctx.send([{ n: 1 }, { n: 2, bad: true }, { n: 3 }]); } }),
  });
  const reg = new Registry([badSource, collect, tag]);
  const p = pipeline(`
sources: { gen: { type: bad } }
transforms: { t: { type: tag, inputs: [gen] } }
sinks: { out: { type: collect, inputs: [t], name: a } }
`, reg);
  await p.start();
  await p.done;
  assert.deepEqual(collected.get('a')!.map((e) => e.n), [1, 3]);
  const dead = [...p.deadLetters.read()];
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.component_id, 't');
  assert.equal(dead[0]!.reason, 'bad event');
  assert.deepEqual(dead[0]!.event, { n: 2, bad: true });

  collected.clear();
  const p2 = pipeline(`
sources: { gen: { type: bad } }
transforms: { t: { type: tag, inputs: [gen] } }
sinks:
  out: { type: collect, inputs: [t], name: a }
  errs: { type: collect, inputs: ["*.errors"], name: e }
`, reg);
  await p2.start();
  await p2.done;
  assert.equal(collected.get('e')!.length, 1);
  assert.equal(collected.get('e')![0]!.error_code, 'parse_failed');
  assert.equal([...p2.deadLetters.read()].length, 0);
  assertBooks(p);
  assertBooks(p2);
  assert.equal(p2.accounting.of('gen').deadLettered, 1);
  assert.equal(p2.accounting.of('gen').delivered, 2);
});

test('per-item rejections and failed deliveries are dead-lettered with the reason', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 6 } }
sinks:
  picky: { type: collect, inputs: [gen], name: a, reject_odd: true }
  down: { type: collect, inputs: [gen], name: b, fail: true }
`);
  await p.start();
  await p.done;
  assert.deepEqual(collected.get('a')!.map((e) => e.n), [0, 2, 4]);
  const dead = [...p.deadLetters.read()];
  const picky = dead.filter((d) => d.component_id === 'picky');
  const down = dead.filter((d) => d.component_id === 'down');
  assert.deepEqual(picky.map((d) => (d.event as { n: number }).n).sort(), [1, 3, 5]);
  assert.equal(picky[0]!.reason, 'odd numbers refused');
  assert.equal(down.length, 6);
  assert.match(down[0]!.reason, /delivery failed: destination down/);
  assertBooks(p);
  assert.deepEqual(p.accounting.of('gen').toJSON(), { source: 'gen', received: 6, created: 6, delivered: 3, dropped: 0, unreported: 0, dead_lettered: 9, in_flight: 0, balanced: true });
});

test('a slow sink applies backpressure: queues stay within their bounds', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 400, batch: 10 } }
transforms: { t: { type: tag, inputs: [gen], buffer: { max_events: 50 } } }
sinks: { out: { type: collect, inputs: [t], name: a, delay_ms: 2, buffer: { max_events: 30 }, batch: { max_events: 10 } } }
`);
  await p.start();
  let maxT = 0, maxOut = 0;
  const timer = setInterval(() => {
    for (const st of p.stats()) {
      if (st.id === 't') maxT = Math.max(maxT, st.queueEvents);
      if (st.id === 'out') maxOut = Math.max(maxOut, st.queueEvents);
    }
  }, 1);
  await p.done;
  clearInterval(timer);
  assert.equal(collected.get('a')!.length, 400);
  assert.ok(maxT <= 50, `transform queue peaked at ${maxT}`);
  assert.ok(maxOut <= 30, `sink queue peaked at ${maxOut}`);
  assert.ok(maxOut > 0, 'the sink queue was used');
});

test('stop() drains: everything a source sent is delivered', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, forever: true, batch: 7, delay_ms: 1 } }
transforms: { t: { type: tag, inputs: [gen] } }
sinks: { out: { type: collect, inputs: [t], name: a, delay_ms: 3 } }
`);
  await p.start();
  await new Promise((r) => setTimeout(r, 100));
  await p.stop();
  const src = p.stats().find((x) => x.id === 'gen')!;
  assert.ok(src.receivedEvents > 0);
  assert.equal(collected.get('a')!.length, src.receivedEvents);
  assertBooks(p);
});

test('finalizers settle delivered after the sink writes, rejected when the sink refuses', async () => {
  const results: string[] = [];
  const acked = defineComponent({
    type: 'acked', kind: 'source', status: 'alpha', summary: 'sends with finalizers', config: s.object({}),
    build: () => ({
      async run(ctx) {
        for (const n of [2, 3]) {
          const { finalizer, settled } = finalizerWithPromise();
          void settled.then((st) => results.push(`${n}:${st}`));
          await ctx.send([{ n }], { finalizer });
        }
      },
    }),
  });
  const p = pipeline(`
sources: { src: { type: acked } }
transforms: { t: { type: tag, inputs: [src] } }
sinks:
  a: { type: collect, inputs: [t], name: a, reject_odd: true }
  b: { type: collect, inputs: [t.even], name: b }
`, new Registry([acked, collect, tag]));
  await p.start();
  await p.done;
  assert.deepEqual(results.sort(), ['2:delivered', '3:rejected']);
});

test('reload by diff: unchanged components keep their state; changed ones are rebuilt', async () => {
  const base = (name: string) => `
sources: { gen: { type: counter, forever: true, batch: 1, delay_ms: 5 } }
transforms: { t: { type: tag, inputs: [gen] } }
sinks: { out: { type: collect, inputs: [t], name: ${name} } }
`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
  const load = (y: string) => validateConfig(['p.yaml'], testRegistry, { env: {}, texts: new Map([['p.yaml', `data_dir: ${dir}\n${y}`]]) });
  const p = new Pipeline(load(base('first')), { log: quietLog });
  await p.start();
  await new Promise((r) => setTimeout(r, 60));
  const diff = await p.reload(load(base('second')));
  assert.deepEqual(diff, { added: [], changed: ['out'], removed: [] });
  await new Promise((r) => setTimeout(r, 60));
  await p.stop();
  const first = collected.get('first')!;
  const second = collected.get('second')!;
  assert.ok(first.length > 0 && second.length > 0);
  // The transform kept counting across the reload: `seen` continues, nothing lost or repeated.
  const seen = [...first, ...second].map((e) => e.seen);
  assert.deepEqual(seen, [...Array(seen.length).keys()].map((i) => i + 1));
  const src = p.stats().find((x) => x.id === 'gen')!;
  assert.equal(first.length + second.length, src.receivedEvents);
  assertBooks(p);
});

test('taps see the events on an output', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, forever: true, batch: 2, delay_ms: 2 } }
transforms: { t: { type: tag, inputs: [gen] } }
sinks: { out: { type: collect, inputs: [t], name: a } }
`);
  const seen: number[] = [];
  await p.start();
  p.tap('t.even', (evs) => evs.forEach((e) => seen.push(e.n as number)));
  await new Promise((r) => setTimeout(r, 50));
  await p.stop();
  assert.ok(seen.length > 0, 'the tap saw events');
  assert.ok(seen.every((n) => n % 2 === 0), 'only events of the tapped output');
  assert.throws(() => p.tap('nope', () => {}), /unknown component/);
});

test('on_error: drop counts failed events as dropped instead of dead-lettering them', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 4 } }
transforms:
  bad: { type: tag, inputs: [gen], field: bad, value: true }
  t: { type: tag, inputs: [bad], on_error: drop }
sinks: { out: { type: collect, inputs: [t], name: a } }
`);
  await p.start();
  await p.done;
  assert.equal(collected.get('a'), undefined);
  assert.equal([...p.deadLetters.read()].length, 0);
  assert.equal(p.stats().find((x) => x.id === 't')!.discarded.get('on_error drop (parse_failed)'), 4);
  assertBooks(p);
  assert.equal(p.accounting.of('gen').dropped, 4 + 2 /* bad.even copies nobody reads */);
});

test('on_error: stall holds a failing sink until resumed; retry delivers, and nothing passes it meanwhile', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 10, batch: 5 } }
sinks: { out: { type: collect, inputs: [gen], name: a, fail_times: 2, on_error: stall, batch: { max_events: 5, timeout: 1ms } } }
`);
  await p.start();
  const waitStalled = async () => { for (let i = 0; i < 200 && p.stalled().length === 0; i++) await new Promise((r) => setTimeout(r, 5)); };
  await waitStalled();
  assert.deepEqual(p.stalled().map((x) => [x.id, x.count]), [['out', 5]]);
  assert.equal(p.stats().find((x) => x.id === 'out')!.stalled, 1);
  assert.equal(collected.get('a'), undefined, 'nothing delivered while stalled');
  assert.equal(p.resume('out', 'retry'), true);
  await waitStalled(); // the second failure stalls it again
  assert.equal(p.resume('out', 'retry'), true);
  await p.done;
  assert.deepEqual(collected.get('a')!.map((e) => e.n), [...Array(10).keys()]);
  assert.equal([...p.deadLetters.read()].length, 0);
  assertBooks(p);
  assert.equal(p.accounting.of('gen').delivered, 10);
});

test('on_error: stall on a transform; resume with dlq or drop; a stop never hangs on a stall', async () => {
  const p = pipeline(`
sources: { gen: { type: counter, count: 3, batch: 3 } }
transforms:
  bad: { type: tag, inputs: [gen], field: bad, value: true }
  t: { type: tag, inputs: [bad], on_error: stall }
sinks: { out: { type: collect, inputs: [t], name: a } }
`);
  await p.start();
  for (let i = 0; i < 200 && p.stalled().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(p.stalled()[0]!.id, 't');
  assert.equal(p.resume('t', 'retry'), true, 'retry fails again and stalls again');
  for (let i = 0; i < 200 && p.stalled().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(p.stalled().length, 1);
  const changed = validateConfig(['p.yaml'], testRegistry, { env: {}, texts: new Map([['p.yaml', `data_dir: ${p.config.dataDir}
sources: { gen: { type: counter, count: 3, batch: 3 } }
transforms:
  bad: { type: tag, inputs: [gen], field: bad, value: true }
  t: { type: tag, inputs: [bad], on_error: stall }
sinks: { out: { type: collect, inputs: [t], name: changed } }
`]]) });
  await assert.rejects(p.reload(changed), /t is stalled; run `sluice resume <id>/);
  await p.stop(); // resumes the stall with dlq
  const dead = [...p.deadLetters.read()];
  assert.equal(dead.length, 3);
  assert.ok(dead.every((d) => d.component_id === 't'));
  assertBooks(p);
  assert.equal(p.accounting.of('gen').deadLettered, 3);
});

// ---- TransformRuntime.start and BuildContext.stopping -------------------------------------------

/** A transform whose start() loads "data": it fails when `fail` is set; it records the stop signal. */
const started: string[] = [];
let stopSignal: AbortSignal | null = null;
const loader = defineComponent({
  type: 'loader', kind: 'transform', status: 'alpha', summary: 'test: loads data in start()',
  config: s.object({ fail: s.bool().default(false), label: s.string().default('a') }),
  build: (cfg, ctx) => {
    stopSignal = ctx.stopping ?? null;
    return {
      async start() {
        if (cfg.fail) throw new Error('cannot read feed.txt: ENOENT');
        started.push(cfg.label);
      },
      process(events, out) { for (const e of events) { e.label = cfg.label; out.push(e); } },
    };
  },
});

test('a transform whose start() fails stops the pipeline from starting, naming it and its place; a reload with one is refused', async () => {
  started.length = 0;
  const reg = new Registry([counter, collect, loader]);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-start-'));
  const load = (y: string) => validateConfig(['p.yaml'], reg, { env: {}, texts: new Map([['p.yaml', `data_dir: ${dir}\n${y}`]]) });
  const yaml = (fail: boolean, label: string) => `
sources: { gen: { type: counter, forever: true, batch: 1, delay_ms: 5 } }
transforms:
  t: { type: loader, inputs: [gen], fail: ${fail}, label: ${label} }
sinks: { out: { type: collect, inputs: [t], name: start_test } }
`;
  const bad = new Pipeline(load(yaml(true, 'x')), { log: quietLog });
  await assert.rejects(bad.start(), (e: Error) => /p\.yaml:5:\d+: error: transform `t` \(loader\) could not start: cannot read feed\.txt: ENOENT/.test(e.message));

  const p = new Pipeline(load(yaml(false, 'first')), { log: quietLog });
  await p.start();
  const running = stopSignal!;
  try {
    assert.deepEqual(started, ['first'], 'start() ran before the first batch');
    assert.equal(running.aborted, false);
    await new Promise((r) => setTimeout(r, 30));
    await assert.rejects(p.reload(load(yaml(true, 'second'))), /could not start: cannot read feed\.txt/);
    await new Promise((r) => setTimeout(r, 30));
  } finally {
    await p.stop();
  }
  const got = collected.get('start_test') ?? [];
  assert.ok(got.length > 0 && got.every((e) => e.label === 'first'), 'the running pipeline kept going unchanged');
  assert.equal(running.aborted, true, 'BuildContext.stopping fires when the pipeline stops');
});

