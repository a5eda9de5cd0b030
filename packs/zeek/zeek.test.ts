import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pack from './index.js';
import { readZeekTsv } from '../../src/formats/zeek.js';
import type { Event } from '../../src/core/event.js';
import type { MapResult } from '../../src/ocsf/pack.js';

const read = (dir: string, f: string) => readFileSync(new URL(`../../../packs/zeek/${dir}/${f}`, import.meta.url), 'utf8');
const ctx = { productVersion: '0.1.0', now: Date.UTC(2026, 10, 23) };
const LOGS = ['conn', 'dns', 'http', 'ssl', 'ssh', 'notice'] as const;

function tsv(name: string): Event[] {
  const { events, errors } = readZeekTsv(read('samples', `${name}.log`));
  assert.deepEqual(errors, [], `${name}.log should read without errors`);
  return events;
}
const json = (): Event[] => read('samples', 'zeek.ndjson').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
const ok = (r: MapResult) => {
  if (!r.ok) assert.fail(`expected a mapping, got: ${r.reason}`);
  assert.equal(r.events.length, 1);
  return r.events[0]!;
};

for (const name of LOGS) {
  test(`${name}.log (TSV, read by the Zeek reader) maps to the reviewed OCSF events`, () => {
    const events = tsv(name);
    assert.ok(events.length >= 3 && events.every((e) => e._path === name));
    assert.deepEqual(events.map((e) => pack.map(e, ctx)), JSON.parse(read('expected', `${name}.json`)));
  });
}

test('Zeek JSON records (no _path) are recognised by their fields and map to the reviewed OCSF events', () => {
  assert.deepEqual(json().map((e) => pack.map(e, ctx)), JSON.parse(read('expected', 'zeek.json')));
});

test('without _path, every TSV sample is recognised from its fields and maps to the same OCSF event', () => {
  for (const name of LOGS) {
    for (const e of tsv(name)) {
      const { _path, ...noPath } = e;
      assert.deepEqual(pack.map(noPath, ctx), pack.map(e, ctx), `${name}: ${String(e.uid)}`);
    }
  }
});

test('records with a nested id object (as some shippers rewrite Zeek JSON) map like flat keys', () => {
  for (const e of json()) {
    if (!Object.hasOwn(e, 'id.orig_h')) continue;
    const { 'id.orig_h': oh, 'id.orig_p': op, 'id.resp_h': rh, 'id.resp_p': rp, ...rest } = e;
    assert.deepEqual(pack.map({ ...rest, id: { orig_h: oh, orig_p: op, resp_h: rh, resp_p: rp } }, ctx), pack.map(e, ctx));
  }
  // What is not used under `id` stays in unmapped, nested as it came.
  const r = ok(pack.map({ ts: 1655071198.4, uid: 'C1', id: { orig_h: '192.0.2.1', orig_p: 1, resp_h: '192.0.2.2', resp_p: 2, vlan: 7 }, proto: 'tcp', conn_state: 'SF' }, ctx));
  assert.deepEqual(r.unmapped, { id: { vlan: 7 } });
});

test('Zeek uid identifies the connection: connection_info.uid and metadata.correlation_uid, never metadata.uid', () => {
  const [conn] = tsv('conn');
  const [ssl] = tsv('ssl');
  const a = ok(pack.map(conn!, ctx));
  const b = ok(pack.map(ssl!, ctx));
  assert.equal(conn!.uid, ssl!.uid);
  for (const ev of [a, b]) {
    assert.equal((ev.connection_info as Record<string, unknown>).uid, conn!.uid);
    assert.equal((ev.metadata as Record<string, unknown>).correlation_uid, conn!.uid);
    assert.equal((ev.metadata as Record<string, unknown>).uid, undefined);
  }
});

test('conn: ICMP type and code are not presented as ports; they stay in unmapped', () => {
  const icmp = tsv('conn').find((e) => e.proto === 'icmp')!;
  const ev = ok(pack.map(icmp, ctx));
  assert.deepEqual(ev.src_endpoint, { ip: '203.0.113.249', network_scope_id: 2 });
  assert.deepEqual(ev.dst_endpoint, { ip: '192.0.2.10', network_scope_id: 1 });
  assert.equal((ev.unmapped as Record<string, unknown>)['id.orig_p'], 3);
  const v6 = ok(pack.map({ ts: 1, 'id.orig_h': '2001:db8::1', 'id.orig_p': 128, 'id.resp_h': '2001:db8::2', 'id.resp_p': 129, proto: 'icmp', conn_state: 'SF' }, ctx));
  assert.deepEqual(v6.connection_info, { protocol_name: 'ipv6-icmp', protocol_num: 58, protocol_ver_id: 6, direction_id: 0 });
});

