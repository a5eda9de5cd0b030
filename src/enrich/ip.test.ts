import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatV4, formatV6Hex, parseIp, parseNetwork, RangeTableBuilder, specialRange } from './ip.js';

test('parses IPv4, IPv6 and IPv4-mapped IPv6 (as IPv4)', () => {
  assert.deepEqual(parseIp('192.0.2.1'), { v: 4, n: 0xc0000201 });
  assert.deepEqual(parseIp('::ffff:192.0.2.1'), { v: 4, n: 0xc0000201 });
  assert.deepEqual(parseIp('2001:db8::1'), { v: 6, hex: '20010db8000000000000000000000001' });
  assert.equal(parseIp('2001:DB8::1')!.v, 6);
  for (const bad of ['', 'example.com', '1.2.3', '1.2.3.256', '01.2.3.4', '2001:::1', '1.2.3.4/24']) assert.equal(parseIp(bad), null, bad);
});

test('parses networks, clearing host bits, and prints them normalised', () => {
  assert.equal(parseNetwork('10.1.2.3/8')!.text, '10.0.0.0/8');
  assert.equal(parseNetwork('10.1.2.3')!.text, '10.1.2.3/32');
  assert.equal(parseNetwork('2001:db8:abcd::1/33')!.text, '2001:db8:8000::/33');
  assert.equal(parseNetwork('fe80::1/10')!.text, 'fe80::/10');
  assert.equal(parseNetwork('::ffff:10.0.0.0/104')!.text, '10.0.0.0/8');
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/a', '::/129', 'x/8']) assert.equal(parseNetwork(bad), null, bad);
  assert.equal(formatV4(0xffffffff), '255.255.255.255');
  assert.equal(formatV6Hex('00000000000000000000000000000001'), '::1');
  assert.equal(formatV6Hex('20010db8000000010000000000000000'), '2001:db8:0:1::');
});

test('special-purpose ranges are named; global addresses are not', () => {
  const kind = (t: string) => specialRange(parseIp(t)!);
  assert.equal(kind('10.20.30.40'), 'private');
  assert.equal(kind('172.31.255.255'), 'private');
  assert.equal(kind('172.32.0.1'), null);
  assert.equal(kind('192.168.1.1'), 'private');
  assert.equal(kind('127.0.0.1'), 'loopback');
  assert.equal(kind('169.254.169.254'), 'link_local');
  assert.equal(kind('100.64.0.1'), 'shared');
  assert.equal(kind('203.0.113.7'), 'documentation');
  assert.equal(kind('239.1.1.1'), 'multicast');
  assert.equal(kind('255.255.255.255'), 'broadcast');
  assert.equal(kind('8.8.8.8'), null);
  assert.equal(kind('::1'), 'loopback');
  assert.equal(kind('fd00::1'), 'unique_local');
  assert.equal(kind('fe80::1'), 'link_local');
  assert.equal(kind('2001:db8::1'), 'documentation');
  assert.equal(kind('2606:4700::1111'), null);
  assert.equal(kind('::ffff:10.0.0.1'), 'private');
});

test('range table: innermost network first, every covering network listed, misses empty', () => {
  const b = new RangeTableBuilder<string>();
  for (const [net, v] of [['10.0.0.0/8', 'corp'], ['10.1.0.0/16', 'dc1'], ['10.1.2.0/24', 'db'], ['10.1.2.3', 'db-primary'], ['192.0.2.0/24', 'doc'], ['2001:db8::/32', 'v6doc'], ['2001:db8:1::/48', 'v6lab']] as const) b.add(parseNetwork(net)!, v);
  const t = b.build();
  const all = (ip: string) => [...t.all(parseIp(ip)!)];
  assert.deepEqual(all('10.1.2.3'), ['db-primary', 'db', 'dc1', 'corp']);
  assert.deepEqual(all('10.1.2.4'), ['db', 'dc1', 'corp']);
  assert.deepEqual(all('10.1.3.0'), ['dc1', 'corp']);
  assert.deepEqual(all('10.2.0.0'), ['corp']);
  assert.deepEqual(all('11.0.0.0'), []);
  assert.deepEqual(all('9.255.255.255'), []);
  assert.equal(t.longest(parseIp('192.0.2.255')!), 'doc');
  assert.equal(t.longest(parseIp('192.0.3.0')!), null);
  assert.deepEqual(all('2001:db8:1::5'), ['v6lab', 'v6doc']);
  assert.deepEqual(all('2001:db9::'), []);
  assert.equal(t.size, 7);
});

test('range table: networks ending together and the top of the address space', () => {
  const b = new RangeTableBuilder<string>();
  b.add(parseNetwork('0.0.0.0/0')!, 'any');
  b.add(parseNetwork('255.255.255.0/24')!, 'top');
  b.add(parseNetwork('255.255.255.255')!, 'last');
  b.add(parseNetwork('10.255.255.0/24')!, 'a');
  b.add(parseNetwork('10.0.0.0/8')!, 'b');
  const t = b.build();
  assert.deepEqual([...t.all(parseIp('255.255.255.255')!)], ['last', 'top', 'any']);
  assert.deepEqual([...t.all(parseIp('10.255.255.255')!)], ['a', 'b', 'any']);
  assert.deepEqual([...t.all(parseIp('11.0.0.0')!)], ['any'], 'after two networks end at the same address, the outer one is open again');
  assert.deepEqual([...t.all(parseIp('0.0.0.0')!)], ['any']);
});

test('range table agrees with a linear scan over random CIDR sets (property)', () => {
  const cidr = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 32 }));
  fc.assert(fc.property(fc.array(cidr, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }), (nets, probes) => {
    const b = new RangeTableBuilder<number>();
    const parsed = nets.map(([n, p]) => parseNetwork(`${formatV4(n)}/${p}`)!);
    // Probe inside the networks too, not only at random.
    const points = [...probes, ...parsed.flatMap((x) => [x.lo, x.hi, Math.max(0, x.lo - 1), Math.min(0xffffffff, x.hi + 1)])];
    parsed.forEach((x, i) => b.add(x, i));
    const t = b.build();
    for (const ip of points) {
      const want = parsed.map((x, i) => ({ x, i })).filter(({ x }) => ip >= x.lo && ip <= x.hi)
        .sort((a, c) => (c.x.prefix - a.x.prefix) || (a.i - c.i)).map(({ i }) => i);
      const got = [...t.all({ v: 4, n: ip })];
      assert.deepEqual([...got].sort((a, c) => a - c), [...want].sort((a, c) => a - c), `members for ${formatV4(ip)}`);
      if (want.length) assert.equal(parsed[got[0]!]!.prefix, parsed[want[0]!]!.prefix, `innermost for ${formatV4(ip)}`);
    }
  }), { numRuns: 300 });
});
