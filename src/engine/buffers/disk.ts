/**
 * A durable FIFO of event batches on disk, for sinks with `buffer: { type: disk }`. One writer
 * appends batches (one record per batch, see segment.ts) to append-only segment files; an append
 * resolves once an fsync covers it (group commit: one fsync per interval for every append since the
 * last). One reader reads records in order and acks them once delivered; the consumed position is
 * persisted in a small `ack` file, and fully consumed segments are deleted. After a crash, every
 * record whose append resolved and that was not yet acked is delivered again (at-least-once:
 * records delivered but not yet acked can be delivered twice). See docs/decisions/0013.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../core/component.js';
import { GroupCommit } from './commit.js';
import { DiskBufferClosedError, DiskBufferFullError, nodeIo, writeError, type BufferIo, type WritableSegment } from './io.js';
import { SegmentReader, type HotRecord, type LiveSegment, type RecordRead } from './reader.js';
import { ACK_FILE, ackFileText, recover, type Position, type RecoveryReport } from './recovery.js';
import { encodeLines, HEADER_BYTES, segmentName } from './segment.js';

export type WhenFull = 'block' | 'drop_newest';

export interface DiskBufferOptions {
  /** Bound on unconsumed record bytes (a single batch larger than this still enters an empty buffer). */
  maxBytes: number;
  /** `block`: appends wait for the reader to free room. `drop_newest`: the new batch is not stored. */
  whenFull?: WhenFull;
  /** Group-commit interval; 0 syncs as soon as the writes in flight complete. Default 100. */
  fsyncIntervalMs?: number;
  /** Segment file size before rolling to a new one. Default min(32 MiB, maxBytes / 8). */
  segmentBytes?: number;
  log?: Logger;
  /** The file-operation seam (tests count fsyncs and inject errors through it). */
  io?: BufferIo;
  /** Recently written records kept in memory for a reader that keeps up. Default 16 MiB. */
  hotBytes?: number;
}

/** Identifies one read, for `ack`. Increasing integers in read order. */
export type RecordId = number;

export interface BufferRead {
  id: RecordId;
  /** Each event's JSON text, exactly as appended (JSON.stringify of the event). */
  lines: string[];
  /**
   * The same events as UTF-8 bytes, one Buffer per record read, each the record's texts joined by
   * LF (no final LF). Absent when a record of the older JSON-array format is among them.
   */
  ndjson?: Buffer[];
  /** The events, parsed from `lines` on first access (a sink that writes JSON never needs them). */
  readonly events: object[];
  /** Size of the record(s) on disk, a fair estimate of the events' serialized size. */
  bytes: number;
  /** How many records (appended batches) this read coalesced. */
  records: number;
}

export interface DiskBufferStats {
  /** Unconsumed (appended or recovered, not yet acked) events, records and bytes. */
  events: number;
  records: number;
  bytes: number;
  segments: number;
  /** Bytes of the segment files (consumed parts of the oldest segment and corrupt spans included). */
  diskBytes: number;
  appendedEvents: number;
  appendedRecords: number;
  ackedEvents: number;
  ackedRecords: number;
  droppedEvents: number;
  droppedRecords: number;
  /** Corrupt records found at recovery and while reading. */
  corruptRecords: number;
  corruptBytes: number;
  fsyncs: number;
  writeErrors: number;
  /** Records the reader took from memory (it kept up with the writer) instead of from disk. */
  recordsFromMemory: number;
}

interface Outstanding { id: number; end: Position; bytes: number; events: number; records: number; done: boolean }
export type Written = { dropped: true } | { dropped: false; durable: Promise<void> };

const DROPPED = Object.freeze({ dropped: true as const });
const STORED = Object.freeze({ dropped: false as const });
/** A buffer directory may be opened once per process (a reload must close the old one first). */
const openDirs = new Set<string>();

export class DiskBuffer {
  private readonly io: BufferIo;
  private readonly maxBytes: number;
  private readonly whenFull: WhenFull;
  private readonly interval: number;
  private readonly segmentBytes: number;
  private readonly segments: LiveSegment[];
  private readonly reader: SegmentReader;
  private readonly log: Logger | undefined;
  private nextSegmentId: number;

