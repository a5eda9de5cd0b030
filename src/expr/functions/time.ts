// Time: timestamps are numbers of milliseconds since the Unix epoch (like OCSF `time`), durations are
// milliseconds too, so `now() - .time > 5m` just works. Time zones are IANA names resolved with Intl.
import { N, S, Z, def, fail, str } from './registry.js';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function dtf(fn: string, tz: string): Intl.DateTimeFormat {
  let f = dtfCache.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
      });
    } catch {
      throw fail(fn, `unknown time zone ${JSON.stringify(tz)}`);
    }
    if (dtfCache.size > 512) dtfCache.clear();
    dtfCache.set(tz, f);
  }
  return f;
}

const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})?$/;
/** Offset of `tz` from UTC at the instant `ms`, in milliseconds. */
export function offsetAt(fn: string, ms: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Z' || tz === 'GMT' || tz === 'Etc/UTC') return 0;
  const fixed = FIXED_OFFSET.exec(tz);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * 60_000;
  const parts = dtf(fn, tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const asUtc = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const base = ms - (((ms % 1000) + 1000) % 1000);
  return asUtc - base;
}

/** A wall-clock time in `tz` (given as if it were UTC) -> the UTC instant. */
function wallToUtc(fn: string, wall: number, tz: string): number {
  const off = offsetAt(fn, wall, tz);
  const t = wall - off;
  const off2 = offsetAt(fn, t, tz);
  return off2 === off ? t : wall - off2;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

function zoneOffset(z: string): number {
  if (z === 'Z' || z === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
}

function build(fn: string, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) throw fail(fn, 'date or time field out of range');
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, ms);
  if (dt.getUTCDate() !== d && s < 60) throw fail(fn, `invalid day ${d} for month ${mo}`);
  return dt.getTime();
}

function fracMs(f: string | undefined): number {
  return f ? Math.floor(Number(`0.${f}`) * 1000 + 1e-6) : 0;
}

/** RFC 3339 / ISO 8601 (date, optional time, optional zone) -> ms. Exported for parse_syslog. */
export function parseRfc3339(fn: string, s: string, tz = 'UTC'): number {
  const m = RFC3339.exec(s.trim());
  if (!m) throw fail(fn, `invalid RFC 3339 timestamp ${JSON.stringify(s.length > 64 ? s.slice(0, 64) + '…' : s)}`);
  const wall = build(fn, +m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), fracMs(m[7]));
  if (m[8]) return wall - zoneOffset(m[8]);
  return wallToUtc(fn, wall, tz);
}

type Setter = (f: Fields, v: string) => void;
interface Fields { y?: number; mo: number; d: number; h: number; mi: number; s: number; ms: number; pm?: boolean; yday?: number; off?: number; tz?: string; epoch?: number }
interface Compiled { re: RegExp; setters: Setter[] }

const NAMED: Record<string, string> = {
  rfc2822: '%a, %d %b %Y %H:%M:%S %z',
  clf: '%d/%b/%Y:%H:%M:%S %z',
};

