/**
 * EVE flow, dns, http, tls and ssh events -> the OCSF Network Activity classes, and the
 * app-layer builders (http_request/http_response, tls, the DNS question) that alert evidence
 * reuses: Suricata adds the same `http`/`tls`/`dns` objects to alerts.
 *
 * DNS comes in three shapes: version 1 (Suricata 4 and earlier: one event per answer record,
 * record fields directly in `dns`), version 2 (Suricata 5-7: one event per response with a
 * `detailed` list in `answers` and/or the `grouped` map, question in rrname/rrtype) and version 3
 * (Suricata 8: `request`/`response`, questions in `queries`, and responses logged with the
 * responder as src_ip, which is swapped back so src_endpoint is always the client).
 */
import type { MapResult } from '../../src/ocsf/pack.js';
import {
  COMMON_PATHS, connectionInfo, device, dstEndpoint, meta, networkProfiles, one, rest, srcEndpoint, type Rec,
} from './common.js';
import { hasValue, isObj, usedPaths, type Obj, type Reader } from './read.js';

const NETWORK_ACTIVITY = 4001, HTTP_ACTIVITY = 4002, DNS_ACTIVITY = 4003, SSH_ACTIVITY = 4007;

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Whether every own key of `o` is in `keys` (so mapping its known members loses nothing). */
function onlyKeys(o: Obj, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (Object.hasOwn(o, k) && !keys.has(k)) return false;
  return true;
}

/** The event's app_proto, unless Suricata could not tell ("failed"). */
function appProto(c: Rec): string | undefined {
  const p = c.r.str(c.e, 'app_proto', 'app_proto');
  return p === 'failed' ? c.r.keep('app_proto') : p;
}

/** The classes here need src_endpoint or dst_endpoint. */
function noEndpoint(c: Rec, className: string): MapResult {
  return { ok: false, reason: `suricata ${c.type} event has no valid src_ip or dest_ip (OCSF ${className} needs an endpoint)` };
}

// ---------------------------------------------------------------------------------------------
// flow -> Network Activity

const TCP_BOOLS = ['syn', 'fin', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];
const FLOW_USED = usedPaths([
  ...COMMON_PATHS, 'app_proto', 'flow.pkts_toserver', 'flow.pkts_toclient', 'flow.bytes_toserver', 'flow.bytes_toclient',
  'flow.start', 'flow.end', 'flow.age', 'flow.state', 'flow.reason', 'flow.alerted', 'tcp.tcp_flags', ...TCP_BOOLS.map((b) => `tcp.${b}`),
]);
const TCP_FLAGS = /^[0-9a-fA-F]{1,3}$/;
const RST = 0x04;

export function mapFlow(c: Rec): MapResult {
  if (c.srcIp === undefined && c.dstIp === undefined) return noEndpoint(c, 'Network Activity');
  const r = c.r, e = c.e;
  const f = r.obj(e, 'flow', 'flow');
  const tcp = r.obj(e, 'tcp', 'tcp');
  // tcp_flags is every flag seen on the flow, in hex; the booleans spell out the same bits.
  const hex = r.str(tcp, 'tcp_flags', 'tcp.tcp_flags');
  const flags = hex === undefined ? undefined : TCP_FLAGS.test(hex) ? parseInt(hex, 16) : r.keep('tcp.tcp_flags');
  if (flags === undefined && tcp !== undefined) for (const b of TCP_BOOLS) if (Object.hasOwn(tcp, b)) r.keep(`tcp.${b}`);
  const state = r.str(f, 'state', 'flow.state');
  let activity = 6, status = 0;
  if (state === 'closed') { activity = flags !== undefined && (flags & RST) !== 0 ? 3 : 2; status = 1; }
  else if (state === 'established') status = 1;
  // A TCP flow Suricata never saw both sides of: the connection attempt went unanswered.
  else if (state === 'new' && c.protoNum === 6) { activity = 4; status = 2; }
  const po = r.count(f, 'pkts_toserver', 'flow.pkts_toserver'), pi = r.count(f, 'pkts_toclient', 'flow.pkts_toclient');
  const bo = r.count(f, 'bytes_toserver', 'flow.bytes_toserver'), bi = r.count(f, 'bytes_toclient', 'flow.bytes_toclient');
  const traffic = po === undefined && pi === undefined && bo === undefined && bi === undefined ? undefined : {
    bytes_in: bi, bytes_out: bo, bytes: bo !== undefined && bi !== undefined ? bo + bi : undefined,
    packets_in: pi, packets_out: po, packets: po !== undefined && pi !== undefined ? po + pi : undefined,
  };
  const start = r.time(f, 'start', 'flow.start'), end = r.time(f, 'end', 'flow.end');
  // age is whole seconds: the exact duration comes from start and end when both are there.
  const age = r.count(f, 'age', 'flow.age');
  const duration = start !== undefined && end !== undefined && end >= start ? end - start : age === undefined ? undefined : age * 1000;
  const alerted = r.bool(f, 'alerted', 'flow.alerted');
  const reason = r.str(f, 'reason', 'flow.reason');
  const app = appProto(c);
  const dev = device(c);
  const unmapped = rest(c, FLOW_USED);
  return one({
    class_uid: NETWORK_ACTIVITY, activity_id: activity, severity_id: 1, status_id: status,
    status_code: state, status_detail: reason,
    time: c.time, start_time: start, end_time: end, duration, timezone_offset: c.offset,
    src_endpoint: srcEndpoint(c), dst_endpoint: dstEndpoint(c), connection_info: connectionInfo(c, flags),
    app_protocol_name: app, traffic, is_alert: alerted, device: dev,
    metadata: meta(c, networkProfiles(dev !== undefined, alerted !== undefined)), unmapped,
  });
}

