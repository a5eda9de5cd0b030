/**
 * The running pipeline: a DAG of sources, transforms and sinks moving batches through bounded
 * queues. Fan-out copies batches (consumers mutate in place) and shares their finalizers. Every
 * component has an `errors` output; error events nobody consumes land in the dead-letter store.
 *
 * Drain: when a producer finishes, its consumers' inputs close once all their producers are done;
 * each consumer then processes what is queued, flushes, and finishes in turn. A stop aborts the
 * sources, so everything they already sent is delivered before `done` resolves.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext, Logger, SinkContext, SinkRuntime, SourceContext, SourceRuntime, TransformOutput, TransformRuntime } from '../core/component.js';
import { ComponentConfigError } from '../core/component.js';
import type { ErrorCode } from '../core/errors.js';
import { cloneValue, estimateBytes, type Batch, type Event } from '../core/event.js';
import { releaseAll, retainAll, type AckStatus, type BatchFinalizer } from '../core/finalizer.js';
import type { ComponentSpec, ConfigProblem, PipelineConfig } from './config/index.js';
import { ConfigError } from './config/index.js';
import { Accounting, type SourceAccount } from './accounting.js';
import { DiskBuffer } from './buffers/disk.js';
import { DiskBufferClosedError, DiskBufferFullError } from './buffers/io.js';
import { DeadLetterStore, makeErrorEvent, type ErrorEvent } from './dlq.js';
import { BatchQueue } from './queue.js';
import { FileStateStore, MemoryStateStore } from './state.js';
import { ComponentStats } from './stats.js';

export type TapListener = (events: readonly Event[]) => void;
export type ResumeAction = 'retry' | 'dlq' | 'drop';

interface Failure { event: Event; reason: string; code: ErrorCode; batch: number }

interface Node {
  spec: ComponentSpec;
  stats: ComponentStats;
  runtime: SourceRuntime | TransformRuntime | SinkRuntime;
  /** Output name ('' = default) -> consumers. */
  outputs: Map<string, Node[]>;
  queue: BatchQueue | null;
  /** Producer edges still open into this node. */
  upstreams: number;
  abort: AbortController;
  state: FileStateStore | MemoryStateStore;
  taps: Map<string, Set<TapListener>>;
  loop: Promise<void> | null;
  finished: boolean;
  /** Set while reload replaces this node: its end must not close its consumers. */
  detached: boolean;
  failed: boolean;
  /** Set while on_error: stall holds failed events for an operator. */
  stall: { reason: string; count: number; since: number; resolve: (a: ResumeAction) => void } | null;
}

export interface PipelineOptions {
  log: Logger;
  /** Keep state in memory only (sluice test). */
  ephemeral?: boolean;
  /** Build only these components (sluice test builds transforms only). */
  only?: Set<string>;
  /** How often checkpoints are flushed to disk. */
  stateFlushMs?: number;
  /** Disk buffers' group-commit interval (default 100 ms). */
  bufferFsyncMs?: number;
}

/** Reserved output label for counters and taps of the default output. */
const DEFAULT = '';

export class Pipeline {
  private nodes = new Map<string, Node>();
  private dlq: DeadLetterStore;
  private stopping = false;
  private forced = false;
  /** BuildContext.stopping: lets transforms that hold batches let go when a stop begins. */
  private readonly stopController = new AbortController();
  private sendGate: Promise<void> | null = null;
  private inflight = 0;
  readonly accounting = new Accounting();
  private idleWaiters: (() => void)[] = [];
  private stateTimer: NodeJS.Timeout | null = null;
  private finishedResolve!: () => void;
  /** Resolves when every component has finished (all sources done and everything drained). */
  readonly done: Promise<void>;
  readonly startedAt = Date.now();
  private injected = new Set<string>();
  config: PipelineConfig;

  constructor(config: PipelineConfig, private readonly opts: PipelineOptions) {
    this.config = config;
    this.dlq = new DeadLetterStore(config.dataDir);
    this.done = new Promise((r) => (this.finishedResolve = r));
  }

  get deadLetters(): DeadLetterStore { return this.dlq; }

  /** Build every component (reporting all build errors at once), wire them, start them. */
  async start(): Promise<void> {
    const specs = [...this.config.components.values()].filter((s) => !this.opts.only || this.opts.only.has(s.id));
    const built = await this.buildAll(specs);
    await this.startTransforms(built);
    for (const n of built) this.nodes.set(n.spec.id, n);
    this.wire();
    // A transform with no live producer (sluice test builds transforms only) has nothing to wait for.
    for (const n of this.nodes.values()) if (n.queue && n.upstreams === 0) n.queue.close();
    // Consumers first, so nothing a source sends can reach a node that is not running.
    for (const n of this.ordered()) this.startNode(n);
    this.stateTimer = setInterval(() => this.flushState(), this.opts.stateFlushMs ?? 1000);
    this.stateTimer.unref();
    this.checkFinished();
  }

  /** Build every component without starting any (for `sluice validate`): build-time errors. */
  async check(): Promise<void> {
    await this.buildAll([...this.config.components.values()]);
  }

