/**
 * The three renderings people export Windows events in, brought to one shape before mapping:
 *
 * - the JSON form of the event XML: `{ Event: { System: {...}, EventData: {...} } }` (what
 *   src/formats/winxml.ts produces, and what evtx dumpers and xmltodict-style converters write;
 *   their `#attributes` / `@Name` spellings of XML attributes are accepted too);
 * - winlogbeat's form: `winlog.event_id`, `winlog.channel`, `winlog.event_data`, `@timestamp`...,
 *   nested or flattened into dotted keys;
 * - the XML itself, through parseWinXml, which gives the JSON form.
 *
 * The record keeps the System members in the JSON form's names (EventID, Channel, Provider.Name...)
 * whatever the rendering, so `unmapped.System` and `unmapped.EventData` look the same for all three.
 */
import type { Event } from '../../src/core/event.js';
import { unmapped } from '../../src/ocsf/map-kit.js';
import { toInt, type Rec } from './fields.js';

export interface WinRecord {
  eventId: number;
  /** '' when the rendering has none. */
  channel: string;
  provider: string;
  /** TimeCreated's SystemTime (or winlogbeat's @timestamp), as written. */
  timeCreated: unknown;
  computer: string | undefined;
  recordId: string | undefined;
  version: string | undefined;
  /** Event level: 0 LogAlways, 1 Critical, 2 Error, 3 Warning, 4 Information, 5 Verbose. */
  level: number | undefined;
  /** From the audit keywords: 1 Audit Success, 2 Audit Failure. */
  outcome: 1 | 2 | undefined;
  /** The event's fields: EventData, or the fields of the element inside UserData. */
  data: Rec;
  /** What `unmapped` keeps: the System members not mapped elsewhere (always EventID, Channel, Provider). */
  system: Rec;
  eventData: Rec | undefined;
  userData: Rec | undefined;
  message: string | undefined;
  /** RenderingInfo without its Message. */
  rendering: Rec | undefined;
  /** Fields of the source rendering outside the event itself (winlogbeat's agent, host, ecs...). */
  rest: Rec | undefined;
}

