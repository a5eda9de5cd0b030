/**
 * Prometheus metrics, read from the pipeline's plain counters at scrape time (so the hot path
 * only adds numbers). Names follow Vector's component telemetry with a `sluice_` prefix.
 */
import client from 'prom-client';
import type { Pipeline } from '../engine/topology.js';

export function createMetricsRegistry(getPipeline: () => Pipeline | null): client.Registry {
  const reg = new client.Registry();
  client.collectDefaultMetrics({ register: reg, prefix: 'sluice_' });
  const base = ['component_id', 'component_type', 'component_kind'] as const;

  const counter = (name: string, help: string, extra: string[], read: (p: Pipeline, set: (labels: Record<string, string>, v: number) => void) => void) =>
    new client.Counter({
      name, help, labelNames: [...base, ...extra], registers: [reg],
      collect() {
        this.reset();
        const p = getPipeline();
        if (p) read(p, (labels, v) => this.inc(labels, v));
      },
    });
  const gauge = (name: string, help: string, read: (p: Pipeline, set: (labels: Record<string, string>, v: number) => void) => void) =>
    new client.Gauge({
      name, help, labelNames: [...base], registers: [reg],
      collect() {
        this.reset();
        const p = getPipeline();
        if (p) read(p, (labels, v) => this.set(labels, v));
      },
    });

  counter('sluice_component_received_events_total', 'Events a component received (sources: read from outside).', [], (p, set) => {
    for (const s of p.stats()) set(lbl(s), s.receivedEvents);
  });
  counter('sluice_component_received_bytes_total', 'Bytes a component received (estimated after parsing).', [], (p, set) => {
    for (const s of p.stats()) set(lbl(s), s.receivedBytes);
  });
  counter('sluice_component_sent_events_total', 'Events a component sent, by output.', ['output'], (p, set) => {
    for (const s of p.stats()) for (const [o, v] of s.sentEvents) set({ ...lbl(s), output: o || 'default' }, v);
  });
  counter('sluice_component_sent_bytes_total', 'Bytes a component sent, by output.', ['output'], (p, set) => {
    for (const s of p.stats()) for (const [o, v] of s.sentBytes) set({ ...lbl(s), output: o || 'default' }, v);
  });
  counter('sluice_component_discarded_events_total', 'Events dropped on purpose, by reason.', ['reason'], (p, set) => {
    for (const s of p.stats()) for (const [r, v] of s.discarded) set({ ...lbl(s), reason: r }, v);
  });
  counter('sluice_component_errors_total', 'Errors, by type (events sent to the errors output).', ['error_type'], (p, set) => {
    for (const s of p.stats()) for (const [t, v] of s.errors) set({ ...lbl(s), error_type: t }, v);
  });
  counter('sluice_component_counter_total', 'Counters of a component\'s own (normalize: ocsf_mapped, ocsf_invalid, ocsf_unmapped, ocsf_new_fields, ocsf_new_event_types by pack).', ['counter', 'key'], (p, set) => {
    for (const s of p.stats()) {
      if (!s.counters) continue;
      for (const [k, v] of Object.entries(s.counters())) {
        const dot = k.indexOf('.');
        set({ ...lbl(s), counter: dot < 0 ? k : k.slice(0, dot), key: dot < 0 ? '' : k.slice(dot + 1) }, v);
      }
    }
  });
  gauge('sluice_component_queue_events', 'Events waiting in the component\'s input queue.', (p, set) => {
    for (const s of p.stats()) if (s.kind !== 'source') set(lbl(s), s.queueEvents);
  });
  gauge('sluice_component_queue_bytes', 'Bytes (estimated) waiting in the component\'s input queue.', (p, set) => {
    for (const s of p.stats()) if (s.kind !== 'source') set(lbl(s), s.queueBytes);
  });
  gauge('sluice_component_stalled', '1 while on_error: stall holds the component until `sluice resume`.', (p, set) => {
    for (const s of p.stats()) set(lbl(s), s.stalled);
  });
  new client.Counter({
    name: 'sluice_source_events_total',
    help: 'Per-source books: received and created on one side; delivered, dropped, unreported and dead_lettered on the other (plus sluice_source_events_in_flight).',
    labelNames: ['source', 'outcome'], registers: [reg],
    collect() {
      this.reset();
      const p = getPipeline();
      if (!p) return;
      for (const a of p.accounting.all()) {
        for (const [outcome, v] of [['received', a.received], ['created', a.created], ['delivered', a.delivered], ['dropped', a.dropped], ['unreported', a.unreported], ['dead_lettered', a.deadLettered]] as const) this.inc({ source: a.source, outcome }, v);
      }
    },
  });
  new client.Gauge({
    name: 'sluice_source_events_in_flight', help: 'Events of a source queued or being processed right now.', labelNames: ['source'], registers: [reg],
    collect() { this.reset(); const p = getPipeline(); if (p) for (const a of p.accounting.all()) this.set({ source: a.source }, a.inFlight); },
  });
  new client.Counter({
    name: 'sluice_dead_letters_total', help: 'Error events written to the built-in dead-letter store by this process.', registers: [reg],
    collect() { this.reset(); const p = getPipeline(); if (p) this.inc(p.deadLetters.count); },
  });
  new client.Counter({
    name: 'sluice_enrichment_lookups_total',
    help: 'Enrichment lookups by provider and result: hit, miss, failure (provider down, timeout), skipped (not looked up on purpose).',
    labelNames: [...base, 'provider', 'result'], registers: [reg],
    collect() {
      this.reset();
      const p = getPipeline();
      if (!p) return;
      for (const s of p.stats()) {
        if (!s.enrichment) continue;
        for (const [name, v] of s.enrichment().providers) {
          for (const [result, n] of [['hit', v.hits], ['miss', v.misses], ['failure', v.failures], ['skipped', v.skipped]] as const) {
            this.inc({ ...lbl(s), provider: name, result }, n);
          }
        }
      }
    },
  });
  reg.registerMetric(enrichmentLatency(getPipeline) as unknown as client.Metric);
  return reg;
}

/**
 * sluice_enrichment_latency_seconds, a histogram read from each provider's LatencyHistogram at
 * scrape time. prom-client's Histogram can only observe, not be set from counts kept elsewhere,
 * so this is a custom metric object in the shape the registry serialises.
 */
function enrichmentLatency(getPipeline: () => Pipeline | null) {
  const name = 'sluice_enrichment_latency_seconds';
  return {
    name,
    help: 'Latency of enrichment lookups by provider (in-memory providers record each batch\'s mean per lookup).',
    type: 'histogram',
    aggregator: 'sum',
    labelNames: ['component_id', 'component_type', 'component_kind', 'provider'],
    reset() {},
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      const p = getPipeline();
      if (p) {
        for (const s of p.stats()) {
          if (!s.enrichment) continue;
          for (const [provider, v] of s.enrichment().providers) {
            const labels = { ...lbl(s), provider };
            for (const b of v.latency.cumulative()) values.push({ labels: { ...labels, le: b.le }, value: b.count, metricName: `${name}_bucket` });
            values.push({ labels, value: v.latency.sum, metricName: `${name}_sum` });
            values.push({ labels, value: v.latency.count, metricName: `${name}_count` });
          }
        }
      }
      return { name, help: this.help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}

function lbl(s: { id: string; type: string; kind: string }): Record<string, string> {
  return { component_id: s.id, component_type: s.type, component_kind: s.kind };
}
