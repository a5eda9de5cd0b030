/**
 * Joins continuation lines (Java stack traces, pretty-printed JSON) into one event.
 *
 * A line either continues the pending event or begins a new one:
 *   halt_before:      a line continues unless it matches `condition_pattern` (default:
 *                     `start_pattern`); a matching line ends the pending event and begins the next.
 *   continue_through: a line continues when it matches `condition_pattern` (when that is not
 *                     set: when it does not match `start_pattern`); any other line begins a new one.
 * A pending event is emitted when a line begins a new one, when it reaches `max_lines` or
 * `max_bytes`, or after `timeout` without a new line (the last event of a quiet file).
 * Lines are joined with "\n". Offsets travel along, so a checkpoint never passes a pending line.
 */
import type RE2 from 're2';

export interface MultilineRules {
  /** Tests whether a line continues the pending event. */
  continues: (line: string) => boolean;
  timeoutMs: number;
  maxLines: number;
  maxBytes: number;
}

export function multilineRules(o: { start: RE2; condition: RE2 | null; mode: 'halt_before' | 'continue_through'; timeoutMs: number; maxLines: number; maxBytes: number }): MultilineRules {
  const { start, condition } = o;
  let continues: (line: string) => boolean;
  if (o.mode === 'halt_before') {
    const halt = condition ?? start;
    continues = (l) => !halt.test(l);
  } else if (condition) {
    continues = (l) => condition.test(l);
  } else {
    continues = (l) => !start.test(l);
  }
  return { continues, timeoutMs: o.timeoutMs, maxLines: o.maxLines, maxBytes: o.maxBytes };
}

/** Receives a joined event: its text, the bytes of its lines and the offset after its last line. */
export type MultilineEmit = (text: string, bytes: number, end: number) => void;

export class MultilineJoiner {
  private parts: string[] = [];
  private bytes = 0;
  /** Offset of the first pending line: the checkpoint must not pass it. */
  private startOffset = 0;
  private endOffset = 0;
  private lastAt = 0;

  constructor(private readonly rules: MultilineRules, private readonly emit: MultilineEmit) {}

  get pending(): boolean { return this.parts.length > 0; }
  get pendingStart(): number { return this.startOffset; }

  /** When the pending event times out (Infinity when nothing is pending). */
  get dueAt(): number { return this.parts.length ? this.lastAt + this.rules.timeoutMs : Infinity; }

  push(line: string, bytes: number, start: number, end: number, now: number): void {
    const r = this.rules;
    if (this.parts.length) {
      if (this.bytes + bytes <= r.maxBytes && r.continues(line)) {
        this.parts.push(line);
        this.bytes += bytes;
        this.endOffset = end;
        this.lastAt = now;
        if (this.parts.length >= r.maxLines) this.flush();
        return;
      }
      this.flush();
    }
    this.parts.push(line);
    this.bytes = bytes;
    this.startOffset = start;
    this.endOffset = end;
    this.lastAt = now;
    if (r.maxLines <= 1) this.flush();
  }

  flush(): void {
    if (!this.parts.length) return;
    const text = this.parts.length === 1 ? this.parts[0]! : this.parts.join('\n');
    const bytes = this.bytes;
    const end = this.endOffset;
    this.parts = [];
    this.bytes = 0;
    this.emit(text, bytes, end);
  }

  /** Drop what is pending without emitting (stop: those lines are re-read after a restart). */
  reset(): void {
    this.parts = [];
    this.bytes = 0;
  }
}
