/**
 * Syslog over TCP framing (RFC 6587), one Framer per connection:
 *   - octet counting: `MSG-LEN SP SYSLOG-MSG`, so messages may contain newlines;
 *   - non-transparent (newline) framing: each message ends with LF (a CR before it is dropped).
 * `auto` decides per connection from the first byte: a digit means octet counting (a syslog
 * message itself starts with `<`). If that first "length" is not followed by a space (an ISO
 * timestamp such as `2024-01-...` sent without PRI), the connection falls back to newline framing.
 *
 * Memory is bounded by max_message_bytes per connection: an oversized octet-counted message is
 * skipped as it streams (only a preview is kept) and reported; the framing stays in sync, so
 * the connection survives. A stream that is not octet counting where it must be cannot be
 * resynchronised: the framer reports it and sets `fatal`, and the caller closes the connection.
 */
import { isUtf8 } from 'node:buffer';
import { LineSplitter } from '../../_shared/lines.js';

export type Framing = 'auto' | 'octet_counting' | 'newline';
export type FrameErrorCode = 'line_too_long' | 'invalid_utf8' | 'parse_failed';

export interface FrameSink {
  message(text: string, bytes: number): void;
  /** An input that could not be framed or decoded; `preview` is its (lossy) start. */
  error(code: FrameErrorCode, reason: string, preview: string, bytes: number): void;
}

const LF = 10;
const CR = 13;
const SP = 32;
const PREVIEW = 200;
/** 10 digits is already 10 GB; a longer "length" is garbage, not a frame. */
const MAX_LEN_DIGITS = 10;

const enum St { Length, Body, Skip }

export class Framer {
  private mode: 'detect' | 'octet' | 'newline';
  private lines: LineSplitter | null = null;
  private st = St.Length;
  private lenText = '';
  private len = 0;
  private remaining = 0;
  private body: Buffer[] = [];
  private skipPreview: Buffer[] = [];
  private skipPreviewBytes = 0;
  private consumed = 0;
  private firstFrame = true;
  private readonly auto: boolean;
  /** Set when the stream cannot be framed any more; the connection should be closed. */
  fatal: string | null = null;

  constructor(framing: Framing, private readonly maxBytes: number, private readonly sink: FrameSink) {
    this.auto = framing === 'auto';
    this.mode = framing === 'auto' ? 'detect' : framing === 'newline' ? 'newline' : 'octet';
    if (this.mode === 'newline') this.lines = this.newLineSplitter();
  }

  get framing(): 'detect' | 'octet' | 'newline' { return this.mode; }

  push(chunk: Buffer): void {
    if (this.fatal !== null || chunk.length === 0) return;
    if (this.mode === 'detect') {
      let i = 0;
      while (i < chunk.length && (chunk[i] === LF || chunk[i] === CR || chunk[i] === SP)) i++;
      this.consumed += i;
      if (i === chunk.length) return;
      const c = chunk[i]!;
      this.mode = c >= 49 && c <= 57 ? 'octet' : 'newline';
      if (this.mode === 'newline') this.lines = this.newLineSplitter();
      chunk = chunk.subarray(i);
    }
    if (this.mode === 'newline') { this.lines!.push(chunk); return; }
    this.pushOctet(chunk);
    this.consumed += chunk.length;
  }

  /** The connection ended: report whatever is incomplete (a final unterminated line is a message). */
  end(): void {
    if (this.fatal !== null) return;
    if (this.lines) { this.lines.end(); return; }
    if (this.st === St.Body) {
      const got = this.len - this.remaining;
      const buf = Buffer.concat(this.body);
      this.body = [];
      this.sink.error('parse_failed', `connection closed in the middle of a ${this.len}-byte message (${got} bytes received)`, buf.toString('utf8', 0, Math.min(buf.length, PREVIEW)), got);
    } else if (this.st === St.Skip) {
      this.reportOversize();
    } else if (this.lenText !== '') {
      this.sink.error('parse_failed', `connection closed after a partial message length "${this.lenText}"`, this.lenText, this.lenText.length);
    }
    this.st = St.Length;
    this.lenText = '';
  }

