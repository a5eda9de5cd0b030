/**
 * Windows Security log and Sysmon events -> OCSF. Accepts the event XML's JSON form
 * (`Event.System`, `Event.EventData`), winlogbeat's form (`winlog.*`, nested or dotted), and the XML
 * itself through mapWindowsXml(). All three are first brought to one record (normalize.ts), then
 * mapped by event id (security.ts, sysmon.ts); this file adds what every event gets: time,
 * metadata, device, severity and `unmapped`.
 *
 * `unmapped` always holds the whole EventData (or UserData) under its Windows names, even the fields
 * that were also mapped, and System's EventID, Channel and Provider: detection rules written for
 * Windows (Sigma) test those names, and they must keep working on the OCSF event.
 */
import type { Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { metadata, toTime } from '../../src/ocsf/map-kit.js';
import { parseWinXml } from '../../src/formats/winxml.js';
import { sysmonTime, type Rec } from './fields.js';
import { normalize, rendering, type WinRecord } from './normalize.js';
import { SECURITY, SYSTEM, type Mapper } from './security.js';
import { SYSMON, SYSMON_UNMAPPED } from './sysmon.js';

const WINDOWS = { name: 'Windows', vendor_name: 'Microsoft' } as const;
const SYSMON_PRODUCT = { name: 'Sysmon', vendor_name: 'Microsoft' } as const;

/** Event level -> severity_id: Critical 5, Error High (4), Warning Medium (3); LogAlways, Information, Verbose Informational (1). */
const SEVERITY: readonly number[] = [1, 5, 4, 3, 1, 1];

const SYSMON_CHANNEL = 'microsoft-windows-sysmon/operational';

type Source = { label: string; table: ReadonlyMap<number, Mapper>; product: typeof WINDOWS | typeof SYSMON_PRODUCT; sysmon: boolean };
const SECURITY_SOURCE: Source = { label: 'Security', table: SECURITY, product: WINDOWS, sysmon: false };
const SYSMON_SOURCE: Source = { label: 'Sysmon', table: SYSMON, product: SYSMON_PRODUCT, sysmon: true };
const SYSTEM_SOURCE: Source = { label: 'System', table: SYSTEM, product: WINDOWS, sysmon: false };

function sourceOf(r: WinRecord): Source | undefined {
  const ch = r.channel.toLowerCase();
  if (ch === 'security' || (ch === '' && r.provider === 'Microsoft-Windows-Security-Auditing')) return SECURITY_SOURCE;
  if (ch === SYSMON_CHANNEL || (ch === '' && r.provider === 'Microsoft-Windows-Sysmon')) return SYSMON_SOURCE;
  if (ch === 'system') return SYSTEM_SOURCE;
  return undefined;
}

function fail(reason: string): MapResult {
  return { ok: false, reason };
}

function mapEvent(e: Event): MapResult {
  const r = normalize(e);
  if (typeof r === 'string') return fail(r);
  const src = sourceOf(r);
  if (src === undefined) {
    return fail(`Windows event ${r.eventId} from channel ${JSON.stringify(r.channel)} is not mapped by the windows pack (it maps the Security and Sysmon channels, and System events 104 and 7045)`);
  }
  const mapper = src.table.get(r.eventId);
  if (mapper === undefined) {
    const why = src.sysmon ? SYSMON_UNMAPPED.get(r.eventId) : src === SYSTEM_SOURCE ? 'of the System log it maps 104 and 7045' : undefined;
    return fail(`${src.label} event ${r.eventId} is not mapped by the windows pack${why ? ` (${why})` : ''}`);
  }
  const body = mapper(r);
  if (typeof body === 'string') return fail(body);

  // Sysmon's UtcTime is when the activity happened; TimeCreated is when it was logged.
  let time: number | null = null;
  let original: unknown;
  let logged: number | null = null;
  if (src.sysmon) {
    const t = sysmonTime(r.data.UtcTime);
    if (t !== undefined) { time = t; original = r.data.UtcTime; logged = toTime(r.timeCreated); }
  }
  if (time === null) { time = toTime(r.timeCreated); original = r.timeCreated; }
  if (time === null) return fail(`${src.label} event ${r.eventId} has no readable time (TimeCreated ${JSON.stringify(r.timeCreated) ?? 'absent'})`);

  const profiles = body.action_id !== undefined || body.disposition_id !== undefined ? ['host', 'security_control'] : ['host'];
  const out: OcsfEvent = {
    class_uid: body.class_uid,
    activity_id: body.activity_id,
    severity_id: r.level === undefined ? 0 : SEVERITY[r.level] ?? 0,
    time,
    metadata: meta(r, src, typeof original === 'string' ? original : undefined, logged, profiles),
  };
  for (const k in body) { const v = body[k]; if (v !== undefined) out[k] = v; }
  if (r.computer !== undefined) out.device = { hostname: r.computer, type_id: 0, os: { name: 'Windows', type_id: 100 } };
  if (r.message !== undefined) out.message = r.message;
  out.unmapped = keep(r);
  return { ok: true, events: [out] };
}

function meta(r: WinRecord, src: Source, original: string | undefined, logged: number | null, profiles: string[]): Rec {
  const extra: Rec = { event_code: String(r.eventId) };
  if (r.recordId !== undefined) extra.uid = r.recordId;
  if (r.channel !== '') extra.log_name = r.channel;
  if (r.provider !== '') extra.log_provider = r.provider;
  if (r.version !== undefined) extra.log_version = r.version;
  if (original !== undefined) extra.original_time = original;
  if (logged !== null) extra.logged_time = logged;
  extra.profiles = profiles;
  return metadata(src.product, extra);
}

/** What `unmapped` holds: the rendering's other fields, System's unmapped members, all of EventData/UserData. */
function keep(r: WinRecord): Rec {
  const u: Rec = r.rest ? { ...r.rest } : {};
  u.System = r.system;
  if (r.eventData !== undefined) u.EventData = r.eventData;
  if (r.userData !== undefined) u.UserData = r.userData;
  if (r.rendering !== undefined) u.RenderingInfo = r.rendering;
  return u;
}

const pack: Pack = {
  name: 'windows',
  title: 'Windows Security log and Sysmon',
  classes: [
    { class_uid: 3002, class_name: 'Authentication', from: 'Security 4624, 4625, 4634, 4647, 4648, 4768-4771, 4776' },
    { class_uid: 3003, class_name: 'Authorize Session', from: 'Security 4672' },
    { class_uid: 3001, class_name: 'Account Change', from: 'Security 4720, 4722-4726, 4738, 4740, 4767' },
    { class_uid: 3006, class_name: 'Group Management', from: 'Security 4727-4734, 4754, 4756-4758' },
    { class_uid: 1007, class_name: 'Process Activity', from: 'Security 4688, 4689; Sysmon 1, 5, 8, 10' },
    { class_uid: 1006, class_name: 'Scheduled Job Activity', from: 'Security 4698-4702' },
    { class_uid: 201004, class_name: 'Windows Service Activity', from: 'Security 4697, System 7045' },
    { class_uid: 1008, class_name: 'Event Log Activity', from: 'Security 1102, System 104' },
    { class_uid: 1001, class_name: 'File System Activity', from: 'Sysmon 2, 9, 11, 15, 17, 18, 23, 26-29' },
    { class_uid: 1005, class_name: 'Module Activity', from: 'Sysmon 7' },
    { class_uid: 1002, class_name: 'Kernel Extension Activity', from: 'Sysmon 6' },
    { class_uid: 4001, class_name: 'Network Activity', from: 'Sysmon 3' },
    { class_uid: 4003, class_name: 'DNS Activity', from: 'Sysmon 22' },
    { class_uid: 201001, class_name: 'Registry Key Activity', from: 'Sysmon 12, 14 (keys)' },
    { class_uid: 201002, class_name: 'Registry Value Activity', from: 'Sysmon 12, 13 (values)' },
    { class_uid: 2004, class_name: 'Detection Finding', from: 'Sysmon 25' },
  ],
  detect: (e) => rendering(e) !== undefined,
  map(e: Event, _ctx: MapContext): MapResult {
    try {
      return mapEvent(e);
    } catch (err) {
      return fail(`the windows pack could not map this event: ${(err as Error).message}`);
    }
  },
};

export default pack;

/** Map one Windows event XML document (`<Event xmlns=...>...</Event>`); a stream of them is split with splitWinXml first. */
export function mapWindowsXml(xml: string, ctx: MapContext): MapResult {
  const p = parseWinXml(xml);
  if (!p.ok) return fail(`not a Windows event XML document: ${p.reason}`);
  return pack.map(p.value, ctx);
}
