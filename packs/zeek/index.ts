/**
 * `zeek`: Zeek conn, dns, http, ssl, ssh and notice logs to OCSF.
 *
 * Input: one Zeek log record with Zeek's own flat field names (`ts`, `uid`, `id.orig_h`...),
 * either read from a TSV log by src/formats/zeek.ts (which adds `_path` from the #path header) or
 * parsed from Zeek's JSON output (which usually has no `_path`; the log type is then recognised
 * from its fields). `ts` may be epoch seconds (Zeek's default) or an ISO 8601 string
 * (`LogAscii::json_timestamps`).
 *
 *   conn   -> Network Activity (4001), activity from conn_state
 *   dns    -> DNS Activity (4003), query, answers, rcode
 *   http   -> HTTP Activity (4002), activity from the method
 *   ssl    -> Network Activity (4001) with `tls` (OCSF 1.8.0 has no TLS class)
 *   ssh    -> SSH Activity (4007)
 *   notice -> Detection Finding (2004)
 *
 * Zeek's `uid` names a connection, and several records share it (its conn, dns, http and ssl
 * entries, and every HTTP request on it), so it goes to connection_info.uid and
 * metadata.correlation_uid, not metadata.uid (which OCSF defines as unique per event).
 *
 * Objects are built by setting only the members that have a value (`set`), not by building them
 * with undefined members and compacting: map() runs per event, and the copies cost more than the
 * rest of the mapping together.
 */
