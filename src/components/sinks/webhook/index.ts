/** `webhook`: POSTs each alert (or each batch, as a JSON array) to a URL, signed with an HMAC. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { circuitBreakerField } from '../../_shared/circuit-breaker.js';
import { safeTarget, tlsField } from '../http/client.js';
import { retryField } from '../http/retry.js';
import { destinationFrom } from '../../_shared/webhook-delivery.js';
import { describeAnswer, WebhookSink } from './sink.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SET_BY_SINK = /^(content-length|content-encoding|transfer-encoding|host|content-type)$/i;

export const config = s.object({
  uri: s.string().required().desc('The URL to POST to (http:// or https://).').example('https://soar.example.com/hooks/sluice'),
  encoding: s.enum('json', 'json_array').default('json').desc('`json`: one request per event, its body the event as a JSON object. `json_array`: one request per write, its body a JSON array of the write\'s events (how many: the common `batch` options; `max_batch_bytes` splits larger writes).'),
  headers: s.map(s.string().secret()).default({}).desc('Extra request headers (an `Authorization` header, a tenant id). Their values are treated as secrets (redacted when config is shown).'),
  signature: s.object({
    secret: s.string().required().secret().desc('The shared HMAC key; the receiver holds the same one.'),
    header: s.string().default('X-Sluice-Signature').desc('Header carrying `<algorithm>=<hex HMAC>`, e.g. `sha256=5d41...`.'),
    timestamp_header: s.string().default('X-Sluice-Timestamp').desc('Header carrying the signing time in Unix seconds; it is part of what is signed.'),
    algorithm: s.enum('sha256', 'sha512').default('sha256').desc('HMAC hash.'),
  }).desc('Sign every request: HMAC(secret, `<timestamp>.<body>`), so the receiver can check that the request comes from a holder of the secret, was not altered, and is recent (not a replay).'),
  timeout: s.duration().default('30s').desc('Longest time for one request, from connecting to reading the whole response; a timeout is retried.'),
  retry: retryField().desc('Retries on network errors, timeouts, 408, 429 and 5xx (honouring Retry-After on 429 and 503). Other 4xx answers are permanent: the events go to the errors output with the status and the start of the response body.'),
  max_batch_bytes: s.bytes().default('10MiB').desc('With `encoding: json_array`: largest request body; a larger write is split into several requests (an event larger than this is sent alone).'),
  tls: tlsField().desc('TLS settings for https:// URLs.'),
  circuit_breaker: circuitBreakerField(),
});

export default defineComponent({
  type: 'webhook',
  kind: 'sink',
  status: 'beta',
  summary: 'POST alerts as JSON to a URL (one per request or a batch as an array), signed with an HMAC so the receiver can verify them and refuse replays.',
  description: [
    'Each event is sent as a JSON object in its own request (`encoding: json`), or each write as a',
    'JSON array (`encoding: json_array`), with `Content-Type: application/json`. A 2xx answer means',
    'delivered. Network errors, timeouts, 408, 429 and 5xx are retried with exponential backoff',
    '(Retry-After honoured); other answers are permanent and the events go to the `errors` output',
    'with the status and the start of the response. When retries run out, the rest of the write is',
    'not sent and goes to the `errors` output as not delivered (replayable with `sluice replay`).',
    'A circuit breaker stops sending to a receiver that keeps failing (see `circuit_breaker`).',
    '',
    '### Verifying the signature',
    '',
    'With `signature`, every request carries two headers: `X-Sluice-Timestamp` (Unix seconds when',
    'the request was signed; each retry is signed again) and `X-Sluice-Signature`',
    '(`sha256=<hex>`, the HMAC of the timestamp, a dot, and the raw body bytes). A receiver should:',
    '',
    '1. read the raw body before parsing it;',
    '2. refuse a timestamp more than a few minutes from its own clock (a replayed request);',
    '3. compute the HMAC with the shared secret and compare in constant time.',
    '',
    '```js',
    "import { createHmac, timingSafeEqual } from 'node:crypto';",
    '',
    '// rawBody: the request body as a Buffer, exactly as received.',
    'function verify(headers, rawBody, secret) {',
    "  const ts = headers['x-sluice-timestamp'];",
    "  const sig = String(headers['x-sluice-signature'] ?? '');",
    '  if (!/^\\d+$/.test(ts ?? \'\') || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;',
    "  if (!sig.startsWith('sha256=')) return false;   // accept only the algorithm you configured",
    "  const want = createHmac('sha256', secret).update(`${ts}.`).update(rawBody).digest();",
    "  const got = Buffer.from(sig.slice('sha256='.length), 'hex');",
    '  return got.length === want.length && timingSafeEqual(got, want);',
    '}',
    '```',
    '',
    'To also refuse a replay inside the window, remember the signatures seen in the last five',
    'minutes and refuse a repeat.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    let url: URL;
    try { url = new URL(cfg.uri); } catch { throw new ComponentConfigError(`invalid URL ${JSON.stringify(cfg.uri)}`, ['uri'], 'write a full URL such as https://soar.example.com/hooks/sluice'); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ComponentConfigError(`unsupported URL scheme ${url.protocol}`, ['uri'], 'use http:// or https://');

    const headers: Record<string, string> = { 'user-agent': 'sluice' };
    for (const [k, v] of Object.entries(cfg.headers)) {
      if (!HEADER_NAME.test(k)) throw new ComponentConfigError(`invalid header name ${JSON.stringify(k)}`, ['headers', k]);
      if (/[\r\n\0]/.test(v)) throw new ComponentConfigError(`header ${k} contains a line break`, ['headers', k]);
      if (SET_BY_SINK.test(k)) throw new ComponentConfigError(`header ${k} is set by the sink`, ['headers', k], 'the body is always JSON (Content-Type: application/json)');
      headers[k.toLowerCase()] = v;
    }

    let signature = null;
    if (cfg.signature) {
      const sig = cfg.signature;
      if (sig.secret === '') throw new ComponentConfigError('signature.secret is empty', ['signature', 'secret'], 'set a long random secret, e.g. from `openssl rand -hex 32`, and give the receiver the same one');
      for (const key of ['header', 'timestamp_header'] as const) {
        if (!HEADER_NAME.test(sig[key])) throw new ComponentConfigError(`invalid header name ${JSON.stringify(sig[key])}`, ['signature', key]);
        if (sig[key].toLowerCase() in headers || SET_BY_SINK.test(sig[key])) throw new ComponentConfigError(`signature.${key} ${sig[key]} is also set elsewhere`, ['signature', key], 'pick a header name the sink and `headers` do not use');
      }
      if (sig.header.toLowerCase() === sig.timestamp_header.toLowerCase()) throw new ComponentConfigError('signature.header and signature.timestamp_header are the same header', ['signature', 'timestamp_header']);
      signature = { secret: sig.secret, header: sig.header.toLowerCase(), timestampHeader: sig.timestamp_header.toLowerCase(), algorithm: sig.algorithm };
    }

    const target = safeTarget(url);
    return new WebhookSink({
      destination: destinationFrom(cfg, ctx, { url, target, headers, describe: describeAnswer }),
      encoding: cfg.encoding,
      maxBatchBytes: cfg.max_batch_bytes,
      signature,
    });
  },
});
