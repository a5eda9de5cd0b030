/**
 * Sysmon (Microsoft-Windows-Sysmon/Operational) -> OCSF. Field names are Sysmon's EventData names;
 * index.ts adds time (from UtcTime), metadata, device, severity and `unmapped`.
 */
import { compact, endpoint } from '../../src/ocsf/map-kit.js';
import {
  FILE_BLOCK_DEVICE, FILE_EXECUTABLE, FILE_NAMED_PIPE, FILE_REGULAR, INTEGRITY_NAMES,
  bool, domainUser, file, guid, hashes, int, integrity, proc, str, sysmonTime, toInt, type Rec,
} from './fields.js';
import type { WinRecord } from './normalize.js';
import type { Mapper } from './security.js';

const FILE_SYSTEM_ACTIVITY = 1001, KERNEL_EXTENSION_ACTIVITY = 1002, MODULE_ACTIVITY = 1005, PROCESS_ACTIVITY = 1007;
const DETECTION_FINDING = 2004, NETWORK_ACTIVITY = 4001, DNS_ACTIVITY = 4003;
const REGISTRY_KEY_ACTIVITY = 201001, REGISTRY_VALUE_ACTIVITY = 201002;

/** The process an event is about (ProcessGuid/ProcessId/Image), without its user. */
function subjectProcess(d: Rec, extra?: Rec): Rec | undefined {
  return proc(int(d, 'ProcessId'), str(d, 'Image'), { uid: str(d, 'ProcessGuid'), ...extra });
}

function nonEmpty(o: Rec): Rec | undefined {
  for (const _ in o) return o;
  return undefined;
}

/** The acting process and the account it runs as (Sysmon's User). */
function actor(d: Rec): Rec | undefined {
  return nonEmpty(compact({ process: subjectProcess(d), user: domainUser(str(d, 'User')) }));
}

/** Authenticode signature facts Sysmon gives (Signed, SignatureStatus); the signer name stays in EventData. */
const SIGNATURE_STATES: ReadonlyMap<string, number> = new Map([['Valid', 1], ['Expired', 2], ['Revoked', 3]]);
function signature(d: Rec): Rec[] | undefined {
  if (bool(d, 'Signed') !== true) return undefined;
  const state = SIGNATURE_STATES.get(str(d, 'SignatureStatus') ?? '');
  return [state === undefined ? { algorithm_id: 4 } : { algorithm_id: 4, state_id: state }];
}

/** An executable image with the version resource facts Sysmon reads from it. */
function image(path: string | undefined, d: Rec): Rec | undefined {
  const product = str(d, 'Product');
  return file(path, FILE_EXECUTABLE, {
    hashes: hashes(str(d, 'Hashes')),
    version: str(d, 'FileVersion'),
    desc: str(d, 'Description'),
    company_name: str(d, 'Company'),
    product: product === undefined ? undefined : { name: product },
    signatures: signature(d),
  });
}

/** The process an access or injection targets, and the one that acts on it. */
function target(d: Rec, extra?: Rec): Rec | undefined {
  return proc(int(d, 'TargetProcessId'), str(d, 'TargetImage'), {
    uid: str(d, 'TargetProcessGuid') ?? str(d, 'TargetProcessGUID'),
    user: domainUser(str(d, 'TargetUser')),
    ...extra,
  });
}
function source(d: Rec): Rec | undefined {
  return nonEmpty(compact({
    process: proc(int(d, 'SourceProcessId'), str(d, 'SourceImage'), {
      uid: str(d, 'SourceProcessGuid') ?? str(d, 'SourceProcessGUID'),
      ptid: int(d, 'SourceThreadId'),
    }),
    user: domainUser(str(d, 'SourceUser')),
  }));
}