import type { Event } from '../../src/core/event.js';
import { endpoint, metadata, toTime } from '../../src/ocsf/map-kit.js';
import type { MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { field, unmappedFields, usedFields, type UsedFields } from './flat.js';

const NETWORK_ACTIVITY = 4001;
const HTTP_ACTIVITY = 4002;
const DNS_ACTIVITY = 4003;
const SSH_ACTIVITY = 4007;
const DETECTION_FINDING = 2004;
const PRODUCT = { name: 'Zeek', vendor_name: 'Zeek' };

type Kind = 'conn' | 'dns' | 'http' | 'ssl' | 'ssh' | 'notice';
const KINDS: ReadonlySet<string> = new Set<Kind>(['conn', 'dns', 'http', 'ssl', 'ssh', 'notice']);

// ---------------------------------------------------------------------------------------------
// Recognising the log type

const has = (e: Event, k: string) => Object.hasOwn(e, k);

/** The log type from the fields (Zeek JSON has no `_path` by default). Cheap: a few own-key checks. */
function shapeOf(e: Event): Kind | undefined {
  if (!has(e, 'ts')) return undefined;
  if (has(e, 'note') && has(e, 'msg')) return 'notice';
  if (has(e, 'conn_state') && has(e, 'proto')) return 'conn';
  if ((has(e, 'query') && has(e, 'qtype_name')) || (has(e, 'trans_id') && has(e, 'RD'))) return 'dns';
  // sip.log also has method, uri and status_code, but always call_id.
  if (((has(e, 'method') && has(e, 'uri')) || (has(e, 'trans_depth') && has(e, 'status_code'))) && !has(e, 'call_id')) return 'http';
  if ((has(e, 'established') && (has(e, 'resumed') || has(e, 'server_name'))) || (typeof e.version === 'string' && (has(e, 'cipher') || has(e, 'server_name')))) return 'ssl';
  if (has(e, 'auth_success') || has(e, 'auth_attempts') || (has(e, 'client') && has(e, 'server'))) return 'ssh';
  return undefined;
}

function kindOf(e: Event): Kind | undefined {
  const p = e._path;
  if (typeof p === 'string' && KINDS.has(p)) return p as Kind;
  return shapeOf(e);
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

type Obj = Record<string, unknown>;

/** o[k] = v when v is defined. */
function set(o: Obj, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v;
}

function nonEmpty(o: Obj): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

/**
 * Typed reads of one record's fields. A field that is present but not of its Zeek type (a
 * shipper that turned ports into strings, a null) is remembered in `bad`, so it stays in
 * `unmapped` instead of vanishing with the mapping that could not use it.
 */
class Rec {
  bad: string[] | undefined;
  constructor(readonly e: Event) {}
  reject(name: string): undefined {
    (this.bad ??= []).push(name);
    return undefined;
  }
  str(name: string): string | undefined {
    const v = field(this.e, name);
    return v === undefined ? undefined : typeof v === 'string' && v !== '' ? v : this.reject(name);
  }
  num(name: string): number | undefined {
    const v = field(this.e, name);
    return v === undefined ? undefined : typeof v === 'number' && Number.isFinite(v) ? v : this.reject(name);
  }
  int(name: string): number | undefined {
    const v = field(this.e, name);
    return v === undefined ? undefined : typeof v === 'number' && Number.isSafeInteger(v) ? v : this.reject(name);
  }
  bool(name: string): boolean | undefined {
    const v = field(this.e, name);
    return v === undefined ? undefined : typeof v === 'boolean' ? v : this.reject(name);
  }
  port(name: string): number | undefined {
    const v = this.int(name);
    return v === undefined || (v >= 0 && v <= 65535) ? v : this.reject(name);
  }
  /** An interval in seconds, as OCSF milliseconds. */
  ms(name: string): number | undefined {
    const v = this.num(name);
    return v === undefined ? undefined : Math.round(v * 1000);
  }
  /** A value from a table of known values; anything else is rejected (kept in unmapped). */
  oneOf<T>(name: string, table: Readonly<Record<string, T>>): T | undefined {
    const v = this.str(name);
    return v === undefined ? undefined : Object.hasOwn(table, v) ? table[v] : this.reject(name);
  }
}

const CONN_ID = ['ts', 'uid', '_path', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'];

/** IANA protocol names and numbers for the transports Zeek names; ICMP over IPv6 is its own protocol. */
const PROTOCOLS: Record<string, [string, number, string, number]> = {
  tcp: ['tcp', 6, 'tcp', 6],
  udp: ['udp', 17, 'udp', 17],
  icmp: ['icmp', 1, 'ipv6-icmp', 58],
};

interface Common {
  r: Rec;
  time: number;
  uid: string | undefined;
  origH: string | undefined;
  ipv6: boolean;
}

function common(e: Event, kind: Kind): Common | string {
  const time = toTime(e.ts);
  if (time === null) {
    return e.ts === undefined
      ? `Zeek ${kind} record has no ts`
      : `Zeek ${kind} record has an invalid ts ${JSON.stringify(e.ts)} (expected epoch seconds or an ISO 8601 time)`;
  }
  const r = new Rec(e);
  const origH = r.str('id.orig_h');
  return { r, time, uid: r.str('uid'), origH, ipv6: origH !== undefined && origH.includes(':') };
}

/** The event's skeleton: ids, time, metadata. */
function base(c: Common, kind: Kind, classUid: number, activityId: number, severityId: number, statusId: number): Obj {
  const extra: Obj = { log_name: c.r.str('_path') ?? kind };
  set(extra, 'correlation_uid', c.uid);
  return { class_uid: classUid, activity_id: activityId, time: c.time, severity_id: severityId, status_id: statusId, metadata: metadata(PRODUCT, extra) };
}

/** connection_info; `proto` names the field holding the transport, or is the transport itself. */
function connectionInfo(c: Common, proto: { field: string } | 'tcp' | undefined, directionId = 0): Obj {
  const o: Obj = {};
  set(o, 'uid', c.uid);
  const p = proto === undefined ? undefined : proto === 'tcp' ? PROTOCOLS.tcp : c.r.oneOf(proto.field, PROTOCOLS);
  if (p) {
    o.protocol_name = c.ipv6 ? p[2] : p[0];
    o.protocol_num = c.ipv6 ? p[3] : p[1];
  }
  if (c.origH !== undefined) o.protocol_ver_id = c.ipv6 ? 6 : 4;
  o.direction_id = directionId;
  return o;
}

/** src_endpoint and dst_endpoint from id.orig_h/p and id.resp_h/p. */
function addEndpoints(ev: Obj, c: Common, ports = true): void {
  set(ev, 'src_endpoint', endpoint(c.origH, ports ? c.r.port('id.orig_p') : undefined));
  set(ev, 'dst_endpoint', endpoint(c.r.str('id.resp_h'), ports ? c.r.port('id.resp_p') : undefined));
}

function finish(ev: Obj, c: Common, used: UsedFields, extra?: readonly string[]): MapResult {
  set(ev, 'unmapped', unmappedFields(c.r.e, used, extra, c.r.bad));
  return { ok: true, events: [ev as OcsfEvent] };
}

// ---------------------------------------------------------------------------------------------
// conn.log -> Network Activity

/** conn_state -> [activity_id, status_id, Zeek's description], for TCP. */
const CONN_STATES: Record<string, [number, number, string]> = {
  S0: [4, 2, 'Connection attempt seen, no reply'],
  S1: [1, 1, 'Connection established, not terminated'],
  SF: [2, 1, 'Normal establishment and termination'],
  REJ: [5, 2, 'Connection attempt rejected'],
  S2: [2, 1, 'Connection established and close attempt by originator seen (but no reply from responder)'],
  S3: [2, 1, 'Connection established and close attempt by responder seen (but no reply from originator)'],
  RSTO: [3, 1, 'Connection established, originator aborted (sent a RST)'],
  RSTR: [3, 0, 'Responder sent a RST'],
  RSTOS0: [3, 2, 'Originator sent a SYN followed by a RST, never saw a SYN-ACK from the responder'],
  RSTRH: [3, 0, 'Responder sent a SYN ACK followed by a RST, never saw a SYN from the (purported) originator'],
  SH: [4, 2, 'Originator sent a SYN followed by a FIN, never saw a SYN ACK from the responder (hence the connection was "half" open)'],
  SHR: [2, 0, 'Responder sent a SYN ACK followed by a FIN, never saw a SYN from the originator'],
  OTH: [6, 0, 'No SYN seen, just midstream traffic'],
};
/** For UDP and ICMP Zeek has no handshake to follow: the states only say which sides were active. */
const NOT_TCP_STATES: Record<string, string> = {
  S0: 'Only the originator sent packets, no reply',
  SF: 'Both sides sent packets',
  SHR: 'Only the responder sent packets',
};

const CONN_USED = usedFields([
  ...CONN_ID, 'proto', 'ip_proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp',
  'missed_bytes', 'history', 'orig_pkts', 'resp_pkts', 'community_id', 'orig_l2_addr', 'resp_l2_addr',
]);
// ICMP "ports" are the message type and code: kept in unmapped, not presented as ports.
const ICMP_USED = usedFields([...CONN_USED].filter((k) => k !== 'id.orig_p' && k !== 'id.resp_p'));

function direction(localOrig: boolean | undefined, localResp: boolean | undefined): number {
  if (localOrig === true) return localResp === true ? 3 : localResp === false ? 2 : 0;
  if (localOrig === false && localResp === true) return 1;
  return 0;
}

/** Zeek's local_orig / local_resp as the endpoint's network_scope_id (Internal 1, External 2), and its MAC. */
function addLocal(ep: unknown, local: boolean | undefined, mac: string | undefined): void {
  if (ep === undefined) return;
  const o = ep as Obj;
  if (local !== undefined) o.network_scope_id = local ? 1 : 2;
  set(o, 'mac', mac);
}

function mapConn(c: Common): MapResult {
  const r = c.r;
  const proto = r.e.proto;
  const tcp = proto === 'tcp';
  const icmp = proto === 'icmp';
  const state = r.str('conn_state');
  const s = tcp && state !== undefined ? CONN_STATES[state] : undefined;
  const ev = base(c, 'conn', NETWORK_ACTIVITY, s ? s[0] : 6, 1, s ? s[1] : 0);
  set(ev, 'status_code', state);
  set(ev, 'status_detail', state === undefined ? undefined : s ? s[2] : tcp ? undefined : NOT_TCP_STATES[state]);
  // Zeek's ts is when the connection started.
  ev.start_time = c.time;
  const durationMs = r.ms('duration');
  if (durationMs !== undefined) {
    ev.end_time = c.time + durationMs;
    ev.duration = durationMs;
  }
  addEndpoints(ev, c, !icmp);
  const localOrig = r.bool('local_orig'), localResp = r.bool('local_resp');
  addLocal(ev.src_endpoint, localOrig, r.str('orig_l2_addr'));
  addLocal(ev.dst_endpoint, localResp, r.str('resp_l2_addr'));
  const ci = connectionInfo(c, { field: 'proto' }, direction(localOrig, localResp));
  set(ci, 'protocol_num', r.int('ip_proto'));
  const history = r.str('history');
  set(ci, 'flag_history', history);
  set(ci, 'community_uid', r.str('community_id'));
  ev.connection_info = ci;
  // Zeek names the originator from the SYN (S) or the responder from the SYN-ACK (h); without
  // either (midstream traffic) it guessed.
  if (tcp && history !== undefined) ev.is_src_dst_assignment_known = history.includes('S') || history.includes('h');
  set(ev, 'app_protocol_name', r.str('service'));
  const ob = r.int('orig_bytes'), rb = r.int('resp_bytes'), op = r.int('orig_pkts'), rp = r.int('resp_pkts'), missed = r.int('missed_bytes');
  if (ob !== undefined || rb !== undefined || op !== undefined || rp !== undefined || missed !== undefined) {
    const t: Obj = {};
    set(t, 'bytes_out', ob);
    set(t, 'bytes_in', rb);
    if (ob !== undefined && rb !== undefined) t.bytes = ob + rb;
    set(t, 'packets_out', op);
    set(t, 'packets_in', rp);
    if (op !== undefined && rp !== undefined) t.packets = op + rp;
    set(t, 'bytes_missed', missed);
    ev.traffic = t;
  }
  return finish(ev, c, icmp ? ICMP_USED : CONN_USED);
}

// ---------------------------------------------------------------------------------------------
// dns.log -> DNS Activity

const DNS_USED = usedFields([...CONN_ID, 'proto', 'trans_id', 'rtt', 'query', 'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'answers', 'TTLs']);
const DNS_FLAGS = ['AA', 'TC', 'RD', 'RA'];
/** RFC 1035 class mnemonics (OCSF's example is `IN`); Zeek names them C_INTERNET and so on. */
const DNS_CLASSES: Record<number, string> = { 1: 'IN', 2: 'CS', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };

/** OCSF rcode_id: 0-11 and 16-23 are the RFC 6895 codes; the rest are Unassigned (24) or Reserved (25). */
function rcodeId(rcode: number): number {
  if ((rcode >= 0 && rcode <= 11) || (rcode >= 16 && rcode <= 23)) return rcode;
  if ((rcode >= 3841 && rcode <= 4095) || rcode === 65535) return 25;
  return 24;
}

const isText = (v: unknown) => v === null || (typeof v === 'string' && v !== '');
const isSeconds = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

function dnsAnswers(c: Common, transId: number | undefined, extra: string[]): Obj[] | undefined {
  const r = c.r;
  const e = r.e;
  // answers and TTLs are parallel vectors; anything else is kept as it came.
  const list = Array.isArray(e.answers) && e.answers.every(isText) ? (e.answers as (string | null)[]) : e.answers === undefined ? undefined : r.reject('answers');
  let ttls = Array.isArray(e.TTLs) && e.TTLs.every(isSeconds) ? (e.TTLs as (number | null)[]) : e.TTLs === undefined ? undefined : r.reject('TTLs');
  if (ttls && (!list || ttls.length !== list.length)) ttls = r.reject('TTLs');
  if (!list || !list.some((a) => a !== null)) return undefined;
  // Zeek logs the response header flags once per response; OCSF carries them on each answer.
  const flagIds: number[] = [];
  for (let i = 0; i < DNS_FLAGS.length; i++) {
    const f = r.bool(DNS_FLAGS[i]!);
    if (f !== undefined) extra.push(DNS_FLAGS[i]!);
    if (f) flagIds.push(i + 1);
  }
  const answers: Obj[] = [];
  for (let i = 0; i < list.length; i++) {
    const rdata = list[i];
    if (rdata === null || rdata === undefined) continue;
    const a: Obj = { rdata };
    const ttl = ttls?.[i];
    if (ttl !== null && ttl !== undefined) a.ttl = Math.round(ttl);
    set(a, 'packet_uid', transId);
    if (flagIds.length) a.flag_ids = flagIds;
    answers.push(a);
  }
  return answers;
}

function mapDns(c: Common): MapResult {
  const r = c.r;
  const transId = r.int('trans_id');
  const extra: string[] = [];
  const answers = dnsAnswers(c, transId, extra);
  const rcode = r.int('rcode');
  // Zeek logs a query and its response as one record.
  const ev = base(c, 'dns', DNS_ACTIVITY, rcode !== undefined || answers !== undefined ? 6 : 1, 1, rcode === undefined ? 0 : rcode === 0 ? 1 : 2);
  ev.query_time = c.time;
  const rttMs = r.ms('rtt');
  if (rttMs !== undefined) ev.response_time = c.time + rttMs;
  addEndpoints(ev, c);
  ev.connection_info = connectionInfo(c, { field: 'proto' });
  const hostname = r.str('query');
  const qtype = r.int('qtype'), qclass = r.int('qclass');
  const typeName = r.str('qtype_name'), className = r.str('qclass_name');
  if (hostname !== undefined) {
    const q: Obj = { hostname };
    set(q, 'type', typeName === '*' ? 'ANY' : typeName ?? (qtype === undefined ? undefined : String(qtype)));
    set(q, 'class', (qclass !== undefined && Object.hasOwn(DNS_CLASSES, qclass) ? DNS_CLASSES[qclass] : undefined) ?? className ?? (qclass === undefined ? undefined : String(qclass)));
    set(q, 'packet_uid', transId);
    ev.query = q;
  }
  set(ev, 'answers', answers);
  if (rcode !== undefined) ev.rcode_id = rcodeId(rcode);
  return finish(ev, c, DNS_USED, extra);
}

// ---------------------------------------------------------------------------------------------
// http.log -> HTTP Activity

const HTTP_METHODS: Record<string, number> = { CONNECT: 1, DELETE: 2, GET: 3, HEAD: 4, OPTIONS: 5, POST: 6, PUT: 7, TRACE: 8, PATCH: 9 };
const HTTP_USED = usedFields([...CONN_ID, 'version', 'referrer', 'user_agent', 'request_body_len']);
const HOST_PORT = /^(.*?):(\d{1,5})$/;
const ABSOLUTE = /^(https?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i;

/**
 * The request URL from the Host header and the request target (origin form or, via proxies,
 * absolute). `hostUsed` says whether the Host header is in the URL (else it stays in unmapped).
 */
function httpUrl(host: string | undefined, uri: string | undefined): { url: Obj; hostUsed: boolean } | undefined {
  if (uri === undefined) return undefined;
  const url: Obj = {};
  let authority = host;
  const abs = ABSOLUTE.exec(uri);
  if (abs) {
    authority = abs[2] || host;
    url.url_string = uri;
    url.scheme = abs[1]!.toLowerCase();
  } else if (uri.charCodeAt(0) === 47 /* / */) {
    if (host !== undefined) {
      url.url_string = `http://${host}${uri}`;
      url.scheme = 'http';
    }
  } else {
    return undefined; // CONNECT host:port or garbage: no URL; `uri` stays in unmapped
  }
  if (authority !== undefined) {
    let hostname = authority;
    const hp = authority.endsWith(']') ? null : HOST_PORT.exec(authority);
    if (hp && !hp[1]!.includes(':') && Number(hp[2]) <= 65535) { hostname = hp[1]!; url.port = Number(hp[2]); }
    if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
    if (hostname !== '') url.hostname = hostname;
  }
  const path = abs ? abs[3] || '/' : uri;
  const q = abs ? -1 : path.indexOf('?');
  url.path = q < 0 ? path : path.slice(0, q);
  const query = abs ? abs[4] : q < 0 ? undefined : uri.slice(q + 1);
  set(url, 'query_string', query);
  return { url, hostUsed: host !== undefined && authority === host };
}

function mapHttp(c: Common): MapResult {
  const r = c.r;
  const method = r.str('method');
  const known = method !== undefined && Object.hasOwn(HTTP_METHODS, method);
  const code = r.int('status_code');
  const ev = base(c, 'http', HTTP_ACTIVITY, method === undefined ? 0 : known ? HTTP_METHODS[method]! : 99, 1, code === undefined ? 0 : code < 400 ? 1 : 2);
  addEndpoints(ev, c);
  ev.connection_info = connectionInfo(c, 'tcp');
  const extra: string[] = [];
  const u = httpUrl(r.str('host'), r.str('uri'));
  if (u) extra.push('uri');
  if (u?.hostUsed) extra.push('host');
  const req: Obj = {};
  if (known) { req.http_method = method; extra.push('method'); }
  set(req, 'url', u?.url);
  set(req, 'version', r.str('version'));
  set(req, 'referrer', r.str('referrer'));
  set(req, 'user_agent', r.str('user_agent'));
  set(req, 'body_length', r.int('request_body_len'));
  if (nonEmpty(req)) ev.http_request = req;
  if (code !== undefined) {
    const res: Obj = { code };
    set(res, 'status', r.str('status_msg'));
    set(res, 'body_length', r.int('response_body_len'));
    ev.http_response = res;
    extra.push('status_code', 'status_msg', 'response_body_len');
  }
  return finish(ev, c, HTTP_USED, extra);
}

// ---------------------------------------------------------------------------------------------
// ssl.log -> Network Activity with tls

/** TLS alert descriptions (RFC 8446 6, RFC 5246 7.2) as Zeek names them -> their numbers. */
const TLS_ALERTS: Record<string, number> = {
  close_notify: 0, unexpected_message: 10, bad_record_mac: 20, decryption_failed: 21, record_overflow: 22,
  decompression_failure: 30, handshake_failure: 40, no_certificate: 41, bad_certificate: 42, unsupported_certificate: 43,
  certificate_revoked: 44, certificate_expired: 45, certificate_unknown: 46, illegal_parameter: 47, unknown_ca: 48,
  access_denied: 49, decode_error: 50, decrypt_error: 51, export_restriction: 60, protocol_version: 70,
  insufficient_security: 71, internal_error: 80, inappropriate_fallback: 86, user_canceled: 90, no_renegotiation: 100,
  missing_extension: 109, unsupported_extension: 110, certificate_unobtainable: 111, unrecognized_name: 112,
  bad_certificate_status_response: 113, bad_certificate_hash_value: 114, unknown_psk_identity: 115,
  certificate_required: 116, no_application_protocol: 120,
};
const UNKNOWN_ALERT = /^unknown-(\d{1,3})$/;

function alertNumber(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (Object.hasOwn(TLS_ALERTS, v)) return TLS_ALERTS[v];
  const m = UNKNOWN_ALERT.exec(v);
  return m && Number(m[1]) <= 255 ? Number(m[1]) : undefined;
}

const SSL_USED = usedFields([...CONN_ID, 'established']);

function mapSsl(c: Common): MapResult {
  const r = c.r;
  const established = r.bool('established');
  const ev = base(c, 'ssl', NETWORK_ACTIVITY, 6, 1, established === undefined ? 0 : established ? 1 : 2);
  addEndpoints(ev, c);
  ev.connection_info = connectionInfo(c, undefined);
  const extra: string[] = [];
  const version = r.str('version');
  // tls.version is required: a handshake Zeek did not see complete has none, and then its SNI
  // and the rest stay in unmapped rather than in an invalid tls object.
  if (version !== undefined) {
    const tls: Obj = { version };
    set(tls, 'cipher', r.str('cipher'));
    set(tls, 'sni', r.str('server_name'));
    const alert = alertNumber(r.e.last_alert);
    if (alert !== undefined) { tls.alert = alert; extra.push('last_alert'); }
    const ja3 = r.str('ja3'), ja3s = r.str('ja3s');
    if (ja3 !== undefined) tls.ja3_hash = { algorithm_id: 1, value: ja3 };
    if (ja3s !== undefined) tls.ja3s_hash = { algorithm_id: 1, value: ja3s };
    ev.tls = tls;
    extra.push('version', 'cipher', 'server_name', 'ja3', 'ja3s');
  }
  return finish(ev, c, SSL_USED, extra);
}

// ---------------------------------------------------------------------------------------------
// ssh.log -> SSH Activity

const SSH_USED = usedFields([...CONN_ID, 'version', 'auth_success', 'direction', 'hassh', 'hasshAlgorithms', 'hasshServer', 'hasshServerAlgorithms']);
const SSH_DIRECTION: Record<string, number> = { INBOUND: 1, OUTBOUND: 2 };

function hassh(r: Rec, fp: string, algorithms: string): Obj | undefined {
  const value = r.str(fp);
  const alg = r.str(algorithms);
  if (value === undefined) return alg === undefined ? undefined : r.reject(algorithms);
  const o: Obj = { fingerprint: { algorithm_id: 20, value } };
  set(o, 'algorithm', alg);
  return o;
}

function mapSsh(c: Common): MapResult {
  const r = c.r;
  // Zeek infers the outcome from the encrypted session's size and timing; unset when it cannot tell.
  const auth = r.bool('auth_success');
  const ev = base(c, 'ssh', SSH_ACTIVITY, 1, 1, auth === undefined ? 0 : auth ? 1 : 2);
  addEndpoints(ev, c);
  ev.connection_info = connectionInfo(c, 'tcp', r.oneOf('direction', SSH_DIRECTION) ?? 0);
  const v = r.e.version;
  // A count in Zeek's output; some shippers write it as a string.
  set(ev, 'protocol_ver', typeof v === 'number' && Number.isInteger(v) ? String(v) : r.str('version'));
  set(ev, 'client_hassh', hassh(r, 'hassh', 'hasshAlgorithms'));
  set(ev, 'server_hassh', hassh(r, 'hasshServer', 'hasshServerAlgorithms'));
  return finish(ev, c, SSH_USED);
}

// ---------------------------------------------------------------------------------------------
// notice.log -> Detection Finding

const NOTICE_USED = usedFields([...CONN_ID, 'note', 'msg', 'proto']);

function mapNotice(c: Common): MapResult {
  const r = c.r;
  const e = r.e;
  const note = r.str('note');
  if (note === undefined) return { ok: false, reason: 'Zeek notice record has no note (the notice type, e.g. SSL::Invalid_Server_Cert)' };
  const msg = r.str('msg');
  // Zeek notices carry no severity; a new finding is New.
  const ev = base(c, 'notice', DETECTION_FINDING, 1, 0, 1);
  set(ev, 'message', msg);
  // Zeek gives a notice no id of its own: its type on its connection (or at its time) is one.
  const info: Obj = { uid: `${c.uid ?? String(e.ts)}/${note}`, title: note };
  set(info, 'desc', msg);
  info.types = [note];
  ev.finding_info = info;
  // The connection's endpoints when the notice has one; otherwise the notice's own src, dst and
  // p. When both are there and agree, src/dst/p say nothing new and count as used.
  const extra: string[] = [];
  const evidence: Obj = {};
  addEndpoints(evidence, c);
  const src = evidence.src_endpoint as Obj | undefined;
  const dst = evidence.dst_endpoint as Obj | undefined;
  if (src) {
    if (e.src === src.ip) extra.push('src');
  } else {
    const s = endpoint(r.str('src'));
    if (s) { evidence.src_endpoint = s; extra.push('src'); }
  }
  if (dst) {
    if (e.dst === dst.ip) extra.push('dst');
    if (e.p === dst.port) extra.push('p');
  } else {
    const d = endpoint(r.str('dst'), r.port('p'));
    if (d) { evidence.dst_endpoint = d; extra.push('dst', 'p'); }
  }
  if (c.uid !== undefined || e.proto !== undefined) evidence.connection_info = connectionInfo(c, { field: 'proto' });
  if (nonEmpty(evidence)) ev.evidences = [evidence];
  const actions = e.actions;
  if (Array.isArray(actions) && actions.includes('Notice::ACTION_ALARM')) ev.is_alert = true;
  return finish(ev, c, NOTICE_USED, extra);
}

// ---------------------------------------------------------------------------------------------

const MAPPERS: Record<Kind, (c: Common) => MapResult> = {
  conn: mapConn, dns: mapDns, http: mapHttp, ssl: mapSsl, ssh: mapSsh, notice: mapNotice,
};

const pack: Pack = {
  name: 'zeek',
  title: 'Zeek',
  classes: [
    { class_uid: NETWORK_ACTIVITY, class_name: 'Network Activity', from: 'conn.log (activity from conn_state: Open, Close, Reset, Fail, Refuse, Traffic) and ssl.log (Traffic, with tls)' },
    { class_uid: HTTP_ACTIVITY, class_name: 'HTTP Activity', from: 'http.log (activity from the method)' },
    { class_uid: DNS_ACTIVITY, class_name: 'DNS Activity', from: 'dns.log (Traffic when a response was seen, else Query)' },
    { class_uid: SSH_ACTIVITY, class_name: 'SSH Activity', from: 'ssh.log (Open; status from auth_success)' },
    { class_uid: DETECTION_FINDING, class_name: 'Detection Finding', from: 'notice.log (Create)' },
  ],
  detect(e) {
    return e !== null && typeof e === 'object' && kindOf(e) !== undefined;
  },
  map(e) {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return { ok: false, reason: 'a Zeek record must be an object' };
    try {
      const kind = kindOf(e);
      if (kind === undefined) {
        const p = e._path;
        return {
          ok: false,
          reason: typeof p === 'string'
            ? `Zeek ${p}.log is not mapped by this pack (it maps conn, dns, http, ssl, ssh and notice logs)`
            : 'not a Zeek conn, dns, http, ssl, ssh or notice record (no _path, and the fields match none of them)',
        };
      }
      const c = common(e, kind);
      if (typeof c === 'string') return { ok: false, reason: c };
      return MAPPERS[kind](c);
    } catch (err) {
      return { ok: false, reason: `internal error in the zeek pack: ${(err as Error).message}` };
    }
  },
};

export default pack;
