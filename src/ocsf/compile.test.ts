// tools/ocsf/compile.ts on a small OCSF-shaped source tree written by the test: inheritance,
// includes, profiles, extensions, uids, the compiled artifact validating an event, and the errors
// malformed input gets.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { compileSchema, compileToDir, main, OcsfSourceError } from '../../tools/ocsf/compile.js';
import { fromArtifact } from './schema.js';
import { derive, validate } from './validate.js';

type Tree = Record<string, unknown>;

function source(): Tree {
  return {
    'version.json': { version: '9.1.0' },
    LICENSE: 'Apache License 2.0 (test copy)',
    NOTICE: 'Test schema notice',
    'categories.json': { caption: 'Categories', name: 'category', attributes: { iam: { uid: 3, caption: 'Identity & Access Management' } } },
    'dictionary.json': {
      caption: 'Dictionary', name: 'dictionary',
      types: { attributes: {
        string_t: { caption: 'String' }, integer_t: { caption: 'Integer' }, long_t: { caption: 'Long' }, boolean_t: { caption: 'Boolean', values: [false, true] },
        json_t: { caption: 'JSON' }, float_t: { caption: 'Float' },
        timestamp_t: { caption: 'Timestamp', type: 'long_t' },
        ip_t: { caption: 'IP Address', type: 'string_t', max_len: 40, observable: 2 },
        datetime_t: { caption: 'Datetime', type: 'string_t' },
        username_t: { caption: 'User Name', type: 'string_t', observable: 4 },
      } },
      attributes: {
        activity_id: { caption: 'Activity ID', type: 'integer_t', sibling: 'activity_name', enum: { 0: { caption: 'Unknown' }, 99: { caption: 'Other' } } },
        activity_name: { caption: 'Activity', type: 'string_t' },
        category_uid: { caption: 'Category ID', type: 'integer_t', sibling: 'category_name' },
        category_name: { caption: 'Category', type: 'string_t' },
        class_uid: { caption: 'Class ID', type: 'integer_t', sibling: 'class_name' },
        class_name: { caption: 'Class', type: 'string_t' },
        type_uid: { caption: 'Type ID', type: 'long_t', sibling: 'type_name' },
        type_name: { caption: 'Type', type: 'string_t' },
        severity_id: { caption: 'Severity ID', type: 'integer_t', sibling: 'severity', enum: { 0: { caption: 'Unknown' }, 1: { caption: 'Informational' }, 99: { caption: 'Other' } } },
        severity: { caption: 'Severity', type: 'string_t' },
        time: { caption: 'Event Time', type: 'timestamp_t' },
        metadata: { caption: 'Metadata', type: 'metadata' },
        version: { caption: 'Version', type: 'string_t' },
        product: { caption: 'Product', type: 'product' },
        profiles: { caption: 'Profiles', type: 'string_t', is_array: true },
        name: { caption: 'Name', type: 'string_t' },
        uid: { caption: 'Unique ID', type: 'string_t' },
        user: { caption: 'User', type: 'user' },
        ip: { caption: 'IP Address', type: 'ip_t' },
        device: { caption: 'Device', type: 'device' },
        legacy: { caption: 'Legacy', type: 'string_t', '@deprecated': { since: '9.0.0', message: 'Use <code>name</code>.' } },
        unmapped: { caption: 'Unmapped', type: 'object' },
      },
    },
    'profiles/host.json': { caption: 'Host', meta: 'profile', name: 'host', annotations: { group: 'primary' }, attributes: { device: { requirement: 'recommended' } } },
    'events/base_event.json': {
      caption: 'Base Event', category: 'other', name: 'base_event',
      attributes: {
        $include: ['profiles/host.json'],
        activity_id: { requirement: 'required' }, activity_name: { requirement: 'optional' },
        category_uid: { requirement: 'required', enum: { 0: { caption: 'Uncategorized' } } }, category_name: { requirement: 'optional' },
        class_uid: { requirement: 'required', enum: { 0: { caption: 'Base Event' } } }, class_name: { requirement: 'optional' },
        type_uid: { requirement: 'required' }, type_name: { requirement: 'optional' },
        severity_id: { requirement: 'required' }, severity: { requirement: 'optional' },
        time: { requirement: 'required' }, metadata: { requirement: 'required' }, unmapped: { requirement: 'optional' },
        legacy: { requirement: 'optional' },
      },
      profiles: ['host'],
    },
    'events/iam/iam.json': { caption: 'IAM', category: 'iam', extends: 'base_event', name: 'iam', attributes: { user: { requirement: 'recommended' }, legacy: null } },
    'events/iam/logon.json': {
      uid: 2, caption: 'Logon', extends: 'iam', name: 'logon',
      attributes: { activity_id: { enum: { 1: { caption: 'Logon' }, 2: { caption: 'Logoff' } } }, user: { requirement: 'required' }, device: { requirement: 'required', profile: null } },
    },
    'objects/object.json': { caption: 'Object', name: 'object', attributes: {} },
    'objects/_entity.json': { caption: 'Entity', name: '_entity', extends: 'object', attributes: { name: { requirement: 'recommended' }, uid: { requirement: 'recommended' } }, constraints: { at_least_one: ['name', 'uid'] } },
    'objects/user.json': { caption: 'User', name: 'user', extends: '_entity', observable: 21, attributes: { name: { type: 'username_t' } } },
    'objects/device.json': { caption: 'Device', name: 'device', attributes: { ip: { requirement: 'recommended' }, name: { requirement: 'optional' } } },
    'objects/metadata.json': { caption: 'Metadata', name: 'metadata', attributes: { version: { requirement: 'required' }, product: { requirement: 'required' }, profiles: { requirement: 'optional' } } },
    'objects/product.json': { caption: 'Product', name: 'product', attributes: { name: { requirement: 'recommended' } } },
    'extensions/acme/extension.json': { uid: 7, name: 'acme', caption: 'Acme', version: '9.1.0' },
    'extensions/acme/dictionary.json': { attributes: { badge: { caption: 'Badge', type: 'string_t' }, door: { caption: 'Door', type: 'door' } } },
    'extensions/acme/objects/door.json': { caption: 'Door', name: 'door', attributes: { name: { requirement: 'required' } } },
    'extensions/acme/objects/user.json': { caption: 'Acme User', extends: 'user', attributes: { badge: { requirement: 'optional' } } },
    'extensions/acme/events/door_access.json': { uid: 5, caption: 'Door Access', extends: 'iam', name: 'door_access', attributes: { activity_id: { enum: { 1: { caption: 'Open' } } }, door: { requirement: 'required' } } },
  };
}

