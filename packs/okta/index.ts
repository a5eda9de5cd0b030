/**
 * Okta System Log events (the LogEvent objects of /api/v1/logs) -> OCSF. The class comes from
 * `eventType`: sign-ins and sign-outs are Authentication, changes to a user's account Account
 * Change, privilege grants User Access Management, group changes Group Management, lifecycle
 * changes of other objects (apps, policies, identity providers) Entity Management, and everything
 * else API Activity. README.md has the exact rules.
 */
import type { Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { isIp, metadata, toTime, unmapped } from '../../src/ocsf/map-kit.js';

type Rec = Record<string, unknown>;

const PRODUCT = { name: 'Okta System Log', vendor_name: 'Okta' } as const;
const AUTHENTICATION = 3002, ACCOUNT_CHANGE = 3001, ENTITY_MANAGEMENT = 3004, USER_ACCESS = 3005, GROUP_MANAGEMENT = 3006, API_ACTIVITY = 6003;

/** eventTypes with a class and activity of their own: [class_uid, activity_id]. */
const EXACT: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ['user.session.start', [AUTHENTICATION, 1]],
  ['user.session.end', [AUTHENTICATION, 2]],
  ['user.session.expire', [AUTHENTICATION, 2]],
  ['user.session.clear', [AUTHENTICATION, 2]],
  ['user.authentication.slo', [AUTHENTICATION, 2]],

  ['user.lifecycle.create', [ACCOUNT_CHANGE, 1]],
  ['user.lifecycle.activate', [ACCOUNT_CHANGE, 2]],
  ['user.lifecycle.reactivate', [ACCOUNT_CHANGE, 2]],
  ['user.lifecycle.unsuspend', [ACCOUNT_CHANGE, 2]],
  ['user.account.update_password', [ACCOUNT_CHANGE, 3]],
  ['user.account.reset_password', [ACCOUNT_CHANGE, 4]],
  ['user.lifecycle.deactivate', [ACCOUNT_CHANGE, 5]],
  ['user.lifecycle.suspend', [ACCOUNT_CHANGE, 5]],
  ['user.lifecycle.delete.initiated', [ACCOUNT_CHANGE, 6]],
  ['user.lifecycle.delete.completed', [ACCOUNT_CHANGE, 6]],
  ['user.account.lock', [ACCOUNT_CHANGE, 9]],
  ['user.account.lock.limit', [ACCOUNT_CHANGE, 9]],
  ['user.mfa.factor.activate', [ACCOUNT_CHANGE, 10]],
  ['user.mfa.factor.unsuspend', [ACCOUNT_CHANGE, 10]],
  ['user.mfa.factor.deactivate', [ACCOUNT_CHANGE, 11]],
  ['user.mfa.factor.reset_all', [ACCOUNT_CHANGE, 11]],
  ['user.mfa.factor.suspend', [ACCOUNT_CHANGE, 11]],
  ['user.account.unlock', [ACCOUNT_CHANGE, 12]],
  ['user.account.unlock_by_admin', [ACCOUNT_CHANGE, 12]],

  ['user.account.privilege.grant', [USER_ACCESS, 1]],
  ['user.account.privilege.revoke', [USER_ACCESS, 2]],
  ['application.user_membership.add', [USER_ACCESS, 1]],
  ['application.user_membership.remove', [USER_ACCESS, 2]],

  ['group.privilege.grant', [GROUP_MANAGEMENT, 1]],
  ['group.application_assignment.add', [GROUP_MANAGEMENT, 1]],
  ['group.privilege.revoke', [GROUP_MANAGEMENT, 2]],
  ['group.application_assignment.remove', [GROUP_MANAGEMENT, 2]],
  ['group.user_membership.add', [GROUP_MANAGEMENT, 3]],
  ['group.user_membership.remove', [GROUP_MANAGEMENT, 4]],
  ['group.lifecycle.delete', [GROUP_MANAGEMENT, 5]],
  ['group.lifecycle.create', [GROUP_MANAGEMENT, 6]],
]);

/** The last segment of a `<object>.lifecycle.<verb>` eventType -> Entity Management activity. */
const LIFECYCLE: ReadonlyMap<string, number> = new Map([
  ['create', 1], ['update', 3], ['delete', 4], ['activate', 10], ['deactivate', 11], ['suspend', 12], ['unsuspend', 13],
]);

