/**
 * Security log (and two System log events) -> OCSF. Each mapper returns the class, the activity and
 * the class's own attributes; index.ts adds time, metadata, device, severity and `unmapped`.
 * Field names are those of the events' EventData (Microsoft's "Audit ..." event documentation).
 */
import { compact, endpoint } from '../../src/ocsf/map-kit.js';
import { FILE_REGULAR, INTEGRITY_SIDS, file, guid, int, integrity, proc, str, toInt, user, type Rec } from './fields.js';
import type { WinRecord } from './normalize.js';

/** A mapping: the class-specific part of the OCSF event, or why the event cannot be mapped. */
export type Mapper = (r: WinRecord) => Rec | string;

const AUTHENTICATION = 3002, AUTHORIZE_SESSION = 3003, ACCOUNT_CHANGE = 3001, GROUP_MANAGEMENT = 3006;
const PROCESS_ACTIVITY = 1007, SCHEDULED_JOB_ACTIVITY = 1006, EVENT_LOG_ACTIVITY = 1008, WINDOWS_SERVICE_ACTIVITY = 201004;

// ---------------------------------------------------------------------------------------------
// Shared pieces

function subjectUser(d: Rec): Rec | undefined {
  return user(str(d, 'SubjectUserSid'), str(d, 'SubjectUserName'), str(d, 'SubjectDomainName'));
}

function targetUser(d: Rec): Rec | undefined {
  return user(str(d, 'TargetUserSid') ?? str(d, 'TargetSid'), str(d, 'TargetUserName'), str(d, 'TargetDomainName'));
}

/** A logon session from its LogonId ("0x3e7") and logon GUID; undefined when there is neither. */
function session(logonId: string | undefined, uuid?: string, isRemote?: boolean): Rec | undefined {
  // 0x0 is no logon session (it comes with the NULL SID).
  const uid = logonId === undefined || toInt(logonId) === 0 ? undefined : logonId;
  if (uid === undefined && uuid === undefined) return undefined;
  return compact({ uid, uuid, is_remote: isRemote });
}

/** A process from Security fields: a hex pid ("0x1a74") and an image path. Windows writes 0x0 and "-" for none. */
function secProc(d: Rec, pidKey: string, imageKey: string, extra?: Rec): Rec | undefined {
  const pid = int(d, pidKey);
  const image = str(d, imageKey);
  if (image === undefined && !pid) return undefined;
  return proc(pid, image, extra);
}

/** The Subject* account (who did it), with its logon session and, optionally, its process. */
function subjectActor(d: Rec, withProcess: boolean): Rec | undefined {
  const a = compact({
    user: subjectUser(d),
    session: session(str(d, 'SubjectLogonId')),
    process: withProcess ? secProc(d, 'ProcessId', 'ProcessName') : undefined,
  });
  return Object.keys(a).length ? a : undefined;
}

/** IpPort; Windows writes 0 when there is no port (local logons, some failures). */
function port(d: Rec): number | undefined {
  const p = int(d, 'IpPort');
  return p === 0 ? undefined : p;
}

/** The computer that logged the event, as the endpoint an authentication targeted. */
function host(r: WinRecord): Rec | undefined {
  return r.computer === undefined ? undefined : { hostname: r.computer };
}

/** Status from the audit keywords, else what the event id implies. */
function outcome(r: WinRecord, otherwise: 1 | 2 = 1): 1 | 2 {
  return r.outcome ?? otherwise;
}

/** Windows LogonType -> OCSF logon_type_id. Windows' 0 (System) is OCSF's 1; 2-13 are the same numbers. */
function logonType(lt: number | undefined): Rec {
  if (lt === undefined) return {};
  if (lt === 0) return { logon_type_id: 1 };
  if (lt >= 2 && lt <= 13 && lt !== 6) return { logon_type_id: lt };
  return { logon_type_id: 99, logon_type: lt === 6 ? 'Proxy' : String(lt) };
}

/** Network (3), NetworkCleartext (8), RemoteInteractive (10), CachedRemoteInteractive (12). */
const REMOTE_LOGON_TYPES = new Set([3, 8, 10, 12]);

function isRemote(lt: number | undefined): boolean | undefined {
  return lt === undefined ? undefined : REMOTE_LOGON_TYPES.has(lt);
}

