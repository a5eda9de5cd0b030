/** `pagerduty`: triggers (and resolves) PagerDuty alerts with the Events API v2. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { circuitBreakerField } from '../../_shared/circuit-breaker.js';
import { fieldPath } from '../../_shared/field-path.js';
import { ALERT, alertField, compileTextTemplate } from '../../_shared/text-template.js';
import { safeTarget, tlsField, type HttpResponse } from '../http/client.js';
import { retryField } from '../http/retry.js';
import { bodyText, destinationFrom, statusLine } from '../../_shared/webhook-delivery.js';
import { PagerDutySink } from './sink.js';

export const DEFAULT_DEDUP_KEY = `{{ ${ALERT.rule_id} ?? ${ALERT.rule} }}:{{ ${ALERT.ip} ?? ${ALERT.host} }}`;

export const config = s.object({
  routing_key: s.string().required().secret().desc('The Integration Key of an Events API v2 integration on a service (or of an event orchestration / ruleset): 32 characters.').example('${secret:PAGERDUTY_ROUTING_KEY}'),
  url: s.string().default('https://events.pagerduty.com/v2/enqueue').desc('The Events API v2 endpoint. Accounts in the EU service region use `https://events.eu.pagerduty.com/v2/enqueue`.'),
  dedup_key: s.string().default(DEFAULT_DEDUP_KEY).desc('Template of the deduplication key: alerts with the same key while PagerDuty\'s alert is open are grouped into it, and `resolve` closes the alert with that key. The default is the rule id (or name) and the source address (or host), so one rule firing for one attacker is one PagerDuty alert. When the template gives nothing, the event is sent without a key and PagerDuty opens a new alert. Longer than 255 characters: the start of the key and a SHA-256 of it.'),
  action_field: fieldPath().desc('Event field that says what the event does to its PagerDuty alert: `resolve` (or `resolved`), `acknowledge` (or `acknowledged`), any case; any other value, or no value, triggers. For example an OCSF finding\'s `status` (`Resolved`), or a field set by a `remap`. Unset: every event triggers.').example('status'),
  summary: s.string().default(alertField('title')).desc('Template of `payload.summary`, the alert\'s title in PagerDuty (one line, cut to 1024 characters).'),
  source: s.string().default(`{{ ${ALERT.host} ?? ${ALERT.ip} ?? ${ALERT.product} ?? "sluice" }}`).desc('Template of `payload.source`: the affected system, preferably a host name.'),
  component: s.string().default(alertField('product')).desc('Template of `payload.component` (left out when empty).'),
  group: s.string().desc('Template of `payload.group`, a logical grouping such as `prod-web` (left out when unset or empty).'),
  class: s.string().default(alertField('rule')).desc('Template of `payload.class`, the kind of event (left out when empty).'),
  default_severity: s.enum('critical', 'error', 'warning', 'info').default('warning').desc('`payload.severity` for alerts without a known severity. Others map from OCSF `severity_id` (or `severity`/`level` words): Fatal and Critical -> critical, High -> error, Medium -> warning, Low and Informational -> info.'),
  links: s.list(s.object({
    href: s.string().required().desc('Template of the URL (a link whose URL renders empty is left out).'),
    text: s.string().desc('Template of the link text.'),
  })).default([]).desc('Links attached to the alert, e.g. to the event in your search tool.'),
  client: s.string().default('Sluice').desc('Name of the monitoring client shown in PagerDuty.'),
  client_url: s.string().desc('URL of the monitoring client shown in PagerDuty.'),
  timeout: s.duration().default('30s').desc('Longest time for one request; a timeout is retried.'),
  retry: retryField().desc('Retries on network errors, timeouts, 429 and 5xx, as PagerDuty documents (Retry-After is honoured when sent). Other answers, such as 400 for an invalid event, are permanent: the alert goes to the errors output with PagerDuty\'s `errors`.'),
  tls: tlsField().desc('TLS settings.'),
  circuit_breaker: circuitBreakerField(),
});

/** PagerDuty's answer as text: `<message>: <errors>` from its JSON body, else the body's start. */
function describe(res: HttpResponse, target: string): string {
  const text = bodyText(res, 2000);
  let said = text.slice(0, 300);
  try {
    const b = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(b.errors) ? b.errors.filter((x) => typeof x === 'string').join('; ') : '';
    const message = typeof b.message === 'string' ? b.message : '';
    if (message || errors) said = message && errors ? `${message}: ${errors}` : message || errors;
  } catch { /* not JSON: keep the start of the body */ }
  return said ? `PagerDuty answered ${said} (${statusLine(res, target)})` : `PagerDuty answered ${statusLine(res, target)}`;
}

