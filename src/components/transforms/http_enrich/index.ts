/**
 * `http_enrich`: looks each event's key up in a REST API (IP reputation, user directory, asset
 * service) and writes the answer onto the event, with a per-key cache, a rate limit, a
 * concurrency cap and a circuit breaker. A provider that fails never stops the stream: events
 * pass marked with the enrichment status, and the failure is counted.
 */
import { ComponentConfigError, defineComponent, type Logger } from '../../../core/component.js';
import { s, type Infer } from '../../../core/schema.js';
import { compileFieldPath, fieldPath, FieldPathError, keyTemplate, type FieldPath } from '../../_shared/field-path.js';
import { checkCaFile, tlsField } from '../../sinks/http/client.js';
import type { Clock } from './clock.js';
import { HttpEnrich, type Mapping } from './runtime.js';
import { compileBody, compileKeyText, compileUrl } from './template.js';

/** Default of an option block: an absent block is read as `{}`, so each of its options takes its own default. */
const ABSENT = {} as never;

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const config = s.object({
  key: keyTemplate().required().desc('What is looked up: a field path, or a `{{ path }}` template combining fields. Events without it (missing, null or empty) pass unchanged and are counted as `missing_key`.')
    .example('src_endpoint.ip', '{{ user.domain }}\\{{ user.name }}'),
  url: s.string().required().desc('The request URL. `{{ key }}` in its path or query is replaced by the key, percent-encoded. It may not appear in the host: event data never chooses where a request goes.')
    .example('https://api.abuseipdb.com/api/v2/check?ipAddress={{ key }}&maxAgeInDays=90'),
  method: s.enum('get', 'post').default('get').desc('HTTP method. `post` sends `body`.'),
  body: s.any().desc('For `post`: a map or list sent as JSON (`Content-Type: application/json` unless `headers` says otherwise). `{{ key }}` in its strings is replaced by the key, escaped for JSON.')
    .example({ query: { ip: '{{ key }}' } }),
  headers: s.map(s.string().secret()).default({}).desc('Request headers. Put credentials here through secret interpolation (`Authorization: "Bearer ${secret:API_TOKEN}"`); values are redacted whenever config is shown. `{{ key }}` is replaced by the key, percent-encoded.')
    .example({ Key: '${secret:ABUSEIPDB_KEY}', Accept: 'application/json' }),
  provider: s.string(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, `_`, `.`, `:` and `-`').desc('Names the API in metrics (`provider` label), logs and `enrichments[].provider`. Default: the URL\'s host.').example('abuseipdb'),
  response: s.object({
    select: fieldPath().desc('The part of the JSON response to keep (`data`, `results[0]`). Default: the whole response. A 2xx answer without it counts as `not_found`.').example('data'),
    target: fieldPath().desc('Write the selected value to this event field. Without `target` and `mappings`, it goes to the enrichment entry\'s `data.response`.').example('src_endpoint.reputation_raw'),
    mappings: s.map(fieldPath()).default({}).desc('Copy fields of the selected value to event fields: `response path: event field`. Missing or null values are not written.')
      .example({ abuseConfidenceScore: 'src_endpoint.reputation.base_score', countryCode: 'src_endpoint.location.country' }),
  }).default(ABSENT).desc('What to take from a successful (2xx, JSON) answer and where to write it.'),
  cache: s.object({
    max_entries: s.int(0).default(100_000).desc('Most keys cached; the least recently used goes first. `0` disables the cache.'),
    max_size: s.bytes().default('64MiB').desc('Memory the cached answers may take (estimated from their JSON size); the least recently used go first. Use `response.select` and `mappings` to keep entries small.'),
    ttl: s.duration().default('1h').desc('How long an answer found (`ok`) is reused; `0` does not cache it.'),
    negative_ttl: s.duration().default('5m').desc('How long a `not_found` (404, or no `select` in the answer) or a refusal for this key (other 4xx, a response that is not JSON) is reused; `0` does not cache it. Failures that may pass (timeouts, 5xx, 429) are never cached.'),
  }).default(ABSENT).desc('A per-key cache of answers: hot keys cost one request per `ttl`, not one per event.'),
  rate_limit: s.object({
    per_second: s.number(0.001).required().desc('Requests per second on average (retries included).'),
    burst: s.int(1).desc('Requests that may go at once after a quiet period. Default: `per_second` rounded up.'),
    max_wait: s.duration().default('1s').desc('Longest a lookup waits for its turn. A lookup that would wait longer is not sent: its events pass with enrichment status `rate_limited` at once.'),
  }).desc('A token bucket over the requests sent. Without it, only `concurrency` limits the request rate.'),
  concurrency: s.int(1, 1024).default(8).desc('Most requests in flight at once (also the number of keep-alive connections to the provider).'),
  timeout: s.duration().default('2s').desc('Longest one request may take, from connecting to reading the whole response. A timeout is a failure (retried, counted by the circuit breaker).'),
  retry: s.object({
    attempts: s.int(0, 5).default(1).desc('Retries after the first request for timeouts, network errors, 408, 429 and 5xx. `0`: no retry.'),
    backoff: s.duration().default('200ms').desc('Upper bound of the wait before the first retry (full jitter); it doubles for each retry after that.'),
    max_backoff: s.duration().default('30s').desc('Longest wait between tries (mostly for `on_failure: wait`).'),
  }).default(ABSENT).desc('Retries of a failed request within one lookup.'),
  circuit_breaker: s.object({
    failure_threshold: s.int(0, 1_000_000).default(5).desc('Consecutive failed requests (timeout, network error, 408, 429, 5xx) that open the breaker. `0` disables it.'),
    open_for: s.duration().default('5s').desc('How long the breaker stays open before one probe request is let through. It doubles after each failed probe, up to `max_open_for`.'),
    max_open_for: s.duration().default('2m').desc('Longest open period.'),
  }).default(ABSENT).desc('Stops asking a provider that keeps failing. While open, no request is sent and events pass at once with enrichment status `circuit_open` (the stream does not wait, unlike a sink\'s breaker). After `open_for`, one probe request decides: success closes it, failure opens it for twice as long.'),
  on_failure: s.enum('pass', 'wait', 'error').default('pass').desc('`pass`: events whose lookup failed (`failed`, `rate_limited`, `circuit_open`) continue at once, marked with the status. `wait`: the batch is held and its failed lookups are retried with backoff (and through the breaker\'s probes) until the provider answers; the input queue fills and backpressure reaches the sources. A stop ends the wait: the events then pass marked with their last failure (`failed` or `circuit_open`). `error`: events whose lookup failed (`failed`, `circuit_open`) go to the component\'s `on_error` handling with code `enrichment_failed`: the `errors` output by default, or, with `on_error: stall`, held until `sluice resume <id> --action retry` sends them through again.'),
  max_response_size: s.bytes().default('1MiB').desc('Largest response read. A longer one is cut off and the lookup fails (cached like a refusal).'),
  tls: tlsField().desc('TLS settings for https:// URLs.'),
});