/**
 * auth_protocol_id from AuthenticationPackageName (LmPackageName says whether Negotiate chose NTLM),
 * else from LogonProcessName ("Kerberos", "NtLmSsp ").
 */
function authProtocol(d: Rec): Rec {
  const pkg = str(d, 'AuthenticationPackageName');
  if (pkg !== undefined) {
    const p = pkg.toLowerCase();
    if (p === 'kerberos') return { auth_protocol_id: 2 };
    if (p === 'ntlm' || p === 'microsoft_authentication_package_v1_0') return { auth_protocol_id: 1 };
    if (p === 'negotiate' && str(d, 'LmPackageName')?.startsWith('NTLM')) return { auth_protocol_id: 1 };
    return { auth_protocol_id: 99, auth_protocol: pkg };
  }
  const lp = str(d, 'LogonProcessName')?.trim();
  if (lp === 'Kerberos') return { auth_protocol_id: 2 };
  if (lp === 'NtLmSsp') return { auth_protocol_id: 1 };
  return {};
}

/** NTSTATUS codes of failed logons -> status_detail, in the style of OCSF's own examples. */
const NTSTATUS: ReadonlyMap<number, string> = new Map([
  [0xc0000064, 'USER_DOES_NOT_EXIST'],
  [0xc000006a, 'INVALID_CREDENTIALS'],
  [0xc000006d, 'INVALID_CREDENTIALS'],
  [0xc000006e, 'ACCOUNT_RESTRICTION'],
  [0xc000006f, 'INVALID_LOGON_HOURS'],
  [0xc0000070, 'INVALID_WORKSTATION'],
  [0xc0000071, 'PASSWORD_EXPIRED'],
  [0xc0000072, 'ACCOUNT_DISABLED'],
  [0xc0000133, 'CLOCK_SKEW'],
  [0xc000015b, 'LOGON_TYPE_NOT_GRANTED'],
  [0xc0000193, 'ACCOUNT_EXPIRED'],
  [0xc0000224, 'PASSWORD_MUST_CHANGE'],
  [0xc0000234, 'ACCOUNT_LOCKED_OUT'],
  [0xc0000413, 'AUTHENTICATION_FIREWALL_FAILED'],
]);

/** The FailureReason insertion strings (%%2304-%%2313) of 4625. */
const FAILURE_REASONS: ReadonlyMap<string, string> = new Map([
  ['%%2304', 'An Error occurred during Logon.'],
  ['%%2305', 'The specified user account has expired.'],
  ['%%2306', 'The NetLogon component is not active.'],
  ['%%2307', 'Account locked out.'],
  ['%%2308', 'The user has not been granted the requested logon type at this machine.'],
  ['%%2309', "The specified account's password has expired."],
  ['%%2310', 'Account currently disabled.'],
  ['%%2311', 'Account logon time restriction violation.'],
  ['%%2312', 'User not allowed to logon at this computer.'],
  ['%%2313', 'Unknown user name or bad password.'],
]);

/** status_code and status_detail of a failed logon: the most specific NTSTATUS (SubStatus, else Status). */
function logonFailure(d: Rec): Rec {
  const status = str(d, 'Status');
  const sub = str(d, 'SubStatus');
  const code = sub !== undefined && toInt(sub) !== 0 ? sub : status;
  const reason = str(d, 'FailureReason');
  const detail = NTSTATUS.get(toInt(code) ?? -1) ?? NTSTATUS.get(toInt(status) ?? -1)
    ?? (reason === undefined ? undefined : FAILURE_REASONS.get(reason) ?? reason);
  return compact({ status_code: code, status_detail: detail });
}

/** Kerberos result codes (RFC 4120) Windows writes in 4768-4771's Status. */
const KERBEROS_ERRORS: ReadonlyMap<number, string> = new Map([
  [0x6, 'KDC_ERR_C_PRINCIPAL_UNKNOWN'],
  [0x7, 'KDC_ERR_S_PRINCIPAL_UNKNOWN'],
  [0xc, 'KDC_ERR_POLICY'],
  [0xd, 'KDC_ERR_BADOPTION'],
  [0xe, 'KDC_ERR_ETYPE_NOSUPP'],
  [0x10, 'KDC_ERR_PADATA_TYPE_NOSUPP'],
  [0x12, 'KDC_ERR_CLIENT_REVOKED'],
  [0x17, 'KDC_ERR_KEY_EXPIRED'],
  [0x18, 'KDC_ERR_PREAUTH_FAILED'],
  [0x19, 'KDC_ERR_PREAUTH_REQUIRED'],
  [0x1f, 'KRB_AP_ERR_BAD_INTEGRITY'],
  [0x20, 'KRB_AP_ERR_TKT_EXPIRED'],
  [0x25, 'KRB_AP_ERR_SKEW'],
]);

