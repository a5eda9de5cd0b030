/**
 * `web_access`: Apache and nginx access logs, Common and Combined Log Format, to OCSF HTTP
 * Activity (4002).
 *
 *   203.0.113.9 - frank [10/Oct/2026:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.1" 200 2326 "http://ref/" "agent"
 *
 * Input: the raw line in `message` (as the file source reads it). A line that does not parse, or
 * a request line that is not `METHOD target VERSION` (scanners send garbage), comes back with the
 * reason; the garbage request itself is kept, since it is often what an analyst is looking for.
 */
import type { Event } from '../../src/core/event.js';
import { compact, metadata, unmapped } from '../../src/ocsf/map-kit.js';
import type { MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';

const HTTP_ACTIVITY = 4002;
// host ident authuser [date] "request" status bytes ["referer" "user-agent"] [extra...]
const LINE = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(.*)$/;
const REQUEST = /^([A-Z][A-Z0-9_-]*) (\S+) (HTTP\/\d(?:\.\d)?)$/;
const CLF_TIME = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const ACTIVITY: Record<string, number> = { CONNECT: 1, DELETE: 2, GET: 3, HEAD: 4, OPTIONS: 5, POST: 6, PUT: 7, TRACE: 8, PATCH: 9 };
const PRODUCT = { name: 'HTTP server access log', vendor_name: 'Apache / nginx' };
const USED = ['message'];

function clfTime(s: string): number | null {
  const m = CLF_TIME.exec(s);
  if (!m) return null;
  const mon = MONTHS[m[2]!];
  if (mon === undefined) return null;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === '-' ? -1 : 1);
  return Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset * 60_000;
}

// The servers escape `"` and `\` with a backslash; `\xHH` (bytes they would not print) stays as written.
const unescape = (s: string) => (s.includes('\\') ? s.replace(/\\(["\\])/g, '$1') : s);
const nonEmpty = (o: Record<string, unknown>) => (Object.keys(o).length ? o : undefined);
const dash = (s: string | undefined) => (s === undefined || s === '-' || s === '' ? undefined : s);

/** Severity by status: server errors are worth a look (Low), the rest is Informational. */
const severityOf = (status: number | undefined) => (status !== undefined && status >= 500 ? 2 : 1);

function mapLine(e: Event, text: string): MapResult {
  const m = LINE.exec(text);
  if (!m) return { ok: false, reason: 'not an access log line in Common or Combined Log Format' };
  const [, host, ident, authuser, date, rawRequest, statusText, bytesText, referer, agent, extra] = m as unknown as (string | undefined)[];
  const time = clfTime(date!);
  if (time === null) return { ok: false, reason: `invalid time [${date}] (expected dd/Mon/yyyy:hh:mm:ss +zzzz)` };
  const request = unescape(rawRequest!);
  const r = REQUEST.exec(request);
  const status = statusText === '-' ? undefined : Number(statusText);
  const bytes = bytesText === '-' ? undefined : Number(bytesText);
  let url: Record<string, unknown> | undefined;
  if (r) {
    const target = r[2]!;
    const q = target.indexOf('?');
    url = compact({ url_string: target, path: q < 0 ? target : target.slice(0, q), query_string: q < 0 ? undefined : target.slice(q + 1) });
  }
  const rest = unmapped(e, USED);
  const extraText = extra?.trim();
  const ev: OcsfEvent = compact({
    class_uid: HTTP_ACTIVITY,
    // A request line that is not METHOD target VERSION (scanner garbage, TLS bytes on port 80): Other.
    activity_id: r ? ACTIVITY[r[1]!] ?? 99 : 99,
    time,
    severity_id: severityOf(status),
    // `actor` comes from OCSF's host profile, which the event must then declare.
    metadata: metadata(PRODUCT, dash(authuser) ? { log_name: 'access', profiles: ['host'] } : { log_name: 'access' }),
    src_endpoint: compact({ ip: host }),
    actor: dash(authuser) ? { user: { name: authuser } } : undefined,
    http_request: nonEmpty(compact({
      http_method: r?.[1],
      version: r?.[3],
      url,
      referrer: dash(referer !== undefined ? unescape(referer) : undefined),
      user_agent: dash(agent !== undefined ? unescape(agent) : undefined),
    })),
    http_response: status !== undefined ? compact({ code: status, length: bytes }) : undefined,
    status_id: status === undefined ? 0 : status < 400 ? 1 : 2,
    status_code: statusText !== '-' ? statusText : undefined,
    raw_data: text,
    unmapped: rest || dash(ident) || extraText || !r
      ? compact({ ...rest, ident: dash(ident), extra: extraText || undefined, request: r ? undefined : request })
      : undefined,
  });
  return { ok: true, events: [ev] };
}

const pack: Pack = {
  name: 'web_access',
  title: 'Apache / nginx access log',
  classes: [{ class_uid: HTTP_ACTIVITY, class_name: 'HTTP Activity', from: 'every request line; activity from the method (Get, Post, ...), Other for malformed requests' }],
  detect(e) {
    const t = e.message;
    return typeof t === 'string' && t.length < 65_536 && LINE.test(t);
  },
  map(e) {
    if (typeof e.message !== 'string') return { ok: false, reason: 'no access log line in `message`' };
    return mapLine(e, e.message);
  },
};

export default pack;
