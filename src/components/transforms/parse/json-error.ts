/**
 * Where and why a JSON text is invalid, for error reasons like
 * `invalid JSON at position 17: expected ',' or '}' after a property value`.
 * V8's JSON.parse messages name a position only for some errors (and quote the whole input for
 * others), so after JSON.parse has thrown, this scanner walks the text once more to find the
 * first offending character. It runs only on the error path, is iterative (no recursion on deep
 * nesting) and mirrors the JSON grammar of RFC 8259 exactly: it reports null (valid) exactly
 * when JSON.parse would succeed.
 */

const enum State { Value, ValueOrClose, Key, KeyOrClose, Colon, After }

const ARRAY = 0;
const OBJECT = 1;

export interface JsonErrorLocation { position: number; message: string }

/** First error in `text`, or null when it is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | null {
  const stack: number[] = [];
  let state = State.Value;
  let i = 0;
  const n = text.length;
  const err = (message: string, at = i): JsonErrorLocation => ({ position: at, message });
  const unexpected = () => (i >= n ? err('unexpected end of input') : err(`unexpected ${describeChar(text, i)}`));
  for (;;) {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++; else break;
    }
    const c = i < n ? text.charCodeAt(i) : -1;
    switch (state) {
      case State.Value:
      case State.ValueOrClose: {
        if (state === State.ValueOrClose && c === 93 /* ] */) { stack.pop(); i++; state = State.After; break; }
        if (c === 123 /* { */) { stack.push(OBJECT); i++; state = State.KeyOrClose; break; }
        if (c === 91 /* [ */) { stack.push(ARRAY); i++; state = State.ValueOrClose; break; }
        let end: number | JsonErrorLocation;
        if (c === 34) end = scanString(text, i);
        else if (c === 45 || (c >= 48 && c <= 57)) end = scanNumber(text, i);
        else if (c === 116) end = literal(text, i, 'true');
        else if (c === 102) end = literal(text, i, 'false');
        else if (c === 110) end = literal(text, i, 'null');
        else return unexpected();
        if (typeof end !== 'number') return end;
        i = end;
        state = State.After;
        break;
      }
      case State.Key:
      case State.KeyOrClose: {
        if (state === State.KeyOrClose && c === 125 /* } */) { stack.pop(); i++; state = State.After; break; }
        if (c !== 34) return i >= n ? err('unexpected end of input') : err(`expected a property name in double quotes, found ${describeChar(text, i)}`);
        const end = scanString(text, i);
        if (typeof end !== 'number') return end;
        i = end;
        state = State.Colon;
        break;
      }
      case State.Colon:
        if (c !== 58) return i >= n ? err('unexpected end of input') : err(`expected ':' after a property name, found ${describeChar(text, i)}`);
        i++;
        state = State.Value;
        break;
      case State.After: {
        if (stack.length === 0) return i >= n ? null : err(`unexpected ${describeChar(text, i)} after the end of the JSON value`);
        const top = stack[stack.length - 1];
        if (c === 44 /* , */) { i++; state = top === ARRAY ? State.Value : State.Key; break; }
        if ((top === ARRAY && c === 93) || (top === OBJECT && c === 125)) { stack.pop(); i++; break; }
        if (i >= n) return err('unexpected end of input');
        return err(top === ARRAY ? `expected ',' or ']' after an array element, found ${describeChar(text, i)}` : `expected ',' or '}' after a property value, found ${describeChar(text, i)}`);
      }
    }
  }
}

/** `invalid JSON at position N: ...` for a text JSON.parse rejected (`fallback` is its message). */
export function describeJsonError(text: string, fallback: string): string {
  const loc = locateJsonError(text);
  return loc ? `invalid JSON at position ${loc.position}: ${loc.message}` : `invalid JSON: ${fallback}`;
}

function scanString(t: string, i: number): number | JsonErrorLocation {
  const open = i++;
  for (;;) {
    if (i >= t.length) return { position: open, message: 'unterminated string' };
    const c = t.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c < 0x20) return { position: i, message: 'control character in a string (must be escaped)' };
    if (c === 92) {
      const e = t.charCodeAt(i + 1);
      if (e === 117 /* u */) {
        for (let k = 2; k < 6; k++) {
          if (!isHex(t.charCodeAt(i + k))) return { position: i, message: 'invalid \\u escape (needs 4 hex digits)' };
        }
        i += 6;
        continue;
      }
      if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) { i += 2; continue; }
      return { position: i, message: i + 1 >= t.length ? 'unterminated string' : `invalid escape \\${t[i + 1]}` };
    }
    i++;
  }
}

function scanNumber(t: string, i: number): number | JsonErrorLocation {
  const start = i;
  if (t.charCodeAt(i) === 45) i++;
  const bad = () => ({ position: start, message: `invalid number ${JSON.stringify(t.slice(start, Math.min(i + 1, start + 30)))}` });
  if (t.charCodeAt(i) === 48) i++;
  else if (isDigit(t.charCodeAt(i))) while (isDigit(t.charCodeAt(i))) i++;
  else return bad();
  if (t.charCodeAt(i) === 46) {
    i++;
    if (!isDigit(t.charCodeAt(i))) return bad();
    while (isDigit(t.charCodeAt(i))) i++;
  }
  const e = t.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    if (t.charCodeAt(i) === 43 || t.charCodeAt(i) === 45) i++;
    if (!isDigit(t.charCodeAt(i))) return bad();
    while (isDigit(t.charCodeAt(i))) i++;
  }
  return i;
}

function literal(t: string, i: number, word: string): number | JsonErrorLocation {
  for (let k = 0; k < word.length; k++) {
    if (t.charCodeAt(i + k) !== word.charCodeAt(k)) return { position: i, message: `unexpected ${describeChar(t, i)}` };
  }
  return i + word.length;
}

function isDigit(c: number): boolean { return c >= 48 && c <= 57; }
function isHex(c: number): boolean { return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102); }

function describeChar(t: string, i: number): string {
  const c = t.codePointAt(i)!;
  if (c < 0x20 || c === 0x7f) return `control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
  // Show a word when the input starts one (`unexpected 'undefined'`), else the character.
  const m = /^[A-Za-z_$][\w$]{0,19}/.exec(t.slice(i, i + 20));
  return m && m[0].length > 1 ? `'${m[0]}'` : `'${String.fromCodePoint(c)}'`;
}
