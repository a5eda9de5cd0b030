/**
 * A bounded batch queue between two components, limited in events and in bytes. `push` waits
 * while the queue is full, which is how backpressure reaches sources. One consumer.
 * An oversized batch is admitted into an empty queue so a single large batch can never deadlock.
 */
import type { Batch } from '../core/event.js';

export class BatchQueue {
  private readonly items: Batch[] = [];
  private head = 0;
  events = 0;
  bytes = 0;
  private closed = false;
  private waitingPush: (() => void)[] = [];
  private waitingTake: ((b: Batch | null) => void) | null = null;

  constructor(readonly maxEvents: number, readonly maxBytes: number) {}

  get length(): number { return this.items.length - this.head; }
  get isClosed(): boolean { return this.closed; }

  private hasRoom(b: Batch): boolean {
    // Nothing queued or being processed: admit even an oversized batch (no deadlock). Batches the
    // consumer has taken but not finished count too, or a consumer that takes ahead (a disk-buffered
    // sink appending several batches at once) would make the bound meaningless.
    if (this.events === 0) return true;
    return this.events + b.events.length <= this.maxEvents && this.bytes + b.bytes <= this.maxBytes;
  }

  async push(b: Batch): Promise<void> {
    while (!this.hasRoom(b)) await new Promise<void>((r) => this.waitingPush.push(r));
    if (this.waitingTake) {
      const t = this.waitingTake;
      this.waitingTake = null;
      // Counted as queued until the consumer calls done(); keeps the depth gauge honest.
      this.events += b.events.length; this.bytes += b.bytes;
      t(b);
      return;
    }
    this.items.push(b);
    this.events += b.events.length;
    this.bytes += b.bytes;
  }

  /** Next batch, or null once closed and empty. Call `done(batch)` after processing it. */
  take(): Promise<Batch | null> {
    if (this.length > 0) return Promise.resolve(this.shift());
    if (this.closed) return Promise.resolve(null);
    return new Promise((r) => { this.waitingTake = r; });
  }

  /** Non-blocking take, for coalescing batches. */
  tryTake(): Batch | undefined {
    return this.length > 0 ? this.shift() : undefined;
  }

  /** Wait until a batch is available, the queue closes, or ms pass. */
  waitForData(ms: number): Promise<void> {
    if (this.length > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waitingTake = null; resolve(); }, ms);
      this.waitingTake = (b) => {
        clearTimeout(timer);
        // push() already counted the batch; put it back in line for take().
        if (b) this.items.push(b);
        resolve();
      };
    });
  }

  private shift(): Batch {
    const b = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Batch;
    if (this.head > 1024 && this.head * 2 > this.items.length) { this.items.splice(0, this.head); this.head = 0; }
    return b;
  }

  /** The consumer finished with a batch: free its room and wake producers. */
  done(b: Batch): void {
    this.events -= b.events.length;
    this.bytes -= b.bytes;
    const w = this.waitingPush;
    if (w.length) { this.waitingPush = []; for (const r of w) r(); }
  }

  close(): void {
    this.closed = true;
    if (this.waitingTake && this.length === 0) { const t = this.waitingTake; this.waitingTake = null; t(null); }
  }
}
