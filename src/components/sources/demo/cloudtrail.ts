/**
 * CloudTrail records shaped like the real ones (eventVersion 1.08): console sign-ins with MFA
 * details, role assumptions, S3 reads, and account takeovers that end in persistence (CreateUser),
 * exposure (PutBucketPolicy with Principal "*") and covering tracks (DeleteTrail).
 */
import { UPPER_ALNUM, type Rng } from './rng.js';
import { isoSeconds, type DemoEvent, type Line, type Scenario } from './scenario.js';

const ACCOUNT = '123456789012';
const USERS = [
  { name: 'alice', id: 'AIDACKCEVSQ6C2EXAMPLE', office: '198.51.100.10' },
  { name: 'bob', id: 'AIDAJ45Q7YFFAREXAMPLE', office: '198.51.100.10' },
  { name: 'carol', id: 'AIDAIQ3WQDRM7BEXAMPLE', office: '192.0.2.44' },
];
const ROLE = { name: 'deploy-role', id: 'AROAJ2UCCR6DPCEXAMPLE' };
const BUCKETS = ['acme-app-assets', 'acme-invoices', 'acme-logs-archive'];
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CLI = (cmd: string) => `aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/${cmd}`;
const BOTO = 'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.79 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69';

type Rec = Record<string, unknown>;

const accessKey = (rng: Rng, prefix: 'AKIA' | 'ASIA') => prefix + rng.chars(16, UPPER_ALNUM);

function iamUser(rng: Rng, u: (typeof USERS)[number], t: number, mfa: boolean): Rec {
  return {
    type: 'IAMUser', principalId: u.id, arn: `arn:aws:iam::${ACCOUNT}:user/${u.name}`, accountId: ACCOUNT,
    accessKeyId: accessKey(rng, 'ASIA'), userName: u.name,
    sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { creationDate: isoSeconds(t - 600_000), mfaAuthenticated: String(mfa) } },
  };
}

function assumedRole(rng: Rng, session: string, t: number): Rec {
  return {
    type: 'AssumedRole', principalId: `${ROLE.id}:${session}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE.name}/${session}`,
    accountId: ACCOUNT, accessKeyId: accessKey(rng, 'ASIA'),
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: ROLE.id, arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE.name}`, accountId: ACCOUNT, userName: ROLE.name },
      webIdFederationData: {}, attributes: { creationDate: isoSeconds(t - 300_000), mfaAuthenticated: 'false' },
    },
  };
}

/** Event-specific fields of a record; absent ones are left out of the JSON. */
interface Extra {
  requestParameters?: Rec; responseElements?: Rec; additionalEventData?: Rec; errorMessage?: string; resources?: Rec[];
}

/**
 * One record, built as a single object literal in CloudTrail's field order: a fixed shape keeps
 * JSON.stringify fast (spreading the extra fields in made record() 2x slower), and undefined
 * fields are simply not written.
 */
function record(rng: Rng, t: number, userIdentity: Rec, source: string, name: string, region: string, ip: string, ua: string, x: Extra): DemoEvent {
  const management = !(source === 's3.amazonaws.com' && (name === 'GetObject' || name === 'PutObject'));
  const api = name !== 'ConsoleLogin';
  const r = {
    eventVersion: '1.08', userIdentity, eventTime: isoSeconds(t), eventSource: source, eventName: name,
    awsRegion: region, sourceIPAddress: ip, userAgent: ua,
    errorMessage: x.errorMessage,
    requestParameters: x.requestParameters ?? null,
    responseElements: x.responseElements ?? null,
    additionalEventData: x.additionalEventData,
    requestID: api ? rng.uuid() : undefined,
    eventID: rng.uuid(),
    readOnly: name.startsWith('Get') || name.startsWith('List') || name.startsWith('Describe'),
    resources: x.resources,
    eventType: api ? 'AwsApiCall' : 'AwsConsoleSignIn',
    managementEvent: management,
    recipientAccountId: ACCOUNT,
    eventCategory: management ? 'Management' : 'Data',
    tlsDetails: api ? { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: hostHeader(source, region) } : undefined,
  };
  return { message: JSON.stringify(r), source_type: 'cloudtrail', timestamp: new Date(t).toISOString() };
}

/** IAM and STS answer on global endpoints; the others on regional ones. */
function hostHeader(source: string, region: string): string {
  return source === 'iam.amazonaws.com' || source === 'signin.amazonaws.com' ? source : source.replace('.amazonaws.com', `.${region}.amazonaws.com`);
}

function consoleLogin(rng: Rng, t: number, u: (typeof USERS)[number], ip: string, ok: boolean, mfa: boolean): DemoEvent {
  const identity: Rec = ok ? { type: 'IAMUser', principalId: u.id, arn: `arn:aws:iam::${ACCOUNT}:user/${u.name}`, accountId: ACCOUNT, userName: u.name }
    : { type: 'IAMUser', principalId: u.id, accountId: ACCOUNT, accessKeyId: '', userName: u.name };
  return record(rng, t, identity, 'signin.amazonaws.com', 'ConsoleLogin', 'us-east-1', ip, BROWSER, {
    responseElements: { ConsoleLogin: ok ? 'Success' : 'Failure' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: mfa ? 'Yes' : 'No' },
    ...(ok ? {} : { errorMessage: 'Failed authentication' }),
  });
}

function getObject(rng: Rng, t: number): DemoEvent {
  const bucket = rng.pick(BUCKETS);
  const key = `${rng.pick(['img', 'exports', 'reports'])}/${rng.chars(12, '0123456789abcdef')}.${rng.pick(['png', 'csv', 'pdf'])}`;
  return record(rng, t, assumedRole(rng, `i-0${rng.chars(16, '0123456789abcdef')}`, t), 's3.amazonaws.com', 'GetObject', 'us-east-1', `10.0.${rng.int(1, 3)}.${rng.int(10, 250)}`, BOTO, {
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, key },
    additionalEventData: { bytesTransferredIn: 0, bytesTransferredOut: rng.int(2000, 900000), 'x-amz-id-2': rng.chars(40, UPPER_ALNUM) },
    resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` }, { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
  });
}

