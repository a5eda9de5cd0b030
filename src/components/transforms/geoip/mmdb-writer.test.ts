// The MMDB writer, checked by reading what it writes with the `maxmind` package's Reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from 'maxmind';
import { formatV4 } from '../../../enrich/ip.js';
import { MmdbWriter, mmdb, METADATA_MARKER, type MmdbValue } from './mmdb-writer.js';

const read = (buf: Buffer) => new Reader<any>(buf);
const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));

const EVERY_TYPE: MmdbValue = {
  string: 'Zürich', empty: '', long: 'x'.repeat(100), longer: 'y'.repeat(1000), longest: 'z'.repeat(70_000),
  uint16: mmdb.uint16(65_535), uint32: 4_294_967_295, small: 7, zero: 0,
  uint64: 2n ** 63n + 5n, uint128: 2n ** 127n + 1n, int32: -123_456, double: -0.5, float: mmdb.float(1.5),
  yes: true, no: false, bytes: Buffer.from([0, 1, 254, 255]),
  array: [1, 'two', [3], { four: 4 }], emptyArray: [], map: { nested: { deeper: { deepest: 'here' } } }, emptyMap: {},
};

for (const recordSize of [24, 28, 32] as const) {
  test(`record size ${recordSize}: every data type reads back as written, IPv4 tree`, () => {
    const buf = new MmdbWriter({ ipVersion: 4, recordSize, databaseType: 'Sluice-Test', languages: ['en', 'de'], description: { en: 'test' }, buildEpoch: 1_700_000_000 })
      .insert('1.2.3.0/24', EVERY_TYPE)
      .insert('10.0.0.0/8', 'ten')
      .insert('255.255.255.255/32', 'last')
      .build();
    const r = read(buf);
    assert.equal(r.metadata.recordSize, recordSize);
    assert.equal(r.metadata.ipVersion, 4);
    assert.equal(r.metadata.databaseType, 'Sluice-Test');
    assert.deepEqual(r.metadata.languages, ['en', 'de']);
    assert.deepEqual(r.metadata.description, { en: 'test' });
    assert.equal(r.metadata.buildEpoch.getTime(), 1_700_000_000_000);
    const got = r.get('1.2.3.77');
    assert.equal(got.uint64, 2n ** 63n + 5n);
    assert.equal(got.uint128, 2n ** 127n + 1n);
    assert.deepEqual(Buffer.from(got.bytes), Buffer.from([0, 1, 254, 255]));
    assert.equal(got.longest.length, 70_000);
    assert.deepEqual(plain({ ...got, bytes: null }), plain({ ...(EVERY_TYPE as object), uint16: 65_535, float: 1.5, bytes: null }));
    assert.deepEqual(r.getWithPrefixLength('10.200.1.1'), ['ten', 8]);
    assert.deepEqual(r.getWithPrefixLength('255.255.255.255'), ['last', 32]);
    assert.equal(r.get('1.2.4.0'), null);
    assert.equal(r.get('9.255.255.255'), null);
  });

  test(`record size ${recordSize}: IPv6 tree with the IPv4 subtree at ::/96 and its aliases`, () => {
    const buf = new MmdbWriter({ ipVersion: 6, recordSize, databaseType: 'Sluice-Test' })
      .insert('81.2.69.0/24', { country: 'GB' })
      .insert('2001:db8::/32', { country: 'doc' })
      .insert('2a02:c7f::/29', { country: 'GB6' })
      .build();
    const r = read(buf);
    assert.equal(r.metadata.ipVersion, 6);
    assert.deepEqual(r.getWithPrefixLength('81.2.69.142'), [{ country: 'GB' }, 24]);
    assert.deepEqual(r.getWithPrefixLength('::81.2.69.142'), [{ country: 'GB' }, 120]);
    assert.deepEqual(r.get('::ffff:81.2.69.142'), { country: 'GB' }, '::ffff:0:0/96 leads to the IPv4 subtree');
    assert.deepEqual(r.get('2002:5102:458e::1'), { country: 'GB' }, '2002::/16 (6to4) leads to the IPv4 subtree');
    assert.deepEqual(r.getWithPrefixLength('2001:db8:1::1'), [{ country: 'doc' }, 32]);
    assert.deepEqual(r.getWithPrefixLength('2a02:c7f:1234::1'), [{ country: 'GB6' }, 29]);
    assert.equal(r.get('2a02:c80::1'), null);
    assert.equal(r.get('81.2.70.1'), null);
  });
}