/** Why an event cannot be mapped: it lacks what the OCSF class requires. */
function missing(r: WinRecord, fields: string): string {
  return `Sysmon event ${r.eventId} has no ${fields}`;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** 1 Process creation. */
function processCreate(r: WinRecord): Rec | string {
  const d = r.data;
  const parent = () => proc(int(d, 'ParentProcessId'), str(d, 'ParentImage'), { uid: str(d, 'ParentProcessGuid'), cmd_line: str(d, 'ParentCommandLine') });
  const path = str(d, 'Image');
  const p = proc(int(d, 'ProcessId'), path, {
    uid: str(d, 'ProcessGuid'),
    file: image(path, d),
    cmd_line: str(d, 'CommandLine'),
    working_directory: str(d, 'CurrentDirectory'),
    user: domainUser(str(d, 'User')),
    session: nonEmpty(compact({ uid: str(d, 'LogonId'), uuid: guid(str(d, 'LogonGuid')) })),
    ...integrity(str(d, 'IntegrityLevel'), INTEGRITY_NAMES),
    parent_process: parent(),
  });
  if (p === undefined) return missing(r, 'ProcessId, ProcessGuid or Image');
  return {
    class_uid: PROCESS_ACTIVITY,
    activity_id: 1,
    launch_type_id: 1,
    process: p,
    actor: nonEmpty(compact({ process: parent(), user: domainUser(str(d, 'ParentUser')) })),
  };
}

/** 5 Process terminated: reflexive, the process is its own actor. */
function processTerminate(r: WinRecord): Rec | string {
  const d = r.data;
  const p = subjectProcess(d, { user: domainUser(str(d, 'User')) });
  if (p === undefined) return missing(r, 'ProcessId, ProcessGuid or Image');
  return { class_uid: PROCESS_ACTIVITY, activity_id: 2, process: p, actor: actor(d) };
}

/** 8 CreateRemoteThread: Inject, by remote thread; the thread's start is the module. */
function createRemoteThread(r: WinRecord): Rec | string {
  const d = r.data;
  const p = target(d, { ptid: int(d, 'NewThreadId') });
  if (p === undefined) return missing(r, 'TargetProcessId, TargetProcessGuid or TargetImage');
  const start = str(d, 'StartAddress');
  const mod = str(d, 'StartModule');
  const fn = str(d, 'StartFunction');
  return {
    class_uid: PROCESS_ACTIVITY,
    activity_id: 4,
    injection_type_id: 1,
    process: p,
    actor: source(d),
    // load_type_id is required when there is no function name; how the module was loaded is unknown (0).
    module: start === undefined && mod === undefined && fn === undefined ? undefined
      : compact({ start_address: start, file: file(mod, FILE_EXECUTABLE), function_name: fn, load_type_id: 0 }),
  };
}

/** 10 ProcessAccess: Open, with the access mask granted. */
function processAccess(r: WinRecord): Rec | string {
  const d = r.data;
  const p = target(d);
  if (p === undefined) return missing(r, 'TargetProcessId, TargetProcessGUID or TargetImage');
  return {
    class_uid: PROCESS_ACTIVITY,
    activity_id: 3,
    actual_permissions: int(d, 'GrantedAccess'),
    process: p,
    actor: source(d),
  };
}

/** 25 ProcessTampering (image replaced or locked: hollowing, herpaderping): Sysmon's own detection. */
function processTampering(r: WinRecord): Rec | string {
  const d = r.data;
  const p = subjectProcess(d, { user: domainUser(str(d, 'User')) });
  const type = str(d, 'Type');
  const uid = str(d, 'ProcessGuid') ?? r.recordId;
  if (p === undefined || uid === undefined) return missing(r, 'ProcessGuid');
  return {
    class_uid: DETECTION_FINDING,
    activity_id: 1,
    finding_info: compact({ uid, title: type === undefined ? 'Process tampering' : `Process tampering: ${type}`, types: type === undefined ? undefined : [type] }),
    evidences: [{ process: p }],
  };
}

// ---------------------------------------------------------------------------------------------
// Modules and drivers

/** 7 Image loaded. */
function imageLoad(r: WinRecord): Rec | string {
  const d = r.data;
  const f = image(str(d, 'ImageLoaded'), d);
  if (f === undefined) return missing(r, 'ImageLoaded');
  // load_type_id is required (there is no function name); Sysmon does not say how the image was mapped.
  return { class_uid: MODULE_ACTIVITY, activity_id: 1, module: { file: f, load_type_id: 0 }, actor: actor(d) };
}

/**
 * 6 Driver loaded. Sysmon names no process: drivers load in the kernel's System process (pid 4),
 * which stands as the actor OCSF requires.
 */
function driverLoad(r: WinRecord): Rec | string {
  const d = r.data;
  const f = image(str(d, 'ImageLoaded'), d);
  if (f === undefined) return missing(r, 'ImageLoaded');
  return { class_uid: KERNEL_EXTENSION_ACTIVITY, activity_id: 1, driver: { file: f }, actor: { process: { pid: 4, name: 'System' } } };
}

// ---------------------------------------------------------------------------------------------
// Files and pipes

function fileEvent(activity: number, typeOf: (d: Rec) => number, extra?: (d: Rec) => Rec): Mapper {
  return (r) => {
    const d = r.data;
    const f = file(str(d, 'TargetFilename'), typeOf(d), extra?.(d));
    if (f === undefined) return missing(r, 'TargetFilename');
    return { class_uid: FILE_SYSTEM_ACTIVITY, activity_id: activity, file: f, actor: actor(d) };
  };
}

const regular = () => FILE_REGULAR;
const executable = () => FILE_EXECUTABLE;
const maybeExecutable = (d: Rec) => (bool(d, 'IsExecutable') ? FILE_EXECUTABLE : FILE_REGULAR);
const created = (d: Rec): Rec => ({ created_time: sysmonTime(d.CreationUtcTime) });
const withHashes = (d: Rec): Rec => ({ hashes: hashes(str(d, 'Hashes') ?? str(d, 'Hash')) });

/** 27 FileBlockExecutable / 28 FileBlockShredding: Sysmon blocked the write or the delete. */
function blocked(activity: number, typeOf: (d: Rec) => number): Mapper {
  const m = fileEvent(activity, typeOf, withHashes);
  return (r) => {
    const out = m(r);
    return typeof out === 'string' ? out : { ...out, action_id: 2, disposition_id: 2, status_id: 2 };
  };
}

/** 9 RawAccessRead: a read of the volume device itself. */
function rawAccessRead(r: WinRecord): Rec | string {
  const d = r.data;
  const f = file(str(d, 'Device'), FILE_BLOCK_DEVICE);
  if (f === undefined) return missing(r, 'Device');
  return { class_uid: FILE_SYSTEM_ACTIVITY, activity_id: 2, file: f, actor: actor(d) };
}

/** 17 Pipe created (Create), 18 Pipe connected (Open): named pipes are files of type Named Pipe. */
function pipe(activity: number): Mapper {
  return (r) => {
    const d = r.data;
    const name = str(d, 'PipeName');
    if (name === undefined) return missing(r, 'PipeName');
    const f = name.charCodeAt(0) === 92
      ? { name: name.slice(1), path: `\\\\.\\pipe${name}`, type_id: FILE_NAMED_PIPE }
      : { name, type_id: FILE_NAMED_PIPE };
    return { class_uid: FILE_SYSTEM_ACTIVITY, activity_id: activity, file: f, actor: actor(d) };
  };
}

// ---------------------------------------------------------------------------------------------
// Registry

/** Split "HKLM\...\Key\ValueName" into the key path and the value name. */
function splitValue(target: string): { path: string; name: string } {
  const i = target.lastIndexOf('\\');
  return i === -1 ? { path: target, name: '' } : { path: target.slice(0, i), name: target.slice(i + 1) };
}

const DWORD = /^DWORD \(0x([0-9a-fA-F]{1,8})\)$/;
const QWORD = /^QWORD \(0x([0-9a-fA-F]{1,8})-0x([0-9a-fA-F]{1,8})\)$/;

/** Sysmon 13's Details: "DWORD (0x00000001)", "QWORD (0x00000000-0x00000001)", "Binary Data", or the string. */
function valueData(details: string | undefined): Rec {
  if (details === undefined) return {};
  let m = DWORD.exec(details);
  if (m) return { type_id: 2, reg_integer_data: parseInt(m[1]!, 16) };
  m = QWORD.exec(details);
  if (m) {
    const n = parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16);
    return Number.isSafeInteger(n) ? { type_id: 8, reg_integer_data: n } : { type_id: 8 };
  }
  if (details === 'Binary Data') return { type_id: 1 };
  // REG_SZ, REG_EXPAND_SZ or REG_MULTI_SZ: Sysmon does not say which.
  return { reg_string_data: details };
}