test('ssl: a handshake Zeek did not see complete has no tls object (tls.version is required); its SNI stays in unmapped', () => {
  const ev = ok(pack.map(tsv('ssl')[0]!, ctx));
  assert.equal(ev.tls, undefined);
  assert.equal(ev.status_id, 2);
  assert.equal((ev.unmapped as Record<string, unknown>).server_name, 'settings-win.example.com');
});

test('dns: response codes outside the OCSF table are Unassigned (24) or Reserved (25)', () => {
  const rcode = (n: number) => ok(pack.map({ ts: 1, trans_id: 1, RD: true, query: 'example.com', qtype_name: 'A', rcode: n }, ctx)).rcode_id;
  assert.deepEqual([0, 3, 11, 12, 16, 23, 24, 3841, 4096, 65535].map(rcode), [0, 3, 11, 24, 16, 23, 24, 25, 24, 25]);
});

test('http: a CONNECT request has no URL (its target is host:port), which stays in unmapped', () => {
  const ev = ok(pack.map({ ts: 1, uid: 'C1', 'id.orig_h': '192.0.2.1', 'id.orig_p': 5, 'id.resp_h': '198.51.100.8', 'id.resp_p': 3128, trans_depth: 1, method: 'CONNECT', host: 'www.example.com:443', uri: 'www.example.com:443', status_code: 200, status_msg: 'Connection established' }, ctx));
  assert.equal(ev.activity_id, 1);
  assert.deepEqual(ev.http_request, { http_method: 'CONNECT' });
  assert.deepEqual(ev.unmapped, { trans_depth: 1, host: 'www.example.com:443', uri: 'www.example.com:443' });
});

test('detect: every sample yes; other Zeek logs, other sources and odd shapes no', () => {
  for (const name of LOGS) assert.ok(tsv(name).every((e) => pack.detect(e)), name);
  assert.ok(json().every((e) => pack.detect(e)));
  const others: Event[] = [
    { _path: 'weird', ts: 1, uid: 'C1', name: 'DNS_Conn_count_too_large', notice: false, peer: 'zeek' },
    { ts: 1, uid: 'C1', 'id.orig_h': '203.0.113.1', trans_depth: 0, method: 'INVITE', uri: 'sip:100@192.0.2.10', call_id: '7714', status_code: 200 },
    { ts: 1, fuid: 'F1', source: 'HTTP', mime_type: 'text/html', seen_bytes: 146 },
    { eventVersion: '1.08', eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventTime: '2026-11-23T10:00:00Z' },
    { message: '203.0.113.9 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 2326' },
    { ts: 1 },
    {},
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
  assert.equal(pack.detect(null as unknown as Event), false);
});

test('records that cannot become OCSF come back with the reason, never a throw', () => {
  const cases: [unknown, string][] = [
    [{ _path: 'weird', ts: 1, name: 'x' }, 'Zeek weird.log is not mapped by this pack (it maps conn, dns, http, ssl, ssh and notice logs)'],
    [{ message: 'hello' }, 'not a Zeek conn, dns, http, ssl, ssh or notice record (no _path, and the fields match none of them)'],
    [{ _path: 'conn', uid: 'C1', proto: 'tcp', conn_state: 'SF' }, 'Zeek conn record has no ts'],
    [{ _path: 'dns', ts: 'yesterday', query: 'example.com' }, 'Zeek dns record has an invalid ts "yesterday" (expected epoch seconds or an ISO 8601 time)'],
    [{ _path: 'notice', ts: 1, msg: 'x' }, 'Zeek notice record has no note (the notice type, e.g. SSL::Invalid_Server_Cert)'],
    [null, 'a Zeek record must be an object'],
    [[1, 2], 'a Zeek record must be an object'],
  ];
  for (const [e, reason] of cases) assert.deepEqual(pack.map(e as Event, ctx), { ok: false, reason });
  // Values of the wrong type (a shipper that stringified ports, nulls...) cannot be mapped, and
  // are kept in unmapped instead of being dropped; only ts, which became `time`, is used.
  const junk = { ts: 1, uid: 7, 'id.orig_h': 5, 'id.orig_p': 'x', 'id.resp_h': {}, 'id.resp_p': -1, proto: 3, conn_state: 9, duration: 'long', orig_bytes: '5', history: [], local_orig: 'T', note: 'N', answers: 'x', TTLs: 3, AA: 'T', method: 1, uri: 2, status_code: '200', version: {}, established: null, auth_success: 'yes', direction: 'SIDEWAYS', actions: 'x' };
  for (const p of LOGS) {
    const ev = ok(pack.map({ _path: p, ...junk }, ctx));
    const kept = Object.keys(ev.unmapped as object);
    const used = p === 'notice' ? ['ts', 'note'] : ['ts'];
    assert.deepEqual(Object.keys(junk).filter((k) => !kept.includes(k)), used, p);
  }
});
