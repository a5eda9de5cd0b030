/**
 * `linux_auth`: the Linux auth log (sshd and sudo via syslog) to OCSF.
 *
 * Input: an event parsed by `parse` with `format: syslog` (`appname`, `hostname`, `timestamp`,
 * `procid`, `message`), or a raw syslog line in `message` (parsed here). Each message is matched
 * against precompiled patterns; see README.md for the table.
 */
import type { Event } from '../../src/core/event.js';
import { parseSyslog } from '../../src/formats/syslog.js';
import { compact, metadata, toTime, unmapped } from '../../src/ocsf/map-kit.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';

const AUTHENTICATION = 3002;
const PROCESS_ACTIVITY = 1007;
const SSH_ACTIVITY = 4007;
const LOGON = 1, LOGOFF = 2, LAUNCH = 1, OTHER = 99;
const SUCCESS = 1, FAILURE = 2;
const INFO = 1, LOW = 2, MEDIUM = 3;
const NETWORK_LOGON = 3;

// Precompiled once: matching is the whole per-event cost of this pack.
const ACCEPTED = /^Accepted (\S+) for (\S+) from (\S+) port (\d+)(?: ssh2)?(?:: (\S+) (\S+))?/;
const FAILED = /^Failed (\S+) for (invalid user )?(\S*) from (\S+) port (\d+)/;
const INVALID_USER = /^Invalid user (\S*) from (\S+) port (\d+)/;
const DISCONNECTED_USER = /^Disconnected from user (\S+) (\S+) port (\d+)/;
const SESSION = /^pam_unix\((sshd|sudo|su|login):session\): session (opened|closed) for user ([^\s(]+)(?:\(uid=(\d+)\))?(?: by (\S*?)(?:\(uid=(\d+)\))?)?$/;
const CLOSED = /^(?:Connection closed|Disconnected) by (?:(?:authenticating|invalid) user (\S+) )?(\S+) port (\d+)/;
const SUDO = /^\s*(\S+) : (?:(.*?) ; )?TTY=(\S+) ; PWD=(\S+) ; USER=(\S+) ;(?: ENV=\S+ ;)? COMMAND=(.*)$/;
const SYSLOG_LINE = /^(?:<\d{1,3}>)?(?:\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ (?:sshd|sudo)(?:\[\d+\])?: /;

const SSHD = { name: 'sshd', vendor_name: 'OpenBSD' };
const SUDO_PRODUCT = { name: 'sudo', vendor_name: 'sudo project' };
// Syslog's facility and severity have no OCSF attribute: they stay in `unmapped`.
const USED = ['appname', 'hostname', 'timestamp', 'procid', 'message'];

interface Line { app: string; host: string | undefined; time: number; pid: string | undefined; msg: string; source: Event }

function line(e: Event, ctx: MapContext): Line | string {
  let src = e;
  if (typeof e.appname !== 'string' && typeof e.message === 'string') {
    // Raw lines: a 3164 timestamp has no zone and no year; read it as UTC, in the year of ctx.now.
    const r = parseSyslog(e.message, { now: ctx.now, timezone: 'utc' });
    if (!r.ok) return `not a syslog line: ${r.error}`;
    src = { ...r.value } as Event;
  }
  const app = src.appname;
  const msg = src.message;
  if (typeof app !== 'string' || typeof msg !== 'string') return 'no syslog appname and message';
  const time = toTime(src.timestamp);
  return { app, host: typeof src.hostname === 'string' ? src.hostname : undefined, time: time ?? ctx.now, pid: typeof src.procid === 'string' ? src.procid : undefined, msg, source: src };
}

function base(l: Line, classUid: number, activityId: number, product: { name: string; vendor_name: string }): OcsfEvent {
  const rest = unmapped(l.source, USED);
  return compact({
    class_uid: classUid,
    activity_id: activityId,
    time: l.time,
    message: l.msg,
    metadata: metadata(product, { log_name: 'auth', log_provider: 'syslog' }),
    unmapped: rest,
  });
}

const port = (s: string) => Number(s);

/** Add parts of the message that have no OCSF attribute to the event's `unmapped`. */
function keep(ev: OcsfEvent, extra: Record<string, unknown>): OcsfEvent {
  ev.unmapped = { ...(ev.unmapped as Record<string, unknown> | undefined), ...compact(extra) };
  return ev;
}

/** `actor` in Authentication and SSH Activity comes from OCSF's host profile, which must be declared. */
function declareHostProfile(ev: OcsfEvent): void {
  if (ev.actor === undefined || ev.class_uid === PROCESS_ACTIVITY) return;
  (ev.metadata as Record<string, unknown>).profiles = ['host'];
}

function sshd(l: Line): MapResult {
  const dst = l.host ? { hostname: l.host } : undefined;
  const proc = l.pid !== undefined ? { pid: Number(l.pid), name: 'sshd' } : undefined;
  const auth = (activity: number, status: number, user: string, ip: string, p: string, extra: Record<string, unknown>): MapResult => ({
    ok: true,
    events: [{
      ...base(l, AUTHENTICATION, activity, SSHD),
      status_id: status,
      severity_id: status === FAILURE ? LOW : INFO,
      user: { name: user },
      src_endpoint: { ip, port: port(p) },
      dst_endpoint: dst,
      service: { name: 'sshd' },
      is_remote: true,
      logon_type_id: NETWORK_LOGON,
      ...(proc ? { logon_process: proc } : {}),
      ...extra,
    }],
  });
  let m: RegExpExecArray | null;
  if ((m = ACCEPTED.exec(l.msg))) {
    const r = auth(LOGON, SUCCESS, m[2]!, m[3]!, m[4]!, { auth_protocol_id: OTHER, auth_protocol: m[1]! });
    if (r.ok && m[5]) keep(r.events[0]!, { ssh_key_type: m[5], ssh_key_fingerprint: m[6] });
    return r;
  }
  if ((m = FAILED.exec(l.msg))) {
    return auth(LOGON, FAILURE, m[3]!, m[4]!, m[5]!, { auth_protocol_id: OTHER, auth_protocol: m[1]!, status_detail: m[2] ? `Failed ${m[1]} for invalid user` : `Failed ${m[1]}` });
  }
  if ((m = INVALID_USER.exec(l.msg))) return auth(LOGON, FAILURE, m[1]!, m[2]!, m[3]!, { status_detail: 'Invalid user' });
  if ((m = DISCONNECTED_USER.exec(l.msg))) return auth(LOGOFF, SUCCESS, m[1]!, m[2]!, m[3]!, {});
  if ((m = SESSION.exec(l.msg))) return session(l, m, SSHD);
  if ((m = CLOSED.exec(l.msg))) {
    return {
      ok: true,
      events: [{
        ...base(l, SSH_ACTIVITY, 2, SSHD), // Close
        severity_id: INFO,
        src_endpoint: { ip: m[2]!, port: port(m[3]!) },
        dst_endpoint: dst,
        ...(m[1] ? { actor: { user: { name: m[1] } } } : {}),
        ...(l.msg.endsWith('[preauth]') ? { status_detail: 'closed before authentication' } : {}),
      }],
    };
  }
  // Every other sshd line (key exchange errors, banners, "Received disconnect") stays an SSH event.
  return { ok: true, events: [{ ...base(l, SSH_ACTIVITY, OTHER, SSHD), severity_id: INFO, dst_endpoint: dst }] };
}

function session(l: Line, m: RegExpExecArray, product: { name: string; vendor_name: string }): MapResult {
  const opened = m[2] === 'opened';
  const user = compact({ name: m[3], uid: m[4] });
  const by = m[5] ? compact({ name: m[5], uid: m[6] }) : undefined;
  return {
    ok: true,
    events: [{
      ...base(l, AUTHENTICATION, opened ? LOGON : LOGOFF, product),
      status_id: SUCCESS,
      severity_id: INFO,
      user,
      ...(by && Object.keys(by).length ? { actor: { user: by } } : {}),
      service: { name: m[1]! },
      ...(l.host ? { dst_endpoint: { hostname: l.host } } : {}),
      is_new_logon: opened,
      // The PAM module has no pid in the line, and OCSF's process needs one: keep its name aside.
      unmapped: { ...(base(l, 0, 0, product).unmapped as Record<string, unknown> | undefined), pam_module: `pam_unix(${m[1]}:session)` },
    }],
  };
}

function sudo(l: Line): MapResult {
  const m = SUDO.exec(l.msg);
  if (m) {
    const [, who, problem, tty, pwd, runAs, command] = m as unknown as string[];
    if (!l.host) return { ok: false, reason: 'a sudo line without a host name cannot say which device ran the command' };
    // The device's kind is not in the log: Unknown (0).
    const device = { hostname: l.host, type_id: 0 };
    if (problem) {
      // "3 incorrect password attempts", "user NOT in sudoers", "command not allowed"
      return {
        ok: true,
        events: [keep({
          ...base(l, AUTHENTICATION, LOGON, SUDO_PRODUCT),
          status_id: FAILURE,
          status_detail: problem,
          severity_id: MEDIUM,
          user: { name: runAs! },
          actor: { user: { name: who! } },
          service: { name: 'sudo' },
          dst_endpoint: { hostname: l.host },
          is_remote: false,
        }, { tty, pwd, command })],
      };
    }
    return {
      ok: true,
      events: [keep({
        ...base(l, PROCESS_ACTIVITY, LAUNCH, SUDO_PRODUCT),
        severity_id: runAs === 'root' ? LOW : INFO,
        actor: { user: { name: who! }, ...(l.pid ? { process: { name: 'sudo', pid: Number(l.pid) } } : {}) },
        device,
        // sudo does not log the command's pid. OCSF needs an identifier for the process, so uid
        // is a stable synthetic one (host/tty/time); it identifies this event's process only.
        process: { uid: `${l.host}/${tty}/${l.time}`, cmd_line: command!, user: { name: runAs! }, ...(pwd ? { working_directory: pwd } : {}) },
      }, { tty })],
    };
  }
  const s = SESSION.exec(l.msg);
  if (s) return session(l, s, SUDO_PRODUCT);
  return { ok: false, reason: `sudo message not recognised by the linux_auth pack: ${JSON.stringify(l.msg.slice(0, 120))}` };
}

const pack: Pack = {
  name: 'linux_auth',
  title: 'Linux auth log (sshd, sudo)',
  classes: [
    { class_uid: AUTHENTICATION, class_name: 'Authentication', from: 'sshd Accepted / Failed / Invalid user / Disconnected from user; pam_unix session opened/closed; sudo authentication failures' },
    { class_uid: PROCESS_ACTIVITY, class_name: 'Process Activity', from: 'sudo commands (Launch)' },
    { class_uid: SSH_ACTIVITY, class_name: 'SSH Activity', from: 'sshd Connection closed / Disconnected by (Close); other sshd lines (Other)' },
  ],
  detect(e) {
    const app = e.appname;
    if (app === 'sshd' || app === 'sudo') return typeof e.message === 'string';
    return typeof app !== 'string' && typeof e.message === 'string' && SYSLOG_LINE.test(e.message);
  },
  map(e, ctx) {
    const l = line(e, ctx);
    if (typeof l === 'string') return { ok: false, reason: l };
    const r = l.app === 'sshd' ? sshd(l) : l.app === 'sudo' ? sudo(l) : { ok: false as const, reason: `the linux_auth pack maps sshd and sudo messages, not ${JSON.stringify(l.app)}` };
    if (!r.ok) return r;
    for (let i = 0; i < r.events.length; i++) {
      declareHostProfile(r.events[i]!);
      // Copied key by key into a fresh object: the spreads that assemble an event leave V8 a
      // dictionary-mode object, on which derive + validate ran at 40k events/s instead of 300k
      // (measured over this pack's samples with bench/normalize.bench.ts).
      r.events[i] = compact(r.events[i]!) as OcsfEvent;
    }
    return r;
  },
};

export default pack;
