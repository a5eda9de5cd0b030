/**
 * EVE alert and anomaly events -> Detection Finding (2004).
 *
 * An alert is one rule (gid:sid:rev) firing on one flow. Its ATT&CK tags, which Emerging Threats
 * and other rule sets carry in the rule's `metadata` keyword (`mitre_technique_id T1595` ...),
 * become finding_info.attacks; every metadata key stays reachable as finding_info.tags. The
 * `http`, `tls` and `dns` objects Suricata adds to alerts become the evidence, built as for the
 * corresponding events.
 */
import type { MapResult } from '../../src/ocsf/pack.js';
import { COMMON_PATHS, connectionInfo, device, dstEndpoint, IDS, IPS, meta, one, rest, srcEndpoint, type Rec } from './common.js';
import { dnsQueryOf, HTTP_PATHS, httpRequest, httpResponse, ja4List, TLS_PATHS, tlsObject } from './network.js';
import { hasValue, usedPaths, type Obj, type Reader } from './read.js';

const DETECTION_FINDING = 2004;

const ALERT_USED = usedPaths([
  ...COMMON_PATHS, 'alert.action', 'alert.gid', 'alert.signature_id', 'alert.rev', 'alert.signature', 'alert.category',
  'alert.severity', 'alert.metadata', ...HTTP_PATHS, ...TLS_PATHS,
]);
/** alert.action -> action_id and disposition_id (the same numbers: 1 Allowed, 2 Denied / Blocked). */
const ACTIONS: ReadonlyMap<string, number> = new Map([['allowed', 1], ['blocked', 2]]);
/** The `confidence` metadata of Emerging Threats rules -> confidence_id. */
const CONFIDENCE: ReadonlyMap<string, number> = new Map([['Low', 1], ['Medium', 2], ['High', 3]]);
const EMPTY: readonly string[] = [];

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Suricata severity (the rule's priority: 1 most severe, as classification.config assigns
 * 1-4) -> severity_id: 1 High, 2 Medium, 3 Low, 4 and lower Informational.
 */
function severityOf(r: Reader, p: number | undefined): number {
  if (p === undefined) return 0;
  if (p === 0) return r.keep('alert.severity') ?? 0;
  return p === 1 ? 4 : p === 2 ? 3 : p === 3 ? 2 : 1;
}

/** Rule metadata values are lists of words; a plain string is taken as a list of one. */
function texts(v: unknown): readonly string[] {
  if (isText(v)) return [v];
  return Array.isArray(v) ? v.filter(isText) : EMPTY;
}

/** Every metadata key as a tag; metadata that is not key -> words stays in unmapped as written. */
function tagsOf(r: Reader, md: Obj): Obj[] | undefined {
  let out: Obj[] | undefined;
  let bad = false;
  for (const k in md) {
    if (!Object.hasOwn(md, k)) continue;
    const v = md[k];
    if (k !== '' && isText(v)) (out ??= []).push({ name: k, value: v });
    else if (k !== '' && Array.isArray(v) && v.length > 0 && v.every(isText)) (out ??= []).push({ name: k, values: v });
    else bad = true;
  }
  if (bad) r.keep('alert.metadata');
  return out;
}

/** ATT&CK names are written with underscores for spaces (`Active_Scanning`). */
const attackName = (s: string | undefined) => (s === undefined ? undefined : s.replace(/_/g, ' '));
/** Parallel lists pair by position; a list of one applies to every entry of the others. */
const at = (list: readonly string[], i: number) => (list.length === 1 ? list[0] : list[i]);

/** finding_info.attacks from mitre_tactic_id/_name and mitre_technique_id/_name; T1595.002 is a sub-technique of T1595. */
function attacksOf(md: Obj): Obj[] | undefined {
  const tacticIds = texts(md.mitre_tactic_id), tacticNames = texts(md.mitre_tactic_name);
  const techIds = texts(md.mitre_technique_id), techNames = texts(md.mitre_technique_name);
  const n = Math.max(tacticIds.length, tacticNames.length, techIds.length, techNames.length);
  if (n === 0) return undefined;
  const out: Obj[] = [];
  for (let i = 0; i < n; i++) {
    const tacticId = at(tacticIds, i), tacticName = attackName(at(tacticNames, i));
    const techId = at(techIds, i), techName = attackName(at(techNames, i));
    const dot = techId === undefined ? -1 : techId.indexOf('.');
    out.push({
      tactic: tacticId === undefined && tacticName === undefined ? undefined : { uid: tacticId, name: tacticName },
      technique: dot > 0 ? { uid: techId!.slice(0, dot) }
        : techId === undefined && techName === undefined ? undefined : { uid: techId, name: techName },
      sub_technique: dot > 0 ? { uid: techId, name: techName } : undefined,
    });
  }
  return out;
}

