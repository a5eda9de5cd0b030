// Benchmark of OCSF validate + derive (single core), on realistic events as packs produce them.
//   npx tsc -p tsconfig.json && node dist/bench/ocsf.bench.js [--quick]
// Target: validate + derive >= 150,000 events/s for a CloudTrail API Activity event (and for an
// Authentication event), 1,000,000 distinct events each.
//
// derive() mutates its event, so every event is used once. Events are built in batches of 1,000
// before the clock starts for that batch (like a streaming pipeline: events die young; building
// all 1,000,000 first would instead time V8 promoting a million live objects to the old
// generation). Only the validate + derive calls are timed.
import { loadSchema } from '../src/ocsf/schema.js';
import { derive, deriveAndValidate, validate, type ValidateOptions } from '../src/ocsf/validate.js';

const quick = process.argv.includes('--quick');
const N = quick ? 200_000 : 1_000_000;
const schema = loadSchema('1.8.0');
const now = () => Number(process.hrtime.bigint()) / 1e9;

const OPS = ['DescribeInstances', 'GetObject', 'PutObject', 'AssumeRole', 'ListBuckets', 'CreateUser', 'DeleteTrail', 'UpdateFunctionConfiguration'];
const ACT = [2, 2, 1, 99, 2, 1, 4, 3];

