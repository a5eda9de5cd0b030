/**
 * The per-key answer cache: least recently used first out, each entry with its own expiry (a
 * found answer lives `ttl`, a "not found" `negative_ttl`), bounded by entries and by an estimate
 * of the bytes the answers hold.
 *
 * One Map does both jobs: its iteration order is insertion order, and a hit re-inserts the key,
 * so the front holds the least recently used entries and eviction takes from there, without a
 * linked list. A hit re-inserts only an entry that has drifted into the older half of the order
 * (size/2 or more insertions since its own): a Map delete + set costs ~400 ns against ~40 ns
 * for the get alone (10,000 keys, measured), and hot keys would pay it on every event. An entry
 * used at least once per size/2 insertions is therefore never evicted; among the others, the
 * oldest go first. Expired entries leave when they are read or reach the front.
 */
interface Entry<V> { value: V; expires: number; size: number; tick: number }

export class LookupCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private bytes = 0;
  /** Insertions so far; an entry's `tick` is the count at its own (re)insertion. */
  private tick = 0;
  evictions = 0;

  constructor(readonly maxEntries: number, readonly maxBytes: number) {}

  get size(): number { return this.map.size; }
  get sizeBytes(): number { return this.bytes; }

  /** The live value for `key`, or undefined (absent or expired). */
  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= now) { this.map.delete(key); this.bytes -= e.size; return undefined; }
    if (this.tick - e.tick >= this.map.size >> 1) {
      // Re-insert: moves the key to the back (most recently used).
      this.map.delete(key);
      e.tick = ++this.tick;
      this.map.set(key, e);
    }
    return e.value;
  }

  /** Store `value` for `ttlMs` (nothing when the cache or the ttl is 0). `size`: its bytes, estimated. */
  set(key: string, value: V, ttlMs: number, size: number, now: number): void {
    if (ttlMs <= 0 || this.maxEntries <= 0 || size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old !== undefined) { this.bytes -= old.size; this.map.delete(key); }
    this.map.set(key, { value, expires: now + ttlMs, size, tick: ++this.tick });
    this.bytes += size;
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [k, e] = this.map.entries().next().value as [string, Entry<V>];
      this.map.delete(k);
      this.bytes -= e.size;
      if (e.expires > now) this.evictions++;
    }
  }

  clear(): void { this.map.clear(); this.bytes = 0; }
}
