/** The pieces of `http_enrich` on their own: token bucket, cache, request templates (its breaker is the shared one, tested beside it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentConfigError } from '../../../core/component.js';
import { quietLog } from '../../../engine/testing.js';
import { LookupCache } from './cache.js';
import { compileBody, compileKeyText, compileUrl, encodeKeyForJson, encodeKeyForUrl } from './template.js';
import { TokenBucket } from './token-bucket.js';

test('token bucket: a burst, then one token per 1/rate; a reservation beyond max_wait takes nothing', () => {
  const b = new TokenBucket(2, 3, 0); // 2/s, burst 3
  assert.deepEqual([b.reserve(0, 0), b.reserve(0, 0), b.reserve(0, 0)], [0, 0, 0]);
  assert.equal(b.reserve(0, 0), -1, 'empty: would wait 500 ms');
  assert.equal(b.reserve(0, 500), 500, 'waits for the next token');
  assert.equal(b.reserve(0, 500), -1, 'the one after would wait 1000 ms');
  assert.equal(b.reserve(0, 1000), 1000);
  assert.equal(b.reserve(2000, 0), 0, 'after 2 s the two reservations are paid and one token is back');
  assert.equal(b.reserve(10_000, 0), 0);
  assert.ok(b.available(10_000_000) <= 3, 'never more than the burst');
});

test('cache: expiry per entry; least recently used out first; bounded by bytes too', () => {
  const c = new LookupCache<string>(3, 1000);
  c.set('a', 'A', 100, 10, 0);
  c.set('b', 'B', 50, 10, 0);
  assert.equal(c.get('a', 99), 'A');
  assert.equal(c.get('b', 50), undefined, 'expired at its own ttl');
  c.set('c', 'C', 100, 10, 0);
  c.set('d', 'D', 100, 10, 0);
  c.get('a', 1); // a is the most recently used now
  c.set('e', 'E', 100, 10, 0); // evicts c, the least recently used
  assert.equal(c.get('c', 1), undefined);
  assert.deepEqual(['a', 'd', 'e'].map((k) => c.get(k, 1)), ['A', 'D', 'E']);
  assert.equal(c.evictions, 1);
  c.set('big', 'X', 100, 990, 0);
  assert.ok(c.sizeBytes <= 1000 && c.get('big', 1) === 'X', 'older entries made room');
  c.set('huge', 'H', 100, 5000, 0);
  assert.equal(c.get('huge', 1), undefined, 'an entry larger than the cache is not kept');
  c.set('zero', 'Z', 0, 1, 0);
  assert.equal(c.get('zero', 0), undefined, 'ttl 0 caches nothing');
});

test('templates: the key is encoded for its place; the host is fixed', () => {
  const u = compileUrl('https://user:p%40ss@API.example.com:8443/v1/ip/{{ key }}?fields=all&q={{key}}', ['url']);
  assert.deepEqual({ protocol: u.protocol, hostname: u.hostname, port: u.port, host: u.host, display: u.display }, {
    protocol: 'https:', hostname: 'api.example.com', port: 8443, host: 'api.example.com:8443', display: 'https://api.example.com:8443/v1/ip/',
  });
  assert.equal(u.basicAuth, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  assert.equal(u.path.render(encodeKeyForUrl('2001:db8::1')!), '/v1/ip/2001%3Adb8%3A%3A1?fields=all&q=2001%3Adb8%3A%3A1');
  assert.equal(compileUrl('http://[::1]:8080?ip={{ key }}', ['url']).hostname, '::1');
  assert.equal(compileUrl('http://[::1]:8080?ip={{ key }}', ['url']).path.render('x'), '/?ip=x');
  assert.equal(encodeKeyForUrl('\ud800'), null, 'a lone surrogate cannot be encoded');
  assert.equal(encodeKeyForUrl('.'), '%2E');
  assert.equal(encodeKeyForUrl('a.b'), 'a.b');
  assert.equal(encodeKeyForJson('a"b\\c\n'), 'a\\"b\\\\c\\n');
  assert.equal(compileBody({ ip: '{{ key }}', n: 1 }, ['body']).render('1.2.3.4'), '{"ip":"1.2.3.4","n":1}');
  assert.ok(compileKeyText('Bearer abc', ['headers', 'a']).constant);
  assert.throws(() => compileKeyText('{{ key | upper }}', ['headers', 'a']), ComponentConfigError);
  assert.throws(() => compileUrl('https://api.example.com/x#{{ key }}', ['url']), /fragment/);
});
