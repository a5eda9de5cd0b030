import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import pack from './index.js';
import type { OcsfEvent } from '../../src/ocsf/pack.js';
import { readInput } from '../../src/ocsf/inputs.js';
import { packs } from '../../src/ocsf/packs.js';
import { assertValidOcsf, events, packFiles, reasonOf, single, testContext } from '../test-kit.js';

type Obj = Record<string, unknown>;
const files = packFiles('falco');
const ctx = testContext(Date.UTC(2026, 10, 23, 12));
const samples = files.samples();
const load = (f: string) => files.read('samples', f);
const map = (e: Obj) => single(pack.map(e, ctx));
const valid = (evs: OcsfEvent[], label: string) => assertValidOcsf(evs, (e) => `${label}: ${(e.finding_info as Obj).uid}`);
const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);

/** A minimal syscall alert; `fields` become output_fields, `over` replaces or adds top-level keys. */
function alert(fields: Obj = {}, over: Obj = {}): Obj {
  return {
    hostname: 'node-1', output: '10:00:01.000000000: Notice something happened', priority: 'Notice', rule: 'Some rule',
    source: 'syscall', tags: ['container'], time: '2026-11-23T10:00:01.000000000Z', output_fields: fields, ...over,
  };
}

test('every sample maps to its reviewed OCSF output', () => {
  assert.ok(samples.length >= 7);
  for (const f of samples) assert.deepEqual(events(pack.map(load(f), ctx), f), files.read('expected', f), f);
});

test('every finding is valid OCSF 1.8.0, including the profiles it declares', () => {
  for (const f of samples) valid(events(pack.map(load(f), ctx), f), f);
});

test('every output_fields value ends up in the event: placed in OCSF, or in unmapped.output_fields under its Falco name', () => {
  for (const f of samples) {
    const e = load(f);
    const full = JSON.stringify(pack.map(e, ctx));
    for (const k of Object.keys(e.output_fields as Obj)) {
      const v = (e.output_fields as Obj)[k];
      // Absent markers carry nothing; evt.time beside `time` is the same instant again; container
      // "host" says "no container", which OCSF says by having none.
      if (v === null || v === '<NA>' || v === '') continue;
      if ((k === 'evt.time' && e.time !== undefined) || (k.startsWith('container.') && v === 'host')) continue;
      const without = { ...e, output_fields: { ...(e.output_fields as Obj), [k]: undefined } };
      assert.notEqual(JSON.stringify(pack.map(without, ctx)), full, `${f}: output_fields["${k}"] is not in the OCSF event`);
    }
  }
});

test('priority sets the severity: Emergency/Alert/Critical Critical, Error High, Warning Medium, Notice Low, Informational/Debug Informational', () => {
  const sev = (priority: unknown) => { const ev = map(alert({}, { priority })); return [ev.severity_id, ev.severity]; };
  const cases: [unknown, number][] = [
    ['Emergency', 5], ['Alert', 5], ['Critical', 5], ['Error', 4], ['Warning', 3], ['Notice', 2], ['Informational', 1], ['Debug', 1],
    ['CRITICAL', 5], ['warning', 3], ['Info', 1], ['NoTiCe', 2],
  ];
  for (const [p, id] of cases) assert.deepEqual(sev(p), [id, undefined], String(p));
  // A priority Falco does not have is Other, with the source's word; none at all is Unknown.
  assert.deepEqual(sev('Urgent'), [99, 'Urgent']);
  assert.deepEqual(sev(undefined), [0, undefined]);
  assert.deepEqual(sev(''), [0, undefined]);
  valid([map(alert({}, { priority: 'Urgent' })), map(alert({}, { priority: undefined }))], 'severity');
});

