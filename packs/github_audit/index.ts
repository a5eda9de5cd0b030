/**
 * GitHub audit log entries (organization and enterprise audit logs, as the REST API and audit log
 * streaming deliver them) -> OCSF. Membership of organizations and teams becomes Group Management,
 * user accounts Account Change, OAuth and fine-grained token grants User Access Management, sign-ins
 * (GitHub Enterprise Server) Authentication, and every other action API Activity with
 * api.operation = action. README.md has the exact rules.
 */
import type { Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { isIp, metadata, toTime, unmapped } from '../../src/ocsf/map-kit.js';

type Rec = Record<string, unknown>;

const PRODUCT = { name: 'GitHub Audit Log', vendor_name: 'GitHub' } as const;
const AUTHENTICATION = 3002, ACCOUNT_CHANGE = 3001, USER_ACCESS = 3005, GROUP_MANAGEMENT = 3006, API_ACTIVITY = 6003;

/** Actions with an IAM class of their own: [class_uid, activity_id]. */
const EXACT: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ['user.login', [AUTHENTICATION, 1]],
  ['user.failed_login', [AUTHENTICATION, 1]],
  ['user.logout', [AUTHENTICATION, 2]],

  ['user.create', [ACCOUNT_CHANGE, 1]],
  ['user.unsuspend', [ACCOUNT_CHANGE, 2]],
  ['user.change_password', [ACCOUNT_CHANGE, 3]],
  ['user.forgot_password', [ACCOUNT_CHANGE, 4]],
  ['user.suspend', [ACCOUNT_CHANGE, 5]],
  ['user.destroy', [ACCOUNT_CHANGE, 6]],
  ['two_factor_authentication.enabled', [ACCOUNT_CHANGE, 10]],
  ['two_factor_authentication.disabled', [ACCOUNT_CHANGE, 11]],

  ['oauth_authorization.create', [USER_ACCESS, 1]],
  ['oauth_authorization.destroy', [USER_ACCESS, 2]],
  ['personal_access_token.access_granted', [USER_ACCESS, 1]],
  ['personal_access_token.access_revoked', [USER_ACCESS, 2]],

  ['team.add_repository', [GROUP_MANAGEMENT, 1]],
  ['team.remove_repository', [GROUP_MANAGEMENT, 2]],
  ['org.add_member', [GROUP_MANAGEMENT, 3]],
  ['org.reinstate_member', [GROUP_MANAGEMENT, 3]],
  ['team.add_member', [GROUP_MANAGEMENT, 3]],
  ['org.remove_member', [GROUP_MANAGEMENT, 4]],
  ['team.remove_member', [GROUP_MANAGEMENT, 4]],
  ['team.destroy', [GROUP_MANAGEMENT, 5]],
  ['team.create', [GROUP_MANAGEMENT, 6]],
  // Membership steps without an activity of their own in OCSF: Other (99).
  ['org.invite_member', [GROUP_MANAGEMENT, 99]],
  ['org.invite_user', [GROUP_MANAGEMENT, 99]],
  ['org.cancel_invitation', [GROUP_MANAGEMENT, 99]],
  ['org.update_member', [GROUP_MANAGEMENT, 99]],
]);

/** operation_type (GitHub's own CRUD classification) -> API Activity activity. */
const OPERATIONS: ReadonlyMap<string, number> = new Map([['create', 1], ['access', 2], ['modify', 3], ['remove', 4]]);
/** Without operation_type: the last segment of the action. */
const VERBS: ReadonlyMap<string, number> = new Map([
  ...['create', 'add', 'created', 'add_member', 'invite', 'import', 'fork'].map((v) => [v, 1] as const),
  ...['clone', 'fetch', 'access', 'download', 'view', 'list', 'export'].map((v) => [v, 2] as const),
  ...['update', 'push', 'modify', 'rename', 'change', 'enable', 'disable', 'enabled', 'disabled', 'archived', 'unarchived', 'transfer', 'config', 'update_name', 'policy_override']
    .map((v) => [v, 3] as const),
  ...['destroy', 'delete', 'remove', 'remove_member', 'revoke', 'dismiss'].map((v) => [v, 4] as const),
]);

