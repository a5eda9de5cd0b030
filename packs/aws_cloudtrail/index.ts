/**
 * AWS CloudTrail records -> OCSF. API calls (and console actions, service events, VPC endpoint
 * events) become API Activity (6003); console sign-ins become Authentication (3002). A CloudTrail
 * log file (`{"Records": [...]}`) is one input event that maps to one OCSF event per record.
 *
 * This pack runs on the hottest path of normalization (CloudTrail is the biggest source most users
 * have), so map() is straight-line property reads: the verb table and the `unmapped` path lists
 * are built once at module load, and no regular expression is compiled per event.
 */
import type { Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { isIp, OCSF_VERSION, toTime, unmapped } from '../../src/ocsf/map-kit.js';

type Rec = Record<string, unknown>;

const PRODUCT = { name: 'CloudTrail', vendor_name: 'AWS' } as const;
const CLASS_API = 6003;
const CLASS_AUTH = 3002;

const CREATE = 1, READ = 2, UPDATE = 3, DELETE = 4, OTHER = 99;

/**
 * The leading verb of an eventName -> API Activity activity_id. `readOnly: true` wins over this
 * table (it is AWS's own classification); names whose verb is not listed are Other (99).
 */
const VERBS: ReadonlyMap<string, number> = new Map([
  ...['Create', 'Put', 'Run', 'Start', 'Add', 'Allocate', 'Import', 'Copy', 'Register', 'Request', 'Upload', 'Issue', 'Restore', 'Generate']
    .map((v) => [v, CREATE] as const),
  ...['Get', 'Describe', 'List', 'Head', 'Lookup', 'Search', 'Scan', 'Query', 'Select', 'Filter', 'Retrieve', 'Download', 'Check', 'Validate', 'Preview', 'Estimate', 'Simulate']
    .map((v) => [v, READ] as const),
  ...['Update', 'Modify', 'Set', 'Attach', 'Associate', 'Enable', 'Disable', 'Change', 'Replace', 'Reset', 'Tag', 'Untag', 'Apply', 'Authorize', 'Revoke', 'Stop', 'Reboot', 'Rotate', 'Cancel', 'Accept', 'Reject', 'Confirm', 'Rename', 'Edit', 'Assign', 'Unassign']
    .map((v) => [v, UPDATE] as const),
  ...['Delete', 'Remove', 'Terminate', 'Detach', 'Deregister', 'Release', 'Disassociate', 'Purge', 'Destroy', 'Unsubscribe']
    .map((v) => [v, DELETE] as const),
]);

/** The first CamelCase word of `name` (`Update` in `UpdateFunctionConfiguration20150331v2`). */
function firstWord(name: string, from: number): string {
  let i = from + 1;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 97 || c > 122) break; // stop at the first character that is not a-z
  }
  return name.slice(from, i);
}

function apiActivity(name: string, readOnly: unknown): number {
  if (readOnly === true) return READ;
  let verb = firstWord(name, 0);
  // BatchGetItem, BatchDeleteImage...: the verb is the second word.
  if (verb === 'Batch' && name.length > 5) verb = firstWord(name, 5);
  return VERBS.get(verb) ?? OTHER;
}

/** Sign-in events that are a logon attempt (the others, such as CheckMfa or SwitchRole, stay API Activity). */
const LOGON_EVENTS = new Set(['ConsoleLogin', 'ExternalIdPDirectoryLogin']);

/** userIdentity.type -> OCSF user.type_id; other types are Other (99) with the AWS type in user.type. */
const USER_TYPES: ReadonlyMap<string, number> = new Map([['IAMUser', 1], ['Root', 2], ['AWSService', 4]]);

// ---------------------------------------------------------------------------------------------
// `unmapped`: the source paths each mapping uses, as static lists chosen per event by a few flags.
// ---------------------------------------------------------------------------------------------