test('ATT&CK from the tags: a rule with one tactic pairs it with each technique; sub-techniques name their parent', () => {
  const ev = map(alert({}, { tags: ['T1059.004', 'T1611', 'container', 'mitre_privilege_escalation'] }));
  const tactic = { uid: 'TA0004', name: 'Privilege Escalation' };
  assert.deepEqual(ev.attacks, [
    { tactic, technique: { uid: 'T1059' }, sub_technique: { uid: 'T1059.004' } },
    { tactic, technique: { uid: 'T1611' } },
  ]);
  // Duplicated in finding_info (security_control profile), as separate objects.
  assert.deepEqual(at(ev, 'finding_info.attacks'), ev.attacks);
  assert.notEqual(at(ev, 'finding_info.attacks'), ev.attacks);
  assert.deepEqual(at(ev, 'metadata.profiles'), ['security_control']);
  assert.deepEqual(at(ev, 'finding_info.types'), ['T1059.004', 'T1611', 'container', 'mitre_privilege_escalation']);
  valid([ev], 'attack');
});

test('ATT&CK: several tactics are not guessed onto techniques; TA ids and mitre_ tags name the same tactic once; unknown mitre_ tags are only types', () => {
  const ev = map(alert({}, { tags: ['mitre_persistence', 'TA0003', 'mitre_defense_evasion', 'T1070', 'mitre_port_knocking', 'PCI_DSS_10.2.5'] }));
  assert.deepEqual(ev.attacks, [
    { technique: { uid: 'T1070' } },
    { tactic: { uid: 'TA0003', name: 'Persistence' } },
    { tactic: { uid: 'TA0005', name: 'Defense Evasion' } },
  ]);
  assert.deepEqual(map(alert({}, { tags: ['mitre_command_and_control'] })).attacks, [{ tactic: { uid: 'TA0011', name: 'Command and Control' } }]);
  for (const tags of [['container', 'mitre_port_knocking', 'T123', 'TA9999'], [], undefined]) {
    const e = map(alert({}, { tags }));
    assert.equal(e.attacks, undefined, JSON.stringify(tags));
    assert.equal(at(e, 'finding_info.attacks'), undefined);
  }
  valid([ev], 'attacks');
});

test('time: RFC 3339 with nanoseconds to ms, the exact text kept in metadata.original_time', () => {
  const t = (time: string) => map(alert({}, { time }));
  assert.equal(t('2026-11-23T10:00:01.123456789Z').time, Date.UTC(2026, 10, 23, 10, 0, 1, 123));
  assert.equal(at(t('2026-11-23T10:00:01.123456789Z'), 'metadata.original_time'), '2026-11-23T10:00:01.123456789Z');
  assert.equal(t('2026-11-23T10:00:01.999999999Z').time, Date.UTC(2026, 10, 23, 10, 0, 1, 999)); // truncated, not rounded into the next second
  assert.equal(t('2026-11-23T10:00:01Z').time, Date.UTC(2026, 10, 23, 10, 0, 1));
  assert.equal(t('2026-11-23T12:00:01.5+02:00').time, Date.UTC(2026, 10, 23, 10, 0, 1, 500));
  assert.equal(t('2026-11-23T05:30:01.5-0430').time, Date.UTC(2026, 10, 23, 10, 0, 1, 500));
});

test('the finding uid is host, instant and rule: the same whether Falco or falcosidekick (which trims zeros) wrote the time', () => {
  const uid = (time: string, over: Obj = {}) => at(map(alert({}, { time, ...over })), 'finding_info.uid');
  assert.equal(uid('2026-11-23T10:00:01.120000000Z'), 'node-1:1795428001120000000:Some rule');
  assert.equal(uid('2026-11-23T10:00:01.12Z'), uid('2026-11-23T10:00:01.120000000Z'));
  assert.equal(uid('2026-11-23T12:00:01.12+02:00'), uid('2026-11-23T10:00:01.12Z'));
  assert.notEqual(uid('2026-11-23T10:00:01.120000001Z'), uid('2026-11-23T10:00:01.12Z'));
  assert.equal(uid('2026-11-23T10:00:01Z', { hostname: undefined }), '1795428001000000000:Some rule');
  // falcosidekick's uuid names this delivery of the alert.
  assert.equal(at(map(alert({}, { uuid: '6f1c2a4e-9b7d-4c3e-8a5f-0d2b1e4c7a93' })), 'metadata.uid'), '6f1c2a4e-9b7d-4c3e-8a5f-0d2b1e4c7a93');
});

