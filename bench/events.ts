/**
 * Deterministic security events for benchmarks: ~550-byte NDJSON records (sshd auth, web access,
 * CloudTrail-like API calls) from a seeded PRNG, so every run measures the same bytes.
 */
import { createWriteStream } from 'node:fs';

/** mulberry32: tiny, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const users = ['alice', 'bob', 'carol', 'deploy', 'root', 'admin', 'svc-backup', 'mallory'];
const hosts = ['bastion-1', 'web-01', 'web-02', 'db-01', 'ci-runner-3'];
const actions = ['ConsoleLogin', 'AssumeRole', 'GetObject', 'PutObject', 'CreateUser', 'DeleteTrail', 'DescribeInstances'];
const agents = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', 'sqlmap/1.8.2#stable (https://sqlmap.org)', 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 botocore/2.4.5', 'curl/8.5.0'];

export function makeEvent(r: () => number, i: number): Record<string, unknown> {
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!;
  const ip = () => `${pick(['10.0', '192.168', '203.0.113', '198.51.100'])}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`.split('.').slice(0, 4).join('.');
  const kind = i % 3;
  const base = {
    timestamp: new Date(1_763_900_000_000 + i * 37).toISOString(),
    host: pick(hosts),
    event_id: `evt-${i.toString(16).padStart(10, '0')}-${Math.floor(r() * 1e9).toString(36)}`,
    severity: pick(['info', 'info', 'info', 'notice', 'warning', 'error']),
    trace_id: Math.floor(r() * 2 ** 52).toString(16).padStart(13, '0') + Math.floor(r() * 2 ** 52).toString(16).padStart(13, '0'),
    labels: { env: pick(['prod', 'staging']), team: pick(['platform', 'payments', 'identity']), region: pick(['eu-west-1', 'us-east-1']), cluster: `k8s-${pick(['a', 'b', 'c'])}`, service: pick(['auth-gateway', 'billing-api', 'edge-proxy']) },
  };
  if (kind === 0) {
    const ok = r() > 0.3;
    return { ...base, source_type: 'sshd', user: pick(users), src_ip: ip(), src_port: 1024 + Math.floor(r() * 60000), outcome: ok ? 'success' : 'failure', auth_method: pick(['password', 'publickey']), message: `${ok ? 'Accepted' : 'Failed'} password for ${pick(users)} from ${ip()} port ${Math.floor(r() * 65535)} ssh2`, process: { name: 'sshd', pid: Math.floor(r() * 65535) }, tags: ['auth', 'linux'] };
  }
  if (kind === 1) {
    return { ...base, source_type: 'web', src_ip: ip(), method: pick(['GET', 'GET', 'POST', 'HEAD']), path: pick(['/', '/login', '/api/v1/users?id=42', '/wp-login.php', '/../../etc/passwd', '/static/app.js']), status: pick([200, 200, 200, 301, 404, 403, 500]), bytes: Math.floor(r() * 50000), user_agent: pick(agents), referrer: 'https://www.example.com/', duration_ms: Math.round(r() * 3000) / 10 };
  }
  return { ...base, source_type: 'cloudtrail', event_name: pick(actions), event_source: pick(['signin.amazonaws.com', 's3.amazonaws.com', 'iam.amazonaws.com', 'cloudtrail.amazonaws.com']), aws_region: pick(['us-east-1', 'eu-west-1']), src_ip: ip(), user_identity: { type: 'IAMUser', arn: `arn:aws:iam::123456789012:user/${pick(users)}`, account_id: '123456789012' }, user_agent: pick(agents), error_code: r() > 0.9 ? 'AccessDenied' : null, request_id: Math.floor(r() * 1e12).toString(16) };
}

/** Write `count` events as NDJSON; resolves with the byte count. */
export async function writeEvents(path: string, count: number, seed = 42): Promise<number> {
  const r = prng(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const line = JSON.stringify(makeEvent(r, i)) + '\n';
    bytes += Buffer.byteLength(line);
    chunk += line;
    if (chunk.length > 1 << 20) { if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res())); chunk = ''; }
  }
  out.write(chunk);
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  return bytes;
}
