import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import pack, { mapWindowsXml } from './index.js';
import { parseWinXml, splitWinXml } from '../../src/formats/winxml.js';
import { loadSchema } from '../../src/ocsf/schema.js';
import { derive, validate } from '../../src/ocsf/validate.js';
import { prng } from '../../bench/events.js';

type Rec = Record<string, unknown>;

const dir = (d: string) => new URL(`../../../packs/windows/${d}/`, import.meta.url);
const ctx = { productVersion: '0.1.0', now: Date.UTC(2024, 4, 14, 12) };
const samples = readdirSync(dir('samples')).sort();

/** The inputs of a sample file: XML documents (split), or one JSON event per line. */
function inputs(f: string): { xml?: string; event?: Rec }[] {
  const text = readFileSync(new URL(f, dir('samples')), 'utf8');
  if (f.endsWith('.xml')) {
    return splitWinXml(text).map((p) => {
      if (!p.ok) assert.fail(`${f}: ${p.reason}`);
      return { xml: p.xml };
    });
  }
  return text.split('\n').filter(Boolean).map((l) => ({ event: JSON.parse(l) as Rec }));
}

function mapOne(i: { xml?: string; event?: Rec }): Rec {
  const r = i.xml !== undefined ? mapWindowsXml(i.xml, ctx) : pack.map(i.event!, ctx);
  if (!r.ok) assert.fail(`expected the event to map, got: ${r.reason}`);
  assert.equal(r.events.length, 1);
  return r.events[0]!;
}

function mapOk(e: Rec): Rec {
  return mapOne({ event: e });
}

function reason(e: Rec): string {
  const r = pack.map(e, ctx);
  assert.equal(r.ok, false, `expected a failure for ${JSON.stringify(e).slice(0, 200)}`);
  return (r as { reason: string }).reason;
}

const all = samples.flatMap((f) => inputs(f).map((i) => ({ f, ...i })));
const find = (pred: (e: Rec) => boolean) => all.map(mapOne).find(pred)!;
const code = (c: string) => (e: Rec) => (e.metadata as Rec).event_code === c;

test('every sample (XML, JSON form, winlogbeat) maps to its reviewed OCSF output', () => {
  assert.equal(samples.length, 7);
  for (const f of samples) {
    const expected = JSON.parse(readFileSync(new URL(f.replace(/\.(xml|ndjson)$/, '.json'), dir('expected')), 'utf8')) as Rec[];
    assert.deepEqual(inputs(f).map(mapOne), expected, f);
  }
});

test('every mapped sample is valid OCSF 1.8.0 once derived (no validator errors or warnings)', () => {
  const schema = loadSchema();
  for (const i of all) {
    const e = structuredClone(mapOne(i));
    derive(schema, e);
    assert.deepEqual(validate(schema, e, { missingRecommended: false }), [], `${i.f} event ${String((e.metadata as Rec).event_code)}`);
  }
});

test('the same 4624 as XML, as its JSON form and as winlogbeat maps to the same OCSF event', () => {
  const xml = (inputs('security-logons.xml')[0]!).xml!;
  const json = parseWinXml(xml);
  assert.ok(json.ok);
  const ev = json.value.Event as Rec;
  const sys = ev.System as Rec;
  const winlogbeat = {
    '@timestamp': '2024-05-14T09:12:44.563Z',
    message: (ev.RenderingInfo as Rec).Message,
    log: { level: 'information' },
    winlog: {
      channel: 'Security', computer_name: 'FS01.corp.example.com', event_id: '4624', record_id: 1183372, version: 2,
      provider_name: 'Microsoft-Windows-Security-Auditing', provider_guid: '{54849625-5478-4994-a5ba-3e3b0328c30d}',
      keywords: ['Audit Success'], process: { pid: 748, thread: { id: 3212 } }, event_data: ev.EventData,
    },
  };
  const fromXml = mapWindowsXml(xml, ctx);
  const fromJson = pack.map(json.value, ctx);
  const fromBeat = pack.map(winlogbeat, ctx);
  assert.deepEqual(fromJson, fromXml);
  assert.ok(fromXml.ok && fromBeat.ok);
  const strip = (e: Rec) => {
    const { unmapped, metadata, ...rest } = e;
    const { original_time, ...meta } = metadata as Rec;
    return { ...rest, metadata: meta };
  };
  // winlogbeat's @timestamp has milliseconds where SystemTime has 100 ns ticks: the same instant in ms.
  assert.deepEqual(strip(fromBeat.events[0]!), strip(fromXml.events[0]!));
  const [x, b] = [fromXml.events[0]!.unmapped as Rec, fromBeat.events[0]!.unmapped as Rec];
  assert.deepEqual(b.EventData, x.EventData);
  assert.equal((sys.EventID), 4624);
  for (const u of [x, b]) {
    const s = u.System as Rec;
    assert.equal(s.EventID, 4624);
    assert.equal(s.Channel, 'Security');
    assert.deepEqual(s.Provider, { Name: 'Microsoft-Windows-Security-Auditing', Guid: '{54849625-5478-4994-a5ba-3e3b0328c30d}' });
  }
});