/** What a CloudTrail pack emits for one management event (ids only; derive fills the names). */
function apiActivity(i: number): Record<string, unknown> {
  const k = i & 7;
  return {
    class_uid: 6003,
    activity_id: ACT[k],
    ...(ACT[k] === 99 ? { activity_name: 'AssumeRole' } : {}),
    severity_id: 1,
    status_id: i % 13 === 0 ? 2 : 1,
    time: 1_700_000_000_000 + i * 17,
    message: `${OPS[k]} by bob`,
    metadata: {
      version: '1.8.0',
      product: { name: 'CloudTrail', vendor_name: 'AWS', version: '1.09', feature: { name: 'Management Events' } },
      uid: `c1b2c3d4-0000-4000-8000-${String(i).padStart(12, '0')}`,
      profiles: ['cloud'],
      event_code: 'AwsApiCall',
      log_name: 'management',
      original_time: new Date(1_700_000_000_000 + i * 17).toISOString(),
    },
    cloud: { provider: 'AWS', region: i % 3 ? 'us-east-1' : 'eu-west-1', account: { uid: '123456789012', type_id: 10 } },
    api: {
      operation: OPS[k],
      service: { name: 'ec2.amazonaws.com' },
      request: { uid: `d0e1f2a3-0000-4000-8000-${String(i).padStart(12, '0')}` },
      response: i % 13 === 0 ? { error: 'AccessDenied', message: 'User is not authorized to perform this operation' } : { code: 200 },
      version: '2016-11-15',
    },
    actor: {
      user: { type_id: 99, type: 'AssumedRole', uid: `AROAEXAMPLEID:bob${i % 50}`, name: `bob${i % 50}`, account: { uid: '123456789012', type_id: 10 } },
      session: { created_time: 1_699_999_000_000 + i, is_mfa: i % 2 === 0, issuer: 'arn:aws:iam::123456789012:role/Admin', uid: `ASIAEXAMPLE${i % 1000}` },
    },
    src_endpoint: { ip: `203.0.113.${i % 250}`, domain: i % 5 === 0 ? 'ec2.amazonaws.com' : undefined },
    http_request: { user_agent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64', http_method: 'POST' },
    resources: [
      { uid: `arn:aws:ec2:us-east-1:123456789012:instance/i-0abcd${i % 10000}`, type: 'AWS::EC2::Instance' },
      { uid: 'arn:aws:iam::123456789012:role/Admin', type: 'AWS::IAM::Role', owner: { account: { uid: '123456789012' } } },
    ],
    unmapped: { eventType: 'AwsApiCall', readOnly: true, recipientAccountId: '123456789012', tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256' } },
  };
}

/** What an sshd / identity-provider pack emits for a logon. */
function authentication(i: number): Record<string, unknown> {
  const ok = i % 4 !== 0;
  return {
    class_uid: 3002,
    activity_id: 1,
    severity_id: ok ? 1 : 3,
    status_id: ok ? 1 : 2,
    ...(ok ? {} : { status_detail: 'INVALID_CREDENTIALS' }),
    time: 1_700_000_000_000 + i * 31,
    message: `${ok ? 'Accepted' : 'Failed'} password for alice${i % 40} from 198.51.100.${i % 250} port ${1024 + (i % 60000)} ssh2`,
    metadata: {
      version: '1.8.0',
      product: { name: 'OpenSSH', vendor_name: 'OpenBSD' },
      profiles: ['host'],
      log_name: 'auth.log',
      original_time: `Nov 14 22:13:${String(i % 60).padStart(2, '0')}`,
    },
    auth_protocol_id: 99,
    auth_protocol: 'password',
    logon_type_id: 3,
    is_remote: true,
    is_mfa: false,
    user: { name: `alice${i % 40}`, type_id: 1 },
    src_endpoint: { ip: `198.51.100.${i % 250}`, port: 1024 + (i % 60000) },
    dst_endpoint: { hostname: 'bastion-1.example.com', ip: '192.0.2.10', port: 22 },
    device: { hostname: 'bastion-1.example.com', type_id: 1, ip: '192.0.2.10', os: { name: 'Linux', type_id: 200 } },
    service: { name: 'sshd' },
  };
}

interface Result { name: string; eps: number; cpuEps: number; violations: number; errors: number }
const results: Result[] = [];
/** CPU seconds of this process (all its threads, so V8's background GC threads count too). */
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

type Step = (e: Record<string, unknown>, opts: ValidateOptions | undefined) => readonly { level: string }[];
/** What the normalize step does per event: derive() then validate(). */
const separate: Step = (e, opts) => { derive(schema, e); return validate(schema, e, opts); };
/** The same in one walk. */
const combined: Step = (e, opts) => deriveAndValidate(schema, e, opts);

function run(name: string, make: (i: number) => Record<string, unknown>, step: Step, opts: ValidateOptions | undefined, n: number): void {
  const BATCH = 1000;
  const once = (count: number, offset: number): { secs: number; cpuSecs: number; violations: number; errors: number } => {
    let secs = 0;
    let cpuSecs = 0;
    let violations = 0;
    let errors = 0;
    const batch: Record<string, unknown>[] = new Array(BATCH);
    for (let done = 0; done < count; done += BATCH) {
      for (let i = 0; i < BATCH; i++) batch[i] = make(offset + done + i);
      const c0 = cpu();
      const t0 = now();
      for (let i = 0; i < BATCH; i++) {
        const v = step(batch[i]!, opts);
        if (v.length !== 0) {
          violations += v.length;
          for (const x of v) if (x.level === 'error') errors++;
        }
      }
      secs += now() - t0;
      cpuSecs += cpu() - c0;
    }
    return { secs, cpuSecs, violations, errors };
  };
  once(Math.min(n, 100_000), 0); // warm up: let V8 optimise before timing
  let best = 0;
  let bestCpu = 0;
  let last = { secs: 0, cpuSecs: 0, violations: 0, errors: 0 };
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    last = once(n, 1_000_000 * (r + 1));
    best = Math.max(best, n / last.secs);
    bestCpu = Math.max(bestCpu, n / last.cpuSecs);
  }
  results.push({ name, eps: best, cpuEps: bestCpu, violations: last.violations / n, errors: last.errors });
}

run('API Activity (CloudTrail): derive(); validate()', apiActivity, separate, undefined, N);
run('Authentication (sshd): derive(); validate()', authentication, separate, undefined, N);
run('API Activity: deriveAndValidate()', apiActivity, combined, undefined, N);
run('Authentication: deriveAndValidate()', authentication, combined, undefined, N);
run('API Activity: derive(); validate(), no missing-recommended', apiActivity, separate, { missingRecommended: false }, N);
run('Authentication: derive(); validate(), no missing-recommended', authentication, separate, { missingRecommended: false }, N);

const TARGET = 150_000;
const width = Math.max(...results.map((r) => r.name.length));
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9);
console.log(`Sluice OCSF validate + derive benchmark (single core, ${N.toLocaleString('en-US')} distinct events per line, best of ${quick ? 1 : 3})`);
console.log('events/s by wall time and by CPU time (CPU time is steadier when other processes share the machine)\n');
console.log(`${''.padEnd(width)}  ${'wall'.padStart(9)}  ${'CPU'.padStart(9)}  target`);
for (const r of results) {
  const ok = Math.max(r.eps, r.cpuEps) >= TARGET;
  console.log(`${r.name.padEnd(width)}  ${fmt(r.eps)}  ${fmt(r.cpuEps)}  >= ${TARGET.toLocaleString('en-US')} ${ok ? 'PASS' : 'FAIL'}` +
    `   (${r.violations.toFixed(1)} warnings/event, ${r.errors} errors)`);
}
if (results.some((r) => r.errors > 0)) {
  console.error('\nthe benchmark events are meant to be valid OCSF; some were not (see the error count)');
  process.exitCode = 1;
}