  // writer
  private wseg: LiveSegment | null = null;
  private wfile: WritableSegment | null = null;
  private rollNext = false;
  private chain: Promise<unknown> = Promise.resolve();
  private spaceWaiters: (() => void)[] = [];
  private appendsClosed = false;
  private drained = false;

  private readonly commit: GroupCommit;
  /**
   * The last records written, in order, still in memory (up to hotBytes). A reader that keeps up
   * takes them from here instead of reading them back: measured on the reference benchmark, the
   * read side (read syscalls, CRC, UTF-8 decode, split) was ~10% of the CPU of a disk-buffered run.
   * A reader that falls behind reads from disk; nothing here is needed for durability. 16 MiB by
   * default: in A/B runs of that benchmark 2 MiB cost ~0.5 s more CPU per million events (fewer
   * hits) and 48 MiB was no better.
   */
  private hot: HotRecord[] = [];
  private hotHead = 0;
  private hotSize = 0;
  private readonly hotMax: number;
  private fromMemory = 0;

  // reader and acks
  private readWaiter: (() => void) | null = null;
  private changes = 0;
  private reading = false;
  private readsStopped = false;
  private outstanding: Outstanding[] = [];
  private nextReadId = 1;
  private consumed: Position;
  private persisted: Position;
  private ackTimer: NodeJS.Timeout | null = null;
  private ackWriting: Promise<void> = Promise.resolve();

  private closing: Promise<void> | null = null;
  private closed = false;
  private readonly counts = { events: 0, records: 0, bytes: 0, appendedEvents: 0, appendedRecords: 0, ackedEvents: 0, ackedRecords: 0, droppedEvents: 0, droppedRecords: 0, writeErrors: 0 };

  /** What recovery found on open: unconsumed records and the corrupt ones it skipped. */
  readonly recovered: RecoveryReport;

  static async open(dir: string, opts: DiskBufferOptions): Promise<DiskBuffer> {
    if (!(opts.maxBytes > 0) || !Number.isFinite(opts.maxBytes)) throw new RangeError(`disk buffer maxBytes must be a positive number, got ${opts.maxBytes}`);
    const abs = resolve(dir);
    if (openDirs.has(abs)) throw new Error(`the disk buffer in ${abs} is already open in this process; close it before opening it again`);
    openDirs.add(abs);
    try {
      await mkdir(abs, { recursive: true });
      const rec = await recover(abs, opts.log);
      if (rec.report.records || rec.report.corruptRecords) {
        opts.log?.info(`disk buffer ${abs}: recovered ${rec.report.events} events in ${rec.report.records} records (${rec.report.bytes} bytes)` +
          (rec.report.corruptRecords ? `; skipped ${rec.report.corruptRecords} corrupt records (${rec.report.corruptBytes} bytes)` : ''), { ...rec.report });
      }
      return new DiskBuffer(abs, opts, rec.segments, rec.ack, rec.report, rec.lastSegmentId + 1);
    } catch (e) {
      openDirs.delete(abs);
      throw e;
    }
  }

  private constructor(readonly dir: string, opts: DiskBufferOptions, segments: LiveSegment[], ack: Position, report: RecoveryReport, nextSegmentId: number) {
    this.io = opts.io ?? nodeIo;
    this.log = opts.log;
    this.maxBytes = opts.maxBytes;
    this.whenFull = opts.whenFull ?? 'block';
    this.interval = Math.max(0, opts.fsyncIntervalMs ?? 100);
    this.commit = new GroupCommit(this.io, dir, this.interval, () => {
      // After a failed fsync the kernel may have dropped the dirty pages: continue in a new segment.
      this.rollNext = true;
      return this.wseg?.path ?? dir;
    });
    this.segmentBytes = Math.max(4096, opts.segmentBytes ?? Math.min(32 * 1024 * 1024, Math.floor(opts.maxBytes / 8)));
    this.hotMax = Math.max(0, opts.hotBytes ?? 16 * 1024 * 1024);
    this.segments = segments;
    this.consumed = ack;
    this.persisted = ack;
    this.recovered = report;
    this.nextSegmentId = nextSegmentId;
    this.counts.events = report.events;
    this.counts.records = report.records;
    this.counts.bytes = report.bytes;
    this.reader = new SegmentReader(() => this.segments, ack, opts.log);
  }