export default defineComponent({
  type: 'pagerduty',
  kind: 'sink',
  status: 'beta',
  summary: 'Trigger, acknowledge and resolve PagerDuty alerts with the Events API v2, deduplicated by a key made from the alert.',
  description: [
    'Each event is one `POST` to the Events API v2 (`/v2/enqueue`), in order, so a `resolve` never',
    'overtakes its `trigger`. A trigger carries `payload.summary` (the title), `source` (the host),',
    '`severity` (mapped from the OCSF severity), `timestamp` (the alert time), `component`,',
    '`group`, `class`, the whole alert as `custom_details`, and `links`; `acknowledge` and `resolve`',
    'carry only the `dedup_key`. Alerts with the same `dedup_key` are grouped by PagerDuty into one',
    'open alert, so a brute force that fires every minute pages once.',
    '',
    'PagerDuty answers 202 when it has the event. 429 (too many events for the integration) and',
    '5xx are retried with backoff (PagerDuty suggests waiting; raise `retry.max_backoff` to wait',
    'longer). 400 means the event is invalid and is permanent: the alert goes to the `errors`',
    'output with PagerDuty\'s `errors` text. When retries run out, the rest of the write is not',
    'sent and goes to the `errors` output as not delivered (replayable).',
    '',
    'PagerDuty\'s limits are kept: the summary is cut to 1024 characters, a longer `dedup_key`',
    'than 255 becomes its start plus a hash, and an alert bigger than the 512 KB event limit is',
    'sent with its JSON cut in `custom_details` rather than refused.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    let url: URL;
    try { url = new URL(cfg.url); } catch { throw new ComponentConfigError(`invalid URL ${JSON.stringify(cfg.url)}`, ['url'], 'use https://events.pagerduty.com/v2/enqueue (or https://events.eu.pagerduty.com/v2/enqueue in the EU region)'); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ComponentConfigError(`unsupported URL scheme ${url.protocol}`, ['url'], 'use https://');
    if (cfg.routing_key.length !== 32) {
      throw new ComponentConfigError(`routing_key has ${cfg.routing_key.length} characters; PagerDuty integration keys have 32`, ['routing_key'], 'copy the Integration Key of the service\'s "Events API v2" integration (not a REST API key)');
    }
    const target = safeTarget(url);
    const t = (src: string, path: (string | number)[]) => compileTextTemplate(src, path);
    return new PagerDutySink(
      destinationFrom(cfg, ctx, { url, target, describe: describe }),
      {
        routingKey: cfg.routing_key,
        actionField: cfg.action_field ?? null,
        dedupKey: t(cfg.dedup_key, ['dedup_key']),
        summary: t(cfg.summary, ['summary']),
        source: t(cfg.source, ['source']),
        component: t(cfg.component, ['component']),
        group: cfg.group === undefined ? null : t(cfg.group, ['group']),
        class: t(cfg.class, ['class']),
        links: cfg.links.map((l, i) => ({ href: t(l.href, ['links', i, 'href']), text: l.text === undefined ? null : t(l.text, ['links', i, 'text']) })),
        client: cfg.client || null,
        clientUrl: cfg.client_url || null,
        defaultSeverity: cfg.default_severity,
      },
    );
  },
});
