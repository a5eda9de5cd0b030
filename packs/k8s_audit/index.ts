/**
 * Kubernetes API server audit events (audit.k8s.io/v1 `Event`) -> OCSF API Activity (6003). Accepted
 * shapes: one Event (log file backend, or Amazon EKS audit logs already taken out of CloudWatch), an
 * `EventList` (webhook backend batches), a CloudWatch Logs subscription message from an EKS cluster's
 * log group (`logEvents[].message` hold the Events), or one CloudWatch log event (`{timestamp,
 * message}`). Every stage is mapped; for one request, RequestReceived, ResponseStarted and
 * ResponseComplete (or Panic) events share the auditID, and usually only the last one matters.
 */
import type { Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { isIp, metadata, toTime, unmapped } from '../../src/ocsf/map-kit.js';

type Rec = Record<string, unknown>;

const PRODUCT = { name: 'Kubernetes', vendor_name: 'Kubernetes' } as const;
const API_ACTIVITY = 6003;

/** verb -> [activity_id, HTTP method]. Non-resource requests use the lower-cased HTTP method as verb. */
const VERBS: ReadonlyMap<string, readonly [number, string]> = new Map<string, readonly [number, string]>([
  ['create', [1, 'POST']],
  ['get', [2, 'GET']], ['list', [2, 'GET']], ['watch', [2, 'GET']],
  ['update', [3, 'PUT']], ['patch', [3, 'PATCH']],
  ['delete', [4, 'DELETE']], ['deletecollection', [4, 'DELETE']],
  ['post', [99, 'POST']], ['put', [99, 'PUT']], ['head', [2, 'HEAD']], ['options', [99, 'OPTIONS']],
]);

/** The stages after which nothing more is logged for a request: their auditID alone identifies the event. */
const FINAL_STAGES = new Set(['ResponseComplete', 'Panic']);

const USED = [
  'kind', 'apiVersion', 'level', 'auditID', 'requestURI', 'verb',
  'user.username', 'user.uid', 'user.groups', 'sourceIPs', 'userAgent',
  'objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'objectRef.name', 'objectRef.uid',
  'objectRef.apiGroup', 'objectRef.apiVersion', 'objectRef.resourceVersion',
  'responseStatus.code', 'responseStatus.message', 'responseStatus.reason',
  'requestObject', 'responseObject', 'requestReceivedTimestamp', 'stageTimestamp',
];
/** The same, with `stage` when it went into metadata.uid. */
const USED_STAGE = [...USED, 'stage'];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isObj = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Extra context from an envelope (CloudWatch Logs) that every event inside it gets. */
interface Envelope {
  cloud?: Rec;
  meta: Rec;
  /** Envelope fields with no OCSF place, merged into each event's unmapped. */
  rest?: Rec;
}

function user(u: Rec): Rec | undefined {
  const out: Rec = {};
  const name = str(u.username);
  if (name !== undefined) {
    out.name = name;
    // Kubernetes reserves the system: prefix for its own identities.
    if (name.startsWith('system:serviceaccount:')) out.type_id = 4;
    else if (name.startsWith('system:')) out.type_id = 3;
  }
  const uid = str(u.uid); if (uid !== undefined) out.uid = uid;
  const groups = u.groups;
  if (Array.isArray(groups) && groups.length) {
    const gs: Rec[] = [];
    for (const g of groups) if (typeof g === 'string' && g !== '') gs.push({ name: g });
    if (gs.length) out.groups = gs;
  }
  return name !== undefined || uid !== undefined ? out : undefined;
}

/** One audit Event; a string is the reason it cannot be mapped. */
function mapEvent(e: Rec, env: Envelope | undefined, where: string): OcsfEvent | string {
  if (e.kind !== 'Event') return `${where}kind is ${JSON.stringify(e.kind) ?? 'absent'}, not Event`;
  const received = toTime(e.requestReceivedTimestamp);
  const staged = toTime(e.stageTimestamp);
  const time = received ?? staged;
  if (time === null) return `${where}neither requestReceivedTimestamp nor stageTimestamp is a time`;
  const verb = str(e.verb);
  if (verb === undefined) return `${where}verb is missing`;
  const ips = e.sourceIPs;
  const ip = Array.isArray(ips) ? str(ips[0]) : undefined;
  if (ip === undefined) return `${where}sourceIPs is missing or empty (OCSF needs the caller's endpoint)`;
  const u = isObj(e.user) ? user(e.user) : undefined;
  if (u === undefined) return `${where}user has no username or uid (OCSF API Activity needs an actor)`;

  const v = VERBS.get(verb);
  const out: OcsfEvent = { class_uid: API_ACTIVITY, activity_id: v !== undefined ? v[0] : 99, severity_id: 1, time };
  if (staged !== null && staged !== time) out.end_time = staged;

  const rs = isObj(e.responseStatus) ? e.responseStatus : undefined;
  const code = rs !== undefined && typeof rs.code === 'number' ? rs.code : undefined;
  // No response yet (RequestReceived stage): the outcome is unknown.
  out.status_id = code === undefined ? 0 : code < 400 ? 1 : 2;
  if (code !== undefined) out.status_code = String(code);
  const message = rs && str(rs.message);
  const reason = rs && str(rs.reason);
  if (message !== undefined) out.status_detail = message;

  out.actor = { user: u };

  const ref = isObj(e.objectRef) ? e.objectRef : undefined;
  const api: Rec = { operation: verb, service: { name: 'kubernetes' } };
  if (ref !== undefined) {
    const group = str(ref.apiGroup); if (group !== undefined) api.group = { name: group };
    const version = str(ref.apiVersion); if (version !== undefined) api.version = version;
  }
  const auditID = str(e.auditID);
  if (auditID !== undefined) {
    const req: Rec = { uid: auditID };
    if (e.requestObject !== undefined && e.requestObject !== null) req.data = e.requestObject;
    api.request = req;
  }
  const response: Rec = {};
  if (code !== undefined) response.code = code;
  if (reason !== undefined) response.error = reason;
  if (message !== undefined) response.error_message = message;
  if (e.responseObject !== undefined && e.responseObject !== null) response.data = e.responseObject;
  for (const _ in response) { api.response = response; break; }
  out.api = api;

  const src: Rec = { ip };
  if (!isIp(ip)) { delete src.ip; src.hostname = ip; }
  // sourceIPs lists the origin first, then the proxies the request came through.
  if ((ips as unknown[]).length > 1) {
    const hops: string[] = [];
    for (let i = 1; i < (ips as unknown[]).length; i++) { const h = (ips as unknown[])[i]; if (typeof h === 'string' && isIp(h)) hops.push(h); }
    if (hops.length) src.intermediate_ips = hops;
  }
  out.src_endpoint = src;

  const http: Rec = {};
  const uri = str(e.requestURI);
  if (uri !== undefined) {
    const q = uri.indexOf('?');
    http.url = q < 0 ? { path: uri } : { path: uri.slice(0, q), query_string: uri.slice(q + 1) };
  }
  if (v !== undefined) http.http_method = v[1];
  const ua = str(e.userAgent); if (ua !== undefined) http.user_agent = ua;
  out.http_request = http;
  if (code !== undefined) out.http_response = { code };

  if (ref !== undefined) {
    const resource = str(ref.resource);
    const sub = str(ref.subresource);
    const name = str(ref.name);
    const uid = str(ref.uid);
    // A request on a collection (list, create) names no object: the collection stands for it.
    const r: Rec = {};
    const rname = name ?? resource;
    if (rname !== undefined) r.name = rname;
    if (uid !== undefined) r.uid = uid;
    if (resource !== undefined) r.type = sub !== undefined ? `${resource}/${sub}` : resource;
    const ns = str(ref.namespace); if (ns !== undefined) r.namespace = ns;
    const rv = str(ref.resourceVersion); if (rv !== undefined) r.version = rv;
    if (rname !== undefined || uid !== undefined) out.resources = [r];
  }
  if (env?.cloud !== undefined) out.cloud = env.cloud;

  const stage = str(e.stage);
  const extra: Rec = env !== undefined ? { ...env.meta } : {};
  if (auditID !== undefined) {
    extra.uid = stage === undefined || FINAL_STAGES.has(stage) ? auditID : `${auditID}:${stage}`;
    extra.original_event_uid = auditID;
  }
  const level = str(e.level); if (level !== undefined) extra.log_level = level;
  const logVersion = str(e.apiVersion); if (logVersion !== undefined) extra.log_version = logVersion;
  out.metadata = metadata(PRODUCT, extra);

  // `stage` is in metadata.uid only when it was appended there; otherwise it stays in unmapped.
  const rest = unmapped(e, auditID !== undefined && stage !== undefined && !FINAL_STAGES.has(stage) ? USED_STAGE : USED);
  if (rest !== undefined || env?.rest !== undefined) out.unmapped = env?.rest !== undefined ? { ...rest, ...env.rest } : rest;
  return out;
}

/** A CloudWatch Logs subscription message (DATA_MESSAGE / CONTROL_MESSAGE). */
function isCloudWatch(e: Rec): boolean {
  return typeof e.messageType === 'string' && Array.isArray(e.logEvents) && typeof e.logGroup === 'string';
}

/** A CloudWatch log event whose message is an audit Event as JSON text. */
function isLogEvent(e: Rec): boolean {
  const m = e.message;
  // The first-character check keeps this cheap for the plain text lines other sources have.
  return typeof m === 'string' && m.charCodeAt(0) === 123 && typeof e.timestamp === 'number' && m.includes('audit.k8s.io/');
}

function fromLogEvent(le: Rec, env: Envelope, where: string): OcsfEvent | string {
  const m = le.message;
  if (typeof m !== 'string') return `${where}message is not text`;
  let inner: unknown;
  try { inner = JSON.parse(m); } catch (err) { return `${where}message is not JSON (${(err as Error).message})`; }
  if (!isObj(inner)) return `${where}message is not a JSON object`;
  const meta: Rec = { ...env.meta };
  const logged = toTime(le.timestamp); if (logged !== null) meta.logged_time = logged;
  const rest: Rec = { ...env.rest };
  const leId = le.id; if (leId !== undefined) rest.logEvents = { id: leId };
  for (const k in le) if (k !== 'id' && k !== 'timestamp' && k !== 'message') rest[k] = le[k];
  return mapEvent(inner, { cloud: env.cloud, meta, rest: Object.keys(rest).length ? rest : undefined }, where);
}

function fail(reason: string): MapResult {
  return { ok: false, reason: `k8s_audit: ${reason}` };
}

const pack: Pack = {
  name: 'k8s_audit',
  title: 'Kubernetes audit log',
  classes: [
    { class_uid: API_ACTIVITY, class_name: 'API Activity', from: 'every audit Event (all stages; EventList batches and EKS CloudWatch Logs deliveries are split into their Events)' },
  ],

  detect(e: Event): boolean {
    const api = e.apiVersion;
    if (typeof api === 'string' && api.startsWith('audit.k8s.io/') && (e.kind === 'Event' || e.kind === 'EventList')) return true;
    if (isCloudWatch(e)) return (e.logGroup as string).startsWith('/aws/eks/');
    return isLogEvent(e);
  },

  map(e: Event, _ctx: MapContext): MapResult {
    if (e.kind === 'EventList') {
      const items = e.items;
      if (!Array.isArray(items)) return fail('EventList has no items array');
      const events: OcsfEvent[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (!isObj(it)) return fail(`items[${i}]: is not a JSON object`);
        const m = mapEvent(it, undefined, `items[${i}]: `);
        if (typeof m === 'string') return fail(m);
        events[i] = m;
      }
      return { ok: true, events };
    }
    if (isCloudWatch(e)) {
      const logs = e.logEvents as unknown[];
      const owner = str(e.owner);
      const meta: Rec = { log_provider: 'Amazon CloudWatch Logs', log_name: e.logGroup };
      const stream = str(e.logStream); if (stream !== undefined) meta.log_source = stream;
      const rest: Rec = {};
      for (const k in e) if (k !== 'owner' && k !== 'logGroup' && k !== 'logStream' && k !== 'logEvents') rest[k] = e[k];
      const env: Envelope = {
        cloud: owner !== undefined ? { provider: 'AWS', account: { uid: owner, type_id: 10 } } : { provider: 'AWS' },
        meta: { ...meta, profiles: ['cloud'] },
        rest: Object.keys(rest).length ? rest : undefined,
      };
      // A CONTROL_MESSAGE (CloudWatch checking the destination) carries no audit events.
      if (e.messageType === 'CONTROL_MESSAGE') return { ok: true, events: [] };
      const events: OcsfEvent[] = new Array(logs.length);
      for (let i = 0; i < logs.length; i++) {
        const le = logs[i];
        if (!isObj(le)) return fail(`logEvents[${i}]: is not a JSON object`);
        const m = fromLogEvent(le, env, `logEvents[${i}]: `);
        if (typeof m === 'string') return fail(m);
        events[i] = m;
      }
      return { ok: true, events };
    }
    if (e.kind !== 'Event' && isLogEvent(e)) {
      const m = fromLogEvent(e, { meta: { log_provider: 'Amazon CloudWatch Logs' } }, '');
      return typeof m === 'string' ? fail(m) : { ok: true, events: [m] };
    }
    const m = mapEvent(e, undefined, '');
    return typeof m === 'string' ? fail(m) : { ok: true, events: [m] };
  },
};

export default pack;