  private newLineSplitter(): LineSplitter {
    return new LineSplitter(this.maxBytes, {
      line: (text, bytes) => { if (text.length > 0) this.sink.message(text, bytes); },
      bad: (reason, preview, bytes) => this.sink.error(reason, reason === 'line_too_long'
        ? `message of ${bytes} bytes exceeds max_message_bytes (${this.maxBytes})`
        : 'message is not valid UTF-8', preview, bytes),
    });
  }

  private pushOctet(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.st === St.Length) {
        const c = chunk[i]!;
        // Some senders end each octet-counted frame with a newline as well; tolerate it.
        if (this.lenText === '' && (c === LF || c === CR)) { i++; continue; }
        if (c >= 48 && c <= 57 && !(this.lenText === '' && c === 48) && this.lenText.length < MAX_LEN_DIGITS) {
          this.lenText += String.fromCharCode(c);
          i++;
          continue;
        }
        if (c === SP && this.lenText !== '') {
          i++;
          this.len = Number(this.lenText);
          this.lenText = '';
          this.remaining = this.len;
          this.st = this.len > this.maxBytes ? St.Skip : St.Body;
          continue;
        }
        if (this.firstFrame && this.fallbackToNewline(chunk, i)) return;
        this.fatal = `bad octet-counting frame at byte ${this.consumed + i}: expected a message length, found ${describeByte(c)}`;
        const rest = chunk.subarray(i, i + PREVIEW);
        this.sink.error('parse_failed', `${this.fatal}; closing the connection`, this.lenText + rest.toString('utf8'), n - i + this.lenText.length);
        return;
      }
      const take = Math.min(this.remaining, n - i);
      const part = chunk.subarray(i, i + take);
      i += take;
      this.remaining -= take;
      if (this.st === St.Body) {
        if (this.remaining === 0 && this.body.length === 0) this.emit(part);
        else {
          this.body.push(part);
          if (this.remaining === 0) { const buf = Buffer.concat(this.body); this.body = []; this.emit(buf); }
        }
      } else if (this.skipPreviewBytes < PREVIEW) {
        this.skipPreview.push(part.subarray(0, PREVIEW - this.skipPreviewBytes));
        this.skipPreviewBytes += Math.min(part.length, PREVIEW - this.skipPreviewBytes);
      }
      if (this.remaining === 0) {
        if (this.st === St.Skip) this.reportOversize();
        this.st = St.Length;
        this.firstFrame = false;
      }
    }
  }

  /** In auto mode, a first "length" not followed by a space means this sender uses newlines. */
  private fallbackToNewline(chunk: Buffer, i: number): boolean {
    if (!this.auto || !this.firstFrame) return false;
    this.mode = 'newline';
    this.lines = this.newLineSplitter();
    // The digits read so far are ASCII, so they re-encode to exactly the bytes received.
    this.lines.push(Buffer.from(this.lenText, 'latin1'));
    this.lenText = '';
    this.lines.push(chunk.subarray(i));
    return true;
  }

  private emit(buf: Buffer): void {
    let end = buf.length;
    // A trailing newline inside the counted bytes is framing habit, not message text.
    if (end > 0 && buf[end - 1] === LF) end--;
    if (end > 0 && buf[end - 1] === CR) end--;
    if (end === 0) return;
    const b = end === buf.length ? buf : buf.subarray(0, end);
    if (!isUtf8(b)) { this.sink.error('invalid_utf8', 'message is not valid UTF-8', b.toString('utf8', 0, Math.min(end, PREVIEW)), buf.length); return; }
    this.sink.message(b.toString('utf8'), buf.length);
  }

  private reportOversize(): void {
    const preview = Buffer.concat(this.skipPreview).toString('utf8');
    this.skipPreview = [];
    this.skipPreviewBytes = 0;
    this.sink.error('line_too_long', `message of ${this.len} bytes exceeds max_message_bytes (${this.maxBytes})`, preview, this.len);
  }
}

function describeByte(c: number): string {
  return c >= 33 && c < 127 ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
