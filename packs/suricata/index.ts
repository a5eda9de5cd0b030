/**
 * `suricata`: Suricata EVE JSON (eve.json, one JSON object per line) to OCSF.
 *
 *   alert   -> Detection Finding (2004): the rule, severity, action, ATT&CK, evidence
 *   anomaly -> Detection Finding (2004), Informational
 *   flow    -> Network Activity (4001): traffic counters, start/end, state
 *   dns     -> DNS Activity (4003): EVE DNS versions 1, 2 (detailed and grouped) and 3
 *   http    -> HTTP Activity (4002)
 *   tls     -> Network Activity (4001) with `tls` (OCSF 1.8.0 has no TLS class)
 *   ssh     -> SSH Activity (4007)
 *
 * Other event types (stats, fileinfo, smtp, ...) come back with a reason naming the type, so the
 * normalize transform dead-letters them precisely. README.md has the field mapping.
 *
 * Suricata's flow_id names a flow, shared by its flow, protocol and alert records, so it goes to
 * connection_info.uid and metadata.correlation_uid, never metadata.uid (unique per event).
 */
import type { Event } from '../../src/core/event.js';
import type { MapResult, Pack } from '../../src/ocsf/pack.js';
import { readCommon, type Rec } from './common.js';
import { mapAlert, mapAnomaly } from './findings.js';
import { mapDns, mapFlow, mapHttp, mapSsh, mapTls } from './network.js';
import { isObj } from './read.js';

// A Map, not an object: event_type comes from the input, and `constructor` must not find a mapper.
const MAPPERS: ReadonlyMap<string, (c: Rec) => MapResult> = new Map([
  ['alert', mapAlert], ['anomaly', mapAnomaly], ['flow', mapFlow], ['dns', mapDns], ['http', mapHttp], ['tls', mapTls], ['ssh', mapSsh],
]);
const MAPPED = [...MAPPERS.keys()].join(', ');

const pack: Pack = {
  name: 'suricata',
  title: 'Suricata EVE JSON',
  classes: [
    { class_uid: 2004, class_name: 'Detection Finding', from: 'alert events (severity from alert.severity, action from alert.action) and anomaly events (Informational)' },
    { class_uid: 4001, class_name: 'Network Activity', from: 'flow events (activity from flow.state: Close, Reset, Fail, Traffic) and tls events (Traffic, with tls)' },
    { class_uid: 4003, class_name: 'DNS Activity', from: 'dns events (query/request Query, answer/response Response)' },
    { class_uid: 4002, class_name: 'HTTP Activity', from: 'http events (activity from http_method)' },
    { class_uid: 4007, class_name: 'SSH Activity', from: 'ssh events (Open)' },
  ],
  detect(e: Event): boolean {
    // Every EVE record has event_type and timestamp; its own section is named after its type
    // (`"alert": {...}`, `"stats": {...}`), so records this pack does not map are still recognised
    // and get a precise reason.
    if (e === null || typeof e !== 'object') return false;
    const t = e.event_type;
    if (typeof t !== 'string' || typeof e.timestamp !== 'string') return false;
    return Object.hasOwn(e, 'src_ip') || Object.hasOwn(e, 'flow_id') || (Object.hasOwn(e, t) && isObj(e[t]));
  },
  map(e: Event): MapResult {
    if (!isObj(e)) return { ok: false, reason: 'a Suricata EVE record must be a JSON object' };
    const t = e.event_type;
    if (typeof t !== 'string' || t === '') {
      return { ok: false, reason: t === undefined ? 'not a Suricata EVE record: it has no event_type' : `not a Suricata EVE record: event_type is ${JSON.stringify(t)}, not a name` };
    }
    const mapper = MAPPERS.get(t);
    if (mapper === undefined) return { ok: false, reason: `suricata event_type ${JSON.stringify(t)} is not mapped by this pack (mapped: ${MAPPED})` };
    const c = readCommon(e, t);
    if (typeof c === 'string') return { ok: false, reason: c };
    try {
      return mapper(c);
    } catch (err) {
      // The mappers guard every shape they read; this is the net for anything they did not foresee.
      return { ok: false, reason: `suricata: the ${t} event could not be mapped (${(err as Error).message})` };
    }
  },
};

export default pack;
