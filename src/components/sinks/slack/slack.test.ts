import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkRuntime } from '../../../core/component.js';
import { checkConfig, quietLog, testBuildContext } from '../../../engine/testing.js';
import { circuitBreakerFromConfig } from '../../_shared/circuit-breaker.js';
import { compileTextTemplate } from '../../_shared/text-template.js';
import { retryPolicy } from '../http/retry.js';
import { Destination } from '../../_shared/webhook-delivery.js';
import def, { DEFAULT_TEXT, DEFAULT_TITLE, slackTarget } from './index.js';
import { MessageBuilder } from './message.js';
import { SlackSink, type Clock } from './sink.js';
import { SlackWebhookApi, validBlocks } from './test-kit.js';

const NAME = 'slack webhook (local implementation of the Slack incoming-webhook API)';
const fast = { initial_backoff: '10ms', max_backoff: '50ms', jitter: 'none' };

const finding = {
  class_uid: 2004, activity_id: 1, time: Date.parse('2024-11-23T10:00:05Z'), severity: 'High', severity_id: 4,
  message: 'Failed password for root from 203.0.113.50 (5 times in 60 s)',
  metadata: { product: { name: 'Sluice' } },
  finding_info: { title: 'SSH brute force', uid: 'f-0001', analytic: { name: 'SSH brute force', uid: 'sigma-1234' } },
  attacks: [{ technique: { uid: 'T1110.001', name: 'Password Guessing' } }, { technique: { uid: 'T1078' } }],
  evidences: [{ src_endpoint: { ip: '203.0.113.50' }, data: { device: { hostname: 'bastion-1' }, user: { name: 'root' } } }],
};
const flat = { message: 'Failed password for admin from 198.51.100.7', hostname: 'web-1', src_ip: '198.51.100.7', level: 'medium' };

type Blocks = { type: string; text?: { type: string; text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[];

async function sink(raw: Record<string, unknown>): Promise<SinkRuntime> {
  return (await def.build(checkConfig(def, raw) as never, testBuildContext())) as SinkRuntime;
}
async function write(rt: SinkRuntime, events: Record<string, unknown>[], signal = new AbortController().signal) {
  try { return await rt.write(events, { id: 'test', signal, log: quietLog }); } finally { await rt.stop?.(); }
}

test(`${NAME}: one Block Kit message per alert with the title, the facts and a context line`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    assert.equal(await write(await sink({ webhook_url: url }), [finding, flat]), undefined);
    const [m1, m2] = slack.messages('#alerts') as { text: string; blocks: Blocks }[];
    assert.equal(m1!.text, '[High] SSH brute force');
    assert.deepEqual(m1!.blocks.map((b) => b.type), ['header', 'section', 'section', 'context']);
    assert.deepEqual(m1!.blocks[0]!.text, { type: 'plain_text', text: 'SSH brute force', emoji: true });
    assert.deepEqual(m1!.blocks[1]!.fields!.map((f) => f.text), [
      '*Severity*\n:large_orange_circle: High',
      '*Rule*\nSSH brute force\n`sigma-1234`',
      '*Time*\n2024-11-23 10:00:05 UTC',
      '*Host*\nbastion-1',
      '*User*\nroot',
      '*Source IP*\n203.0.113.50',
      '*ATT&amp;CK*\n<https://attack.mitre.org/techniques/T1110/001/|T1110.001> Password Guessing, <https://attack.mitre.org/techniques/T1078/|T1078>',
    ]);
    assert.equal(m1!.blocks[2]!.text!.text, 'Failed password for root from 203.0.113.50 (5 times in 60 s)');
    assert.equal(m1!.blocks[3]!.elements![0]!.text, 'Sluice · finding `f-0001`');
    // Any event: the facts it has, nothing invented.
    assert.equal(m2!.text, '[Medium] Failed password for admin from 198.51.100.7');
    assert.deepEqual(m2!.blocks[1]!.fields!.map((f) => f.text.split('\n')[0]), ['*Severity*', '*Time*', '*Host*', '*Source IP*']);
    assert.equal(m2!.blocks[1]!.fields![0]!.text, '*Severity*\n:large_yellow_circle: Medium');
    assert.deepEqual(m2!.blocks.map((b) => b.type), ['header', 'section', 'context'], 'no message section repeating the title');
    assert.equal(slack.posted[0]!.headers['content-type'], 'application/json; charset=utf-8');
  } finally { await slack.close(); }
});