const COMMON = [
  'eventVersion', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
  'userIdentity.type', 'userIdentity.principalId', 'userIdentity.arn', 'userIdentity.accountId',
  'userIdentity.accessKeyId', 'userIdentity.userName', 'userIdentity.invokedBy', 'userIdentity.identityProvider',
  'userIdentity.sessionContext.attributes.creationDate', 'userIdentity.sessionContext.attributes.mfaAuthenticated',
  'userIdentity.sessionContext.sessionIssuer.arn', 'userIdentity.sessionContext.webIdFederationData.federatedProvider',
  'errorCode', 'errorMessage', 'requestID', 'eventID', 'recipientAccountId', 'vpcEndpointId', 'sharedEventID',
  'eventCategory', 'apiVersion',
];
const F_REQUEST = 1; // requestParameters went to api.request.data
const F_RESOURCES = 2; // every resources[] entry was mapped
const F_RESPONSE = 4; // responseElements is used (API Activity: api.response.data; sign-in: its status)
const F_MFA = 8; // additionalEventData.MFAUsed was read (sign-in)

/** `response` is the responseElements path the mapping used: all of it, or one member for sign-ins. */
function buildUsed(flags: number, extra: string, response: string): string[] {
  const u = [...COMMON, extra];
  if (flags & F_REQUEST) u.push('requestParameters');
  if (flags & F_RESOURCES) u.push('resources');
  if (flags & F_RESPONSE) u.push(response);
  if (flags & F_MFA) u.push('additionalEventData.MFAUsed');
  return u;
}
const API_USED: string[][] = [];
for (let f = 0; f < 16; f++) API_USED.push(buildUsed(f, 'readOnly', 'responseElements'));
/** Sign-ins read one member of responseElements, named like the event (`responseElements.ConsoleLogin`). */
const AUTH_USED = new Map<string, string[][]>();
for (const name of LOGON_EVENTS) {
  const lists: string[][] = [];
  for (let f = 0; f < 16; f++) lists.push(buildUsed(f, 'eventType', `responseElements.${name}`));
  AUTH_USED.set(name, lists);
}

// ---------------------------------------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isObj = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The identity that made the call, as OCSF `user` (undefined when it names nobody). */
function user(id: Rec): Rec | undefined {
  const arn = str(id.arn);
  const principal = str(id.principalId);
  const name = str(id.userName);
  const account = str(id.accountId);
  if (arn === undefined && name === undefined && account === undefined && principal === undefined) return undefined;
  const type = str(id.type);
  const typeId = type === undefined ? undefined : USER_TYPES.get(type) ?? 99;
  const key = str(id.accessKeyId);
  return {
    type_id: typeId,
    type: typeId === 99 ? type : undefined,
    uid: arn,
    uid_alt: principal,
    name,
    programmatic_credentials: key !== undefined ? [{ uid: key, type: 'AWS Access Key' }] : undefined,
    account: account !== undefined ? { uid: account, type_id: 10 } : undefined,
  };
}

/** The temporary-credential session the call was made with (assumed roles, federation, console). */
function session(id: Rec): Rec | undefined {
  const sc = id.sessionContext;
  if (!isObj(sc)) return undefined;
  const attrs = sc.attributes;
  let created: number | null = null;
  let mfa: boolean | undefined;
  if (isObj(attrs)) {
    created = toTime(attrs.creationDate);
    const m = attrs.mfaAuthenticated;
    mfa = m === 'true' || m === true ? true : m === 'false' || m === false ? false : undefined;
  }
  const issuer = isObj(sc.sessionIssuer) ? str(sc.sessionIssuer.arn) : undefined;
  if (created === null && mfa === undefined && issuer === undefined) return undefined;
  return { created_time: created ?? undefined, is_mfa: mfa, issuer };
}

function idp(id: Rec): Rec | undefined {
  const sc = id.sessionContext;
  const fed = isObj(sc) && isObj(sc.webIdFederationData) ? str(sc.webIdFederationData.federatedProvider) : undefined;
  const name = fed ?? str(id.identityProvider);
  return name !== undefined ? { name } : undefined;
}

/** sourceIPAddress is an address, or the name of the AWS service that called on the user's behalf. */
function srcEndpoint(r: Rec): Rec | undefined {
  const src = str(r.sourceIPAddress);
  const vpce = str(r.vpcEndpointId);
  if (src === undefined && vpce === undefined) return undefined;
  const ip = src !== undefined && isIp(src);
  return { ip: ip ? src : undefined, svc_name: ip ? undefined : src, uid: vpce };
}

function cloud(r: Rec): Rec {
  const account = str(r.recipientAccountId);
  return { provider: 'AWS', region: str(r.awsRegion), account: account !== undefined ? { uid: account, type_id: 10 } : undefined };
}

