import { test } from 'node:test';
import assert from 'node:assert/strict';
import pack from './index.js';
import { single, packFiles, testContext } from '../test-kit.js';

const { read, samples: sampleFiles } = packFiles('okta');
const ctx = testContext(Date.UTC(2024, 4, 14, 12));
const samples = sampleFiles();

const mapOne = (e: Record<string, unknown>) => single(pack.map(e, ctx), 'the event');

const ADMIN = { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' };
const ALICE = { id: '00ualice', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice' };
/** A minimal LogEvent; `over` replaces or adds fields. */
function logEvent(eventType: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: 'u-1', published: '2024-05-14T09:00:00.000Z', eventType, version: '0', severity: 'INFO', displayMessage: 'x',
    actor: ADMIN, client: { ipAddress: '192.0.2.1' }, outcome: { result: 'SUCCESS' }, ...over,
  };
}
const classOf = (eventType: string, over: Record<string, unknown> = {}) => {
  const e = mapOne(logEvent(eventType, over));
  return [e.class_uid, e.activity_id];
};

test('every sample maps to its reviewed OCSF output', () => {
  assert.ok(samples.length >= 5);
  for (const f of samples) {
    const r = pack.map(read('samples', f), ctx);
    assert.ok(r.ok, f);
    assert.deepEqual(r.events, read('expected', f), f);
  }
});

test('detect() recognises System Log events and nothing else', () => {
  for (const f of samples) assert.ok(pack.detect(read('samples', f)), f);
  const others: Record<string, unknown>[] = [
    {},
    { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', eventTime: '2024-05-14T10:00:00Z' },
    { action: 'org.add_member', actor: 'octocat', '@timestamp': 1715677424651 },
    { kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'get', auditID: 'x' },
    { eventType: 'user.session.start', published: '2024-05-14T09:00:00Z', uuid: 'x', actor: 'not an object' },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

test('eventType picks the class and activity', () => {
  assert.deepEqual(classOf('user.session.start'), [3002, 1]);
  assert.deepEqual(classOf('user.session.end'), [3002, 2]);
  assert.deepEqual(classOf('user.authentication.auth_via_mfa'), [3002, 1]);
  assert.deepEqual(classOf('user.authentication.slo'), [3002, 2]);
  assert.deepEqual(classOf('user.lifecycle.create', { target: [ALICE] }), [3001, 1]);
  assert.deepEqual(classOf('user.lifecycle.suspend', { target: [ALICE] }), [3001, 5]);
  assert.deepEqual(classOf('user.account.lock', { target: [ALICE] }), [3001, 9]);
  assert.deepEqual(classOf('user.mfa.factor.activate'), [3001, 10]);
  assert.deepEqual(classOf('user.account.update_profile', { target: [ALICE] }), [3001, 99]);
  assert.deepEqual(classOf('user.account.privilege.revoke', { target: [ALICE], debugContext: { debugData: { privilegeRevoked: 'Super administrator' } } }), [3005, 2]);
  assert.deepEqual(classOf('application.user_membership.add', { target: [ALICE, { id: '0oa1', type: 'AppInstance', displayName: 'Wiki' }] }), [3005, 1]);
  assert.deepEqual(classOf('group.user_membership.remove', { target: [ALICE, { id: '00g1', type: 'UserGroup', displayName: 'Ops' }] }), [3006, 4]);
  assert.deepEqual(classOf('group.profile.update', { target: [{ id: '00g1', type: 'UserGroup', displayName: 'Ops' }] }), [3006, 99]);
  assert.deepEqual(classOf('application.lifecycle.deactivate', { target: [{ id: '0oa1', type: 'AppInstance', displayName: 'Wiki' }] }), [3004, 11]);
  assert.deepEqual(classOf('system.api_token.create', { target: [{ id: '00T1', type: 'Token', displayName: 'ci' }] }), [6003, 1]);
  assert.deepEqual(classOf('application.user_membership.show_password', { target: [ALICE] }), [6003, 2]);
  assert.deepEqual(classOf('policy.evaluate_sign_on'), [6003, 99]);
});

test('a class whose required object the event lacks falls back to API Activity', () => {
  // No privilege named: User Access Management requires privileges.
  assert.deepEqual(classOf('user.account.privilege.grant', { target: [ALICE] }), [6003, 1]);
  // No UserGroup target: Group Management requires the group.
  assert.deepEqual(classOf('group.user_membership.add', { target: [ALICE] }), [6003, 1]);
});

test('outcome.result sets status_id and is kept in status_code; severity maps from Okta severity', () => {
  const e = mapOne(logEvent('user.session.start', { outcome: { result: 'CHALLENGE', reason: 'Sign-on policy evaluation resulted in CHALLENGE' }, severity: 'WARN' }));
  assert.equal(e.status_id, 99);
  assert.equal(e.status_code, 'CHALLENGE');
  assert.equal(e.status_detail, 'Sign-on policy evaluation resulted in CHALLENGE');
  assert.equal(e.severity_id, 3);
  assert.equal(mapOne(logEvent('user.session.start', { outcome: { result: 'DENY' } })).status_id, 2);
  const odd = mapOne(logEvent('user.session.start', { severity: 'LOUD' }));
  assert.equal(odd.severity_id, 0);
  assert.equal((odd.unmapped as Record<string, unknown>).severity, 'LOUD');
});

test('an admin ending another user\'s sessions: the user is the target, the admin the actor', () => {
  const e = mapOne(logEvent('user.session.clear', { target: [ALICE] }));
  assert.deepEqual([e.class_uid, e.activity_id], [3002, 2]);
  assert.equal((e.user as Record<string, unknown>).uid, '00ualice');
  assert.equal(((e.actor as Record<string, unknown>).user as Record<string, unknown>).uid, '00uadmin');
});

test('an event Okta raised itself, without a client address, still has a source endpoint', () => {
  const e = mapOne(logEvent('system.org.rate_limit.warning', { client: { ipAddress: null } }));
  assert.deepEqual(e.src_endpoint, { svc_name: 'Okta' });
});

test('targets that cannot be mapped whole stay in unmapped; the input is not modified', () => {
  const target = [{ id: '00T1', type: 'Token', displayName: 'ci', extra: 1 }];
  const input = logEvent('system.api_token.create', { target });
  const before = JSON.stringify(input);
  const e = mapOne(input);
  assert.equal(JSON.stringify(input), before);
  assert.deepEqual((e.unmapped as Record<string, unknown>).target, target);
});

test('bad input returns { ok: false } with a precise reason and never throws', () => {
  const reason = (e: Record<string, unknown>) => {
    const r = pack.map(e, ctx);
    assert.equal(r.ok, false, JSON.stringify(e));
    return (r as { reason: string }).reason;
  };
  assert.match(reason(logEvent('user.session.start', { published: 'soon' })), /^okta: published is missing or not a time \("soon"\)/);
  assert.match(reason(logEvent('')), /^okta: eventType is missing/);
  assert.match(reason({ hello: 'world' }), /not an Okta System Log event/);
  assert.match(reason(logEvent('user.session.start', { actor: { type: 'User' } })), /user.session.start names no user/);
  assert.match(reason(logEvent('system.org.rate_limit.warning', { actor: null })), /has no actor/);
  for (const junk of [{ target: 'x' }, { target: [null, 3] }, { client: [] }, { outcome: 'ok' }, { debugContext: { debugData: 5 } }, { securityContext: { asNumber: '7' } }]) {
    assert.doesNotThrow(() => pack.map(logEvent('user.account.privilege.grant', junk), ctx));
  }
});

test('top-level names lower-cased by a data lake export (eventtype, displaymessage...) map like Okta\'s own', () => {
  const f = samples[0]!;
  const own = read('samples', f);
  const lowered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(own)) lowered[/^(eventType|legacyEventType|displayMessage|authenticationContext|securityContext|debugContext)$/.test(k) ? k.toLowerCase() : k] = v;
  assert.ok(pack.detect(lowered));
  assert.deepEqual(pack.map(lowered, ctx), pack.map(own, ctx));
});
