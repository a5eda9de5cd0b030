/**
 * A lookup table in Redis, shared by every Sluice instance that points at it. Each key is a hash
 * `<key_prefix><key>` whose fields are the columns. A batch costs one pipelined round trip for
 * its distinct keys not in the local cache; with `write`, every distinct key of the batch goes
 * to Redis (the writes must happen) in that same round trip.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../../core/component.js';
import type { ProviderStats } from '../../../enrich/stats.js';
import { makeRow, type Row, type RowPlan } from './table.js';

export interface RedisOptions {
  url: string;
  key_prefix: string;
  timeout: number;
  connect_timeout: number;
  cache: { ttl: number; negative_ttl: number; max_entries: number };
  write?: { seen: boolean; columns: string[]; ttl: number } | undefined;
}

/** What a key resolved to for this batch. */
export interface Resolved {
  /** The row for the first event of the batch with this key (with `write.seen`, the one that may be `new`). */
  first: Row | null;
  /** The row for the other events with this key. */
  rest: Row | null;
  /** With `write.seen`: this batch created the key (its first event is `new`). */
  created: boolean;
  /** Set when Redis could not answer for this key. */
  failed: string | null;
}

interface CacheEntry { row: Row | null; until: number }

export class RedisTable {
  readonly client: Redis;
  private readonly cache = new Map<string, CacheEntry>();
  private connecting: Promise<void> | null = null;
  /** Current outage (for logging once per outage), null while Redis answers. */
  private down: string | null = null;
  /** The client's last connection error, to say why a command could not be sent. */
  private lastError: string | null = null;
  readonly counts = { round_trips: 0, cache_hits: 0, writes: 0 };

