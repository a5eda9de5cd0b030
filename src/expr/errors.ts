// Error types of the expression language and the caret-excerpt formatter.

/** 1-based position where the expression text starts in the config file. */
export interface SourcePosition {
  file?: string;
  line?: number;
  col?: number;
}

/** A compile error: syntax, unknown function, wrong arity, type mismatch known at compile time... */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
  file?: string;
  /** 1-based line in the config file (or in the expression text when no origin was given). */
  line: number;
  /** 1-based column in the config file (or in the expression text when no origin was given). */
  col: number;
  hint?: string;
  /** The bare message, without location and excerpt. */
  reason: string;
  /** 1-based line/column inside the expression text itself. */
  exprLine: number;
  exprCol: number;
  /** True when the text ended before the construct was complete (the REPL reads another line). */
  incomplete: boolean;

  constructor(init: {
    message: string; reason: string; line: number; col: number; exprLine: number; exprCol: number;
    file?: string; hint?: string; incomplete?: boolean;
  }) {
    super(init.message);
    this.reason = init.reason;
    this.line = init.line;
    this.col = init.col;
    this.exprLine = init.exprLine;
    this.exprCol = init.exprCol;
    if (init.file !== undefined) this.file = init.file;
    if (init.hint !== undefined) this.hint = init.hint;
    this.incomplete = init.incomplete ?? false;
  }
}

/** A failure while evaluating a compiled expression against an event. */
export class ExprRuntimeError extends Error {
  override name = 'ExprRuntimeError';
  reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** Thrown by the `abort` statement: the event goes to the component's errors output. */
export class ExprAbort extends Error {
  override name = 'ExprAbort';
  reason: string;
  constructor(reason: string) {
    super(`aborted: ${reason}`);
    this.reason = reason;
  }
}

const MAX_EXCERPT = 100;

/**
 * Build an ExpressionError for the span [start, end) of `src`.
 * Lines after the first are assumed to start at the same column as the first one
 * (true for YAML block scalars when `origin` points at the first content character).
 */
export function compileError(
  src: string, start: number, end: number, reason: string,
  origin?: SourcePosition, hint?: string, incomplete = false,
): ExpressionError {
  start = Math.max(0, Math.min(start, src.length));
  end = Math.max(start + 1, Math.min(end, src.length + 1));
  let lineStart = src.lastIndexOf('\n', start - 1) + 1;
  let exprLine = 1;
  for (let i = 0; i < lineStart; i++) if (src.charCodeAt(i) === 10) exprLine++;
  let lineEnd = src.indexOf('\n', start);
  if (lineEnd < 0) lineEnd = src.length;
  let lineText = src.slice(lineStart, lineEnd).replace(/\r$/, '');
  const exprCol = start - lineStart + 1;
  const line = (origin?.line ?? 1) + exprLine - 1;
  const col = (origin?.col ?? 1) + exprCol - 1;
  const file = origin?.file;

  // Excerpt: keep the caret visible on long lines by cutting a window around it.
  let caretAt = start - lineStart;
  let caretLen = Math.max(1, Math.min(end, lineStart + lineText.length) - start);
  if (lineText.length > MAX_EXCERPT) {
    const from = Math.max(0, caretAt - 40);
    const to = Math.min(lineText.length, from + MAX_EXCERPT);
    lineText = (from > 0 ? '…' : '') + lineText.slice(from, to) + (to < lineText.length ? '…' : '');
    caretAt = caretAt - from + (from > 0 ? 1 : 0);
    caretLen = Math.min(caretLen, Math.max(1, lineText.length - caretAt));
  }
  // Copy tabs from the source line so the caret lines up in a terminal.
  const pad = lineText.slice(0, caretAt).replace(/[^\t]/g, ' ');
  const where = `${file ?? '<expr>'}:${line}:${col}`;
  let message = `${where}: ${reason}\n  ${lineText}\n  ${pad}${'^'.repeat(caretLen)}`;
  if (hint) message += `\n  hint: ${hint}`;
  const init: ConstructorParameters<typeof ExpressionError>[0] = {
    message, reason, line, col, exprLine, exprCol, incomplete,
  };
  if (file !== undefined) init.file = file;
  if (hint !== undefined) init.hint = hint;
  return new ExpressionError(init);
}
