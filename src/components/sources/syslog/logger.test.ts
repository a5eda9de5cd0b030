/**
 * Interop with a real syslog sender: util-linux `logger`. The test exists only where the binary
 * does; without it the tests are reported as skipped with the reason, and in CI (CI=true) a
 * missing `logger` is a failure, never a silent skip: install util-linux (`apt-get install
 * bsdutils` on Debian/Ubuntu, where logger lives).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { checkConfig, runSource, testBuildContext, type SourceResult } from '../../../engine/testing.js';
import type { SyslogSource } from './server.js';
import syslog from './index.js';

const run = promisify(execFile);
const hasLogger = spawnSync('logger', ['--help'], { stdio: 'ignore' }).status === 0;
const skip = hasLogger ? false : 'util-linux `logger` is not installed';

if (!hasLogger && process.env.CI) test('util-linux logger is installed (required in CI)', () => assert.fail('install util-linux/bsdutils: the logger interop tests need /usr/bin/logger'));

async function receive(mode: 'tcp' | 'udp', send: (port: number) => Promise<unknown>, count: number): Promise<SourceResult> {
  const rt = (await syslog.build(checkConfig(syslog, { mode, address: '127.0.0.1:0', timezone: 'utc' }) as never, testBuildContext())) as SyslogSource;
  const result = runSource(rt, { until: (r) => r.events.length + r.errors.length >= count, timeoutMs: 8000 });
  const { port } = await rt.bound;
  await send(port);
  return result;
}

const logger = (port: number, ...args: string[]) => run('logger', ['--server', '127.0.0.1', '--port', String(port), ...args]);

test('logger --tcp --rfc5424 (newline framing), with structured data and a msgid', { skip }, async () => {
  const r = await receive('tcp', (port) => logger(port, '--tcp', '--rfc5424', '-t', 'sluice-test', '-p', 'auth.warning', '--msgid', 'LOGIN', '--sd-id', 'test@32473', '--sd-param', 'user="alice"', 'failed login for alice'), 1);
  assert.deepEqual(r.errors, []);
  const e = r.events[0]!;
  assert.equal(e.version, 1);
  assert.equal(e.facility, 'auth');
  assert.equal(e.severity, 'warning');
  assert.equal(e.appname, 'sluice-test');
  assert.equal(e.msgid, 'LOGIN');
  assert.equal(e.message, 'failed login for alice');
  assert.deepEqual((e.structured_data as Record<string, unknown>)['test@32473'], { user: 'alice' });
  assert.match(e.timestamp as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}Z$/);
  assert.equal(e.source_ip, '127.0.0.1');
});

test('logger --tcp --octet-count', { skip }, async () => {
  const r = await receive('tcp', (port) => logger(port, '--tcp', '--octet-count', '--rfc5424', '-t', 'octets', 'counted message'), 1);
  assert.deepEqual(r.errors, []);
  assert.equal(r.events[0]!.appname, 'octets');
  assert.equal(r.events[0]!.message, 'counted message');
});

test('logger --udp --rfc3164', { skip }, async () => {
  const r = await receive('udp', (port) => logger(port, '--udp', '--rfc3164', '-t', 'bsd-app', '-p', 'local3.err', 'over udp'), 1);
  assert.deepEqual(r.errors, []);
  const e = r.events[0]!;
  assert.equal(e.facility, 'local3');
  assert.equal(e.severity, 'err');
  assert.equal(e.appname, 'bsd-app');
  assert.equal(e.message, 'over udp');
  assert.equal(e.version, undefined);
  assert.equal(typeof e.hostname, 'string');
});
