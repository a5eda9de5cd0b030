import { test } from 'node:test';
import assert from 'node:assert/strict';
import pack from './index.js';
import { events, packFiles, testContext } from '../test-kit.js';

const { read, samples: sampleFiles } = packFiles('k8s_audit');
const ctx = testContext(Date.UTC(2024, 4, 14, 12));
const samples = sampleFiles();

const mapAll = (e: Record<string, unknown>) => events(pack.map(e, ctx), 'the event');
/** A minimal audit Event; `over` replaces or adds fields. */
function audit(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: 'a-1', stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods/web-0', verb: 'get', user: { username: 'alice@example.com' },
    sourceIPs: ['192.0.2.10'], objectRef: { resource: 'pods', namespace: 'default', name: 'web-0', apiVersion: 'v1' },
    responseStatus: { code: 200 }, requestReceivedTimestamp: '2024-05-14T10:00:00.000000Z', stageTimestamp: '2024-05-14T10:00:00.004000Z', ...over,
  };
}

test('every sample maps to its reviewed OCSF output', () => {
  assert.ok(samples.length >= 5);
  for (const f of samples) assert.deepEqual(mapAll(read('samples', f)), read('expected', f), f);
});

test('detect() recognises audit Events, EventLists and EKS CloudWatch deliveries, and nothing else', () => {
  for (const f of samples) assert.ok(pack.detect(read('samples', f)), f);
  assert.ok(pack.detect({ timestamp: 1715682001330, message: JSON.stringify(audit()) }));
  const others: Record<string, unknown>[] = [
    {},
    { kind: 'Pod', apiVersion: 'v1' },
    { message: 'Accepted password for root from 203.0.113.5 port 22 ssh2', timestamp: 1715682001330 },
    { messageType: 'DATA_MESSAGE', logGroup: '/aws/lambda/fn', logEvents: [] },
    { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', eventTime: '2024-05-14T10:00:00Z' },
    { uuid: 'x', published: '2024-05-14T10:00:00Z', eventType: 'user.session.start', actor: {} },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

test('the verb sets the activity and the HTTP method', () => {
  const of = (verb: string) => { const [e] = mapAll(audit({ verb })); return [e!.activity_id, (e!.http_request as Record<string, unknown>).http_method]; };
  assert.deepEqual(of('create'), [1, 'POST']);
  assert.deepEqual(of('watch'), [2, 'GET']);
  assert.deepEqual(of('patch'), [3, 'PATCH']);
  assert.deepEqual(of('deletecollection'), [4, 'DELETE']);
  assert.deepEqual(of('impersonate'), [99, undefined]);
});

test('status comes from responseStatus.code; no response yet is Unknown', () => {
  assert.equal(mapAll(audit({ responseStatus: { code: 409, reason: 'AlreadyExists' } }))[0]!.status_id, 2);
  assert.equal(mapAll(audit({ responseStatus: { code: 101 } }))[0]!.status_id, 1);
  const [e] = mapAll(audit({ stage: 'RequestReceived', responseStatus: undefined }));
  assert.equal(e!.status_id, 0);
  // The earlier stages share the auditID with the final one, so their uid names the stage.
  assert.equal((e!.metadata as Record<string, unknown>).uid, 'a-1:RequestReceived');
  assert.equal((e!.metadata as Record<string, unknown>).original_event_uid, 'a-1');
});

test('a collection request (list, create) names the collection as the resource', () => {
  const [e] = mapAll(audit({ verb: 'list', objectRef: { resource: 'secrets', namespace: 'kube-system', apiVersion: 'v1' } }));
  assert.deepEqual(e!.resources, [{ name: 'secrets', type: 'secrets', namespace: 'kube-system' }]);
});

test('one CloudWatch log event and a CONTROL_MESSAGE delivery', () => {
  const [e] = mapAll({ id: '3824', timestamp: 1715682001330, message: JSON.stringify(audit()) });
  assert.equal((e!.metadata as Record<string, unknown>).logged_time, 1715682001330);
  assert.deepEqual((e!.unmapped as Record<string, unknown>).logEvents, { id: '3824' });
  assert.deepEqual(mapAll({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '/aws/eks/x/cluster', logStream: 's', logEvents: [{ id: '1', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination' }] }), []);
});

test('bad input returns { ok: false } with a precise reason and never throws', () => {
  const reason = (e: Record<string, unknown>) => {
    const r = pack.map(e, ctx);
    assert.equal(r.ok, false, JSON.stringify(e));
    return (r as { reason: string }).reason;
  };
  assert.match(reason(audit({ requestReceivedTimestamp: 'x', stageTimestamp: undefined })), /^k8s_audit: neither requestReceivedTimestamp nor stageTimestamp is a time/);
  assert.match(reason(audit({ verb: undefined })), /verb is missing/);
  assert.match(reason(audit({ sourceIPs: [] })), /sourceIPs is missing or empty/);
  assert.match(reason(audit({ user: {} })), /user has no username or uid/);
  assert.match(reason({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [audit(), audit({ kind: 'Pod' })] }), /^k8s_audit: items\[1\]: kind is "Pod", not Event/);
  assert.match(reason({ kind: 'EventList', items: 'none' }), /EventList has no items array/);
  const env = (message: unknown) => ({ messageType: 'DATA_MESSAGE', owner: '111122223333', logGroup: '/aws/eks/x/cluster', logEvents: [{ id: '1', timestamp: 1, message }] });
  assert.match(reason(env('{"kind":')), /^k8s_audit: logEvents\[0\]: message is not JSON/);
  assert.match(reason(env('[1]')), /logEvents\[0\]: message is not a JSON object/);
  assert.match(reason({ hello: 'world' }), /kind is absent, not Event/);
  for (const junk of [{ objectRef: 'x' }, { responseStatus: { code: '200' } }, { user: { username: 5, groups: 'g' } }, { sourceIPs: [7, '192.0.2.1'] }]) {
    assert.doesNotThrow(() => pack.map(audit(junk), ctx));
  }
});
