import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkRuntime } from '../../../core/component.js';
import { checkConfig, quietLog, testBuildContext } from '../../../engine/testing.js';
import { fitDedupKey, MAX_EVENT_BYTES } from './event.js';
import def from './index.js';
import { EventsApi, type PdEvent } from './test-kit.js';

const NAME = 'pagerduty (local implementation of the PagerDuty Events API v2)';
const KEY = 'R0UTINGKEY0123456789abcdef012345';
const fast = { initial_backoff: '10ms', max_backoff: '50ms', jitter: 'none' };

const finding = (over: Record<string, unknown> = {}) => ({
  class_uid: 2004, class_name: 'Detection Finding', activity_id: 1, time: Date.parse('2024-11-23T10:00:05Z'), severity: 'High', severity_id: 4,
  message: 'Failed password for root from 203.0.113.50',
  metadata: { product: { name: 'Sluice' } },
  finding_info: { title: 'SSH brute force', uid: 'f-1', analytic: { name: 'SSH brute force', uid: 'sigma-1234' } },
  evidences: [{ src_endpoint: { ip: '203.0.113.50' }, data: { device: { hostname: 'bastion-1' } } }],
  ...over,
});

async function sink(raw: Record<string, unknown>): Promise<SinkRuntime> {
  return (await def.build(checkConfig(def, { routing_key: KEY, ...raw }) as never, testBuildContext())) as SinkRuntime;
}
async function write(rt: SinkRuntime, events: Record<string, unknown>[]) {
  try { return await rt.write(events, { id: 'test', signal: new AbortController().signal, log: quietLog }); } finally { await rt.stop?.(); }
}
const sent = (pd: EventsApi) => pd.requests.filter((r) => r.status === 202).map((r) => JSON.parse(r.raw) as PdEvent);

test(`${NAME}: a trigger carries the PD-CEF payload, the alert as custom_details, and links`, async () => {
  const pd = await new EventsApi().start();
  try {
    const alert = finding();
    const res = await write(await sink({ url: pd.url, links: [{ href: 'https://siem.example.com/findings/{{ .finding_info.uid }}', text: 'Open in SIEM' }, { href: '{{ .nope }}' }] }), [alert]);
    assert.equal(res, undefined);
    const [e] = sent(pd);
    assert.deepEqual(e, {
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'sigma-1234:203.0.113.50',
      client: 'Sluice',
      payload: {
        summary: 'SSH brute force',
        source: 'bastion-1',
        severity: 'error',
        timestamp: '2024-11-23T10:00:05.000Z',
        component: 'Sluice',
        class: 'SSH brute force',
        custom_details: alert,
      },
      links: [{ href: 'https://siem.example.com/findings/f-1', text: 'Open in SIEM' }],
    });
    assert.equal(pd.requests[0]!.headers['content-type'], 'application/json');
    assert.equal(pd.alert('sigma-1234:203.0.113.50')?.status, 'triggered');
  } finally { await pd.close(); }
});

test(`${NAME}: an alert from Sigma detection groups by rule id and the matched event's source address`, async () => {
  const pd = await new EventsApi().start();
  try {
    const alert = {
      class_uid: 2004, activity_id: 1, severity_id: 5, time: Date.parse('2024-11-23T10:00:05Z'), message: 'Encoded PowerShell',
      metadata: { product: { name: 'Sluice' } },
      finding_info: { uid: 'a-1', title: 'Encoded PowerShell', analytic: { uid: 'ca2092a1', name: 'Encoded PowerShell' }, attacks: [{ technique: { uid: 'T1059' } }] },
      evidences: [{ data: { matched: [], event: { device: { hostname: 'ws-042' }, src_endpoint: { ip: '10.1.2.3' } } } }],
    };
    await write(await sink({ url: pd.url }), [alert, alert]);
    const [e] = sent(pd);
    assert.equal(e!.dedup_key, 'ca2092a1:10.1.2.3');
    assert.equal(e!.payload!.severity, 'critical');
    assert.equal(e!.payload!.source, 'ws-042');
    assert.equal(pd.alert('ca2092a1:10.1.2.3')!.events.length, 2, 'one PagerDuty alert for both');
  } finally { await pd.close(); }
});