// ---------------------------------------------------------------------------------------------
// Authentication (3002)

/** 4624 An account was successfully logged on; 4625 An account failed to log on. */
function logon(r: WinRecord): Rec {
  const d = r.data;
  const failed = r.eventId === 4625;
  const lt = int(d, 'LogonType');
  const remote = isRemote(lt);
  return {
    class_uid: AUTHENTICATION,
    activity_id: 1,
    status_id: failed ? 2 : 1,
    ...(failed ? logonFailure(d) : {}),
    user: targetUser(d),
    session: session(str(d, 'TargetLogonId'), guid(str(d, 'LogonGuid')), remote),
    ...logonType(lt),
    ...authProtocol(d),
    is_remote: remote,
    actor: subjectActor(d, true),
    src_endpoint: endpoint(str(d, 'IpAddress'), port(d), compact({ hostname: str(d, 'WorkstationName') })),
    dst_endpoint: host(r),
  };
}

/** 4634 An account was logged off; 4647 User initiated logoff. */
function logoff(r: WinRecord): Rec {
  const d = r.data;
  const lt = int(d, 'LogonType');
  return {
    class_uid: AUTHENTICATION,
    activity_id: 2,
    status_id: 1,
    status_detail: r.eventId === 4647 ? 'LOGOFF_USER_INITIATED' : 'LOGOFF_OTHER',
    user: targetUser(d),
    session: session(str(d, 'TargetLogonId'), undefined, isRemote(lt)),
    ...logonType(lt),
    is_remote: isRemote(lt),
    dst_endpoint: host(r),
  };
}

/** 4648 A logon was attempted using explicit credentials (runas, `net use /user:`...). */
function explicitCredentials(r: WinRecord): Rec {
  const d = r.data;
  const server = str(d, 'TargetServerName');
  const info = str(d, 'TargetInfo');
  return {
    class_uid: AUTHENTICATION,
    activity_id: 1,
    status_id: outcome(r),
    user: user(undefined, str(d, 'TargetUserName'), str(d, 'TargetDomainName')),
    session: session(undefined, guid(str(d, 'TargetLogonGuid'))),
    actor: subjectActor(d, true),
    src_endpoint: endpoint(str(d, 'IpAddress'), port(d)),
    dst_endpoint: server === undefined ? host(r) : { hostname: server },
    service: info === undefined ? undefined : { name: info },
  };
}

/** 4768 TGT requested (3), 4769 service ticket requested (4), 4770 renewed (5), 4771 pre-authentication failed (6). */
function kerberos(activity: number): Mapper {
  return (r) => {
    const d = r.data;
    const status = str(d, 'Status');
    const code = toInt(status);
    const failed = code === undefined ? outcome(r, activity === 6 ? 2 : 1) === 2 : code !== 0;
    return {
      class_uid: AUTHENTICATION,
      activity_id: activity,
      status_id: failed ? 2 : 1,
      status_code: status,
      status_detail: failed && code !== undefined ? KERBEROS_ERRORS.get(code) : undefined,
      auth_protocol_id: 2,
      user: user(str(d, 'TargetSid') ?? str(d, 'TargetUserSid'), str(d, 'TargetUserName'), str(d, 'TargetDomainName')),
      service: compact({ name: str(d, 'ServiceName'), uid: str(d, 'ServiceSid') }),
      src_endpoint: endpoint(str(d, 'IpAddress'), port(d)),
      dst_endpoint: host(r),
    };
  };
}

/** 4776 The computer attempted to validate the credentials for an account (NTLM, usually on a DC). */
function ntlmValidation(r: WinRecord): Rec {
  const d = r.data;
  const status = str(d, 'Status');
  const code = toInt(status);
  const failed = code === undefined ? outcome(r) === 2 : code !== 0;
  return {
    class_uid: AUTHENTICATION,
    activity_id: 1,
    status_id: failed ? 2 : 1,
    status_code: status,
    status_detail: failed && code !== undefined ? NTSTATUS.get(code) : undefined,
    auth_protocol_id: 1,
    user: user(undefined, str(d, 'TargetUserName'), undefined),
    src_endpoint: endpoint(str(d, 'Workstation')),
    dst_endpoint: host(r),
  };
}

