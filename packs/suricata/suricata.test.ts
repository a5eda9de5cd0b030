import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pack from './index.js';
import type { Event } from '../../src/core/event.js';
import type { MapResult, OcsfEvent } from '../../src/ocsf/pack.js';
import { assertValidOcsf, packFiles, reasonOf, single, testContext } from '../test-kit.js';

type Obj = Record<string, unknown>;
const { dir, read, samples } = packFiles('suricata');
const ctx = testContext(Date.UTC(2026, 10, 23));

/** The EVE lines of a sample file. */
const lines = (f: string): Event[] =>
  readFileSync(new URL(f, dir('samples')), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
/** What a sink writes: absent members (undefined) are not part of the event. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const map = (e: Obj) => pack.map(e as Event, ctx);
const one = (e: Obj): Obj => single(map(e)) as Obj;
const label = (e: OcsfEvent) => `${String(e.class_uid)} ${JSON.stringify(e.metadata)}`;

const TUPLE = { src_ip: '192.0.2.10', src_port: 50000, dest_ip: '198.51.100.20', dest_port: 53, proto: 'UDP' };
const TS = '2026-11-23T10:00:01.123456+0000';
const eve = (event_type: string, over: Obj = {}): Obj => ({ timestamp: TS, flow_id: 1234567890123, event_type, ...TUPLE, ...over });
const dnsEvent = (dns: Obj, over: Obj = {}) => one(eve('dns', { dns, ...over }));
const alertEvent = (alert: Obj, over: Obj = {}) =>
  one(eve('alert', { alert: { action: 'allowed', gid: 1, signature_id: 2000001, rev: 1, signature: 'TEST', category: 'Misc activity', severity: 2, ...alert }, ...over }));

test('every sample line maps to its reviewed OCSF output (or its reviewed rejection)', () => {
  const files = samples('.ndjson');
  assert.deepEqual(files, ['alert', 'anomaly', 'dns', 'flow', 'http', 'other', 'ssh', 'tls'].map((k) => `${k}.ndjson`));
  for (const f of files) {
    const got = lines(f).map((e) => asJson(pack.map(e, ctx)));
    assert.deepEqual(got, read('expected', f.replace('.ndjson', '.json')), f);
  }
});

test('every mapped sample, and every reviewed expected event, is valid OCSF 1.8.0', () => {
  for (const f of samples('.ndjson')) {
    const mapped = lines(f).map((e) => pack.map(e, ctx)).flatMap((r) => (r.ok ? r.events : []));
    assertValidOcsf(mapped, (e) => `${f}: ${label(e)}`);
    const expected = read<MapResult[]>('expected', f.replace('.ndjson', '.json')).flatMap((r) => (r.ok ? r.events : []));
    assert.equal(expected.length, mapped.length, f);
    assertValidOcsf(expected, (e) => `expected/${f}: ${label(e)}`);
  }
});

test('each event type becomes its OCSF class', () => {
  const classes = (f: string) => lines(f).map((e) => (pack.map(e, ctx) as { events: Obj[] }).events[0]!.class_uid);
  assert.deepEqual(classes('alert.ndjson'), [2004, 2004, 2004, 2004]);
  assert.deepEqual(classes('anomaly.ndjson'), [2004, 2004, 2004]);
  assert.deepEqual(classes('flow.ndjson'), [4001, 4001, 4001, 4001, 4001]);
  assert.deepEqual(classes('tls.ndjson'), [4001, 4001, 4001, 4001]);
  assert.deepEqual(classes('dns.ndjson'), [4003, 4003, 4003, 4003, 4003, 4003, 4003]);
  assert.deepEqual(classes('http.ndjson'), [4002, 4002, 4002, 4002]);
  assert.deepEqual(classes('ssh.ndjson'), [4007, 4007]);
});

test('detect: every EVE sample yes, including event types the pack does not map; other sources no', () => {
  for (const f of samples('.ndjson')) for (const e of lines(f)) assert.ok(pack.detect(e), `${f}: ${String(e.event_type)}`);
  const others: Obj[] = [
    // Zeek conn (JSON), CloudTrail, Okta, GitHub audit, Kubernetes audit, Falco, an access log line
    { ts: 1655071198.4, uid: 'C1', 'id.orig_h': '192.0.2.1', 'id.orig_p': 5, 'id.resp_h': '192.0.2.2', 'id.resp_p': 80, proto: 'tcp', conn_state: 'SF' },
    { eventVersion: '1.08', eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventTime: '2026-11-23T10:00:00Z', sourceIPAddress: '203.0.113.5' },
    { uuid: 'u-1', published: '2026-11-23T10:00:00.000Z', eventType: 'user.session.start', actor: { id: 'x' } },
    { action: 'org.add_member', actor: 'octocat', '@timestamp': 1795428000000 },
    { kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'get', auditID: 'x', stageTimestamp: '2026-11-23T10:00:00Z' },
    { time: '2026-11-23T10:00:01.123456789Z', rule: 'Terminal shell in container', priority: 'Notice', output: 'x', output_fields: {} },
    { message: '203.0.113.9 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 2326' },
    // EVE-like but not enough: no timestamp, a non-string type, nothing but the two keys
    { event_type: 'alert', src_ip: '192.0.2.1', alert: {} },
    { event_type: 7, timestamp: TS, src_ip: '192.0.2.1' },
    { event_type: 'alert', timestamp: TS },
    { event_type: 'alert', timestamp: TS, alert: 'x' },
    {},
  ];
  for (const e of others) assert.equal(pack.detect(e as Event), false, JSON.stringify(e));
  assert.equal(pack.detect(null as unknown as Event), false);
});

test('records this pack cannot map come back with the reason, never a throw', () => {
  const cases: [unknown, string][] = [
    [lines('other.ndjson')[0], 'suricata event_type "stats" is not mapped by this pack (mapped: alert, anomaly, flow, dns, http, tls, ssh)'],
    [eve('smtp', { smtp: { helo: 'x' } }), 'suricata event_type "smtp" is not mapped by this pack (mapped: alert, anomaly, flow, dns, http, tls, ssh)'],
    [eve('constructor'), 'suricata event_type "constructor" is not mapped by this pack (mapped: alert, anomaly, flow, dns, http, tls, ssh)'],
    [{ timestamp: TS, src_ip: '192.0.2.1' }, 'not a Suricata EVE record: it has no event_type'],
    [{ timestamp: TS, event_type: 3 }, 'not a Suricata EVE record: event_type is 3, not a name'],
    [null, 'a Suricata EVE record must be a JSON object'],
    [[1], 'a Suricata EVE record must be a JSON object'],
    [eve('flow', { timestamp: undefined }), 'suricata flow event has no timestamp'],
    [eve('dns', { timestamp: '23/Nov/2026:10:00:01' }), 'suricata dns event has an invalid timestamp "23/Nov/2026:10:00:01" (expected an EVE time such as 2026-11-23T10:00:01.123456+0000)'],
    [eve('http', { timestamp: '2026-13-23T10:00:01.000000+0000' }), 'suricata http event has an invalid timestamp "2026-13-23T10:00:01.000000+0000" (expected an EVE time such as 2026-11-23T10:00:01.123456+0000)'],
    [eve('alert'), 'suricata alert event has no alert object'],
    [eve('alert', { alert: { signature: 'ET X' } }), 'suricata alert has no alert.signature_id (the rule sid), so the finding cannot be identified'],
    [eve('anomaly', { anomaly: { type: 'decode' } }), 'suricata anomaly event has neither anomaly.event nor anomaly.code, so the finding has no name'],
    [eve('dns'), 'suricata dns event has no dns object'],
    [eve('http', { http: { length: 5 } }), 'suricata http event has no request or response OCSF can hold (no http.url, http_method, http_user_agent or status)'],
    [eve('flow', { src_ip: undefined, dest_ip: 'not-an-ip', flow: {} }), 'suricata flow event has no valid src_ip or dest_ip (OCSF Network Activity needs an endpoint)'],
    [eve('ssh', { src_ip: undefined, dest_ip: undefined }), 'suricata ssh event has no valid src_ip or dest_ip (OCSF SSH Activity needs an endpoint)'],
  ];
  for (const [e, reason] of cases) assert.equal(reasonOf(pack.map(e as Event, ctx)), reason, JSON.stringify(e));
});

test('timestamp: Suricata offsets without a colon parse; offset -> timezone_offset, the text -> metadata.original_time', () => {
  const at = (timestamp: string) => {
    const ev = one(eve('flow', { timestamp, flow: {} }));
    return [ev.time, ev.timezone_offset, (ev.metadata as Obj).original_time];
  };
  const base = Date.UTC(2026, 10, 23, 10, 0, 1, 123);
  assert.deepEqual(at('2026-11-23T10:00:01.123456+0000'), [base, 0, '2026-11-23T10:00:01.123456+0000']);
  assert.deepEqual(at('2026-11-23T05:00:01.123999-0500'), [base, -300, '2026-11-23T05:00:01.123999-0500']);
  assert.deepEqual(at('2026-11-23T15:30:01.123+05:30'), [base, 330, '2026-11-23T15:30:01.123+05:30']);
  assert.deepEqual(at('2026-11-23T10:00:01.123Z'), [base, 0, '2026-11-23T10:00:01.123Z']);
  // No zone (Suricata's oldest format, certificate validity): UTC, and no offset is claimed.
  assert.deepEqual(at('2026-11-23T10:00:01.1'), [Date.UTC(2026, 10, 23, 10, 0, 1, 100), undefined, '2026-11-23T10:00:01.1']);
  assert.deepEqual(at('2026-11-23T10:00:01'), [Date.UTC(2026, 10, 23, 10, 0, 1), undefined, '2026-11-23T10:00:01']);
  for (const bad of ['2026-11-23 10:00:01+0000', '2026-11-23T25:00:01+0000', '2026-11-23T10:00:01+2500', '2026-11-23T10:00:01.123456+00', '1795428001']) {
    assert.match(reasonOf(map(eve('flow', { timestamp: bad }))), /has an invalid timestamp/, bad);
  }
  // Flow start and end use the same format; a bad one stays in unmapped instead of becoming a time.
  const f = one(eve('flow', { flow: { start: '2026-11-23T04:59:00.500000-0500', end: 'soon', age: 61 } }));
  assert.equal(f.start_time, Date.UTC(2026, 10, 23, 9, 59, 0, 500));
  assert.equal(f.end_time, undefined);
  assert.equal(f.duration, 61_000);
  assert.deepEqual(f.unmapped, { flow: { end: 'soon' } });
});

test('flow_id names the flow: connection_info.uid and metadata.correlation_uid, never metadata.uid', () => {
  for (const f of ['alert.ndjson', 'flow.ndjson', 'http.ndjson', 'dns.ndjson', 'tls.ndjson']) {
    for (const e of lines(f)) {
      const ev = single(pack.map(e, ctx)) as Obj;
      const md = ev.metadata as Obj;
      const ci = (ev.class_uid === 2004 ? (ev.evidences as Obj[])[0]!.connection_info : ev.connection_info) as Obj;
      assert.equal(md.correlation_uid, String(e.flow_id), f);
      assert.equal(ci.uid, String(e.flow_id), f);
      assert.equal(md.uid, undefined);
    }
  }
});

test('alert: Suricata severity 1/2/3 -> High/Medium/Low, lower priorities Informational', () => {
  const sev = (severity: unknown) => alertEvent({ severity }).severity_id;
  assert.deepEqual([1, 2, 3, 4, 255].map(sev), [4, 3, 2, 1, 1]);
  assert.equal(alertEvent({ severity: undefined }).severity_id, 0);
  const bad = alertEvent({ severity: 'high' });
  assert.equal(bad.severity_id, 0);
  assert.deepEqual(bad.unmapped, { alert: { severity: 'high' } });
});

test('alert: action allowed/blocked -> action_id and disposition_id (security_control), a blocking sensor is an IPS', () => {
  const allowed = alertEvent({}, { host: 'sensor-1' });
  const blocked = alertEvent({ action: 'blocked' }, { host: 'sensor-1', in_iface: 'eth2' });
  assert.deepEqual([allowed.action_id, allowed.disposition_id, (allowed.device as Obj).type_id], [1, 1, 13]);
  assert.deepEqual([blocked.action_id, blocked.disposition_id], [2, 2]);
  assert.deepEqual(blocked.device, { name: 'sensor-1', interface_name: 'eth2', type_id: 14 });
  assert.deepEqual((blocked.metadata as Obj).profiles, ['security_control']);
  // Without an action there is nothing of the profile to declare; an unknown action is kept.
  const none = alertEvent({ action: 'rejected' });
  assert.equal(none.action_id, undefined);
  assert.equal((asJson(none.metadata) as Obj).profiles, undefined);
  assert.deepEqual(none.unmapped, { alert: { action: 'rejected' } });
});

test('alert: the rule is the analytic; one rule on one flow is one finding uid', () => {
  const ev = alertEvent({ signature_id: 2024364, rev: 4, gid: 1, signature: 'ET SCAN Possible Nmap User-Agent Observed', category: 'Web Application Attack' });
  assert.deepEqual(asJson(ev.finding_info), {
    uid: '1234567890123/1:2024364:4',
    title: 'ET SCAN Possible Nmap User-Agent Observed',
    types: ['Web Application Attack'],
    analytic: { uid: '2024364', name: 'ET SCAN Possible Nmap User-Agent Observed', category: 'Web Application Attack', type_id: 1, version: '4' },
  });
  // Without a flow (a packet alert), the time names it.
  const noFlow = alertEvent({ signature_id: 7, rev: undefined, gid: undefined }, { flow_id: undefined });
  assert.equal((noFlow.finding_info as Obj).uid, `${TS}/-:7:-`);
  assert.equal(noFlow.unmapped, undefined);
});

test('alert: ATT&CK metadata -> finding_info.attacks (sub-techniques under their technique); all metadata stays reachable as tags', () => {
  const metadata = {
    mitre_tactic_id: ['TA0011'], mitre_tactic_name: ['Command_And_Control'],
    mitre_technique_id: ['T1071.001', 'T1573'], mitre_technique_name: ['Web_Protocols', 'Encrypted_Channel'],
    confidence: ['Medium'], signature_severity: ['Major'],
  };
  const ev = alertEvent({ metadata });
  const info = asJson(ev.finding_info) as Obj;
  assert.deepEqual(info.attacks, [
    { tactic: { uid: 'TA0011', name: 'Command And Control' }, technique: { uid: 'T1071' }, sub_technique: { uid: 'T1071.001', name: 'Web Protocols' } },
    { tactic: { uid: 'TA0011', name: 'Command And Control' }, technique: { uid: 'T1573', name: 'Encrypted Channel' } },
  ]);
  assert.deepEqual(info.tags, Object.entries(metadata).map(([name, values]) => ({ name, values })));
  assert.equal(ev.confidence_id, 2);
  assert.equal(ev.unmapped, undefined);
  // Metadata that is not key -> words cannot be tags: the tags that can be made are, and the
  // metadata is kept as written.
  const odd = alertEvent({ metadata: { created_at: ['2026_01_01'], weird: { nested: 1 } } });
  assert.deepEqual((odd.finding_info as Obj).tags, [{ name: 'created_at', values: ['2026_01_01'] }]);
  assert.deepEqual(odd.unmapped, { alert: { metadata: { created_at: ['2026_01_01'], weird: { nested: 1 } } } });
});

test('alert: the http, tls and dns objects Suricata adds become evidence', () => {
  const [http, , dns, tls] = lines('alert.ndjson').map((e) => single(pack.map(e, ctx)) as Obj);
  const evidence = (ev: Obj) => (ev.evidences as Obj[])[0]!;
  assert.equal(((evidence(http!).http_request as Obj).url as Obj).url_string, 'http://10.20.0.15/nmaplowercheck1795428001');
  assert.equal((evidence(http!).http_response as Obj).code, 404);
  assert.deepEqual(evidence(dns!).query, { hostname: '3g2upl4pq6kufc4m.onion.ws', type: 'A', packet_uid: 28615 });
  assert.equal((evidence(tls!).tls as Obj).sni, 'discord.com');
  // Suricata 8 writes the question in dns.queries, with the id on dns.
  const v3 = alertEvent({}, { dns: { version: 3, type: 'request', id: 9, queries: [{ rrname: 'evil.example', rrtype: 'TXT' }] } });
  assert.deepEqual(asJson(evidence(v3).query), { hostname: 'evil.example', type: 'TXT', packet_uid: 9 });
});

test('flow: activity and status from flow.state and the TCP flags', () => {
  const flow = (state: string, proto: string, tcp_flags?: string) => {
    const ev = one(eve('flow', { proto, flow: { state }, tcp: tcp_flags === undefined ? undefined : { tcp_flags } }));
    return [ev.activity_id, ev.status_id];
  };
  assert.deepEqual(flow('closed', 'TCP', '1b'), [2, 1]); // Close
  assert.deepEqual(flow('closed', 'TCP', '16'), [3, 1]); // RST seen: Reset
  assert.deepEqual(flow('established', 'UDP'), [6, 1]); // Traffic
  assert.deepEqual(flow('new', 'TCP', '02'), [4, 2]); // no reply to the SYN: Fail
  assert.deepEqual(flow('new', 'UDP'), [6, 0]);
  assert.deepEqual(flow('bypassed', 'TCP'), [6, 0]);
  const ev = one(eve('flow', { proto: 'TCP', flow: { state: 'closed', reason: 'shutdown' }, tcp: { tcp_flags: 'zz', syn: true } }));
  assert.deepEqual([ev.status_code, ev.status_detail], ['closed', 'shutdown']);
  // Flags Suricata wrote in a form this pack does not read are kept, with the booleans they would have covered.
  assert.deepEqual(ev.unmapped, { tcp: { tcp_flags: 'zz', syn: true } });
});

test('flow: toserver is the source side (bytes_out), toclient the destination side (bytes_in)', () => {
  const ev = one(eve('flow', { flow: { pkts_toserver: 3, pkts_toclient: 2, bytes_toserver: 300, bytes_toclient: 2000 } }));
  assert.deepEqual(asJson(ev.traffic), { bytes_in: 2000, bytes_out: 300, bytes: 2300, packets_in: 2, packets_out: 3, packets: 5 });
});

test('dns: version 3 responses come from the responder; src_endpoint stays the client', () => {
  const responses = lines('dns.ndjson').filter((e) => (e.dns as Obj).version === 3 && (e.dns as Obj).type === 'response');
  assert.equal(responses.length, 1);
  const ev = single(pack.map(responses[0]!, ctx)) as Obj;
  assert.equal(responses[0]!.src_ip, '10.20.0.2');
  assert.deepEqual(asJson(ev.src_endpoint), { ip: '10.20.3.70', port: 51999 });
  assert.deepEqual(asJson(ev.dst_endpoint), { ip: '10.20.0.2', port: 53 });
  // Version 2 logs responses in flow direction already.
  const v2 = dnsEvent({ version: 2, type: 'answer', id: 1, rrname: 'a.example', rrtype: 'A', rcode: 'NOERROR', answers: [{ rrname: 'a.example', rrtype: 'A', ttl: 5, rdata: '192.0.2.1' }] });
  assert.equal((v2.src_endpoint as Obj).ip, TUPLE.src_ip);
});

test('dns: answers a CNAME chain does not explain keep their owner names, in unmapped', () => {
  const answers = [
    { rrname: 'a.example', rrtype: 'CNAME', ttl: 60, rdata: 'b.example' },
    { rrname: 'B.EXAMPLE', rrtype: 'A', ttl: 60, rdata: '192.0.2.1' },
  ];
  const chained = dnsEvent({ version: 2, type: 'answer', id: 1, rrname: 'a.example', rrtype: 'A', rcode: 'NOERROR', answers });
  assert.equal((chained.answers as Obj[]).length, 2);
  assert.equal(chained.unmapped, undefined);
  const stray = [...answers, { rrname: 'c.example', rrtype: 'A', ttl: 60, rdata: '192.0.2.9' }, { rrname: 'a.example', rrtype: 'SRV', ttl: 60, srv: { port: 5060 } }];
  const ev = dnsEvent({ version: 2, type: 'answer', id: 1, rrname: 'a.example', rrtype: 'A', rcode: 'NOERROR', answers: stray });
  assert.deepEqual((ev.answers as Obj[]).map((a) => a.rdata), ['b.example', '192.0.2.1', '192.0.2.9']);
  assert.deepEqual(ev.unmapped, { dns: { answers: stray } });
});

test('dns: response codes: names, numbers outside the OCSF table, and unknown names', () => {
  const rc = (rcode: string) => {
    const ev = dnsEvent({ version: 2, type: 'answer', id: 1, rrname: 'x.example', rrtype: 'A', rcode });
    return [ev.rcode_id, ev.rcode, ev.status_id, (ev.unmapped as Obj | undefined)?.dns];
  };
  const flags = undefined;
  assert.deepEqual(rc('NOERROR'), [0, undefined, 1, flags]);
  assert.deepEqual(rc('NXDOMAIN'), [3, undefined, 2, flags]);
  assert.deepEqual(rc('BADCOOKIE'), [23, undefined, 2, flags]);
  assert.deepEqual(rc('13'), [24, undefined, 2, { rcode: '13' }]);
  assert.deepEqual(rc('3900'), [25, undefined, 2, { rcode: '3900' }]);
  assert.deepEqual(rc('WEIRD'), [99, 'WEIRD', 2, flags]);
  // A request's rcode header field means nothing: it is kept, not mapped.
  const q = dnsEvent({ version: 3, type: 'request', id: 2, rcode: 'NOERROR', queries: [{ rrname: 'x.example', rrtype: 'A' }] });
  assert.deepEqual([q.activity_id, q.rcode_id, q.status_id], [1, undefined, 0]);
  assert.deepEqual(q.unmapped, { dns: { rcode: 'NOERROR' } });
});

test('dns: header flags become answer flag_ids; the Z bit has no OCSF flag and keeps the flags as written', () => {
  const flagIds = (flags: string) => {
    const ev = dnsEvent({ version: 2, type: 'answer', id: 1, flags, rrname: 'x.example', rrtype: 'A', rcode: 'NOERROR', grouped: { A: ['192.0.2.1'] } });
    return [(ev.answers as Obj[])[0]!.flag_ids, (ev.unmapped as Obj | undefined)?.dns];
  };
  assert.deepEqual(flagIds('8180'), [[3, 4], undefined]);
  assert.deepEqual(flagIds('87b0'), [[1, 2, 3, 4, 5, 6], undefined]);
  assert.deepEqual(flagIds('81c0'), [[3, 4], { flags: '81c0' }]);
});

test('http: the URL from hostname, http_port and the request target; methods OCSF does not list are kept', () => {
  const req = (http: Obj) => asJson(one(eve('http', { http })).http_request) as Obj;
  assert.deepEqual(req({ hostname: 'www.example.com', url: '/a/b?c=1', http_method: 'GET' }).url,
    { url_string: 'http://www.example.com/a/b?c=1', scheme: 'http', hostname: 'www.example.com', path: '/a/b', query_string: 'c=1' });
  assert.equal((req({ hostname: '2001:db8::1', http_port: 8080, url: '/', http_method: 'GET' }).url as Obj).url_string, 'http://[2001:db8::1]:8080/');
  // absolute-form, as a proxy receives it
  assert.deepEqual(req({ hostname: 'example.org', url: 'http://example.org/x?y', http_method: 'GET' }).url,
    { url_string: 'http://example.org/x?y', scheme: 'http', hostname: 'example.org', path: '/x', query_string: 'y' });
  // no Host: still the path
  assert.deepEqual(req({ url: '/only/path', http_method: 'GET' }).url, { path: '/only/path' });
  const dav = one(eve('http', { http: { hostname: 'h.example', url: '/', http_method: 'MKCOL', status: 201 } }));
  assert.deepEqual([dav.activity_id, dav.status_id, (dav.http_request as Obj).http_method], [99, 1, undefined]);
  assert.deepEqual(dav.unmapped, { http: { http_method: 'MKCOL' } });
  // Suricata before 5 wrote the status as a string.
  assert.equal((one(eve('http', { http: { url: '/', status: '503' } })).http_response as Obj).code, 503);
});

test('tls: without a version there is no tls object (OCSF requires one) and the tls section stays whole in unmapped', () => {
  const t = { sni: 'a.example', subject: 'CN=a.example', issuerdn: 'CN=CA', serial: '01' };
  const ev = one(eve('tls', { tls: t }));
  assert.equal(ev.tls, undefined);
  assert.deepEqual(ev.unmapped, { tls: t });
  // A certificate needs issuer and serial: without them its fields are kept, the rest maps.
  const partial = one(eve('tls', { tls: { version: 'TLS 1.2', sni: 'a.example', subject: 'CN=a.example', notafter: '2027-01-01T00:00:00' } }));
  assert.deepEqual(asJson(partial.tls), { version: 'TLS 1.2', sni: 'a.example' });
  assert.deepEqual(partial.unmapped, { tls: { subject: 'CN=a.example', notafter: '2027-01-01T00:00:00' } });
});

test('values of the wrong type are kept in unmapped instead of being dropped', () => {
  const ev = one(eve('flow', {
    src_port: 'http', dest_ip: 'not-an-ip', dest_port: 80, proto: 6, community_id: 5, host: '', ether: { src_mac: 'zz', dest_mac: '00:11:22:33:44:55' },
    flow: { pkts_toserver: -1, bytes_toserver: 1.5, state: 7, alerted: 'yes' },
  }));
  assert.deepEqual(asJson(ev.src_endpoint), { ip: '192.0.2.10' });
  assert.equal(ev.dst_endpoint, undefined);
  assert.deepEqual(ev.unmapped, {
    src_port: 'http', dest_ip: 'not-an-ip', dest_port: 80, proto: 6, community_id: 5, host: '', ether: { src_mac: 'zz', dest_mac: '00:11:22:33:44:55' },
    flow: { pkts_toserver: -1, bytes_toserver: 1.5, state: 7, alerted: 'yes' },
  });
  assertValidOcsf([ev as OcsfEvent], label);
});