function isObj(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Which rendering an event is in (cheap: detect() runs this on every event). */
export function rendering(e: Event): 'json' | 'winlogbeat' | 'winlogbeat-dotted' | 'nxlog' | undefined {
  const ev = e.Event;
  if (isObj(ev) && isObj(ev.System)) return 'json';
  const w = e.winlog;
  if (isObj(w)) return w.event_id !== undefined && (typeof w.channel === 'string' || typeof w.provider_name === 'string') ? 'winlogbeat' : undefined;
  if (e['winlog.event_id'] !== undefined && (typeof e['winlog.channel'] === 'string' || typeof e['winlog.provider_name'] === 'string')) return 'winlogbeat-dotted';
  if (e.EventID !== undefined && typeof e.Channel === 'string' && (typeof e.SourceName === 'string' || typeof e.ProviderGuid === 'string' || typeof e.Hostname === 'string')) return 'nxlog';
  return undefined;
}

export function normalize(e: Event): WinRecord | string {
  switch (rendering(e)) {
    case 'json': return fromJson(e);
    case 'winlogbeat': return fromWinlogbeat(e);
    case 'winlogbeat-dotted': return fromWinlogbeat(undot(e));
    case 'nxlog': return fromNxlog(e);
    default: return 'not a Windows event: expected Event.System (the event XML as JSON), winlog.event_id with winlog.channel (winlogbeat), or EventID with Channel and SourceName (NXLog)';
  }
}

// ---------------------------------------------------------------------------------------------
// JSON form

/** System members mapped to OCSF attributes (time, device.hostname, metadata.uid, metadata.log_version). */
const SYSTEM_MAPPED = new Set(['TimeCreated', 'Computer', 'EventRecordID', 'Version']);
/** Members of Event read into the record; anything else is kept under unmapped.Event. */
const JSON_READ: readonly string[] = ['Event.System', 'Event.EventData', 'Event.UserData', 'Event.RenderingInfo', 'Event.#attributes', 'Event.@xmlns', 'Event.xmlns'];

function fromJson(e: Event): WinRecord | string {
  const ev = e.Event as Rec;
  const sys = attrs(ev.System as Rec);
  const eventId = eventIdOf(sys.EventID);
  if (eventId === undefined) return `the event has no numeric System.EventID (got ${JSON.stringify(sys.EventID) ?? 'nothing'})`;
  const system: Rec = {};
  for (const k in sys) if (!SYSTEM_MAPPED.has(k)) system[k] = sys[k];
  // EventID as a number whatever the rendering wrote ("4624", or { '#text': 7036, Qualifiers: 16384 }).
  system.EventID = eventId;
  if (isObj(sys.EventID) && sys.EventID.Qualifiers !== undefined) system.Qualifiers = sys.EventID.Qualifiers;
  const provider = isObj(sys.Provider) ? sys.Provider : undefined;

  let data: Rec = {};
  let eventData: Rec | undefined;
  let userData: Rec | undefined;
  if (ev.EventData !== undefined && ev.EventData !== null) {
    eventData = eventDataOf(ev.EventData);
    data = eventData;
  } else if (isObj(ev.UserData)) {
    userData = ev.UserData;
    data = userDataFields(ev.UserData);
  }
  let message: string | undefined;
  let renderingInfo: Rec | undefined;
  if (isObj(ev.RenderingInfo)) {
    message = text(ev.RenderingInfo.Message);
    renderingInfo = {};
    for (const k in ev.RenderingInfo) if (k !== 'Message') renderingInfo[k] = ev.RenderingInfo[k];
  }
  // Most events carry nothing beyond Event's own members: skip the general walk for them.
  let plain = true;
  for (const k in e) if (k !== 'Event') { plain = false; break; }
  if (plain) for (const k in ev) if (k !== 'System' && k !== 'EventData' && k !== 'UserData' && k !== 'RenderingInfo') { plain = false; break; }

  return {
    eventId,
    channel: text(sys.Channel) ?? '',
    provider: (provider && text(provider.Name)) ?? '',
    timeCreated: isObj(sys.TimeCreated) ? sys.TimeCreated.SystemTime : sys.TimeCreated,
    computer: text(sys.Computer),
    recordId: text(sys.EventRecordID),
    version: text(sys.Version),
    level: toInt(sys.Level),
    outcome: keywordsOutcome(sys.Keywords),
    data,
    system,
    eventData,
    userData,
    message,
    rendering: renderingInfo && Object.keys(renderingInfo).length ? renderingInfo : undefined,
    rest: plain ? undefined : unmapped(e, JSON_READ),
  };
}

/**
 * System with XML attributes spelled as members: `{ Provider: { Name } }`. Evtx dumpers write
 * `{ Provider: { '#attributes': { Name } } }` and xmltodict `{ Provider: { '@Name': ... } }`.
 */
function attrs(sys: Rec): Rec {
  let needs = false;
  for (const k in sys) { const v = sys[k]; if (isObj(v) && hasWrappedAttrs(v)) { needs = true; break; } }
  if (!needs) return sys;
  const out: Rec = {};
  for (const k in sys) { const v = sys[k]; out[k] = isObj(v) && hasWrappedAttrs(v) ? unwrap(v) : v; }
  return out;
}

function hasWrappedAttrs(v: Rec): boolean {
  for (const k in v) if (k === '#attributes' || k.charCodeAt(0) === 64 /* @ */) return true;
  return false;
}

function unwrap(v: Rec): Rec {
  const out: Rec = {};
  for (const k in v) {
    if (k === '#attributes' && isObj(v[k])) Object.assign(out, v[k]);
    else if (k.charCodeAt(0) === 64) out[k.slice(1)] = v[k];
    else out[k] = v[k];
  }
  return out;
}

function eventIdOf(v: unknown): number | undefined {
  if (isObj(v)) return eventIdOf(v['#text'] ?? v['#attributes'] ?? v.Value);
  const n = toInt(v);
  return n !== undefined && n >= 0 && n <= 0xffff ? n : undefined;
}

/**
 * EventData as `{ Name: value }`. Already in that form in most exports; xmltodict-style converters
 * keep the Data elements: `{ Data: [{ '@Name': 'X', '#text': 'v' }, ...] }`, and unnamed Data
 * elements (`{ Data: ['a', 'b'] }`) become param1, param2... as in the XML parser.
 */
function eventDataOf(v: unknown): Rec {
  if (!isObj(v)) return {};
  const data = v.Data;
  if (data === undefined) return v;
  for (const k in v) if (k !== 'Data' && k !== 'Binary' && k !== '#attributes' && k.charCodeAt(0) !== 64) return v;
  const items = Array.isArray(data) ? data : isObj(data) && Array.isArray(data['#text']) ? data['#text'] : [data];
  const out: Rec = {};
  let unnamed = 0;
  for (const item of items) {
    if (isObj(item)) {
      const a = isObj(item['#attributes']) ? item['#attributes'] : item;
      const name = a.Name ?? a['@Name'];
      const value = item['#text'] ?? item.Value ?? '';
      if (typeof name === 'string' && name !== '') setOwn(out, name, value);
      else setOwn(out, `param${++unnamed}`, value);
    } else {
      setOwn(out, `param${++unnamed}`, item ?? '');
    }
  }
  if (v.Binary !== undefined) out.Binary = v.Binary;
  return out;
}

/** The fields of the one element inside UserData (`{ LogFileCleared: { SubjectUserSid... } }`). */
function userDataFields(u: Rec): Rec {
  for (const k in u) {
    const v = u[k];
    if (isObj(v)) {
      if (!hasWrappedAttrs(v) && v.xmlns === undefined) return v;
      const out: Rec = {};
      for (const f in v) if (f !== '#attributes' && f !== 'xmlns' && f.charCodeAt(0) !== 64) out[f] = v[f];
      return out;
    }
  }
  return {};
}

function setOwn(o: Rec, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Audit Success / Audit Failure from System.Keywords: the hex mask ("0x8020000000000000": bit 53 is
 * success, bit 52 failure) or the keyword names.
 */
function keywordsOutcome(v: unknown): 1 | 2 | undefined {
  if (typeof v === 'string' && v.length > 2 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) === 120 || v.charCodeAt(1) === 88)) {
    const hex = v.slice(2);
    if (hex.length < 14 || hex.length > 16) return undefined;
    // Bits 52 and 53 are the lowest two bits of the 14th hex digit from the right.
    const nibble = parseInt(hex[hex.length - 14]!, 16);
    if (Number.isNaN(nibble)) return undefined;
    return nibble & 2 ? 1 : nibble & 1 ? 2 : undefined;
  }
  const names = Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
  if (!names) return undefined;
  for (const n of names) {
    if (n === 'Audit Success') return 1;
    if (n === 'Audit Failure') return 2;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// winlogbeat

const LEVEL_NAMES: ReadonlyMap<string, number> = new Map([
  ['critical', 1], ['error', 2], ['warning', 3], ['information', 4], ['info', 4], ['verbose', 5],
]);

/** winlogbeat fields read into the record (anything else stays in unmapped under its own name). */
const WINLOGBEAT_READ: readonly string[] = [
  '@timestamp', 'message', 'winlog.event_id', 'winlog.channel', 'winlog.provider_name', 'winlog.provider_guid',
  'winlog.computer_name', 'winlog.record_id', 'winlog.version', 'winlog.task', 'winlog.opcode', 'winlog.keywords',
  'winlog.process.pid', 'winlog.process.thread.id', 'winlog.user.identifier', 'winlog.activity_id',
  'winlog.related_activity_id', 'winlog.event_data', 'winlog.user_data',
];

function fromWinlogbeat(e: Event): WinRecord | string {
  const w = e.winlog as Rec;
  const eventId = eventIdOf(w.event_id);
  if (eventId === undefined) return `the event has no numeric winlog.event_id (got ${JSON.stringify(w.event_id)})`;
  const channel = text(w.channel) ?? '';
  const provider = text(w.provider_name) ?? '';
  const proc = isObj(w.process) ? w.process : undefined;
  const thread = proc && isObj(proc.thread) ? proc.thread : undefined;
  const wuser = isObj(w.user) ? w.user : undefined;
  const system = defined({
    Provider: defined({ Name: w.provider_name, Guid: w.provider_guid }),
    EventID: eventId,
    Task: w.task,
    Opcode: w.opcode,
    Keywords: w.keywords,
    Correlation: defined({ ActivityID: w.activity_id, RelatedActivityID: w.related_activity_id }),
    Execution: defined({ ProcessID: proc?.pid, ThreadID: thread?.id }),
    Channel: w.channel,
    Security: defined({ UserID: wuser?.identifier }),
  })!;

  let data: Rec = {};
  let eventData: Rec | undefined;
  let userData: Rec | undefined;
  if (isObj(w.event_data)) {
    eventData = w.event_data;
    data = eventData;
  } else if (isObj(w.user_data)) {
    // winlogbeat flattens UserData's element and names it in xml_name.
    const fields: Rec = {};
    for (const k in w.user_data) if (k !== 'xml_name') fields[k] = w.user_data[k];
    data = fields;
    userData = { [text(w.user_data.xml_name) ?? 'UserData']: fields };
  }
  const levelName = isObj(e.log) ? e.log.level : e['log.level'];
  return {
    eventId,
    channel,
    provider,
    timeCreated: e['@timestamp'],
    computer: text(w.computer_name),
    recordId: text(w.record_id),
    version: text(w.version),
    level: typeof levelName === 'string' ? LEVEL_NAMES.get(levelName.toLowerCase()) : undefined,
    outcome: keywordsOutcome(w.keywords),
    data,
    system,
    eventData,
    userData,
    message: text(e.message),
    rendering: undefined,
    rest: unmapped(e, WINLOGBEAT_READ),
  };
}

// ---------------------------------------------------------------------------------------------
// NXLog (im_msvistalog), as in the OTRF/Mordor datasets: one flat object. NXLog documents a fixed
// set of fields it adds from the System element and its own processing; every other top-level
// field is an EventData field. Shippers in front of it add a few of their own (@timestamp, host...).

/** NXLog's documented fields (im_msvistalog) and what common shippers add; not EventData. */
const NXLOG_FIELDS = new Set([
  'EventTime', 'Hostname', 'Keywords', 'SeverityValue', 'Severity', 'EventID', 'SourceName', 'ProviderGuid',
  'Version', 'Task', 'OpcodeValue', 'RecordNumber', 'ActivityID', 'RelatedActivityID', 'ProcessID', 'ThreadID', 'Channel',
  'Domain', 'AccountName', 'UserID', 'AccountType', 'Category', 'Opcode', 'Message', 'EventReceivedTime',
  'SourceModuleName', 'SourceModuleType', 'Level', 'TimeCreated', 'ExecutionProcessID', 'ExecutionThreadID',
  'ERROR_EVT_UNRESOLVED', '@timestamp', '@version', 'host', 'port', 'tags', 'beat', 'log_name', 'source_name', 'event_id',
]);
/** NXLog's own EventType values; Sysmon's registry events have an EventData field of that name too. */
const NXLOG_EVENT_TYPES = new Set(['AUDIT_SUCCESS', 'AUDIT_FAILURE', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'VERBOSE']);
/** NXLog's SeverityValue: 1 DEBUG, 2 INFO, 3 WARNING, 4 ERROR, 5 CRITICAL -> the event Level. */
const NXLOG_LEVEL: Record<number, number> = { 1: 5, 2: 4, 3: 3, 4: 2, 5: 1 };

function fromNxlog(e: Event): WinRecord | string {
  const eventId = eventIdOf(e.EventID);
  if (eventId === undefined) return `the event has no numeric EventID (got ${JSON.stringify(e.EventID)})`;
  const eventData: Rec = {};
  const rest: Rec = {};
  for (const k in e) {
    if (!Object.hasOwn(e, k)) continue;
    if (NXLOG_FIELDS.has(k)) continue;
    if (k === 'EventType' && NXLOG_EVENT_TYPES.has(String(e[k]))) continue;
    setOwn(eventData, k, e[k]);
  }
  if (NXLOG_EVENT_TYPES.has(String(e.EventType))) setOwn(rest, 'EventType', e.EventType);
  for (const k of ['EventTime', 'EventReceivedTime', 'SourceModuleName', 'SourceModuleType', 'Severity', 'SeverityValue', 'Category', 'Domain', 'AccountName', 'AccountType', '@version', 'host', 'port', 'tags', 'beat', 'ERROR_EVT_UNRESOLVED']) {
    if (e[k] !== undefined) setOwn(rest, k, e[k]);
  }
  const system = defined({
    Provider: defined({ Name: e.SourceName, Guid: e.ProviderGuid }),
    EventID: eventId,
    Task: e.Task,
    Opcode: e.OpcodeValue ?? e.Opcode,
    Keywords: e.Keywords,
    Correlation: defined({ ActivityID: e.ActivityID, RelatedActivityID: e.RelatedActivityID }),
    Execution: defined({ ProcessID: e.ExecutionProcessID ?? e.ProcessID, ThreadID: e.ExecutionThreadID ?? e.ThreadID }),
    Channel: e.Channel,
    Security: defined({ UserID: e.UserID }),
  })!;
  const sev = toInt(e.SeverityValue);
  // @timestamp is UTC with a zone; NXLog's EventTime and OTRF's TimeCreated have none.
  const time = e['@timestamp'] ?? e.TimeCreated ?? e.EventTime;
  return {
    eventId,
    channel: text(e.Channel) ?? '',
    provider: text(e.SourceName) ?? '',
    timeCreated: time,
    computer: text(e.Hostname),
    recordId: e.RecordNumber !== undefined ? String(e.RecordNumber) : undefined,
    version: e.Version !== undefined ? String(e.Version) : undefined,
    level: sev !== undefined ? NXLOG_LEVEL[sev] : undefined,
    outcome: keywordsOutcome(e.Keywords) ?? (e.EventType === 'AUDIT_SUCCESS' ? 1 : e.EventType === 'AUDIT_FAILURE' ? 2 : undefined),
    data: eventData,
    system,
    eventData,
    userData: undefined,
    message: text(e.Message),
    rendering: undefined,
    rest: Object.keys(rest).length ? rest : undefined,
  };
}

/** An object without its undefined members; undefined when none is left. */
function defined(o: Rec): Rec | undefined {
  const out: Rec = {};
  let any = false;
  for (const k in o) if (o[k] !== undefined && o[k] !== null) { out[k] = o[k]; any = true; }
  return any ? out : undefined;
}

/** `{ "winlog.event_id": 1, "winlog.event_data.Image": "x" }` -> `{ winlog: { event_id: 1, event_data: { Image: "x" } } }`. */
function undot(e: Event): Event {
  const out: Event = {};
  const winlog: Rec = {};
  let eventData: Rec | undefined;
  for (const k in e) {
    if (!k.startsWith('winlog.')) { setOwn(out, k, e[k]); continue; }
    // EventData names have no dots: the common case needs no split.
    if (k.startsWith('winlog.event_data.')) {
      if (eventData === undefined) {
        eventData = isObj(winlog.event_data) ? winlog.event_data : {};
        winlog.event_data = eventData;
      }
      setOwn(eventData, k.slice(18), e[k]);
      continue;
    }
    const segs = k.slice(7).split('.');
    let node = winlog;
    for (let i = 0; i < segs.length - 1; i++) {
      const s = segs[i]!;
      let next = node[s];
      if (!isObj(next)) { next = {}; setOwn(node, s, next); }
      node = next as Rec;
    }
    setOwn(node, segs[segs.length - 1]!, e[k]);
  }
  out.winlog = winlog;
  return out;
}