// ---------------------------------------------------------------------------------------------
// Authorize Session (3003)

const WHITESPACE = /\s+/;

/** 4672 Special privileges assigned to new logon: the Subject is the account of the new logon. */
function specialPrivileges(r: WinRecord): Rec | string {
  const d = r.data;
  const list = str(d, 'PrivilegeList');
  const privileges = list === undefined ? [] : list.split(WHITESPACE).filter((p) => p !== '');
  if (privileges.length === 0) return 'Security event 4672 has no PrivilegeList';
  return {
    class_uid: AUTHORIZE_SESSION,
    activity_id: 1,
    status_id: 1,
    user: subjectUser(d),
    session: session(str(d, 'SubjectLogonId')),
    privileges,
  };
}

// ---------------------------------------------------------------------------------------------
// Process Activity (1007)

/** 4688 A new process has been created. */
function processCreated(r: WinRecord): Rec | string {
  const d = r.data;
  const image = str(d, 'NewProcessName');
  const pid = int(d, 'NewProcessId');
  if (image === undefined && pid === undefined) return 'Security event 4688 has neither NewProcessId nor NewProcessName';
  // Windows fills Target* only when the new process runs as another account than its creator.
  const subject = subjectUser(d);
  const target = targetUser(d);
  const subjectSession = session(str(d, 'SubjectLogonId'));
  const parent = () => secProc(d, 'ProcessId', 'ParentProcessName');
  return {
    class_uid: PROCESS_ACTIVITY,
    activity_id: 1,
    status_id: 1,
    launch_type_id: 1,
    process: proc(pid, image, {
      cmd_line: str(d, 'CommandLine'),
      user: target ?? subject,
      session: target ? session(str(d, 'TargetLogonId')) : subjectSession,
      ...integrity(str(d, 'MandatoryLabel'), INTEGRITY_SIDS),
      parent_process: parent(),
    }),
    actor: compact({ process: parent(), user: subject, session: subjectSession }),
  };
}

