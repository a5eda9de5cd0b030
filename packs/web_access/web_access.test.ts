import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pack from './index.js';

const read = (dir: string, f: string) => readFileSync(new URL(`../../../packs/web_access/${dir}/${f}`, import.meta.url), 'utf8');
const ctx = { productVersion: '0.1.0', now: Date.UTC(2026, 10, 23) };
const lines = read('samples', 'access.log').split('\n').filter(Boolean);

test('Common and Combined Log Format lines (Apache, nginx, with extra fields) map to the reviewed OCSF events', () => {
  assert.deepEqual(lines.map((l) => pack.map({ message: l }, ctx)), JSON.parse(read('expected', 'access.json')));
});

test('the time zone of the line is honoured', () => {
  const r = pack.map({ message: '192.0.2.1 - - [23/Nov/2026:10:00:00 -0500] "GET / HTTP/1.1" 200 1' }, ctx);
  assert.ok(r.ok);
  assert.equal(r.events[0]!.time, Date.parse('2026-11-23T15:00:00Z'));
});

test('detect: access log lines yes; syslog, JSON and other text no', () => {
  assert.ok(lines.every((l) => pack.detect({ message: l })));
  assert.equal(pack.detect({ message: '<38>Nov 23 10:00:01 bastion-1 sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2' }), false);
  assert.equal(pack.detect({ eventName: 'x' }), false);
  assert.equal(pack.detect({ message: 'hello world' }), false);
});

test('lines that are not access log lines come back with the reason', () => {
  assert.deepEqual(pack.map({ message: 'hello world' }, ctx), { ok: false, reason: 'not an access log line in Common or Combined Log Format' });
  assert.deepEqual(pack.map({ message: '192.0.2.1 - - [32/Foo/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1' }, ctx), { ok: false, reason: 'invalid time [32/Foo/2026:10:00:00 +0000] (expected dd/Mon/yyyy:hh:mm:ss +zzzz)' });
  assert.deepEqual(pack.map({}, ctx), { ok: false, reason: 'no access log line in `message`' });
});