test(`${NAME}: severity maps from OCSF severity_id (or level words); unknown uses default_severity`, async () => {
  const pd = await new EventsApi().start();
  try {
    const events = [6, 5, 4, 3, 2, 1, 0].map((id) => finding({ severity_id: id, severity: undefined }));
    await write(await sink({ url: pd.url }), [...events, { message: 'raw event', level: 'critical' }, { message: 'nothing known' }]);
    await write(await sink({ url: pd.url, default_severity: 'error' }), [{ message: 'nothing known' }]);
    assert.deepEqual(sent(pd).map((e) => e.payload!.severity), ['critical', 'critical', 'error', 'warning', 'info', 'info', 'warning', 'critical', 'warning', 'error']);
  } finally { await pd.close(); }
});

test(`${NAME}: alerts with the same dedup_key group into one PagerDuty alert; a flat event still makes a valid trigger`, async () => {
  const pd = await new EventsApi().start();
  try {
    await write(await sink({ url: pd.url }), [finding(), finding(), finding({ evidences: [{ src_endpoint: { ip: '198.51.100.9' } }] }), { message: 'Failed password for admin', hostname: 'web-1' }]);
    assert.equal(pd.alert('sigma-1234:203.0.113.50')!.events.length, 2);
    assert.ok(pd.alert('sigma-1234:198.51.100.9'));
    const flat = sent(pd)[3]!;
    assert.equal(flat.dedup_key, ':web-1', 'no rule: grouped by host');
    assert.equal(flat.payload!.summary, 'Failed password for admin');
    assert.equal(flat.payload!.source, 'web-1');
    // Nothing to group by at all: no key, PagerDuty opens a new alert each time.
    await write(await sink({ url: pd.url }), [{ message: 'x' }, { message: 'x' }]);
    const last = sent(pd).slice(4);
    assert.equal(last[0]!.dedup_key, undefined);
    assert.equal(last[0]!.payload!.source, 'sluice');
    assert.equal(pd.alerts.length, 5);
  } finally { await pd.close(); }
});

test(`${NAME}: action_field resolves (and acknowledges) the alert with the same dedup_key`, async () => {
  const pd = await new EventsApi().start();
  try {
    const rt = await sink({ url: pd.url, action_field: 'status' });
    const res = await write(rt, [finding({ status: 'New' }), finding({ status: 'acknowledged' }), finding({ status: 'Resolved' }), { status: 'resolve', message: 'which alert?' }]);
    const events = sent(pd);
    assert.deepEqual(events.map((e) => e.event_action), ['trigger', 'acknowledge', 'resolve']);
    assert.deepEqual(events[2], { routing_key: KEY, event_action: 'resolve', dedup_key: 'sigma-1234:203.0.113.50' });
    assert.equal(pd.alert('sigma-1234:203.0.113.50')!.status, 'resolved');
    assert.deepEqual(res?.rejected?.map((r) => r.index), [3]);
    assert.match(res!.rejected![0]!.reason, /cannot resolve in PagerDuty: the dedup_key template .* gave nothing for this event/);
  } finally { await pd.close(); }
});

test(`${NAME}: PagerDuty's limits are kept: summary 1024, dedup_key 255, event 512 KB`, async () => {
  const pd = await new EventsApi().start();
  try {
    const big = finding({ finding_info: { title: 'T'.repeat(3000), analytic: { uid: 'u'.repeat(400) } }, blob: 'b"'.repeat(400_000) });
    assert.equal(await write(await sink({ url: pd.url }), [big]), undefined, 'accepted, not refused');
    const [e] = sent(pd);
    assert.equal((e!.payload!.summary as string).length, 1024);
    assert.equal(e!.dedup_key!.length, 255);
    assert.ok(pd.requests[0]!.raw.length <= MAX_EVENT_BYTES);
    const details = e!.payload!.custom_details as { note: string; alert_json_start: string };
    assert.match(details.note, /more than PagerDuty takes in one event/);
    assert.ok(details.alert_json_start.startsWith('{"class_uid":2004'));
    assert.notEqual(fitDedupKey('k'.repeat(300)), fitDedupKey('k'.repeat(301)), 'long keys stay distinct');
  } finally { await pd.close(); }
});

