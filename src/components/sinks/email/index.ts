/** `email`: sends alerts by SMTP, one email each or a digest per batch. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { circuitBreakerField, circuitBreakerFromConfig } from '../../_shared/circuit-breaker.js';
import { compileTextTemplate } from '../../_shared/text-template.js';
import { checkCaFile, tlsField } from '../http/client.js';
import { retryField, retryPolicy } from '../http/retry.js';
import { DEFAULT_BODY, DEFAULT_DIGEST_SUBJECT, DEFAULT_SUBJECT, MessageMaker } from './message.js';
import { EmailSink } from './sink.js';

export const config = s.object({
  host: s.string().required().desc('SMTP server (submission service, relay or smart host).').example('smtp.example.com'),
  port: s.int(1, 65535).desc('SMTP port. Default: 465 with `secure: true`, else 587 (submission).'),
  secure: s.bool().default(false).desc('Implicit TLS: TLS from the first byte (SMTPS, usually port 465). `false`: plain connection upgraded with STARTTLS as `starttls` says.'),
  starttls: s.enum('required', 'opportunistic', 'never').default('required').desc('When `secure: false`: `required` upgrades with STARTTLS and refuses to send when the server does not (nothing, not even the password, goes in clear); `opportunistic` upgrades when the server offers STARTTLS and sends in clear when it does not (a failed upgrade is an error, never a fallback); `never` sends in clear (only for a relay on the same host or network).'),
  auth: s.object({
    user: s.string().required().desc('User name.'),
    password: s.string().required().secret().desc('Password (or app password / API key).'),
  }).desc('SMTP AUTH credentials (PLAIN or LOGIN, as the server offers).'),
  tls: tlsField().desc('TLS settings for `secure` and STARTTLS: extra CA certificates, and whether to verify the server certificate and name.'),
  from: s.string().required().desc('Sender address, optionally with a name.').example('Sluice alerts <sluice@example.com>'),
  to: s.list(s.string(), true).required().desc('Recipients (one address or a list).').example(['soc@example.com']),
  subject: s.string().default(DEFAULT_SUBJECT).desc('Template of the subject (one line, cut to 250 characters). `{{ .field }}` are event fields (`{{ .a ?? .b ?? "text" }}` takes the first present one), `%Y %m %d %H %M %S` the event time in UTC.'),
  body: s.string().default(DEFAULT_BODY).desc('Template of the plain-text body. A line whose fields are all missing is left out, so the default lists only the facts the alert has. `{{ . | pretty }}` is the whole alert as indented JSON.'),
  html: s.bool().default(true).desc('Add an HTML alternative: the text body, escaped and preformatted, for clients that prefer HTML.'),
  digest: s.bool().default(false).desc('Send one email per write (a batch of alerts, see the common `batch` options) instead of one per alert: a summary line, then each alert\'s body.'),
  digest_max_alerts: s.int(1, 10_000).default(50).desc('With `digest`: most alerts in one email; a larger write is sent as several digests.'),
  digest_subject: s.string().default(DEFAULT_DIGEST_SUBJECT).desc('With `digest`: template of the subject, over a summary of the digest: `.count`, `.severity` (the highest), `.titles` (`7× SSH brute force, 1× Trail deleted`), `.first` (the first alert) and `.alerts`.'),
  timeout: s.duration().default('30s').desc('Longest wait for connecting, for the server greeting, and for each reply; a timeout is retried.'),
  retry: retryField().desc('Retries of an email on connection errors, timeouts and 4xx replies (temporary failures). A 5xx reply is permanent: the alerts go to the errors output with the server\'s reply.'),
  circuit_breaker: circuitBreakerField(),
});

/** An address as written in `from`/`to`: something with an @, on one line. */
function checkAddress(v: string, path: (string | number)[]): void {
  if (/[\r\n]/.test(v)) throw new ComponentConfigError(`address ${JSON.stringify(v)} contains a line break`, path);
  if (!/@[^@\s>]+>?\s*$/.test(v)) throw new ComponentConfigError(`${JSON.stringify(v)} is not an email address`, path, 'write user@example.com or "Name <user@example.com>"');
}

export default defineComponent({
  type: 'email',
  kind: 'sink',
  status: 'beta',
  summary: 'Send alerts by email over SMTP (STARTTLS or implicit TLS, AUTH), one per alert or a digest per batch, with subject and body templates.',
  description: [
    'Each alert becomes one email (or, with `digest: true`, each write becomes one email listing its',
    'alerts) with a subject and a plain-text body from templates, and an HTML alternative made from',
    'the text. The default body lists the facts the alert has (title, severity, rule, time, host,',
    'user, source IP, ATT&CK techniques, product, finding id), its message, and the whole alert as',
    'JSON; the facts are read from OCSF Detection Findings and, for other events, from common flat',
    'fields.',
    '',
    'Transport security is explicit: `secure: true` is TLS from the first byte (port 465); otherwise',
    '`starttls: required` (the default) upgrades the connection with STARTTLS and refuses to send',
    'anything, credentials included, when the server will not. Credentials over a connection that',
    'is never encrypted (`starttls: never` with `auth`) are refused at build.',
    '',
    'The server\'s reply decides what happens to a failed email: a 5xx reply (`550 mailbox',
    'unavailable`, `535 authentication failed`, `554 rejected as spam`) is permanent, and its alerts',
    'go to the `errors` output with the reply. A 4xx reply (`451 try again later`, greylisting) and',
    'connection errors or timeouts are retried with backoff; when retries run out, the alerts go to',
    'the `errors` output as not delivered (replayable), and the rest of the write is not sent. When',
    'some recipients are refused and others accepted, the email counts as delivered and the refused',
    'addresses are logged.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    if (cfg.host.trim() === '') throw new ComponentConfigError('host is empty', ['host']);
    if (cfg.auth && !cfg.secure && cfg.starttls === 'never') {
      throw new ComponentConfigError('auth with starttls: never would send the password in clear', ['starttls'], 'use starttls: required (or secure: true), or leave auth out for a local relay');
    }
    checkAddress(cfg.from, ['from']);
    if (cfg.to.length === 0) throw new ComponentConfigError('`to` lists no recipient', ['to']);
    cfg.to.forEach((a, i) => checkAddress(a, ['to', i]));
    const port = cfg.port ?? (cfg.secure ? 465 : 587);
    return new EmailSink({
      smtp: {
        host: cfg.host,
        port,
        secure: cfg.secure,
        starttls: cfg.starttls,
        auth: cfg.auth ? { user: cfg.auth.user, pass: cfg.auth.password } : null,
        caFile: checkCaFile(ctx.configDir, cfg.tls?.ca_file),
        verify: cfg.tls?.verify ?? true,
        timeoutMs: cfg.timeout,
      },
      from: cfg.from,
      to: cfg.to,
      messages: new MessageMaker({
        subject: compileTextTemplate(cfg.subject, ['subject']),
        body: compileTextTemplate(cfg.body, ['body']),
        digestSubject: compileTextTemplate(cfg.digest_subject, ['digest_subject']),
        html: cfg.html,
      }),
      digest: cfg.digest ? cfg.digest_max_alerts : null,
      retry: retryPolicy(cfg.retry),
      breaker: circuitBreakerFromConfig(cfg.circuit_breaker, `smtp://${cfg.host}:${port}`, ctx.log),
    });
  },
});
