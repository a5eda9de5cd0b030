/**
 * Checkpoints that only move over settled lines. Each file has a FileProgress: the offset
 * committed to the state store plus an ordered list of batch end offsets still in flight. A
 * batch's finalizer settles its entries; the committed offset advances only through the
 * contiguous settled prefix, because batches may settle out of order (fan-out to a slow and a
 * fast sink). A restart resumes after the last line whose batch settled: at-least-once.
 */
import type { ErrorCode } from '../../../core/errors.js';
import type { Logger, StateStore } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import type { AckStatus } from '../../../core/finalizer.js';

/** What the state store holds per fingerprint. */
export interface Checkpoint { offset: number; path: string; updated: number }

interface Pending { end: number; settled: boolean }

export class FileProgress {
  private queue: Pending[] = [];
  private head = 0;
  private detached = false;
  private warned = false;

  constructor(private readonly store: StateStore, readonly key: string, public committed: number, public path: string, private readonly log: Logger) {
    this.write();
  }

  /** Register a batch that ends at `end` (bytes through which lines are accounted for). */
  expect(end: number): Pending {
    const p = { end, settled: false };
    this.queue.push(p);
    return p;
  }

  settle(p: Pending, status: AckStatus): void {
    // `errored` means neither delivered nor dead-lettered: keep the checkpoint before it, so a
    // restart reads those lines again (later batches wait behind it; duplicates, never loss).
    if (status === 'errored') {
      if (!this.warned) this.log.warn(`a batch from ${this.path} was not delivered; its checkpoint stays at ${this.committed} until restart`);
      this.warned = true;
      return;
    }
    p.settled = true;
    const before = this.committed;
    while (this.head < this.queue.length && this.queue[this.head]!.settled) {
      this.committed = Math.max(this.committed, this.queue[this.head]!.end);
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
    if (this.committed !== before) this.write();
  }

  /** Batches still in flight for this file. */
  get inFlight(): number { return this.queue.length - this.head; }

  /** The file is gone (deleted, truncated, closed): forget its checkpoint; late settles are ignored. */
  retire(): void {
    this.detached = true;
    this.store.delete(this.key);
  }

  private write(): void {
    if (this.detached) return;
    const cp: Checkpoint = { offset: this.committed, path: this.path, updated: Date.now() };
    this.store.set(this.key, cp);
  }
}

export function readCheckpoint(store: StateStore, key: string): Checkpoint | undefined {
  const v = store.get<Checkpoint>(key);
  return v && typeof v.offset === 'number' && v.offset >= 0 ? v : undefined;
}

/** A batch ready to send: its events and, per file, the offset through which it accounts lines. */
export interface SealedBatch { events: Event[]; bytes: number; marks: Map<FileProgress, number> }

export interface BadInput { event: Event; reason: string; code: ErrorCode }

/**
 * Collects events from all files into batches of at most `max` events. Per-event code only
 * pushes; async sending happens per batch in the runner.
 */
export class BatchAssembler {
  private events: Event[] = [];
  private bytes = 0;
  private marks = new Map<FileProgress, number>();
  readonly sealed: SealedBatch[] = [];
  readonly errors: BadInput[] = [];

  constructor(private readonly max: number) {}

  /** Add an event; `end` is the file offset through which lines are accounted after it. */
  add(e: Event, bytes: number, p: FileProgress | null, end: number): void {
    this.events.push(e);
    this.bytes += bytes;
    if (this.events.length >= this.max) {
      if (p) this.marks.set(p, end);
      this.seal();
    }
  }

  /** Record that `p`'s lines are accounted through `end` (events, errors or held by nothing). */
  mark(p: FileProgress | null, end: number): void {
    if (p) this.marks.set(p, end);
  }

  seal(): void {
    if (this.events.length === 0 && this.marks.size === 0) return;
    this.sealed.push({ events: this.events, bytes: this.bytes, marks: this.marks });
    this.events = [];
    this.bytes = 0;
    this.marks = new Map();
  }

  /** True when a full batch waits to be sent (stop reading and send first: backpressure). */
  get full(): boolean { return this.sealed.length > 0; }
}
