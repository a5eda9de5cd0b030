/** `demo`: realistic security log lines (sshd, Apache, CloudTrail) with attacks mixed in. */
import { randomInt } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ComponentConfigError, defineComponent, type SourceContext } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { s } from '../../../core/schema.js';
import { DemoGenerator, scenarios, type ScenarioName } from './generator.js';

const names = Object.keys(scenarios) as ScenarioName[];

export const config = s.object({
  rate: s.number(0, 1_000_000).default(10).desc('Events per second. 0 = as fast as the pipeline takes them (for benchmarks).'),
  count: s.int(1).desc('Stop after this many events; the source then finishes, so `sluice run` exits when the pipeline has drained. Unset = run until stopped.'),
  scenarios: s.list(s.enum(...names), true).default(names).desc('Which logs to generate: `sshd` (auth log: sshd and sudo lines as RFC 3164 syslog, with brute-force bursts that sometimes succeed), `web` (Apache combined log with scanner bursts: nikto, sqlmap, path traversal, runs of 404s), `cloudtrail` (CloudTrail records as JSON, with account takeovers ending in CreateUser, a public PutBucketPolicy and DeleteTrail).'),
  seed: s.int(0, 2 ** 32 - 1).desc('Seed for the random generator: the same seed (with the same `start_time`) gives the same events. Unset = a new seed each run.'),
  start_time: s.string().desc('Simulated time of the first event (RFC 3339, e.g. 2024-11-23T10:00:00Z). Unset = now. Events are spaced 1/rate seconds apart (1 ms apart with rate 0).'),
});

/** Pacing tick: small enough to look continuous, large enough to batch. */
const TICK_MS = 100;
/** Largest batch handed to the pipeline at once. */
const MAX_BATCH = 1000;

interface Plan { rate: number; count: number; gen: () => DemoGenerator }

async function run(plan: Plan, ctx: SourceContext): Promise<void> {
  const gen = plan.gen();
  let emitted = 0;
  const emit = async (n: number) => {
    const events: Event[] = new Array(n);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const e = gen.next();
      bytes += e.message.length + 70;
      events[i] = e as unknown as Event;
    }
    emitted += n;
    await ctx.send(events, { bytes });
  };

  if (plan.rate === 0) {
    while (!ctx.signal.aborted && emitted < plan.count) {
      await emit(Math.min(MAX_BATCH, plan.count - emitted));
      // send() may resolve without ever leaving the microtask queue; let timers and aborts run.
      await yieldToLoop();
    }
    return;
  }

  let start = performance.now();
  let tick = 0;
  while (!ctx.signal.aborted && emitted < plan.count) {
    // The target is cumulative, so rounding never drifts: after k ticks, rate * k * 100 ms events.
    const due = Math.min(plan.count, Math.floor(((tick + 1) * TICK_MS * plan.rate) / 1000));
    let missing = due - emitted;
    while (missing > 0 && !ctx.signal.aborted) {
      const n = Math.min(MAX_BATCH, missing);
      await emit(n);
      missing -= n;
    }
    tick++;
    let wait = start + tick * TICK_MS - performance.now();
    if (wait < -1000) {
      // More than a second behind (the pipeline pushed back): forget the debt instead of bursting.
      start = performance.now() - tick * TICK_MS;
      wait = 0;
    }
    if (emitted < plan.count) await sleep(Math.max(0, wait), ctx.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export default defineComponent({
  type: 'demo',
  kind: 'source',
  status: 'beta',
  summary: 'Generate realistic security logs (sshd, Apache, CloudTrail) with attacks mixed in, for the quickstart and benchmarks.',
  description: [
    'Each event is `{ "message": <raw line>, "source_type": "sshd" | "apache" | "cloudtrail", "timestamp": <ISO 8601> }`:',
    'the message is what a collector would receive, so parsers and detections downstream see real',
    'formats. Attackers and most external addresses come from the documentation ranges (192.0.2.0/24,',
    '198.51.100.0/24, 203.0.113.0/24; attackers use 203.0.113.0/24), internal hosts from 10.0.0.0/8;',
    'ordinary web visitors also come from random public addresses, so GeoIP has countries to show.',
    '',
    'Events are emitted in batches every 100 ms. With `count`, exactly that many events are sent',
    'and the source finishes.',
  ].join('\n'),
  capabilities: { finite: true },
  config,
  build: (cfg) => {
    if (cfg.scenarios.length === 0) throw new ComponentConfigError('`scenarios` is empty', ['scenarios'], `pick from ${names.join(', ')}`);
    let startAt: number | null = null;
    if (cfg.start_time !== undefined) {
      startAt = Date.parse(cfg.start_time);
      if (Number.isNaN(startAt)) throw new ComponentConfigError(`invalid start_time ${JSON.stringify(cfg.start_time)}`, ['start_time'], 'use RFC 3339, e.g. 2024-11-23T10:00:00Z');
    }
    const rate = cfg.rate;
    const stepMs = rate > 0 ? 1000 / rate : 1;
    const plan: Plan = {
      rate,
      count: cfg.count ?? Infinity,
      // A new generator per run: a restarted source starts its stream again.
      gen: () => new DemoGenerator(cfg.scenarios, cfg.seed ?? randomInt(2 ** 32 - 1), startAt ?? Date.now(), stepMs),
    };
    return { run: (ctx) => run(plan, ctx) };
  },
});
