/**
 * One open file: reads from its offset into the shared buffer, splits lines, joins multi-line
 * events, decodes, and hands events to the batch assembler with the offset they account for.
 * It notices truncation (size below the offset, or a different first line) and restarts at 0.
 * Finding new files, rotation and closing are the runner's job (runner.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger, StateStore } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { decode, type Decoding } from '../../_shared/decoding.js';
import { badLineEvent, LineSplitter, type LineSink } from '../../_shared/lines.js';
import { FileProgress, readCheckpoint, type BatchAssembler } from './checkpoints.js';
import { fingerprintOf, headChecksum, idOf } from './fingerprint.js';
import { MultilineJoiner, type MultilineRules } from './multiline.js';

export interface TailSettings {
  decoding: Decoding;
  maxLineBytes: number;
  /** '' = do not add the path to events. */
  fileKey: string;
  multiline: MultilineRules | null;
}

export interface TailEnv {
  settings: TailSettings;
  /** The read buffer, shared by all files: reads are sequential and lines are copied out at once. */
  buf: Buffer;
  /** HEAD_BYTES of scratch for fingerprints. */
  scratch: Buffer;
  out: BatchAssembler;
  store: StateStore;
  log: Logger;
}

export class Tailer implements LineSink {
  /** When discovery last failed to find this file under a matched path (0 = it is there). */
  orphanedAt = 0;
  /** The last read or poll found no more data. */
  atEof = false;
  /** The file has no links left (deleted while open). */
  deleted = false;
  private offset = 0;
  private lineEnd = 0;
  /** Offset through which every line has become an event or an error (the checkpoint candidate). */
  private consumed = 0;
  private progress: FileProgress | null = null;
  private head: string | null = null;
  private lastMtime = -1n;
  private now = 0;
  private readonly splitter: LineSplitter;
  private readonly joiner: MultilineJoiner | null;

  private constructor(private readonly fh: FileHandle, public path: string, readonly id: string, private readonly env: TailEnv, private startAt: number) {
    this.splitter = new LineSplitter(env.settings.maxLineBytes, this);
    const ml = env.settings.multiline;
    this.joiner = ml ? new MultilineJoiner(ml, (text, bytes, end) => this.record(text, bytes, end)) : null;
  }