test('without `time`, the time comes from output_fields evt.time (epoch ns, as a number or as digits)', () => {
  const noTime = (fields: Obj) => map(alert(fields, { time: undefined }));
  const n = noTime({ 'evt.time': 1795428001123456789 });
  assert.equal(n.time, Date.UTC(2026, 10, 23, 10, 0, 1, 123));
  assert.equal(at(n, 'metadata.original_time'), undefined);
  assert.equal(n.unmapped, undefined);
  const s = noTime({ 'evt.time': '1795428001123456789' });
  assert.equal(s.time, Date.UTC(2026, 10, 23, 10, 0, 1, 123));
  assert.equal(at(s, 'finding_info.uid'), 'node-1:1795428001123456789:Some rule');
  assert.equal(noTime({ 'evt.rawtime': 1795428001123456789 }).time, Date.UTC(2026, 10, 23, 10, 0, 1, 123));
  assert.equal(noTime({ 'evt.time.iso8601': '2026-11-23T10:00:01.123456789Z' }).time, Date.UTC(2026, 10, 23, 10, 0, 1, 123));
  // With `time`, an evt.time of another instant is information of its own and stays.
  const other = map(alert({ 'evt.time': 1795428099000000000 }));
  assert.deepEqual(at(other, 'unmapped.output_fields'), { 'evt.time': 1795428099000000000 });
  assert.equal(map(alert({ 'evt.time': 1795428001000000000 })).unmapped, undefined);
});

test('alerts that cannot become OCSF come back with the reason, never a throw', () => {
  const reason = (e: Obj) => reasonOf(pack.map(e, ctx));
  const noRule = 'the alert has no `rule` (the name of the rule that fired); pass alerts as Falco writes them with json_output: true';
  assert.equal(reason(alert({}, { rule: undefined })), noRule);
  assert.equal(reason(alert({}, { rule: '' })), noRule);
  assert.equal(reason(alert({}, { rule: 42 })), noRule);
  assert.equal(reason(alert({}, { time: 'yesterday' })), 'the alert\'s time "yesterday" is not an RFC 3339 time (Falco writes 2026-11-23T10:00:01.123456789Z)');
  assert.equal(reason(alert({}, { time: '2026-13-23T10:00:01Z' })), 'the alert\'s time "2026-13-23T10:00:01Z" is not an RFC 3339 time (Falco writes 2026-11-23T10:00:01.123456789Z)');
  assert.equal(reason(alert({}, { time: 1795428001 })), 'the alert\'s time 1795428001 is not an RFC 3339 time (Falco writes 2026-11-23T10:00:01.123456789Z)');
  assert.equal(reason(alert({}, { time: '2026-11-23T10:00:01.5' })), 'the alert\'s time "2026-11-23T10:00:01.5" is not an RFC 3339 time (Falco writes 2026-11-23T10:00:01.123456789Z)');
  const noTime = 'the alert has no `time`, and its output_fields no evt.time (epoch nanoseconds) to take it from';
  assert.equal(reason(alert({}, { time: undefined })), noTime);
  assert.equal(reason(alert({ 'evt.time': 'soon' }, { time: undefined })), noTime);
  assert.equal(reason(alert({}, { time: undefined, output_fields: undefined })), noTime);
  assert.equal(reasonOf(pack.map([] as unknown as Obj, ctx)), 'a Falco alert must be a JSON object');
});