test('unmapped keeps the whole EventData under its Windows names, mapped fields included, for Sigma rules', () => {
  for (const i of all) {
    const e = mapOne(i);
    const u = e.unmapped as Rec;
    const s = u.System as Rec;
    assert.equal(typeof s.EventID, 'number', i.f);
    assert.equal(typeof s.Channel, 'string', i.f);
    assert.equal(typeof (s.Provider as Rec).Name, 'string', i.f);
    assert.ok(u.EventData !== undefined || u.UserData !== undefined, i.f);
  }
  const sysmon1 = find((e) => code('1')(e) && (e.metadata as Rec).uid === '884215');
  const data = (sysmon1.unmapped as Rec).EventData as Rec;
  const p = sysmon1.process as Rec;
  assert.equal(data.CommandLine, p.cmd_line);
  assert.equal(data.Image, (p.file as Rec).path);
  assert.equal(data.ParentImage, ((p.parent_process as Rec).file as Rec).path);
  assert.equal(data.OriginalFileName, 'PowerShell.EXE');
  const logon = find(code('4624'));
  assert.equal(((logon.unmapped as Rec).EventData as Rec).TargetUserName, (logon.user as Rec).name);
  assert.equal(((logon.unmapped as Rec).EventData as Rec).LogonType, '3');
});