test(`${NAME}: 429 and 5xx are retried with backoff; the event arrives once`, async () => {
  const pd = await new EventsApi().start();
  try {
    pd.failRequest = (n) => (n === 0 ? EventsApi.throttled() : n === 1 ? { status: 502, body: 'Bad Gateway' } : null);
    assert.equal(await write(await sink({ url: pd.url, retry: fast }), [finding()]), undefined);
    assert.deepEqual(pd.requests.map((r) => r.status), [429, 502, 202]);
    assert.equal(pd.alert('sigma-1234:203.0.113.50')!.events.length, 1);
  } finally { await pd.close(); }
});

test(`${NAME}: 400 is permanent and the alert is rejected with PagerDuty's errors; the next alerts still go`, async () => {
  const pd = await new EventsApi().start();
  try {
    // Scripted: the sink itself never sends an event that the documented checks refuse.
    pd.failRequest = (n) => (n === 0 ? { status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.source' is missing or blank"] }) } : null);
    const res = await write(await sink({ url: pd.url, retry: fast }), [finding(), finding()]);
    assert.equal(pd.requests.length, 2, 'the refused event is not retried');
    assert.deepEqual(res?.rejected?.map((r) => [r.index, r.retriable ?? false]), [[0, false]]);
    assert.match(res!.rejected![0]!.reason, /^PagerDuty answered Event object is invalid: 'payload.source' is missing or blank \(HTTP 400 Bad Request from http:\/\/127\.0\.0\.1:\d+\/v2\/enqueue\) \(permanent; not retried\)$/);
  } finally { await pd.close(); }
});

test(`${NAME}: the implementation's own validation refuses what PagerDuty refuses`, async () => {
  const pd = await new EventsApi().start();
  try {
    const post = (body: unknown) => fetch(pd.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ routing_key: 'short', event_action: 'trigger', payload: { summary: '', source: 'x', severity: 'high' } });
    assert.equal(bad.status, 400);
    assert.deepEqual((await bad.json() as { errors: string[] }).errors, ["Length of 'routing_key' is incorrect (should be 32 characters)", "'payload.summary' is missing or blank", "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"]);
    const ok = await post({ routing_key: KEY, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } });
    assert.equal(ok.status, 202);
    assert.equal((await ok.json() as { message: string }).message, 'Event processed');
    const dropped = await post({ routing_key: KEY, event_action: 'resolve', dedup_key: 'no-such-alert' });
    assert.equal(dropped.status, 202, 'a resolve for no open alert is accepted and dropped');
  } finally { await pd.close(); }
});

test(`${NAME}: when retries run out, the alert and the rest of the write settle as retriable`, async () => {
  const pd = await new EventsApi().start();
  try {
    pd.failRequest = (n) => (n >= 1 ? { status: 500, body: '{"status":"error","message":"Internal Server Error"}' } : null);
    const res = await write(await sink({ url: pd.url, retry: { ...fast, attempts: 1 } }), [finding(), finding(), finding()]);
    assert.deepEqual(res?.rejected?.map((r) => [r.index, r.retriable]), [[1, true], [2, true]]);
    assert.match(res!.rejected![0]!.reason, /gave up after 2 attempts; last error: PagerDuty answered Internal Server Error \(HTTP 500/);
    assert.equal(pd.requests.length, 3);
  } finally { await pd.close(); }
});

test('pagerduty: config mistakes are reported at build with the option', async () => {
  await assert.rejects(sink({ routing_key: 'abc' }), /routing_key has 3 characters; PagerDuty integration keys have 32/);
  await assert.rejects(sink({ url: 'events.pagerduty.com' }), /invalid URL/);
  await assert.rejects(sink({ dedup_key: '{{ .a ?? }}' }), /empty alternative/);
  await assert.rejects(sink({ links: [{ href: '{{ .x | nope }}' }] }), /links\[0\]\.href/);
  assert.throws(() => checkConfig(def, { routing_key: KEY, action_field: 'a..b' }), /action_field/);
  assert.throws(() => checkConfig(def, { routing_key: KEY, default_severity: 'high' }), /expected one of "critical", "error", "warning", "info"/);
  assert.throws(() => checkConfig(def, {}), /routing_key: missing required field/);
});