// ---------------------------------------------------------------------------------------------
// tls -> Network Activity with `tls` (OCSF 1.8.0 has no TLS class)

export const TLS_PATHS = [
  'tls.version', 'tls.sni', 'tls.subject', 'tls.issuerdn', 'tls.serial', 'tls.fingerprint', 'tls.notbefore', 'tls.notafter',
  'tls.ja3.hash', 'tls.ja3s.hash', 'tls.ja4',
];
const TLS_USED = usedPaths([...COMMON_PATHS, 'app_proto', ...TLS_PATHS]);
/** Suricata writes the certificate's SHA-1 as colon-separated hex. */
const SHA1_COLONS = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){19}$/;

/** OCSF `tls` from an EVE `tls` object; undefined without a version (OCSF requires it), the object then kept whole. */
export function tlsObject(r: Reader, t: Obj | undefined): Obj | undefined {
  if (t === undefined) return undefined;
  const version = r.str(t, 'version', 'tls.version');
  if (version === undefined) return r.keep('tls');
  const ja3 = r.str(r.obj(t, 'ja3', 'tls.ja3'), 'hash', 'tls.ja3.hash');
  const ja3s = r.str(r.obj(t, 'ja3s', 'tls.ja3s'), 'hash', 'tls.ja3s.hash');
  return {
    version,
    sni: r.str(t, 'sni', 'tls.sni'),
    certificate: certificate(r, t),
    ja3_hash: ja3 === undefined ? undefined : { algorithm_id: 1, value: ja3 },
    ja3s_hash: ja3s === undefined ? undefined : { algorithm_id: 1, value: ja3s },
  };
}

/** The server certificate; OCSF requires issuer and serial_number, so without them its fields stay in unmapped. */
function certificate(r: Reader, t: Obj): Obj | undefined {
  const subject = r.str(t, 'subject', 'tls.subject');
  const issuer = r.str(t, 'issuerdn', 'tls.issuerdn');
  const serial = r.str(t, 'serial', 'tls.serial');
  const fp = r.str(t, 'fingerprint', 'tls.fingerprint');
  const notBefore = r.time(t, 'notbefore', 'tls.notbefore');
  const notAfter = r.time(t, 'notafter', 'tls.notafter');
  if (issuer === undefined || serial === undefined) {
    if (subject !== undefined) r.keep('tls.subject');
    if (issuer !== undefined) r.keep('tls.issuerdn');
    if (serial !== undefined) r.keep('tls.serial');
    if (fp !== undefined) r.keep('tls.fingerprint');
    if (notBefore !== undefined) r.keep('tls.notbefore');
    if (notAfter !== undefined) r.keep('tls.notafter');
    return undefined;
  }
  const sha1 = fp === undefined ? undefined : SHA1_COLONS.test(fp) ? fp.replace(/:/g, '').toLowerCase() : r.keep('tls.fingerprint');
  return {
    subject,
    issuer,
    serial_number: serial,
    // Subject equal to issuer: the certificate signed itself (what makes self-signed certificates worth a look).
    is_self_signed: subject === undefined ? undefined : subject === issuer,
    fingerprints: sha1 === undefined ? undefined : [{ algorithm_id: 2, value: sha1 }],
    created_time: notBefore,
    expiration_time: notAfter,
  };
}