  // ---- append -----------------------------------------------------------------------------------

  /**
   * Store a batch. Resolves `{ dropped: false }` once the record is durable (after the fsync that
   * covers it), `{ dropped: true }` when the buffer is full and `whenFull` is `drop_newest`.
   * Rejects with DiskBufferWriteError (DiskBufferFullError for ENOSPC) when the disk fails; the
   * buffer stays consistent and later appends can succeed. Appends are stored in call order; keep
   * several in flight, since each waits up to one fsync interval.
   */
  append(events: readonly object[]): Promise<{ dropped: boolean }> {
    return this.appendWritten(events).then((w) => (w.dropped ? DROPPED : w.durable.then(() => STORED)));
  }

  /**
   * Like `append`, in two steps: resolves once the batch is written (readable, not yet synced),
   * and `durable` resolves after the fsync that covers it (or rejects like `append`). Lets a
   * caller free what bounds its intake at write time instead of holding it for up to one fsync
   * interval.
   */
  appendWritten(events: readonly object[]): Promise<Written> {
    if (this.appendsClosed) return Promise.reject(new DiskBufferClosedError(this.dir));
    const written = this.chain.then(() => this.writeNext(events));
    this.chain = written.catch(() => undefined);
    return written;
  }

  private hasRoom(bytes: number): boolean {
    return this.counts.bytes === 0 || this.counts.bytes + bytes <= this.maxBytes;
  }

  private async writeNext(events: readonly object[]): Promise<Written> {
    if (events.length === 0) return { dropped: false, durable: Promise.resolve() };
    const { record: rec, lines } = encodeLines(events);
    while (!this.hasRoom(rec.length)) {
      if (this.whenFull === 'drop_newest') {
        this.counts.droppedRecords++;
        this.counts.droppedEvents += events.length;
        return DROPPED;
      }
      if (this.closing) throw new DiskBufferClosedError(this.dir);
      await new Promise<void>((r) => this.spaceWaiters.push(r));
    }
    if (this.wfile === null || this.rollNext || (this.wseg!.size > 0 && this.wseg!.size + rec.length > this.segmentBytes)) await this.roll();
    const seg = this.wseg!, file = this.wfile!;
    const at = seg.size;
    try {
      for (let off = 0; off < rec.length;) {
        const n = await file.write(rec, off, rec.length - off, at + off);
        if (n <= 0) throw Object.assign(new Error('the write stored no bytes'), { code: 'EIO' });
        off += n;
      }
    } catch (e) {
      this.counts.writeErrors++;
      // Take back the partial record. If even that fails, the next record overwrites it (writes
      // are positioned) and recovery's CRC check skips whatever is left past the last one.
      await file.truncate(at).catch(() => undefined);
      const err = writeError(e, 'writing', seg.path);
      // Disk full: leave this segment, so that once the reader has consumed it, it can be deleted
      // and its space reused. Staying on it would deadlock: the only file that could free space
      // would be the one being written.
      if (err instanceof DiskBufferFullError && at > 0) this.rollNext = true;
      throw err;
    }
    seg.size = at + rec.length;
    this.keepHot({ segment: seg.id, offset: at, end: seg.size, lines, ndjson: rec.subarray(HEADER_BYTES) });
    this.counts.records++; this.counts.events += events.length; this.counts.bytes += rec.length;
    this.counts.appendedRecords++; this.counts.appendedEvents += events.length;
    this.wakeReader();
    return { dropped: false, durable: this.commit.written(file) };
  }

  private keepHot(r: HotRecord): void {
    if (this.hotMax <= 0) return;
    this.hot.push(r);
    this.hotSize += r.end - r.offset;
    while (this.hotSize > this.hotMax && this.hotHead < this.hot.length) this.dropHot();
  }