const parseCache = new Map<string, Compiled>();
function compileParse(fn: string, fmt: string): Compiled {
  let c = parseCache.get(fmt);
  if (c) return c;
  const setters: Setter[] = [];
  let re = '';
  const cap2 = (pat: string, set: Setter) => { re += `(${pat})`; setters.push(set); };
  const expanded = fmt.replace(/%([TFDR])/g, (_, d: string) => ({ T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M' })[d]!);
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i]!;
    if (ch !== '%') {
      if (/\s/.test(ch)) { re += '\\s+'; while (i + 1 < expanded.length && /\s/.test(expanded[i + 1]!)) i++; }
      else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      continue;
    }
    const d = expanded[++i];
    switch (d) {
      case 'Y': cap2('[+-]?\\d{4}', (f, v) => { f.y = +v; }); break;
      case 'y': cap2('\\d{2}', (f, v) => { f.y = +v < 69 ? 2000 + +v : 1900 + +v; }); break;
      case 'm': cap2('\\d{1,2}', (f, v) => { f.mo = +v; }); break;
      case 'd': cap2('\\d{1,2}', (f, v) => { f.d = +v; }); break;
      case 'e': cap2(' ?\\d{1,2}', (f, v) => { f.d = +v.trim(); }); break;
      case 'H': cap2('\\d{1,2}', (f, v) => { f.h = +v; }); break;
      case 'I': cap2('\\d{1,2}', (f, v) => { f.h = +v % 12; }); break;
      case 'p': cap2('[AaPp][Mm]', (f, v) => { f.pm = v.toLowerCase() === 'pm'; }); break;
      case 'M': cap2('\\d{1,2}', (f, v) => { f.mi = +v; }); break;
      case 'S': cap2('\\d{1,2}', (f, v) => { f.s = +v; }); break;
      case 'f': cap2('\\d{1,9}', (f, v) => { f.ms = fracMs(v); }); break;
      case 'L': cap2('\\d{3}', (f, v) => { f.ms = +v; }); break;
      case 'j': cap2('\\d{1,3}', (f, v) => { f.yday = +v; }); break;
      case 's': cap2('-?\\d+(?:\\.\\d+)?', (f, v) => { f.epoch = Math.round(Number(v) * 1000); }); break;
      case 'z': cap2('[Zz]|[+-]\\d{2}:?\\d{2}', (f, v) => { f.off = zoneOffset(v); }); break;
      case 'Z': cap2('[A-Za-z][A-Za-z0-9_/+-]*', (f, v) => { f.tz = v; }); break;
      case 'b': case 'h': case 'B':
        cap2(MONTHS.map((m) => `${m.slice(0, 3)}(?:${m.slice(3)})?`).join('|'), (f, v) => { f.mo = MONTHS.findIndex((m) => m.startsWith(v.slice(0, 3).toLowerCase())) + 1; });
        break;
      case 'a': case 'A': re += `(?:${DAYS.map((x) => `${x.slice(0, 3)}(?:${x.slice(3)})?`).join('|')})`; break;
      case 'n': case 't': re += '\\s+'; break;
      case '%': re += '%'; break;
      default: throw fail(fn, `unsupported format directive "%${d ?? ''}"`);
    }
  }
  c = { re: new RegExp(`^\\s*${re}\\s*$`, 'i'), setters };
  if (parseCache.size > 256) parseCache.clear();
  parseCache.set(fmt, c);
  return c;
}

export function parseWithFormat(fn: string, s: string, fmt: string, tz: string): number {
  const key = fmt.toLowerCase();
  if (key === 'rfc3339' || key === 'iso8601') return parseRfc3339(fn, s, tz);
  if (key === 'unix' || key === 'unix_ms') {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v)) throw fail(fn, `invalid ${key} timestamp ${JSON.stringify(s)}`);
    return key === 'unix' ? Math.round(v * 1000) : v;
  }
  const c = compileParse(fn, NAMED[key] ?? fmt);
  const m = c.re.exec(s);
  if (!m) throw fail(fn, `${JSON.stringify(s.length > 64 ? s.slice(0, 64) + '…' : s)} does not match the format ${JSON.stringify(fmt)}`);
  const f: Fields = { mo: 1, d: 1, h: 0, mi: 0, s: 0, ms: 0 };
  c.setters.forEach((set, i) => set(f, m[i + 1]!));
  if (f.epoch !== undefined) return f.epoch;
  if (f.pm) f.h += 12;
  const year = f.y ?? new Date().getUTCFullYear();
  let wall: number;
  if (f.yday !== undefined) {
    if (f.yday < 1 || f.yday > 366) throw fail(fn, 'day of year out of range');
    wall = Date.UTC(year, 0, f.yday, f.h, f.mi, f.s, f.ms);
  } else {
    wall = build(fn, year, f.mo, f.d, f.h, f.mi, f.s, f.ms);
  }
  if (f.off !== undefined) return wall - f.off;
  return wallToUtc(fn, wall, f.tz ?? tz);
}

