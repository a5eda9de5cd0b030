/**
 * Per-component counters. Plain numeric fields updated once per batch on the hot path; the
 * Prometheus registry reads them at scrape time, so metrics cost nothing between scrapes.
 */
import type { DiskBufferStats } from './buffers/disk.js';
import type { EnrichmentStats } from '../enrich/stats.js';

export class ComponentStats {
  receivedEvents = 0;
  receivedBytes = 0;
  sentEvents = new Map<string, number>();
  sentBytes = new Map<string, number>();
  discarded = new Map<string, number>();
  errors = new Map<string, number>();
  /** Set by the engine: current input queue depth. */
  queueEvents = 0;
  queueBytes = 0;
  /** 1 while on_error: stall holds this component for an operator. */
  stalled = 0;
  /** Set by the engine for a sink with a disk buffer: reads its counters. */
  diskBuffer: (() => DiskBufferStats) | null = null;
  /** Set by the engine when the runtime has its own counters (TransformRuntime.counters). */
  counters: (() => Record<string, number>) | null = null;
  /** Set by the engine when the runtime is an enrichment (TransformRuntime.enrichment). */
  enrichment: (() => EnrichmentStats) | null = null;
  /** Totals handy for `sluice top`. */
  get sentTotal(): number { let n = 0; for (const v of this.sentEvents.values()) n += v; return n; }
  get discardedTotal(): number { let n = 0; for (const v of this.discarded.values()) n += v; return n; }
  get errorsTotal(): number { let n = 0; for (const v of this.errors.values()) n += v; return n; }

  constructor(readonly id: string, readonly type: string, readonly kind: string) {}

  sent(output: string, events: number, bytes: number): void {
    this.sentEvents.set(output, (this.sentEvents.get(output) ?? 0) + events);
    this.sentBytes.set(output, (this.sentBytes.get(output) ?? 0) + bytes);
  }
  discard(reason: string, n: number): void { this.discarded.set(reason, (this.discarded.get(reason) ?? 0) + n); }
  error(type: string, n = 1): void { this.errors.set(type, (this.errors.get(type) ?? 0) + n); }

  toJSON() {
    return {
      id: this.id, type: this.type, kind: this.kind,
      received_events: this.receivedEvents, received_bytes: this.receivedBytes,
      sent_events: this.sentTotal, sent_bytes: [...this.sentBytes.values()].reduce((a, b) => a + b, 0),
      sent_by_output: Object.fromEntries(this.sentEvents),
      discarded_events: this.discardedTotal, discarded_by_reason: Object.fromEntries(this.discarded),
      errors: this.errorsTotal, errors_by_type: Object.fromEntries(this.errors),
      queue_events: this.queueEvents, queue_bytes: this.queueBytes, stalled: this.stalled === 1,
      ...(this.diskBuffer ? { disk_buffer: this.diskBuffer() } : {}),
      ...(this.counters ? { counters: this.counters() } : {}),
      ...(this.enrichment ? { enrichment: this.enrichment().toJSON() } : {}),
    };
  }
}
