import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceRuntime } from '../../../core/component.js';
import { checkConfig, runSource, testBuildContext } from '../../../engine/testing.js';
import def from './index.js';

interface Demo { message: string; source_type: string; timestamp: string }

async function build(raw: Record<string, unknown>): Promise<SourceRuntime> {
  return (await def.build(checkConfig(def, raw) as never, testBuildContext())) as SourceRuntime;
}

async function generate(raw: Record<string, unknown>): Promise<Demo[]> {
  const out = await runSource(await build({ rate: 0, start_time: '2024-11-23T10:00:00Z', ...raw }), { timeoutMs: 15_000 });
  return out.events as unknown as Demo[];
}

/** RFC 3164 with PRI: `<38>Nov 23 10:00:01 bastion-1 sshd[1234]: text` (pid optional). */
const SYSLOG = /^<(\d{1,3})>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) ([\w.-]+) ([\w-]+)(\[\d+\])?: (.+)$/;
/** Apache combined log format. */
const COMBINED = /^(\S+) - - \[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\] "(GET|POST|PUT|HEAD) (\S+) HTTP\/1\.1" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)"$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('count is exact and the source finishes by itself', async () => {
  const t0 = Date.now();
  const out = await runSource(await build({ rate: 0, count: 2500 }), { timeoutMs: 10_000 });
  assert.equal(out.events.length, 2500);
  assert.ok(Date.now() - t0 < 9_000, 'finished before the harness timeout');
  const paced = await runSource(await build({ rate: 100, count: 7 }), { timeoutMs: 10_000 });
  assert.equal(paced.events.length, 7);
});

