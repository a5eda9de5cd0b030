// Function library behaviour beyond the documented examples: edge cases, error paths, reference vectors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileValue, ExprRuntimeError, type Event } from './index.js';

const v = (src: string, e: Event = {}): unknown => compileValue(src)(e);
const fails = (src: string, re: RegExp, e: Event = {}) =>
  assert.throws(() => v(src, e), (x: unknown) => x instanceof ExprRuntimeError && re.test(x.reason));

test('community_id matches the reference vectors of the spec (pycommunityid tests)', () => {
  // [src, dst, sport, dport, proto, default, seed=1]
  const vectors: [string, string, number | null, number | null, number, string, string][] = [
    ['128.232.110.120', '66.35.250.204', 34855, 80, 6, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
    ['66.35.250.204', '128.232.110.120', 80, 34855, 6, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
    ['10.0.0.1', '10.0.0.2', 10, 11569, 6, '1:SXBGMX1lBOwhhoDrZynfROxnhnM=', '1:HmBRGR+fUyXF4t8WEtal7Y0gEAo='],
    ['192.168.1.52', '8.8.8.8', 54585, 53, 17, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
    ['8.8.8.8', '192.168.1.52', 53, 54585, 17, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
    ['192.168.170.8', '192.168.170.56', 7, 80, 132, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=', '1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU='],
    ['192.168.170.56', '192.168.170.8', 80, 7, 132, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=', '1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU='],
    ['192.168.0.89', '192.168.0.1', 8, 0, 1, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
    ['192.168.0.1', '192.168.0.89', 0, 8, 1, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
    ['192.168.0.89', '192.168.0.1', 20, 0, 1, '1:3o2RFccXzUgjl7zDpqmY7yJi8rI=', '1:lCXHHxavE1Vq3oX9NH5ladQg02o='],
    ['192.168.0.89', '192.168.0.1', 20, 1, 1, '1:tz/fHIDUHs19NkixVVoOZywde+I=', '1:Ie3wmFyxiEyikbsbcO03d2nh+PM='],
    ['192.168.0.1', '192.168.0.89', 0, 20, 1, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
    ['fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 0, 58, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
    ['fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 0, 58, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
    ['3ffe:507:0:1:260:97ff:fe07:69ea', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, 58, '1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=', '1:OlOWx9psIbBFi7lOCw/4MhlKR9M='],
    ['3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:507:0:1:260:97ff:fe07:69ea', 3, 0, 58, '1:/OGBt9BN1ofenrmSPWYicpij2Vc=', '1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE='],
    ['10.1.24.4', '10.1.12.1', null, null, 46, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=', '1:BK3BVW3U2eemuwVQVN3zd/GULno='],
    ['10.1.12.1', '10.1.24.4', null, null, 46, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=', '1:BK3BVW3U2eemuwVQVN3zd/GULno='],
  ];
  const f = compileValue('[community_id(.s, .d, .sp, .dp, .p), community_id(.s, .d, .sp, .dp, .p, 1)]');
  for (const [s, d, sp, dp, p, want0, want1] of vectors) {
    assert.deepEqual(f({ s, d, sp, dp, p }), [want0, want1], `${s} -> ${d} proto ${p}`);
  }
  fails('community_id("1.2.3.4", "::1", 1, 2, "tcp")', /same version/);
  fails('community_id("1.2.3.4", "5.6.7.8", 1, 70000, "tcp")', /between 0 and 65535/);
  fails('community_id("1.2.3.4", "nope", 1, 2, "tcp")', /invalid destination IP/);
  fails('community_id("1.2.3.4", "5.6.7.8", 1, 2, "bogus")', /unknown protocol/);
});

test('strings: split limits, replace counts, join and substring edges', () => {
  assert.deepEqual(v('[split("a,b,c", ",", 0), split("a,b,c", ",", 5), split("", ","), split("abc", "")]'), [[], ['a', 'b', 'c'], [''], ['a', 'b', 'c']]);
  assert.deepEqual(v('[replace("aaa", "a", "b", 2), replace("aaa", r\'a\', "b", 1), replace("x.y", ".", "-")]'), ['bba', 'baa', 'x-y']);
  fails('join([1, 2], ",")', /list of strings/);
  fails('replace("a", "", "b")', /must not be empty/);
  assert.deepEqual(v('[substring("abc", 5), substring("abc", 2, 1), substring("abc", -10, 2), truncate("abc", 5)]'), ['', '', 'ab', 'abc']);
  fails('substring("abc", 1.5)', /integer start/);
});

test('capture_all and regexes given as strings', () => {
  assert.deepEqual(v('capture_all("k1=v1;k2=v2", "(\\\\w+)=(\\\\w+)")'), [{ 1: 'k1', 2: 'v1' }, { 1: 'k2', 2: 'v2' }]);
  assert.equal(v('match("ABC", "(?i)abc")'), true);
  assert.deepEqual(v('capture("x", r\'(?P<a>y)?x\')'), { a: null });
});

test('parse_kv: quotes, escapes, custom separators, errors', () => {
  assert.deepEqual(v(`parse_kv("a='one two' b=\\"say \\\\\\"hi\\\\\\"\\" c=")`), { a: 'one two', b: 'say "hi"', c: '' });
  assert.deepEqual(v('parse_kv("k1:v1|k2:v2|junk", "|", ":")'), { k1: 'v1', k2: 'v2' });
  assert.deepEqual(v('parse_kv("  spaced=1   out=2  ")'), { spaced: '1', out: '2' });
  fails('parse_kv("a=\\"unterminated")', /unterminated quoted value/);
  fails('parse_kv(.n)', /expected a string/, { n: 5 });
});

test('parse_csv and parse_url error paths', () => {
  assert.deepEqual(v('parse_csv("a;b;\\"c;d\\"", ";")'), ['a', 'b', 'c;d']);
  fails('parse_csv("\\"open")', /unterminated/);
  fails('parse_url("not a url")', /invalid URL/);
  assert.deepEqual(v('parse_url("http://[::1]:8080/x").host'), '::1');
  assert.equal(v('parse_url("https://example.com").port'), null);
});

test('parse_syslog: RFC 3164 variants', () => {
  const p = compileValue('parse_syslog(.m)');
  const get = (m: string) => { const r = p({ m }) as Record<string, unknown>; delete r.timestamp; return r; };
  assert.deepEqual(get('<13>Feb  5 17:32:18 10.0.0.99 myapp: hello world'), { pri: 13, facility: 'user', severity: 'notice', hostname: '10.0.0.99', appname: 'myapp', message: 'hello world' });
  assert.deepEqual(get('<86>Feb  5 17:32:18 sshd[42]: Accepted publickey'), { pri: 86, facility: 'authpriv', severity: 'info', appname: 'sshd', procid: 42, message: 'Accepted publickey' });
  assert.deepEqual(get('<30>Feb  5 17:32:18 host just a message'), { pri: 30, facility: 'daemon', severity: 'info', hostname: 'host', message: 'just a message' });
  assert.deepEqual(get('Feb  5 17:32:18 host cron[1]: job'), { hostname: 'host', appname: 'cron', procid: 1, message: 'job' });
  const iso = p({ m: '<14>2024-03-01T12:00:00.5+01:00 web nginx: GET /' }) as Record<string, unknown>;
  assert.deepEqual(iso, { pri: 14, facility: 'user', severity: 'info', timestamp: 1709290800500, hostname: 'web', appname: 'nginx', message: 'GET /' });
  // BSD timestamps get the current year, in the requested zone
  const t = compileValue('parse_syslog(.m, "+02:00").timestamp')({ m: '<13>Jan  1 02:00:00 h a: b' }) as number;
  const d = new Date(t);
  assert.equal(d.getUTCHours(), 0);
  assert.ok(d.getUTCFullYear() >= 2024);
  fails('parse_syslog("hello")', /not a syslog message/);
  fails('parse_syslog("<999>Oct 11 22:14:15 h a: b")', /invalid PRI/);
});

test('parse_syslog: RFC 5424 nil fields, escapes in structured data, no message', () => {
  assert.deepEqual(v('parse_syslog("<34>1 - - - - - -")'), { pri: 34, facility: 'auth', severity: 'crit', version: 1, timestamp: null, hostname: null, appname: null, procid: null, msgid: null, message: '' });
  assert.deepEqual(v('parse_syslog(.m).structured_data', { m: '<34>1 2024-01-01T00:00:00Z h a p m [x@1 k="a \\"q\\" \\] b"][y@2] msg' }), { 'x@1': { k: 'a "q" ] b' }, 'y@2': {} });
  assert.equal(v('parse_syslog(.m).message', { m: '<34>1 2024-01-01T00:00:00Z h a p m - \uFEFFbom msg' }), 'bom msg');
  fails('parse_syslog("<34>1 2024-01-01T00:00:00Z h a p")', /truncated/);
  fails('parse_syslog("<34>1 2024-01-01T00:00:00Z h a p m x")', /missing structured data/);
});

test('parse_user_agent: more families and categories', () => {
  const f = compileValue('[parse_user_agent(.u).browser.family, parse_user_agent(.u).os.family, parse_user_agent(.u).os.version, parse_user_agent(.u).device.family, parse_user_agent(.u).category]');
  const cases: [string, unknown[]][] = [
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', ['Safari', 'Mac OS X', '10.15.7', 'Desktop', 'browser']],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', ['Firefox', 'Linux', null, 'Desktop', 'browser']],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91', ['Edge', 'Windows', '10', 'Desktop', 'browser']],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', ['Chrome', 'Android', '14', 'Mobile', 'browser']],
    ['Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1', ['Safari', 'iOS', '17.1', 'Tablet', 'browser']],
    ['Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)', ['IE', 'Windows', '7', 'Desktop', 'browser']],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', ['Googlebot', null, null, 'Spider', 'bot']],
    ['Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)', ['Nikto', null, null, 'Spider', 'scanner']],
    ['masscan/1.3 (https://github.com/robertdavidgraham/masscan)', ['masscan', null, null, 'Spider', 'scanner']],
    ['Wget/1.21.4', ['Wget', null, null, 'Other', 'cli']],
    ['Go-http-client/1.1', ['Go-http-client', null, null, 'Other', 'library']],
    ['something odd', [null, null, null, 'Other', 'unknown']],
  ];
  for (const [u, want] of cases) assert.deepEqual(f({ u }), want, u);
});

test('time: zones, DST, formats, errors', () => {
  // 2024-03-31 02:30 does not exist in Paris (clocks jump 02:00 -> 03:00); 2024-10-27 02:30 happens twice.
  assert.equal(v('format_timestamp(parse_timestamp("2024-03-31 01:30:00", "%F %T", "Europe/Paris"), "%T%:z", "Europe/Paris")'), '01:30:00+01:00');
  assert.equal(v('format_timestamp(parse_timestamp("2024-03-31 03:30:00", "%F %T", "Europe/Paris"), "%T%:z", "Europe/Paris")'), '03:30:00+02:00');
  assert.equal(v('parse_timestamp("2024-07-01T00:00:00", null, "America/Los_Angeles")'), Date.UTC(2024, 6, 1, 7));
  assert.equal(v('parse_timestamp("2024-060 10:00", "%Y-%j %H:%M")'), Date.UTC(2024, 1, 29, 10));
  assert.equal(v('parse_timestamp("1/2/24 3:04:05 PM", "%m/%d/%y %I:%M:%S %p")'), Date.UTC(2024, 0, 2, 15, 4, 5));
  assert.equal(v('parse_timestamp("2024-01-02 03:04:05.123456 UTC", "%F %T.%f %Z")'), Date.UTC(2024, 0, 2, 3, 4, 5, 123));
  assert.equal(v('parse_timestamp("Tue, 02 Jan 2024 03:04:05 +0000", "rfc2822")'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(v('parse_timestamp("1704164645.5", "%s")'), 1704164645500);
  assert.equal(v('parse_timestamp(5)'), 5);
  assert.equal(v('format_timestamp(0, "%Y %j %s %e|%%")'), '1970 001 0  1|%');
  fails('parse_timestamp("2024-02-30T00:00:00Z")', /invalid day 30/);
  fails('parse_timestamp("nope")', /invalid RFC 3339/);
  fails('parse_timestamp("2024", "%Q")', /unsupported format directive "%Q"/);
  fails('parse_timestamp("2024-01-01T00:00:00", null, "Mars/Base")', /unknown time zone/);
  fails('to_unix(1, "fortnights")', /unknown unit/);
  assert.equal(v('to_unix(1500, "microseconds")'), 1_500_000);
});

test('network: IPv6 forms, mapped addresses, invalid input', () => {
  assert.deepEqual(v('[ip_version("::"), ip_version("::ffff:1.2.3.4"), ip_version("fe80::1%eth0"), ip_version("1.2.3"), ip_version("01.2.3.4"), ip_version("1:2:3:4:5:6:7:8:9")]'), [6, 6, 6, null, null, null]);
  assert.deepEqual(v('["::1" in ::1/128, "::2" in ::1/128, "2001:db8:ffff::1" in 2001:db8::/32, "10.0.0.1" in 2001:db8::/32, ip_in_cidr("10.0.0.1", "10.0.0.0/33") ?? "bad"]'), [true, false, true, false, 'bad']);
  fails('ip_in_cidr(.n, 10.0.0.0/8)', /IP address string/, { n: 5 });
  assert.deepEqual(v('[is_private_ip("172.31.255.255"), is_private_ip("172.32.0.0"), is_private_ip("100.64.0.1"), is_private_ip("fe80::1"), is_private_ip("2606:4700::1")]'), [true, false, true, true, false]);
});

test('encoding: invalid input is an error', () => {
  fails('decode_base64("!!!")', /invalid base64/);
  fails('decode_base64("/w==")', /not valid UTF-8/);
  fails('decode_hex("abc")', /invalid hex/);
  fails('url_decode("%E0%A4%A")', /invalid percent-encoding/);
  assert.equal(v('decode_base64("aMOpbGxvPw")'), 'héllo?');
});

test('conversions: strict parsing', () => {
  fails('to_int("12abc")', /cannot convert "12abc"/);
  fails('to_float("1,5")', /cannot convert/);
  fails('to_bool("maybe")', /cannot convert/);
  fails('to_int([1])', /expected a number, string or boolean/);
  assert.deepEqual(v('[to_int(" -7 "), to_int("1e3"), to_float(".5"), to_string(true), to_string(r\'x\'), to_bool("OFF"), to_json("s")]'), [-7, 1000, 0.5, 'true', 'x', false, '"s"']);
});

test('collections: type errors and copies', () => {
  fails('keys(.l)', /expected an object/, { l: [1] });
  fails('merge({}, .n)', /expected an object/, { n: 1 });
  fails('min(1, "a")', /cannot compare number with string/);
  const e: Event = { o: { a: [1] } };
  const vals = v('values(.o)', e) as unknown[][];
  vals[0]!.push(2);
  assert.deepEqual(e.o, { a: [1] }, 'values() returns copies');
  assert.deepEqual(v('[unique(.missing), compact([]), flatten({}), slice([1, 2], 5)]'), [null, [], {}, []]);
});
