/**
 * Helpers for component unit tests: check a raw config against a definition, then run the
 * component on its own, without a pipeline around it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildContext, ComponentDefinition, Logger, SinkContext, SinkRuntime, SourceContext, SourceRuntime, TransformRuntime, WriteResult } from '../core/component.js';
import type { Event } from '../core/event.js';
import type { BatchFinalizer } from '../core/finalizer.js';
import type { CheckContext } from '../core/schema.js';
import { makeErrorEvent, type ErrorEvent } from './dlq.js';
import { MemoryStateStore } from './state.js';
import { commonOptionKeys } from './config/index.js';

export const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Validate a raw config; throws with every issue when invalid. */
export function checkConfig(def: ComponentDefinition<any, any>, raw: Record<string, unknown>): Record<string, unknown> {
  const ctx: CheckContext = { issues: [], positionOf: () => undefined };
  const cfg = def.config.checkObject({ type: def.type, ...raw }, [], ctx, commonOptionKeys[def.kind as 'source']);
  if (ctx.issues.length) throw new Error(ctx.issues.map((i) => `${i.path.join('.')}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`).join('; '));
  return cfg as Record<string, unknown>;
}

export function testBuildContext(id = 'test', dataDir = mkdtempSync(join(tmpdir(), 'sluice-test-'))): BuildContext {
  return { id, dataDir: join(dataDir, id), globalDataDir: dataDir, configDir: process.cwd(), log: quietLog };
}

export interface TransformResult {
  /** Output name ('' = default) -> events. */
  outputs: Map<string, Event[]>;
  main: Event[];
  errors: ErrorEvent[];
  discarded: number;
}

/** Build a transform and start it (loading its data, as the engine does before the first batch). */
export async function buildTransform(def: ComponentDefinition<any, any>, raw: Record<string, unknown>, ctx = testBuildContext()): Promise<TransformRuntime> {
  const rt = (await def.build(checkConfig(def, raw), ctx)) as TransformRuntime;
  await rt.start?.();
  return rt;
}

/** Run events through a transform runtime once (plus flush when `flush` is set). */
export async function runTransform(rt: TransformRuntime, events: Event[], opts: { flush?: boolean; id?: string } = {}): Promise<TransformResult> {
  const res: TransformResult = { outputs: new Map([['', []]]), main: [], errors: [], discarded: 0 };
  res.main = res.outputs.get('')!;
  const out = {
    push: (e: Event) => res.main.push(e),
    emit: (o: string, e: Event) => { if (!res.outputs.has(o)) res.outputs.set(o, []); res.outputs.get(o)!.push(e); },
    error: (e: Event, reason: string, code = 'transform_failed') => res.errors.push(makeErrorEvent(e, opts.id ?? 'test', 'test', reason, code)),
    discard: (n: number) => { res.discarded += n; },
  };
  await rt.process(events, out);
  if (opts.flush) await rt.flush?.(out);
  return res;
}

export interface SourceResult { events: Event[]; errors: ErrorEvent[]; batches: number; finalizers: BatchFinalizer[]; discarded: number }

/**
 * Run a source until it finishes, `until(result)` returns true, or `timeoutMs` passes (then the
 * source is aborted and must return). Pass `state` to carry checkpoints across runs.
 */
export async function runSource(rt: SourceRuntime, opts: { until?: (r: SourceResult) => boolean; timeoutMs?: number; state?: MemoryStateStore; onSend?: (events: Event[], fin?: BatchFinalizer) => Promise<void> | void; signal?: AbortController } = {}): Promise<SourceResult> {
  const res: SourceResult = { events: [], errors: [], batches: 0, finalizers: [], discarded: 0 };
  const abort = opts.signal ?? new AbortController();
  const check = () => { if (opts.until?.(res)) abort.abort(new Error('test done')); };
  const ctx: SourceContext = {
    id: 'test',
    signal: abort.signal,
    state: opts.state ?? new MemoryStateStore(),
    log: quietLog,
    send: async (events, o) => {
      res.batches++;
      res.events.push(...events);
      if (o?.finalizer) res.finalizers.push(o.finalizer);
      if (opts.onSend) await opts.onSend(events, o?.finalizer);
      else o?.finalizer?.release('delivered');
      check();
    },
    discard: (n) => { res.discarded += n; },
    error: async (event, reason, code = 'parse_failed') => { res.errors.push(makeErrorEvent(event, 'test', 'test', reason, code)); check(); },
  };
  const timer = setTimeout(() => abort.abort(new Error('timeout')), opts.timeoutMs ?? 5000);
  try { await rt.run(ctx); } finally { clearTimeout(timer); }
  return res;
}

export async function runSink(rt: SinkRuntime, batches: Event[][], signal = new AbortController()): Promise<(WriteResult | void)[]> {
  const ctx: SinkContext = { id: 'test', signal: signal.signal, log: quietLog };
  await rt.start?.(ctx);
  const results: (WriteResult | void)[] = [];
  for (const b of batches) results.push(await rt.write(b, ctx));
  await rt.flush?.();
  await rt.stop?.();
  return results;
}

/** Wait until `check` holds, polling every 50 ms; fails the test after `timeoutMs` (file watches and refresh intervals fire when they fire). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= end) throw new Error(`${what} not reached within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