// Source paths each mapping uses, for `unmapped`; some are added per event by flags.
const COMMON = [
  '@timestamp', '_document_id', 'action', 'actor', 'actor_id', 'actor_is_bot', 'actor_ip', 'actor_location.country_code',
  'user_agent', 'request_id', 'external_identity_nameid',
];
const F_CREATED = 1; // created_at was the time (or equal to @timestamp)
const F_OPERATION = 2; // operation_type chose the activity
const F_USER = 4; // user / user_id became an OCSF user or resource
const F_ORG = 8; // org / org_id were mapped
const F_REPO = 16; // repo / repo_id were mapped
const F_TEAM = 32; // team was mapped
const F_BUSINESS = 64; // business / business_id were mapped
const F_SCOPES = 128; // token_scopes or permissions became privileges
const F_APP = 256; // oauth_application_* became a resource
const F_REPOSITORY = 512; // repository (the Git events' copy of repo) was mapped
const F_TOKEN = 1024; // token_id / programmatic_access_type became a programmatic credential
/** The used-path list for a set of flags, built on first use and then reused (one per combination). */
const USED: (string[] | undefined)[] = new Array(2048);
function usedFor(f: number): string[] {
  const cached = USED[f];
  if (cached !== undefined) return cached;
  const u = [...COMMON];
  if (f & F_CREATED) u.push('created_at');
  if (f & F_OPERATION) u.push('operation_type');
  if (f & F_USER) u.push('user', 'user_id');
  if (f & F_ORG) u.push('org', 'org_id');
  if (f & F_REPO) u.push('repo', 'repo_id');
  if (f & F_REPOSITORY) u.push('repository');
  if (f & F_TEAM) u.push('team');
  if (f & F_BUSINESS) u.push('business', 'business_id');
  if (f & F_SCOPES) u.push('token_scopes', 'permissions');
  if (f & F_APP) u.push('oauth_application_name', 'oauth_application_id');
  if (f & F_TOKEN) u.push('token_id', 'programmatic_access_type');
  return (USED[f] = u);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** GitHub ids come as numbers or strings; OCSF uids are strings. */
const id = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v));
const isObj = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(reason: string): MapResult {
  return { ok: false, reason: `github_audit: ${reason}` };
}

/** The acting account. Bots (github-actions[bot], Dependabot) are service accounts. */
function actorUser(e: Rec): Rec | undefined {
  const name = str(e.actor);
  const uid = id(e.actor_id);
  // GitHub writes actor_id 0 when there is no account behind the action.
  if (name === undefined && (uid === undefined || uid === '0')) return undefined;
  const u: Rec = {};
  if (name !== undefined) u.name = name;
  if (uid !== undefined && uid !== '0') u.uid = uid;
  if (e.actor_is_bot === true) u.type_id = 4; else if (e.actor_is_bot === false) u.type_id = 1;
  const nameid = str(e.external_identity_nameid); if (nameid !== undefined) u.uid_alt = nameid;
  const tokenId = id(e.token_id);
  if (tokenId !== undefined && tokenId !== '0') {
    const cred: Rec = { uid: tokenId };
    const kind = str(e.programmatic_access_type); if (kind !== undefined) cred.type = kind;
    u.programmatic_credentials = [cred];
  }
  return u;
}

/** The account the action was about (`user`, `user_id`). */
function subjectUser(e: Rec): Rec | undefined {
  const name = str(e.user);
  const uid = id(e.user_id);
  if (name === undefined && (uid === undefined || uid === '0')) return undefined;
  const u: Rec = {};
  if (name !== undefined) u.name = name;
  if (uid !== undefined && uid !== '0') u.uid = uid;
  return u;
}

/** `repo`, `org` and `business` as OCSF resources, with the flags of what was used. */
function contextResources(e: Rec, out: Rec[]): number {
  let flags = 0;
  // Git events name the repository twice (`repo` and `repository`); when the two differ, the
  // second one stays in unmapped.
  const repo = str(e.repo) ?? str(e.repository);
  if (repo !== undefined) {
    const r: Rec = { name: repo, type: 'Repository' };
    const rid = id(e.repo_id); if (rid !== undefined) r.uid = rid;
    out.push(r);
    flags |= F_REPO;
    if (e.repository === repo) flags |= F_REPOSITORY;
  }
  const org = str(e.org);
  if (org !== undefined) {
    const r: Rec = { name: org, type: 'Organization' };
    const oid = id(e.org_id); if (oid !== undefined) r.uid = oid;
    out.push(r);
    flags |= F_ORG;
  }
  const biz = str(e.business);
  if (biz !== undefined) {
    const r: Rec = { name: biz, type: 'Enterprise' };
    const bid = id(e.business_id); if (bid !== undefined) r.uid = bid;
    out.push(r);
    flags |= F_BUSINESS;
  }
  return flags;
}