/** 4689 A process has exited: the process is its own actor (OCSF's reflexive Terminate). */
function processExited(r: WinRecord): Rec | string {
  const d = r.data;
  const p = () => secProc(d, 'ProcessId', 'ProcessName');
  if (!p()) return 'Security event 4689 has neither ProcessId nor ProcessName';
  return {
    class_uid: PROCESS_ACTIVITY,
    activity_id: 2,
    status_id: 1,
    exit_code: int(d, 'Status'),
    process: p(),
    actor: compact({ process: p(), user: subjectUser(d), session: session(str(d, 'SubjectLogonId')) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Account Change (3001) and Group Management (3006)

function account(activity: number): Mapper {
  return (r) => {
    const d = r.data;
    let u = targetUser(d);
    const display = str(d, 'DisplayName');
    // %%1793 is "<value not set>".
    if (u && display !== undefined && !display.startsWith('%%')) u = { ...u, display_name: display };
    return {
      class_uid: ACCOUNT_CHANGE,
      activity_id: activity,
      status_id: outcome(r),
      user: u,
      actor: subjectActor(d, false),
    };
  };
}

/** 4740 A user account was locked out: TargetDomainName is the caller computer, not a domain. */
function lockedOut(r: WinRecord): Rec {
  const d = r.data;
  return {
    class_uid: ACCOUNT_CHANGE,
    activity_id: 9,
    status_id: outcome(r),
    user: user(str(d, 'TargetSid') ?? str(d, 'TargetUserSid'), str(d, 'TargetUserName'), undefined),
    src_endpoint: endpoint(str(d, 'TargetDomainName')),
    actor: subjectActor(d, false),
  };
}

const LDAP_DN = /^(CN|OU|DC)=/i;

/** The member of a group change: MemberSid, and MemberName, an LDAP DN for domain groups ("-" for local ones). */
function member(d: Rec): Rec | undefined {
  const sid = str(d, 'MemberSid');
  const name = str(d, 'MemberName');
  if (name === undefined || !LDAP_DN.test(name)) return user(sid, name, undefined);
  // A DN is not an account name: it goes to ldap_person, and stands in as the name only without a SID.
  const u = user(sid, sid === undefined ? name : undefined, undefined)!;
  return { ...u, ldap_person: { ldap_dn: name } };
}

function group(activity: number, withMember: boolean): Mapper {
  return (r) => {
    const d = r.data;
    const g = compact({ name: str(d, 'TargetUserName'), uid: str(d, 'TargetSid'), domain: str(d, 'TargetDomainName') });
    if (!g.name && !g.uid) return `Security event ${r.eventId} has neither TargetUserName nor TargetSid (the group)`;
    return {
      class_uid: GROUP_MANAGEMENT,
      activity_id: activity,
      status_id: outcome(r),
      group: g,
      user: withMember ? member(d) : undefined,
      actor: subjectActor(d, false),
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Scheduled tasks, services, log clearing

const TASK_COMMAND = /<Command>([^<]*)<\/Command>/;
const TASK_ARGUMENTS = /<Arguments>([^<]*)<\/Arguments>/;

/** The first Exec action of a task's XML definition, as a command line. */
function taskCommand(xml: string | undefined): string | undefined {
  if (xml === undefined) return undefined;
  const cmd = TASK_COMMAND.exec(xml)?.[1]?.trim();
  if (!cmd) return undefined;
  const args = TASK_ARGUMENTS.exec(xml)?.[1]?.trim();
  return unescapeXml(args ? `${cmd} ${args}` : cmd);
}

const XML_ENTITIES = /&(lt|gt|amp|quot|apos);/g;
const XML_CHARS: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.indexOf('&') === -1 ? s : s.replace(XML_ENTITIES, (_m, n: string) => XML_CHARS[n]!);
}

/** 4698 created (1), 4699 deleted (3), 4700 enabled (4), 4701 disabled (5), 4702 updated (2). */
function scheduledTask(activity: number): Mapper {
  return (r) => {
    const d = r.data;
    const name = str(d, 'TaskName');
    if (name === undefined) return `Security event ${r.eventId} has no TaskName`;
    return {
      class_uid: SCHEDULED_JOB_ACTIVITY,
      activity_id: activity,
      status_id: outcome(r),
      job: compact({ name, cmd_line: taskCommand(str(d, 'TaskContent') ?? str(d, 'TaskContentNew')) }),
      actor: subjectActor(d, false),
    };
  };
}

/** SERVICE_* type bits -> service_type_id and service_category_id (kernel or user mode). */
function serviceType(v: number | undefined): Rec {
  if (v === undefined) return {};
  if (v & 0x1) return { service_type_id: 1, service_category_id: 1 };
  if (v & 0x2) return { service_type_id: 2, service_category_id: 1 };
  if (v & 0x10) return { service_type_id: 3, service_category_id: 2 };
  if (v & 0x20) return { service_type_id: 4, service_category_id: 2 };
  return { service_type_id: 99, service_type: `0x${v.toString(16)}` };
}

/** 7045's rendered ServiceType. */
const SERVICE_TYPE_NAMES: ReadonlyMap<string, Rec> = new Map([
  ['kernel mode driver', { service_type_id: 1, service_category_id: 1 }],
  ['file system driver', { service_type_id: 2, service_category_id: 1 }],
  ['user mode service', { service_category_id: 2 }],
]);

/** SERVICE_BOOT_START (0) ... SERVICE_DISABLED (4) -> service_start_type_id 1-5, and 7045's names for them. */
const START_TYPES: ReadonlyMap<number | string, number> = new Map<number | string, number>([
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5],
  ['boot start', 1], ['system start', 2], ['auto start', 3], ['demand start', 4], ['disabled', 5],
]);

function startType(v: number | string | undefined): Rec {
  if (v === undefined) return {};
  const id = START_TYPES.get(typeof v === 'string' ? v.toLowerCase() : v);
  return id === undefined ? { service_start_type_id: 99, service_start_type: String(v) } : { service_start_type_id: id };
}

/** 4697 A service was installed in the system. */
function serviceInstalled(r: WinRecord): Rec | string {
  const d = r.data;
  const name = str(d, 'ServiceName');
  if (name === undefined) return 'Security event 4697 has no ServiceName';
  return {
    class_uid: WINDOWS_SERVICE_ACTIVITY,
    activity_id: 1,
    status_id: outcome(r),
    win_service: compact({
      name,
      cmd_line: str(d, 'ServiceFileName'),
      service_start_name: str(d, 'ServiceAccount'),
      ...serviceType(int(d, 'ServiceType')),
      ...startType(int(d, 'ServiceStartType')),
    }),
    actor: subjectActor(d, false),
  };
}

/** System log 7045 A service was installed in the system (Service Control Manager). */
function systemServiceInstalled(r: WinRecord): Rec | string {
  const d = r.data;
  const name = str(d, 'ServiceName');
  if (name === undefined) return 'System event 7045 has no ServiceName';
  const type = str(d, 'ServiceType');
  // The installing account is only in System.Security.UserID.
  const sid = (r.system.Security as Rec | undefined)?.UserID;
  return {
    class_uid: WINDOWS_SERVICE_ACTIVITY,
    activity_id: 1,
    status_id: 1,
    win_service: compact({
      name,
      cmd_line: str(d, 'ImagePath'),
      service_start_name: str(d, 'AccountName'),
      ...(type === undefined ? {} : SERVICE_TYPE_NAMES.get(type.toLowerCase()) ?? { service_type_id: 99, service_type: type }),
      ...startType(str(d, 'StartType')),
    }),
    actor: typeof sid === 'string' && sid !== '' ? { user: { uid: sid } } : undefined,
  };
}

/** 104 names the account without its SID; the SID is System.Security.UserID. */
function systemLogActor(r: WinRecord): Rec | undefined {
  const sid = (r.system.Security as Rec | undefined)?.UserID;
  const u = user(str(r.data, 'SubjectUserSid') ?? (typeof sid === 'string' && sid !== '' ? sid : undefined), str(r.data, 'SubjectUserName'), str(r.data, 'SubjectDomainName'));
  return u === undefined ? undefined : { user: u };
}

/** 1102 The audit log was cleared (Security), 104 The <channel> log file was cleared (System). */
function logCleared(r: WinRecord): Rec {
  const d = r.data;
  const log = r.eventId === 1102 ? 'Security' : str(d, 'Channel') ?? 'System';
  const backup = str(d, 'BackupPath');
  return {
    class_uid: EVENT_LOG_ACTIVITY,
    activity_id: 1,
    status_id: 1,
    log_name: log,
    log_type_id: log === 'Security' || log === 'System' ? 1 : undefined,
    file: file(backup, FILE_REGULAR),
    actor: r.eventId === 104 ? systemLogActor(r) : subjectActor(d, false),
  };
}

// ---------------------------------------------------------------------------------------------

export const SECURITY: ReadonlyMap<number, Mapper> = new Map<number, Mapper>([
  [1102, logCleared],
  [4624, logon],
  [4625, logon],
  [4634, logoff],
  [4647, logoff],
  [4648, explicitCredentials],
  [4672, specialPrivileges],
  [4688, processCreated],
  [4689, processExited],
  [4697, serviceInstalled],
  [4698, scheduledTask(1)],
  [4699, scheduledTask(3)],
  [4700, scheduledTask(4)],
  [4701, scheduledTask(5)],
  [4702, scheduledTask(2)],
  [4720, account(1)],
  [4722, account(2)],
  [4723, account(3)],
  [4724, account(4)],
  [4725, account(5)],
  [4726, account(6)],
  [4738, account(99)],
  [4740, lockedOut],
  [4767, account(12)],
  // Security groups: global (4727-4730), local (4731-4734), universal (4754-4758).
  [4727, group(6, false)],
  [4728, group(3, true)],
  [4729, group(4, true)],
  [4730, group(5, false)],
  [4731, group(6, false)],
  [4732, group(3, true)],
  [4733, group(4, true)],
  [4734, group(5, false)],
  [4754, group(6, false)],
  [4756, group(3, true)],
  [4757, group(4, true)],
  [4758, group(5, false)],
  [4768, kerberos(3)],
  [4769, kerberos(4)],
  [4770, kerberos(5)],
  [4771, kerberos(6)],
  [4776, ntlmValidation],
]);

export const SYSTEM: ReadonlyMap<number, Mapper> = new Map<number, Mapper>([
  [104, logCleared],
  [7045, systemServiceInstalled],
]);
