/**
 * What every enrichment reports: hits, misses, failures and lookup latency, per provider (a
 * GeoIP database, a feed, a table, an API). Plain numbers on the hot path; the metrics endpoint
 * reads them at scrape time (`sluice_enrichment_*`).
 */

/** Upper bounds in seconds: in-memory lookups land in the first buckets, API calls in the last. */
export const LATENCY_BUCKETS = [0.000_001, 0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] as const;

export class LatencyHistogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  /** Record `n` lookups that took `seconds` each. */
  observe(seconds: number, n = 1): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.counts[i]! += n;
    this.sum += seconds * n;
    this.count += n;
  }

  /** Cumulative counts per bucket bound, `+Inf` last, as Prometheus wants them. */
  cumulative(): { le: string; count: number }[] {
    const out: { le: string; count: number }[] = [];
    let acc = 0;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) { acc += this.counts[i]!; out.push({ le: String(LATENCY_BUCKETS[i]), count: acc }); }
    out.push({ le: '+Inf', count: acc + this.counts[LATENCY_BUCKETS.length]! });
    return out;
  }
}

/** One provider's numbers. */
export class ProviderStats {
  /** A lookup found something. */
  hits = 0;
  /** A lookup ran and found nothing. */
  misses = 0;
  /** A lookup could not run (provider down, timeout, bad answer). */
  failures = 0;
  /** Values not looked up on purpose (private addresses for GeoIP, not a valid key). */
  skipped = 0;
  readonly latency = new LatencyHistogram();
}

/**
 * The providers of one enrichment transform, by name. A transform exposes it through
 * `TransformRuntime.enrichment()`; the metrics endpoint turns it into
 * `sluice_enrichment_lookups_total{component_id, provider, result}` and
 * `sluice_enrichment_latency_seconds{component_id, provider}`.
 */
export class EnrichmentStats {
  readonly providers = new Map<string, ProviderStats>();

  provider(name: string): ProviderStats {
    let p = this.providers.get(name);
    if (!p) this.providers.set(name, (p = new ProviderStats()));
    return p;
  }

  /** For `sluice top` / the stats API. */
  toJSON(): Record<string, { hits: number; misses: number; failures: number; skipped: number; latency_seconds_avg: number | null }> {
    const out: Record<string, { hits: number; misses: number; failures: number; skipped: number; latency_seconds_avg: number | null }> = {};
    for (const [k, p] of this.providers) {
      out[k] = { hits: p.hits, misses: p.misses, failures: p.failures, skipped: p.skipped, latency_seconds_avg: p.latency.count ? p.latency.sum / p.latency.count : null };
    }
    return out;
  }
}

/**
 * Times in-memory lookups without a clock read per lookup (a `performance.now()` pair costs
 * about as much as a GeoIP lookup): a transform times each batch's lookups together and records
 * the mean per lookup, `n` times.
 */
export function observeBatch(h: LatencyHistogram, startedAt: number, n: number): void {
  if (n <= 0) return;
  h.observe((performance.now() - startedAt) / 1000 / n, n);
}