/** token_scopes ("repo,read:org" or an array) or fine-grained permissions ({contents: "read"}) as a list. */
function privileges(e: Rec): string[] | undefined {
  const scopes = e.token_scopes;
  if (typeof scopes === 'string' && scopes !== '') return scopes.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(scopes) && scopes.length && scopes.every((s) => typeof s === 'string')) return scopes as string[];
  const perms = e.permissions;
  if (isObj(perms)) {
    const out: string[] = [];
    for (const k in perms) out.push(typeof perms[k] === 'string' ? `${k}:${perms[k] as string}` : k);
    if (out.length) return out;
  }
  return undefined;
}

/** API Activity, or the fallback for an IAM action whose required object the entry does not name. */
function apiActivity(e: Rec, action: string, out: OcsfEvent, actor: Rec | undefined): number | string {
  let flags = 0;
  const op = str(e.operation_type);
  let activity = op !== undefined ? OPERATIONS.get(op) : undefined;
  if (activity !== undefined) flags |= F_OPERATION;
  else activity = VERBS.get(action.slice(action.lastIndexOf('.') + 1)) ?? 99;
  out.class_uid = API_ACTIVITY;
  out.activity_id = activity;
  if (actor === undefined) return `${action} has no actor (OCSF API Activity needs one)`;
  out.actor = { user: actor };
  const api: Rec = { operation: action, service: { name: 'GitHub' } };
  const req = str(e.request_id); if (req !== undefined) api.request = { uid: req };
  out.api = api;
  const resources: Rec[] = [];
  flags |= contextResources(e, resources);
  const subject = subjectUser(e);
  if (subject !== undefined) { resources.push({ ...subject, type: 'User' }); flags |= F_USER; }
  if (resources.length) out.resources = resources;
  return flags;
}

