import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { checkConfig, runSource, testBuildContext, type SourceResult } from '../../../engine/testing.js';
import type { Event } from '../../../core/event.js';
import type { SyslogSource } from './server.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registry } from '../../registry.js';
import { validateConfig } from '../../../engine/config/index.js';
import syslog from './index.js';

interface Running { port: number; stop: () => Promise<SourceResult>; result: Promise<SourceResult>; rt: SyslogSource }

/** Start the source on a free port; `until` ends the run early (it is aborted on success). */
async function start(raw: Record<string, unknown>, opts: { until?: (r: SourceResult) => boolean; onSend?: (events: Event[]) => Promise<void> | void; timeoutMs?: number } = {}): Promise<Running> {
  const rt = (await syslog.build(checkConfig(syslog, { address: '127.0.0.1:0', timezone: 'utc', ...raw }) as never, testBuildContext())) as SyslogSource;
  const ac = new AbortController();
  const result = runSource(rt, { signal: ac, until: opts.until, onSend: opts.onSend, timeoutMs: opts.timeoutMs ?? 8000 });
  const addr = await rt.bound;
  return { rt, port: addr.port, result, stop: async () => { ac.abort(); return result; } };
}

function udpSend(port: number, ...msgs: (string | Buffer)[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  return (async () => {
    for (const m of msgs) await new Promise<void>((res, rej) => s.send(m, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    s.close();
  })();
}

async function tcpConnect(port: number): Promise<net.Socket> {
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  return c;
}

async function tcpSend(port: number, ...chunks: (string | Buffer)[]): Promise<void> {
  const c = await tcpConnect(port);
  for (const ch of chunks) { c.write(ch); await new Promise((r) => setImmediate(r)); }
  c.end();
  await once(c, 'close');
}

const octet = (...msgs: string[]) => msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');
const rfc5424 = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event';
const rfc3164 = '<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick';

test('udp: datagrams of both RFCs are parsed; the sender address and a trailing newline', async () => {
  const s = await start({ mode: 'udp' }, { until: (r) => r.events.length >= 2 });
  await udpSend(s.port, rfc5424 + '\n', rfc3164);
  const r = await s.result;
  const byApp = Object.fromEntries(r.events.map((e) => [e.appname, e]));
  assert.equal(byApp.evntslog!.message, 'An application event');
  assert.deepEqual(byApp.evntslog!.structured_data, { 'exampleSDID@32473': { iut: '3', eventSource: 'Application' } });
  assert.equal(byApp.evntslog!.source_ip, '127.0.0.1');
  assert.equal(byApp.su!.hostname, 'mymachine');
  assert.equal(byApp.su!.severity, 'crit');
  assert.equal(byApp.su!.message, '\'su root\' failed for lonvick');
});

test('udp: an oversized datagram and an unparseable one go to errors with the raw text', async () => {
  const s = await start({ mode: 'udp', max_message_bytes: 100 }, { until: (r) => r.errors.length >= 2 && r.events.length >= 1 });
  await udpSend(s.port, `<13>${'x'.repeat(500)}`, 'not syslog', '<13>fine');
  const r = await s.result;
  const reasons = r.errors.map((e) => [e.error_code, e.reason]).sort();
  assert.deepEqual(reasons, [
    ['line_too_long', 'message of 504 bytes exceeds max_message_bytes (100)'],
    ['parse_failed', 'invalid syslog: not a syslog message: no PRI ("<13>") and no timestamp at the start (expected "Mmm dd hh:mm:ss")'],
  ]);
  assert.deepEqual(r.errors.find((e) => e.error_code === 'parse_failed')!.event, { message: 'not syslog', source_ip: '127.0.0.1' });
  assert.equal(r.events[0]!.message, 'fine');
});

test('tcp newline framing: several messages per write and messages split across writes', async () => {
  const s = await start({ mode: 'tcp' }, { until: (r) => r.events.length >= 3 });
  await tcpSend(s.port, `${rfc3164}\n${rfc5424}\r\n<13>Oct 11 22:14:15 host app: sp`, 'lit\n');
  const r = await s.result;
  assert.deepEqual(r.events.map((e) => e.appname), ['su', 'evntslog', 'app']);
  assert.equal(r.events[2]!.message, 'split');
});

test('tcp octet counting: messages containing newlines, byte-by-byte delivery', async () => {
  const multi = '<13>1 2024-01-01T00:00:00Z host java - - - Exception in thread "main"\n\tat Main.run(Main.java:3)\n';
  const s = await start({ mode: 'tcp' }, { until: (r) => r.events.length >= 2 });
  const wire = Buffer.from(octet(multi, rfc5424));
  const c = await tcpConnect(s.port);
  for (let i = 0; i < wire.length; i += 7) { c.write(wire.subarray(i, i + 7)); await new Promise((r) => setImmediate(r)); }
  c.end();
  const r = await s.result;
  assert.equal(r.events[0]!.message, 'Exception in thread "main"\n\tat Main.run(Main.java:3)');
  assert.equal(r.events[1]!.appname, 'evntslog');
});

test('tcp: an oversized octet-counted message goes to errors and the connection carries on', async () => {
  const s = await start({ mode: 'tcp', max_message_bytes: 1024 }, { until: (r) => r.events.length >= 1 && r.errors.length >= 1 });
  await tcpSend(s.port, octet(`<13>${'z'.repeat(100_000)}`, '<13>after the big one'));
  const r = await s.result;
  assert.equal(r.errors[0]!.error_code, 'line_too_long');
  assert.equal(r.errors[0]!.reason, 'message of 100004 bytes exceeds max_message_bytes (1024)');
  assert.equal(r.events[0]!.message, 'after the big one');
});

test('tcp: bad framing is reported and that connection is closed; others keep working', async () => {
  const s = await start({ mode: 'tcp', framing: 'octet_counting' }, { until: (r) => r.events.length >= 2 && r.errors.length >= 1 });
  const bad = await tcpConnect(s.port);
  bad.write(octet('<13>before') + 'garbage without a length\n');
  await once(bad, 'close'); // the server closed it
  await tcpSend(s.port, octet('<13>still works'));
  const r = await s.result;
  assert.deepEqual(r.events.map((e) => e.message), ['before', 'still works']);
  assert.equal(r.errors[0]!.error_code, 'parse_failed');
  assert.match(r.errors[0]!.reason, /^bad octet-counting frame at byte 13: expected a message length, found "g"; closing the connection$/);
  assert.equal((r.errors[0]!.event as Event).message, 'garbage without a length\n');
});

test('tcp: max_connections refuses extra connections while the others are served', async () => {
  const s = await start({ mode: 'tcp', max_connections: 2 }, { until: (r) => r.events.length >= 2 });
  const a = await tcpConnect(s.port);
  const b = await tcpConnect(s.port);
  const extra = await tcpConnect(s.port);
  extra.on('error', () => {});
  await once(extra, 'close'); // refused by the server
  a.end('<13>from a\n');
  b.end('<13>from b\n');
  const r = await s.result;
  assert.deepEqual(r.events.map((e) => e.message).sort(), ['from a', 'from b']);
});

test('parse: false gives { message, source_ip } and a custom host_key', async () => {
  const s = await start({ mode: 'tcp', parse: false, host_key: 'peer' }, { until: (r) => r.events.length >= 2 });
  await tcpSend(s.port, 'anything at all\n<13>1 - - - - - - x\n');
  const r = await s.result;
  assert.deepEqual(r.events, [{ message: 'anything at all', peer: '127.0.0.1' }, { message: '<13>1 - - - - - - x', peer: '127.0.0.1' }]);
});

test('tcp backpressure: while a send is pending the socket is not read, then everything arrives', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let blocked!: () => void;
  const isBlocked = new Promise<void>((r) => { blocked = r; });
  let first = true;
  const total = 40_000;
  const line = '<13>' + 'p'.repeat(995) + '\n';
  const s = await start({ mode: 'tcp', parse: false }, {
    until: (r) => r.events.length >= total,
    onSend: async () => { if (first) { first = false; blocked(); await gate; } },
    timeoutMs: 15_000,
  });
  const c = await tcpConnect(s.port);
  c.on('error', () => {});
  c.write(line);
  await isBlocked;
  // The pipeline is stuck on its first send. Write until the socket stops draining: with the
  // server not reading, that happens once the kernel buffers are full (a few MB), far before 40 MB.
  let written = 1;
  let stalled = false;
  while (written < total && !stalled) {
    if (c.write(line)) { written++; continue; }
    written++;
    const drained = await Promise.race([once(c, 'drain').then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);
    stalled = !drained;
  }
  assert.ok(stalled, `the server kept reading while its send was pending (${written} of ${total} messages written)`);
  release();
  while (written < total) { if (!c.write(line)) await once(c, 'drain'); written++; }
  c.end();
  const r = await s.result;
  assert.equal(r.events.length, total);
});

test('abort: stops listening, reports an incomplete frame, and run() returns', async () => {
  const s = await start({ mode: 'tcp' }, { until: (r) => r.events.length >= 1 && false });
  const c = await tcpConnect(s.port);
  c.on('error', () => {});
  c.write(octet('<13>complete') + '50 <13>incomp');
  await new Promise((r) => setTimeout(r, 100));
  const r = await s.stop();
  assert.deepEqual(r.events.map((e) => e.message), ['complete']);
  assert.deepEqual(r.errors.map((e) => e.reason), ['connection closed in the middle of a 50-byte message (10 bytes received)']);
  await assert.rejects(tcpConnect(s.port), /ECONNREFUSED/);
});

test('idle_timeout closes a silent connection and delivers its unterminated last line', async () => {
  const s = await start({ mode: 'tcp', idle_timeout: '200ms' }, { until: (r) => r.events.length >= 1 });
  const c = await tcpConnect(s.port);
  c.write('<13>no newline yet');
  await once(c, 'close');
  const r = await s.result;
  assert.equal(r.events[0]!.message, 'no newline yet');
});

test('an address in use fails run() with the address in the message; a bad address is a config error', async () => {
  const s = await start({ mode: 'tcp' });
  const rt = (await syslog.build(checkConfig(syslog, { mode: 'tcp', address: `127.0.0.1:${s.port}` }) as never, testBuildContext())) as SyslogSource;
  await assert.rejects(runSource(rt, { timeoutMs: 2000 }), new RegExp(`cannot listen on tcp 127.0.0.1:${s.port}: .*EADDRINUSE`));
  await s.stop();
  assert.throws(() => syslog.build(checkConfig(syslog, { mode: 'udp', address: 'localhost' }) as never, testBuildContext()), /invalid address "localhost"/);
  assert.throws(() => checkConfig(syslog, { address: '127.0.0.1:1' }), /missing required field `mode`/);
});

test('a failing send stops the source: run() rejects with the error and the port is released', async () => {
  const s = await start({ mode: 'tcp' }, { onSend: () => { throw new Error('pipeline broke'); } });
  await tcpSend(s.port, '<13>x\n');
  await assert.rejects(s.result, /pipeline broke/);
  await assert.rejects(tcpConnect(s.port), /ECONNREFUSED/);
});

// Examples live beside the sources; tests run from the build folder, so resolve back to src/.
const examples = join(fileURLToPath(new URL('.', import.meta.url)).replace(/\/\.build\/[^/]+\/src\//, '/src/').replace(/\/dist\/src\//, '/src/'), 'examples');
for (const f of readdirSync(examples).filter((x) => x.endsWith('.yaml'))) {
  test(`example ${f} validates`, () => {
    const cfg = validateConfig([join(examples, f)], registry);
    assert.equal(cfg.components.get('syslog_in')?.type, 'syslog');
  });
}