function meta(r: Rec): Rec {
  const id = str(r.eventID);
  return {
    version: OCSF_VERSION,
    product: PRODUCT,
    profiles: ['cloud'],
    // One record is one OCSF event, so the record's id also identifies the OCSF event (re-mapping gives the same uid).
    uid: id,
    original_event_uid: id,
    log_version: str(r.eventVersion),
    type: str(r.eventCategory),
    correlation_uid: str(r.sharedEventID),
  };
}

/** resources[] -> OCSF resources; `all` is false when an entry could not be mapped whole (it then stays in unmapped). */
function resources(list: unknown): { out: Rec[]; all: boolean } | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: Rec[] = [];
  let all = true;
  for (const x of list) {
    if (!isObj(x)) { all = false; continue; }
    const arn = str(x.ARN) ?? str(x.arn);
    if (arn === undefined) { all = false; continue; }
    const res: Rec = { uid: arn };
    let known = 1;
    const type = str(x.type); if (type !== undefined) { res.type = type; known++; }
    const acct = str(x.accountId); if (acct !== undefined) { res.owner = { account: { uid: acct, type_id: 10 } }; known++; }
    // A key we do not know (or both ARN spellings) would be lost: keep the whole array in unmapped instead.
    let keys = 0;
    for (const _ in x) keys++;
    if (keys !== known) all = false;
    out.push(res);
  }
  return { out, all };
}

function mapRecord(r: Rec, where: string): OcsfEvent | string {
  const time = toTime(r.eventTime);
  if (time === null) return `${where}eventTime is missing or not a time (${JSON.stringify(r.eventTime) ?? 'absent'})`;
  const name = str(r.eventName);
  if (name === undefined) return `${where}eventName is missing`;
  const source = str(r.eventSource);
  if (source === undefined) return `${where}eventSource is missing`;
  const eventType = r.eventType;
  if (eventType === 'AwsCloudTrailInsight') {
    return `${where}CloudTrail Insights events (unusual API call volume) are not single API calls; this pack maps API calls and sign-ins only`;
  }
  const id = isObj(r.userIdentity) ? r.userIdentity : undefined;
  const src = srcEndpoint(r);
  if (src === undefined) return `${where}sourceIPAddress is missing (OCSF needs the caller's endpoint)`;
  const errorCode = str(r.errorCode);
  const errorMessage = str(r.errorMessage);
  const userAgent = str(r.userAgent);
  const u = id && user(id);
  const s = id && session(id);
  let flags = 0;

  const requestID = str(r.requestID);
  const params = r.requestParameters;
  // request.uid is required by OCSF: without a requestID the parameters stay in unmapped.
  if (requestID !== undefined || params === null || params === undefined) flags |= F_REQUEST;

  if (eventType === 'AwsConsoleSignIn' && LOGON_EVENTS.has(name)) {
    if (u === undefined) return `${where}${name} has no userIdentity naming the user who signed in`;
    const resp = r.responseElements;
    const result = isObj(resp) ? resp[name] : undefined;
    const statusId = result === 'Success' ? 1 : result === 'Failure' ? 2 : 0;
    if (statusId !== 0) flags |= F_RESPONSE;
    const aed = r.additionalEventData;
    const mfaUsed = isObj(aed) ? aed.MFAUsed : undefined;
    const mfa = mfaUsed === 'Yes' ? true : mfaUsed === 'No' ? false : undefined;
    if (mfa !== undefined) flags |= F_MFA;
    // A federated sign-in names its identity provider, which OCSF keeps on the actor (here the user).
    const p = id && idp(id);
    const invoked = id && str(id.invokedBy);
    return {
      class_uid: CLASS_AUTH,
      activity_id: 1,
      severity_id: 1,
      time,
      status_id: statusId,
      status_code: errorCode,
      status_detail: errorMessage,
      is_mfa: mfa,
      is_remote: true, // the AWS console is only reached over the network
      user: u,
      session: s,
      actor: p !== undefined || invoked !== undefined ? { user: u, app_name: invoked, idp: p } : undefined,
      service: { name: source },
      api: api(r, name, requestID, params, errorCode, errorMessage, false),
      src_endpoint: src,
      http_request: userAgent !== undefined ? { user_agent: userAgent } : undefined,
      cloud: cloud(r),
      metadata: meta(r),
      unmapped: unmapped(r, AUTH_USED.get(name)![flags]!),
    };
  }

  const invoked = id && str(id.invokedBy);
  if (u === undefined && s === undefined && invoked === undefined) {
    return `${where}userIdentity names no caller (no arn, principalId, accountId, userName or invokedBy); OCSF API Activity needs an actor`;
  }
  let status = errorCode !== undefined ? 2 : 1;
  // Sign-in events other than logons report their outcome in responseElements.<eventName>.
  if (eventType === 'AwsConsoleSignIn' && isObj(r.responseElements) && r.responseElements[name] === 'Failure') status = 2;
  flags |= F_RESPONSE;
  const res = resources(r.resources);
  if (res !== undefined && res.all) flags |= F_RESOURCES;
  return {
    class_uid: CLASS_API,
    activity_id: apiActivity(name, r.readOnly),
    severity_id: 1,
    time,
    status_id: status,
    status_code: errorCode,
    status_detail: errorMessage,
    actor: { user: u, session: s, app_name: invoked, idp: id && idp(id) },
    api: api(r, name, requestID, params, errorCode, errorMessage, true),
    src_endpoint: src,
    http_request: userAgent !== undefined ? { user_agent: userAgent } : undefined,
    cloud: cloud(r),
    resources: res !== undefined && res.out.length ? res.out : undefined,
    metadata: meta(r),
    unmapped: unmapped(r, API_USED[flags]!),
  };
}