  /**
   * Open a file. Without a checkpoint it starts at its end when `fromEnd` (files present at
   * startup with read_from: end), else at 0. Returns null when the path is not a regular file.
   */
  static async open(path: string, env: TailEnv, fromEnd: boolean): Promise<Tailer | null> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) { await fh.close(); return null; }
      const size = Number(st.size);
      const t = new Tailer(fh, path, idOf(st), env, fromEnd ? await afterLastNewline(fh, size) : 0);
      // Not identifiable yet (no complete first line): wait for it by polling.
      if (!(await t.identify(Number(st.size), false))) t.atEof = true;
      return t;
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  get identified(): boolean { return this.progress !== null; }
  get key(): string | null { return this.progress?.key ?? null; }
  /** When a pending multi-line event times out. */
  get dueAt(): number { return this.joiner ? this.joiner.dueAt : Infinity; }

  setPath(path: string): void {
    this.path = path;
    if (this.progress) this.progress.path = path;
  }

  /** Fingerprint the file and find where to start. False while its first line is incomplete. */
  private async identify(size: number, force: boolean): Promise<boolean> {
    const head = await headChecksum(this.fh, size, this.env.scratch, force);
    if (head === null) return false;
    const key = fingerprintOf(this.id, head);
    const cp = readCheckpoint(this.env.store, key);
    // A checkpoint past the end means the file shrank while we were stopped: start over.
    const start = cp ? (cp.offset <= size ? cp.offset : 0) : Math.min(this.startAt, size);
    this.head = head;
    this.offset = this.lineEnd = this.consumed = start;
    this.progress = new FileProgress(this.env.store, key, start, this.path, this.env.log);
    return true;
  }

  /** Check the open file for new data, truncation and deletion. True when there is data to read. */
  async poll(): Promise<boolean> {
    const st = await this.fh.stat({ bigint: true });
    const size = Number(st.size);
    this.deleted = st.nlink === 0n;
    if (!this.progress && !(await this.identify(size, false))) return false;
    if (size < this.offset) {
      await this.restart(size, `${this.path} shrank from ${this.offset} to ${size} bytes (truncated); reading it again from the start`);
    } else if (st.mtimeNs !== this.lastMtime && this.offset > 0) {
      // Truncated and rewritten past our offset between two polls: only the first line tells.
      const head = await headChecksum(this.fh, size, this.env.scratch, false);
      if (head !== this.head) await this.restart(size, `${this.path} was rewritten (its first line changed); reading it again from the start`);
    }
    this.lastMtime = st.mtimeNs;
    const more = this.progress !== null && size > this.offset;
    if (more) this.atEof = false;
    return more;
  }

  private async restart(size: number, why: string): Promise<void> {
    this.env.log.info(why, { file: this.path });
    // What was read before the truncation is real data: emit the partial line and pending event.
    this.splitter.end();
    this.joiner?.flush();
    this.progress?.retire();
    this.progress = null;
    this.head = null;
    this.startAt = 0;
    this.offset = this.lineEnd = this.consumed = 0;
    await this.identify(size, false);
  }

  /**
   * Read up to `maxChunks` chunks (fewer when the batch assembler fills or at end of file).
   * Returns true when it read anything.
   */
  async read(maxChunks: number, signal: AbortSignal): Promise<boolean> {
    if (!this.progress) return false;
    const { buf, out } = this.env;
    let any = false;
    for (let i = 0; i < maxChunks && !signal.aborted; i++) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) { this.atEof = true; break; }
      any = true;
      this.offset += bytesRead;
      this.now = Date.now();
      this.splitter.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      if (bytesRead < buf.length) { this.atEof = true; break; }
      if (out.full) break;
    }
    out.mark(this.progress, this.consumed);
    return any;
  }

  /** Emit a pending multi-line event whose timeout passed. */
  flushDue(now: number): void {
    if (!this.joiner || now < this.joiner.dueAt) return;
    this.joiner.flush();
    this.consumed = this.lineEnd;
    this.env.out.mark(this.progress, this.consumed);
  }

  /** Before the final reads of a file being closed: identify it even with an incomplete first line. */
  async prepareFinish(): Promise<void> {
    if (this.progress) return;
    const st = await this.fh.stat({ bigint: true });
    await this.identify(Number(st.size), true);
  }

  /** The file is done (deleted or rotated away, read to its end): emit everything, forget it. */
  async finish(): Promise<void> {
    this.splitter.end();
    this.joiner?.flush();
    this.env.out.mark(this.progress, this.consumed);
    this.progress?.retire();
    await this.close();
  }

  /** Close without emitting held lines: they are after the checkpoint and are read again later. */
  async close(): Promise<void> {
    this.joiner?.reset();
    await this.fh.close().catch(() => {});
  }

  // ---- LineSink: called synchronously by the splitter, per line ---------------------------------

  line(text: string, bytes: number): void {
    const start = this.lineEnd;
    // end() counts a newline the last line does not have: never account past what was read.
    const end = this.lineEnd = Math.min(start + bytes, this.offset);
    if (this.joiner === null) { this.record(text, bytes, end); return; }
    this.joiner.push(text, bytes, start, end, this.now);
    this.consumed = this.joiner.pending ? this.joiner.pendingStart : end;
  }

  bad(reason: 'invalid_utf8' | 'line_too_long', preview: string, bytes: number, raw?: Buffer): void {
    const start = this.lineEnd;
    this.lineEnd = Math.min(this.lineEnd + bytes, this.offset);
    this.consumed = this.joiner?.pending ? this.joiner.pendingStart : this.lineEnd;
    const max = this.env.settings.maxLineBytes;
    const why = reason === 'line_too_long' ? `line of ${bytes} bytes exceeds max_line_bytes (${max})` : 'line is not valid UTF-8';
    // The offset lets an operator find the original line (a line too long is not copied).
    this.env.out.errors.push({ event: this.withPath({ ...badLineEvent(preview, raw), line_offset: start, line_bytes: bytes }), reason: `${why} in ${this.path} at byte ${start}`, code: reason });
  }

  private record(text: string, bytes: number, end: number): void {
    this.consumed = end;
    let ev: Event;
    if (this.env.settings.decoding === 'text') ev = { message: text };
    else {
      const r = decode(this.env.settings.decoding, text);
      if (!r.ok) {
        this.env.out.errors.push({ event: this.withPath({ message: text }), reason: `${r.reason} in ${this.path}`, code: 'parse_failed' });
        return;
      }
      ev = r.event;
    }
    this.env.out.add(this.withPath(ev), bytes, this.progress, end);
  }

  private withPath(ev: Event): Event {
    const k = this.env.settings.fileKey;
    if (k !== '') ev[k] = this.path;
    return ev;
  }
}

/**
 * Where `read_from: end` starts: after the last complete line, so a line being written at
 * startup is read whole instead of as a fragment. Looks back at most TAIL_WINDOW bytes.
 */
async function afterLastNewline(fh: FileHandle, size: number): Promise<number> {
  const n = Math.min(size, TAIL_WINDOW);
  if (n === 0) return 0;
  const buf = Buffer.allocUnsafe(n);
  const { bytesRead } = await fh.read(buf, 0, n, size - n);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  if (nl >= 0) return size - n + nl + 1;
  return n === size ? 0 : size;
}

const TAIL_WINDOW = 64 * 1024;
