/**
 * The component contract. Every source, transform and sink is one `ComponentDefinition`: its
 * type id, kind, status, summary, outputs, capabilities and config schema, plus `build`, which
 * validates and compiles everything the component needs and returns its runtime. The per-event
 * path never reads config again.
 */
import type { Event } from './event.js';
import type { BatchFinalizer } from './finalizer.js';
import type { ObjectField, Shape, InferShape } from './schema.js';
import type { ErrorCode } from './errors.js';
import type { EnrichmentStats } from '../enrich/stats.js';

export type ComponentKind = 'source' | 'transform' | 'sink';
export type ComponentStatus = 'stable' | 'beta' | 'alpha' | 'deprecated';

export interface OutputDefinition {
  name: string;
  description: string;
}

export interface Capabilities {
  /** Source: can tell its upstream what has settled (file offsets, HTTP status). */
  acknowledgements?: boolean;
  /** Transform keeps state across events (dedupe, throttle); state survives reload when unchanged. */
  stateful?: boolean;
  /** Source finishes by itself (stdin at EOF, demo with count). */
  finite?: boolean;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A small persistent key/value store for checkpoints, under `data_dir/<component id>/`. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  keys(): string[];
  /** Write pending changes to disk (atomically); called by the engine on an interval and at stop. */
  flush(): Promise<void>;
}

export interface BuildContext {
  /** The component id from the config (`sources.<id>`). */
  id: string;
  /** Directory private to this component, created on demand under `data_dir`. */
  dataDir: string;
  /** The pipeline's data_dir. */
  globalDataDir: string;
  /** Directory of the config file that declared this component (for relative paths). */
  configDir: string;
  log: Logger;
  /**
   * Aborted when the pipeline starts to stop (gracefully or not) or this component is removed by
   * a reload. A transform that can hold a batch (waiting on a provider) lets it go then, so a
   * stop never hangs on it.
   */
  stopping?: AbortSignal;
}

export interface SourceContext {
  readonly id: string;
  /** Aborted when the pipeline stops: stop reading, flush what you have, then return from run(). */
  readonly signal: AbortSignal;
  /**
   * Send a batch downstream. Resolves once the batch is queued; waiting on it is backpressure.
   * Pass a finalizer to learn when every event of the batch has settled end to end.
   */
  send(events: Event[], opts?: { bytes?: number; finalizer?: BatchFinalizer }): Promise<void>;
  /** Send an input that could not be read (bad framing, invalid UTF-8...) to the errors output. */
  error(event: Event, reason: string, code?: ErrorCode): Promise<void>;
  /** Count inputs dropped on purpose before they became events (UDP datagrams over the backlog). */
  discard(count: number, reason: string): void;
  readonly state: StateStore;
  readonly log: Logger;
}

export interface SourceRuntime {
  /** Produce events until done (finite sources) or until ctx.signal is aborted. */
  run(ctx: SourceContext): Promise<void>;
}

export interface TransformOutput {
  /** Emit to the default output. */
  push(event: Event): void;
  /** Emit to a named output (`route_id.high`). */
  emit(output: string, event: Event): void;
  /** Send an event that failed here to the `errors` output with the reason. */
  error(event: Event, reason: string, code?: ErrorCode): void;
  /** Count events dropped on purpose (filter, sample, dedupe, throttle). */
  discard(count: number, reason: string): void;
}

export interface TransformRuntime {
  /**
   * Load what the transform needs before the first batch (a GeoIP database, feeds, tables) and
   * start keeping it fresh (timers, watchers, connections). Called by the engine once, before any
   * source runs (and before a reload swaps the transform in); a rejection stops the pipeline from
   * starting (or the reload from applying) with the message. build() must stay free of such I/O:
   * `sluice validate` builds every component without starting it.
   */
  start?(): Promise<void>;
  /** Per-event code is synchronous; async work (if any) happens once per batch. */
  process(events: Event[], out: TransformOutput): void | Promise<void>;
  /** Called at drain: emit anything held back (aggregations). */
  flush?(out: TransformOutput): void | Promise<void>;
  /**
   * Component-specific counters, read at scrape time: `name.key` -> value (e.g.
   * `ocsf_mapped.aws_cloudtrail`), exported as sluice_component_counter_total{counter, key}.
   */
  counters?(): Record<string, number>;
  /**
   * Enrichment transforms: hits, misses, failures and latency per provider, exported as
   * sluice_enrichment_lookups_total and sluice_enrichment_latency_seconds.
   */
  enrichment?(): EnrichmentStats;
  stop?(): void | Promise<void>;
}

export interface WriteResult {
  /**
   * Events that were not delivered, by index in the written array, with the reason. Permanent
   * refusals (a 400 for one item of a bulk request) by default; `retriable: true` marks items the
   * sink retried until its retries ran out (they settle as `errored`, not `rejected`).
   */
  rejected?: { index: number; reason: string; retriable?: boolean }[];
}

export interface SinkContext {
  readonly id: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface SinkRuntime {
  start?(ctx: SinkContext): Promise<void>;
  /**
   * Write a batch. Resolve when the destination has it (delivered); return rejected items for
   * per-item permanent failures; throw when the whole batch failed after the sink's own retries.
   */
  write(events: Event[], ctx: SinkContext): Promise<WriteResult | void>;
  /**
   * Optional fast path for events that are already JSON text, one string per event, each exactly
   * `JSON.stringify(event)` (what a disk buffer holds). Provide it only when the sink would write
   * that very text and nothing it does depends on the events' fields (JSON encoding, a path or URL
   * without event fields): the text then goes out without JSON.parse and JSON.stringify. Same
   * contract as `write` otherwise. `ndjson`, when given, holds the same texts as UTF-8 bytes, in
   * order, each Buffer a run of lines joined by LF without a final LF: a sink that writes NDJSON
   * can write those bytes without joining and encoding the strings again.
   */
  writeJsonLines?(lines: string[], ctx: SinkContext, ndjson?: readonly Buffer[]): Promise<WriteResult | void>;
  /** Make everything written durable (called before stop and on drain). */
  flush?(): Promise<void>;
  stop?(): Promise<void>;
}

export type Runtime<K extends ComponentKind> = K extends 'source' ? SourceRuntime : K extends 'transform' ? TransformRuntime : SinkRuntime;

export interface ComponentDefinition<K extends ComponentKind = ComponentKind, S extends Shape = Shape> {
  type: string;
  kind: K;
  status: ComponentStatus;
  summary: string;
  /** Longer text for the reference page (markdown). */
  description?: string;
  /** Named outputs besides the default and `errors`. Dynamic outputs come from `dynamicOutputs`. */
  outputs?: OutputDefinition[];
  /** Outputs that depend on config (route's route names). */
  dynamicOutputs?: (config: InferShape<S>) => string[];
  capabilities?: Capabilities;
  config: ObjectField<S>;
  build(config: InferShape<S>, ctx: BuildContext): Runtime<K> | Promise<Runtime<K>>;
}

/** Identity helper so each definition file gets full type inference for its config. */
export function defineComponent<K extends ComponentKind, S extends Shape>(def: ComponentDefinition<K, S>): ComponentDefinition<K, S> {
  return def;
}

/** Thrown by build() for problems only visible when building (missing file, bad regex). */
export class ComponentConfigError extends Error {
  constructor(message: string, readonly path: (string | number)[] = [], readonly hint?: string) {
    super(message);
  }
}