function write(tree: Tree): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocsf-src-'));
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

test('compiles inheritance, includes, profiles, extensions and uids the way the OCSF server does', () => {
  const dir = write(source());
  try {
    const { artifact: a, warnings } = compileSchema(dir);
    assert.deepEqual(warnings, []);
    assert.equal(a.version, '9.1.0');
    assert.deepEqual(Object.keys(a.classes), ['0', '3002', '703005'], 'base_event, iam/logon, acme/door_access; the iam base is hidden');
    const logon = a.classes['3002']!;
    assert.deepEqual([logon.name, logon.category, logon.category_uid, logon.category_name, logon.extends], ['logon', 'iam', 3, 'Identity & Access Management', 'iam']);
    assert.deepEqual(logon.attributes.activity_id!.enum, { 0: 'Unknown', 1: 'Logon', 2: 'Logoff', 99: 'Other' }, 'dictionary enum + class enum');
    assert.deepEqual(logon.attributes.class_uid!.enum, { 3002: 'Logon' });
    assert.deepEqual(logon.attributes.category_uid!.enum, { 3: 'Identity & Access Management' });
    assert.deepEqual(logon.attributes.user, { object: 'user', requirement: 'required' }, 'the subclass overrides the requirement');
    assert.deepEqual(logon.attributes.device, { object: 'device', requirement: 'required' }, '"profile": null takes it out of the host profile');
    assert.equal(logon.attributes.legacy, undefined, 'an attribute set to null in a base class is removed');
    assert.deepEqual(logon.attributes.time_dt, { type: 'datetime_t', profile: 'datetime' });
    assert.deepEqual(a.classes['0']!.attributes.device, { object: 'device', requirement: 'recommended', profile: 'host' });
    assert.deepEqual(a.classes['0']!.attributes.legacy, { type: 'string_t', deprecated: 'since 9.0.0: Use name.' });
    assert.deepEqual([a.classes['0']!.category_uid, a.classes['0']!.category_name], [0, 'Uncategorized']);
    // The extension: its class in a core category, its own object, its patch of a core object.
    const door = a.classes['703005']!;
    assert.deepEqual([door.name, door.extension, door.category_uid], ['door_access', 'acme', 3]);
    assert.deepEqual(door.attributes.door, { object: 'acme/door', requirement: 'required' });
    assert.deepEqual(a.objects['acme/door']!.attributes.name, { type: 'string_t', requirement: 'required' });
    assert.deepEqual(a.objects.user!.attributes.badge, { type: 'string_t' }, 'the extension patched user');
    assert.deepEqual(a.objects.user!.attributes.name, { type: 'username_t', requirement: 'recommended' });
    assert.deepEqual(a.objects.user!.constraints, { at_least_one: ['name', 'uid'] }, 'constraints inherit from _entity');
    assert.equal(a.objects._entity, undefined);
    assert.deepEqual(a.types.timestamp_t, { caption: 'Timestamp', base: 'long_t' });
    assert.deepEqual(a.profiles.host, { caption: 'Host', attributes: ['device'] });
    assert.deepEqual(a.profiles.datetime, { caption: 'Date/Time', attributes: [] }, 'the synthetic profile of the *_dt attributes');
    assert.deepEqual(a.extensions, { acme: { uid: 7, caption: 'Acme', version: '9.1.0' } });
    assert.equal(a.dictionary['acme/badge'], 'Badge');

    // The artifact drives the validator.
    const s = fromArtifact(a);
    const e: Record<string, any> = { class_uid: 3002, activity_id: 1, severity_id: 1, time: 1_718_000_000_000, metadata: { version: '9.1.0', product: { name: 'Test' } }, user: { name: 'alice' }, device: { ip: '192.0.2.1' } };
    derive(s, e);
    assert.equal(e.type_name, 'Logon: Logon');
    assert.deepEqual(validate(s, e, { missingRecommended: false }), []);
    assert.deepEqual(validate(s, e).map((v) => v.path), ['user.uid'], 'user.uid is recommended (from _entity)');
    assert.deepEqual(validate(s, { ...e, device: { name: 'x' }, user: {} }, { missingRecommended: false }).map((v) => `${v.path}: ${v.reason}`).sort(), [
      'user: at least one of name, uid is required (constraint of object user)',
    ]);
    assert.deepEqual(compileSchema(dir, { extensions: false }).artifact.classes['703005'], undefined, '--no-extensions');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compileToDir writes the artifact, LICENSE and NOTICE; the CLI reports what it wrote', () => {
  const dir = write(source());
  const out = mkdtempSync(join(tmpdir(), 'ocsf-out-'));
  try {
    const r = compileToDir(dir, out);
    assert.equal(r.file, join(out, 'ocsf-9.1.0.json'));
    assert.deepEqual(JSON.parse(readFileSync(r.file, 'utf8')), r.artifact);
    assert.equal(readFileSync(join(out, 'LICENSE'), 'utf8'), 'Apache License 2.0 (test copy)');
    assert.equal(readFileSync(join(out, 'NOTICE'), 'utf8'), 'Test schema notice');
    const logs: string[] = [];
    const orig = console.log;
    console.log = (m: string) => logs.push(m);
    try {
      assert.equal(main([dir, '--out', out]), 0);
    } finally {
      console.log = orig;
    }
    assert.match(logs[0]!, /^OCSF 9\.1\.0: 3 classes, 6 objects, 2 profiles, 1 extensions -> .*ocsf-9\.1\.0\.json \(\d+ KiB\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test('malformed input stops the compiler with the file and the problem', () => {
  const cases: [string, (t: Tree) => void, RegExp][] = [
    ['invalid JSON', (t) => { t['events/iam/logon.json'] = '{ "uid": 2, '; }, /events\/iam\/logon\.json is not valid JSON/],
    ['no version.json', (t) => { delete t['version.json']; }, /version\.json does not exist \(is .* an OCSF schema source tree\?\)/],
    ['bad version', (t) => { t['version.json'] = { version: 'latest' }; }, /version\.json: "version" must be a semantic version/],
    ['undefined parent', (t) => { (t['events/iam/logon.json'] as Tree).extends = 'iamm'; }, /class "logon" extends "iamm", which is not defined/],
    ['attribute not in the dictionary', (t) => { ((t['events/iam/logon.json'] as Tree).attributes as Tree).src_ip = { requirement: 'optional' }; }, /class "logon" \(events\/iam\/logon\.json\), attribute "src_ip": not defined in the dictionary/],
    ['unknown type', (t) => { (((t['dictionary.json'] as Tree).attributes as Tree).uid as Tree).type = 'uuid_t'; }, /attribute "uid": type "uuid_t" is neither a dictionary type nor an object/],
    ['unknown category', (t) => { (t['events/iam/iam.json'] as Tree).category = 'identity'; }, /class "logon" .*category "identity" is not in categories\.json/],
    ['missing include', (t) => { (((t['events/base_event.json'] as Tree).attributes as Tree).$include as string[]).push('profiles/nope.json'); }, /events\/base_event\.json: "\$include": profiles\/nope\.json not found/],
    ['bad requirement', (t) => { (((t['events/iam/logon.json'] as Tree).attributes as Tree).user as Tree).requirement = 'mandatory'; }, /"requirement" must be required, recommended or optional, not "mandatory"/],
    ['inheritance loop', (t) => { (t['objects/device.json'] as Tree).extends = 'device2'; t['objects/device2.json'] = { caption: 'D2', name: 'device2', extends: 'device', attributes: {} }; }, /object inheritance loops: device -> device2 -> device/],
    ['uid clash', (t) => { t['events/iam/logon2.json'] = { uid: 2, caption: 'Logon 2', extends: 'iam', name: 'logon2', attributes: {} }; }, /class_uid 3002 is also the class_uid of "logon"/],
    ['unknown constraint', (t) => { (t['objects/device.json'] as Tree).constraints = { at_most_one: ['ip'] }; }, /object "device" .*unknown constraint "at_most_one"/],
    ['enum without caption', (t) => { (((t['events/iam/logon.json'] as Tree).attributes as Tree).activity_id as Tree).enum = { 3: { description: 'x' } }; }, /enum value 3 needs a "caption"/],
    ['observable clash', (t) => { (t['objects/device.json'] as Tree).observable = 21; }, /observable type_id 21 is also used by/],
  ];
  for (const [name, change, want] of cases) {
    const tree = structuredClone(source());
    change(tree);
    const dir = write(tree);
    try {
      assert.throws(() => compileSchema(dir), (e: unknown) => e instanceof OcsfSourceError && want.test(e.message), name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const errs: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errs.push(m);
  try {
    assert.equal(main([join(tmpdir(), 'no-such-ocsf-source')]), 65);
    assert.equal(main([]), 64);
  } finally {
    console.error = orig;
  }
  assert.match(errs[0]!, /^ocsf compile: .*no-such-ocsf-source is not a directory; pass the root of an OCSF schema source tree/);
});