/** `api`; `response` says whether responseElements goes to api.response.data (sign-ins read it as their status instead). */
function api(r: Rec, name: string, requestID: string | undefined, params: unknown, errorCode: string | undefined, errorMessage: string | undefined, response: boolean): Rec {
  const resp = response ? r.responseElements : undefined;
  const hasResp = resp !== null && resp !== undefined;
  return {
    operation: name,
    service: { name: r.eventSource }, // eventSource was checked by mapRecord
    version: str(r.apiVersion),
    request: requestID !== undefined ? { uid: requestID, data: params !== null && params !== undefined ? params : undefined } : undefined,
    response: errorCode !== undefined || errorMessage !== undefined || hasResp
      ? { error: errorCode, error_message: errorMessage, data: hasResp ? resp : undefined }
      : undefined,
  };
}
/** A CloudTrail record: an AWS service endpoint as its source, and an event name. */
function isRecord(e: Rec): boolean {
  const src = e.eventSource;
  return typeof src === 'string' && src.endsWith('.amazonaws.com') && typeof e.eventName === 'string' && 'eventTime' in e;
}

const pack: Pack = {
  name: 'aws_cloudtrail',
  title: 'AWS CloudTrail',
  classes: [
    { class_uid: CLASS_API, class_name: 'API Activity', from: 'API calls, console actions, service and VPC endpoint events; sign-in events other than logons' },
    { class_uid: CLASS_AUTH, class_name: 'Authentication', from: 'ConsoleLogin and ExternalIdPDirectoryLogin sign-in events' },
  ],

  detect(e: Event): boolean {
    if (isRecord(e)) return true;
    const recs = e.Records;
    return Array.isArray(recs) && recs.length > 0 && isObj(recs[0]) && isRecord(recs[0]);
  },

  map(e: Event, _ctx: MapContext): MapResult {
    const recs = e.Records;
    if (Array.isArray(recs)) {
      const events: OcsfEvent[] = new Array(recs.length);
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i];
        const where = `Records[${i}]: `;
        if (!isObj(r)) return { ok: false, reason: `aws_cloudtrail: ${where}is not a JSON object` };
        const m = mapRecord(r, where);
        if (typeof m === 'string') return { ok: false, reason: `aws_cloudtrail: ${m}` };
        events[i] = m;
      }
      return { ok: true, events };
    }
    if (!isRecord(e)) {
      return { ok: false, reason: 'aws_cloudtrail: not a CloudTrail record (needs eventSource ending in .amazonaws.com, eventName and eventTime) nor a {"Records": [...]} file' };
    }
    const m = mapRecord(e, '');
    return typeof m === 'string' ? { ok: false, reason: `aws_cloudtrail: ${m}` } : { ok: true, events: [m] };
  },
};

export default pack;