test('detect: Falco alerts yes; every other pack\'s samples and odd shapes no', () => {
  for (const f of samples) assert.equal(pack.detect(load(f)), true, f);
  // Without `time`, output_fields stands for it.
  assert.equal(pack.detect(alert({ 'evt.time': 1 }, { time: undefined })), true);
  const odd: Obj[] = [
    {}, { rule: 'x' }, { rule: 'x', priority: 'Notice', time: '2026-11-23T10:00:01Z' },
    { rule: 'x', priority: 'Notice', output: 'o' }, { rule: 'x', priority: 'Notice', output: 'o', output_fields: null },
    { rule: { id: 'x' }, priority: 'Notice', output: 'o', time: '2026-11-23T10:00:01Z' },
    { message: '10:00:01.123456789: Notice A shell was spawned in a container with an attached terminal' },
  ];
  for (const e of odd) assert.equal(pack.detect(e), false, JSON.stringify(e));
  const root = files.dir('..');
  for (const name of readdirSync(root).filter((d) => d !== 'falco' && !d.includes('.')).sort()) {
    let list: string[];
    try { list = readdirSync(new URL(`${name}/samples/`, root)); } catch { continue; }
    for (const f of list) {
      for (const item of readInput(readFileSync(new URL(`${name}/samples/${f}`, root), 'utf8'), f)) {
        if (item.ok) assert.equal(pack.detect(item.event), false, `${name}/${item.where}`);
      }
    }
  }
});

test('no other pack claims a Falco alert', () => {
  for (const p of packs.filter((x) => x.name !== 'falco')) {
    for (const f of samples) assert.equal(p.detect(load(f)), false, `${p.name} claims ${f}`);
  }
});

test('a process needs its pid in OCSF: without proc.pid the user is the actor and the proc.* fields stay in unmapped', () => {
  const fields = { 'proc.name': 'bash', 'proc.cmdline': 'bash -i', 'proc.pname': 'runc', 'user.name': 'root', 'user.uid': 0, 'user.loginuid': -1 };
  const ev = map(alert(fields));
  assert.deepEqual(ev.evidences, [{ actor: { user: { name: 'root', uid: '0' } } }]);
  assert.deepEqual(at(ev, 'unmapped.output_fields'), { 'proc.name': 'bash', 'proc.cmdline': 'bash -i', 'proc.pname': 'runc', 'user.loginuid': -1 });
  const withPid = map(alert({ ...fields, 'proc.pid': 4242, 'user.loginuid': 1000, 'group.gid': 0, 'group.name': 'root' }));
  assert.deepEqual(withPid.evidences, [{
    process: {
      pid: 4242, name: 'bash', cmd_line: 'bash -i', user: { name: 'root', uid: '0' }, auid: 1000, group: { name: 'root', uid: '0' },
      // No ppid: the parent is the first of the ancestry (parent_process needs a pid).
      ancestry: [{ name: 'runc' }],
    },
  }]);
  assert.equal(withPid.unmapped, undefined);
  // auid and group come from OCSF's Linux users profile, which the event then declares.
  assert.deepEqual(at(withPid, 'metadata.profiles'), ['security_control', 'linux/linux_users']);
  valid([ev, withPid], 'process');
});

test('ancestry stops at the first generation Falco did not know; what follows stays in unmapped', () => {
  const ev = map(alert({ 'proc.pid': 10, 'proc.ppid': 9, 'proc.pname': 'sh', 'proc.aname[2]': 'bash', 'proc.apid[2]': 8, 'proc.aname[3]': '<NA>', 'proc.aname[4]': 'init' }));
  assert.deepEqual(at(ev, 'evidences.0.process'), {
    pid: 10, parent_process: { pid: 9, name: 'sh' }, ancestry: [{ pid: 9, name: 'sh' }, { pid: 8, name: 'bash' }],
  });
  assert.deepEqual(at(ev, 'unmapped.output_fields'), { 'proc.aname[4]': 'init' });
  valid([ev], 'ancestry');
});

