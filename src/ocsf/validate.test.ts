// OCSF validate / derive / trim against the shipped 1.8.0 artifact, on small hand-written events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSchema } from './schema.js';
import { derive, deriveAndValidate, enumId, enumName, trim, validate, type Violation } from './validate.js';

const schema = loadSchema('1.8.0');
type E = Record<string, any>;

/** An sshd password logon as a pack emits it, after derive (all names filled). */
function authentication(): E {
  return {
    class_uid: 3002, class_name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management',
    activity_id: 1, activity_name: 'Logon', type_uid: 300201, type_name: 'Authentication: Logon',
    severity_id: 1, severity: 'Informational', status_id: 1, status: 'Success',
    time: 1_718_000_000_000,
    message: 'Accepted password for alice from 198.51.100.23 port 50122 ssh2',
    metadata: { version: '1.8.0', product: { name: 'OpenSSH', vendor_name: 'OpenBSD' }, log_name: 'auth.log' },
    auth_protocol_id: 99, auth_protocol: 'password',
    is_remote: true,
    user: { name: 'alice', type_id: 1, type: 'User' },
    src_endpoint: { ip: '198.51.100.23', port: 50122 },
    dst_endpoint: { hostname: 'bastion-1.example.com', ip: '192.0.2.10', port: 22 },
    service: { name: 'sshd' },
  };
}

/** A CloudTrail management event as a pack emits it (ids only). */
function apiActivity(): E {
  return {
    class_uid: 6003, activity_id: 2, severity_id: 1, status_id: 1,
    time: 1_718_000_000_000,
    metadata: { version: '1.8.0', product: { name: 'CloudTrail', vendor_name: 'AWS', version: '1.09' }, profiles: ['cloud'], uid: 'b6f3a1f2-0d2c-4b8e-9a51-3c6f1f4e2a10' },
    cloud: { provider: 'AWS', region: 'us-east-1', account: { uid: '123456789012', type_id: 10 } },
    api: { operation: 'GetObject', service: { name: 's3.amazonaws.com' }, request: { uid: 'EXAMPLE123', data: { bucketName: 'logs', key: { any: ['shape'] } } } },
    actor: { user: { type_id: 99, type: 'AssumedRole', uid: 'AROAEXAMPLE:bob', name: 'bob' } },
    src_endpoint: { ip: '203.0.113.7', domain: 'example.com' },
    http_request: { user_agent: 'aws-cli/2.15.0' },
    resources: [{ uid: 'arn:aws:s3:::logs/2024/06/10/a.gz', type: 'AWS::S3::Object' }, { uid: 'arn:aws:s3:::logs', type: 'AWS::S3::Bucket' }],
    unmapped: { eventType: 'AwsApiCall', 'weird key': [1, { x: null }] },
  };
}

const errors = (v: readonly Violation[]) => v.filter((x) => x.level === 'error');
const warnings = (v: readonly Violation[]) => v.filter((x) => x.level === 'warning');
/**
 * The violations of an event, errors and warnings, without missing-recommended noise, sorted by
 * path (the validator reports in the order it meets attributes, which follows the event's keys).
 */