test('detect(): the three renderings yes; other sources and near misses no', () => {
  for (const i of all) {
    const e = i.event ?? (parseWinXml(i.xml!) as { value: Rec }).value;
    assert.ok(pack.detect(e), `${i.f}`);
  }
  const others: Rec[] = [
    {},
    { message: 'Accepted password for root from 203.0.113.5 port 22 ssh2' },
    { eventVersion: '1.09', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', eventTime: '2024-05-14T10:00:00Z' },
    { ts: 1715680000.1, uid: 'C1', 'id.orig_h': '192.0.2.1', 'id.resp_h': '198.51.100.1', proto: 'tcp' },
    { Event: 'x' },
    { Event: { EventData: {} } },
    { winlog: { channel: 'Security' } },
    { winlog: 'x', 'winlog.event_id': 4624 },
    { 'winlog.event_id': 4624 },
    { event: { code: '4624' }, host: { name: 'ws07' } },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

// ---------------------------------------------------------------------------------------------
// Mapping details

/** A Security event in the JSON form. */
function security(id: number, data: Rec, system: Rec = {}): Rec {
  return { Event: { System: { Provider: { Name: 'Microsoft-Windows-Security-Auditing' }, EventID: id, Level: 0, Keywords: '0x8020000000000000',
    TimeCreated: { SystemTime: '2024-05-14T10:00:00.0000000Z' }, Channel: 'Security', Computer: 'WS07.corp.example.com', ...system }, EventData: data } };
}
function sysmon(id: number, data: Rec): Rec {
  return { Event: { System: { Provider: { Name: 'Microsoft-Windows-Sysmon' }, EventID: id, Level: 4, TimeCreated: { SystemTime: '2024-05-14T10:00:01.5000000Z' },
    Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'WS07.corp.example.com' }, EventData: { UtcTime: '2024-05-14 10:00:00.250', ProcessId: '42', Image: 'C:\\x.exe', ...data } } };
}

test('logon types: Windows 0 (System) is OCSF 1, 2-13 keep their number, 6 (Proxy) and unknown types are Other', () => {
  const lt = (t: string) => { const e = mapOk(security(4624, { TargetUserName: 'bob', LogonType: t })); return [e.logon_type_id, e.logon_type, e.is_remote]; };
  assert.deepEqual(lt('0'), [1, undefined, false]);
  assert.deepEqual(lt('2'), [2, undefined, false]);
  assert.deepEqual(lt('3'), [3, undefined, true]);
  assert.deepEqual(lt('10'), [10, undefined, true]);
  assert.deepEqual(lt('11'), [11, undefined, false]);
  assert.deepEqual(lt('6'), [99, 'Proxy', false]);
  assert.deepEqual(lt('14'), [99, '14', false]);
});

test('auth protocol from AuthenticationPackageName, Negotiate resolved by LmPackageName, else LogonProcessName', () => {
  const ap = (d: Rec) => { const e = mapOk(security(4624, { TargetUserName: 'bob', ...d })); return [e.auth_protocol_id, e.auth_protocol]; };
  assert.deepEqual(ap({ AuthenticationPackageName: 'Kerberos' }), [2, undefined]);
  assert.deepEqual(ap({ AuthenticationPackageName: 'NTLM', LmPackageName: 'NTLM V2' }), [1, undefined]);
  assert.deepEqual(ap({ AuthenticationPackageName: 'Negotiate', LmPackageName: 'NTLM V2' }), [1, undefined]);
  assert.deepEqual(ap({ AuthenticationPackageName: 'Negotiate', LmPackageName: '-' }), [99, 'Negotiate']);
  assert.deepEqual(ap({ AuthenticationPackageName: 'CloudAP' }), [99, 'CloudAP']);
  assert.deepEqual(ap({ LogonProcessName: 'NtLmSsp ' }), [1, undefined]);
  assert.deepEqual(ap({}), [undefined, undefined]);
});

test('failed logons: the most specific NTSTATUS is the status code, its meaning the detail', () => {
  const f = (d: Rec) => { const e = mapOk(security(4625, { TargetUserName: 'bob', ...d }, { Keywords: '0x8010000000000000' })); return [e.status_id, e.status_code, e.status_detail]; };
  assert.deepEqual(f({ Status: '0xC000006D', SubStatus: '0xC0000064' }), [2, '0xC0000064', 'USER_DOES_NOT_EXIST']);
  assert.deepEqual(f({ Status: '0xc0000234', SubStatus: '0x0' }), [2, '0xc0000234', 'ACCOUNT_LOCKED_OUT']);
  assert.deepEqual(f({ Status: '0xc000006e', SubStatus: '0xc0000072' }), [2, '0xc0000072', 'ACCOUNT_DISABLED']);
  assert.deepEqual(f({ Status: '0xc000009a', SubStatus: '0x0', FailureReason: '%%2304' }), [2, '0xc000009a', 'An Error occurred during Logon.']);
  assert.deepEqual(f({}), [2, undefined, undefined]);
});

test('4688: the new process runs as Target* when Windows names another account, else as the Subject', () => {
  const base = { SubjectUserSid: 'S-1-5-18', SubjectUserName: 'WS07$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', NewProcessId: '0x10', NewProcessName: 'C:\\a.exe', ProcessId: '0x8', ParentProcessName: 'C:\\p.exe' };
  const same = mapOk(security(4688, { ...base, TargetUserSid: 'S-1-0-0', TargetUserName: '-', TargetDomainName: '-', TargetLogonId: '0x0' }));
  assert.deepEqual((same.process as Rec).user, { name: 'WS07$', uid: 'S-1-5-18', domain: 'CORP' });
  assert.deepEqual((same.process as Rec).session, { uid: '0x3e7' });
  const other = mapOk(security(4688, { ...base, TargetUserSid: 'S-1-5-21-1-2-3-1107', TargetUserName: 'bob', TargetDomainName: 'CORP', TargetLogonId: '0x2b8e41', MandatoryLabel: 'S-1-16-12288' }));
  assert.deepEqual((other.process as Rec).user, { name: 'bob', uid: 'S-1-5-21-1-2-3-1107', domain: 'CORP' });
  assert.deepEqual((other.process as Rec).session, { uid: '0x2b8e41' });
  assert.equal((other.process as Rec).integrity_id, 4);
  assert.deepEqual((other.actor as Rec).user, { name: 'WS07$', uid: 'S-1-5-18', domain: 'CORP' });
  assert.equal(((other.actor as Rec).process as Rec).pid, 8);
});

test('status of other Security events follows the audit keywords (hex mask or names)', () => {
  const st = (system: Rec) => mapOk(security(4723, { TargetUserName: 'bob', TargetSid: 'S-1-5-21-1-2-3-1107' }, system)).status_id;
  assert.equal(st({ Keywords: '0x8020000000000000' }), 1);
  assert.equal(st({ Keywords: '0x8010000000000000' }), 2);
  assert.equal(st({ Keywords: ['Audit Failure'] }), 2);
  assert.equal(st({ Keywords: undefined }), 1);
  assert.equal(mapOk(security(4738, { TargetUserName: 'bob' })).activity_id, 99);
});

test('Sysmon: time is UtcTime (when it happened), TimeCreated becomes metadata.logged_time', () => {
  const e = mapOk(sysmon(11, { TargetFilename: 'C:\\t\\a.txt' }));
  assert.equal(e.time, Date.UTC(2024, 4, 14, 10, 0, 0, 250));
  assert.equal((e.metadata as Rec).logged_time, Date.UTC(2024, 4, 14, 10, 0, 1, 500));
  assert.equal((e.metadata as Rec).original_time, '2024-05-14 10:00:00.250');
  const noUtc = sysmon(11, { TargetFilename: 'C:\\t\\a.txt' });
  delete ((noUtc.Event as Rec).EventData as Rec).UtcTime;
  assert.equal(mapOk(noUtc).time, Date.UTC(2024, 4, 14, 10, 0, 1, 500));
});

test('Sysmon registry: EventType picks key or value activity; values split from their key; Details typed', () => {
  const reg = (id: number, d: Rec) => mapOk(sysmon(id, d));
  const del = reg(12, { EventType: 'DeleteKey', TargetObject: 'HKLM\\SOFTWARE\\A' });
  assert.deepEqual([del.class_uid, del.activity_id, del.reg_key], [201001, 4, { path: 'HKLM\\SOFTWARE\\A' }]);
  const q = reg(13, { EventType: 'SetValue', TargetObject: 'HKLM\\SOFTWARE\\A\\V', Details: 'QWORD (0x00000001-0x00000002)' });
  assert.deepEqual([q.class_uid, q.activity_id, q.reg_value], [201002, 2, { path: 'HKLM\\SOFTWARE\\A', name: 'V', type_id: 8, reg_integer_data: 2 ** 32 + 2 }]);
  assert.deepEqual(reg(13, { EventType: 'SetValue', TargetObject: 'HKLM\\A\\B', Details: 'Binary Data' }).reg_value, { path: 'HKLM\\A', name: 'B', type_id: 1 });
  assert.equal(reason(sysmon(12, { EventType: 'Frobnicate', TargetObject: 'HKLM\\A' })),
    'Sysmon event 12 has EventType "Frobnicate", which the windows pack does not know (expected CreateKey, DeleteKey, RenameKey, SetValue, CreateValue or DeleteValue)');
});

test('Sysmon DNS: Windows DNS status codes become rcodes; answers typed from QueryResults', () => {
  const dns = (status: string, results = '-') => mapOk(sysmon(22, { QueryName: 'a.example.com', QueryStatus: status, QueryResults: results }));
  assert.deepEqual([dns('0').rcode_id, dns('0').status_id], [0, 1]);
  assert.deepEqual([dns('9003').rcode_id, dns('9003').status_id], [3, 2]);
  assert.deepEqual([dns('9501').rcode_id, dns('9501').status_id], [0, 1]);
  assert.deepEqual([dns('1460').rcode_id, dns('1460').rcode, dns('1460').status_id], [99, '1460', 2]);
  assert.deepEqual(dns('0', 'type:  5 b.example.net;192.0.2.7;::ffff:198.51.100.9;2001:db8::1;type:  33 srv.example.com;').answers, [
    { type: 'CNAME', rdata: 'b.example.net' }, { type: 'A', rdata: '192.0.2.7' }, { type: 'A', rdata: '198.51.100.9' },
    { type: 'AAAA', rdata: '2001:db8::1' }, { type: 'SRV', rdata: 'srv.example.com' },
  ]);
});

// ---------------------------------------------------------------------------------------------
// Failures

test('events the pack does not map come back with a precise reason', () => {
  assert.equal(reason(security(4663, { ObjectName: 'C:\\secret.txt' })), 'Security event 4663 is not mapped by the windows pack');
  assert.equal(reason(sysmon(19, { Operation: 'Created' })), 'Sysmon event 19 is not mapped by the windows pack (WMI event filter: OCSF 1.8.0 has no class for WMI subscriptions)');
  assert.equal(reason(sysmon(31, {})), 'Sysmon event 31 is not mapped by the windows pack');
  const ps = security(4104, {});
  ((ps.Event as Rec).System as Rec).Channel = 'Microsoft-Windows-PowerShell/Operational';
  assert.equal(reason(ps), 'Windows event 4104 from channel "Microsoft-Windows-PowerShell/Operational" is not mapped by the windows pack (it maps the Security and Sysmon channels, and System events 104 and 7045)');
  const sys = security(7036, {});
  ((sys.Event as Rec).System as Rec).Channel = 'System';
  assert.equal(reason(sys), 'System event 7036 is not mapped by the windows pack (of the System log it maps 104 and 7045)');
});

test('bad input returns { ok: false } with a precise reason and never throws', () => {
  assert.equal(reason({}), 'not a Windows event: expected Event.System (the event XML as JSON), winlog.event_id with winlog.channel (winlogbeat), or EventID with Channel and SourceName (NXLog)');
  assert.equal(reason({ Event: { System: { Channel: 'Security' } } }), 'the event has no numeric System.EventID (got nothing)');
  assert.equal(reason({ Event: { System: { EventID: 'x' } } }), 'the event has no numeric System.EventID (got "x")');
  assert.equal(reason({ winlog: { event_id: 'abc', channel: 'Security' } }), 'the event has no numeric winlog.event_id (got "abc")');
  const noTime = security(4624, { TargetUserName: 'bob' });
  delete ((noTime.Event as Rec).System as Rec).TimeCreated;
  assert.equal(reason(noTime), 'Security event 4624 has no readable time (TimeCreated absent)');
  assert.equal(reason(security(4624, { TargetUserName: 'bob' }, { TimeCreated: { SystemTime: 'yesterday' } })), 'Security event 4624 has no readable time (TimeCreated "yesterday")');
  assert.equal(reason(security(4688, {})), 'Security event 4688 has neither NewProcessId nor NewProcessName');
  assert.equal(reason(sysmon(11, { TargetFilename: '-' })), 'Sysmon event 11 has no TargetFilename');
  assert.deepEqual(mapWindowsXml('<Event><System>', ctx), { ok: false, reason: 'not a Windows event XML document: not well-formed XML: the document ends inside <Event>, <System>' });
  assert.equal(mapWindowsXml('<Events/>', ctx).ok, false);
});

test('wrong types anywhere in real events never throw: seeded mutations of every sample', () => {
  const rand = prng(20240514);
  const junk = [null, 0, -1, 1.5, '', '-', 'x', [], {}, [1, 'a'], { a: 1 }, true, '0x', '0xZZ', 'S-1-0-0', '{}', 1e300];
  const events = all.map((i) => i.event ?? (parseWinXml(i.xml!) as { value: Rec }).value);
  const paths = (o: unknown, prefix: string[] = [], out: string[][] = []): string[][] => {
    if (o !== null && typeof o === 'object') for (const [k, v] of Object.entries(o)) { out.push([...prefix, k]); paths(v, [...prefix, k], out); }
    return out;
  };
  let n = 0;
  for (let round = 0; round < 40; round++) {
    for (const original of events) {
      const e = structuredClone(original);
      const all = paths(e);
      for (let k = 0; k < 3; k++) {
        const p = all[Math.floor(rand() * all.length)]!;
        let node = e as Rec;
        for (const s of p.slice(0, -1)) node = (node?.[s] ?? {}) as Rec;
        if (node && typeof node === 'object') node[p[p.length - 1]!] = structuredClone(junk[Math.floor(rand() * junk.length)]);
      }
      let r;
      try { r = pack.map(e, ctx); } catch (err) { assert.fail(`threw on ${JSON.stringify(e)}: ${(err as Error).stack}`); }
      if (r.ok) { assert.equal(r.events.length, 1); JSON.stringify(r.events); }
      else assert.ok(r.reason.length > 0 && !r.reason.startsWith('the windows pack could not map'), r.reason);
      n++;
    }
  }
  assert.ok(n >= 40 * events.length);
});

test('map() does not modify its input', () => {
  for (const i of all.filter((x) => x.event)) {
    const before = structuredClone(i.event!);
    mapOne(i);
    assert.deepEqual(i.event, before);
  }
});

test('NXLog\'s flat rendering (as in the OTRF datasets): EventData fields found among NXLog\'s own; a Sysmon EventType NXLog overwrote', () => {
  const [logon, setValue, added] = inputs('nxlog.ndjson').map(mapOne);
  assert.deepEqual([logon!.class_uid, logon!.activity_id, (logon!.user as Rec).name], [3002, 1, 'alice']);
  assert.equal(((logon!.unmapped as Rec).EventData as Rec).TargetUserName, 'alice', 'original Windows names stay reachable');
  assert.equal((logon!.unmapped as Rec).EventType, 'AUDIT_SUCCESS', 'NXLog\'s own EventType is not EventData');
  assert.deepEqual([setValue!.class_uid, setValue!.activity_id], [201002, 2]);
  assert.deepEqual([added!.class_uid, added!.activity_id], [201001, 99], 'created or deleted cannot be told apart without Sysmon\'s EventType');
});