function assumeRole(rng: Rng, t: number): DemoEvent {
  const session = `gh-actions-${rng.int(100000, 999999)}`;
  const user = { type: 'IAMUser', principalId: 'AIDAV6IKV4GDEPLOYEXMP', arn: `arn:aws:iam::${ACCOUNT}:user/deploy`, accountId: ACCOUNT, accessKeyId: accessKey(rng, 'AKIA'), userName: 'deploy' };
  return record(rng, t, user, 'sts.amazonaws.com', 'AssumeRole', 'us-east-1', '10.0.9.10', BOTO, {
    requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${ROLE.name}`, roleSessionName: session, durationSeconds: 3600 },
    responseElements: {
      credentials: { accessKeyId: accessKey(rng, 'ASIA'), sessionToken: `IQoJb3JpZ2luX2VjE${rng.chars(40, UPPER_ALNUM)}`, expiration: new Date(Math.floor(t / 1000) * 1000 + 3_600_000).toUTCString() },
      assumedRoleUser: { assumedRoleId: `${ROLE.id}:${session}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE.name}/${session}` },
    },
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/${ROLE.name}` }],
  });
}

export const cloudtrail: Scenario = {
  weight: 2,
  firstAttack: [100, 300],
  attackEvery: [400, 900],

  background(rng, t) {
    const kind = rng.weighted([['get', 5], ['assume', 2], ['login', 1.5], ['describe', 2], ['login_fail', 0.3]] as const);
    const u = rng.pick(USERS);
    switch (kind) {
      case 'get': return getObject(rng, t);
      case 'assume': return assumeRole(rng, t);
      case 'login': return consoleLogin(rng, t, u, u.office, true, true);
      case 'login_fail': return consoleLogin(rng, t, u, u.office, false, false); // a typo, once in a while
      case 'describe':
        return record(rng, t, iamUser(rng, u, t, true), 'ec2.amazonaws.com', 'DescribeInstances', rng.pick(['us-east-1', 'eu-west-1']), u.office, CLI('ec2.describe-instances'), {
          requestParameters: { instancesSet: {}, filterSet: {}, includeAllInstances: false },
        });
    }
  },

  attack(rng) {
    const ip = rng.ip24('203.0.113');
    const victim = rng.pick(USERS);
    const fails = rng.int(3, 8);
    const lines: Line[] = [];
    for (let i = 0; i < fails; i++) lines.push((t) => consoleLogin(rng, t, victim, ip, false, false));
    // The password is found; the account has no MFA enforced, so the login succeeds without it.
    lines.push((t) => consoleLogin(rng, t, victim, ip, true, false));
    const backdoor = rng.pick(['support-backup', 'svc-monitoring', 'admin2']);
    const bucket = rng.pick(BUCKETS);
    lines.push(
      (t) => record(rng, t, iamUser(rng, victim, t, false), 'iam.amazonaws.com', 'CreateUser', 'us-east-1', ip, CLI('iam.create-user'), {
        requestParameters: { userName: backdoor },
        responseElements: { user: { path: '/', userName: backdoor, userId: `AIDA${rng.chars(17, UPPER_ALNUM)}`, arn: `arn:aws:iam::${ACCOUNT}:user/${backdoor}`, createDate: new Date(Math.floor(t / 1000) * 1000).toUTCString() } },
      }),
      (t) => record(rng, t, iamUser(rng, victim, t, false), 's3.amazonaws.com', 'PutBucketPolicy', 'us-east-1', ip, CLI('s3api.put-bucket-policy'), {
        requestParameters: {
          bucketName: bucket, Host: `${bucket}.s3.us-east-1.amazonaws.com`, policy: '',
          bucketPolicy: { Version: '2012-10-17', Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] },
        },
        resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      }),
    );
    if (rng.chance(0.6)) {
      lines.push((t) => record(rng, t, iamUser(rng, victim, t, false), 'cloudtrail.amazonaws.com', 'DeleteTrail', 'us-east-1', ip, CLI('cloudtrail.delete-trail'), {
        requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/org-trail` },
      }));
    }
    return lines;
  },
};
