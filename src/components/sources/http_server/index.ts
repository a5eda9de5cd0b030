/** `http_server`: receives events over HTTP POST (JSON, NDJSON or text lines; gzip or deflate). */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { HttpServerSource, parseListenAddress } from './server.js';

export const config = s.object({
  address: s.string().default('127.0.0.1:8080')
    .desc('host:port to listen on (`[::1]:8080` for IPv6). Port 0 picks a free port. Keep 127.0.0.1 unless clients are remote, and then set `auth`.'),
  path: s.string(/^\/[^\s?#]*$/, 'a path starting with `/`, without query or fragment').default('/')
    .desc('Events are accepted with POST (or PUT) on exactly this path. `GET <path>/health` answers 200 for load balancers.'),
  auth: s.object({
    strategy: s.enum('bearer').required().desc('`bearer`: clients send `Authorization: Bearer <token>`.'),
    token: s.string().secret().required().desc('The token clients must send. Compared in constant time.'),
  }).desc('Require a token on every POST; requests without it (or with a wrong one) get 401. Health checks need no token.'),
  max_body_bytes: s.bytes().default('10MiB')
    .desc('Largest request body, both as sent and after gzip/deflate decompression (this stops gzip bombs). Larger bodies get 413.'),
  decoding: s.enum('auto', 'ndjson', 'json', 'text').default('auto')
    .desc('`auto` picks by Content-Type: `application/json` is one JSON value or an array of them; `application/x-ndjson` is one JSON object per line; anything else (e.g. `text/plain`) is read as JSON lines when its first non-blank line is a JSON object, and as text lines (`{ "message": line }`) otherwise. `json`, `ndjson` and `text` force one decoder. JSON values that are not objects become `{ "message": value }`.'),
  acknowledgements: s.bool().default(false)
    .desc('`false`: answer 200 as soon as the events are queued in the pipeline. `true`: answer only once every event of the request has settled end to end: 200 when all were delivered, 503 when any failed or was dead-lettered, so the client can retry (at-least-once).'),
  max_connections: s.int(1).default(1024).desc('Most open client connections; further connections are refused until one closes.'),
  headers: s.list(s.string(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name'), true).default([])
    .desc('Request headers to copy into every event, under `http.headers.<lower-case name>` (missing headers are left out).'),
  source_ip_key: s.string().default('source_ip').desc('Field that receives the client\'s IP address; an empty string leaves it out.'),
});

export default defineComponent({
  type: 'http_server',
  kind: 'source',
  status: 'beta',
  summary: 'Receive events over HTTP POST: JSON, NDJSON or text lines, optionally gzip-compressed.',
  description: [
    'Listens for `POST <path>` (or `PUT`) and turns each request body into one batch of events.',
    '',
    'Responses are JSON. Success is `200 {"accepted": N}`. For NDJSON (and text lines that are not',
    'UTF-8) each bad line goes to the `errors` output with its line number while the good lines are',
    'accepted; the answer is then still 200, `{"accepted": N, "rejected": M, "errors": [{"line", "error"}]}`',
    '(at most the first 10 reasons), because retrying would duplicate the accepted lines. A',
    'whole-body JSON document that does not parse is refused with `400 {"error", "line", "column"}`',
    'and nothing from it enters the pipeline. Other answers: 401 (auth), 404 (other paths), 413',
    '(body or decompressed body over `max_body_bytes`), 415 (unsupported Content-Encoding), 503',
    '(shutting down, or with `acknowledgements: true` when delivery failed).',
    '',
    'Each event gets the client address under `source_ip_key` and, if configured, the listed',
    'request headers under `http.headers`. A request must arrive completely within 60 s.',
  ].join('\n'),
  capabilities: { acknowledgements: true },
  config,
  build: (cfg) => {
    let listen: { host: string; port: number };
    try { listen = parseListenAddress(cfg.address); } catch (e) { throw new ComponentConfigError((e as Error).message, ['address'], 'write host:port, e.g. 127.0.0.1:8080 or [::1]:8080'); }
    const path = cfg.path.length > 1 ? cfg.path.replace(/\/+$/, '') : cfg.path;
    return new HttpServerSource({
      ...listen,
      path,
      token: cfg.auth ? cfg.auth.token : null,
      maxBodyBytes: cfg.max_body_bytes,
      decoding: cfg.decoding,
      acknowledgements: cfg.acknowledgements,
      maxConnections: cfg.max_connections,
      headers: cfg.headers.map((h) => h.toLowerCase()),
      sourceIpKey: cfg.source_ip_key === '' ? null : cfg.source_ip_key,
    });
  },
});
