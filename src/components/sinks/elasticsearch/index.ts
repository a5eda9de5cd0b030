/** `elasticsearch`: indexes events into Elasticsearch or OpenSearch with the _bulk API. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { circuitBreakerField, circuitBreakerFromConfig } from '../../_shared/circuit-breaker.js';
import { fieldPath } from '../../_shared/field-path.js';
import { basicAuth, checkCaFile, safeTarget, tlsField } from '../http/client.js';
import { retryField, retryPolicy } from '../http/retry.js';
import { IndexTemplate } from './index-template.js';
import { bulkUrl, ElasticsearchSink } from './sink.js';

export const config = s.object({
  endpoint: s.string().required().desc('Base URL of the cluster (http:// or https://, with a path prefix if it sits behind a proxy). Requests go to `<endpoint>/_bulk`.').example('https://es.example.com:9200'),
  action: s.enum('create', 'index').default('create').desc('Bulk action per event. `create` adds a document and never replaces one (data streams accept only `create`); `index` adds or replaces the document with the same `_id`.'),
  index: s.string().required().desc('Index, alias or data stream to write to; a template: `{{ .field }}` is an event field (lowercased, characters not allowed in index names become `_`; an event without the field goes to the errors output), `%Y %m %d %H %M %S` are the event time in UTC (`timestamp_field`).').example('logs-{{ .source_type }}-default', 'sluice-%Y.%m.%d'),
  id_field: fieldPath().desc('Event field whose value becomes the document `_id`. With it, retries are idempotent: a document sent twice (because an answer was lost) is stored once. Without it (or for an event without the field), the cluster makes the `_id` and a retry after a lost answer can store a duplicate.').example('event_id'),
  timestamp_field: fieldPath().default('timestamp').desc('Field with the event time for `%` codes in `index`: an ISO 8601 string or epoch milliseconds. Events without a valid one use the current time.'),
  auth: s.object({
    strategy: s.enum('basic', 'bearer', 'api_key').required().desc('`basic`: user and password. `bearer`: Authorization: Bearer <token>. `api_key`: Authorization: ApiKey <api_key>.'),
    user: s.string().desc('User name for `basic`.'),
    password: s.string().secret().desc('Password for `basic`.'),
    token: s.string().secret().desc('Token for `bearer`.'),
    api_key: s.string().secret().desc('For `api_key`: the `encoded` value Elasticsearch returns when it creates the key (base64 of `id:api_key`), or, with `api_key_id`, the key itself.'),
    api_key_id: s.string().desc('For `api_key`: the key\'s `id`, when `api_key` is the bare key rather than the encoded value.'),
  }).desc('Credentials sent with every request. Without `auth`, a user and password in `endpoint` are sent as basic auth.'),
  compression: s.enum('none', 'gzip').default('none').desc('`gzip` compresses each request body (Content-Encoding: gzip; the cluster must allow compressed requests, which it does by default).'),
  timeout: s.duration().default('60s').desc('Longest time for one bulk request, from connecting to reading the whole response; a timeout is retried.'),
  retry: retryField().desc('Retries of whole requests on network errors, timeouts, 408, 429 and 5xx (honouring Retry-After on 429 and 503), and of single items the cluster refused with 429 or 5xx (such as es_rejected_execution_exception); every bulk request sent counts as one attempt. Other 4xx answers are permanent.'),
  max_batch_bytes: s.bytes().default('10MiB').desc('Largest bulk request body before compression; a larger write is split into several requests (an event larger than this is sent alone). Keep it under the cluster\'s `http.max_content_length` (100MB by default).'),
  tls: tlsField().desc('TLS settings for https:// endpoints.'),
  circuit_breaker: circuitBreakerField(),
});

export default defineComponent({
  type: 'elasticsearch',
  kind: 'sink',
  status: 'beta',
  summary: 'Index events into Elasticsearch or OpenSearch with the _bulk API, retrying only the items that may pass later.',
  description: [
    'Each write becomes one `POST <endpoint>/_bulk` request (several when it passes',
    '`max_batch_bytes`) with an action line (`create` or `index`, the `index` template rendered',
    'for the event, and `_id` from `id_field`) before each event.',
    '',
    'The whole request: a network error, a timeout, 408, 429 or 5xx is retried with exponential',
    'backoff (Retry-After honoured); any other answer is permanent and the events go to the',
    '`errors` output with the status and the start of the response.',
    '',
    'A 200 answer can still refuse some items (`"errors": true`). Items refused with 429 or 5xx',
    '(`es_rejected_execution_exception`: the cluster is busy) are sent again, only they, in a new',
    'bulk request after the backoff, until they pass or `retry.attempts` runs out; then they go',
    'to the `errors` output marked as retriable. Items refused with another 4xx',
    '(`mapper_parsing_exception`, ...) go to the `errors` output at once with',
    '`<type>: <reason> (HTTP <status>)`. Only refused items are resent, so none is written twice.',
    '',
    'With `action: create` and `id_field`, a 409 `version_conflict_engine_exception` counts as',
    'delivered: it means a document with that `_id` is already there, which is what a retry finds',
    'when an earlier try was written but its answer was lost. (Make sure the id is really unique',
    'per event, such as a hash of the raw line: two different events with one id keep the first.)',
    '',
    'Data streams need `action: create` and an `@timestamp` field in each event (set it with a',
    '`remap`). A circuit breaker (`circuit_breaker`) stops sending to a cluster that keeps',
    'failing: while it is open, batches wait instead of each starting its own retries.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    let endpoint: URL;
    try { endpoint = new URL(cfg.endpoint); } catch { throw new ComponentConfigError(`invalid URL ${JSON.stringify(cfg.endpoint)}`, ['endpoint'], 'write a full URL such as https://es.example.com:9200'); }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new ComponentConfigError(`unsupported URL scheme ${endpoint.protocol}`, ['endpoint'], 'use http:// or https://');
    if (endpoint.search || endpoint.hash) throw new ComponentConfigError('endpoint must not have a query or fragment', ['endpoint'], 'give the base URL of the cluster, such as https://es.example.com:9200');
    if (/\/_bulk\/?$/.test(endpoint.pathname)) throw new ComponentConfigError('endpoint ends in /_bulk, which the sink adds itself', ['endpoint'], 'give the base URL of the cluster, such as https://es.example.com:9200');

    const headers: Record<string, string> = { 'user-agent': 'sluice' };
    if (cfg.auth) {
      const a = cfg.auth;
      if (a.strategy === 'bearer') {
        if (!a.token) throw new ComponentConfigError('auth strategy `bearer` needs a `token`', ['auth', 'token']);
        headers.authorization = `Bearer ${a.token}`;
      } else if (a.strategy === 'api_key') {
        if (!a.api_key) throw new ComponentConfigError('auth strategy `api_key` needs an `api_key`', ['auth', 'api_key'], 'use the `encoded` value Elasticsearch returned when it created the key');
        headers.authorization = `ApiKey ${a.api_key_id !== undefined ? Buffer.from(`${a.api_key_id}:${a.api_key}`).toString('base64') : a.api_key}`;
      } else {
        if (a.user === undefined || a.password === undefined) throw new ComponentConfigError('auth strategy `basic` needs `user` and `password`', ['auth', a.user === undefined ? 'user' : 'password']);
        headers.authorization = basicAuth(a.user, a.password);
      }
      if (/[\r\n\0]/.test(headers.authorization)) throw new ComponentConfigError('auth credentials contain a line break', ['auth']);
    } else if (endpoint.username) {
      headers.authorization = basicAuth(decodeURIComponent(endpoint.username), decodeURIComponent(endpoint.password));
    }
    endpoint.username = ''; endpoint.password = '';

    const index = new IndexTemplate(cfg.index, cfg.timestamp_field);
    const caFile = checkCaFile(ctx.configDir, cfg.tls?.ca_file);
    if (cfg.max_batch_bytes < 1) throw new ComponentConfigError('max_batch_bytes must be more than 0', ['max_batch_bytes']);
    return new ElasticsearchSink({
      endpoint,
      headers,
      action: cfg.action,
      index,
      idField: cfg.id_field ?? null,
      timeoutMs: cfg.timeout,
      caFile,
      verify: cfg.tls?.verify ?? true,
      compression: cfg.compression,
      maxBatchBytes: cfg.max_batch_bytes,
      retry: retryPolicy(cfg.retry),
      breaker: circuitBreakerFromConfig(cfg.circuit_breaker, safeTarget(bulkUrl(endpoint)), ctx.log),
    });
  },
});
