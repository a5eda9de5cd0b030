/**
 * The disk buffer's read side: walks segments in order from the consumed position, reading one
 * record with two positioned reads (header, then payload) and checking both CRCs. Corrupt spans
 * found at recovery are skipped by position; corruption met for the first time (the disk changed
 * under a running buffer) is resynchronised here by scanning the rest of the segment.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../core/component.js';
import type { Position } from './recovery.js';
import { FORMAT_JSON_LINES, HEADER_BYTES, crc32, decodePayload, readHeader, scanSegment, type CorruptSpan } from './segment.js';

/** A segment as the buffer tracks it: `size` is the end of the last complete record written. */
export interface LiveSegment { id: number; path: string; size: number; corrupt: CorruptSpan[] }

export interface RecordRead {
  lines: string[]; count: number; bytes: number; segment: number; end: number;
  /** The same events as UTF-8 bytes joined by LF (format 2 records; absent for format 1). */
  ndjson?: Buffer;
}

/** A record as the writer wrote it: where it is and its events' JSON texts. */
export interface HotRecord { segment: number; offset: number; end: number; lines: string[]; ndjson: Buffer }

export class SegmentReader {
  private seg: LiveSegment | null = null;
  private pos = 0;
  private spanIdx = 0;
  private fh: FileHandle | null = null;
  private fhPath = '';
  private readonly header = Buffer.allocUnsafe(HEADER_BYTES);
  private closed = false;
  /** Corrupt records met while reading (not already reported by recovery). */
  corruptRecords = 0;
  corruptBytes = 0;

  constructor(private readonly segments: () => readonly LiveSegment[], private readonly start: Position, private readonly log?: Logger) {}

  /**
   * The next record if one is complete on disk now; 'limit' if it holds more than `maxCount`
   * events (nothing is consumed then); null when there is nothing more to read yet.
   */
  async next(maxCount: number): Promise<RecordRead | 'limit' | null> {
    for (;;) {
      if (this.closed) return null;
      const seg = this.current();
      if (seg === null) return null;
      this.skipKnownCorrupt(seg);
      if (this.pos >= seg.size) {
        // A segment gets a successor only once it is complete, so the successor is safe to enter.
        const next = this.segments().find((s) => s.id > seg.id);
        if (!next) return null;
        this.enter(next, 0);
        continue;
      }
      const fh = await this.handle(seg);
      const at = this.pos;
      const got = seg.size - at >= HEADER_BYTES ? (await fh.read(this.header, 0, HEADER_BYTES, at)).bytesRead : 0;
      const h = got === HEADER_BYTES ? readHeader(this.header, 0) : 'truncated header';
      if (typeof h === 'string' || at + HEADER_BYTES + h.length > seg.size) {
        await this.resync(seg, fh);
        continue;
      }
      if (h.count > maxCount) return 'limit';
      const payload = Buffer.allocUnsafe(h.length);
      const n = h.length ? (await fh.read(payload, 0, h.length, at + HEADER_BYTES)).bytesRead : 0;
      if (n !== h.length || crc32(payload) !== h.payloadCrc) {
        await this.resync(seg, fh);
        continue;
      }
      let lines: string[];
      try {
        lines = decodePayload(payload, h.format, h.count);
      } catch (e) {
        // The CRC matched, so the writer stored this; count it rather than stall the buffer on it.
        this.report(seg, { offset: at, bytes: HEADER_BYTES + h.length, reason: `undecodable payload: ${(e as Error).message}` });
        this.pos = at + HEADER_BYTES + h.length;
        continue;
      }
      this.pos = at + HEADER_BYTES + h.length;
      return { lines, count: h.count, bytes: HEADER_BYTES + h.length, segment: seg.id, end: this.pos, ...(h.format === FORMAT_JSON_LINES ? { ndjson: payload } : {}) };
    }
  }

