/**
 * Splits a byte stream into lines (LF, with an optional CR stripped). Lines longer than
 * `maxLineBytes` are reported, not buffered without bound; invalid UTF-8 is reported per line.
 */
import { isUtf8 } from 'node:buffer';

export interface LineSink {
  line(text: string, bytes: number): void;
  /**
   * A line that could not be decoded or was too long; `preview` is its (lossy) start. `raw` is the
   * whole line as read for invalid UTF-8 (at most maxLineBytes), so a dead letter can keep the
   * original bytes; a line too long is not kept (that is the point of the limit).
   */
  bad(reason: 'invalid_utf8' | 'line_too_long', preview: string, bytes: number, raw?: Buffer): void;
}

/** The dead-letter payload of a bad line: the lossy text and, when kept, the exact bytes in base64. */
export function badLineEvent(preview: string, raw?: Buffer): { message: string; message_base64?: string } {
  return raw ? { message: preview, message_base64: raw.toString('base64') } : { message: preview };
}

const LF = 10;
const CR = 13;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while discarding the rest of a line that already exceeded the limit. */
  private skipping = false;
  private skippedBytes = 0;
  private skippedPreview = '';

  constructor(private readonly maxLineBytes: number, private readonly out: LineSink) {}

  push(chunk: Buffer): void {
    // One isUtf8 call per chunk instead of per line: valid chunks (nearly all) skip the per-line
    // check, which measured ~9% of the file source's time on 550-byte lines.
    const chunkValid = isUtf8(chunk);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) break;
      this.emit(chunk, start, nl, chunkValid);
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** End of input: a final line without a newline is still a line. */
  end(): void {
    if (this.skipping) this.finishSkip();
    else if (this.pendingBytes > 0) {
      const buf = Buffer.concat(this.pending);
      this.pending = []; this.pendingBytes = 0;
      this.emit(buf, 0, buf.length, isUtf8(buf));
    }
  }

  /** Bytes held for an unfinished line (for checkpoints: they have not been consumed yet). */
  get buffered(): number { return this.skipping ? this.skippedBytes : this.pendingBytes; }

  private keep(part: Buffer): void {
    if (this.skipping) { this.skippedBytes += part.length; return; }
    if (this.pendingBytes + part.length > this.maxLineBytes) {
      this.skipping = true;
      const head = this.pending.length ? Buffer.concat(this.pending) : part;
      this.skippedPreview = head.subarray(0, 200).toString('utf8');
      this.skippedBytes = this.pendingBytes + part.length;
      this.pending = []; this.pendingBytes = 0;
      return;
    }
    // Copy: the caller may reuse the chunk's memory (fs.read into a shared buffer).
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private finishSkip(): void {
    this.out.bad('line_too_long', this.skippedPreview, this.skippedBytes);
    this.skipping = false; this.skippedBytes = 0; this.skippedPreview = '';
  }

  private emit(chunk: Buffer, start: number, end: number, chunkValid: boolean): void {
    if (this.skipping) {
      this.skippedBytes += end - start + 1;
      this.finishSkip();
      return;
    }
    let buf = chunk;
    let s = start;
    let e = end;
    let valid = chunkValid;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk.subarray(start, end));
      buf = Buffer.concat(this.pending);
      this.pending = []; this.pendingBytes = 0;
      s = 0; e = buf.length;
      valid = isUtf8(buf);
    }
    const total = e - s + 1;
    if (e - s > this.maxLineBytes) {
      this.out.bad('line_too_long', buf.toString('utf8', s, Math.min(e, s + 200)), total);
      return;
    }
    if (e > s && buf[e - 1] === CR) e--;
    if (!valid && !isUtf8(buf.subarray(s, e))) {
      this.out.bad('invalid_utf8', buf.toString('utf8', s, Math.min(e, s + 200)), total, Buffer.from(buf.subarray(s, e)));
      return;
    }
    this.out.line(buf.toString('utf8', s, e), total);
  }
}
