// parse_syslog: RFC 5424 and RFC 3164 (BSD) messages.
import { safeSet } from '../runtime.js';
import { parseRfc3339, parseWithFormat } from './time.js';
import { O, S, Z, def, fail, str } from './registry.js';

const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp',
  'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const BSD_TS = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? /;
const ISO_TS = /^(\d{4}-\d{2}-\d{2}T\S+) /;

const nil = (v: string) => (v === '-' ? null : v);
const pid = (v: string | null): string | number | null => (v !== null && /^\d{1,9}$/.test(v) ? Number(v) : v);

function parseSd(fn: string, s: string, at: number): [Record<string, unknown>, number] {
  const sd: Record<string, unknown> = {};
  let i = at;
  while (s[i] === '[') {
    let j = i + 1;
    while (j < s.length && s[j] !== ' ' && s[j] !== ']') j++;
    const id = s.slice(i + 1, j);
    if (id === '') throw fail(fn, 'empty structured-data id');
    const params: Record<string, unknown> = {};
    i = j;
    for (;;) {
      while (s[i] === ' ') i++;
      if (s[i] === ']') { i++; break; }
      const eq = s.indexOf('="', i);
      if (eq < 0) throw fail(fn, 'malformed structured data');
      const name = s.slice(i, eq);
      let v = '';
      let k = eq + 2;
      for (; k < s.length && s[k] !== '"'; k++) {
        if (s[k] === '\\' && (s[k + 1] === '"' || s[k + 1] === '\\' || s[k + 1] === ']')) k++;
        v += s[k];
      }
      if (k >= s.length) throw fail(fn, 'unterminated structured-data value');
      safeSet(params, name, v);
      i = k + 1;
    }
    safeSet(sd, id, params);
  }
  return [sd, i];
}

function parse(fn: string, s: string, tz: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let rest = s.replace(/[\r\n]+$/, '');
  const pm = /^<(\d{1,3})>/.exec(rest);
  if (pm) {
    const pri = Number(pm[1]);
    if (pri > 191) throw fail(fn, `invalid PRI ${pri}`);
    out.pri = pri;
    out.facility = FACILITIES[pri >> 3] ?? null;
    out.severity = SEVERITIES[pri & 7];
    rest = rest.slice(pm[0].length);
  }
  const v = /^(\d{1,2}) /.exec(rest);
  if (pm && v) {
    // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
    out.version = Number(v[1]);
    const parts = rest.slice(v[0].length).split(' ');
    if (parts.length < 6) throw fail(fn, 'truncated RFC 5424 header');
    const [ts, host, app, proc, msgid] = parts as [string, string, string, string, string];
    out.timestamp = ts === '-' ? null : parseRfc3339(fn, ts);
    out.hostname = nil(host);
    out.appname = nil(app);
    out.procid = pid(nil(proc));
    out.msgid = nil(msgid);
    const after = parts.slice(0, 5).join(' ').length + 1;
    const tail = rest.slice(v[0].length + after);
    let i = 0;
    if (tail[0] === '-') i = 1;
    else if (tail[0] === '[') {
      const [sd, end] = parseSd(fn, tail, 0);
      out.structured_data = sd;
      i = end;
    } else throw fail(fn, 'missing structured data ("-" or [id ...])');
    if (i < tail.length) {
      if (tail[i] !== ' ') throw fail(fn, 'expected a space before the message');
      out.message = tail.slice(i + 1).replace(/^\uFEFF/, '');
    } else out.message = '';
    return out;
  }
  // RFC 3164: TIMESTAMP [HOSTNAME] TAG[PID]: MSG
  let m = BSD_TS.exec(rest);
  if (m) {
    out.timestamp = bsdTimestamp(fn, `${m[1]} ${m[2]} ${m[3]}`, tz);
    rest = rest.slice(m[0].length);
  } else if ((m = ISO_TS.exec(rest))) {
    out.timestamp = parseRfc3339(fn, m[1]!, tz);
    rest = rest.slice(m[0].length);
  } else if (!pm) {
    throw fail(fn, 'not a syslog message (no <PRI> and no timestamp)');
  }
  const isTag = (w: string) => /^[^\s:[\]]+(\[[^\]]*\])?:$/.test(w);
  const words = rest.split(' ');
  let w = 0;
  if (words.length > 1 && !isTag(words[0]!) && m) {
    out.hostname = words[0];
    w = 1;
  }
  const tag = words[w] ?? '';
  if (isTag(tag)) {
    const tm = /^([^[:]+)(?:\[([^\]]*)\])?:$/.exec(tag)!;
    out.appname = tm[1];
    if (tm[2] !== undefined) out.procid = pid(tm[2]);
    w++;
  }
  out.message = words.slice(w).join(' ');
  return out;
}

function bsdTimestamp(fn: string, text: string, tz: string): number {
  const now = Date.now();
  const year = new Date(now).getUTCFullYear();
  let t = parseWithFormat(fn, `${year} ${text}`, '%Y %b %d %H:%M:%S', tz);
  // BSD syslog has no year: a date more than a day in the future belongs to last year (December logs read in January).
  if (t > now + 86_400_000) t = parseWithFormat(fn, `${year - 1} ${text}`, '%Y %b %d %H:%M:%S', tz);
  return t;
}

def('parse_syslog', [S | Z, S], O, (s: unknown, tz?: unknown) => {
  const text = str('parse_syslog', s);
  const zone = tz === undefined || tz === null ? 'UTC' : str('parse_syslog', tz, 'a time zone name');
  return parse('parse_syslog', text, zone);
}, { min: 1, fallible: true, fresh: true });