export function mapAlert(c: Rec): MapResult {
  const r = c.r, e = c.e;
  const a = r.obj(e, 'alert', 'alert');
  if (a === undefined) return { ok: false, reason: 'suricata alert event has no alert object' };
  const sid = r.count(a, 'signature_id', 'alert.signature_id');
  if (sid === undefined) return { ok: false, reason: 'suricata alert has no alert.signature_id (the rule sid), so the finding cannot be identified' };
  const gid = r.count(a, 'gid', 'alert.gid');
  const rev = r.count(a, 'rev', 'alert.rev');
  const signature = r.str(a, 'signature', 'alert.signature');
  const category = r.str(a, 'category', 'alert.category');
  const severity = severityOf(r, r.count(a, 'severity', 'alert.severity'));
  const action = r.oneOf(a, 'action', 'alert.action', ACTIONS);
  const md = r.obj(a, 'metadata', 'alert.metadata');
  const h = r.obj(e, 'http', 'http');
  const t = r.obj(e, 'tls', 'tls');
  const tls = tlsObject(r, t);
  const evidence = {
    src_endpoint: srcEndpoint(c), dst_endpoint: dstEndpoint(c), connection_info: connectionInfo(c),
    http_request: httpRequest(r, h, r.str(h, 'http_method', 'http.http_method')), http_response: httpResponse(r, h),
    tls, ja4_fingerprint_list: tls === undefined ? undefined : ja4List(r, t), query: dnsQueryOf(e.dns),
  };
  const finding = {
    // One rule on one flow is one finding: later alerts of the rule on the flow share its uid.
    uid: `${c.flowUid ?? c.timestamp}/${gid ?? '-'}:${sid}:${rev ?? '-'}`,
    title: signature,
    types: category === undefined ? undefined : [category],
    analytic: { uid: String(sid), name: signature, category, type_id: 1, version: rev === undefined ? undefined : String(rev) },
    attacks: md === undefined ? undefined : attacksOf(md),
    tags: md === undefined ? undefined : tagsOf(r, md),
  };
  const confidence = md === undefined ? undefined : CONFIDENCE.get(texts(md.confidence)[0] ?? '');
  const unmapped = rest(c, ALERT_USED);
  return one({
    class_uid: DETECTION_FINDING, activity_id: 1, severity_id: severity, status_id: 1,
    confidence_id: confidence, action_id: action, disposition_id: action, is_alert: true,
    message: signature, time: c.time, timezone_offset: c.offset,
    finding_info: finding, evidences: hasValue(evidence) ? [evidence] : undefined,
    device: device(c, action === 2 ? IPS : IDS),
    // action_id and disposition_id belong to the security_control profile.
    metadata: meta(c, action === undefined ? undefined : ['security_control']), unmapped,
  });
}

const ANOMALY_USED = usedPaths([...COMMON_PATHS, 'anomaly.type', 'anomaly.event', 'anomaly.code']);

/**
 * Anomalies are what Suricata's decoders and parsers found malformed or unexpected (a truncated
 * packet, an invalid TLS record): findings of no severity of their own, kept Informational.
 */
export function mapAnomaly(c: Rec): MapResult {
  const r = c.r;
  const an = r.obj(c.e, 'anomaly', 'anomaly');
  const type = r.str(an, 'type', 'anomaly.type');
  const event = r.str(an, 'event', 'anomaly.event');
  // Events Suricata has no name for come as type "unknown" with a numeric code.
  const code = r.count(an, 'code', 'anomaly.code');
  if (event === undefined && code === undefined) {
    return { ok: false, reason: 'suricata anomaly event has neither anomaly.event nor anomaly.code, so the finding has no name' };
  }
  const name = event ?? `${type ?? 'unknown'} anomaly ${code}`;
  const evidence = { src_endpoint: srcEndpoint(c), dst_endpoint: dstEndpoint(c), connection_info: connectionInfo(c) };
  const unmapped = rest(c, ANOMALY_USED);
  return one({
    class_uid: DETECTION_FINDING, activity_id: 1, severity_id: 1, status_id: 1,
    message: name, time: c.time, timezone_offset: c.offset,
    finding_info: {
      uid: `${c.flowUid ?? c.timestamp}/${type ?? '-'}/${event ?? code}`,
      title: name,
      types: type === undefined ? undefined : [type],
      analytic: { uid: code === undefined ? undefined : String(code), name: event, type_id: 99, type: 'Protocol anomaly' },
    },
    evidences: hasValue(evidence) ? [evidence] : undefined,
    device: device(c), metadata: meta(c, undefined), unmapped,
  });
}