  /**
   * TransformRuntime.start of every transform that has one (enrichments loading reference data),
   * all at once. Any failure stops those that started and throws a ConfigError naming each
   * component: a pipeline that would run without its GeoIP database or threat feed does not start.
   */
  private async startTransforms(nodes: Node[]): Promise<void> {
    const starting = nodes.filter((n) => n.spec.kind === 'transform' && typeof (n.runtime as TransformRuntime).start === 'function');
    if (!starting.length) return;
    const results = await Promise.allSettled(starting.map((n) => (n.runtime as TransformRuntime).start!()));
    const problems: ConfigProblem[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const n = starting[i]!;
      const e = r.reason as Error;
      const path = e instanceof ComponentConfigError ? [`${n.spec.kind}s`, n.spec.id, ...e.path] : [`${n.spec.kind}s`, n.spec.id];
      const position = this.config.map.valueOf(path) ?? this.config.map.valueOf([`${n.spec.kind}s`, n.spec.id]);
      problems.push({
        message: `${n.spec.kind} \`${n.spec.id}\` (${n.spec.type}) could not start: ${e.message}`,
        hint: e instanceof ComponentConfigError ? e.hint : undefined,
        position,
        excerpt: position ? this.config.map.line(position.file, position.line) : undefined,
      });
    });
    if (!problems.length) return;
    for (const n of starting) {
      try { await (n.runtime as TransformRuntime).stop?.(); } catch { /* already failing */ }
    }
    throw new ConfigError(problems);
  }

  private async buildAll(specs: ComponentSpec[]): Promise<Node[]> {
    const problems: ConfigProblem[] = [];
    const nodes: Node[] = [];
    for (const spec of specs) {
      try { nodes.push(await this.buildNode(spec)); } catch (e) {
        const path = e instanceof ComponentConfigError ? [`${spec.kind}s`, spec.id, ...e.path] : [`${spec.kind}s`, spec.id];
        const position = this.config.map.valueOf(path);
        problems.push({
          message: `${spec.kind} \`${spec.id}\` (${spec.type}): ${(e as Error).message}`,
          hint: e instanceof ComponentConfigError ? e.hint : undefined,
          position,
          excerpt: position ? this.config.map.line(position.file, position.line) : undefined,
        });
      }
    }
    if (problems.length) throw new ConfigError(problems);
    return nodes;
  }

  private async buildNode(spec: ComponentSpec): Promise<Node> {
    const dataDir = join(this.config.dataDir, spec.id);
    const log = (this.opts.log as Logger & { child?: (f: Record<string, unknown>) => Logger }).child?.({ component_id: spec.id, component_type: spec.type }) ?? this.opts.log;
    const ctx: BuildContext = { id: spec.id, dataDir, globalDataDir: this.config.dataDir, configDir: spec.file ? join(spec.file, '..') : process.cwd(), log, stopping: this.stopController.signal };
    const runtime = await spec.def.build(spec.config as never, ctx);
    const q = spec.kind === 'source' ? null : new BatchQueue(spec.common.buffer.max_events, spec.common.buffer.max_bytes);
    const stats = new ComponentStats(spec.id, spec.type, spec.kind);
    const own = (runtime as TransformRuntime).counters;
    if (typeof own === 'function') stats.counters = () => own.call(runtime);
    const enrichment = (runtime as TransformRuntime).enrichment;
    if (typeof enrichment === 'function') stats.enrichment = () => enrichment.call(runtime);
    return {
      spec, runtime, queue: q, outputs: new Map(), upstreams: 0, abort: new AbortController(),
      stats,
      state: this.opts.ephemeral ? new MemoryStateStore() : new FileStateStore(dataDir),
      taps: new Map(), loop: null, finished: false, detached: false, failed: false, stall: null,
    };
  }

  /** Compute every node's consumers and open-upstream count from the specs' inputs. */
  private wire(): void {
    for (const n of this.nodes.values()) { n.outputs.clear(); n.upstreams = this.injected.has(n.spec.id) ? 1 : 0; }
    for (const n of this.nodes.values()) {
      for (const ref of n.spec.inputs) {
        const p = this.nodes.get(ref.component);
        if (!p || p.finished) continue;
        let list = p.outputs.get(ref.output);
        if (!list) p.outputs.set(ref.output, (list = []));
        list.push(n);
        n.upstreams++;
      }
    }
  }

  /** Sinks first, then transforms (downstream first), then sources. */
  private ordered(): Node[] {
    const rank = { sink: 0, transform: 1, source: 2 } as const;
    return [...this.nodes.values()].sort((a, b) => rank[a.spec.kind] - rank[b.spec.kind]);
  }

  private startNode(n: Node): void {
    const run = n.spec.kind === 'source' ? this.runSource(n) : n.spec.kind === 'transform' ? this.runTransform(n) : this.runSink(n);
    n.loop = run.catch((e) => {
      n.failed = true;
      n.stats.error('component_failed');
      this.opts.log.error(`${n.spec.kind} ${n.spec.id} failed: ${(e as Error).message}`, { component_id: n.spec.id });
    }).finally(() => this.finishNode(n));
  }

  private finishNode(n: Node): void {
    n.finished = true;
    if (!n.detached) {
      for (const consumers of n.outputs.values()) for (const c of consumers) this.closeEdge(c);
    }
    this.checkFinished();
  }

  private closeEdge(c: Node): void {
    if (--c.upstreams <= 0 && c.queue && !c.queue.isClosed) c.queue.close();
  }

  private checkFinished(): void {
    if ([...this.nodes.values()].every((n) => n.finished)) {
      if (this.stateTimer) clearInterval(this.stateTimer);
      this.flushState();
      this.dlq.close();
      this.finishedResolve();
    }
  }

  // ---- emitting -------------------------------------------------------------------------------

  /**
   * Hand events on one output to its consumers. The caller keeps its own reference to the
   * finalizers and releases it afterwards; each queued batch holds one more.
   */
  private async emit(n: Node, output: string, events: Event[], finalizers: BatchFinalizer[], bytes: number, origin: string, errors: boolean): Promise<void> {
    if (events.length === 0) return;
    n.stats.sent(output, events.length, bytes);
    const taps = n.taps.get(output);
    if (taps) for (const t of taps) { try { t(events); } catch { /* a tap never breaks the pipeline */ } }
    const consumers = n.outputs.get(output);
    const account = this.accounting.of(origin);
    if (!consumers || consumers.length === 0) {
      if (output === 'errors') this.dlq.write(events, { componentId: n.spec.id, componentType: n.spec.type });
      else {
        n.stats.discard(`no consumer for output ${output || 'default'}`, events.length);
        if (!errors) account.dropped += events.length;
      }
      return;
    }
    if (!errors) account.created += events.length * (consumers.length - 1);
    for (let i = 0; i < consumers.length; i++) {
      const c = consumers[i]!;
      // The last consumer takes the originals; the others get copies, since transforms mutate.
      const evs = i === consumers.length - 1 ? events : events.map(cloneValue);
      retainAll(finalizers);
      this.inflight++;
      account.inFlight += evs.length;
      await c.queue!.push({ events: evs, finalizers, bytes, origin, errors });
      c.stats.queueEvents = c.queue!.events;
      c.stats.queueBytes = c.queue!.bytes;
    }
  }

  private batchDone(n: Node, b: Batch): void {
    n.queue!.done(b);
    n.stats.queueEvents = n.queue!.events;
    n.stats.queueBytes = n.queue!.bytes;
    if (--this.inflight === 0 && this.idleWaiters.length) {
      const w = this.idleWaiters; this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  // ---- sources --------------------------------------------------------------------------------

  private async runSource(n: Node): Promise<void> {
    const rt = n.runtime as SourceRuntime;
    const account = this.accounting.of(n.spec.id);
    const ctx: SourceContext = {
      id: n.spec.id,
      signal: n.abort.signal,
      state: n.state,
      log: this.childLog(n),
      send: async (events, opts) => {
        if (this.sendGate && !n.detached) await this.sendGate;
        const bytes = opts?.bytes ?? estimateEventsBytes(events);
        n.stats.receivedEvents += events.length;
        n.stats.receivedBytes += bytes;
        account.received += events.length;
        const fin = opts?.finalizer;
        const finalizers = fin ? [fin] : [];
        try { await this.emit(n, DEFAULT, events, finalizers, bytes, n.spec.id, false); } finally { if (fin) fin.release('delivered'); }
      },
      discard: (count, reason) => {
        n.stats.discard(reason, count);
        account.received += count;
        account.dropped += count;
      },
      error: async (event, reason, code = 'parse_failed') => {
        n.stats.error(code);
        account.received++;
        const mode = n.spec.common.on_error;
        // A source cannot re-read an input: after a stall, retry means the dead-letter store.
        if (mode === 'drop' || (mode === 'stall' && (await this.holdUntilResumed(n, 1, reason)) === 'drop')) {
          n.stats.discard(`on_error drop (${code})`, 1);
          account.dropped++;
          return;
        }
        account.deadLettered++;
        await this.emit(n, 'errors', [makeErrorEvent(event, n.spec.id, n.spec.type, reason, code)], [], estimateBytes(event), n.spec.id, true);
      },
    };
    await rt.run(ctx);
  }

  // ---- transforms -----------------------------------------------------------------------------

  private async runTransform(n: Node): Promise<void> {
    const rt = n.runtime as TransformRuntime;
    const q = n.queue!;
    for (;;) {
      const b = await q.take();
      if (b === null) break;
      n.stats.receivedEvents += b.events.length;
      n.stats.receivedBytes += b.bytes;
      const out = await this.runProcess(n, rt, b.events);
      const stall = n.spec.common.on_error === 'stall';
      // With stall, failed events are held (still in flight) instead of leaving as errors.
      let held = stall ? out.takeErrors() : [];
      this.settleBooks(b, out, held.length);
      await this.emitCollected(n, out, b.finalizers, b.bytes / Math.max(1, b.events.length), b.origin, b.errors);
      while (held.length) {
        const action = await this.holdUntilResumed(n, held.length, String(held[0]!.reason));
        const originals = held.map((h) => h.event as Event);
        if (action === 'retry') {
          const again = await this.runProcess(n, rt, originals);
          const still = again.takeErrors();
          this.settleBooks({ ...b, events: originals }, again, still.length);
          await this.emitCollected(n, again, b.finalizers, b.bytes / Math.max(1, b.events.length), b.origin, b.errors);
          held = still;
        } else {
          if (action === 'drop') { n.stats.discard('on_error drop (stalled)', held.length); this.book(b.origin, b.errors, held.length, 'dropped'); }
          else {
            this.book(b.origin, b.errors, held.length, 'deadLettered');
            await this.emit(n, 'errors', held, b.finalizers, Math.round((b.bytes / Math.max(1, b.events.length)) * held.length), b.origin, true);
          }
          held = [];
        }
      }
      releaseAll(b.finalizers);
      this.batchDone(n, b);
    }
    if (rt.flush) {
      const out = new Collector(n);
      await rt.flush(out);
      // Events held back and emitted at drain are new to the books under this transform's name.
      const origin = `${n.spec.id} (flush)`;
      const account = this.accounting.of(origin);
      account.created += out.main.length + out.errors.length + [...(out.named?.values() ?? [])].reduce((k, a) => k + a.length, 0);
      account.deadLettered += out.errors.length;
      await this.emitCollected(n, out, [], 0, origin, false);
    }
    await rt.stop?.();
  }

  private async runProcess(n: Node, rt: TransformRuntime, events: Event[]): Promise<Collector> {
    const out = new Collector(n);
    try {
      const r = rt.process(events, out);
      if (r) await r;
    } catch (e) {
      // A component bug, not bad data: keep every event, with the reason, in errors.
      out.reset();
      for (const ev of events) out.error(ev, `transform failed: ${(e as Error).message}`, 'transform_failed');
    }
    return out;
  }

  /**
   * A transform turned `b.events` into outputs, errors and drops: book the difference. More out
   * than in is `created` (copies); less, without a reported drop, is `unreported` (a defect).
   * `held` events (on_error: stall) stay in flight.
   */
  private settleBooks(b: Batch, out: Collector, held: number): void {
    const account = this.accounting.of(b.origin);
    // The input leaves the books' in-flight column before its outputs enter it (in emit).
    account.inFlight -= b.events.length - held;
    if (b.errors) return;
    let emitted = out.main.length;
    if (out.named) for (const a of out.named.values()) emitted += a.length;
    account.deadLettered += out.errors.length;
    account.dropped += out.discarded;
    const delta = emitted + out.errors.length + out.discarded + held - b.events.length;
    if (delta > 0) account.created += delta;
    else if (delta < 0) account.unreported -= delta;
  }

  private async emitCollected(n: Node, out: Collector, finalizers: BatchFinalizer[], perEvent: number, origin: string, errors: boolean): Promise<void> {
    const est = (k: number) => Math.round(perEvent * k) || estimateBytes(out.main[0]) * k;
    if (out.main.length) await this.emit(n, DEFAULT, out.main, finalizers, est(out.main.length), origin, errors);
    if (out.named) for (const [name, evs] of out.named) await this.emit(n, name, evs, finalizers, est(evs.length), origin, errors);
    if (out.errors.length) await this.emit(n, 'errors', out.errors, finalizers, est(out.errors.length), origin, true);
  }

  // ---- sinks ----------------------------------------------------------------------------------

  private async runSink(n: Node): Promise<void> {
    const rt = n.runtime as SinkRuntime;
    const ctx: SinkContext = { id: n.spec.id, signal: n.abort.signal, log: this.childLog(n) };
    if (n.spec.common.buffer.type === 'disk') return this.runBufferedSink(n, rt, ctx);
    const q = n.queue!;
    const { max_events, max_bytes, timeout } = n.spec.common.batch;
    await rt.start?.(ctx);
    for (;;) {
      const first = await q.take();
      if (first === null) break;
      const batches = [first];
      let count = first.events.length;
      let bytes = first.bytes;
      const deadline = Date.now() + timeout;
      // Coalesce queued batches up to the sink's batch limits, waiting up to `timeout` to fill.
      while (count < max_events && bytes < max_bytes) {
        let next = q.tryTake();
        if (!next) {
          const left = deadline - Date.now();
          if (left <= 0 || q.isClosed || this.stopping) break;
          await q.waitForData(left);
          next = q.tryTake();
          if (!next) break;
        }
        batches.push(next);
        count += next.events.length;
        bytes += next.bytes;
      }
      n.stats.receivedEvents += count;
      n.stats.receivedBytes += bytes;
      const statuses = (await this.deliver(n, rt, ctx, batches, bytes, false))!;
      batches.forEach((b, i) => releaseAll(b.finalizers, statuses[i]));
      for (const b of batches) this.batchDone(n, b);
    }
    await rt.flush?.();
    await rt.stop?.();
  }

  /**
   * Write coalesced batches, then settle every event: delivered, dropped (on_error: drop) or
   * dead-lettered with its reason (on_error: stall holds the failures first). Returns each batch's
   * status for its finalizers; null when `keepOnForcedStop` and a forced stop interrupted the write
   * (the caller keeps the events, in a disk buffer, for the next run). `firstWrite`: the outcome of
   * a first write the caller made itself (then `events` is only counted, never read).
   */
  private async deliver(n: Node, rt: SinkRuntime, ctx: SinkContext, batches: Batch[], bytes: number, keepOnForcedStop: boolean, firstWrite?: Failure[]): Promise<AckStatus[] | null> {
    const first = batches[0]!;
    const events = batches.length === 1 ? first.events : batches.flatMap((x) => x.events);
    // Each coalesced batch settles on its own: a rejection in one does not mark the others.
    const statuses: AckStatus[] = batches.map(() => 'delivered');
    const ends: number[] = [];
    let acc = 0;
    for (const b of batches) ends.push((acc += b.events.length));
    let pending: Failure[] = firstWrite ?? await this.writeOnce(n, rt, ctx, events, (i) => ends.findIndex((e) => i < e), bytes);
    const failedIn = batches.map(() => 0);
    for (const f of pending) failedIn[f.batch]!++;
    batches.forEach((b, i) => this.book(b.origin, b.errors, b.events.length - failedIn[i]!, 'delivered'));
    if (keepOnForcedStop && pending.length && n.abort.signal.aborted) return null;
    // on_error: stall holds the failures (still in flight) until an operator says what to do.
    while (pending.length && n.spec.common.on_error === 'stall') {
      const action = await this.holdUntilResumed(n, pending.length, pending[0]!.reason);
      if (action !== 'retry') { if (action === 'drop') pending = this.dropFailures(n, batches, pending); break; }
      const again = await this.writeOnce(n, rt, ctx, pending.map((f) => f.event), (i) => pending[i]!.batch, Math.round((bytes / events.length) * pending.length));
      const stillFailing = new Set(again.map((f) => f.event));
      for (const f of pending) if (!stillFailing.has(f.event)) this.book(batches[f.batch]!.origin, batches[f.batch]!.errors, 1, 'delivered');
      pending = again;
      if (keepOnForcedStop && pending.length && n.abort.signal.aborted) return null;
    }
    if (pending.length && n.spec.common.on_error === 'drop') pending = this.dropFailures(n, batches, pending);
    for (let i = 0; i < batches.length; i++) {
      const mine = pending.filter((f) => f.batch === i);
      if (!mine.length) continue;
      statuses[i] = mine.every((f) => f.code === 'delivery_failed') ? 'errored' : 'rejected';
      const b = batches[i]!;
      this.book(b.origin, b.errors, mine.length, 'deadLettered');
      const errs = mine.map((f) => makeErrorEvent(f.event, n.spec.id, n.spec.type, f.reason, f.code));
      await this.emit(n, 'errors', errs, b.finalizers, Math.round((bytes / events.length) * errs.length), b.origin, true);
    }
    return statuses;
  }

  /**
   * A sink with `buffer: { type: disk }`. Two loops: intake appends each queued batch to the disk
   * buffer and acknowledges upstream once it is durable there; delivery reads the buffer, writes
   * to the destination and acks the buffer record once every event in it has settled. What is in
   * the buffer has its own line in the books (`<id> (disk buffer)`), since it outlives the process:
   * after a restart its events are received again from the buffer.
   */
  private async runBufferedSink(n: Node, rt: SinkRuntime, ctx: SinkContext): Promise<void> {
    const o = n.spec.common.buffer;
    const dir = join(this.config.dataDir, n.spec.id, 'buffer');
    const buf = await DiskBuffer.open(dir, { maxBytes: o.max_size, whenFull: o.when_full, fsyncIntervalMs: this.opts.bufferFsyncMs ?? 100, log: ctx.log });
    const origin = `${n.spec.id} (disk buffer)`;
    const account = this.accounting.of(origin);
    const rec = buf.recovered;
    account.received += rec.events;
    account.inFlight += rec.events;
    n.stats.diskBuffer = () => buf.stats();
    if (rec.events) ctx.log.info(`disk buffer ${dir}: ${rec.events} event(s) from an earlier run to deliver`);
    if (rec.corruptRecords) {
      n.stats.error('buffer_corrupt', rec.corruptRecords);
      const lost = rec.corruptEvents ? `${rec.corruptEvents} event(s)` : 'the events in them';
      ctx.log.error(`disk buffer ${dir}: ${rec.corruptRecords} corrupt record(s) (${rec.corruptBytes} bytes) found at start; ${lost} could not be read back. Each is in the dead-letter store (code buffer_corrupt) with its file, offset and reason; the rest is delivered`);
      // Nothing silent: each corrupt span is dead-lettered with where it was and why, and the
      // events its header counted go into the books as dead-lettered (a span whose header is
      // damaged counts as one).
      const errs = rec.corrupt.map((c) => makeErrorEvent({ buffer: dir, file: c.file, offset: c.offset, bytes: c.bytes, events: c.events ?? null }, n.spec.id, n.spec.type, `disk buffer record unreadable: ${c.reason}`, 'buffer_corrupt'));
      const count = rec.corrupt.reduce((k, c) => k + (c.events ?? 1), 0);
      account.received += count;
      account.deadLettered += count;
      await this.emit(n, 'errors', errs, [], 200 * errs.length, origin, true);
    }
    const onAbort = () => { buf.stopReads(); void buf.close(); };
    n.abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await rt.start?.(ctx);
      const delivery = this.deliverFromBuffer(n, rt, ctx, buf, origin);
      const appending = new Set<Promise<void>>();
      const q = n.queue!;
      const gate: WriteGate = { blocked: null, failures: 0, rounds: 0 };
      for (;;) {
        // While the disk refuses writes, take nothing new: the queue fills and upstream waits.
        while (gate.blocked) await gate.blocked;
        const b = await q.take();
        if (b === null) break;
        n.stats.receivedEvents += b.events.length;
        n.stats.receivedBytes += b.bytes;
        // Appends are not awaited one by one: each resolves only after a group-commit fsync (up
        // to fsync interval), so awaiting in turn would cap the sink at ~10 batches/s. The input
        // queue, which counts a batch until batchDone, bounds how many are in flight.
        const p: Promise<void> = this.appendToBuffer(n, buf, b, account, gate).finally(() => appending.delete(p));
        appending.add(p);
      }
      await Promise.all(appending);
      // Sources finished by themselves: deliver everything. On a stop the buffer keeps the rest.
      if (this.stopping) buf.stopReads(); else await buf.end();
      await delivery;
    } finally {
      n.abort.signal.removeEventListener('abort', onAbort);
      await buf.close();
      await rt.flush?.();
      await rt.stop?.();
    }
  }

  /** Append one queued batch durably; on a write error (disk full, I/O) retry until it fits or we stop. */
  private async appendToBuffer(n: Node, buf: DiskBuffer, b: Batch, account: SourceAccount, gate: WriteGate): Promise<void> {
    const count = b.events.length;
    let queued = true;
    for (let attempt = 0; ; attempt++) {
      try {
        const w = await buf.appendWritten(b.events);
        // Written (not yet synced): free the queue slot now. Holding it until the fsync (up to
        // 100 ms) capped intake at queue size / fsync interval: ~100k events/s with the default
        // 10,000-event queue, measured as idle time in the reference benchmark. The finalizers
        // still wait for durability below.
        if (queued) { queued = false; this.batchDone(n, b); }
        if (!w.dropped) await w.durable;
        const r = w;
        if (gate.failures && !gate.blocked) {
          this.opts.log.info(`sink ${n.spec.id}: disk buffer writes succeed again (after ${gate.failures} failed attempt(s)); upstream flows`, { component_id: n.spec.id });
          gate.failures = 0;
          gate.rounds = 0;
        }
        if (r.dropped) {
          n.stats.discard('disk buffer full (when_full: drop_newest)', count);
          this.book(b.origin, b.errors, count, 'dropped');
          if (attempt === 0) this.warnOnce(n, 'buffer_full', `disk buffer full (max_size ${n.spec.common.buffer.max_size} bytes): dropping new batches (when_full: drop_newest) until the destination catches up`);
        } else {
          this.book(b.origin, b.errors, count, 'delivered');
          account.received += count;
          account.inFlight += count;
        }
        releaseAll(b.finalizers, 'delivered');
        break;
      } catch (e) {
        const full = e instanceof DiskBufferFullError;
        const reason = `disk buffer write failed: ${(e as Error).message}`;
        if (!(e instanceof DiskBufferClosedError)) n.stats.error('buffer_write_failed', 1);
        if (full && n.spec.common.buffer.when_full === 'drop_newest') {
          n.stats.discard('disk buffer write failed (when_full: drop_newest)', count);
          this.book(b.origin, b.errors, count, 'dropped');
          this.warnOnce(n, 'buffer_write', `${reason}; dropping new batches (when_full: drop_newest) until it succeeds`);
          releaseAll(b.finalizers, 'delivered');
          break;
        }
        if (this.stopping || e instanceof DiskBufferClosedError) {
          // Stopping with the disk refusing writes: the dead-letter store keeps them, with the reason.
          this.book(b.origin, b.errors, count, 'deadLettered');
          const errs = b.events.map((ev) => makeErrorEvent(ev, n.spec.id, n.spec.type, reason, 'buffer_write_failed'));
          await this.emit(n, 'errors', errs, b.finalizers, b.bytes, b.origin, true);
          releaseAll(b.finalizers, 'errored');
          break;
        }
        // block: the batch stays in the input queue (backpressure) and is tried again. Every
        // failing append waits on one shared pause, so a full disk logs once, not once per batch.
        if (!gate.blocked) {
          const wait = Math.min(5_000, 250 * 2 ** Math.min(gate.rounds++, 5));
          if (gate.failures === 0) this.opts.log.error(`sink ${n.spec.id}: ${reason}; new events wait upstream (when_full: block) and writes are retried until the disk accepts them (every ${wait} ms, backing off to 5 s)`, { component_id: n.spec.id });
          gate.blocked = abortableSleep(wait, n.abort.signal).then(() => { gate.blocked = null; });
        }
        gate.failures++;
        await gate.blocked;
      }
    }
    if (queued) this.batchDone(n, b);
  }

  private async deliverFromBuffer(n: Node, rt: SinkRuntime, ctx: SinkContext, buf: DiskBuffer, origin: string): Promise<void> {
    const { max_events } = n.spec.common.batch;
    for (;;) {
      const r = await buf.read(max_events);
      if (r === null) break;
      let statuses: AckStatus[] | null;
      if (rt.writeJsonLines) {
        // The buffer holds each event's JSON text: a sink that writes JSON takes it as is.
        const first = await this.writeLinesOnce(n, rt, ctx, r.lines, r.bytes, r.ndjson);
        // deliver() only reads the length of `events` when the first write is done already.
        const batch: Batch = { events: new Array<Event>(r.lines.length), finalizers: [], bytes: r.bytes, origin, errors: false };
        statuses = await this.deliver(n, rt, ctx, [batch], r.bytes, true, first);
      } else {
        const batch: Batch = { events: r.lines.map(parseLine), finalizers: [], bytes: r.bytes, origin, errors: false };
        // Retrying in a loop is the sink's job; a failure it gives up on is dead-lettered, then acked.
        statuses = await this.deliver(n, rt, ctx, [batch], r.bytes, true);
      }
      if (statuses === null) break; // forced stop mid-write: the record stays for the next run
      buf.ack(r.id);
    }
  }

  /** writeOnce for JSON texts: only the events that failed are parsed (for their dead letters). */
  private async writeLinesOnce(n: Node, rt: SinkRuntime, ctx: SinkContext, lines: string[], bytes: number, ndjson?: Buffer[]): Promise<Failure[]> {
    const event = (i: number): Event => parseLine(lines[i]!);
    try {
      const res = await rt.writeJsonLines!(lines, ctx, ndjson);
      const rejected = res?.rejected ?? [];
      if (rejected.length) n.stats.error('rejected', rejected.length);
      n.stats.sent(DEFAULT, lines.length - rejected.length, Math.round(bytes * (1 - rejected.length / lines.length)));
      return rejected.map((x) => ({ event: event(x.index), reason: x.reason, code: x.retriable ? 'delivery_failed' as const : 'rejected' as const, batch: 0 }));
    } catch (e) {
      n.stats.error('delivery_failed', lines.length);
      const reason = `delivery failed: ${(e as Error).message}`;
      this.opts.log.error(`sink ${n.spec.id}: ${reason} (${lines.length} events; on_error: ${n.spec.common.on_error})`, { component_id: n.spec.id });
      return lines.map((_, i) => ({ event: event(i), reason, code: 'delivery_failed' as const, batch: 0 }));
    }
  }

  private warned = new Set<string>();
  /** Log a condition once per component until it clears (a full buffer would log every batch). */
  private warnOnce(n: Node, key: string, msg: string): void {
    const k = `${n.spec.id}\0${key}`;
    if (this.warned.has(k)) return;
    this.warned.add(k);
    this.opts.log.warn(`sink ${n.spec.id}: ${msg}`, { component_id: n.spec.id });
    setTimeout(() => this.warned.delete(k), 60_000).unref();
  }

  /** One write; returns what failed (rejected items, or everything when the write threw). */
  private async writeOnce(n: Node, rt: SinkRuntime, ctx: SinkContext, events: Event[], batchOf: (index: number) => number, bytes: number): Promise<Failure[]> {
    try {
      const res = await rt.write(events, ctx);
      const rejected = res?.rejected ?? [];
      if (rejected.length) n.stats.error('rejected', rejected.length);
      n.stats.sent(DEFAULT, events.length - rejected.length, Math.round(bytes * (1 - rejected.length / events.length)));
      return rejected.map((r) => ({ event: events[r.index]!, reason: r.reason, code: r.retriable ? 'delivery_failed' as const : 'rejected' as const, batch: batchOf(r.index) }));
    } catch (e) {
      n.stats.error('delivery_failed', events.length);
      const reason = `delivery failed: ${(e as Error).message}`;
      this.opts.log.error(`sink ${n.spec.id}: ${reason} (${events.length} events; on_error: ${n.spec.common.on_error})`, { component_id: n.spec.id });
      return events.map((event, i) => ({ event, reason, code: 'delivery_failed' as const, batch: batchOf(i) }));
    }
  }

  private dropFailures(n: Node, batches: Batch[], failures: Failure[]): Failure[] {
    for (const f of failures) {
      n.stats.discard(`on_error drop (${f.code})`, 1);
      this.book(batches[f.batch]!.origin, batches[f.batch]!.errors, 1, 'dropped');
    }
    return [];
  }

  /** Move `count` events of a source out of the in-flight column into their final one. */
  private book(origin: string, errorEvents: boolean, count: number, outcome: 'delivered' | 'dropped' | 'deadLettered'): void {
    if (count === 0) return;
    const account = this.accounting.of(origin);
    account.inFlight -= count;
    if (!errorEvents) account[outcome] += count;
  }

  /**
   * on_error: stall. The component stops consuming (its queue fills, backpressure reaches the
   * sources) until `resume(id, action)`. A stop resumes it with `dlq`, so nothing is lost.
   */
  private holdUntilResumed(n: Node, count: number, reason: string): Promise<ResumeAction> {
    if (this.stopping) return Promise.resolve('dlq');
    n.stats.stalled = 1;
    this.opts.log.error(`${n.spec.kind} ${n.spec.id} stalled: ${count} event(s) failed (${reason}); it consumes nothing until \`sluice resume ${n.spec.id} --action retry|dlq|drop\``, { component_id: n.spec.id });
    return new Promise((resolve) => {
      n.stall = { reason, count, since: Date.now(), resolve: (a) => { n.stall = null; n.stats.stalled = 0; resolve(a); } };
    });
  }

  /** Resume a stalled component. Returns false when it is not stalled. */
  resume(id: string, action: ResumeAction): boolean {
    const n = this.nodes.get(id);
    if (!n?.stall) return false;
    this.opts.log.info(`${n.spec.id} resumed (${action})`, { component_id: id });
    n.stall.resolve(action);
    return true;
  }

  /** Components waiting for an operator. */
  stalled(): { id: string; reason: string; count: number; since: string }[] {
    return [...this.nodes.values()].filter((n) => n.stall).map((n) => ({ id: n.spec.id, reason: n.stall!.reason, count: n.stall!.count, since: new Date(n.stall!.since).toISOString() }));
  }

  private childLog(n: Node): Logger {
    const l = this.opts.log as Logger & { child?: (f: Record<string, unknown>) => Logger };
    return l.child?.({ component_id: n.spec.id }) ?? l;
  }

  // ---- control --------------------------------------------------------------------------------

  /**
   * Graceful stop: sources stop reading and return; everything already accepted drains through
   * the pipeline to the sinks. `force` (a second signal) also aborts sinks' retries.
   */
  async stop(opts: { force?: boolean } = {}): Promise<void> {
    if (opts.force && !this.forced) {
      this.forced = true;
      for (const n of this.nodes.values()) n.abort.abort(new Error('forced stop'));
    }
    if (!this.stopping) {
      this.stopping = true;
      this.stopController.abort(new Error('stopping'));
      // A stalled component would never drain: its held events go to the dead-letter store.
      for (const n of this.nodes.values()) if (n.stall) this.resume(n.spec.id, 'dlq');
      for (const n of this.nodes.values()) if (n.spec.kind === 'source') n.abort.abort(new Error('stopping'));
      // Test-mode injection edges close too.
      for (const id of this.injected) { const n = this.nodes.get(id); if (n) this.closeEdge(n); }
      this.injected.clear();
    }
    await this.done;
  }

  get isStopping(): boolean { return this.stopping; }

  private flushState(): void {
    for (const n of this.nodes.values()) {
      try { (n.state as FileStateStore).flushSync?.(); } catch (e) { this.opts.log.error(`could not save state of ${n.spec.id}: ${(e as Error).message}`); }
    }
  }

  /** Wait until no batch is queued or being processed anywhere. */
  private waitIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Apply a new config by diff: unchanged components keep running with their state; changed,
   * added and removed ones are rebuilt. Sources pause while the pipeline empties, so nothing in
   * flight is lost or sent to a component that is going away. New components are built first:
   * if that fails, the old pipeline keeps running untouched.
   */
  async reload(next: PipelineConfig): Promise<{ added: string[]; changed: string[]; removed: string[] }> {
    const same = (a: ComponentSpec, b: ComponentSpec) => a.type === b.type && JSON.stringify(a.raw) === JSON.stringify(b.raw);
    const added: string[] = [], changed: string[] = [], removed: string[] = [];
    for (const [id, spec] of next.components) {
      const old = this.config.components.get(id);
      if (!old) added.push(id);
      else if (!same(old, spec)) changed.push(id);
    }
    for (const id of this.config.components.keys()) if (!next.components.has(id)) removed.push(id);
    if (!added.length && !changed.length && !removed.length) return { added, changed, removed };
    const stalled = this.stalled();
    // A stalled component holds events in flight, so the pipeline could never go idle to swap.
    if (stalled.length) throw new Error(`${stalled.map((x) => x.id).join(', ')} ${stalled.length === 1 ? 'is' : 'are'} stalled; run \`sluice resume <id> --action retry|dlq|drop\` first, then reload`);

    const fresh = await this.buildAll([...added, ...changed].map((id) => next.components.get(id)!));
    // New enrichments load their data before the swap: a reload whose table cannot load is refused
    // and the running pipeline keeps going.
    await this.startTransforms(fresh);
    const going = [...changed, ...removed].map((id) => this.nodes.get(id)!);
    let release!: () => void;
    // Kept sources pause; sources that are going away keep sending until they have stopped.
    for (const n of going) n.detached = true;
    this.sendGate = new Promise((r) => (release = r));
    try {
      const sources = going.filter((n) => n.spec.kind === 'source');
      for (const n of sources) n.abort.abort(new Error('reload'));
      await Promise.all(sources.map((n) => n.loop));
      await this.waitIdle();
      const others = going.filter((n) => n.spec.kind !== 'source');
      for (const n of others) n.queue!.close();
      await Promise.all(others.map((n) => n.loop));
      for (const n of going) this.nodes.delete(n.spec.id);
      for (const n of fresh) this.nodes.set(n.spec.id, n);
      for (const n of this.nodes.values()) {
        const spec = next.components.get(n.spec.id);
        if (spec && !fresh.includes(n)) n.spec = spec; // same config; carries new positions
      }
      this.config = next;
      this.wire();
      for (const n of this.ordered()) if (fresh.includes(n)) this.startNode(n);
      // A kept consumer whose producers are all gone would otherwise wait forever.
      for (const n of this.nodes.values()) if (n.queue && n.upstreams === 0 && !this.injected.has(n.spec.id)) n.queue.close();
    } finally {
      release();
      this.sendGate = null;
    }
    return { added, changed, removed };
  }

  // ---- observation ----------------------------------------------------------------------------

  stats(): ComponentStats[] { return [...this.nodes.values()].map((n) => n.stats); }

  components(): ComponentSpec[] { return [...this.nodes.values()].map((n) => n.spec); }

  /** Watch events on `id` or `id.output`. Returns an unsubscribe function. */
  tap(ref: string, listener: TapListener): () => void {
    const dot = ref.indexOf('.');
    const id = dot < 0 ? ref : ref.slice(0, dot);
    const output = dot < 0 ? DEFAULT : ref.slice(dot + 1);
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown component \`${id}\``);
    if (n.spec.kind === 'sink' && output === DEFAULT) {
      // Tapping a sink shows what it receives: tap each of its inputs.
      const offs = n.spec.inputs.map((r) => this.tap(r.output ? `${r.component}.${r.output}` : r.component, listener));
      return () => offs.forEach((f) => f());
    }
    if (!n.spec.outputs.includes(output)) throw new Error(`component \`${id}\` has no output \`${output}\``);
    let set = n.taps.get(output);
    if (!set) n.taps.set(output, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  // ---- test mode ------------------------------------------------------------------------------

  /** Mark components that will receive injected events (before start). */
  allowInjection(ids: Iterable<string>): void { for (const id of ids) this.injected.add(id); }

  /** Insert events at a component, as if a producer had sent them. */
  async inject(id: string, events: Event[]): Promise<void> {
    const n = this.nodes.get(id);
    if (!n?.queue) throw new Error(`cannot insert events at \`${id}\``);
    this.inflight++;
    const account = this.accounting.of(id);
    account.received += events.length;
    account.inFlight += events.length;
    await n.queue.push({ events, finalizers: [], bytes: estimateEventsBytes(events), origin: id, errors: false });
  }

  /** Finish injecting: the pipeline drains and `done` resolves. */
  async finishInjection(): Promise<void> {
    for (const id of this.injected) { const n = this.nodes.get(id); if (n) this.closeEdge(n); }
    this.injected.clear();
    await this.done;
  }
}

function estimateEventsBytes(events: Event[]): number {
  // Sampling: sizing every event would cost as much as serializing it.
  if (events.length === 0) return 0;
  return estimateBytes(events[0]) * events.length;
}

class Collector implements TransformOutput {
  main: Event[] = [];
  named: Map<string, Event[]> | null = null;
  errors: ErrorEvent[] = [];
  constructor(private readonly node: Node) {}
  push(e: Event): void { this.main.push(e); }
  emit(output: string, e: Event): void {
    if (output === DEFAULT) { this.main.push(e); return; }
    if (!this.named) this.named = new Map();
    let a = this.named.get(output);
    if (!a) this.named.set(output, (a = []));
    a.push(e);
  }
  error(e: Event, reason: string, code: ErrorCode = 'transform_failed'): void {
    this.node.stats.error(code);
    if (this.node.spec.common.on_error === 'drop') { this.discard(1, `on_error drop (${code})`); return; }
    this.errors.push(makeErrorEvent(e, this.node.spec.id, this.node.spec.type, reason, code));
  }
  takeErrors(): ErrorEvent[] { const e = this.errors; this.errors = []; return e; }
  discarded = 0;
  discard(count: number, reason: string): void { this.discarded += count; this.node.stats.discard(reason, count); }
  reset(): void { this.main = []; this.named = null; this.errors = []; this.discarded = 0; }
}

/**
 * A disk-buffer line back to an event. The lines are JSON.stringify output behind a CRC, so this
 * cannot fail short of damage the CRC missed; then the text is kept as the event's message rather
 * than lost.
 */
function parseLine(line: string): Event {
  try { return JSON.parse(line) as Event; } catch { return { message: line, buffer_decode_error: true }; }
}

/** Shared by a disk-buffered sink's appends: one pause and one log line while the disk refuses writes. */
interface WriteGate { blocked: Promise<void> | null; failures: number; rounds: number }

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function ensureDir(dir: string): string { mkdirSync(dir, { recursive: true }); return dir; }
