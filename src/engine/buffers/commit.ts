/**
 * Group commit for the disk buffer's writer: appends written since the last fsync wait for the
 * next one, and at most one fsync round starts per interval, however many appends it covers. With
 * 1,000-event batches that turns one fsync per batch (milliseconds each on real disks) into one per
 * interval, while an append still resolves only once its bytes are on stable storage.
 */
import { writeError, type BufferIo, type WritableSegment } from './io.js';

interface Waiter { resolve(): void; reject(e: Error): void }

export class GroupCommit {
  private pending: Waiter[] = [];
  private dirty = new Set<WritableSegment>();
  private retired: WritableSegment[] = [];
  private dirDirty = false;
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private lastSyncAt = 0;
  fsyncs = 0;
  failures = 0;

  constructor(
    private readonly io: BufferIo,
    private readonly dir: string,
    private readonly intervalMs: number,
    /** Called when an fsync fails, with the file that was being written (for the message). */
    private readonly onFailure: () => string,
  ) {}

  /** `file` received bytes: the promise resolves after the fsync that covers them. */
  written(file: WritableSegment): Promise<void> {
    this.dirty.add(file);
    const p = new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
    this.schedule();
    return p;
  }

  /** A segment the writer left: synced (if written) and closed by the next round. */
  retire(file: WritableSegment): void {
    this.retired.push(file);
    // Close it soon even when no append follows (after a disk-full error): a deleted segment
    // frees its space only once closed.
    this.schedule();
  }

  /** A file was created in the directory: its entry is synced with the next round. */
  created(): void {
    this.dirDirty = true;
  }

  /** Sync now (used by close); waits for a round in progress first. */
  flush(): Promise<void> {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.syncing) return this.syncing.then(() => this.flush());
    return this.round();
  }

  private schedule(): void {
    if (this.timer !== null || this.syncing !== null || (this.pending.length === 0 && this.retired.length === 0)) return;
    const delay = Math.max(0, this.lastSyncAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.round();
    }, delay);
  }

  private round(): Promise<void> {
    const waiters = this.pending;
    const files = [...this.dirty];
    const retired = this.retired;
    const syncDir = this.dirDirty;
    this.pending = [];
    this.dirty.clear();
    this.retired = [];
    this.dirDirty = false;
    this.lastSyncAt = Date.now();
    const run = async () => {
      let failure: Error | null = null;
      try {
        for (const f of files) { await f.sync(); this.fsyncs++; }
        if (syncDir) await this.io.syncDir(this.dir);
      } catch (e) {
        this.failures++;
        failure = writeError(e, 'syncing', this.onFailure());
      }
      for (const f of retired) await f.close().catch(() => undefined);
      for (const w of waiters) failure ? w.reject(failure) : w.resolve();
    };
    this.syncing = run().finally(() => {
      this.syncing = null;
      this.schedule();
    });
    return this.syncing;
  }
}
