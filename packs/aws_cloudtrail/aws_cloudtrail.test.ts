import { test } from 'node:test';
import assert from 'node:assert/strict';
import pack from './index.js';
import { asJson, events, packFiles, testContext } from '../test-kit.js';

const { read, samples: sampleFiles } = packFiles('aws_cloudtrail');
const ctx = testContext(Date.UTC(2024, 4, 14, 12));
const samples = sampleFiles();

// As sinks write them: absent attributes may be undefined members.
const mapOk = (e: Record<string, unknown>) => asJson(events(pack.map(e, ctx), 'the event'));

/** A minimal API call record; `over` replaces or adds fields. */
function call(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09', eventTime: '2024-05-14T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser',
    awsRegion: 'us-east-1', sourceIPAddress: '192.0.2.10', userAgent: 'aws-cli/2.15.30', requestID: 'req-1', eventID: 'evt-1',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' },
    eventType: 'AwsApiCall', recipientAccountId: '111122223333', ...over,
  };
}

test('every sample maps to its reviewed OCSF output', () => {
  assert.ok(samples.length >= 5);
  for (const f of samples) {
    assert.deepEqual(mapOk(read('samples', f)), read('expected', f), f);
  }
});

test('a {"Records": [...]} log file is one input that becomes one OCSF event per record, in order', () => {
  const events = mapOk(read('samples', 'records-file.json'));
  assert.deepEqual(events.map((e) => (e.api as { operation: string }).operation), ['GetObject', 'AssumeRole', 'DeleteTrail']);
  assert.deepEqual(mapOk({ Records: [] }), []);
});

test('detect() recognises records and log files, and nothing else', () => {
  for (const f of samples) assert.ok(pack.detect(read('samples', f)), f);
  const others: Record<string, unknown>[] = [
    {},
    { message: 'Accepted password for root from 203.0.113.5 port 22 ssh2' },
    // S3 event notifications also come as Records with eventSource/eventName/eventTime.
    { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: '2024-05-14T10:00:00.000Z', s3: {} }] },
    { uuid: 'x', published: '2024-05-14T10:00:00Z', eventType: 'user.session.start', actor: {} },
    { kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'get', auditID: 'x' },
    { Records: 'not an array' },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

test('activity_id comes from the verb of eventName, and readOnly: true means Read', () => {
  const activity = (eventName: string, readOnly?: boolean) => mapOk(call({ eventName, readOnly }))[0]!.activity_id;
  assert.equal(activity('CreateUser'), 1);
  assert.equal(activity('PutBucketPolicy'), 1);
  assert.equal(activity('RunInstances'), 1);
  assert.equal(activity('DescribeInstances'), 2);
  assert.equal(activity('BatchGetItem'), 2);
  assert.equal(activity('UpdateFunctionConfiguration20150331v2'), 3);
  assert.equal(activity('AttachRolePolicy'), 3);
  assert.equal(activity('TerminateInstances'), 4);
  assert.equal(activity('DetachRolePolicy'), 4);
  assert.equal(activity('Decrypt', true), 2);
  assert.equal(activity('Decrypt', false), 99);
  assert.equal(activity('ScheduleKeyDeletion'), 99);
});

test('a failed call has status Failure with the error code and message on the event and in api.response', () => {
  const [e] = mapOk(call({ errorCode: 'AccessDenied', errorMessage: 'not authorized' }));
  assert.equal(e!.status_id, 2);
  assert.equal(e!.status_code, 'AccessDenied');
  assert.deepEqual((e!.api as Record<string, unknown>).response, { error: 'AccessDenied', error_message: 'not authorized' });
  assert.equal(mapOk(call())[0]!.status_id, 1);
});

test('a sign-in event that is not a logon stays API Activity, its Failure read from responseElements', () => {
  const [e] = mapOk(call({ eventSource: 'signin.amazonaws.com', eventName: 'PasswordUpdated', eventType: 'AwsConsoleSignIn', requestID: undefined, responseElements: { PasswordUpdated: 'Failure' } }));
  assert.equal(e!.class_uid, 6003);
  assert.equal(e!.status_id, 2);
});

test('a non-IP sourceIPAddress is the calling service, and requestParameters without a requestID stay in unmapped', () => {
  const [e] = mapOk(call({ sourceIPAddress: 'cloudformation.amazonaws.com', requestID: undefined, requestParameters: { userName: 'svc' } }));
  assert.deepEqual(e!.src_endpoint, { svc_name: 'cloudformation.amazonaws.com' });
  assert.equal((e!.api as Record<string, unknown>).request, undefined);
  assert.deepEqual((e!.unmapped as Record<string, unknown>).requestParameters, { userName: 'svc' });
});

test('fields the mapping does not use are kept under unmapped; the input is not modified', () => {
  const input = call({ additionalEventData: { bytesTransferredOut: 12 }, userIdentity: { type: 'Unknown', principalId: 'x', sessionContext: { sourceIdentity: 'jdoe' } } });
  const before = JSON.stringify(input);
  const [e] = mapOk(input);
  assert.equal(JSON.stringify(input), before);
  assert.deepEqual(e!.unmapped, { additionalEventData: { bytesTransferredOut: 12 }, userIdentity: { sessionContext: { sourceIdentity: 'jdoe' } }, eventType: 'AwsApiCall' });
  assert.deepEqual((e!.actor as Record<string, unknown>).user, { type_id: 99, type: 'Unknown', uid_alt: 'x' });
});

test('a resources[] entry without an ARN keeps the whole array in unmapped', () => {
  const resources = [{ type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b' }, { type: 'AWS::S3::Object' }];
  const [e] = mapOk(call({ resources }));
  assert.deepEqual(e!.resources, [{ uid: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket' }]);
  assert.deepEqual((e!.unmapped as Record<string, unknown>).resources, resources);
});

test('bad input returns { ok: false } with a precise reason and never throws', () => {
  const reason = (e: Record<string, unknown>) => {
    const r = pack.map(e, ctx);
    assert.equal(r.ok, false, JSON.stringify(e));
    return (r as { reason: string }).reason;
  };
  assert.match(reason(call({ eventTime: 'yesterday' })), /^aws_cloudtrail: eventTime is missing or not a time \("yesterday"\)/);
  assert.match(reason(call({ eventTime: undefined })), /eventTime is missing/);
  assert.match(reason({ Records: [call(), 42] }), /^aws_cloudtrail: Records\[1\]: is not a JSON object/);
  assert.match(reason({ Records: [call(), call({ eventName: '' })] }), /Records\[1\]: eventName is missing/);
  assert.match(reason(call({ sourceIPAddress: undefined })), /sourceIPAddress is missing/);
  assert.match(reason(call({ userIdentity: {} })), /userIdentity names no caller/);
  assert.match(reason(call({ eventType: 'AwsCloudTrailInsight' })), /Insights events/);
  assert.match(reason(call({ eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', userIdentity: 'root' })), /ConsoleLogin has no userIdentity/);
  assert.match(reason({ hello: 'world' }), /not a CloudTrail record/);
  // Wrong types anywhere must not throw.
  for (const junk of [{ userIdentity: [] }, { resources: 'x' }, { resources: [null, 1] }, { responseElements: 'x' }, { readOnly: 'yes' }, { eventSource: 7 }]) {
    assert.doesNotThrow(() => pack.map(call(junk), ctx));
  }
});