/** What Sluice's Sigma `detect` transform emits: severity_id only, attacks under finding_info, the matched event as evidence. */
const sigmaAlert = {
  class_uid: 2004, activity_id: 1, severity_id: 5, time: Date.parse('2024-11-23T10:00:05Z'), status_id: 1, is_alert: true,
  message: 'Suspicious encoded PowerShell',
  metadata: { version: '1.8.0', product: { name: 'Sluice', vendor_name: 'Sluice', version: '0.1.0' }, uid: 'a-1', log_name: 'sigma' },
  finding_info: {
    uid: 'a-1', title: 'Suspicious encoded PowerShell', types: ['Sigma rule match'],
    analytic: { uid: 'ca2092a1-c273-4878-9b4b-0d60115bf5ea', name: 'Suspicious encoded PowerShell', type_id: 1 },
    attacks: [{ technique: { uid: 'T1059' }, sub_technique: { uid: 'T1059.001' }, tactics: [{ uid: 'TA0002', name: 'Execution' }] }],
  },
  evidences: [{ data: { matched: [{ field: 'CommandLine' }], event: { device: { hostname: 'ws-042' }, actor: { user: { name: 'CORP\\alice' } }, src_endpoint: { ip: '10.1.2.3' } } } }],
  unmapped: { sigma: { id: 'ca2092a1-c273-4878-9b4b-0d60115bf5ea', level: 'critical' } },
};

test(`${NAME}: an alert from Sigma detection shows its severity caption, the matched event's facts and the sub-technique`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    await write(await sink({ webhook_url: url }), [sigmaAlert]);
    const [m] = slack.messages('#alerts') as { text: string; blocks: Blocks }[];
    assert.equal(m!.text, '[Critical] Suspicious encoded PowerShell');
    assert.deepEqual(m!.blocks[1]!.fields!.map((f) => f.text), [
      '*Severity*\n:red_circle: Critical',
      '*Rule*\nSuspicious encoded PowerShell\n`ca2092a1-c273-4878-9b4b-0d60115bf5ea`',
      '*Time*\n2024-11-23 10:00:05 UTC',
      '*Host*\nws-042',
      '*User*\nCORP\\alice',
      '*Source IP*\n10.1.2.3',
      '*ATT&amp;CK*\n<https://attack.mitre.org/techniques/T1059/001/|T1059.001>',
    ]);
    assert.deepEqual(m!.blocks.map((b) => b.type), ['header', 'section', 'context']);
  } finally { await slack.close(); }
});

test(`${NAME}: values cannot mention channels or forge links; long values are cut to Slack's limits and accepted`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    const hostile = { ...finding, finding_info: { ...finding.finding_info, title: 'x'.repeat(400) }, message: `<!channel> <https://evil.example|click> & ${'m'.repeat(5000)}`, evidences: [{ data: { user: { name: '<@U123>' } } }] };
    assert.equal(await write(await sink({ webhook_url: url }), [hostile]), undefined);
    const [m] = slack.messages('#alerts') as { text: string; blocks: Blocks }[];
    assert.ok(validBlocks(m!.blocks));
    assert.equal(m!.blocks[0]!.text!.text.length, 150);
    assert.ok(m!.blocks[0]!.text!.text.endsWith('…'));
    const section = m!.blocks[2]!.text!.text;
    assert.ok(section.startsWith('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; mmm'));
    assert.equal(section.length, 3000);
    assert.ok(m!.blocks[1]!.fields!.some((f) => f.text === '*User*\n&lt;@U123&gt;'));
  } finally { await slack.close(); }
});

test(`${NAME}: title and text templates; blocks: false sends only the text`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#soc');
    await write(await sink({ webhook_url: url, blocks: false, text: ':rotating_light: *{{ .finding_info.title }}* on {{ .evidences[0].data.device.hostname ?? "?" }} by <{{ .user }}>' }), [finding]);
    await write(await sink({ webhook_url: url, title: 'Sluice: {{ .finding_info.analytic.uid }}' }), [finding]);
    const [m1, m2] = slack.messages('#soc') as { text: string; blocks?: Blocks }[];
    assert.deepEqual(m1, { text: ':rotating_light: *SSH brute force* on bastion-1 by <>' });
    assert.equal(m2!.blocks![0]!.text!.text, 'Sluice: sigma-1234');
  } finally { await slack.close(); }
});

