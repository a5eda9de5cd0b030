/**
 * End-to-end acknowledgements. A source that can acknowledge upstream (file offsets, HTTP status)
 * attaches a BatchFinalizer to each batch it emits. Every copy or split of the batch retains it;
 * every component that finishes with a piece releases it with a status. When the last reference is
 * released the finalizer settles once, with the worst status seen:
 *   delivered < errored (retriable) < rejected (permanent)
 * Intentionally dropped events release as `delivered` (and are counted as discarded).
 */
export type AckStatus = 'delivered' | 'errored' | 'rejected';

const rank: Record<AckStatus, number> = { delivered: 0, errored: 1, rejected: 2 };

export class BatchFinalizer {
  private refs = 1;
  private worst: AckStatus = 'delivered';
  private done = false;
  constructor(private readonly onSettle: (status: AckStatus) => void) {}

  retain(n = 1): void {
    if (this.done) throw new Error('finalizer retained after it settled');
    this.refs += n;
  }

  release(status: AckStatus = 'delivered'): void {
    if (this.done) return;
    if (rank[status] > rank[this.worst]) this.worst = status;
    if (--this.refs === 0) {
      this.done = true;
      this.onSettle(this.worst);
    }
  }

  get settled(): boolean { return this.done; }
}

export function retainAll(fs: BatchFinalizer[], n = 1): void {
  for (let i = 0; i < fs.length; i++) fs[i]!.retain(n);
}

export function releaseAll(fs: BatchFinalizer[], status: AckStatus = 'delivered'): void {
  for (let i = 0; i < fs.length; i++) fs[i]!.release(status);
}

/** A promise that resolves with the status when the finalizer settles. */
export function finalizerWithPromise(): { finalizer: BatchFinalizer; settled: Promise<AckStatus> } {
  let resolve!: (s: AckStatus) => void;
  const settled = new Promise<AckStatus>((r) => (resolve = r));
  return { finalizer: new BatchFinalizer((s) => resolve(s)), settled };
}