/** The last segment of any other eventType -> API Activity activity (Other, 99, when not listed). */
const API_VERBS: ReadonlyMap<string, number> = new Map([
  ...['create', 'add', 'grant', 'assign', 'initiate', 'enroll'].map((v) => [v, 1] as const),
  ...['read', 'view', 'list', 'export', 'download', 'show_password'].map((v) => [v, 2] as const),
  ...['update', 'change', 'modify', 'reset', 'set', 'activate', 'deactivate', 'enable', 'disable', 'suspend', 'unsuspend', 'lock', 'unlock', 'rename', 'change_password']
    .map((v) => [v, 3] as const),
  ...['delete', 'remove', 'revoke', 'unassign', 'clear', 'unenroll'].map((v) => [v, 4] as const),
]);

/** Okta severity -> OCSF severity_id. WARN marks what deserves a look (lockouts, denied sign-ons, threats). */
const SEVERITY: ReadonlyMap<string, number> = new Map([['DEBUG', 1], ['INFO', 1], ['WARN', 3], ['ERROR', 4]]);

/** outcome.result -> status_id; the result itself is always kept in status_code. */
const STATUS: ReadonlyMap<string, number> = new Map([
  ['SUCCESS', 1], ['ALLOW', 1], ['FAILURE', 2], ['DENY', 2], ['REJECTED', 2], ['UNKNOWN', 0],
]);

/** Okta actor/target types that are OCSF user types; others keep their Okta type in user.type (type_id 99). */
const USER_TYPES: ReadonlyMap<string, number> = new Map([['User', 1], ['SystemPrincipal', 3]]);
/** Okta target types that are OCSF managed-entity types. */
const ENTITY_TYPES: ReadonlyMap<string, number> = new Map([['User', 2], ['UserGroup', 3], ['PolicyEntity', 5], ['NetworkZone', 7]]);

/** Okta's target members; a target with any other (non-null) member stays in unmapped whole. */
const TARGET_KEYS = new Set(['id', 'type', 'alternateId', 'displayName', 'detailEntry', 'details']);