test('fd.name is a file only for files and directories; a socket\'s connection text stays in unmapped', () => {
  const file = (fields: Obj) => at(map(alert({ 'user.name': 'root', ...fields })), 'evidences.0.file');
  assert.deepEqual(file({ 'fd.name': '/etc/shadow', 'fd.type': 'file' }), { name: 'shadow', path: '/etc/shadow', parent_folder: '/etc', type_id: 1 });
  assert.deepEqual(file({ 'fd.name': '/etc/cron.d', 'fd.typechar': 'd' }), { name: 'cron.d', path: '/etc/cron.d', parent_folder: '/etc', type_id: 2 });
  assert.deepEqual(file({ 'fd.name': '/', 'fd.type': 'directory' }), { name: '/', path: '/', parent_folder: '/', type_id: 2 });
  assert.deepEqual(file({ 'fd.name': '/root/.ssh/authorized_keys', 'fd.filename': 'authorized_keys', 'fd.directory': '/root/.ssh' }), { name: 'authorized_keys', path: '/root/.ssh/authorized_keys', parent_folder: '/root/.ssh', type_id: 0 });
  const sock = map(alert({ 'user.name': 'root', 'fd.name': '/run/containerd/containerd.sock', 'fd.type': 'unix' }));
  assert.equal(at(sock, 'evidences.0.file'), undefined);
  assert.deepEqual(at(sock, 'unmapped.output_fields'), { 'fd.name': '/run/containerd/containerd.sock', 'fd.type': 'unix' });
  const tcp = map(alert({ 'user.name': 'root', 'fd.name': '10.0.0.5:40000->203.0.113.9:443', 'fd.type': 'ipv4', 'fd.sip': '203.0.113.9', 'fd.sport': 443, 'fd.l4proto': 'tcp' }));
  assert.equal(at(tcp, 'evidences.0.file'), undefined);
  assert.deepEqual(at(tcp, 'evidences.0.dst_endpoint'), { ip: '203.0.113.9', port: 443 });
  assert.deepEqual(at(tcp, 'evidences.0.connection_info'), { protocol_name: 'tcp', protocol_num: 6, protocol_ver_id: 4, direction_id: 0 });
  assert.deepEqual(at(tcp, 'unmapped.output_fields'), { 'fd.name': '10.0.0.5:40000->203.0.113.9:443' });
  valid([sock, tcp], 'fd');
});

test('containers: "host" is no container; the image is a resource, and container.image too when Falco gives its id', () => {
  const host = map(alert({ 'user.name': 'root', 'container.id': 'host', 'container.name': 'host', 'container.image.repository': '' }));
  assert.deepEqual(host.evidences, [{ actor: { user: { name: 'root' } } }]);
  assert.equal(host.resources, undefined);
  assert.equal(host.unmapped, undefined);
  const noId = map(alert({ 'user.name': 'root', 'container.id': 'abc123def456', 'container.name': 'web', 'container.image.repository': 'nginx', 'container.image.tag': '1.27' }));
  assert.deepEqual(at(noId, 'evidences.0.container'), { uid: 'abc123def456', name: 'web' });
  assert.deepEqual(noId.resources, [{ type: 'container_image', name: 'nginx:1.27', role_id: 4 }]);
  const withId = map(alert({ 'user.name': 'root', 'container.id': 'abc123def456', 'container.image': 'nginx:1.27', 'container.image.id': 'f1e2d3c4b5a6' }));
  assert.deepEqual(at(withId, 'evidences.0.container'), { uid: 'abc123def456', image: { uid: 'f1e2d3c4b5a6', name: 'nginx:1.27' } });
  // Evidence must name more than a container; alone, the container is a resource.
  const alone = map(alert({ 'container.id': 'abc123def456', 'container.name': 'web' }));
  assert.equal(alone.evidences, undefined);
  assert.deepEqual(alone.resources, [{ type: 'container', uid: 'abc123def456', name: 'web', role_id: 3 }]);
  valid([host, noId, withId, alone], 'container');
});