def('parse_timestamp', [S | N | Z, S, S], N, (v: unknown, fmt?: unknown, tz?: unknown) => {
  if (typeof v === 'number') return v;
  const s = str('parse_timestamp', v);
  const zone = tz === undefined || tz === null ? 'UTC' : str('parse_timestamp', tz, 'a time zone name');
  if (fmt === undefined || fmt === null) return parseRfc3339('parse_timestamp', s, zone);
  return parseWithFormat('parse_timestamp', s, str('parse_timestamp', fmt, 'a format string'), zone);
}, { min: 1, fallible: true });

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

export function formatTs(fn: string, ms: number, fmt: string, tz: string): string {
  if (!Number.isFinite(ms)) throw fail(fn, 'invalid timestamp');
  const off = offsetAt(fn, ms, tz);
  const d = new Date(ms + off);
  if (Number.isNaN(d.getTime())) throw fail(fn, 'timestamp out of range');
  const offStr = (colon: boolean) => {
    const m = Math.round(off / 60_000);
    return `${m < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(m) / 60))}${colon ? ':' : ''}${pad(Math.abs(m) % 60)}`;
  };
  if (fmt === 'rfc3339') {
    const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
    return base + (off === 0 ? 'Z' : offStr(true));
  }
  const f = NAMED[fmt] ?? fmt;
  return f.replace(/%(:z|.)/gs, (_, c: string) => {
    switch (c) {
      case 'Y': return pad(d.getUTCFullYear(), 4);
      case 'y': return pad(d.getUTCFullYear() % 100);
      case 'm': return pad(d.getUTCMonth() + 1);
      case 'd': return pad(d.getUTCDate());
      case 'e': return String(d.getUTCDate()).padStart(2, ' ');
      case 'H': return pad(d.getUTCHours());
      case 'I': return pad(((d.getUTCHours() + 11) % 12) + 1);
      case 'p': return d.getUTCHours() < 12 ? 'AM' : 'PM';
      case 'M': return pad(d.getUTCMinutes());
      case 'S': return pad(d.getUTCSeconds());
      case 'L': return pad(d.getUTCMilliseconds(), 3);
      case 'f': return pad(d.getUTCMilliseconds() * 1000, 6);
      case 'j': return pad(Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
      case 's': return String(Math.floor(ms / 1000));
      case 'z': return offStr(false);
      case ':z': return offStr(true);
      case 'Z': return tz === 'Z' ? 'UTC' : tz;
      case 'b': case 'h': return cap(MONTHS[d.getUTCMonth()]!.slice(0, 3));
      case 'B': return cap(MONTHS[d.getUTCMonth()]!);
      case 'a': return cap(DAYS[d.getUTCDay()]!.slice(0, 3));
      case 'A': return cap(DAYS[d.getUTCDay()]!);
      case 'T': return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      case 'F': return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      case 'D': return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)}`;
      case 'R': return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: throw fail(fn, `unsupported format directive "%${c}"`);
    }
  });
}

function toMs(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  return parseRfc3339(fn, str(fn, v, 'a timestamp (milliseconds or an RFC 3339 string)'));
}

def('format_timestamp', [N | S | Z, S, S], S | Z, (v: unknown, fmt?: unknown, tz?: unknown) => {
  if (v === null) return null;
  const f = fmt === undefined || fmt === null ? 'rfc3339' : str('format_timestamp', fmt, 'a format string');
  const zone = tz === undefined || tz === null ? 'UTC' : str('format_timestamp', tz, 'a time zone name');
  return formatTs('format_timestamp', toMs('format_timestamp', v), f, zone);
}, { min: 1, fallible: true });

def('now', [], N, () => Date.now());

const UNITS: Record<string, number> = { seconds: 1 / 1000, milliseconds: 1, microseconds: 1000, nanoseconds: 1e6 };
def('to_unix', [N | S | Z, S], N | Z, (v: unknown, unit?: unknown) => {
  if (v === null) return null;
  const u = unit === undefined || unit === null ? 'seconds' : str('to_unix', unit, 'a unit name');
  const k = UNITS[u];
  if (k === undefined) throw fail('to_unix', `unknown unit ${JSON.stringify(u)} (seconds, milliseconds, microseconds, nanoseconds)`);
  return Math.floor(toMs('to_unix', v) * k);
}, { min: 1, fallible: true });