// Source paths each mapping uses, for `unmapped`. `target` and `severity` are added when fully used.
const COMMON = [
  'uuid', 'published', 'eventType', 'version', 'displayMessage',
  'actor.id', 'actor.type', 'actor.alternateId', 'actor.displayName',
  'client.ipAddress', 'client.userAgent.rawUserAgent', 'client.zone',
  'client.geographicalContext.city', 'client.geographicalContext.postalCode',
  'client.geographicalContext.geolocation.lat', 'client.geographicalContext.geolocation.lon',
  'securityContext.asNumber', 'securityContext.asOrg', 'securityContext.isp', 'securityContext.domain',
  'outcome.result', 'outcome.reason', 'authenticationContext.externalSessionId',
  'debugContext.debugData.requestId', 'debugContext.debugData.requestUri', 'transaction.id',
];
const F_TARGET = 1, F_SEVERITY = 2, F_PRIVILEGE = 4;
const USED: string[][] = [];
for (let f = 0; f < 8; f++) {
  const u = [...COMMON];
  if (f & F_TARGET) u.push('target');
  if (f & F_SEVERITY) u.push('severity');
  if (f & F_PRIVILEGE) u.push('debugContext.debugData.privilegeGranted', 'debugContext.debugData.privilegeRevoked');
  USED.push(u);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isObj = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Okta writes "unknown" (and sometimes "null") where it has no id. */
const known = (v: unknown): string | undefined => {
  const s = str(v);
  return s === undefined || s === 'unknown' || s === 'null' ? undefined : s;
};

/** An Okta actor or target (id, type, alternateId, displayName) as an OCSF user. */
function user(x: Rec): Rec | undefined {
  const u: Rec = {};
  const type = str(x.type);
  if (type !== undefined) {
    const t = USER_TYPES.get(type);
    if (t !== undefined) u.type_id = t; else { u.type_id = 99; u.type = type; }
  }
  const id = known(x.id); if (id !== undefined) u.uid = id;
  const login = known(x.alternateId);
  if (login !== undefined) { u.name = login; if (login.includes('@')) u.email_addr = login; }
  const display = str(x.displayName); if (display !== undefined) u.display_name = display;
  return id !== undefined || login !== undefined ? u : undefined;
}

/** A target as an OCSF resource (undefined when it has neither id nor name). */
function resource(x: Rec): Rec | undefined {
  const r: Rec = {};
  const id = known(x.id); if (id !== undefined) r.uid = id;
  const name = str(x.displayName); if (name !== undefined) r.name = name;
  if (id === undefined && name === undefined) return undefined;
  const alt = known(x.alternateId); if (alt !== undefined) r.uid_alt = alt;
  const type = str(x.type); if (type !== undefined) r.type = type;
  if (x.detailEntry !== null && x.detailEntry !== undefined) r.data = x.detailEntry;
  return r;
}

/** Whether every member of a target is one this pack maps (so the target may leave unmapped). */
function plainTarget(x: Rec): boolean {
  for (const k in x) if (!TARGET_KEYS.has(k) || (k === 'details' && x[k] !== null)) return false;
  return true;
}

function targets(e: Rec): Rec[] {
  const t = e.target;
  if (!Array.isArray(t)) return [];
  const out: Rec[] = [];
  for (const x of t) if (isObj(x)) out.push(x);
  return out;
}

function srcEndpoint(e: Rec): Rec | undefined {
  const client = isObj(e.client) ? e.client : undefined;
  const sec = isObj(e.securityContext) ? e.securityContext : undefined;
  const ep: Rec = {};
  const ip = client && str(client.ipAddress);
  if (ip !== undefined && isIp(ip)) ep.ip = ip;
  const zone = client && known(client.zone);
  if (zone !== undefined) ep.zone = zone;
  const geo = client && isObj(client.geographicalContext) ? client.geographicalContext : undefined;
  if (geo !== undefined) {
    // country and state are names ("United States", "California"), not the ISO codes OCSF's
    // location.country and .region hold, so they stay in unmapped.
    const loc: Rec = {};
    const city = str(geo.city); if (city !== undefined) loc.city = city;
    const postal = str(geo.postalCode); if (postal !== undefined) loc.postal_code = postal;
    if (city !== undefined || postal !== undefined) {
      const g = geo.geolocation;
      if (isObj(g)) {
        if (typeof g.lat === 'number') loc.lat = g.lat;
        if (typeof g.lon === 'number') loc.long = g.lon;
      }
      ep.location = loc;
    }
  }
  if (sec !== undefined) {
    const as: Rec = {};
    if (typeof sec.asNumber === 'number') as.number = sec.asNumber;
    const org = str(sec.asOrg); if (org !== undefined) as.name = org;
    if (as.number !== undefined || org !== undefined) ep.autonomous_system = as;
    const isp = str(sec.isp); if (isp !== undefined) ep.isp = isp;
    const domain = str(sec.domain); if (domain !== undefined) ep.domain = domain;
  }
  // A name or a zone alone does not identify an endpoint for OCSF (it needs an ip, name, uid...).
  return ep.ip !== undefined ? ep : undefined;
}

function httpRequest(e: Rec): Rec | undefined {
  const h: Rec = {};
  const client = isObj(e.client) ? e.client : undefined;
  const ua = client && isObj(client.userAgent) ? str(client.userAgent.rawUserAgent) : undefined;
  if (ua !== undefined) h.user_agent = ua;
  const dbg = isObj(e.debugContext) && isObj(e.debugContext.debugData) ? e.debugContext.debugData : undefined;
  if (dbg !== undefined) {
    const id = known(dbg.requestId); if (id !== undefined) h.uid = id;
    const path = str(dbg.requestUri); if (path !== undefined) h.url = { path };
  }
  for (const _ in h) return h;
  return undefined;
}

function session(e: Rec): Rec | undefined {
  const ac = e.authenticationContext;
  const id = isObj(ac) ? known(ac.externalSessionId) : undefined;
  return id !== undefined ? { uid: id } : undefined;
}

function fail(reason: string): MapResult {
  return { ok: false, reason: `okta: ${reason}` };
}

/** The class and activity of an eventType (see README.md for the rules in words). */
function classify(type: string, ts: Rec[]): [number, number] {
  const exact = EXACT.get(type);
  if (exact !== undefined) return [exact[0], exact[1]];
  if (type.startsWith('user.authentication.')) return [AUTHENTICATION, 1];
  if (type.startsWith('user.account.') || type.startsWith('user.lifecycle.') || type.startsWith('user.mfa.factor.')) return [ACCOUNT_CHANGE, 99];
  const last = type.slice(type.lastIndexOf('.') + 1);
  if (type.startsWith('group.') && ts.some((t) => t.type === 'UserGroup')) return [GROUP_MANAGEMENT, 99];
  const lc = type.indexOf('.lifecycle.');
  if (lc > 0 && ts.length > 0 && !type.startsWith('user.') && !type.startsWith('group.')) {
    const a = LIFECYCLE.get(last);
    if (a !== undefined) return [ENTITY_MANAGEMENT, a];
  }
  return [API_ACTIVITY, API_VERBS.get(last) ?? 99];
}

function mapEvent(e: Rec): MapResult {
  const time = toTime(e.published);
  if (time === null) return fail(`published is missing or not a time (${JSON.stringify(e.published) ?? 'absent'})`);
  const eventType = str(e.eventType);
  if (eventType === undefined) return fail('eventType is missing');
  const actorSrc = isObj(e.actor) ? e.actor : undefined;
  const actorUser = actorSrc && user(actorSrc);
  const ts = targets(e);
  let [cls, activity] = classify(eventType, ts);
  let flags = 0;

  const out: OcsfEvent = { class_uid: cls, activity_id: activity };
  const sev = str(e.severity);
  const sevId = sev !== undefined ? SEVERITY.get(sev) : undefined;
  if (sevId !== undefined) { out.severity_id = sevId; flags |= F_SEVERITY; } else out.severity_id = 0;
  out.time = time;
  const outcome = isObj(e.outcome) ? e.outcome : undefined;
  const result = outcome && str(outcome.result);
  if (result !== undefined) {
    out.status_id = STATUS.get(result) ?? 99;
    out.status_code = result;
  }
  const reason = outcome && str(outcome.reason);
  if (reason !== undefined) out.status_detail = reason;
  const msg = str(e.displayMessage);
  if (msg !== undefined) out.message = msg;

  const sess = session(e);
  const actor: Rec | undefined = actorUser !== undefined ? { user: actorUser } : undefined;
  const firstUserTarget = ts.find((t) => t.type === 'User');
  // Targets are mapped whole or not at all: when one cannot be expressed, `target` stays in unmapped.
  let allTargetsUsed = false;

  switch (cls) {
    case AUTHENTICATION: {
      // The subject is a target user (an admin ending someone's sessions) or else the actor.
      const targetUser = firstUserTarget && user(firstUserTarget);
      const subject = targetUser ?? actorUser;
      if (subject === undefined) return fail(`${eventType} names no user (actor or User target with an id or alternateId)`);
      out.user = subject;
      // The actor is worth a place of its own only when someone else acted on the user.
      if (targetUser !== undefined && actor !== undefined) out.actor = actor;
      if (sess !== undefined) out.session = sess;
      if (eventType === 'user.authentication.auth_via_mfa') out.is_mfa = true;
      // The service signed in to: the app for an SSO, else Okta itself.
      const app = ts.find((t) => t.type === 'AppInstance');
      const svc: Rec = { name: (app && str(app.displayName)) ?? 'Okta' };
      const appId = app && known(app.id); if (appId !== undefined) svc.uid = appId;
      out.service = svc;
      break;
    }
    case ACCOUNT_CHANGE: {
      const subject = (firstUserTarget && user(firstUserTarget)) ?? actorUser;
      if (subject === undefined) return fail(`${eventType} names no user (actor or User target with an id or alternateId)`);
      out.user = subject;
      if (actor !== undefined) out.actor = sess && actor ? { ...actor, session: sess } : actor;
      allTargetsUsed = ts.length === 0 || (ts.length === 1 && firstUserTarget !== undefined && plainDetails(firstUserTarget));
      break;
    }
    case USER_ACCESS: {
      const subject = firstUserTarget && user(firstUserTarget);
      const privileges = eventType.startsWith('application.') ? ['Application access'] : privilegeList(e);
      if (subject === undefined || privileges === undefined) {
        // Without the user or the privileges User Access Management is not valid OCSF: report it as an API call.
        cls = API_ACTIVITY; activity = API_VERBS.get(eventType.slice(eventType.lastIndexOf('.') + 1)) ?? 99;
        out.class_uid = cls; out.activity_id = activity;
        break;
      }
      if (!eventType.startsWith('application.')) flags |= F_PRIVILEGE;
      out.user = subject;
      out.privileges = privileges;
      if (actor !== undefined) out.actor = sess ? { ...actor, session: sess } : actor;
      const res = ts.filter((t) => t !== firstUserTarget).map(resource).filter((r): r is Rec => r !== undefined);
      if (res.length) out.resources = res;
      allTargetsUsed = ts.every(plainTarget) && res.length === ts.length - 1 && plainDetails(firstUserTarget!);
      break;
    }
    case GROUP_MANAGEMENT: {
      const g = ts.find((t) => t.type === 'UserGroup');
      const group: Rec = {};
      const gid = g && known(g.id); if (gid !== undefined) group.uid = gid;
      const gname = g && str(g.displayName); if (gname !== undefined) group.name = gname;
      if (g === undefined || (gid === undefined && gname === undefined)) {
        cls = API_ACTIVITY; activity = API_VERBS.get(eventType.slice(eventType.lastIndexOf('.') + 1)) ?? 99;
        out.class_uid = cls; out.activity_id = activity;
        break;
      }
      const gdesc = g && known(g.alternateId); if (gdesc !== undefined && gdesc !== gname) group.uid_alt = gdesc;
      out.group = group;
      const member = firstUserTarget && user(firstUserTarget);
      if (member !== undefined) out.user = member;
      if (actor !== undefined) out.actor = sess ? { ...actor, session: sess } : actor;
      // Other targets (the app of an application assignment) are the resource the privileges are for.
      const rest = ts.filter((t) => t !== g && t !== firstUserTarget);
      const r = rest.length === 1 ? resource(rest[0]!) : undefined;
      if (r !== undefined) out.resource = r;
      allTargetsUsed = ts.every(plainTarget) && g.detailEntry == null && (firstUserTarget === undefined || plainDetails(firstUserTarget))
        && (rest.length === 0 || (rest.length === 1 && r !== undefined));
      break;
    }
    case ENTITY_MANAGEMENT: {
      const t = ts[0]!;
      const entity: Rec = {};
      const id = known(t.id); if (id !== undefined) entity.uid = id;
      const name = str(t.displayName); if (name !== undefined) entity.name = name;
      const type = str(t.type);
      const typeId = type !== undefined ? ENTITY_TYPES.get(type) : undefined;
      if (typeId !== undefined) entity.type_id = typeId; else if (type !== undefined) entity.type = type;
      if (t.detailEntry !== null && t.detailEntry !== undefined) entity.data = t.detailEntry;
      if (id === undefined && name === undefined) {
        cls = API_ACTIVITY; activity = API_VERBS.get(eventType.slice(eventType.lastIndexOf('.') + 1)) ?? 99;
        out.class_uid = cls; out.activity_id = activity;
        break;
      }
      out.entity = entity;
      if (actor !== undefined) out.actor = sess ? { ...actor, session: sess } : actor;
      // managed_entity has no place for an alternateId.
      allTargetsUsed = ts.length === 1 && plainTarget(t) && known(t.alternateId) === undefined;
      break;
    }
  }

  if (out.class_uid === API_ACTIVITY) {
    const a: Rec = actor !== undefined ? (sess ? { ...actor, session: sess } : actor) : {};
    if (actorUser === undefined) {
      if (sess === undefined) return fail(`${eventType} has no actor (OCSF API Activity needs one)`);
      a.session = sess;
    }
    out.actor = a;
    const api: Rec = { operation: eventType, service: { name: 'Okta' } };
    const dbg = isObj(e.debugContext) && isObj(e.debugContext.debugData) ? e.debugContext.debugData : undefined;
    const reqId = dbg && known(dbg.requestId);
    if (reqId !== undefined) api.request = { uid: reqId };
    out.api = api;
    const res = ts.map(resource).filter((r): r is Rec => r !== undefined);
    if (res.length) out.resources = res;
    allTargetsUsed = res.length === ts.length && ts.every(plainTarget);
  }

  // API Activity requires a source endpoint: events Okta raises itself (rate limits, jobs) have no
  // client address, and their source is the Okta service.
  const src = srcEndpoint(e);
  if (src !== undefined) out.src_endpoint = src;
  else if (out.class_uid === API_ACTIVITY) out.src_endpoint = { svc_name: 'Okta' };
  const http = httpRequest(e);
  if (http !== undefined) out.http_request = http;

  const uuid = str(e.uuid);
  const extra: Rec = { event_code: eventType };
  if (uuid !== undefined) { extra.uid = uuid; extra.original_event_uid = uuid; }
  const version = str(e.version); if (version !== undefined) extra.log_version = version;
  const tx = isObj(e.transaction) ? known(e.transaction.id) : undefined;
  if (tx !== undefined) extra.correlation_uid = tx;
  out.metadata = metadata(PRODUCT, extra);

  if (allTargetsUsed) flags |= F_TARGET;
  const rest = unmapped(e, USED[flags]!);
  if (rest !== undefined) out.unmapped = rest;
  return { ok: true, events: [out] };
}

/** A user target mapped to OCSF `user` loses its detailEntry, so only one without it counts as used. */
function plainDetails(t: Rec): boolean {
  return plainTarget(t) && (t.detailEntry === null || t.detailEntry === undefined);
}

/** debugData.privilegeGranted / privilegeRevoked ("Super administrator, Read only admin") as a list. */
function privilegeList(e: Rec): string[] | undefined {
  const dbg = isObj(e.debugContext) && isObj(e.debugContext.debugData) ? e.debugContext.debugData : undefined;
  const s = dbg && (str(dbg.privilegeGranted) ?? str(dbg.privilegeRevoked));
  if (s === undefined) return undefined;
  const list = s.split(', ').filter((p) => p !== '');
  return list.length ? list : undefined;
}

/**
 * Okta's top-level names, lower-cased: how they come out of data lakes with case-insensitive
 * columns (Panther, Snowflake exports). Nested objects keep Okta's camelCase there.
 */
const LOWER_CASED: ReadonlyMap<string, string> = new Map(
  ['eventType', 'legacyEventType', 'displayMessage', 'authenticationContext', 'securityContext', 'debugContext']
    .map((k) => [k.toLowerCase(), k]),
);

/** A shallow copy with Okta's own top-level names (the input is not changed). */
function camelCased(e: Event): Event {
  const out: Event = {};
  for (const k in e) {
    if (!Object.hasOwn(e, k)) continue;
    const name = LOWER_CASED.get(k);
    // A name present in both spellings keeps Okta's; the other stays, and ends in `unmapped`.
    const key = name !== undefined && !Object.hasOwn(e, name) ? name : k;
    // An own `__proto__` key (JSON.parse makes one) must stay data, not set the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: e[k], enumerable: true, writable: true, configurable: true });
    else out[key] = e[k];
  }
  return out;
}

const pack: Pack = {
  name: 'okta',
  title: 'Okta System Log',
  classes: [
    { class_uid: AUTHENTICATION, class_name: 'Authentication', from: 'user.session.start/end/expire/clear and user.authentication.* events' },
    { class_uid: ACCOUNT_CHANGE, class_name: 'Account Change', from: 'user.account.*, user.lifecycle.* and user.mfa.factor.* events' },
    { class_uid: USER_ACCESS, class_name: 'User Access Management', from: 'user.account.privilege.grant/revoke, application.user_membership.add/remove' },
    { class_uid: GROUP_MANAGEMENT, class_name: 'Group Management', from: 'group.* events that name a UserGroup target' },
    { class_uid: ENTITY_MANAGEMENT, class_name: 'Entity Management', from: '<object>.lifecycle.<create|update|delete|activate|deactivate|suspend|unsuspend> for apps, policies, identity providers...' },
    { class_uid: API_ACTIVITY, class_name: 'API Activity', from: 'every other eventType' },
  ],

  detect(e: Event): boolean {
    // A LogEvent: a uuid, a published time and a dotted eventType, with an actor object.
    return (typeof e.eventType === 'string' || typeof e.eventtype === 'string') && typeof e.published === 'string' && typeof e.uuid === 'string' && isObj(e.actor);
  },

  map(e: Event, _ctx: MapContext): MapResult {
    if (typeof e.eventType !== 'string' && typeof e.eventtype === 'string') e = camelCased(e);
    if (typeof e.eventType !== 'string' || !('published' in e)) {
      return fail('not an Okta System Log event (needs eventType and published)');
    }
    return mapEvent(e);
  },
};

export default pack;
