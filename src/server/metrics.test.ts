import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsRegistry } from './metrics.js';
import { EnrichmentStats } from '../enrich/stats.js';
import { ComponentStats } from '../engine/stats.js';
import type { Pipeline } from '../engine/topology.js';

test('enrichment providers are exported as lookups by result and a latency histogram', async () => {
  const es = new EnrichmentStats();
  const country = es.provider('country');
  country.hits = 5; country.skipped = 2;
  country.latency.observe(0.000_002, 5);
  es.provider('abuse_feed').failures = 1;
  const stats = new ComponentStats('geo', 'geoip', 'transform');
  stats.enrichment = () => es;
  const pipeline = { stats: () => [stats], accounting: { all: () => [] }, deadLetters: { count: 0 } } as unknown as Pipeline;
  const text = await createMetricsRegistry(() => pipeline).metrics();
  const line = (re: RegExp) => text.split('\n').find((l) => re.test(l));
  assert.match(line(/^sluice_enrichment_lookups_total\{.*provider="country",result="hit"/) ?? '', / 5$/);
  assert.match(line(/^sluice_enrichment_lookups_total\{.*provider="country",result="skipped"/) ?? '', / 2$/);
  assert.match(line(/^sluice_enrichment_lookups_total\{.*provider="abuse_feed",result="failure"/) ?? '', / 1$/);
  assert.match(text, /# TYPE sluice_enrichment_latency_seconds histogram/);
  assert.match(line(/^sluice_enrichment_latency_seconds_bucket\{.*provider="country",le="0.000001"\}/) ?? '', / 0$/);
  assert.match(line(/^sluice_enrichment_latency_seconds_bucket\{.*provider="country",le="0.000005"\}/) ?? '', / 5$/);
  assert.match(line(/^sluice_enrichment_latency_seconds_count\{.*provider="country"\}/) ?? '', / 5$/);
  assert.deepEqual(stats.toJSON().enrichment!.country!.hits, 5, 'the stats API shows them too');
});