export type HttpEnrichConfig = Infer<typeof config>;

/** Build the runtime from a checked config; `clock` is for tests. No I/O. */
export function createHttpEnrich(cfg: HttpEnrichConfig, ctx: { id: string; configDir: string; log: Logger }, clock?: Clock): HttpEnrich {
  const url = compileUrl(cfg.url, ['url']);
  const method = cfg.method === 'post' ? 'POST' : 'GET';
  if (method === 'GET' && cfg.body !== undefined && cfg.body !== null) throw new ComponentConfigError('`body` is sent only with method: post', ['body'], 'set method: post, or remove body');
  if (method === 'POST' && (cfg.body === undefined || cfg.body === null)) throw new ComponentConfigError('method: post needs a `body`', ['body'], 'body: { ip: "{{ key }}" }');
  const body = method === 'POST' ? compileBody(cfg.body, ['body']) : null;

  const headers = new Map<string, { name: string; value: ReturnType<typeof compileKeyText> }>();
  const add = (name: string, value: string) => headers.set(name.toLowerCase(), { name: name.toLowerCase(), value: compileKeyText(value, ['headers', name]) });
  add('user-agent', 'sluice');
  add('accept', 'application/json');
  if (body) add('content-type', 'application/json');
  if (url.basicAuth) add('authorization', url.basicAuth);
  for (const [k, v] of Object.entries(cfg.headers)) {
    if (!headerName.test(k)) throw new ComponentConfigError(`invalid header name ${JSON.stringify(k)}`, ['headers', k]);
    if (/[\r\n\0]/.test(v)) throw new ComponentConfigError(`header ${k} contains a line break`, ['headers', k]);
    if (/^(content-length|transfer-encoding|host|connection)$/i.test(k)) throw new ComponentConfigError(`header ${k} is set by the transform`, ['headers', k]);
    add(k, v);
  }

  const mappings: Mapping[] = [];
  for (const [from, to] of Object.entries(cfg.response.mappings)) {
    let p: FieldPath;
    try { p = compileFieldPath(from); } catch (e) {
      if (e instanceof FieldPathError) throw new ComponentConfigError(e.message, ['response', 'mappings', from], e.hint);
      throw e;
    }
    mappings.push({ from: p, to });
  }

  const rl = cfg.rate_limit;
  const cb = cfg.circuit_breaker;
  if (cb.failure_threshold > 0 && !(cb.open_for > 0)) {
    throw new ComponentConfigError('circuit_breaker.open_for must be more than 0', ['circuit_breaker', 'open_for'], 'set a duration such as 5s, or failure_threshold: 0 to turn the breaker off');
  }
  if (!(cfg.timeout > 0)) throw new ComponentConfigError('`timeout` must be more than 0', ['timeout']);
  if (url.protocol === 'http:' && cfg.tls?.ca_file) throw new ComponentConfigError('tls.ca_file is set but the URL is http://', ['tls', 'ca_file']);
  const keyText = cfg.key.text.trim();

  return new HttpEnrich({
    key: cfg.key,
    keyName: keyText.includes('{{') ? keyText : keyText.replace(/^\./, ''),
    provider: cfg.provider ?? url.host,
    method,
    url,
    headers: [...headers.values()],
    body,
    select: cfg.response.select ?? null,
    target: cfg.response.target ?? null,
    mappings,
    cache: { maxEntries: cfg.cache.max_entries, maxBytes: cfg.cache.max_size, ttlMs: cfg.cache.ttl, negativeTtlMs: cfg.cache.negative_ttl },
    rateLimit: rl ? { perSecond: rl.per_second, burst: rl.burst ?? Math.max(1, Math.ceil(rl.per_second)), maxWaitMs: rl.max_wait } : null,
    concurrency: cfg.concurrency,
    retry: { attempts: cfg.retry.attempts, backoffMs: cfg.retry.backoff, maxBackoffMs: Math.max(cfg.retry.max_backoff, cfg.retry.backoff) },
    breaker: { failureThreshold: cb.failure_threshold, openForMs: cb.open_for, maxOpenForMs: cb.max_open_for },
    onFailure: cfg.on_failure,
    client: {
      protocol: url.protocol, hostname: url.hostname, port: url.port, timeoutMs: cfg.timeout,
      maxResponseBytes: cfg.max_response_size, maxSockets: cfg.concurrency,
      caFile: checkCaFile(ctx.configDir, cfg.tls?.ca_file), verify: cfg.tls?.verify ?? true,
    },
    log: ctx.log,
    ...(clock ? { clock } : {}),
  });
}