/** The client's JA4 fingerprint (`tls.ja4`, Suricata 7.0.5 and later). */
export function ja4List(r: Reader, t: Obj | undefined): Obj[] | undefined {
  const v = r.str(t, 'ja4', 'tls.ja4');
  if (v === undefined) return undefined;
  const parts = v.split('_');
  return [{
    type_id: 1, value: v,
    section_a: parts.length === 3 ? parts[0] : undefined,
    section_b: parts.length === 3 ? parts[1] : undefined,
    section_c: parts.length === 3 ? parts[2] : undefined,
  }];
}

export function mapTls(c: Rec): MapResult {
  if (c.srcIp === undefined && c.dstIp === undefined) return noEndpoint(c, 'Network Activity');
  const r = c.r;
  const t = r.obj(c.e, 'tls', 'tls');
  const tls = tlsObject(r, t);
  const ja4 = tls === undefined ? undefined : ja4List(r, t);
  const app = appProto(c);
  const dev = device(c);
  const unmapped = rest(c, TLS_USED);
  return one({
    class_uid: NETWORK_ACTIVITY, activity_id: 6, severity_id: 1, status_id: 0,
    time: c.time, timezone_offset: c.offset,
    src_endpoint: srcEndpoint(c), dst_endpoint: dstEndpoint(c), connection_info: connectionInfo(c),
    app_protocol_name: app, tls, ja4_fingerprint_list: ja4, device: dev,
    metadata: meta(c, networkProfiles(dev !== undefined, false)), unmapped,
  });
}

// ---------------------------------------------------------------------------------------------
// http -> HTTP Activity

