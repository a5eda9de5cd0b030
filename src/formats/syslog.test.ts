import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyslog, parseRfc3164, parseRfc5424, type SyslogMessage, type SyslogOptions } from './syslog.js';

const utc = { timezone: 'utc' as const, now: Date.parse('2024-03-10T12:00:00Z') };

function ok(text: string, opts: SyslogOptions = utc): SyslogMessage {
  const r = parseSyslog(text, opts);
  if (!r.ok) assert.fail(`expected ${JSON.stringify(text)} to parse: ${r.error}`);
  return r.value;
}

function err(text: string, opts: SyslogOptions = utc): string {
  const r = parseSyslog(text, opts);
  if (r.ok) assert.fail(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(r.value)}`);
  return r.error;
}

// RFC 5424 section 6.5, examples 1-4 (BOM written as U+FEFF).
test('RFC 5424 example 1: no structured data, BOM before the message', () => {
  assert.deepEqual(ok("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8"), {
    facility: 'auth', severity: 'crit', facility_code: 4, severity_code: 2, version: 1,
    timestamp: '2003-10-11T22:14:15.003Z', hostname: 'mymachine.example.com', appname: 'su', msgid: 'ID47',
    message: "'su root' failed for lonvick on /dev/pts/8",
  });
});

test('RFC 5424 example 2: microseconds and a -07:00 offset become UTC with the digits kept', () => {
  assert.deepEqual(ok("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."), {
    facility: 'local4', severity: 'notice', facility_code: 20, severity_code: 5, version: 1,
    timestamp: '2003-08-24T12:14:15.000003Z', hostname: '192.0.2.1', appname: 'myproc', procid: '8710',
    message: "%% It's time to make the do-nuts.",
  });
});

test('RFC 5424 example 3: structured data and a message', () => {
  const m = ok('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...');
  assert.deepEqual(m.structured_data, { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } });
  assert.equal(m.appname, 'evntslog');
  assert.equal(m.procid, undefined);
  assert.equal(m.message, 'An application event log entry...');
});

test('RFC 5424 example 4: two SD elements and no message', () => {
  const m = ok('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]');
  assert.deepEqual(m.structured_data, {
    'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
    'examplePriority@32473': { class: 'high' },
  });
  assert.equal(m.message, '');
});

test('RFC 5424: structured data escapes \\" \\\\ \\] and a kept backslash', () => {
  const m = ok('<13>1 - - - - - [x@1 a="say \\"hi\\"" b="c:\\\\dir" c="[1\\]" d="keep\\n"] msg');
  assert.deepEqual(m.structured_data, { 'x@1': { a: 'say "hi"', b: 'c:\\dir', c: '[1]', d: 'keep\\n' } });
  assert.equal(m.message, 'msg');
});

test('RFC 5424: all NILVALUEs, repeated parameters, zone offsets', () => {
  const m = ok('<14>1 - - - - - -');
  assert.deepEqual(m, { facility: 'user', severity: 'info', facility_code: 1, severity_code: 6, version: 1, message: '' });
  const o = ok('<14>1 2024-01-01T00:30:00+01:00 h a p m [origin ip="192.0.2.1" ip="192.0.2.2"] x');
  assert.deepEqual(o.structured_data, { origin: { ip: ['192.0.2.1', '192.0.2.2'] } });
  assert.equal(o.timestamp, '2023-12-31T23:30:00.000Z');
  assert.equal(ok('<14>1 2024-01-01T00:00:00.123456789Z h a p m - x').timestamp, '2024-01-01T00:00:00.123456789Z');
});

test('RFC 5424: errors say what and where', () => {
  assert.match(err('<34>1 2003-13-11T22:14:15Z h a p m - x'), /timestamp at position 6/);
  assert.match(err('<34>1 2003-02-30T22:14:15Z h a p m - x'), /no such date 2003-02-30/);
  assert.match(err('<34>1 - h a p m [id k=v] x'), /expected '="' after parameter "k"/);
  assert.match(err('<34>1 - h a p m [id k="v] x'), /unterminated value of parameter "k"/);
  assert.match(err('<34>1 - h a p m [id k="v"'), /unterminated element/);
  assert.match(err('<34>1 - h a p m x'), /expected structured data/);
  assert.match(err('<192>1 - - - - - -'), /invalid PRI/);
  assert.match(err('<034>1 - - - - - -'), /invalid PRI/);
  assert.equal(parseRfc5424('Oct 11 22:14:15 host su: x').ok, false);
  // __proto__ as an SD-ID or name stays data.
  const p = ok('<13>1 - - - - - [__proto__ __proto__="x"] m');
  assert.equal(Object.getPrototypeOf(p.structured_data), Object.prototype);
  assert.deepEqual(Object.keys(p.structured_data!), ['__proto__']);
});

test('RFC 3164: the RFC example, with and without PRI', () => {
  assert.deepEqual(ok("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"), {
    facility: 'auth', severity: 'crit', facility_code: 4, severity_code: 2,
    timestamp: '2023-10-11T22:14:15.000Z', hostname: 'mymachine', appname: 'su', message: "'su root' failed for lonvick on /dev/pts/8",
  });
  assert.deepEqual(ok('Mar  9 06:25:13 web-1 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 52214 ssh2'), {
    timestamp: '2024-03-09T06:25:13.000Z', hostname: 'web-1', appname: 'sshd', procid: '2211',
    message: 'Failed password for invalid user admin from 203.0.113.7 port 52214 ssh2',
  });
});

test('RFC 3164: the year is chosen so the time is at most a day ahead', () => {
  // now = 2024-03-10T12:00Z: Mar 11 10:00 is < 1 day ahead -> this year; Mar 12 is last year.
  assert.equal(ok('Mar 11 10:00:00 h a: x').timestamp, '2024-03-11T10:00:00.000Z');
  assert.equal(ok('Mar 12 10:00:00 h a: x').timestamp, '2023-03-12T10:00:00.000Z');
  assert.equal(ok('Dec 31 23:59:59 h a: x').timestamp, '2023-12-31T23:59:59.000Z');
  // Feb 29 in a non-leap "now" year walks back to the last leap year.
  assert.equal(ok('Feb 29 01:00:00 h a: x', { timezone: 'utc', now: Date.parse('2025-03-01T00:00:00Z') }).timestamp, '2024-02-29T01:00:00.000Z');
  // With a year given (Cisco style) and fractional seconds.
  assert.equal(ok('<189>Oct  1 2003 22:14:15.123 router tag: x').timestamp, '2003-10-01T22:14:15.123Z');
});

test('RFC 3164: local timezone follows the process zone', () => {
  const m = ok('Mar  9 06:25:13 h a: x', { timezone: 'local', now: utc.now });
  assert.equal(m.timestamp, new Date(2024, 2, 9, 6, 25, 13).toISOString());
});

test('RFC 3164: rsyslog ISO timestamps, with and without PRI', () => {
  const m = ok('2024-01-15T10:20:30.123456+01:00 web-1 sshd[42]: Accepted publickey for deploy');
  assert.equal(m.timestamp, '2024-01-15T09:20:30.123456Z');
  assert.equal(m.hostname, 'web-1');
  assert.equal(m.appname, 'sshd');
  assert.equal(m.procid, '42');
  assert.equal(m.version, undefined);
  assert.equal(ok('<86>2024-01-15T10:20:30Z web-1 CRON[7]: (root) CMD (true)').facility, 'authpriv');
});

test('RFC 3164: no hostname (from /dev/log), no tag, tags with slashes, PRI only', () => {
  const a = ok('<13>Oct 11 22:14:15 sshd[12]: hello');
  assert.equal(a.hostname, undefined);
  assert.equal(a.appname, 'sshd');
  const b = ok('Oct 11 22:14:15 host just some text: here');
  assert.equal(b.hostname, 'host');
  assert.equal(b.appname, undefined);
  assert.equal(b.message, 'just some text: here');
  const c = ok('Oct 11 22:14:15 mail postfix/smtpd[901]: connect from x');
  assert.equal(c.appname, 'postfix/smtpd');
  assert.equal(c.procid, '901');
  const d = ok('<13>no header at all');
  assert.deepEqual(d, { facility: 'user', severity: 'notice', facility_code: 1, severity_code: 5, message: 'no header at all' });
  assert.equal(parseRfc3164('<0>kernel: x').ok, true);
});

test('RFC 3164: text that is not syslog is an error', () => {
  assert.match(err('hello world'), /no PRI .* and no timestamp/);
  assert.match(err(''), /no PRI/);
  assert.match(err('<abc>x'), /invalid PRI/);
  assert.match(err('Oct 11 25:14:15 host a: x'), /no timestamp/);
});

test('timestamps: arithmetic conversion agrees with Date for random dates, offsets and fractions', () => {
  let a = 99;
  const rnd = (n: number) => { a = (a * 1103515245 + 12345) & 0x7fffffff; return a % n; };
  const p2 = (n: number) => String(n).padStart(2, '0');
  for (let k = 0; k < 20_000; k++) {
    const y = 1 + rnd(9998), mo = 1 + rnd(12), d = 1 + rnd(28), h = rnd(24), mi = rnd(60), s = rnd(60);
    const fracDigits = rnd(10);
    const frac = fracDigits ? String(rnd(10 ** Math.min(fracDigits, 9))).padStart(fracDigits, '0') : '';
    const off = rnd(3) === 0 ? 'Z' : `${rnd(2) ? '+' : '-'}${p2(rnd(24))}:${p2(rnd(60))}`;
    const ts = `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(s)}${frac ? '.' + frac : ''}${off}`;
    const r = parseSyslog(`<13>1 ${ts} h a p m - x`, utc);
    const offMin = off === 'Z' ? 0 : (off[0] === '-' ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
    const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
    const dt = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
    dt.setUTCFullYear(y, mo - 1, d);
    let want = new Date(dt.getTime() - offMin * 60_000).toISOString();
    if (frac.length > 3) want = want.slice(0, -4) + frac + 'Z';
    assert.ok(r.ok, ts);
    assert.equal(r.value.timestamp, want, ts);
  }
});
