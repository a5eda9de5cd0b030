/** `http`: sends batches of events to a URL with POST or PUT, retrying what may succeed later. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { circuitBreakerField, circuitBreakerFromConfig } from '../../_shared/circuit-breaker.js';
import { basicAuth, checkCaFile, safeTarget, tlsField } from './client.js';
import { retryField, retryPolicy } from './retry.js';
import { HttpSink } from './sink.js';

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
  retry: retryField().desc('Retries on network errors, timeouts, 408, 429 and 5xx (honouring Retry-After on 429 and 503). Other 4xx answers are permanent: the batch goes to the errors output with the status and the start of the response body.'),
  max_batch_bytes: s.bytes().default('10MiB').desc('Largest request body before compression; a larger write is split into several requests (an event larger than this is sent alone).'),
  tls: tlsField().desc('TLS settings for https:// URLs.'),
  circuit_breaker: circuitBreakerField(),
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
    '',
    'A circuit breaker (`circuit_breaker`) stops sending to a destination that keeps failing:',
    'after `failure_threshold` consecutive failed attempts, no request is sent for `open_for`,',
    'and the batches behind wait instead of each starting its own retries. Then one probe',
    'request decides whether sending resumes. State changes are logged once each.',
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
        headers.authorization = basicAuth(a.user, a.password);
      }
    } else if (url.username) {
      headers.authorization = basicAuth(decodeURIComponent(url.username), decodeURIComponent(url.password));
    }
    url.username = ''; url.password = '';

    const caFile = checkCaFile(ctx.configDir, cfg.tls?.ca_file);
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
      retry: retryPolicy(cfg.retry),
      breaker: circuitBreakerFromConfig(cfg.circuit_breaker, safeTarget(url), ctx.log),
    });
  },
});