  private dropHot(): void {
    const r = this.hot[this.hotHead]!;
    this.hot[this.hotHead++] = undefined as unknown as HotRecord;
    this.hotSize -= r.end - r.offset;
    if (this.hotHead > 256 && this.hotHead * 2 > this.hot.length) { this.hot.splice(0, this.hotHead); this.hotHead = 0; }
  }

  /** The next record: from memory when it is the next hot one, else from disk. */
  private async nextRecord(maxCount: number): Promise<RecordRead | 'limit' | null> {
    while (this.hotHead < this.hot.length) {
      const h = this.hot[this.hotHead]!;
      if (!this.reader.isPast(h.segment, h.offset)) {
        const r = this.reader.takeHot(h, maxCount);
        if (r === null) break; // the reader is behind the hot records: read from disk
        if (r !== 'limit') { this.dropHot(); this.fromMemory++; }
        return r;
      }
      this.dropHot();
    }
    return this.reader.next(maxCount);
  }

  /** Start a new segment; the previous one is synced and closed by the next group commit. */
  private async roll(): Promise<void> {
    if (this.wfile !== null) this.commit.retire(this.wfile);
    this.wfile = null;
    this.rollNext = false;
    this.deleteConsumedSegments();
    const id = this.nextSegmentId++;
    const path = join(this.dir, segmentName(id));
    try {
      this.wfile = await this.io.createSegment(path);
    } catch (e) {
      this.counts.writeErrors++;
      throw writeError(e, 'creating', path);
    }
    this.wseg = { id, path, size: 0, corrupt: [] };
    this.segments.push(this.wseg);
    this.commit.created();
  }

  // ---- read and ack -----------------------------------------------------------------------------

  /**
   * The next unconsumed record in order, coalescing following records while the total stays within
   * `maxEvents` (a record is never split; one larger than `maxEvents` comes alone). Waits for data;
   * null once the buffer is closed, or ended (see `end`) and fully read. One read at a time.
   */
  async read(maxEvents = Infinity): Promise<BufferRead | null> {
    if (this.reading) throw new Error('DiskBuffer.read: another read is in progress (one reader)');
    this.reading = true;
    try {
      for (;;) {
        if (this.closed || this.readsStopped) return null;
        const seen = this.changes;
        const first = await this.nextRecord(Infinity);
        if (first !== null && first !== 'limit') return await this.coalesce(first, maxEvents);
        if (this.closed || this.readsStopped || (this.drained && seen === this.changes)) return null;
        if (seen !== this.changes) continue;
        await new Promise<void>((r) => (this.readWaiter = r));
      }
    } finally {
      this.reading = false;
    }
  }

  private async coalesce(first: RecordRead, maxEvents: number): Promise<BufferRead> {
    const lines = first.lines;
    let ndjson: Buffer[] | undefined = first.ndjson ? [first.ndjson] : undefined;
    let bytes = first.bytes, records = 1, last = first;
    while (lines.length < maxEvents) {
      const more = await this.nextRecord(maxEvents - lines.length);
      if (more === null || more === 'limit') break;
      for (let i = 0; i < more.lines.length; i++) lines.push(more.lines[i]!);
      if (ndjson && more.ndjson) ndjson.push(more.ndjson); else ndjson = undefined;
      bytes += more.bytes;
      records++;
      last = more;
    }
    const id = this.nextReadId++;
    this.outstanding.push({ id, end: { segment: last.segment, offset: last.end }, bytes, events: lines.length, records, done: false });
    let parsed: object[] | null = null;
    return { id, lines, ...(ndjson ? { ndjson } : {}), bytes, records, get events() { return (parsed ??= lines.map((l) => JSON.parse(l) as object)); } };
  }