test(`${NAME}: 429 waits for Retry-After and 5xx is retried; every alert arrives once`, async () => {
  const slack = await new SlackWebhookApi().start();
  slack.burst = 2;
  try {
    const url = slack.hook('#alerts');
    slack.failRequest = (n) => (n === 0 ? { status: 500, body: 'rollup_error' } : null);
    const t0 = Date.now();
    const alerts = [1, 2, 3].map((i) => ({ ...finding, finding_info: { ...finding.finding_info, title: `alert ${i}` } }));
    assert.equal(await write(await sink({ webhook_url: url, retry: { initial_backoff: '1ms', jitter: 'none' } }), alerts), undefined);
    assert.deepEqual(slack.requests.map((r) => r.status), [500, 200, 200, 429, 200]);
    assert.ok(Date.now() - t0 >= 900, 'waited about the second Slack asked for');
    assert.deepEqual(slack.messages('#alerts').map((m) => m.text), ['[High] alert 1', '[High] alert 2', '[High] alert 3']);
  } finally { await slack.close(); }
});

test(`${NAME}: a 4xx is permanent and the alert is rejected with Slack's error, without the webhook secret`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const archived = slack.hook('#old');
    slack.archive(archived);
    let res = await write(await sink({ webhook_url: archived, retry: fast }), [finding, flat]);
    assert.deepEqual(res?.rejected?.map((r) => [r.index, r.retriable ?? false]), [[0, false], [1, false]]);
    assert.match(res!.rejected![0]!.reason, /^Slack answered channel_is_archived \(HTTP 410 Gone from http:\/\/127\.0\.0\.1:\d+\/services\/T0SLUICE\/B0\d+\/\*\*\*\) \(permanent; not retried\)$/);
    assert.equal(slack.requests.length, 2, 'not retried');

    res = await write(await sink({ webhook_url: slack.unknownHook(), retry: fast }), [finding]);
    assert.match(res!.rejected![0]!.reason, /no_service/);
    assert.ok(!res!.rejected![0]!.reason.includes('notawebhook'), 'the secret part of the URL is never shown');

    // One bad message does not hold back the others.
    const url = slack.hook('#alerts');
    slack.failRequest = (_n, body) => (body.includes('Sudo') ? { status: 400, body: 'invalid_payload' } : null);
    res = await write(await sink({ webhook_url: url, retry: fast }), [finding, { ...flat, message: 'Sudo to root' }, flat]);
    assert.deepEqual(res?.rejected?.map((r) => r.index), [1]);
    assert.match(res!.rejected![0]!.reason, /Slack answered invalid_payload \(HTTP 400/);
    assert.equal(slack.messages('#alerts').length, 2);
  } finally { await slack.close(); }
});

test(`${NAME}: when retries run out the alert and the rest of the write settle as retriable`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    slack.failRequest = (n) => (n >= 1 ? { status: 503, body: '' } : null);
    const res = await write(await sink({ webhook_url: url, retry: { ...fast, attempts: 1 } }), [finding, flat, flat]);
    assert.deepEqual(res?.rejected?.map((r) => [r.index, r.retriable]), [[1, true], [2, true]]);
    assert.match(res!.rejected![0]!.reason, /gave up after 2 attempts; last error: Slack answered HTTP 503/);
    assert.equal(slack.requests.length, 3);
  } finally { await slack.close(); }
});

/** A fake clock: sleeping moves time forward at once. */
function fakeClock(): Clock & { t: number; slept: number[] } {
  const c = { t: 1_000_000, slept: [] as number[], now: () => c.t, sleep: async (ms: number) => { c.slept.push(ms); c.t += ms; } };
  return c;
}

function cappedSink(url: string, max: number, clock: Clock) {
  const target = slackTarget(new URL(url));
  return new SlackSink({
    destination: new Destination({
      url: new URL(url), target, headers: {}, timeoutMs: 5000, caFile: null, verify: true,
      retry: retryPolicy({ attempts: 0, initial_backoff: 1, max_backoff: 1, jitter: 'none' }),
      breaker: circuitBreakerFromConfig({ failure_threshold: 0, open_for: 1, max_open_for: 1 }, target, quietLog),
      describe: (res) => `Slack answered ${res.bodyStart.toString()}`,
    }),
    messages: new MessageBuilder(compileTextTemplate(DEFAULT_TITLE, ['title']), compileTextTemplate(DEFAULT_TEXT, ['text']), true),
    maxPerMinute: max,
    clock,
  });
}

const storm = (n: number) => Array.from({ length: n }, (_, i) => ({
  ...finding,
  severity_id: i % 5 === 0 ? 5 : 4,
  severity: i % 5 === 0 ? 'Critical' : 'High',
  finding_info: { ...finding.finding_info, title: i % 5 === 0 ? 'Trail deleted' : 'SSH brute force' },
}));

