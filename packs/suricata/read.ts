/**
 * Reading EVE records for the suricata pack: typed reads that remember values they could not use,
 * EVE's timestamp format, and the leftover fields that go to OCSF `unmapped`.
 *
 * Every mapping declares, once, the paths it may use (`usedPaths`). A value that is present but
 * cannot be mapped (a port that is a string, a certificate without its issuer) is recorded with
 * `Reader.keep`, so it stays in `unmapped` under its EVE path instead of vanishing with the
 * mapping that could not use it.
 */
import type { Event } from '../../src/core/event.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether an OCSF literal has any member with a value (absent members are undefined). */
export function hasValue(o: Obj): boolean {
  for (const k in o) if (o[k] !== undefined) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Time

// Suricata writes `2026-11-23T10:00:01.123456+0000`: microseconds and an offset without a colon
// (the sensor's local zone). Certificate validity (`notbefore`) has no zone and is UTC.
const EVE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/;

/**
 * The UTC offset in minutes of the last time `eveTime` parsed, undefined when it had none. A
 * module variable rather than a returned pair: the common section parses one time per event, and
 * a result object for it would be one more allocation per event for a value read right after.
 */
export let lastOffset: number | undefined;

/** An EVE time as OCSF milliseconds (sub-millisecond digits are cut, as Date does), or null. */
export function eveTime(v: unknown): number | null {
  lastOffset = undefined;
  // Date.UTC, not Date.parse: `+0000` without a colon is outside ECMAScript's date format, so
  // Date.parse only accepts it through V8's legacy fallback parser. The regex checks the shape;
  // the fields are read with charCodeAt, not from its capture groups, because the groups' eight
  // substrings per call were most of the cost (several times per record: timestamp, flow start
  // and end, certificate validity).
  if (typeof v !== 'string' || !EVE_TIME.test(v)) return null;
  const year = num(v, 0, 4), month = num(v, 5, 2), day = num(v, 8, 2);
  const h = num(v, 11, 2), min = num(v, 14, 2), s = num(v, 17, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return null;
  let i = 19;
  let ms = 0;
  if (v.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
    const digits = i - start;
    ms = digits >= 3 ? num(v, start, 3) : num(v, start, digits) * (digits === 1 ? 100 : 10);
  }
  let t = Date.UTC(year, month - 1, day, h, min, s, ms);
  if (i < v.length) {
    const sign = v.charCodeAt(i);
    if (sign === 90 /* Z */) {
      lastOffset = 0;
    } else {
      // +hhmm or +hh:mm
      const hh = num(v, i + 1, 2), mm = num(v, v.length - 2, 2);
      if (hh > 18 || mm > 59) return null;
      const offset = (sign === 45 /* - */ ? -1 : 1) * (hh * 60 + mm);
      t -= offset * 60_000;
      lastOffset = offset;
    }
  }
  return t;
}

/** The decimal number of `n` ASCII digits at `at` (the caller checked they are digits). */
function num(s: string, at: number, n: number): number {
  let x = 0;
  for (let i = at; i < at + n; i++) x = x * 10 + s.charCodeAt(i) - 48;
  return x;
}

// ---------------------------------------------------------------------------------------------
// Typed reads

/**
 * Reads of one record's values. `path` is the value's dotted EVE path, for `keep`; it is passed
 * as a literal next to the key so no path string is built per read.
 */
export class Reader {
  /** Paths whose value is present but was not mapped: they stay in `unmapped`. */
  kept: string[] | undefined = undefined;
  constructor(readonly e: Event) {}

  keep(path: string): undefined {
    (this.kept ??= []).push(path);
    return undefined;
  }
  /** A non-empty string; absent (undefined or null) is undefined, anything else is kept. */
  str(o: Obj | undefined, k: string, path: string): string | undefined {
    const v = o === undefined ? undefined : o[k];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' && v !== '' ? v : this.keep(path);
  }
  /** A non-negative safe integer (counts, ids, bytes). Suricata writes numbers; digit strings are accepted. */
  count(o: Obj | undefined, k: string, path: string): number | undefined {
    const v = o === undefined ? undefined : o[k];
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : this.keep(path);
  }
  port(o: Obj | undefined, k: string, path: string): number | undefined {
    const n = this.count(o, k, path);
    return n === undefined || n <= 65535 ? n : this.keep(path);
  }
  bool(o: Obj | undefined, k: string, path: string): boolean | undefined {
    const v = o === undefined ? undefined : o[k];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'boolean' ? v : this.keep(path);
  }
  /** A nested EVE object (`alert`, `flow`, `tls.ja3`...). */
  obj(o: Obj | undefined, k: string, path: string): Obj | undefined {
    const v = o === undefined ? undefined : o[k];
    if (v === undefined || v === null) return undefined;
    return isObj(v) ? v : this.keep(path);
  }
  /** An EVE time string as milliseconds. */
  time(o: Obj | undefined, k: string, path: string): number | undefined {
    const v = o === undefined ? undefined : o[k];
    if (v === undefined || v === null) return undefined;
    const t = eveTime(v);
    return t === null ? this.keep(path) : t;
  }
  /** A value from a table of known values; anything else is kept. */
  oneOf<T>(o: Obj | undefined, k: string, path: string, table: ReadonlyMap<string, T>): T | undefined {
    const s = this.str(o, k, path);
    if (s === undefined) return undefined;
    const t = table.get(s);
    return t === undefined ? this.keep(path) : t;
  }
}

// ---------------------------------------------------------------------------------------------
// Leftovers for `unmapped`

/** A compiled set of used paths: `true` uses the value whole, a Map uses some of its members. */
export type Used = ReadonlyMap<string, true | Used>;

/** Compile dotted paths once per mapping (module constants), never per event. */
export function usedPaths(paths: readonly string[]): Used {
  const root = new Map<string, true | Map<string, unknown>>();
  for (const p of paths) {
    let node = root;
    const segs = p.split('.');
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (i === segs.length - 1) { node.set(s, true); break; }
      const next = node.get(s);
      if (next === true) break;
      if (next instanceof Map) { node = next as Map<string, true | Map<string, unknown>>; continue; }
      const m = new Map<string, true | Map<string, unknown>>();
      node.set(s, m);
      node = m;
    }
  }
  return root as Used;
}

/** The members of `e` that `used` does not cover, plus the `kept` paths; undefined when none. */
export function leftover(e: Obj, used: Used, kept: readonly string[] | undefined): Obj | undefined {
  return strip(e, used, kept, '');
}

function strip(o: Obj, used: Used, kept: readonly string[] | undefined, prefix: string): Obj | undefined {
  // for-in, and an output object only when something is left: most events leave little.
  let out: Obj | undefined;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    let v = o[k];
    if (v === undefined) continue;
    const u = used.get(k);
    // Paths are only built when some value was kept, which most events do not have. A kept
    // path keeps its value whole, even where the mapping uses only some of its members.
    if (u !== undefined && (kept === undefined || !kept.includes(prefix + k))) {
      if (u === true) continue;
      if (isObj(v)) {
        v = strip(v, u, kept, kept === undefined ? '' : `${prefix}${k}.`);
        if (v === undefined) continue;
      }
    }
    out ??= {};
    // A `__proto__` key (an own key after JSON.parse) must stay data, not set the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}