export default defineComponent({
  type: 'http_enrich',
  kind: 'transform',
  status: 'beta',
  summary: 'Look each event\'s key up in a REST API and add the answer; cached, rate-limited, and never stalling on a failing provider.',
  description: [
    'For each event, `key` (a field or a template) is looked up with one HTTP request to `url`, `{{ key }}` filled in.',
    'The answer is written on the event as an OCSF `enrichments` entry, and optionally into event fields:',
    '',
    '```json',
    '{ "enrichments": [ { "name": "src_endpoint.ip", "value": "203.0.113.7", "type": "http", "provider": "abuseipdb",',
    '    "created_time": 1732356000000, "data": { "status": "ok", "http_status": 200, "response": { "abuseConfidenceScore": 100 } } } ] }',
    '```',
    '',
    '`data.status` says what became of the lookup, so routes and searches can tell "nothing known" from "could not look":',
    '',
    '| status | when | metric (`sluice_enrichment_lookups_total{result}`) |',
    '| --- | --- | --- |',
    '| `ok` | 2xx with JSON (and `response.select` present) | `hit` |',
    '| `not_found` | 404 or 410, an empty 2xx, or no `response.select` in it; cached for `negative_ttl` | `miss` |',
    '| `failed` | timeout, network error, 5xx, 408, 429 (after `retry.attempts`); other 4xx or a non-JSON answer (cached for `negative_ttl`); `data.reason` says which | `failure` |',
    '| `circuit_open` | the circuit breaker is open: no request was sent | `failure` |',
    '| `rate_limited` | no request slot within `rate_limit.max_wait`: no request was sent | `skipped` |',
    '',
    'By default (`on_failure: pass`) lookup failures are not event errors: the events continue, in order, with',
    'the status, and the pipeline never stalls on a failing provider. Two settings hold events instead. With',
    '`on_failure: wait`, a batch whose lookups fail is held and retried with backoff until the provider answers:',
    'the queue in front fills and backpressure reaches the sources. With `on_failure: error`, events whose',
    'lookup failed go to the common `on_error` handling with code `enrichment_failed`: the `errors` output',
    '(`dlq`, the default), `drop`, or `stall`, which holds them until an operator runs',
    '`sluice resume <id> --action retry`. A stop always lets held events go.',
    '',
    'Each key is asked once however many events carry it: answers are cached per key (`ttl`, `negative_ttl`,',
    'least recently used first out), events of a batch with the same key share one request, and a key already',
    'being looked up is joined, not asked again. Requests are capped at `concurrency` in flight over keep-alive',
    'connections and, with `rate_limit`, by a token bucket. A request that gets no answer within `timeout`, a',
    '5xx, 408 or 429 is retried `retry.attempts` times; after `circuit_breaker.failure_threshold` consecutive',
    'failures the breaker opens and lookups fail fast (`circuit_open`) for `open_for`, then one probe decides.',
    'Each event counts once in the lookup metrics (cache hits included); the latency histogram',
    '(`sluice_enrichment_latency_seconds`) times the requests really sent. `sluice_component_counter_total`',
    'adds `requests` (by outcome), `retries`, `cache` (`hits`, `evictions`), `coalesced`, `rate_limited`,',
    '`circuit_open`, `breaker_opens` and `missing_key`.',
    '',
    'The request depends on the key alone (`{{ key }}` is the only placeholder), which is what makes sharing',
    'answers between events sound. Credentials go in `headers` through `${secret:NAME}`. Redirects are not',
    'followed (a 3xx is `failed`).',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    const rt = createHttpEnrich(cfg, ctx);
    // A stop must not wait for a provider to come back (on_failure: wait holds batches).
    ctx.stopping?.addEventListener('abort', () => rt.stop(), { once: true });
    return rt;
  },
});