test('the same seed and start_time give the same events; another seed does not', async () => {
  const a = await generate({ count: 300, seed: 1234 });
  const b = await generate({ count: 300, seed: 1234 });
  const c = await generate({ count: 300, seed: 4321 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((e) => e.message), c.map((e) => e.message));
});

test('sshd lines are RFC 3164 syslog from sshd and sudo', async () => {
  const events = await generate({ count: 400, seed: 5, scenarios: ['sshd'] });
  for (const e of events) {
    assert.equal(e.source_type, 'sshd');
    const m = SYSLOG.exec(e.message);
    assert.ok(m, `not RFC 3164: ${e.message}`);
    assert.ok(Number(m[1]) <= 191);
    assert.ok(['sshd', 'sudo'].includes(m[8]!), m[8]);
    assert.ok(!Number.isNaN(Date.parse(e.timestamp)));
  }
  const texts = events.map((e) => e.message).join('\n');
  assert.match(texts, /sshd\[\d+\]: Accepted publickey for \w+ from 10\.\d+\.\d+\.\d+ port \d+ ssh2: (ED25519|RSA|ECDSA) SHA256:[A-Za-z0-9+/]{43}/);
  assert.match(texts, /sshd\[\d+\]: Failed password for (invalid user )?\w+ from 203\.0\.113\.\d+ port \d+ ssh2/);
  assert.match(texts, /sudo: +\w+ : TTY=pts\/\d ; PWD=\S+ ; USER=root ; COMMAND=\//);
});

test('web lines are Apache combined log lines, with scanners among them', async () => {
  const events = await generate({ count: 1500, seed: 9, scenarios: ['web'] });
  for (const e of events) {
    assert.equal(e.source_type, 'apache');
    assert.match(e.message, COMBINED);
  }
  // A scanner burst: one 203.0.113.x address with a run of 4xx answers and a tool's user agent.
  const byIp = new Map<string, { errors: number; uas: Set<string> }>();
  for (const e of events) {
    const m = COMBINED.exec(e.message)!;
    if (!m[1]!.startsWith('203.0.113.')) continue;
    const s = byIp.get(m[1]!) ?? { errors: 0, uas: new Set() };
    if (m[10]!.startsWith('4') || m[10]!.startsWith('5')) s.errors++;
    s.uas.add(m[13]!);
    byIp.set(m[1]!, s);
  }
  const scanners = [...byIp.values()].filter((s) => s.errors >= 10 && [...s.uas].some((u) => /Nikto|sqlmap|gobuster/.test(u)));
  assert.ok(scanners.length >= 1, 'a scanner burst within 1500 web events');
});

test('cloudtrail messages are CloudTrail records as JSON, takeovers included', async () => {
  const events = await generate({ count: 1500, seed: 3, scenarios: ['cloudtrail'] });
  const names = new Set<string>();
  for (const e of events) {
    assert.equal(e.source_type, 'cloudtrail');
    const r = JSON.parse(e.message) as Record<string, any>;
    assert.equal(typeof r.eventName, 'string');
    assert.match(r.eventSource, /^[a-z0-9]+\.amazonaws\.com$/);
    assert.match(r.sourceIPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(r.eventID, UUID);
    assert.match(r.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.recipientAccountId, '123456789012');
    assert.equal(typeof r.userIdentity.type, 'string');
    if (r.eventName === 'ConsoleLogin') {
      assert.ok(['Success', 'Failure'].includes(r.responseElements.ConsoleLogin));
      assert.ok(['Yes', 'No'].includes(r.additionalEventData.MFAUsed));
    }
    names.add(r.eventName);
  }
  for (const n of ['ConsoleLogin', 'AssumeRole', 'GetObject', 'CreateUser', 'PutBucketPolicy', 'DeleteTrail']) assert.ok(names.has(n), `no ${n} in 1500 records`);
});

test('a brute-force burst (10+ failed passwords from one address, close together) appears early', async () => {
  for (const seed of [1, 2, 3, 42]) {
    const events = await generate({ count: 600, seed });
    const seen = new Map<string, number[]>();
    events.forEach((e, i) => {
      const m = /Failed password for (?:invalid user )?\S+ from (\S+) port/.exec(e.message);
      if (m) seen.set(m[1]!, [...(seen.get(m[1]!) ?? []), i]);
    });
    const bursts = [...seen.entries()].filter(([, at]) => at.length >= 10);
    assert.ok(bursts.length >= 1, `seed ${seed}: no brute-force burst within 600 events`);
    for (const [ip, at] of bursts) {
      assert.match(ip, /^203\.0\.113\./);
      assert.ok(at[at.length - 1]! - at[0]! < 150, `seed ${seed}: burst from ${ip} spread over ${at[at.length - 1]! - at[0]!} events`);
    }
  }
});

test('pacing: events are spread over time at the configured rate', async () => {
  // 50 events at 100/s: 10 at once, then 10 every 100 ms, so at least ~400 ms.
  const t0 = performance.now();
  const out = await runSource(await build({ rate: 100, count: 50 }), { timeoutMs: 10_000 });
  assert.equal(out.events.length, 50);
  assert.ok(performance.now() - t0 >= 350, 'not sent all at once');
  // About one second at 50/s: loose bounds, only "paced, not flooding".
  const window = await runSource(await build({ rate: 50 }), { timeoutMs: 1000 });
  assert.ok(window.events.length >= 10 && window.events.length <= 120, `${window.events.length} events in ~1 s at rate 50`);
});

test('an unbounded source stops promptly when aborted', async () => {
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 100);
  const t0 = performance.now();
  const out = await runSource(await build({ rate: 0 }), { signal: abort, timeoutMs: 10_000 });
  assert.ok(out.events.length > 0);
  assert.ok(performance.now() - t0 < 2000);
});

test('config: empty scenarios, an unknown scenario and a bad start_time are refused', async () => {
  await assert.rejects(build({ scenarios: [] }), /scenarios/);
  assert.throws(() => checkConfig(def, { scenarios: ['ssh'] }), /did you mean "sshd"/);
  await assert.rejects(build({ start_time: 'yesterday' }), /start_time/);
});