/** 12 (key/value created or deleted), 13 (value set), 14 (key renamed), by EventType. */
function registry(r: WinRecord): Rec | string {
  const d = r.data;
  const target = str(d, 'TargetObject');
  if (target === undefined) return missing(r, 'TargetObject');
  const type = str(d, 'EventType');
  const key = (activity: number, extra?: Rec) => ({ class_uid: REGISTRY_KEY_ACTIVITY, activity_id: activity, reg_key: { path: target }, ...extra, actor: actor(d) });
  const value = (activity: number, extra?: Rec) => ({ class_uid: REGISTRY_VALUE_ACTIVITY, activity_id: activity, reg_value: { ...splitValue(target), ...extra }, actor: actor(d) });
  switch (type) {
    case 'CreateKey': return key(1);
    case 'DeleteKey': return key(4);
    case 'RenameKey': {
      const to = str(d, 'NewName');
      return to === undefined ? key(5) : { ...key(5), reg_key: { path: to }, prev_reg_key: { path: target } };
    }
    case 'SetValue': return value(2, valueData(str(d, 'Details')));
    case 'CreateValue': return value(2);
    case 'DeleteValue': return value(4);
    default:
      // Some shippers (NXLog) overwrite Sysmon's EventType with their own. 13 is always a value
      // set and 14 always a rename; 12 (created or deleted) cannot be told apart: Other.
      if (type === undefined || /^(AUDIT_SUCCESS|AUDIT_FAILURE|INFO|WARNING|ERROR|CRITICAL|VERBOSE)$/.test(type)) {
        if (r.eventId === 13) return value(2, valueData(str(d, 'Details')));
        if (r.eventId === 14) return key(5);
        if (r.eventId === 12) return key(99);
      }
      return `Sysmon event ${r.eventId} has EventType ${JSON.stringify(type ?? null)}, which the windows pack does not know (expected CreateKey, DeleteKey, RenameKey, SetValue, CreateValue or DeleteValue)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Network and DNS

/** 3 Network connection detected. Sysmon calls the endpoints Source and Destination; Initiated gives the direction. */
function networkConnect(r: WinRecord): Rec | string {
  const d = r.data;
  const proto = str(d, 'Protocol')?.toLowerCase();
  const initiated = bool(d, 'Initiated');
  const v6 = bool(d, 'SourceIsIpv6');
  const src = endpoint(str(d, 'SourceIp'), str(d, 'SourcePort'), compact({ hostname: str(d, 'SourceHostname'), svc_name: str(d, 'SourcePortName') }));
  const dst = endpoint(str(d, 'DestinationIp'), str(d, 'DestinationPort'), compact({ hostname: str(d, 'DestinationHostname'), svc_name: str(d, 'DestinationPortName') }));
  if (!src && !dst) return missing(r, 'SourceIp or DestinationIp');
  return {
    class_uid: NETWORK_ACTIVITY,
    activity_id: 1,
    connection_info: compact({
      protocol_name: proto,
      protocol_num: proto === 'tcp' ? 6 : proto === 'udp' ? 17 : undefined,
      protocol_ver_id: v6 === undefined ? undefined : v6 ? 6 : 4,
      direction_id: initiated === undefined ? 0 : initiated ? 2 : 1,
    }),
    src_endpoint: src,
    dst_endpoint: dst,
    actor: actor(d),
  };
}

/** Windows DNS API status codes (DNS_ERROR_RCODE_*) -> DNS rcode ids. */
const DNS_RCODES: ReadonlyMap<number, number> = new Map([
  [0, 0], [9001, 1], [9002, 2], [9003, 3], [9004, 4], [9005, 5], [9006, 6], [9007, 7], [9008, 8], [9009, 9], [9010, 10],
  // DNS_INFO_NO_RECORDS: the name exists, without records of the type asked (NOERROR/NODATA).
  [9501, 0],
]);

const DNS_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'], [64, 'SVCB'], [65, 'HTTPS'],
]);
const TYPED_ANSWER = /^type:\s+(\d+)\s+(.*)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** QueryResults: "type:  5 edge.example.net;::ffff:192.0.2.80;" (addresses are A/AAAA answers). */
function answers(v: string | undefined): Rec[] | undefined {
  if (v === undefined) return undefined;
  const out: Rec[] = [];
  for (const raw of v.split(';')) {
    const a = raw.trim();
    if (a === '') continue;
    const m = TYPED_ANSWER.exec(a);
    if (m) {
      const t = Number(m[1]);
      out.push({ type: DNS_TYPES.get(t) ?? `TYPE${t}`, rdata: m[2]! });
    } else if (a.startsWith('::ffff:') && a.indexOf('.') !== -1) {
      out.push({ type: 'A', rdata: a.slice(7) });
    } else {
      out.push(a.indexOf(':') !== -1 ? { type: 'AAAA', rdata: a } : IPV4.test(a) ? { type: 'A', rdata: a } : { rdata: a });
    }
  }
  return out.length ? out : undefined;
}

/** 22 DNS query (as the DNS client completed it, with its status and answers). */
function dnsQuery(r: WinRecord): Rec | string {
  const d = r.data;
  const name = str(d, 'QueryName');
  if (name === undefined) return missing(r, 'QueryName');
  const status = str(d, 'QueryStatus');
  const code = toInt(status);
  const rcode = code === undefined ? undefined : DNS_RCODES.get(code);
  return {
    class_uid: DNS_ACTIVITY,
    activity_id: 1,
    status_id: code === undefined ? undefined : rcode === 0 ? 1 : 2,
    status_code: status,
    query: { hostname: name },
    ...(code === undefined ? {} : rcode === undefined ? { rcode_id: 99, rcode: status } : { rcode_id: rcode }),
    answers: answers(str(d, 'QueryResults')),
    // The query left this computer; the DNS server is not in the event.
    src_endpoint: r.computer === undefined ? undefined : { hostname: r.computer },
    actor: actor(d),
  };
}

// ---------------------------------------------------------------------------------------------

export const SYSMON: ReadonlyMap<number, Mapper> = new Map<number, Mapper>([
  [1, processCreate],
  [2, fileEvent(6, regular, created)],
  [3, networkConnect],
  [5, processTerminate],
  [6, driverLoad],
  [7, imageLoad],
  [8, createRemoteThread],
  [9, rawAccessRead],
  [10, processAccess],
  [11, fileEvent(1, regular, created)],
  [12, registry],
  [13, registry],
  [14, registry],
  [15, fileEvent(1, regular, (d) => ({ ...created(d), ...withHashes(d) }))],
  [17, pipe(1)],
  [18, pipe(14)],
  [22, dnsQuery],
  [23, fileEvent(4, maybeExecutable, withHashes)],
  [25, processTampering],
  [26, fileEvent(4, maybeExecutable, withHashes)],
  [27, blocked(1, executable)],
  [28, blocked(4, maybeExecutable)],
  [29, fileEvent(1, executable, withHashes)],
]);

/** Sysmon events left unmapped, and why (for the reason of { ok: false }). */
export const SYSMON_UNMAPPED: ReadonlyMap<number, string> = new Map([
  [4, 'Sysmon service state changed: about Sysmon itself, not the host'],
  [16, 'Sysmon configuration changed: about Sysmon itself, not the host'],
  [19, 'WMI event filter: OCSF 1.8.0 has no class for WMI subscriptions'],
  [20, 'WMI event consumer: OCSF 1.8.0 has no class for WMI subscriptions'],
  [21, 'WMI consumer to filter binding: OCSF 1.8.0 has no class for WMI subscriptions'],
  [24, 'clipboard change: OCSF 1.8.0 has no class for clipboard activity'],
  [255, 'Sysmon error: about Sysmon itself, not the host'],
]);
