import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pack from './index.js';
import { asJson } from '../test-kit.js';

const sample = (f: string) => new URL(`../../../packs/linux_auth/samples/${f}`, import.meta.url);
const expected = (f: string) => JSON.parse(readFileSync(new URL(`../../../packs/linux_auth/expected/${f}`, import.meta.url), 'utf8')) as unknown[];
const ctx = { productVersion: '0.1.0', now: Date.UTC(2026, 10, 23) };
const lines = readFileSync(sample('auth.log'), 'utf8').split('\n').filter(Boolean);

test('raw auth.log lines map to the reviewed OCSF events', () => {
  assert.deepEqual(asJson(lines.map((l) => pack.map({ message: l }, ctx))), expected('auth.json'));
});

test('events already parsed by `parse` (format: syslog) map the same as raw lines', () => {
  const parsed = { appname: 'sshd', hostname: 'bastion-1', procid: '4502', timestamp: '2026-11-23T10:02:19.000Z', facility: 'auth', severity: 'info', message: 'Failed password for root from 203.0.113.77 port 40024 ssh2' };
  const r = pack.map(parsed, ctx);
  assert.ok(r.ok);
  const ev = r.events[0]!;
  assert.deepEqual([ev.class_uid, ev.activity_id, ev.status_id, ev.time], [3002, 1, 2, Date.parse('2026-11-23T10:02:19Z')]);
  assert.deepEqual(ev.user, { name: 'root' });
  assert.deepEqual(ev.src_endpoint, { ip: '203.0.113.77', port: 40024 });
  assert.deepEqual(asJson(ev.unmapped), { facility: 'auth', severity: 'info' }, 'syslog fields without an OCSF place are kept');
});

test('detect: sshd and sudo events and raw lines yes; other programs and other shapes no', () => {
  assert.ok(lines.every((l) => pack.detect({ message: l })));
  assert.ok(pack.detect({ appname: 'sudo', message: 'x' }));
  assert.equal(pack.detect({ appname: 'cron', message: 'x' }), false);
  assert.equal(pack.detect({ message: '<38>Nov 23 10:00:01 host cron[1]: job' }), false);
  assert.equal(pack.detect({ eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' }), false);
});

test('what cannot be mapped comes back with a precise reason, never a throw', () => {
  assert.deepEqual(pack.map({ appname: 'sudo', message: 'something unexpected' }, ctx), { ok: false, reason: 'sudo message not recognised by the linux_auth pack: "something unexpected"' });
  assert.deepEqual(pack.map({ message: 42 }, ctx), { ok: false, reason: 'no syslog appname and message' });
  assert.equal(pack.map({ appname: 'cron', message: 'x' }, ctx).ok, false);
});