function mapEntry(e: Rec): MapResult {
  const action = str(e.action);
  if (action === undefined) return fail('action is missing');
  const ts = e['@timestamp'];
  const time = toTime(ts ?? e.created_at);
  if (time === null) return fail(`neither @timestamp nor created_at is a time (${JSON.stringify(ts ?? e.created_at) ?? 'absent'})`);
  let flags = ts === undefined || e.created_at === undefined || e.created_at === ts ? F_CREATED : 0;

  const actor = actorUser(e);
  const exact = EXACT.get(action);
  let cls = exact ? exact[0] : action.startsWith('team.') ? GROUP_MANAGEMENT : action.startsWith('user.') ? ACCOUNT_CHANGE : API_ACTIVITY;
  const out: OcsfEvent = { class_uid: cls, activity_id: exact ? exact[1] : 99, severity_id: 1, time };
  // The audit log records actions that took place; only a failed sign-in is a failure.
  out.status_id = action === 'user.failed_login' ? 2 : 1;

  switch (cls) {
    case AUTHENTICATION: {
      const u = actor ?? subjectUser(e);
      if (u === undefined) return fail(`${action} names no user (actor or user)`);
      out.user = u;
      // `user` repeats the actor on sign-ins; it is used when it adds nothing.
      if (actor === undefined || (e.user === e.actor && (e.user_id === undefined || e.user_id === e.actor_id))) flags |= F_USER;
      out.service = { name: 'GitHub' };
      break;
    }
    case ACCOUNT_CHANGE: {
      const subject = subjectUser(e);
      const u = subject ?? actor;
      if (u === undefined) return fail(`${action} names no user (user or actor)`);
      out.user = u;
      if (subject !== undefined) flags |= F_USER;
      if (actor !== undefined) out.actor = { user: actor };
      break;
    }
    case USER_ACCESS: {
      const privs = privileges(e);
      const subject = subjectUser(e);
      const u = subject ?? actor;
      if (privs === undefined || u === undefined) { cls = API_ACTIVITY; break; }
      out.user = u;
      if (subject !== undefined) flags |= F_USER;
      out.privileges = privs;
      flags |= F_SCOPES;
      if (actor !== undefined) out.actor = { user: actor };
      const resources: Rec[] = [];
      const app = str(e.oauth_application_name);
      const appId = id(e.oauth_application_id);
      if (app !== undefined || appId !== undefined) {
        const r: Rec = { type: 'OAuth application' };
        if (app !== undefined) r.name = app;
        if (appId !== undefined) r.uid = appId;
        resources.push(r);
        flags |= F_APP;
      }
      flags |= contextResources(e, resources);
      if (resources.length) out.resources = resources;
      break;
    }
    case GROUP_MANAGEMENT: {
      const team = str(e.team);
      const org = str(e.org);
      const group: Rec = {};
      if (action.startsWith('team.')) {
        if (team === undefined) { cls = API_ACTIVITY; break; }
        group.name = team; group.type = 'Team';
        flags |= F_TEAM;
      } else {
        if (org === undefined) { cls = API_ACTIVITY; break; }
        group.name = org; group.type = 'Organization';
        const oid = id(e.org_id); if (oid !== undefined) group.uid = oid;
        flags |= F_ORG;
      }
      out.group = group;
      const subject = subjectUser(e);
      if (subject !== undefined) { out.user = subject; flags |= F_USER; }
      if (actor !== undefined) out.actor = { user: actor };
      // A repository given to or taken from a team is the resource the privileges are for.
      const repo = str(e.repo) ?? str(e.repository);
      if (repo !== undefined) {
        const r: Rec = { name: repo, type: 'Repository' };
        const rid = id(e.repo_id); if (rid !== undefined) r.uid = rid;
        out.resource = r;
        flags |= F_REPO;
        if (e.repository === repo) flags |= F_REPOSITORY;
      }
      break;
    }
  }
  if (cls === API_ACTIVITY) {
    const r = apiActivity(e, action, out, actor);
    if (typeof r === 'string') return fail(r);
    flags |= r;
  }

  // Only enterprises that disclose actor IP addresses have actor_ip; OCSF still needs a source endpoint
  // for API Activity, so one without an address is named "unknown" (with its country when known).
  const src: Rec = {};
  const ip = str(e.actor_ip);
  if (ip !== undefined && isIp(ip)) src.ip = ip;
  const loc = isObj(e.actor_location) ? str(e.actor_location.country_code) : undefined;
  if (loc !== undefined) src.location = { country: loc };
  if (src.ip !== undefined) out.src_endpoint = src;
  else if (out.class_uid === API_ACTIVITY) out.src_endpoint = { name: 'unknown', ...src };
  else if (loc !== undefined) out.src_endpoint = { name: 'unknown', ...src };
  const http: Rec = {};
  const ua = str(e.user_agent); if (ua !== undefined) http.user_agent = ua;
  const req = str(e.request_id); if (req !== undefined) http.uid = req;
  if (ua !== undefined || req !== undefined) out.http_request = http;
  if (actor !== undefined && actor.programmatic_credentials !== undefined) flags |= F_TOKEN;

  const extra: Rec = { event_code: action };
  const doc = str(e._document_id);
  if (doc !== undefined) { extra.uid = doc; extra.original_event_uid = doc; }
  out.metadata = metadata(PRODUCT, extra);

  const rest = unmapped(e, usedFor(flags));
  if (rest !== undefined) out.unmapped = rest;
  return { ok: true, events: [out] };
}

const pack: Pack = {
  name: 'github_audit',
  title: 'GitHub audit log',
  classes: [
    { class_uid: GROUP_MANAGEMENT, class_name: 'Group Management', from: 'organization membership (org.add_member, org.remove_member, invitations) and team.* actions' },
    { class_uid: ACCOUNT_CHANGE, class_name: 'Account Change', from: 'user.* account actions and two_factor_authentication.enabled/disabled' },
    { class_uid: USER_ACCESS, class_name: 'User Access Management', from: 'oauth_authorization.create/destroy and personal_access_token.access_granted/access_revoked with scopes or permissions' },
    { class_uid: AUTHENTICATION, class_name: 'Authentication', from: 'user.login, user.failed_login, user.logout (GitHub Enterprise Server)' },
    { class_uid: API_ACTIVITY, class_name: 'API Activity', from: 'every other action (repo.*, git.*, protected_branch.*, hook.*, workflows.*...)' },
  ],

  detect(e: Event): boolean {
    const action = e.action;
    if (typeof action !== 'string' || !action.includes('.')) return false;
    return typeof e['@timestamp'] === 'number' || typeof e._document_id === 'string' || e.at_sign_timestamp !== undefined
      || (typeof e.created_at === 'number' && typeof e.actor === 'string');
  },

  map(e: Event, _ctx: MapContext): MapResult {
    // Data lakes that cannot name a column `@timestamp` (Panther) export it as `at_sign_timestamp`.
    if (e['@timestamp'] === undefined && e.at_sign_timestamp !== undefined) {
      const { at_sign_timestamp: ts, ...rest } = e;
      return mapEntry({ '@timestamp': ts, ...rest });
    }
    return mapEntry(e);
  },
};

export default pack;