  constructor(private readonly opts: RedisOptions, private readonly plan: RowPlan, private readonly stats: ProviderStats, private readonly log: Logger, private readonly name: string) {
    this.client = new Redis(opts.url, {
      lazyConnect: true,
      // Never queue commands while disconnected: a batch fails at once (its events pass, marked
      // failed) instead of waiting for a reconnect that may take minutes.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.timeout,
      connectTimeout: opts.connect_timeout,
      // Reconnect in the background forever, backing off to once every 2 s.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // Each failed batch is counted and the outage logged once; this only keeps the cause.
    this.client.on('error', (e: Error) => { this.lastError = e.message; });
    this.client.on('ready', () => { this.lastError = null; });
  }

  get cacheSize(): number { return this.cache.size; }

  /** Connect once (bounded by connect_timeout); a failure is not fatal, batches will report it. */
  connect(): Promise<void> {
    this.connecting ??= this.client.connect().catch((e: Error) => {
      this.outage(this.lastError ?? e.message);
    });
    return this.connecting;
  }

  /**
   * Resolve the distinct `keys` of a batch. `writes`, with `write` set: per key, the number of
   * events carrying it and the column values to store (from the last of them).
   */
  async resolve(keys: string[], now: number, writes: Map<string, { n: number; values: (string | null)[] }> | null): Promise<Map<string, Resolved>> {
    const out = new Map<string, Resolved>();
    const fetch: string[] = [];
    const ttl = this.opts.cache.ttl;
    for (const k of keys) {
      if (!writes && ttl > 0) {
        const c = this.cache.get(k);
        if (c && c.until > now) {
          this.counts.cache_hits++;
          out.set(k, { first: c.row, rest: c.row, created: false, failed: null });
          continue;
        }
      }
      fetch.push(k);
    }
    if (!fetch.length) return out;
    await this.connect();
    const prefix = this.opts.key_prefix;
    const w = this.opts.write;
    const p = this.client.pipeline();
    // Per key: where its commands start and end in the results, and which one is the HGETALL.
    const from: number[] = [], get: number[] = [];
    let n = 0;
    for (const k of fetch) {
      const rk = prefix + k;
      from.push(n);
      if (w) {
        const wr = writes!.get(k)!;
        if (w.seen) { p.hsetnx(rk, 'first_seen', String(now)); n++; }
        p.hgetall(rk); get.push(n++);
        const fields: string[] = [];
        if (w.seen) fields.push('last_seen', String(now));
        for (let i = 0; i < w.columns.length; i++) {
          const v = wr.values[i];
          if (v !== null && v !== undefined) fields.push(w.columns[i]!, v);
        }
        if (fields.length) { p.hset(rk, ...fields); n++; }
        if (w.seen) { p.hincrby(rk, 'count', wr.n); n++; }
        if (w.ttl > 0) { p.pexpire(rk, w.ttl); n++; }
      } else {
        p.hgetall(rk); get.push(n++);
      }
    }
    from.push(n);
    const t0 = performance.now();
    let res: [Error | null, unknown][] | null;
    try { res = await p.exec(); } catch (e) { res = null; this.failAll(fetch, out, (e as Error).message); }
    this.counts.round_trips++;
    this.stats.latency.observe((performance.now() - t0) / 1000);
    if (!res) return out;
    let firstError: string | null = null;
    for (let i = 0; i < fetch.length; i++) {
      const k = fetch[i]!;
      // Every command of the key must have gone through (a lost write is a failure too).
      let err: Error | null = null;
      for (let j = from[i]!; j < from[i + 1]! && !err; j++) err = res[j]?.[0] ?? null;
      if (err) {
        // Without an offline queue, a command while disconnected fails with ioredis' "Stream isn't
        // writeable"; the connection error says more.
        const why = this.client.status !== 'ready' ? `not connected: ${this.lastError ?? this.client.status}` : err.message || 'no answer';
        firstError ??= why;
        out.set(k, { first: null, rest: null, created: false, failed: why });
        continue;
      }
      const h = res[get[i]!]![1] as Record<string, string> | null;
      if (w) {
        this.counts.writes++;
        if (w.seen) {
          const created = res[from[i]!]![1] === 1;
          const rec = seenRecord(h, created, now);
          const first = makeRow(rec, this.plan);
          out.set(k, { first, rest: created ? makeRow({ ...rec, new: false }, this.plan) : first, created, failed: null });
          continue;
        }
      }
      const row = h !== null && typeof h === 'object' && Object.keys(h).length > 0 ? makeRow(h, this.plan) : null;
      out.set(k, { first: row, rest: row, created: false, failed: null });
      if (!w && ttl > 0) this.remember(k, row, now);
    }
    if (firstError) this.outage(firstError);
    else if (this.down) {
      this.log.info(`lookup table ${this.name}: Redis answers again`, { was: this.down });
      this.down = null;
    }
    return out;
  }

  private remember(k: string, row: Row | null, now: number): void {
    const ttl = row ? this.opts.cache.ttl : this.opts.cache.negative_ttl;
    if (ttl <= 0) return;
    // Re-inserted so the Map's order stays oldest-first: eviction takes from the front.
    this.cache.delete(k);
    this.cache.set(k, { row, until: now + ttl });
    if (this.cache.size > this.opts.cache.max_entries) this.cache.delete(this.cache.keys().next().value!);
  }

  private failAll(keys: string[], out: Map<string, Resolved>, why: string): void {
    for (const k of keys) out.set(k, { first: null, rest: null, created: false, failed: why });
    this.outage(why);
  }

  private outage(why: string): void {
    if (this.down !== null) return;
    this.down = why;
    this.log.warn(`lookup table ${this.name}: Redis lookups fail, events pass marked failed until it answers`, { error: why });
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

/**
 * The columns an event sees with `write.seen`: the hash as it was before this batch's writes
 * (`last_seen`, `count` of the earlier sightings), `first_seen` (this batch's time when new) and
 * `new` (true for exactly one event across every instance: the one whose HSETNX created the key).
 */
function seenRecord(h: Record<string, string> | null, created: boolean, now: number): Record<string, unknown> {
  const rec: Record<string, unknown> = { ...(h ?? {}) };
  for (const c of ['first_seen', 'last_seen', 'count']) {
    if (typeof rec[c] === 'string') {
      const x = Number(rec[c]);
      rec[c] = Number.isFinite(x) ? x : undefined;
    }
  }
  if (created) { rec['first_seen'] = now; rec['count'] = 0; }
  rec['new'] = created;
  return rec;
}
