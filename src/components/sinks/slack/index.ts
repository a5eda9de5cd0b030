/** `slack`: posts each alert to a Slack channel through an incoming webhook, as Block Kit. */
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { circuitBreakerField } from '../../_shared/circuit-breaker.js';
import { alertField, compileTextTemplate } from '../../_shared/text-template.js';
import { tlsField, type HttpResponse } from '../http/client.js';
import { retryField } from '../http/retry.js';
import { bodyText, destinationFrom, statusLine } from '../../_shared/webhook-delivery.js';
import { MessageBuilder } from './message.js';
import { SlackSink } from './sink.js';

export const DEFAULT_TITLE = alertField('title');
export const DEFAULT_TEXT = `[${alertField('severity', '"alert"')}] ${alertField('title')}`;

export const config = s.object({
  webhook_url: s.string().required().secret().desc('The incoming webhook URL Slack gave when the webhook was added to a channel (`https://hooks.slack.com/services/...`). It is a credential: anyone holding it can post to the channel.').example('${secret:SLACK_WEBHOOK_URL}'),
  title: s.string().default(DEFAULT_TITLE).desc('Template of the message header (plain text, cut to 150 characters). `{{ .field }}` are event fields (`{{ .a ?? .b ?? "text" }}` takes the first present one), `%Y %m %d %H %M %S` the event time in UTC.'),
  text: s.string().default(DEFAULT_TEXT).desc('Template of the message `text`: what notifications show, and the whole message when `blocks: false`. Slack mrkdwn: write `*bold*` or `<https://example.com|links>` in the template; field values are escaped, so they cannot add links or mentions.'),
  blocks: s.bool().default(true).desc('Send Block Kit blocks: a header with the title, the facts (severity, rule, time, host, user, source IP, ATT&CK techniques) that the alert has, its message, and a context line. `false`: only `text`.'),
  max_per_minute: s.int(1, 100_000).desc('Most messages in any 60 seconds. Alerts beyond it are not dropped: the last message that fits stands for all the alerts left in the write ("and 37 more alerts: 30× SSH brute force, ..."), and when none fits the write waits. Unset: no cap (Slack itself allows about one message per second per channel and answers 429 beyond it, which is retried).'),
  timeout: s.duration().default('30s').desc('Longest time for one request; a timeout is retried.'),
  retry: retryField().desc('Retries on network errors, timeouts, 429 (waiting as Retry-After says, up to `max_backoff`) and 5xx. Other answers are permanent: the alert goes to the errors output with Slack\'s error (`invalid_payload`, `no_service`, `channel_is_archived`, ...).'),
  tls: tlsField().desc('TLS settings.'),
  circuit_breaker: circuitBreakerField(),
});

/** The webhook URL for messages: its last path part is the secret, so it is never shown. */
export function slackTarget(url: URL): string {
  const parts = url.pathname.split('/');
  if (parts.length > 2) parts[parts.length - 1] = '***'; else parts.splice(1, parts.length - 1, '***');
  return `${url.protocol}//${url.host}${parts.join('/')}`;
}

function describe(res: HttpResponse, target: string): string {
  const said = bodyText(res, 200);
  return said ? `Slack answered ${said} (${statusLine(res, target)})` : `Slack answered ${statusLine(res, target)}`;
}

export default defineComponent({
  type: 'slack',
  kind: 'sink',
  status: 'beta',
  summary: 'Post alerts to a Slack channel through an incoming webhook, as Block Kit messages, with an optional per-minute cap that summarizes instead of dropping.',
  description: [
    'Each alert is one message: `text` (for notifications) and, unless `blocks: false`, a header with',
    'the title, a section with the facts the alert has (severity, rule, time, host, user, source',
    'IP, ATT&CK techniques linked to attack.mitre.org), the alert\'s `message`, and a context line',
    '(product, finding id). The facts are read from OCSF Detection Findings (`finding_info`,',
    '`attacks`, `evidences`, ...) and, for other events, from common flat fields (`message`,',
    '`hostname`, `user`, `src_ip`, `level`); a fact the event lacks is left out.',
    '',
    'Slack answers 200 `ok` when it took the message. A 429 (Slack allows about one message per',
    'second per channel) is retried after its Retry-After; 5xx and network errors are retried',
    'with backoff. Any other answer is permanent: the alert goes to the `errors` output with',
    'Slack\'s error text, such as `invalid_payload`, `no_service` (the webhook was removed),',
    '`channel_is_archived` or `action_prohibited`. When retries run out, the rest of the write is',
    'not sent and goes to the `errors` output as not delivered (replayable).',
    '',
    'With `max_per_minute`, an alert storm does not flood the channel and nothing is dropped',
    'silently: when a write holds more alerts than the minute has room for, the last message that',
    'fits is a summary of all the alerts left (their count, and each title with its count and',
    'highest severity); those alerts count as delivered when Slack accepts the summary, and go to',
    'the `errors` output with it when it is refused. When the minute is used up, the write waits',
    'for room (new alerts queue upstream and arrive in the next, larger write, which again ends in',
    'one summary). So the channel gets at most `max_per_minute` messages a minute.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    let url: URL;
    try { url = new URL(cfg.webhook_url); } catch { throw new ComponentConfigError('invalid webhook_url (not a URL)', ['webhook_url'], 'copy the whole URL Slack shows for the incoming webhook: https://hooks.slack.com/services/...'); }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ComponentConfigError(`unsupported URL scheme ${url.protocol} in webhook_url`, ['webhook_url'], 'Slack webhook URLs start with https://hooks.slack.com/services/');
    const title = compileTextTemplate(cfg.title, ['title']);
    const text = compileTextTemplate(cfg.text, ['text']);
    const target = slackTarget(url);
    return new SlackSink({
      destination: destinationFrom(cfg, ctx, { url, target, describe: describe }),
      messages: new MessageBuilder(title, text, cfg.blocks),
      maxPerMinute: cfg.max_per_minute ?? null,
    });
  },
});