test(`${NAME}: max_per_minute sends alerts while there is room and one summary for the rest, never more messages than the cap`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    const clock = fakeClock();
    const rt = cappedSink(url, 3, clock);
    const ctx = { id: 'test', signal: new AbortController().signal, log: quietLog };
    const sentAt: number[] = [];
    slack.failRequest = () => { sentAt.push(clock.t); return null; };
    assert.equal(await rt.write(storm(10), ctx), undefined, 'every alert counts as delivered');
    const msgs = slack.messages('#alerts') as { text: string; blocks: Blocks }[];
    assert.equal(msgs.length, 3);
    assert.deepEqual(msgs.slice(0, 2).map((m) => m.text), ['[Critical] Trail deleted', '[High] SSH brute force']);
    assert.equal(msgs[2]!.text, 'and 8 more alerts: 7× SSH brute force, 1× Trail deleted');
    assert.equal(msgs[2]!.blocks[0]!.text!.text, 'and 8 more alerts');
    assert.equal(msgs[2]!.blocks[1]!.text!.text, '• 7× *SSH brute force* (High)\n• 1× *Trail deleted* (Critical)');
    assert.deepEqual(clock.slept, [], 'no wait while the minute had room');

    // The minute is used up: the next write waits for room, then sends within the cap.
    assert.equal(await rt.write(storm(4), ctx), undefined);
    assert.ok(clock.slept.length >= 1 && clock.slept[0]! > 0 && clock.slept[0]! <= 60_000);
    // All three earlier messages left the window at once, so it had room for three again.
    assert.deepEqual(slack.messages('#alerts').slice(3).map((m) => m.text), ['[Critical] Trail deleted', '[High] SSH brute force', 'and 2 more alerts: 2× SSH brute force']);

    // A quiet minute later, alerts go out one by one again.
    clock.t += 61_000;
    await rt.write(storm(2), ctx);
    assert.deepEqual(slack.messages('#alerts').slice(6).map((m) => m.text), ['[Critical] Trail deleted', '[High] SSH brute force']);
    for (const t of sentAt) assert.ok(sentAt.filter((x) => x > t - 60_000 && x <= t).length <= 3, 'at most 3 messages in any minute');
    await rt.stop();
  } finally { await slack.close(); }
});

test(`${NAME}: when Slack refuses a summary, every alert it stood for is rejected with the reason`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    slack.failRequest = (_n, body) => (body.includes('more alerts') ? { status: 400, body: 'invalid_blocks' } : null);
    const rt = cappedSink(url, 2, fakeClock());
    const res = await rt.write(storm(5), { id: 'test', signal: new AbortController().signal, log: quietLog });
    assert.deepEqual(res?.rejected?.map((r) => r.index), [1, 2, 3, 4]);
    assert.ok(res!.rejected!.every((r) => /invalid_blocks/.test(r.reason)));
    assert.equal(slack.messages('#alerts').length, 1);
    await rt.stop();
  } finally { await slack.close(); }
});

test(`${NAME}: a forced stop while waiting for room under max_per_minute settles the rest as not delivered`, async () => {
  const slack = await new SlackWebhookApi().start();
  try {
    const url = slack.hook('#alerts');
    const abort = new AbortController();
    const clock: Clock = { now: () => 5_000_000, sleep: async () => { abort.abort(); } };
    const rt = cappedSink(url, 1, clock);
    // The first write uses the minute's one message (a summary of all three).
    assert.equal(await rt.write(storm(3), { id: 'test', signal: new AbortController().signal, log: quietLog }), undefined);
    await assert.rejects(rt.write(storm(2), { id: 'test', signal: abort.signal, log: quietLog }), /stopped \(forced\) while waiting for room under max_per_minute/);
    assert.equal(slack.messages('#alerts').length, 1);
    await rt.stop();
  } finally { await slack.close(); }
});

test('slack: config mistakes are reported at build with the option', async () => {
  await assert.rejects(sink({ webhook_url: 'hooks.slack.com/services/x' }), /invalid webhook_url/);
  await assert.rejects(sink({ webhook_url: 'ftp://hooks.slack.com/services/x' }), /scheme/);
  await assert.rejects(sink({ webhook_url: 'https://hooks.slack.com/services/T/B/x', text: '{{ .a | shout }}' }), /invalid field ".a \| shout" in text: unknown filter "shout"/);
  await assert.rejects(sink({ webhook_url: 'https://hooks.slack.com/services/T/B/x', title: '{{ .a ' }), /unclosed `\{\{` in title/);
  assert.throws(() => checkConfig(def, { webhook_url: 'https://x/y', max_per_minute: 0 }), /must be at least 1/);
  assert.equal(slackTarget(new URL('https://hooks.slack.com/services/T01/B02/secretpart')), 'https://hooks.slack.com/services/T01/B02/***');
  assert.equal(slackTarget(new URL('https://proxy.example/secretpart')), 'https://proxy.example/***');
});
