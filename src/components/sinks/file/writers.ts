/**
 * Open output files: append, rotate, compress, fsync, and an LRU pool that bounds open files.
 *
 * Rotation never overwrites: the first file for a rendered path is the path itself
 * (`web-1.ndjson`); when it passes `max_file_bytes` or `max_file_age`, writing continues in
 * `web-1.1.ndjson`, then `web-1.2.ndjson`, ... (the number goes before the extension, and before
 * `.ndjson.gz` as a whole). Files are opened for append (`a`) or created exclusively (`wx`), and a
 * writer that opens a path again continues in the highest-numbered existing file.
 *
 * gzip: every write is compressed into one complete gzip member and appended. A gzip file is a
 * series of members (RFC 1952), so every file is a valid .gz at every moment: a crash or a
 * restart never leaves a torn stream, and the data of a resolved write() is in the OS. With
 * gzip, max_file_bytes counts uncompressed bytes (a resumed file counts its size on disk).
 */
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

export interface WriterOptions {
  compression: 'none' | 'gzip';
  /** 0 = no size rotation. */
  maxBytes: number;
  /** 0 = no age rotation. */
  maxAgeMs: number;
  fsync: boolean;
}

/** `dir/name.ndjson.gz` -> [`dir/name`, `.ndjson.gz`]; a leading dot is part of the stem. */
export function splitExt(path: string): [string, string] {
  const base = basename(path);
  const m = /^(.+?)((?:\.[^.]+)?\.gz|\.[^.]+)$/.exec(base);
  if (!m || m[1] === '') return [path, ''];
  return [path.slice(0, path.length - base.length) + m[1], m[2]!];
}

export function numbered(path: string, n: number): string {
  if (n === 0) return path;
  const [stem, ext] = splitExt(path);
  return `${stem}.${n}${ext}`;
}

/** Highest rotation number present for `path` (0 when only the path itself, or nothing). */
async function highestSeq(path: string): Promise<number> {
  const [stem, ext] = splitExt(path);
  const prefix = `${basename(stem)}.`;
  let max = 0;
  let names: string[];
  try { names = await readdir(dirname(path)); } catch { return 0; }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith(ext)) continue;
    const mid = n.slice(prefix.length, n.length - ext.length);
    if (/^[1-9]\d{0,8}$/.test(mid)) max = Math.max(max, Number(mid));
  }
  return max;
}

export class FileWriter {
  private fh: FileHandle | null = null;
  private seq = 0;
  /** Bytes in the current file (uncompressed with gzip). */
  private bytes = 0;
  private openedAt = 0;
  lastWrite = 0;
  /** The file being written now. */
  current = '';

  constructor(readonly path: string, private readonly opts: WriterOptions) {}

  async open(now: number): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.seq = await highestSeq(this.path);
    this.current = numbered(this.path, this.seq);
    this.fh = await open(this.current, 'a');
    this.bytes = (await this.fh.stat()).size;
    this.openedAt = now;
    this.lastWrite = now;
  }

  /** Append newline-terminated records, rotating between records when a limit is reached. */
  async append(records: string[], now: number): Promise<void> {
    const { maxBytes, maxAgeMs } = this.opts;
    this.lastWrite = now;
    if (maxAgeMs > 0 && this.bytes > 0 && now - this.openedAt >= maxAgeMs) await this.rotate(now);
    const text = records.length === 1 ? records[0]! : records.join('');
    const len = Buffer.byteLength(text);
    if (maxBytes === 0 || this.bytes + len <= maxBytes) { await this.write(text, len); return; }
    // Over the limit: cut between records so each file stays <= maxBytes (or holds one record).
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const r of records) {
      const rl = Buffer.byteLength(r);
      if (this.bytes + chunkBytes + rl > maxBytes && this.bytes + chunkBytes > 0) {
        if (chunk.length) await this.write(chunk.join(''), chunkBytes);
        chunk = []; chunkBytes = 0;
        await this.rotate(now);
      }
      chunk.push(r);
      chunkBytes += rl;
    }
    if (chunk.length) await this.write(chunk.join(''), chunkBytes);
  }

  /**
   * Append bytes that are already whole newline-terminated records (with no size limit to cut
   * them at: callers use this only when max_file_bytes is unset).
   */
  async appendBytes(data: Buffer, now: number): Promise<void> {
    const { maxAgeMs } = this.opts;
    this.lastWrite = now;
    if (maxAgeMs > 0 && this.bytes > 0 && now - this.openedAt >= maxAgeMs) await this.rotate(now);
    await this.writeData(data, data.length);
  }

  private async write(text: string, len: number): Promise<void> {
    await this.writeData(Buffer.from(text, 'utf8'), len);
  }

  private async writeData(data: Buffer, len: number): Promise<void> {
    if (this.opts.compression === 'gzip') data = await gzip(data);
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh!.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.bytes += len;
    if (this.opts.fsync) await this.fh!.sync();
  }

  private async rotate(now: number): Promise<void> {
    await this.close();
    for (let tries = 0; ; tries++) {
      this.seq++;
      const next = numbered(this.path, this.seq);
      try {
        this.fh = await open(next, 'wx');
        this.current = next;
        break;
      } catch (e) {
        // Someone else created it: take the next number, never overwrite.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 1000) throw e;
      }
    }
    this.bytes = 0;
    this.openedAt = now;
  }

  async sync(): Promise<void> {
    await this.fh?.sync();
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (!fh) return;
    try { if (this.opts.fsync) await fh.sync(); } finally { await fh.close(); }
  }
}

/** Open writers by path, least recently used first; at most `max` open at once. */
export class WriterPool {
  private readonly writers = new Map<string, FileWriter>();

  constructor(private readonly max: number, private readonly opts: WriterOptions) {}

  async get(path: string, now: number): Promise<FileWriter> {
    let w = this.writers.get(path);
    if (w) {
      this.writers.delete(path);
      this.writers.set(path, w);
      return w;
    }
    while (this.writers.size >= this.max) {
      const [oldest, ow] = this.writers.entries().next().value as [string, FileWriter];
      this.writers.delete(oldest);
      await ow.close();
    }
    w = new FileWriter(path, this.opts);
    await w.open(now);
    this.writers.set(path, w);
    return w;
  }

  /** Forget a writer after a failed write (its file may hold a partial record; start clean). */
  async drop(path: string): Promise<void> {
    const w = this.writers.get(path);
    this.writers.delete(path);
    await w?.close().catch(() => {});
  }

  /** Close files not written for `idleMs` (yesterday's file, a host that went quiet). */
  async closeIdle(now: number, idleMs: number): Promise<void> {
    for (const [p, w] of [...this.writers]) {
      if (now - w.lastWrite >= idleMs) { this.writers.delete(p); await w.close(); }
    }
  }

  async syncAll(): Promise<void> {
    for (const w of this.writers.values()) await w.sync();
  }

  async closeAll(): Promise<void> {
    const all = [...this.writers.values()];
    this.writers.clear();
    for (const w of all) await w.close();
  }

  get size(): number { return this.writers.size; }
}
