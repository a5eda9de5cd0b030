import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SinkRuntime } from '../../../core/component.js';
import { checkConfig, quietLog, testBuildContext } from '../../../engine/testing.js';
import def from './index.js';

const NAME = 'email (real SMTP server: smtp-server on 127.0.0.1)';
const fast = { initial_backoff: '10ms', max_backoff: '50ms', jitter: 'none' };

// A throwaway self-signed certificate for 127.0.0.1, made for this run (its key protects nothing).
const certDir = mkdtempSync(join(tmpdir(), 'sluice-email-tls-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
  '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
const KEY = readFileSync(join(certDir, 'key.pem'));
const CERT = readFileSync(join(certDir, 'cert.pem'));
const CA_FILE = join(certDir, 'cert.pem');
after(() => rmSync(certDir, { recursive: true, force: true }));

interface Received { from: string; to: string[]; secure: boolean; user: string | undefined; raw: string }
interface Fail { code: number; message: string }

/** A real SMTP server on 127.0.0.1 that keeps what it receives and can refuse as scripted. */
async function smtp(opts: { options?: Partial<SMTPServerOptions>; rcpt?: (address: string) => Fail | null; data?: (n: number) => Fail | null } = {}) {
  const received: Received[] = [];
  const auths: string[] = [];
  let dataCount = 0;
  const refuse = (f: Fail) => Object.assign(new Error(f.message), { responseCode: f.code });
  const srv = new SMTPServer({
    key: KEY, cert: CERT, logger: false, authOptional: true, disabledCommands: [],
    onAuth(auth, _session, cb) {
      auths.push(auth.username ?? '');
      if (auth.username === 'sluice' && auth.password === 'pw-123') cb(null, { user: auth.username });
      else cb(refuse({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
    },
    onRcptTo(address, _session, cb) { const f = opts.rcpt?.(address.address); cb(f ? refuse(f) : undefined); },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const f = opts.data?.(dataCount++);
        if (f) { cb(refuse(f)); return; }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure, user: session.user as string | undefined, raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb(null);
      });
    },
    ...opts.options,
  });
  // A client that refuses the certificate ends the handshake: the server reports it as an error.
  const errors: Error[] = [];
  srv.on('error', (e) => errors.push(e));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.server.address() as AddressInfo).port;
  return { port, received, auths, errors, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

// ---- A small MIME reader: headers, multipart/alternative, quoted-printable, base64, encoded words.

function decodeWords(v: string): string {
  return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : qp(text.replace(/_/g, ' ')));
}
function qp(s: string): string {
  const bytes: number[] = [];
  const t = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '=' && /^[0-9A-F]{2}$/i.test(t.slice(i + 1, i + 3))) { bytes.push(parseInt(t.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(...Buffer.from(t[i]!));
  }
  return Buffer.from(bytes).toString('utf8');
}
interface Part { headers: Record<string, string>; body: string }
function parsePart(raw: string): Part {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) { const c = line.indexOf(':'); headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim(); }
  let body = raw.slice(at + 4);
  const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (cte === 'quoted-printable') body = qp(body);
  else if (cte === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { headers, body: body.replace(/\r\n/g, '\n') };
}
function readMail(raw: string): { subject: string; headers: Record<string, string>; text: string; html: string | null } {
  const top = parsePart(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(top.headers['content-type'] ?? '')?.[1];
  let text = top.body;
  let html: string | null = null;
  if (boundary) {
    const parts = raw.split(`--${boundary}`).slice(1, -1).map((p) => parsePart(p.replace(/^\r\n/, '')));
    text = parts.find((p) => /^text\/plain/.test(p.headers['content-type'] ?? ''))!.body;
    html = parts.find((p) => /^text\/html/.test(p.headers['content-type'] ?? ''))?.body ?? null;
  }
  return { subject: decodeWords(top.headers.subject ?? ''), headers: top.headers, text, html };
}

// ---- The sink

const finding = (title = 'SSH brute force', over: Record<string, unknown> = {}) => ({
  class_uid: 2004, time: Date.parse('2024-11-23T10:00:05Z'), severity: 'High', severity_id: 4,
  message: 'Failed password for root from 203.0.113.50 <script>',
  finding_info: { title, uid: 'f-1', analytic: { name: 'SSH brute force', uid: 'sigma-1234' } },
  attacks: [{ technique: { uid: 'T1110', name: 'Brute Force' } }],
  evidences: [{ src_endpoint: { ip: '203.0.113.50' }, data: { device: { hostname: 'bastion-1' } } }],
  ...over,
});

async function sink(raw: Record<string, unknown>): Promise<SinkRuntime> {
  return (await def.build(checkConfig(def, { host: '127.0.0.1', from: 'Sluice <sluice@example.com>', to: ['soc@example.com'], tls: { ca_file: CA_FILE }, ...raw }) as never, testBuildContext())) as SinkRuntime;
}
async function write(rt: SinkRuntime, events: Record<string, unknown>[]) {
  try { return await rt.write(events, { id: 'test', signal: new AbortController().signal, log: quietLog }); } finally { await rt.stop?.(); }
}

test(`${NAME}: STARTTLS (required) and AUTH, one email per alert with the default subject and body`, async () => {
  const s = await smtp();
  try {
    const res = await write(await sink({ port: s.port, auth: { user: 'sluice', password: 'pw-123' }, to: ['soc@example.com', 'oncall@example.com'] }), [finding(), { message: 'Disk 90% full on web-1', hostname: 'web-1' }]);
    assert.equal(res, undefined);
    assert.equal(s.received.length, 2);
    const [m1, m2] = s.received;
    assert.equal(m1!.secure, true, 'upgraded with STARTTLS before anything was sent');
    assert.equal(m1!.user, 'sluice');
    assert.equal(m1!.from, 'sluice@example.com');
    assert.deepEqual(m1!.to, ['soc@example.com', 'oncall@example.com']);
    const mail = readMail(m1!.raw);
    assert.equal(mail.subject, '[Sluice] [High] SSH brute force');
    assert.match(mail.headers.from!, /Sluice <sluice@example.com>/);
    const lines = mail.text.split('\n');
    assert.deepEqual(lines.slice(0, 11), [
      'SSH brute force',
      '',
      'Severity:  High',
      'Rule:      SSH brute force',
      'Rule id:   sigma-1234',
      'Time:      2024-11-23 10:00:05 UTC',
      'Host:      bastion-1',
      'Source IP: 203.0.113.50',
      'ATT&CK:    T1110',
      'Finding:   f-1',
      '',
    ]);
    assert.ok(mail.text.includes('Failed password for root from 203.0.113.50 <script>'));
    assert.ok(mail.text.includes('The alert as Sluice received it:\n{\n  "class_uid": 2004,'));
    assert.ok(mail.html!.includes('Failed password for root from 203.0.113.50 &lt;script&gt;'), 'the HTML alternative escapes values');
    assert.ok(!mail.html!.includes('<script>'));
    const flat = readMail(m2!.raw);
    assert.equal(flat.subject, '[Sluice] [alert] Disk 90% full on web-1');
    assert.ok(flat.text.startsWith('Disk 90% full on web-1\n\nTime:      '), 'facts the event lacks are left out');
    assert.ok(flat.text.includes('Host:      web-1'));
  } finally { await s.close(); }
});

test(`${NAME}: starttls: required refuses to send when the server cannot STARTTLS; nothing, not even AUTH, goes in clear`, async () => {
  const s = await smtp({ options: { disabledCommands: ['STARTTLS'] } });
  try {
    const res = await write(await sink({ port: s.port, auth: { user: 'sluice', password: 'pw-123' }, retry: fast }), [finding(), finding()]);
    assert.equal(s.received.length, 0);
    assert.deepEqual(s.auths, [], 'the password was never sent');
    assert.deepEqual(res?.rejected?.map((r) => r.index), [0, 1]);
    assert.match(res!.rejected![0]!.reason, /smtp:\/\/127\.0\.0\.1:\d+ did not accept STARTTLS: the server answered 500 .*; with starttls: required nothing is sent in clear/);
  } finally { await s.close(); }
});

test(`${NAME}: starttls: opportunistic upgrades when offered and sends in clear when not; never stays in clear`, async () => {
  const offered = await smtp();
  const plain = await smtp({ options: { disabledCommands: ['STARTTLS'] } });
  try {
    await write(await sink({ port: offered.port, starttls: 'opportunistic' }), [finding()]);
    await write(await sink({ port: plain.port, starttls: 'opportunistic' }), [finding()]);
    await write(await sink({ port: offered.port, starttls: 'never' }), [finding()]);
    assert.deepEqual(offered.received.map((m) => m.secure), [true, false]);
    assert.deepEqual(plain.received.map((m) => m.secure), [false]);
  } finally { await offered.close(); await plain.close(); }
});

test(`${NAME}: secure: true speaks TLS from the first byte; an untrusted certificate is retried then fails unless verify is off`, async () => {
  const s = await smtp({ options: { secure: true } });
  try {
    await write(await sink({ port: s.port, secure: true }), [finding()]);
    assert.equal(s.received.length, 1);
    assert.equal(s.received[0]!.secure, true);
    await assert.rejects(write(await sink({ port: s.port, secure: true, tls: {}, retry: { ...fast, attempts: 1 } }), [finding()]), /gave up after 2 attempts; last error: SMTP to smtp:\/\/127\.0\.0\.1:\d+ failed: self-signed certificate/);
    await write(await sink({ port: s.port, secure: true, tls: { verify: false } }), [finding()]);
    assert.equal(s.received.length, 2);
  } finally { await s.close(); }
});

test(`${NAME}: a 550 reply is permanent: the alert is rejected with the server's reply and not retried`, async () => {
  let tries = 0;
  const s = await smtp({ rcpt: (a) => { tries++; return a === 'gone@example.com' ? { code: 550, message: '5.1.1 <gone@example.com>: mailbox unavailable' } : null; } });
  try {
    const res = await write(await sink({ port: s.port, to: 'gone@example.com', retry: fast }), [finding()]);
    assert.equal(tries, 1);
    assert.deepEqual(res?.rejected?.map((r) => [r.index, r.retriable ?? false]), [[0, false]]);
    assert.match(res!.rejected![0]!.reason, /answered RCPT TO with 550 5\.1\.1 <gone@example\.com>: mailbox unavailable \(permanent; not retried\)/);
    // One refused recipient among others: delivered to the rest.
    assert.equal(await write(await sink({ port: s.port, to: ['gone@example.com', 'soc@example.com'] }), [finding()]), undefined);
    assert.deepEqual(s.received.map((m) => m.to), [['soc@example.com']]);
  } finally { await s.close(); }
});

test(`${NAME}: a 451 reply is temporary: retried, and the email arrives once`, async () => {
  const s = await smtp({ data: (n) => (n === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : null) });
  try {
    assert.equal(await write(await sink({ port: s.port, retry: fast }), [finding()]), undefined);
    assert.equal(s.received.length, 1);
  } finally { await s.close(); }
  const down = await smtp({ data: () => ({ code: 451, message: '4.3.0 try again later' }) });
  try {
    await assert.rejects(write(await sink({ port: down.port, retry: { ...fast, attempts: 2 } }), [finding()]), /gave up after 3 attempts; last error: .* answered DATA with 451 4\.3\.0 try again later/);
  } finally { await down.close(); }
});

test(`${NAME}: wrong credentials (535) reject the alerts with the server's reply`, async () => {
  const s = await smtp();
  try {
    const res = await write(await sink({ port: s.port, auth: { user: 'sluice', password: 'wrong' }, retry: fast }), [finding(), finding()]);
    assert.deepEqual(s.auths, ['sluice', 'sluice'], 'one try per email, no retries');
    assert.match(res!.rejected![0]!.reason, /answered AUTH PLAIN with 535 5\.7\.8 Authentication credentials invalid/);
  } finally { await s.close(); }
});

test(`${NAME}: digest: one email per batch of at most digest_max_alerts, with a summary subject`, async () => {
  const s = await smtp();
  try {
    const alerts = [finding('SSH brute force'), finding('Trail deleted', { severity: 'Critical', severity_id: 5 }), finding('SSH brute force'), finding('SSH brute force'), { message: 'odd one' }];
    assert.equal(await write(await sink({ port: s.port, digest: true, digest_max_alerts: 3 }), alerts), undefined);
    assert.equal(s.received.length, 2);
    const [d1, d2] = s.received.map((m) => readMail(m.raw));
    assert.equal(d1!.subject, '[Sluice] 3 alerts, highest severity Critical: 2× SSH brute force, 1× Trail deleted');
    assert.ok(d1!.text.startsWith('3 alerts, highest severity Critical: 2× SSH brute force, 1× Trail deleted\n\n=== Alert 1 of 3 ===\n\nSSH brute force\n'));
    assert.ok(d1!.text.includes('=== Alert 3 of 3 ===\n\nSSH brute force\n'));
    assert.equal(d2!.subject, '[Sluice] 2 alerts, highest severity High: 1× SSH brute force, 1× odd one');
  } finally { await s.close(); }
});

test(`${NAME}: subject and body templates, without the HTML alternative`, async () => {
  const s = await smtp();
  try {
    await write(await sink({ port: s.port, html: false, subject: '{{ .finding_info.title | upper }} on {{ .evidences[0].data.device.hostname }} at %H:%M', body: 'Rule {{ .finding_info.analytic.uid }}\nNo such: {{ .nope }}\nBye' }), [finding()]);
    const mail = readMail(s.received[0]!.raw);
    assert.equal(mail.subject, 'SSH BRUTE FORCE on bastion-1 at 10:00');
    assert.equal(mail.text.trim(), 'Rule sigma-1234\nBye');
    assert.equal(mail.html, null);
    assert.match(mail.headers['content-type']!, /^text\/plain/);
  } finally { await s.close(); }
});

test(`${NAME}: a refused connection is retried, then the write fails as not delivered`, async () => {
  const s = await smtp();
  await s.close();
  await assert.rejects(write(await sink({ port: s.port, retry: { ...fast, attempts: 1 } }), [finding(), finding()]), /gave up after 2 attempts; last error: SMTP to smtp:\/\/127\.0\.0\.1:\d+ failed: connect ECONNREFUSED/);
});

test('email: config mistakes are reported at build with the option', async () => {
  await assert.rejects(sink({ starttls: 'never', auth: { user: 'u', password: 'p' } }), /send the password in clear/);
  await assert.rejects(sink({ from: 'not an address' }), /is not an email address/);
  await assert.rejects(sink({ to: ['ok@example.com', 'bad\r\nBcc: x@example.com'] }), /line break/);
  await assert.rejects(sink({ to: [] }), /lists no recipient/);
  await assert.rejects(sink({ subject: '{{ .a | nope }}' }), /unknown filter "nope"/);
  assert.throws(() => checkConfig(def, { host: 'x', from: 'a@b.c', to: 'd@e.f', starttls: 'maybe' }), /expected one of "required", "opportunistic", "never"/);
  assert.throws(() => checkConfig(def, { host: 'x', from: 'a@b.c', to: 'd@e.f', auth: { user: 'u' } }), /auth.password: missing required field/);
});
