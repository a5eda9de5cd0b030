/**
 * The quickstart as the README runs it, with the alert overlays: the demo's attacks are normalized
 * to OCSF, SigmaHQ's rules fire on them, and the findings reach a webhook (the quickstart's own
 * inbox, HMAC-signed), Slack and email. Slack is a faithful local implementation of its incoming
 * webhook protocol (POST JSON, answer 200 `ok`); email is a real SMTP server (smtp-server) with
 * STARTTLS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freePort, readDirLines, readLines, root, sluice, tmp, waitFor } from './cli.js';

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => { let b = ''; req.on('data', (d) => (b += d)); req.on('end', () => resolve(b)); });
}

test('quickstart with the Slack and email overlays (Slack: local implementation of the incoming-webhook protocol; email: real SMTP server with STARTTLS): Sigma findings reach the webhook inbox, Slack and email', async () => {
  const dir = tmp('sluice-quickstart-');
  // The quickstart reads ../sigma/rules and writes ../data from examples/: copy that layout.
  cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
  cpSync(join(root, 'sigma'), join(dir, 'sigma'), { recursive: true });

  const slack: unknown[] = [];
  const slackServer = createServer(async (req, res) => {
    const text = await body(req);
    if (req.method !== 'POST' || req.url !== '/services/T000/B000/secret' || !String(req.headers['content-type']).startsWith('application/json')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
      return;
    }
    slack.push(JSON.parse(text));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((r) => slackServer.listen(0, '127.0.0.1', r));
  const slackPort = (slackServer.address() as { port: number }).port;

  const certDir = join(dir, 'tls');
  mkdirSync(certDir);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  const mails: { from: string; to: string[]; text: string; secure: boolean }[] = [];
  const smtp = new SMTPServer({
    key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')), logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'sluice' && auth.password === 'hunter2') cb(null, { user: 'sluice' });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      let text = '';
      stream.on('data', (d) => (text += d));
      stream.on('end', () => {
        mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), text, secure: session.secure });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const smtpPort = (smtp.server.address() as { port: number }).port;

  const [api, inbox] = [await freePort(), await freePort()];
  const run = sluice(['run', '-c', join(dir, 'examples/quickstart.yaml'), '-c', join(dir, 'examples/alerts/slack.yaml'), '-c', join(dir, 'examples/alerts/email.yaml')], {
    env: {
      SLUICE_DEMO_RATE: '0', SLUICE_DEMO_COUNT: '3000',
      SLUICE_API_ADDRESS: `127.0.0.1:${api}`, SLUICE_INBOX_ADDRESS: `127.0.0.1:${inbox}`, SLUICE_WEBHOOK_SECRET: 'e2e-secret',
      SLACK_WEBHOOK_URL: `http://127.0.0.1:${slackPort}/services/T000/B000/secret`,
      SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMTP_USER: 'sluice', SMTP_PASSWORD: 'hunter2',
      SMTP_CA_FILE: join(certDir, 'cert.pem'), ALERT_EMAIL_TO: 'soc@example.com',
    },
  });
  try {
    const inboxFile = join(dir, 'data/quickstart/soar-inbox.ndjson');
    await waitFor(() => readLines(inboxFile).length >= 5 && slack.length >= 1, 60_000, 'findings at the webhook inbox and Slack')
      .catch((e: Error) => { throw new Error(`${e.message}\n${run.stderr().slice(-3000)}`); });
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.stderr());
    await waitFor(() => mails.length >= 1, 10_000, 'the email digest');

    // The terminal shows the findings.
    const sigmaLines = run.stdout().split('\n').filter((l) => l.startsWith('[sigma] '));
    assert.ok(sigmaLines.some((l) => l.includes('AWS CloudTrail Important Change (4db60cc0-36fb-42b7-9b58-a5b53019fb74)')), run.stdout().slice(-3000));
    assert.ok(sigmaLines.some((l) => l.includes('SSH Brute Force From One Address')), 'the correlation fires on the demo\'s brute force');

    // The webhook delivered OCSF Detection Findings, signed; the archive holds the same findings.
    const received = readLines(inboxFile).map((l) => JSON.parse(l) as Record<string, any>);
    const titles = new Set(received.map((f) => f.finding_info?.title));
    assert.ok(titles.has('Suspicious User-Agents Related To Recon Tools'), [...titles].join(', '));
    for (const f of received) {
      assert.equal(f.class_uid, 2004);
      assert.match(f.http?.headers?.['x-sluice-signature'] ?? '', /^sha256=[0-9a-f]{64}$/, 'the webhook signs every request');
    }
    const archived = readDirLines(join(dir, 'data/quickstart/findings'));
    assert.ok(archived.length >= received.length);

    // Slack got Block Kit messages naming a rule; the email is a digest over STARTTLS.
    assert.ok(slack.some((m) => JSON.stringify(m).includes('Sigma') || JSON.stringify(m).includes('AWS') || JSON.stringify(m).includes('SSH')), JSON.stringify(slack[0]).slice(0, 500));
    assert.ok(mails[0]!.secure, 'STARTTLS was used');
    assert.deepEqual(mails[0]!.to, ['soc@example.com']);
    assert.match(mails[0]!.text, /^Subject: .*alert/im);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    slackServer.close();
    smtp.close();
  }
});
