import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentConfigError } from '../../../core/component.js';
import { buildTransform, runTransform, checkConfig } from '../../../engine/testing.js';
import parse from './index.js';

async function run(cfg: Record<string, unknown>, events: Record<string, unknown>[]) {
  return runTransform(await buildTransform(parse, cfg), events);
}

test('json into the root: parsed fields win, other fields are kept, the raw text is dropped by default', async () => {
  const r = await run({ format: 'json' }, [
    { message: '{"user":"alice","host":"from-json","n":1}', host: 'from-source', file: '/var/log/app.json' },
  ]);
  assert.deepEqual(r.main, [{ user: 'alice', host: 'from-json', n: 1, file: '/var/log/app.json' }]);
  assert.equal(r.errors.length, 0);
});

test('json: drop_field false keeps the raw text unless the JSON has its own message', async () => {
  const r = await run({ format: 'json', drop_field: false }, [{ message: '{"a":1}' }, { message: '{"message":"inner"}' }]);
  assert.deepEqual(r.main, [{ a: 1, message: '{"a":1}' }, { message: 'inner' }]);
});

test('json errors carry the position and the reason; the original event is intact', async () => {
  const bad = { message: '{"user":"alice", "n": }', id: 7 };
  const r = await run({ format: 'json' }, [bad, { message: '[1,2]' }, { message: 42 }, { other: 'x' }, { message: '{"a":1} trailing' }]);
  assert.equal(r.main.length, 0);
  assert.deepEqual(r.errors.map((e) => [e.error_code, e.reason]), [
    ['parse_failed', "invalid JSON at position 22: unexpected '}'"],
    ['parse_failed', 'parsed value is a list, not an object: set `target` to a field name to keep it'],
    ['parse_failed', 'field `message` is 42, not text'],
    ['parse_failed', 'field `message` is missing'],
    ['parse_failed', "invalid JSON at position 8: unexpected 'trailing' after the end of the JSON value"],
  ]);
  assert.deepEqual(r.errors[0]!.event, { message: '{"user":"alice", "n": }', id: 7 });
});

test('json into a target field accepts any JSON value; nested source and target paths', async () => {
  const r = await run({ format: 'json', field: 'log.body', target: 'parsed.value' }, [
    { log: { body: '[1,"two"]' } },
    { log: { body: '"just a string"' } },
  ]);
  assert.deepEqual(r.main, [
    { log: { body: '[1,"two"]' }, parsed: { value: [1, 'two'] } },
    { log: { body: '"just a string"' }, parsed: { value: 'just a string' } },
  ]);
  const d = await run({ format: 'json', field: 'log.body', drop_field: true }, [{ log: { body: '{"a":1}', stream: 'stdout' } }]);
  assert.deepEqual(d.main, [{ a: 1, log: { stream: 'stdout' } }]);
});

test('syslog: an sshd line from auth.log merges into the event', async () => {
  const r = await run({ format: 'syslog', syslog: { timezone: 'utc' } }, [
    { message: 'Mar  9 06:25:13 web-1 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 52214 ssh2', file: '/var/log/auth.log' },
    { message: 'not syslog at all' },
  ]);
  assert.equal(r.main.length, 1);
  const e = r.main[0]!;
  assert.equal(e.hostname, 'web-1');
  assert.equal(e.appname, 'sshd');
  assert.equal(e.procid, '2211');
  assert.equal(e.message, 'Failed password for invalid user admin from 203.0.113.7 port 52214 ssh2');
  assert.equal(e.file, '/var/log/auth.log');
  assert.match(e.timestamp as string, /^\d{4}-03-09T06:25:13\.000Z$/);
  assert.match(r.errors[0]!.reason, /^invalid syslog: not a syslog message/);
});

test('syslog into a target keeps the raw message; RFC 5424 structured data', async () => {
  const raw = '<165>1 2003-10-11T22:14:15.003Z host app - ID47 [ex@32473 iut="3"] hello';
  const r = await run({ format: 'syslog', target: 'syslog' }, [{ message: raw }]);
  assert.deepEqual(r.main[0], {
    message: raw,
    syslog: { facility: 'local4', severity: 'notice', facility_code: 20, severity_code: 5, version: 1, timestamp: '2003-10-11T22:14:15.003Z', hostname: 'host', appname: 'app', msgid: 'ID47', structured_data: { 'ex@32473': { iut: '3' } }, message: 'hello' },
  });
});

test('kv with options, types and drop_field', async () => {
  const r = await run({
    format: 'kv', kv: { field_split: ',', value_split: ':' }, drop_field: true,
    types: { status: 'int', took: 'float', ok: 'bool', at: 'timestamp' },
  }, [{ message: 'status: 200, took: 0.25, ok: yes, at: 1700000000, path: "/a, b"', src: 'lb' }]);
  assert.deepEqual(r.main, [{ src: 'lb', status: 200, took: 0.25, ok: true, at: '2023-11-14T22:13:20.000Z', path: '/a, b' }]);
});

test('a failed type conversion sends the unchanged event to errors', async () => {
  const ev = { message: 'status=abc user=bob' };
  const r = await run({ format: 'kv', types: { status: 'int' } }, [ev]);
  assert.equal(r.main.length, 0);
  assert.equal(r.errors[0]!.reason, 'field "status": cannot convert "abc" to int');
  assert.deepEqual(r.errors[0]!.event, { message: 'status=abc user=bob' });
});