  /**
   * A record the writer just wrote, still in memory: when it is exactly the next one to read, take
   * it without touching the file (no read, no CRC check, no UTF-8 decode). Returns null otherwise,
   * and the caller reads from disk as usual.
   */
  takeHot(r: HotRecord, maxCount: number): RecordRead | 'limit' | null {
    if (this.closed) return null;
    let seg = this.current();
    if (seg === null) return null;
    this.skipKnownCorrupt(seg);
    if (seg.id !== r.segment) {
      if (this.pos < seg.size || r.offset !== 0) return null;
      const next = this.segments().find((s) => s.id > seg!.id);
      if (!next || next.id !== r.segment) return null;
      this.enter(next, 0);
      seg = next;
    }
    if (this.pos !== r.offset) return null;
    if (r.lines.length > maxCount) return 'limit';
    this.pos = r.end;
    return { lines: r.lines, count: r.lines.length, bytes: r.end - r.offset, segment: r.segment, end: r.end, ndjson: r.ndjson };
  }

  /** True when the reader has already passed the record at `segment`/`offset`. */
  isPast(segment: number, offset: number): boolean {
    const seg = this.seg;
    if (seg === null) return false;
    return segment < seg.id || (segment === seg.id && offset < this.pos);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.closeHandle();
  }

  /**
   * The buffer deleted a consumed segment: drop our handle on it, or its space stays in use until
   * the reader next moves on (which, on a full disk, may be never). Safe: a consumed segment is
   * behind the read position, so no read of it is in progress.
   */
  released(path: string): void {
    if (this.fh !== null && this.fhPath === path) void this.closeHandle();
  }

  private current(): LiveSegment | null {
    if (this.seg !== null) return this.seg;
    const first = this.segments().find((s) => s.id >= this.start.segment);
    if (!first) return null;
    this.enter(first, first.id === this.start.segment ? this.start.offset : 0);
    return first;
  }

  private enter(seg: LiveSegment, pos: number): void {
    this.seg = seg;
    this.pos = pos;
    this.spanIdx = 0;
  }

  private skipKnownCorrupt(seg: LiveSegment): void {
    const spans = seg.corrupt;
    while (this.spanIdx < spans.length) {
      const c = spans[this.spanIdx]!;
      if (c.offset > this.pos) break;
      if (c.offset + c.bytes > this.pos) this.pos = c.offset + c.bytes;
      this.spanIdx++;
    }
  }

  private async handle(seg: LiveSegment): Promise<FileHandle> {
    if (this.fh !== null && this.fhPath === seg.path) return this.fh;
    await this.closeHandle();
    this.fh = await open(seg.path, 'r');
    this.fhPath = seg.path;
    return this.fh;
  }

  private async closeHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => undefined);
  }

  /**
   * Slow path, only after damage: read the rest of the segment, record every corrupt span in it
   * (so each is counted once) and continue at the next valid record.
   */
  private async resync(seg: LiveSegment, fh: FileHandle): Promise<void> {
    const from = this.pos;
    const buf = Buffer.allocUnsafe(seg.size - from);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const known = new Set(seg.corrupt.map((c) => c.offset));
    let firstValid = -1;
    scanSegment(buf.subarray(0, got), {
      record: (r) => { if (firstValid < 0) firstValid = r.offset; },
      corrupt: (c) => { if (!known.has(c.offset)) this.report(seg, c); },
    }, from, from);
    // Bytes the file lost (truncated by hand) can never be read: skip to the segment's end.
    if (got < buf.length && firstValid < 0) this.report(seg, { offset: from + got, bytes: buf.length - got, reason: 'segment shorter than written' });
    seg.corrupt.sort((a, b) => a.offset - b.offset);
    this.spanIdx = 0;
    this.pos = firstValid >= 0 ? firstValid : seg.size;
  }

  private report(seg: LiveSegment, c: CorruptSpan): void {
    seg.corrupt.push(c);
    this.corruptRecords++;
    this.corruptBytes += c.bytes;
    this.log?.warn(`disk buffer: skipped a corrupt record at ${seg.path}:${c.offset} (${c.bytes} bytes): ${c.reason}`, { file: seg.path, offset: c.offset, bytes: c.bytes, reason: c.reason });
  }
}
