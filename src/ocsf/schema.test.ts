// The shipped OCSF schema artifact and its accessors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OCSF_VERSION } from './map-kit.js';
import { artifactPath, fromArtifact, loadSchema, type Artifact } from './schema.js';

test('loadSchema reads the shipped artifact once and caches it', () => {
  const a = loadSchema();
  assert.equal(a.version, '1.8.0');
  assert.equal(a.version, OCSF_VERSION, 'the packs\' metadata.version and the shipped schema agree');
  assert.equal(loadSchema('1.8.0'), a);
  assert.match(artifactPath(), /schema\/ocsf\/ocsf-1\.8\.0\.json$/);
});

test('classes by uid and by name, objects, types, enum captions both ways', () => {
  const s = loadSchema();
  const auth = s.class(3002)!;
  assert.equal(auth, s.class('authentication'));
  assert.deepEqual([auth.caption, auth.category, auth.category_uid, auth.category_name], ['Authentication', 'iam', 3, 'Identity & Access Management']);
  assert.equal(s.class(0)!.name, 'base_event');
  assert.equal(s.class(0)!.category_name, 'Uncategorized');
  // Extension classes: class_uid = (extension uid * 100 + category uid) * 1000 + class number.
  const reg = s.class('win/registry_key_activity')!;
  assert.equal(reg.uid, 201001);
  assert.equal(reg.category_uid, 1);
  assert.equal(reg.attributes.reg_key!.object, 'win/reg_key');
  assert.ok(s.object('win/reg_key'));
  assert.equal(s.object('user')!.caption, 'User');
  assert.equal(s.object('_entity'), undefined, 'hidden base objects are not shipped');
  assert.deepEqual(s.type('ip_t'), { caption: 'IP Address', base: 'string_t', regex: s.type('ip_t')!.regex, max_len: 40 });
  assert.deepEqual(s.type('port_t'), { caption: 'Port', base: 'integer_t', range: [0, 65535] });
  assert.equal(s.type('timestamp_t')!.base, 'long_t');
  assert.equal(s.enumCaption(3002, 'activity_id', 2), 'Logoff');
  assert.equal(s.enumCaption({ object: 'user' }, 'type_id', 3), 'System');
  assert.equal(s.enumValue(3002, 'auth_protocol_id', 'Kerberos'), 2);
  assert.equal(s.enumValue({ object: 'http_request' }, 'http_method', 'Post'), 'POST');
  assert.equal(s.enumCaption(3002, 'nothing', 1), undefined);
  // Inheritance resolved: user extends _entity and gets its uid; the profile attributes are tagged.
  assert.equal(s.attribute({ object: 'user' }, 'uid')!.requirement, 'recommended');
  assert.equal(s.attribute(3002, 'device')!.profile, 'host');
  assert.equal(s.attribute(3002, 'actor')!.profile, undefined, 'iam takes actor out of the host profile');
  assert.equal(s.attribute(3002, 'time_dt')!.type, 'datetime_t');
  assert.deepEqual(s.attribute({ object: 'process' }, 'egid')!.profile, ['linux/linux_users', 'macos/macos_users']);
  // The observable type ids are gathered into the observable object's enum.
  assert.equal(s.enumCaption({ object: 'observable' }, 'type_id', 2), 'IP Address');
  assert.equal(s.enumCaption({ object: 'observable' }, 'type_id', 21), 'User');
});

test('an unshipped version fails with what to do next', () => {
  assert.throws(() => loadSchema('0.9.0'), /OCSF schema 0\.9\.0 is not shipped with Sluice .*the shipped version is 1\.8\.0.*npm run ocsf:compile/);
});

test('fromArtifact rejects something that is not an artifact', () => {
  assert.throws(() => fromArtifact({ version: '1.8.0' } as unknown as Artifact), /not in the expected format.*ocsf:compile/);
  const raw = JSON.parse(readFileSync(artifactPath(), 'utf8')) as Artifact;
  assert.equal(fromArtifact(raw).class(6003)!.caption, 'API Activity');
});
