/**
 * Where a JSON text goes wrong. V8's JSON.parse messages give a position only for some errors
 * ("Unexpected token 'x', ... is not valid JSON" has none), yet a client sending a bad body
 * needs the line to fix it. This scanner runs only after JSON.parse has failed, so it is
 * written for clarity, not speed. It keeps an explicit stack, so deep nesting cannot overflow
 * the call stack.
 */

const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Offset of the first syntax error in `t`, or -1 when `t` is valid JSON. */
export function jsonErrorOffset(t: string): number {
  const n = t.length;
  let i = 0;
  const stack: ('a' | 'o')[] = [];

  const ws = (): void => {
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const str = (): boolean => {
    if (t[i] !== '"') return false;
    i++;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === 0x22) { i++; return true; }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = t[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) { i++; return false; }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else { i++; return false; }
      } else i++;
    }
    return false;
  };
  /** `"key" :` — leaves i after the colon. */
  const key = (): boolean => {
    ws();
    if (!str()) return false;
    ws();
    if (t[i] !== ':') return false;
    i++;
    return true;
  };

  for (;;) {
    // Expect a value at i.
    ws();
    if (i >= n) return i;
    const c = t[i];
    if (c === '{') {
      i++; ws();
      if (t[i] === '}') i++;
      else { stack.push('o'); if (!key()) return i; continue; }
    } else if (c === '[') {
      i++; ws();
      if (t[i] === ']') i++;
      else { stack.push('a'); continue; }
    } else if (c === '"') {
      if (!str()) return i;
    } else if (t.startsWith('true', i)) i += 4;
    else if (t.startsWith('false', i)) i += 5;
    else if (t.startsWith('null', i)) i += 4;
    else {
      number.lastIndex = i;
      if (!number.test(t)) return i;
      i = number.lastIndex;
    }
    // After a value: separators and closing brackets until the next value is due.
    for (;;) {
      ws();
      if (stack.length === 0) return i < n ? i : -1;
      const top = stack[stack.length - 1];
      const d = t[i];
      if (d === ',') {
        i++;
        if (top === 'o' && !key()) return i;
        break;
      }
      if ((top === 'a' && d === ']') || (top === 'o' && d === '}')) { i++; stack.pop(); continue; }
      return i;
    }
  }
}

/** 1-based line and column of `offset` in `t` (columns count UTF-16 units, as editors mostly do). */
export function lineColumn(t: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, t.length);
  for (let p = t.indexOf('\n'); p !== -1 && p < end; p = t.indexOf('\n', p + 1)) { line++; lineStart = p + 1; }
  return { line, column: end - lineStart + 1 };
}