test('Kubernetes: the pod (or only the namespace) is a resource; a UUID pod uid also goes to container.pod_uuid', () => {
  const pod = map(alert({ 'user.name': 'root', 'container.id': 'abc123def456', 'k8s.ns.name': 'shop', 'k8s.pod.name': 'web-0', 'k8s.pod.uid': '0e6f2b1a-8c3d-4f5e-9a7b-1c2d3e4f5a6b' }));
  assert.deepEqual(pod.resources, [{ type: 'pods', name: 'web-0', uid: '0e6f2b1a-8c3d-4f5e-9a7b-1c2d3e4f5a6b', namespace: 'shop', role_id: 3 }]);
  assert.equal(at(pod, 'evidences.0.container.pod_uuid'), '0e6f2b1a-8c3d-4f5e-9a7b-1c2d3e4f5a6b');
  const ns = map(alert({ 'user.name': 'root', 'k8s.ns.name': 'shop', 'k8s.pod.uid': 'not-a-uuid' }));
  assert.deepEqual(ns.resources, [{ type: 'pods', uid: 'not-a-uuid', namespace: 'shop', role_id: 3 }]);
  assert.deepEqual(map(alert({ 'user.name': 'root', 'k8s.ns.name': 'shop' })).resources, [{ type: 'namespaces', name: 'shop', role_id: 3 }]);
  valid([pod, ns], 'k8s');
});

test('k8s_audit alerts: the API user is the actor, the target a resource, source IPs the source endpoint; the host only reported it', () => {
  const ev = map(alert({ 'ka.user.name': 'alice@example.com', 'ka.verb': 'delete', 'ka.target.resource': 'secrets', 'ka.target.namespace': 'kube-system', 'ka.target.name': 'db-password', 'ka.sourceips': ['203.0.113.7', '10.0.0.2'] }, { source: 'k8s_audit', hostname: 'falco-0' }));
  assert.deepEqual(ev.evidences, [{ actor: { user: { name: 'alice@example.com' } }, api: { operation: 'delete' }, src_endpoint: { ip: '203.0.113.7', intermediate_ips: ['10.0.0.2'] } }]);
  assert.deepEqual(ev.resources, [{ type: 'secrets', name: 'db-password', namespace: 'kube-system', role_id: 1 }]);
  assert.equal(ev.device, undefined);
  assert.deepEqual(at(ev, 'metadata.reporter'), { hostname: 'falco-0' });
  assert.deepEqual(at(ev, 'finding_info.data_sources'), ['k8s_audit']);
  valid([ev], 'k8s_audit');
});

test('top-level keys Falco does not define, and fields of the wrong type, stay in unmapped', () => {
  const ev = map(alert({ 'proc.pid': 'soon', 'user.name': 'root', 'fd.sport': 443 }, { custom: { team: 'sre' }, tags: 'container' }));
  const u = ev.unmapped as Obj;
  assert.deepEqual(Object.keys(u), ['tags', 'custom', 'output_fields']);
  assert.deepEqual(u.custom, { team: 'sre' });
  assert.deepEqual(Object.keys(u.output_fields as Obj), ['proc.pid', 'fd.sport']);
  // A `__proto__` output field is data, never the prototype.
  const proto = map(alert(JSON.parse('{"__proto__": {"polluted": 1}, "user.name": "root"}') as Obj));
  assert.deepEqual(Object.getOwnPropertyNames(at(proto, 'unmapped.output_fields')), ['__proto__']);
  assert.equal(({} as Obj).polluted, undefined);
});

test('the mapping leaves its input as it was and shares nothing with it', () => {
  for (const f of samples) {
    const e = load(f);
    const before = structuredClone(e);
    const ev = map(e);
    assert.deepEqual(e, before, f);
    if (Array.isArray(e.tags)) assert.notEqual(at(ev, 'finding_info.types'), e.tags);
  }
});
