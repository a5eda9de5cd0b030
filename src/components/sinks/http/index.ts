/** `http`: sends batches of events to a URL with POST or PUT, retrying what may succeed later. */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s, type CheckContext } from '../../../core/schema.js';
import { HttpSink } from './sink.js';

const retryField = s.object({
  attempts: s.int(0, 1000).default(10).desc('Retries after the first try (0 = none). Retrying forever is not offered: after the last retry the batch goes to the errors output (dead-letter store), from where `sluice replay` can resend it.'),
  initial_backoff: s.duration().default('1s').desc('Upper bound of the wait before the first retry; it doubles for each retry after that.'),
  max_backoff: s.duration().default('60s').desc('Longest wait between tries; also caps a server\'s Retry-After.'),
  jitter: s.enum('full', 'none').default('full').desc('`full`: wait a random time between 0 and the backoff (spreads out retries from many senders). `none`: wait exactly the backoff.'),
});

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const config = s.object({
  uri: s.string().required().desc('The URL to send to (http:// or https://).').example('https://logs.example.com/ingest'),
  method: s.enum('post', 'put').default('post').desc('HTTP method.'),
  encoding: s.enum('ndjson', 'json_array').default('ndjson').desc('`ndjson`: one JSON object per line (Content-Type application/x-ndjson). `json_array`: one JSON array per request (application/json).'),
  compression: s.enum('none', 'gzip').default('none').desc('`gzip` compresses each request body (Content-Encoding: gzip).'),
  headers: s.map(s.string().secret()).default({}).desc('Extra request headers. Their values are treated as secrets (redacted when config is shown). A Content-Type here replaces the one implied by `encoding`.'),
  auth: s.object({
    strategy: s.enum('bearer', 'basic').required().desc('`bearer`: Authorization: Bearer <token>. `basic`: Authorization: Basic with user and password.'),
    token: s.string().secret().desc('Token for `bearer`.'),
    user: s.string().desc('User name for `basic`.'),
    password: s.string().secret().desc('Password for `basic`.'),
  }).desc('Credentials sent with every request.'),
  timeout: s.duration().default('30s').desc('Longest time for one request, from connecting to reading the whole response; a timeout is retried.'),
  retry: retryField.desc('Retries on network errors, timeouts, 408, 429 and 5xx (honouring Retry-After on 429 and 503). Other 4xx answers are permanent: the batch goes to the errors output with the status and the start of the response body.'),
  max_batch_bytes: s.bytes().default('10MiB').desc('Largest request body before compression; a larger write is split into several requests (an event larger than this is sent alone).'),
  tls: s.object({
    ca_file: s.string().desc('PEM file with CA certificates to trust besides the system ones (relative to the config file).'),
    verify: s.bool().default(true).desc('Verify the server certificate and name. Turn off only for testing.'),
  }).desc('TLS settings for https:// URLs.'),
});

export default defineComponent({
  type: 'http',
  kind: 'sink',
  status: 'beta',
  summary: 'Send batches of events to an HTTP endpoint (NDJSON or a JSON array), with retries and backoff.',
  description: [
    'Each write becomes one request, or several when its encoded size passes `max_batch_bytes`.',
    'A 2xx answer means delivered. Network errors, timeouts, 408, 429 and 5xx are retried with',
    'exponential backoff and full jitter (Retry-After is honoured on 429 and 503, up to',
    '`max_backoff`); other answers are permanent and the events go to the `errors` output with',
    'the status and the first 200 bytes of the response. When retries run out, the events not yet',
    'delivered go to the `errors` output too. A forced stop (a second Ctrl-C) ends the retries the',
    'same way, so nothing is lost. Redirects are not followed.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    let url: URL;
    try { url = new URL(cfg.uri); } catch { throw new ComponentConfigError(`invalid URL ${JSON.stringify(cfg.uri)}`, ['uri'], 'write a full URL such as https://logs.example.com/ingest'); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ComponentConfigError(`unsupported URL scheme ${url.protocol}`, ['uri'], 'use http:// or https://');

    const headers: Record<string, string> = { 'user-agent': 'sluice' };
    for (const [k, v] of Object.entries(cfg.headers)) {
      if (!headerName.test(k)) throw new ComponentConfigError(`invalid header name ${JSON.stringify(k)}`, ['headers', k]);
      if (/[\r\n\0]/.test(v)) throw new ComponentConfigError(`header ${k} contains a line break`, ['headers', k]);
      if (/^(content-length|content-encoding|transfer-encoding|host)$/i.test(k)) throw new ComponentConfigError(`header ${k} is set by the sink`, ['headers', k], 'use `compression` for Content-Encoding');
      headers[k.toLowerCase()] = v;
    }
    if (cfg.auth) {
      const a = cfg.auth;
      if (a.strategy === 'bearer') {
        if (!a.token) throw new ComponentConfigError('auth strategy `bearer` needs a `token`', ['auth', 'token']);
        headers.authorization = `Bearer ${a.token}`;
      } else {
        if (a.user === undefined || a.password === undefined) throw new ComponentConfigError('auth strategy `basic` needs `user` and `password`', ['auth', a.user === undefined ? 'user' : 'password']);
        headers.authorization = `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
      }
    } else if (url.username) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    url.username = ''; url.password = '';

    let caFile: string | null = null;
    if (cfg.tls?.ca_file) {
      caFile = resolve(ctx.configDir, cfg.tls.ca_file);
      // Only check it is readable, so `sluice validate` reports a wrong path; the sink reads it at start.
      try { accessSync(caFile, constants.R_OK); } catch (e) { throw new ComponentConfigError(`cannot read tls.ca_file ${caFile}: ${(e as Error).message}`, ['tls', 'ca_file']); }
    }

    const r = cfg.retry ?? retryField.parse({}, [], { issues: [], positionOf: () => undefined } as CheckContext)!;
    return new HttpSink({
      url,
      method: cfg.method === 'put' ? 'PUT' : 'POST',
      headers,
      timeoutMs: cfg.timeout,
      caFile,
      verify: cfg.tls?.verify ?? true,
      encoding: cfg.encoding,
      compression: cfg.compression,
      maxBatchBytes: cfg.max_batch_bytes,
      retry: { attempts: r.attempts, initialBackoffMs: r.initial_backoff, maxBackoffMs: r.max_backoff, jitter: r.jitter },
    });
  },
});