export const HTTP_PATHS = [
  'http.hostname', 'http.http_port', 'http.url', 'http.http_user_agent', 'http.http_content_type', 'http.http_refer',
  'http.http_method', 'http.protocol', 'http.status', 'http.length', 'http.request_headers', 'http.response_headers',
];
const HTTP_USED = usedPaths([...COMMON_PATHS, 'app_proto', ...HTTP_PATHS]);
export const HTTP_METHODS: ReadonlyMap<string, number> = new Map([
  ['CONNECT', 1], ['DELETE', 2], ['GET', 3], ['HEAD', 4], ['OPTIONS', 5], ['POST', 6], ['PUT', 7], ['TRACE', 8], ['PATCH', 9],
]);
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/[^/?#]*([^?#]*)(?:\?([^#]*))?/;

/**
 * http_request from an EVE `http` object. `method` is read by the caller (it also picks the
 * activity); one OCSF does not list (WebDAV's PROPFIND...) stays in unmapped.
 */
export function httpRequest(r: Reader, h: Obj | undefined, method: string | undefined): Obj | undefined {
  if (h === undefined) return undefined;
  const known = method !== undefined && HTTP_METHODS.has(method);
  if (method !== undefined && !known) r.keep('http.http_method');
  const hostname = r.str(h, 'hostname', 'http.hostname');
  const port = r.port(h, 'http_port', 'http.http_port');
  const url = httpUrl(r, h, hostname, port);
  if (url === undefined) {
    if (hostname !== undefined) r.keep('http.hostname');
    if (port !== undefined) r.keep('http.http_port');
  }
  const req = {
    http_method: known ? method : undefined,
    url,
    version: r.str(h, 'protocol', 'http.protocol'),
    user_agent: r.str(h, 'http_user_agent', 'http.http_user_agent'),
    referrer: r.str(h, 'http_refer', 'http.http_refer'),
    http_headers: headers(r, h, 'request_headers', 'http.request_headers'),
  };
  return hasValue(req) ? req : undefined;
}

/**
 * The request URL. Suricata's `hostname` is the request's host (from an absolute URI or the Host
 * header) and `http_port` the port the Host header named; `url` is the request target. Plain HTTP:
 * Suricata cannot see inside TLS.
 */
function httpUrl(r: Reader, h: Obj, hostname: string | undefined, port: number | undefined): Obj | undefined {
  const target = r.str(h, 'url', 'http.url');
  if (target === undefined) return undefined;
  let urlString: string | undefined, scheme: string | undefined, path: string, query: string | undefined;
  if (target.charCodeAt(0) === 47 /* / */) {
    const q = target.indexOf('?');
    path = q < 0 ? target : target.slice(0, q);
    query = q < 0 ? undefined : target.slice(q + 1);
    if (hostname !== undefined) {
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      urlString = port === undefined ? `http://${host}${target}` : `http://${host}:${port}${target}`;
      scheme = 'http';
    }
  } else {
    // absolute-form, as sent to proxies; anything else (CONNECT's host:port, `*`) is no URL.
    const m = ABSOLUTE.exec(target);
    if (m === null) return r.keep('http.url');
    urlString = target;
    scheme = m[1]!.toLowerCase();
    path = m[2] || '/';
    query = m[3];
  }
  return { url_string: urlString, scheme, hostname, port, path, query_string: query };
}

/** Headers logged with dump-all-headers: [{name, value}], as OCSF http_headers. */
function headers(r: Reader, h: Obj, k: string, path: string): Obj[] | undefined {
  const v = h[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return r.keep(path);
  const out: Obj[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (!isObj(x) || !isText(x.name) || typeof x.value !== 'string') return r.keep(path);
    out[i] = { name: x.name, value: x.value };
  }
  return out.length ? out : undefined;
}

/** http_response; OCSF requires its code, so without `status` the response fields stay in unmapped. */
export function httpResponse(r: Reader, h: Obj | undefined): Obj | undefined {
  if (h === undefined) return undefined;
  // An integer since Suricata 5; older versions wrote the status as a string.
  const code = r.count(h, 'status', 'http.status');
  const type = r.str(h, 'http_content_type', 'http.http_content_type');
  const length = r.count(h, 'length', 'http.length');
  const hdrs = headers(r, h, 'response_headers', 'http.response_headers');
  if (code === undefined) {
    if (type !== undefined) r.keep('http.http_content_type');
    if (length !== undefined) r.keep('http.length');
    if (hdrs !== undefined) r.keep('http.response_headers');
    return undefined;
  }
  return { code, content_type: type, body_length: length, http_headers: hdrs };
}

export function mapHttp(c: Rec): MapResult {
  const r = c.r;
  const h = r.obj(c.e, 'http', 'http');
  const method = r.str(h, 'http_method', 'http.http_method');
  const req = httpRequest(r, h, method);
  const res = httpResponse(r, h);
  if (req === undefined && res === undefined) {
    return { ok: false, reason: 'suricata http event has no request or response OCSF can hold (no http.url, http_method, http_user_agent or status)' };
  }
  const code = res?.code as number | undefined;
  const app = appProto(c);
  const dev = device(c);
  const unmapped = rest(c, HTTP_USED);
  return one({
    class_uid: HTTP_ACTIVITY, activity_id: method === undefined ? 0 : HTTP_METHODS.get(method) ?? 99,
    severity_id: 1, status_id: code === undefined ? 0 : code < 400 ? 1 : 2,
    time: c.time, timezone_offset: c.offset,
    src_endpoint: srcEndpoint(c), dst_endpoint: dstEndpoint(c), connection_info: connectionInfo(c),
    app_protocol_name: app, http_request: req, http_response: res, device: dev,
    metadata: meta(c, networkProfiles(dev !== undefined, false)), unmapped,
  });
}

// ---------------------------------------------------------------------------------------------
// dns -> DNS Activity

const DNS_USED = usedPaths([
  ...COMMON_PATHS, 'app_proto', 'dns.version', 'dns.type', 'dns.id', 'dns.opcode', 'dns.rrname', 'dns.rrtype', 'dns.queries',
  'dns.rdata', 'dns.ttl', 'dns.answers', 'dns.grouped', 'dns.flags', 'dns.qr', 'dns.aa', 'dns.tc', 'dns.rd', 'dns.ra', 'dns.rcode',
]);
const QUERY = 1, RESPONSE = 2;
const DNS_TYPES: ReadonlyMap<string, number> = new Map([['query', QUERY], ['request', QUERY], ['answer', RESPONSE], ['response', RESPONSE]]);
/** RFC 6895 names as Suricata writes them -> OCSF rcode_id (which uses the RFC numbers). */
const RCODES: ReadonlyMap<string, number> = new Map([
  ['NOERROR', 0], ['FORMERR', 1], ['SERVFAIL', 2], ['NXDOMAIN', 3], ['NOTIMP', 4], ['REFUSED', 5], ['YXDOMAIN', 6],
  ['YXRRSET', 7], ['NXRRSET', 8], ['NOTAUTH', 9], ['NOTZONE', 10], ['DSOTYPENI', 11], ['BADVERS', 16], ['BADSIG', 16],
  ['BADKEY', 17], ['BADTIME', 18], ['BADMODE', 19], ['BADNAME', 20], ['BADALG', 21], ['BADTRUNC', 22], ['BADCOOKIE', 23],
]);
/** Header flag bits -> OCSF flag_ids: AA, TC, RD, RA, AD, CD. */
const FLAG_BITS: readonly (readonly [number, number])[] = [[0x400, 1], [0x200, 2], [0x100, 3], [0x80, 4], [0x20, 5], [0x10, 6]];
/** Without the hex `flags`, the booleans Suricata also writes. */
const FLAG_BOOLS: readonly (readonly [string, string, number])[] = [['aa', 'dns.aa', 1], ['tc', 'dns.tc', 2], ['rd', 'dns.rd', 3], ['ra', 'dns.ra', 4]];
const FLAG_FIELDS = ['flags', 'qr', 'aa', 'tc', 'rd', 'ra'];
const Z_BIT = 0x40;
const QUERY_KEYS: ReadonlySet<string> = new Set(['rrname', 'rrtype']);
const ANSWER_KEYS: ReadonlySet<string> = new Set(['rrname', 'rrtype', 'ttl', 'rdata']);

/** OCSF flag_ids from the header flags; undefined when the record has none. */
function dnsFlags(r: Reader, d: Obj): number[] | undefined {
  const hex = r.str(d, 'flags', 'dns.flags');
  if (hex !== undefined) {
    const bits = /^[0-9a-fA-F]{1,4}$/.test(hex) ? parseInt(hex, 16) : -1;
    // The Z bit has no OCSF flag: a record with it set keeps its flags as written.
    if (bits < 0 || (bits & Z_BIT) !== 0) r.keep('dns.flags');
    if (bits >= 0) {
      const ids: number[] = [];
      for (const [bit, id] of FLAG_BITS) if ((bits & bit) !== 0) ids.push(id);
      return ids;
    }
  }
  let ids: number[] | undefined;
  for (const [k, path, id] of FLAG_BOOLS) {
    const b = r.bool(d, k, path);
    if (b !== undefined) (ids ??= []);
    if (b) ids!.push(id);
  }
  return ids;
}

/** RFC 6895: 0-11 and 16-23 are OCSF's own ids; the rest are Unassigned (24) or Reserved (25). */
function rcodeNumber(n: number): number {
  if ((n >= 0 && n <= 11) || (n >= 16 && n <= 23)) return n;
  return (n >= 3841 && n <= 4095) || n === 65535 ? 25 : 24;
}

export function mapDns(c: Rec): MapResult {
  if (c.srcIp === undefined && c.dstIp === undefined) return noEndpoint(c, 'DNS Activity');
  const r = c.r;
  const d = r.obj(c.e, 'dns', 'dns');
  if (d === undefined) return { ok: false, reason: 'suricata dns event has no dns object' };
  const activity = r.oneOf(d, 'type', 'dns.type', DNS_TYPES) ?? 0;
  const response = activity === RESPONSE;
  const version = r.count(d, 'version', 'dns.version');
  const id = r.count(d, 'id', 'dns.id');
  const opcode = r.count(d, 'opcode', 'dns.opcode');
  const flagIds = dnsFlags(r, d);

  // The question: v3 lists it in `queries`; earlier versions write rrname/rrtype, which in a
  // version 1 answer describe the answer record (its owner name is the question's, or a CNAME's target).
  let qname: string | undefined, qtype: string | undefined, recordType: string | undefined;
  const queries = d.queries;
  if (queries !== undefined && queries !== null) {
    const q0: unknown = Array.isArray(queries) ? queries[0] : undefined;
    if (isObj(q0)) {
      qname = isText(q0.rrname) ? q0.rrname : undefined;
      qtype = isText(q0.rrtype) ? q0.rrtype : undefined;
    }
    if (!Array.isArray(queries) || queries.length !== 1 || qname === undefined || !onlyKeys(q0 as Obj, QUERY_KEYS)) r.keep('dns.queries');
  } else {
    qname = r.str(d, 'rrname', 'dns.rrname');
    const t = r.str(d, 'rrtype', 'dns.rrtype');
    if (response && version === undefined && Object.hasOwn(d, 'rdata')) recordType = t;
    else qtype = t;
  }

  let answers: Obj[] | undefined;
  const rdata = r.str(d, 'rdata', 'dns.rdata'), ttl = r.count(d, 'ttl', 'dns.ttl');
  if (recordType !== undefined || (rdata !== undefined && response && version === undefined)) {
    if (rdata !== undefined) answers = [{ rdata, ttl, type: recordType, packet_uid: id, flag_ids: flagIds }];
    else if (ttl !== undefined) r.keep('dns.ttl');
  } else {
    if (rdata !== undefined) r.keep('dns.rdata');
    if (ttl !== undefined) r.keep('dns.ttl');
  }

  const list = d.answers;
  const hasList = list !== undefined && list !== null;
  if (hasList) {
    if (!Array.isArray(list)) r.keep('dns.answers');
    else {
      // OCSF answers have no owner name: each must be the question's name, or the target of a
      // CNAME before it, for the list to be fully mapped; otherwise it is also kept as written.
      let bad = false;
      const names: string[] | undefined = qname === undefined ? undefined : [qname.toLowerCase()];
      for (let i = 0; i < list.length; i++) {
        const a: unknown = list[i];
        if (!isObj(a) || !isText(a.rdata)) { bad = true; continue; }
        if (!onlyKeys(a, ANSWER_KEYS)) bad = true;
        const name = a.rrname, type = a.rrtype, t = a.ttl;
        if (name !== undefined && (!isText(name) || names === undefined || !names.includes(name.toLowerCase()))) bad = true;
        if (type !== undefined && !isText(type)) bad = true;
        const ttlOk = typeof t === 'number' && Number.isSafeInteger(t) && t >= 0;
        if (t !== undefined && !ttlOk) bad = true;
        if (type === 'CNAME' && names !== undefined) names.push(a.rdata.toLowerCase());
        (answers ??= []).push({
          rdata: a.rdata, ttl: ttlOk ? t : undefined, type: isText(type) ? type : undefined, packet_uid: id, flag_ids: flagIds,
        });
      }
      if (bad) r.keep('dns.answers');
    }
  }
  const grouped = d.grouped;
  if (grouped !== undefined && grouped !== null) {
    if (!isObj(grouped)) r.keep('dns.grouped');
    else if (!hasList) {
      let bad = false;
      for (const type in grouped) {
        if (!Object.hasOwn(grouped, type)) continue;
        const values = grouped[type];
        if (!Array.isArray(values)) { bad = true; continue; }
        for (let i = 0; i < values.length; i++) {
          const v: unknown = values[i];
          if (isText(v)) (answers ??= []).push({ rdata: v, type, packet_uid: id, flag_ids: flagIds });
          else bad = true; // SOA and other structured records: no rdata string
        }
      }
      if (bad) r.keep('dns.grouped');
    }
    // With the detailed list as well, `grouped` restates the same records.
  }
  // Header flags travel on the answers; a record without answers keeps them as written.
  if (answers === undefined) for (const k of FLAG_FIELDS) if (Object.hasOwn(d, k)) r.keep(`dns.${k}`);

  const rc = r.str(d, 'rcode', 'dns.rcode');
  let rcodeId: number | undefined, rcodeName: string | undefined;
  if (rc !== undefined) {
    // A request's header has an rcode field too (always NOERROR); only a response's means anything.
    if (!response) r.keep('dns.rcode');
    else {
      rcodeId = RCODES.get(rc);
      if (rcodeId === undefined) {
        if (/^\d{1,5}$/.test(rc)) {
          rcodeId = rcodeNumber(Number(rc));
          if (rcodeId >= 24) r.keep('dns.rcode');
        } else {
          rcodeId = 99;
          rcodeName = rc;
        }
      }
    }
  }
  const query = qname === undefined ? undefined : {
    hostname: qname, type: qtype,
    opcode_id: opcode === undefined ? undefined : opcode <= 6 ? opcode : 99,
    opcode: opcode !== undefined && opcode > 6 ? String(opcode) : undefined,
    packet_uid: id,
  };
  if (query === undefined) {
    if (qtype !== undefined) r.keep('dns.rrtype');
    if (opcode !== undefined) r.keep('dns.opcode');
    if (id !== undefined && answers === undefined) r.keep('dns.id');
  }
  // Version 3 logs a response from the responder's side; OCSF's src_endpoint stays the client.
  const swap = response && version === 3;
  const app = appProto(c);
  const dev = device(c);
  const unmapped = rest(c, DNS_USED);
  return one({
    class_uid: DNS_ACTIVITY, activity_id: activity, severity_id: 1,
    status_id: !response || rcodeId === undefined ? 0 : rcodeId === 0 ? 1 : 2,
    time: c.time, query_time: response ? undefined : c.time, response_time: response ? c.time : undefined,
    timezone_offset: c.offset,
    src_endpoint: srcEndpoint(c, swap), dst_endpoint: dstEndpoint(c, swap), connection_info: connectionInfo(c),
    app_protocol_name: app, query, answers, rcode_id: rcodeId, rcode: rcodeName, device: dev,
    metadata: meta(c, networkProfiles(dev !== undefined, false)), unmapped,
  });
}

/**
 * The DNS question of an alert, as evidence: Suricata 8 writes `dns.queries` (with `dns.id`),
 * Suricata 7 `dns.query` (a list of query records). The alert keeps its `dns` object in unmapped.
 */
export function dnsQueryOf(d: unknown): Obj | undefined {
  if (!isObj(d)) return undefined;
  const v3 = Array.isArray(d.queries);
  const list = v3 ? d.queries : d.query;
  const q: unknown = Array.isArray(list) ? list[0] : undefined;
  if (!isObj(q) || !isText(q.rrname)) return undefined;
  const id = v3 ? d.id : q.id;
  return {
    hostname: q.rrname,
    type: isText(q.rrtype) ? q.rrtype : undefined,
    packet_uid: typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// ssh -> SSH Activity

const SSH_USED = usedPaths([
  ...COMMON_PATHS, 'app_proto', 'ssh.client.proto_version', 'ssh.server.proto_version',
  'ssh.client.hassh.hash', 'ssh.client.hassh.string', 'ssh.server.hassh.hash', 'ssh.server.hassh.string',
]);

function hassh(r: Reader, side: Obj | undefined, objPath: string, hashPath: string, stringPath: string): Obj | undefined {
  const h = r.obj(side, 'hassh', objPath);
  const hash = r.str(h, 'hash', hashPath);
  const algorithms = r.str(h, 'string', stringPath);
  if (hash === undefined) return algorithms === undefined ? undefined : r.keep(stringPath);
  return { algorithm: algorithms, fingerprint: { algorithm_id: 20, value: hash } };
}

export function mapSsh(c: Rec): MapResult {
  if (c.srcIp === undefined && c.dstIp === undefined) return noEndpoint(c, 'SSH Activity');
  const r = c.r;
  const s = r.obj(c.e, 'ssh', 'ssh');
  const client = r.obj(s, 'client', 'ssh.client');
  const server = r.obj(s, 'server', 'ssh.server');
  const sv = r.str(server, 'proto_version', 'ssh.server.proto_version');
  const cv = r.str(client, 'proto_version', 'ssh.client.proto_version');
  if (sv !== undefined && cv !== undefined && sv !== cv) r.keep('ssh.client.proto_version');
  const clientHassh = hassh(r, client, 'ssh.client.hassh', 'ssh.client.hassh.hash', 'ssh.client.hassh.string');
  const serverHassh = hassh(r, server, 'ssh.server.hassh', 'ssh.server.hassh.hash', 'ssh.server.hassh.string');
  const app = appProto(c);
  const dev = device(c);
  const unmapped = rest(c, SSH_USED);
  // Suricata sees the version exchange, not the encrypted authentication: status Unknown.
  return one({
    class_uid: SSH_ACTIVITY, activity_id: 1, severity_id: 1, status_id: 0,
    time: c.time, timezone_offset: c.offset,
    src_endpoint: srcEndpoint(c), dst_endpoint: dstEndpoint(c), connection_info: connectionInfo(c),
    app_protocol_name: app, protocol_ver: sv ?? cv, client_hassh: clientHassh, server_hassh: serverHassh, device: dev,
    metadata: meta(c, networkProfiles(dev !== undefined, false)), unmapped,
  });
}
