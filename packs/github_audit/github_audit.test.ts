import { test } from 'node:test';
import assert from 'node:assert/strict';
import pack from './index.js';
import { single, packFiles, testContext } from '../test-kit.js';

const { read, samples: sampleFiles } = packFiles('github_audit');
const ctx = testContext(Date.UTC(2024, 4, 14, 12));
const samples = sampleFiles();

const mapOne = (e: Record<string, unknown>) => single(pack.map(e, ctx), 'the entry');
/** A minimal audit log entry; `over` replaces or adds fields. */
function entry(action: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { '@timestamp': 1715677424651, _document_id: 'doc-1', action, actor: 'octo-admin', actor_id: 51, org: 'example-org', org_id: 9, ...over };
}
const classOf = (action: string, over: Record<string, unknown> = {}) => {
  const e = mapOne(entry(action, over));
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

test('detect() recognises audit log entries and nothing else', () => {
  for (const f of samples) assert.ok(pack.detect(read('samples', f)), f);
  const others: Record<string, unknown>[] = [
    {},
    { action: 'login', '@timestamp': 1715677424651 },
    { action: 'allow', src_ip: '192.0.2.1', created_at: '2024-05-14T10:00:00Z' },
    { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', eventTime: '2024-05-14T10:00:00Z' },
    { uuid: 'x', published: '2024-05-14T10:00:00Z', eventType: 'user.session.start', actor: {} },
    { kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'get', auditID: 'x' },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

test('the action picks the class; other actions are API Activity with the activity from operation_type', () => {
  assert.deepEqual(classOf('org.remove_member', { user: 'bob' }), [3006, 4]);
  assert.deepEqual(classOf('org.invite_member', { user: 'bob' }), [3006, 99]);
  assert.deepEqual(classOf('team.add_member', { team: 'example-org/sre', user: 'bob' }), [3006, 3]);
  assert.deepEqual(classOf('team.change_privacy', { team: 'example-org/sre' }), [3006, 99]);
  assert.deepEqual(classOf('user.suspend', { user: 'bob' }), [3001, 5]);
  assert.deepEqual(classOf('two_factor_authentication.disabled'), [3001, 11]);
  assert.deepEqual(classOf('personal_access_token.access_revoked', { user: 'bob', permissions: { contents: 'read' } }), [3005, 2]);
  assert.deepEqual(classOf('user.logout'), [3002, 2]);
  assert.deepEqual(classOf('repo.create', { operation_type: 'create' }), [6003, 1]);
  assert.deepEqual(classOf('repo.access', { operation_type: 'modify' }), [6003, 3]);
  assert.deepEqual(classOf('git.push'), [6003, 3]);
  assert.deepEqual(classOf('hook.destroy'), [6003, 4]);
  assert.deepEqual(classOf('workflows.completed_workflow_run'), [6003, 99]);
});

test('an IAM action missing what its class requires falls back to API Activity', () => {
  // No scopes or permissions: User Access Management requires privileges.
  assert.deepEqual(classOf('oauth_authorization.destroy', { user: 'bob' }), [6003, 4]);
  // No team named: Group Management requires the group.
  assert.deepEqual(classOf('team.create'), [6003, 1]);
});

test('fine-grained permissions become privileges "name:level"', () => {
  const e = mapOne(entry('personal_access_token.access_granted', { user: 'bob', permissions: { contents: 'write', metadata: 'read' } }));
  assert.deepEqual(e.privileges, ['contents:write', 'metadata:read']);
});

test('without actor_ip the source endpoint is named unknown, with the country when known', () => {
  assert.deepEqual(mapOne(entry('repo.create', { actor_location: { country_code: 'US' } })).src_endpoint, { name: 'unknown', location: { country: 'US' } });
  assert.deepEqual(mapOne(entry('repo.create', { actor_ip: '192.0.2.1' })).src_endpoint, { ip: '192.0.2.1' });
});

test('created_at different from @timestamp stays in unmapped; created_at alone is the time', () => {
  const e = mapOne(entry('repo.create', { created_at: 1715677000000 }));
  assert.equal(e.time, 1715677424651);
  assert.equal((e.unmapped as Record<string, unknown>).created_at, 1715677000000);
  const f = mapOne(entry('repo.create', { '@timestamp': undefined, created_at: '2024-05-14T09:03:44.651Z' }));
  assert.equal(f.time, 1715677424651);
  assert.equal(f.unmapped, undefined);
});

test('bad input returns { ok: false } with a precise reason and never throws', () => {
  const reason = (e: Record<string, unknown>) => {
    const r = pack.map(e, ctx);
    assert.equal(r.ok, false, JSON.stringify(e));
    return (r as { reason: string }).reason;
  };
  assert.match(reason(entry('repo.create', { '@timestamp': 'later' })), /^github_audit: neither @timestamp nor created_at is a time \("later"\)/);
  assert.match(reason({ '@timestamp': 1 }), /^github_audit: action is missing/);
  assert.match(reason(entry('repo.create', { actor: undefined, actor_id: undefined })), /repo.create has no actor/);
  assert.match(reason(entry('user.login', { actor: undefined, actor_id: 0 })), /user.login names no user/);
  for (const junk of [{ actor_location: 'US' }, { permissions: [1] }, { token_scopes: 7 }, { actor_id: {} }, { repo: ['x'] }]) {
    assert.doesNotThrow(() => pack.map(entry('personal_access_token.access_granted', junk), ctx));
  }
});

test('`at_sign_timestamp` (how data lakes export @timestamp) is the time', () => {
  const e = { action: 'repo.create', actor: 'octocat', at_sign_timestamp: '2023-01-31 18:58:27.638', org: 'acme', repo: 'acme/x' };
  assert.ok(pack.detect(e));
  const ev = mapOne(e);
  assert.equal(ev.time, Date.parse('2023-01-31T18:58:27.638Z'));
  assert.equal((ev.unmapped as Record<string, unknown> | undefined)?.at_sign_timestamp, undefined);
});