test('csv with columns and a delimiter; bad quoting is an error with a position', async () => {
  const r = await run({ format: 'csv', csv: { columns: ['time', 'src', 'action'], delimiter: ';' }, target: 'fw' }, [
    { message: '2024-01-01T00:00:00Z;10.0.0.1;"allow; logged"' },
    { message: '"unterminated;x' },
  ]);
  assert.deepEqual(r.main[0]!.fw, { time: '2024-01-01T00:00:00Z', src: '10.0.0.1', action: 'allow; logged' });
  assert.equal(r.errors[0]!.reason, 'invalid CSV: unterminated quoted field starting at position 0');
});

test('regex: named groups become fields, optional groups that did not match are left out', async () => {
  const r = await run({ format: 'regex', regex: { pattern: '^(?P<method>[A-Z]+) (?P<path>\\S+)(?: (?P<status>\\d+))?$' }, types: { status: 'int' } }, [
    { message: 'GET /index.html 200' },
    { message: 'POST /login' },
    { message: 'garbage' },
  ]);
  assert.deepEqual(r.main, [
    { message: 'GET /index.html 200', method: 'GET', path: '/index.html', status: 200 },
    { message: 'POST /login', method: 'POST', path: '/login' },
  ]);
  assert.equal(r.errors[0]!.reason, 'text does not match regex.pattern');
});

test('config errors point at the option', async () => {
  const expectError = async (cfg: Record<string, unknown>, path: (string | number)[], msg: RegExp) => {
    await assert.rejects(buildTransform(parse, cfg), (e: unknown) => {
      assert.ok(e instanceof ComponentConfigError, String(e));
      assert.deepEqual(e.path, path);
      assert.match(e.message, msg);
      return true;
    });
  };
  await expectError({ format: 'regex', regex: { pattern: '(?P<a>x' } }, ['regex', 'pattern'], /invalid regex: missing \)/);
  await expectError({ format: 'regex', regex: { pattern: '(?=lookahead)(?P<a>x)' } }, ['regex', 'pattern'], /invalid regex/);
  await expectError({ format: 'regex', regex: { pattern: '\\d+' } }, ['regex', 'pattern'], /no named groups/);
  await expectError({ format: 'regex' }, ['regex'], /needs `regex.pattern`/);
  await expectError({ format: 'json', kv: { value_split: ':' } }, ['kv'], /apply only to `format: kv`/);
  await expectError({ format: 'csv', csv: { delimiter: '::' } }, ['csv', 'delimiter'], /one character/);
  await expectError({ format: 'json', field: '.' }, ['field'], /not the event root/);
  assert.throws(() => checkConfig(parse, {}), /missing required field `format`/);
  assert.throws(() => checkConfig(parse, { format: 'xml' }), /expected one of/);
  assert.throws(() => checkConfig(parse, { format: 'kv', types: { a: 'integer' } }), /types\.a/);
});

test('__proto__ in parsed input stays data and never changes a prototype', async () => {
  const r = await run({ format: 'json' }, [{ message: '{"__proto__":{"polluted":true},"a":1}', __proto__x: 1 }]);
  const e = r.main[0]!;
  assert.equal(Object.getPrototypeOf(e), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const k = await run({ format: 'kv' }, [{ message: '__proto__=x a=1' }]);
  assert.equal(Object.getPrototypeOf(k.main[0]!), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(k.main[0]!, '__proto__')?.value, 'x');
});

test('zeek: each file\'s #fields/#types header types its own lines, interleaved; headers are consumed; a line before any header is an error', async () => {
  const header = (path: string, fields: string[], types: string[]) => [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#path\t${path}`,
    `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`,
  ];
  const conn = header('conn', ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'proto', 'duration'], ['time', 'string', 'addr', 'port', 'enum', 'interval']);
  const dns = header('dns', ['ts', 'uid', 'query', 'answers'], ['time', 'string', 'string', 'vector[string]']);
  const lines: { message: string; file: string }[] = [];
  const n = Math.max(conn.length, dns.length);
  for (let i = 0; i < n; i++) {
    if (conn[i]) lines.push({ message: conn[i]!, file: '/zeek/conn.log' });
    if (dns[i]) lines.push({ message: dns[i]!, file: '/zeek/dns.log' });
  }
  lines.push({ message: '1795428000.5\tC1\t192.0.2.10\t51000\ttcp\t-', file: '/zeek/conn.log' });
  lines.push({ message: '1795428001.25\tC2\texample.com\t192.0.2.1,192.0.2.2', file: '/zeek/dns.log' });
  lines.push({ message: '1795428002\tC3\t192.0.2.11\t51001\tudp\t0.5', file: '/zeek/other.log' });
  const r = await run({ format: 'zeek' }, lines);
  assert.equal(r.discarded, conn.length + dns.length, 'header lines are consumed');
  assert.deepEqual(r.main.map((e) => { const { message: _m, ...rest } = e; return rest; }), [
    { ts: 1795428000.5, uid: 'C1', 'id.orig_h': '192.0.2.10', 'id.orig_p': 51000, proto: 'tcp', _path: 'conn', file: '/zeek/conn.log' },
    { ts: 1795428001.25, uid: 'C2', query: 'example.com', answers: ['192.0.2.1', '192.0.2.2'], _path: 'dns', file: '/zeek/dns.log' },
  ]);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.reason, /^invalid Zeek log line in \/zeek\/other\.log: line 1: /);
});