  /**
   * Mark a read consumed (its events are delivered). Acks may come out of order; the consumed
   * position advances over the contiguous prefix of acked reads. Acking an id twice is a no-op.
   */
  ack(id: RecordId): void {
    const first = this.outstanding[0];
    if (first === undefined || id < first.id) {
      if (id >= 1 && id < this.nextReadId) return;
      throw new RangeError(`DiskBuffer.ack: no read with id ${id}`);
    }
    const entry = this.outstanding[id - first.id];
    if (entry === undefined) throw new RangeError(`DiskBuffer.ack: no read with id ${id}`);
    entry.done = true;
    let advanced = false;
    while (this.outstanding.length && this.outstanding[0]!.done) {
      const e = this.outstanding.shift()!;
      this.consumed = e.end;
      this.counts.events -= e.events; this.counts.records -= e.records; this.counts.bytes -= e.bytes;
      this.counts.ackedEvents += e.events; this.counts.ackedRecords += e.records;
      advanced = true;
    }
    if (!advanced) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
    this.deleteConsumedSegments();
    if (this.ackTimer === null && !this.closing) {
      // Saving costs two fsyncs; a lost save only means redelivery, so never more often than 20/s.
      this.ackTimer = setTimeout(() => { this.ackTimer = null; void this.persistAck(); }, Math.max(this.interval, 50));
    }
  }

  private deleteConsumedSegments(): void {
    const c = this.consumed;
    while (this.segments.length) {
      const s = this.segments[0]!;
      if (s === this.wseg && this.wfile !== null) break;
      if (!(s.id < c.segment || (s.id === c.segment && c.offset >= s.size))) break;
      this.segments.shift();
      this.reader.released(s.path);
      unlink(s.path).catch((e: Error) => this.log?.warn(`disk buffer: could not delete consumed segment ${s.path}: ${e.message}`));
    }
  }

  /** Write the consumed position atomically. A failure only means more redelivery after a crash. */
  private persistAck(): Promise<void> {
    this.ackWriting = this.ackWriting.then(async () => {
      const pos = this.consumed;
      if (pos.segment === this.persisted.segment && pos.offset === this.persisted.offset) return;
      try {
        await this.io.writeAtomic(this.dir, ACK_FILE, ackFileText(pos));
        this.persisted = pos;
      } catch (e) {
        this.log?.warn(`disk buffer: could not save the ack position in ${join(this.dir, ACK_FILE)}: ${(e as Error).message}; delivered records may be delivered again after a restart`);
      }
    });
    return this.ackWriting;
  }

  private wakeReader(): void {
    this.changes++;
    const w = this.readWaiter;
    this.readWaiter = null;
    w?.();
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** No more appends: once everything appended is read, `read` returns null. Call before draining. */
  async end(): Promise<void> {
    this.appendsClosed = true;
    await this.chain;
    this.drained = true;
    this.wakeReader();
  }

  /**
   * Make a waiting and every later `read` return null, without closing: lets a delivery loop
   * finish its current write and ack before `close` (records read and not acked come again later).
   */
  stopReads(): void {
    this.readsStopped = true;
    this.wakeReader();
  }

  /**
   * Stop: appends already started are written and synced (ones waiting for room reject with
   * DiskBufferClosedError), the ack position is saved, files are closed. Unread and unacked
   * records stay on disk for the next open.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.appendsClosed = true;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
    await this.chain;
    await this.commit.flush();
    this.closed = true;
    this.wakeReader();
    if (this.ackTimer !== null) { clearTimeout(this.ackTimer); this.ackTimer = null; }
    await this.persistAck();
    await this.wfile?.close().catch(() => undefined);
    this.wfile = null;
    await this.reader.close();
    openDirs.delete(this.dir);
  }

  get isClosed(): boolean { return this.closed; }

  stats(): DiskBufferStats {
    let diskBytes = 0;
    for (const s of this.segments) diskBytes += s.size;
    return {
      ...this.counts,
      fsyncs: this.commit.fsyncs,
      recordsFromMemory: this.fromMemory,
      writeErrors: this.counts.writeErrors + this.commit.failures,
      segments: this.segments.length,
      diskBytes,
      corruptRecords: this.recovered.corruptRecords + this.reader.corruptRecords,
      corruptBytes: this.recovered.corruptBytes + this.reader.corruptBytes,
    };
  }
}