test('without aliases an IPv4-mapped address is not found', () => {
  const r = read(new MmdbWriter({ ipVersion: 6, databaseType: 'T', ipv4Aliases: false }).insert('81.2.69.0/24', 'gb').build());
  assert.equal(r.get('81.2.69.1'), 'gb');
  assert.equal(r.get('::ffff:81.2.69.1'), null);
  assert.equal(r.get('2002:5102:4501::'), null);
});

test('a smaller network inserted later splits a larger one; a larger one inserted later replaces what it covers', () => {
  const r = read(new MmdbWriter({ ipVersion: 4, databaseType: 'T' })
    .insert('10.0.0.0/8', 'big')
    .insert('10.1.0.0/16', 'inner')
    .insert('192.168.1.0/24', 'old')
    .insert('192.168.0.0/16', 'new')
    .build());
  assert.deepEqual(r.getWithPrefixLength('10.1.2.3'), ['inner', 16]);
  assert.deepEqual(r.getWithPrefixLength('10.2.0.0'), ['big', 15]);
  assert.deepEqual(r.getWithPrefixLength('10.0.255.255'), ['big', 16]);
  assert.equal(r.get('192.168.1.1'), 'new');
});

test('pointers: shared parts are written once, read back the same, over all pointer sizes', () => {
  // Enough distinct data that later records sit beyond 2,048 and 526,336 bytes (the 2- and 3-byte pointer sizes).
  const shared = { names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' }, iso_code: 'GB' };
  const build = (pointers: boolean) => {
    const w = new MmdbWriter({ ipVersion: 4, recordSize: 28, databaseType: 'T', pointers });
    for (let i = 0; i < 700; i++) w.insert(`${formatV4(0x0b000000 + i * 256)}/24`, { country: shared, registered_country: shared, note: `${i} ${'n'.repeat(900)}`, again: `${i} ${'n'.repeat(900)}` });
    return w.build();
  };
  const withPtr = build(true), without = build(false);
  assert.ok(withPtr.length < without.length * 0.6, `${withPtr.length} bytes with pointers, ${without.length} without`);
  const a = read(withPtr), b = read(without);
  for (const i of [0, 1, 3, 500, 699]) {
    const ip = formatV4(0x0b000000 + i * 256 + 9);
    assert.deepEqual(a.get(ip), b.get(ip));
    assert.equal(a.get(ip).again, `${i} ${'n'.repeat(900)}`);
  }
});

test('identical records are stored once', () => {
  const one = new MmdbWriter({ ipVersion: 4, databaseType: 'T' }).insert('1.0.0.0/24', { a: [1, 2] }).build();
  const w = new MmdbWriter({ ipVersion: 4, databaseType: 'T' });
  for (let i = 1; i <= 50; i++) w.insert(`${i}.0.0.0/24`, { a: [1, 2] });
  const many = w.build();
  const dataOf = (b: Buffer) => { const r = read(b); return b.lastIndexOf(METADATA_MARKER) - r.metadata.searchTreeSize - 16; };
  assert.equal(dataOf(many), dataOf(one));
});

test('refuses what the format cannot hold', () => {
  assert.throws(() => new MmdbWriter({ ipVersion: 4, databaseType: 'T' }).insert('2001:db8::/32', 1), /IPv6 network/);
  assert.throws(() => new MmdbWriter({ ipVersion: 4, databaseType: 'T' }).insert('not a network', 1), /not a network/);
  assert.throws(() => new MmdbWriter({ ipVersion: 4, databaseType: 'T' }).insert('1.0.0.0/24', mmdb.uint16(70_000)).build(), /uint16 out of range/);
});

test('property: every address reads the value of the last inserted network that contains it', () => {
  const net = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 32 }));
  fc.assert(fc.property(
    fc.array(net, { minLength: 1, maxLength: 30 }),
    fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 30 }),
    fc.constantFrom(24, 28, 32),
    fc.constantFrom(4, 6),
    (nets, probes, recordSize, ipVersion) => {
      const w = new MmdbWriter({ ipVersion: ipVersion as 4 | 6, recordSize: recordSize as 24 | 28 | 32, databaseType: 'T' });
      const norm = nets.map(([n, p]) => { const size = 2 ** (32 - p); const lo = Math.floor(n / size) * size; return { lo, hi: lo + size - 1, p }; });
      norm.forEach((x, i) => w.insert(`${formatV4(x.lo)}/${x.p}`, i));
      const r = read(w.build());
      // Probe inside the networks too, not only at random.
      const addrs = [...probes, ...norm.map((x) => x.lo), ...norm.map((x) => x.hi)];
      for (const a of addrs) {
        let want: number | null = null;
        norm.forEach((x, i) => { if (a >= x.lo && a <= x.hi) want = i; });
        assert.equal(r.get(formatV4(a)), want, `${formatV4(a)}`);
      }
    },
  ), { numRuns: 200 });
});