function check(e: E, opts: Parameters<typeof validate>[2] = {}): Violation[] {
  return [...validate(schema, e, { missingRecommended: false, ...opts })].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
const err = (path: string, reason: string): Violation => ({ path, reason, level: 'error' });
const warn = (path: string, reason: string): Violation => ({ path, reason, level: 'warning' });

test('the shipped artifact loads: OCSF 1.8.0, 70+ classes, class 3002 requires what the OCSF source says', () => {
  assert.equal(schema.version, '1.8.0');
  assert.ok(schema.classes().length >= 70, `${schema.classes().length} classes`);
  const auth = schema.class(3002)!;
  assert.equal(auth.name, 'authentication');
  // base_event requires activity_id, category_uid, class_uid, metadata, severity_id, time, type_uid;
  // iam adds none; authentication adds user. The cloud and osint profiles require cloud and osint.
  const required = Object.entries(auth.attributes).filter(([, a]) => a.requirement === 'required');
  assert.deepEqual(required.filter(([, a]) => !a.profile).map(([n]) => n).sort(),
    ['activity_id', 'category_uid', 'class_uid', 'metadata', 'severity_id', 'time', 'type_uid', 'user']);
  assert.deepEqual(required.filter(([, a]) => a.profile).map(([n, a]) => `${n}:${String(a.profile)}`).sort(), ['cloud:cloud', 'osint:osint']);
  assert.deepEqual(auth.constraints, { at_least_one: ['service', 'dst_endpoint'] });
  assert.equal(schema.class('api_activity')!.uid, 6003);
  assert.equal(schema.class(4001)!.name, 'network_activity');
});

test('a valid Authentication event has no violations (and a valid one allocates no result)', () => {
  const e = authentication();
  assert.deepEqual(errors(validate(schema, e)), []);
  const a = validate(schema, e, { missingRecommended: false });
  assert.deepEqual(a, []);
  assert.equal(validate(schema, authentication(), { missingRecommended: false }), a, 'the empty result is one shared array');
  assert.ok(Object.isFrozen(a));
});

test('a valid API Activity event: derive, then no violations but missing recommended ones', () => {
  const e = apiActivity();
  derive(schema, e);
  assert.deepEqual(errors(validate(schema, e)), []);
  assert.deepEqual(check(e), []);
  const w = warnings(validate(schema, e));
  assert.ok(w.length > 0 && w.every((x) => x.reason === 'recommended attribute is missing'));
  assert.ok(w.some((x) => x.path === 'http_request.http_method'));
  assert.ok(w.some((x) => x.path === 'resources[1].name'));
  assert.ok(!w.some((x) => x.path === 'cloud.region'), 'present recommended attributes are not reported');
});

test('missing required attributes, at the top and inside present objects and arrays', () => {
  const e = authentication();
  delete e.user;
  e.time = null; // null counts as absent
  assert.deepEqual(check(e), [err('time', 'required attribute is missing'), err('user', 'required attribute is missing')]);
  const a = apiActivity();
  derive(schema, a);
  delete a.api.operation;
  a.observables = [{ name: 'src_endpoint.ip', value: '203.0.113.7', type_id: 2 }, { name: 'actor.user.name', value: 'bob' }];
  assert.deepEqual(check(a), [err('api.operation', 'required attribute is missing'), err('observables[1].type_id', 'required attribute is missing')]);
  const md = authentication();
  md.metadata = { version: '1.8.0' };
  assert.deepEqual(check(md), [err('metadata.product', 'required attribute is missing')]);
  delete md.metadata;
  assert.deepEqual(check(md), [err('metadata', 'required attribute is missing')]);
});

test('wrong types: timestamps, addresses, ports, integers, booleans, strings, arrays, objects', () => {
  const cases: [(e: E) => void, Violation][] = [
    [(e) => { e.time = '2024-06-10T06:13:20Z'; }, err('time', 'expected timestamp_t (integer milliseconds since the epoch), got string "2024-06-10T06:13:20Z"')],
    [(e) => { e.time = 1_718_000_000_000.5; }, err('time', 'expected timestamp_t (integer milliseconds since the epoch), got number 1718000000000.5')],
    [(e) => { e.src_endpoint.ip = '198.51.100.300'; }, err('src_endpoint.ip', 'expected ip_t (an IPv4 or IPv6 address), got string "198.51.100.300"')],
    [(e) => { e.dst_endpoint.mac = '00:1a:2b:3c:4d'; }, err('dst_endpoint.mac', 'expected mac_t (a MAC address such as 00:1a:2b:3c:4d:5e), got string "00:1a:2b:3c:4d"')],
    [(e) => { e.src_endpoint.port = 70000; }, err('src_endpoint.port', 'port_t must be 0..65535, got 70000')],
    [(e) => { e.src_endpoint.port = '22'; }, err('src_endpoint.port', 'expected port_t (an integer 0..65535), got string "22"')],
    [(e) => { e.severity_id = '1'; }, err('severity_id', 'expected integer_t (an integer), got string "1"')],
    [(e) => { e.count = 2 ** 40; }, err('count', 'integer_t is a 32-bit integer, got 1099511627776; use a long_t attribute for larger values')],
    [(e) => { e.is_remote = 'yes'; }, err('is_remote', 'expected boolean_t (true or false), got string "yes"')],
    [(e) => { e.user.name = 42; }, err('user.name', 'expected username_t (a string), got number 42')],
    [(e) => { e.auth_factors = { factor_type_id: 1 }; }, err('auth_factors', 'expected an array of auth_factor objects, got an object')],
    [(e) => { e.src_endpoint = '198.51.100.23'; }, err('src_endpoint', 'expected a network_endpoint object, got string "198.51.100.23"')],
    [(e) => { e.user = [{ name: 'alice' }]; }, err('user', 'expected a user object, got an array')],
    [(e) => { e.authentication_token = 'eyJ...'; }, err('authentication_token', 'expected an authentication_token object, got string "eyJ..."')],
    [(e) => { e.dst_endpoint.agent_list = [{ uid: 'a-1' }, null]; }, err('dst_endpoint.agent_list[1]', 'array element is null')],
  ];
  for (const [change, want] of cases) {
    const e = authentication();
    change(e);
    assert.deepEqual(check(e), [want], JSON.stringify(want));
  }
  const mail = authentication();
  mail.user.email_addr = 'alice at example.com';
  assert.deepEqual(check(mail), [warn('user.email_addr', `string "alice at example.com" does not match the email_t format /${schema.type('email_t')!.regex}/`)],
    'other formats are warnings, as in the OCSF validator');
  const v6 = authentication();
  v6.src_endpoint.ip = '2001:db8::23';
  v6.dst_endpoint.ip = 'fe80::1%eth0';
  assert.deepEqual(check(v6), []);
});

test('timestamps in seconds are flagged as a warning', () => {
  const e = authentication();
  e.time = 1_718_000_000;
  assert.deepEqual(check(e), [warn('time', 'timestamp 1718000000 is before 1973 as milliseconds; OCSF timestamps are milliseconds since the epoch (seconds multiplied by 1000?)')]);
});

test('unknown enum ids are errors, 99 (Other) takes any caption', () => {
  const e = authentication();
  e.activity_id = 42;
  delete e.activity_name;
  delete e.type_uid;
  delete e.type_name;
  assert.deepEqual(check(e), [
    err('activity_id', 'number 42 is not a defined activity_id value (defined: 0 Unknown, 1 Logon, 2 Logoff, 3 Authentication Ticket, 4 Service Ticket Request, 5 Service Ticket Renew, 6 Preauth, 7 Account Switch, 99 Other)'),
    err('type_uid', 'required attribute is missing'),
  ]);
  const o = authentication();
  Object.assign(o, { activity_id: 99, activity_name: 'Reauthenticate', type_uid: 300299, type_name: 'Authentication: Other' });
  assert.deepEqual(check(o), []);
  const n = authentication();
  n.user.type_id = 7;
  delete n.user.type;
  assert.equal(check(n)[0]!.path, 'user.type_id');
});

test('caption attributes that disagree with their id are errors, at the caption\'s path', () => {
  const e = authentication();
  e.activity_name = 'Logoff';
  e.user.type = 'Admin';
  e.severity = 'High';
  assert.deepEqual(check(e), [
    err('activity_name', '"Logoff" does not match activity_id 1 ("Logon"); the caption must match its id unless the id is 99 (Other)'),
    err('severity', '"High" does not match severity_id 1 ("Informational"); the caption must match its id unless the id is 99 (Other)'),
    err('user.type', '"Admin" does not match type_id 1 ("User"); the caption must match its id unless the id is 99 (Other)'),
  ]);
  const m = authentication();
  m.metadata.profiles = ['security_control'];
  m.malware = [{ name: 'EICAR', classification_ids: [1, 3], classifications: ['Adware', 'Worm'] }];
  assert.deepEqual(check(m), [err('malware[0].classifications[1]', '"Worm" does not match classification_ids[1] 3 ("Bot"); the caption must match its id unless the id is 99 (Other)')]);
});

test('derived fields that are wrong: category_uid, class_name, type_uid, type_name', () => {
  const e = authentication();
  Object.assign(e, { category_uid: 6, category_name: 'Application Activity', class_name: 'Auth', type_uid: 300202, type_name: 'Authentication: Logoff' });
  assert.deepEqual(check(e), [
    err('category_uid', 'category_uid is 6, but class authentication (3002) is in category 3 (Identity & Access Management)'),
    err('class_name', '"Auth" does not match class_uid 3002 ("Authentication"); the caption must match its id unless the id is 99 (Other)'),
    err('type_name', '"Authentication: Logoff" does not match class_uid 3002 and activity_id 1; expected "Authentication: Logon"'),
    err('type_uid', 'type_uid is 300202, expected 300201 (class_uid 3002 * 100 + activity_id 1)'),
  ]);
});

test('metadata.version must be the schema version; class_uid must name a class', () => {
  const e = authentication();
  e.metadata.version = '1.1.0';
  assert.deepEqual(check(e), [err('metadata.version', 'is "1.1.0", but the event is checked against OCSF 1.8.0; set metadata.version to "1.8.0"')]);
  delete e.metadata.version;
  assert.deepEqual(check(e), [err('metadata.version', 'required attribute is missing')]);
  assert.deepEqual(check({ ...authentication(), class_uid: 3999 }), [err('class_uid', 'no OCSF 1.8.0 class has class_uid 3999')]);
  const none = authentication();
  delete none.class_uid;
  assert.deepEqual(check(none), [err('class_uid', 'required attribute is missing; without it the event cannot be checked further')]);
  assert.deepEqual(check([] as unknown as E), [err('', 'an OCSF event must be a JSON object, got an array')]);
});

test('attributes the class or object does not define; unmapped, raw_data and json_t take anything', () => {
  const e = authentication();
  e.src_ip = '198.51.100.23';
  e.user.login = 'alice';
  e.unmapped = { anything: { at: ['all', 1, null] } };
  e.raw_data = '<38>Jun 10 06:13:20 bastion-1 sshd[4242]: Accepted password for alice';
  e.enrichments = [{ name: 'src_endpoint.ip', value: '198.51.100.23', data: { asn: 64496, tags: ['x'] } }];
  e.undefined_is_absent = undefined;
  assert.deepEqual(check(e), [
    err('src_ip', 'attribute is not defined in class authentication (3002)'),
    err('user.login', 'attribute is not defined in object user'),
  ]);
  const a = apiActivity();
  derive(schema, a);
  assert.deepEqual(check(a), [], 'api.request.data is json_t, unmapped is free-form');
});

test('constraints: at_least_one and just_one, on the class and in objects', () => {
  const e = authentication();
  delete e.service;
  delete e.dst_endpoint;
  e.user = { type_id: 1, type: 'User', domain: 'example.com' };
  assert.deepEqual(check(e), [
    err('', 'at least one of service, dst_endpoint is required (constraint of class authentication (3002))'),
    err('user', 'at least one of account, name, uid is required (constraint of object user)'),
  ]);
  const s: E = {
    class_uid: 3003, activity_id: 1, severity_id: 1, time: 1_718_000_000_000,
    metadata: { version: '1.8.0', product: { name: 'Windows', vendor_name: 'Microsoft' } },
    user: { name: 'alice' }, privileges: ['SeDebugPrivilege'], group: { name: 'Administrators' },
  };
  derive(schema, s);
  assert.deepEqual(check(s), [err('', 'exactly one of privileges, group is required, found 2 (constraint of class authorize_session (3003))')]);
  delete s.group;
  assert.deepEqual(check(s), []);
});

test('profile attributes are allowed only when metadata.profiles (or the options) list the profile', () => {
  const e = authentication();
  e.device = { hostname: 'bastion-1.example.com', type_id: 1, type: 'Server' };
  assert.deepEqual(check(e), [err('device', 'attribute belongs to profile "host", which metadata.profiles does not list')]);
  assert.deepEqual(check(e, { profiles: ['host'] }), []);
  e.metadata.profiles = ['host'];
  assert.deepEqual(check(e), []);
  e.metadata.profiles = ['host', 'cloud', 'clod'];
  assert.deepEqual(check(e), [
    err('cloud', 'required attribute is missing (required by profile "cloud")'),
    err('metadata.profiles[2]', 'unknown profile "clod"; OCSF 1.8.0 defines ai_operation, cloud, container, data_classification, datetime, host, incident, linux/linux_users, load_balancer, macos/macos_users, network_proxy, osint, security_control, trace'),
  ]);
  const d = authentication();
  d.time_dt = '2024-06-10T06:13:20Z';
  assert.equal(check(d)[0]!.reason, 'attribute belongs to profile "datetime", which metadata.profiles does not list');
  d.metadata.profiles = ['datetime'];
  assert.deepEqual(check(d), []);
});

test('warnings: missing recommended attributes and deprecated attributes', () => {
  const e = authentication();
  e.user.credential_uid = 'AKIAEXAMPLE';
  delete e.is_remote;
  const v = validate(schema, e);
  assert.deepEqual(errors(v), []);
  assert.ok(v.some((x) => x.path === 'is_remote' && x.reason === 'recommended attribute is missing' && x.level === 'warning'));
  assert.ok(v.some((x) => x.path === 'user.uid' && x.reason === 'recommended attribute is missing'));
  assert.deepEqual(v.filter((x) => x.path === 'user.credential_uid'), [warn('user.credential_uid', 'attribute is deprecated since 1.6.0: Use programmatic_credentials instead.')]);
  // The same again: cached warnings come back identical.
  assert.deepEqual(validate(schema, e), v);
});

test('derive fills every derived field and enum caption, and keeps what is there', () => {
  const e: E = {
    class_uid: 3002, activity_id: 2, severity_id: 4, status_id: 2, time: 1_718_000_000_000,
    metadata: { version: '1.8.0', product: { name: 'OpenSSH', vendor_name: 'OpenBSD' } },
    auth_protocol_id: 2, logon_type_id: 3, account_switch_type_id: 42,
    user: { name: 'alice', type_id: 2 },
    dst_endpoint: { ip: '192.0.2.10', type_id: 1 },
    observables: [{ name: 'dst_endpoint.ip', type_id: 2 }, { name: 'user.name', type_id: 4, type: 'Username (source)' }],
  };
  derive(schema, e);
  assert.deepEqual(
    { category_uid: e.category_uid, category_name: e.category_name, class_name: e.class_name, type_uid: e.type_uid, type_name: e.type_name, activity_name: e.activity_name, severity: e.severity, status: e.status, auth_protocol: e.auth_protocol, logon_type: e.logon_type },
    { category_uid: 3, category_name: 'Identity & Access Management', class_name: 'Authentication', type_uid: 300202, type_name: 'Authentication: Logoff', activity_name: 'Logoff', severity: 'High', status: 'Failure', auth_protocol: 'Kerberos', logon_type: 'Network' },
  );
  assert.equal(e.user.type, 'Admin');
  assert.equal(e.dst_endpoint.type, 'Server');
  assert.equal(e.observables[0].type, 'IP Address');
  assert.equal(e.observables[1].type, 'Username (source)', 'a present caption is kept');
  assert.equal(e.account_switch_type, undefined, 'an unknown id gets no caption');
  assert.deepEqual(check(e), [err('account_switch_type_id', 'number 42 is not a defined account_switch_type_id value (defined: 0 Unknown, 1 Substitute User, 2 Impersonate, 99 Other)'), err('observables[1].type', '"Username (source)" does not match type_id 4 ("User Name"); the caption must match its id unless the id is 99 (Other)')]);
  // Enum arrays get caption arrays.
  const f: E = { class_uid: 2004, activity_id: 1, severity_id: 3, time: 1_718_000_000_000, metadata: { version: '1.8.0', product: { name: 'Scanner', vendor_name: 'Example' } },
    finding_info: { uid: 'f-1', title: 'Malware', analytic: { type_id: 1 } }, malware: [{ name: 'EICAR', classification_ids: [1, 3] }] };
  derive(schema, f);
  assert.equal(f.type_name, 'Detection Finding: Create');
  assert.equal(f.finding_info.analytic.type, 'Rule');
  assert.deepEqual(f.malware[0].classifications, ['Adware', 'Bot']);
  // An unknown class: nothing to derive, nothing thrown.
  const u: E = { class_uid: 12345, activity_id: 1 };
  derive(schema, u);
  assert.deepEqual(u, { class_uid: 12345, activity_id: 1 });
});

test('deriveAndValidate gives what derive() then validate() give', () => {
  const variants: ((e: E) => void)[] = [
    () => {},
    (e) => { e.user.type = 'Admin'; },
    (e) => { delete e.status; e.status_id = 2; },
    (e) => { e.activity_id = 42; delete e.activity_name; delete e.type_uid; delete e.type_name; },
    (e) => { delete e.category_uid; delete e.category_name; delete e.class_name; e.user = { uid: 'S-1-5-21-1004', type_id: 3 }; },
    (e) => { e.device = { hostname: 'bastion-1.example.com', type_id: 1 }; e.action_id = 2; }, // profiles not listed
    (e) => { e.malware = [{ name: 'EICAR', classification_ids: [1, 3], classifications: ['Adware', 'Worm'] }]; e.metadata.profiles = ['security_control']; },
  ];
  for (const make of [authentication, apiActivity]) {
    for (const change of variants) {
      const a = make();
      const b = make();
      if (make === authentication) { change(a); change(b); }
      derive(schema, a);
      const want = validate(schema, a);
      const got = deriveAndValidate(schema, b);
      assert.deepEqual(b, a);
      assert.deepEqual([...got].sort(byPath), [...want].sort(byPath));
    }
  }
});
const byPath = (x: Violation, y: Violation) => (x.path + x.reason < y.path + y.reason ? -1 : 1);

test('trim removes empty optional (and recommended) attributes, never required ones', () => {
  const e = authentication();
  Object.assign(e, { status_detail: '', count: null, auth_factors: [], enrichments: [{}], unmapped: {}, http_request: { user_agent: '', referrer: '' } });
  e.user.groups = [];
  e.user.uid = '';
  e.time = null;
  trim(schema, e, 'recommended');
  for (const k of ['count', 'auth_factors', 'enrichments', 'unmapped']) assert.ok(!(k in e), k);
  assert.equal(e.status_detail, '', 'an empty recommended attribute stays with keep: recommended');
  assert.deepEqual(e.http_request, { user_agent: '' }, 'inside objects too');
  assert.ok(!('groups' in e.user));
  assert.equal(e.user.uid, '');
  assert.ok('time' in e, 'required attributes stay even when empty');
  trim(schema, e, 'required');
  assert.ok(!('status_detail' in e));
  assert.ok(!('http_request' in e), 'an object left empty goes too');
  assert.ok(!('uid' in e.user));
  assert.ok('time' in e);
  const full = authentication();
  const copy = structuredClone(full);
  trim(schema, full, 'required');
  assert.deepEqual(full, copy, 'nothing empty, nothing removed');
});

test('enumName and enumId', () => {
  assert.equal(enumName(schema, 3002, 'activity_id', 1), 'Logon');
  assert.equal(enumName(schema, 'user', 'type_id', 2), 'Admin');
  assert.equal(enumName(schema, 'authentication', 'auth_protocol_id', 2), 'Kerberos');
  assert.equal(enumName(schema, 'http_request', 'http_method', 'GET'), 'Get', 'string-valued enums too');
  assert.equal(enumName(schema, 3002, 'activity_id', 42), undefined);
  assert.equal(enumName(schema, 3002, 'no_such_attribute', 1), undefined);
  assert.equal(enumName(schema, 99999, 'activity_id', 1), undefined);
  assert.equal(enumId(schema, 3002, 'activity_id', 'Logoff'), 2);
  assert.equal(enumId(schema, 6003, 'activity_id', 'Read'), 2);
  assert.equal(enumId(schema, 'network_endpoint', 'type_id', 'Server'), 1);
  assert.equal(enumId(schema, 3002, 'activity_id', 'logoff'), undefined, 'captions are exact');
});
