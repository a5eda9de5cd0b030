import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckContext } from '../../../core/schema.js';
import { feedObject, FeedLoader, type FeedConfig } from './feeds.js';
import { parseStixPattern } from './stix.js';
import type { FeedIndex } from './store.js';
import { parseIp } from '../../../enrich/ip.js';

const testdata = join(fileURLToPath(new URL('.', import.meta.url)).replace(/\/(?:dist|\.build\/[^/]+)\/src\//, '/src/'), 'testdata');
const NOW = Date.parse('2025-01-01T00:00:00Z');

function feedConfig(raw: Record<string, unknown>): FeedConfig {
  const ctx: CheckContext = { issues: [], positionOf: () => undefined };
  const cfg = feedObject.parse({ name: 'test', ...raw }, [], ctx);
  assert.deepEqual(ctx.issues, []);
  return cfg as FeedConfig;
}

async function load(raw: Record<string, unknown>, now = NOW): Promise<FeedIndex> {
  const l = new FeedLoader(feedConfig(raw), process.cwd(), () => now);
  await l.prepare();
  const idx = await l.load();
  assert.notEqual(idx, 'unchanged');
  return idx as FeedIndex;
}

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ti-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function keys(idx: FeedIndex): string[] {
  return [...idx.entries()].map(([k]) => k).sort();
}

/** The record found for a value by the index's own lookups (a domain: the exact key only). */
function find(idx: FeedIndex, v: string, now = NOW): number {
  const ip = parseIp(v);
  if (ip) return ip.v === 4 ? idx.findV4(ip.n, now) : idx.findV6(ip.hex, now);
  return idx.findKey(v, now);
}

test('list: one indicator per line, type inferred, comments and hosts-file lines understood', async () => {
  const p = file('list.txt', [
    '# Example blocklist',
    '; semicolon comment',
    '// slash comment',
    '',
    '198.51.100.7',
    '  203.0.113.0/24   ; SBL 123',
    '2001:db8::bad',
    '2001:db8:dead::/48',
    'Evil.Example.COM.',
    '*.wild.example',
    'http://Download.Example.org/payload.exe',
    'cdn.example.net/kit/index.php',
    '44D88612FEA8A8F36DE82E1278ABB02F',
    'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '0.0.0.0 ads.tracker.example',
    'not an indicator',
    '1.2.3',
    '198.51.100.7/32',
  ].join('\r\n'));
  const idx = await load({ path: p });
  assert.deepEqual(keys(idx), [
    '198.51.100.7', '2001:db8::bad', '2001:db8:dead::/48', '203.0.113.0/24',
    '44d88612fea8a8f36de82e1278abb02f', 'ads.tracker.example',
    'cdn.example.net/kit/index.php', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'download.example.org/payload.exe',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'evil.example.com', 'wild.example',
  ].sort());
  const r = idx.report;
  assert.equal(r.indicators, 12);
  assert.deepEqual(r.byType, { ipv4: 2, cidr: 2, ipv6: 1, domain: 3, url: 2, md5: 1, sha1: 1, sha256: 1 });
  assert.equal(r.invalid, 2, 'the "not" of "not an indicator" and 1.2.3');
  assert.equal(r.duplicates, 1, '198.51.100.7 and 198.51.100.7/32 are one address');
});

test('list: a fixed type makes other values invalid', async () => {
  const p = file('domains.txt', 'evil.example\n198.51.100.7\nbad.example\n');
  const idx = await load({ path: p, type: 'domain' });
  assert.deepEqual(keys(idx), ['bad.example', 'evil.example']);
  assert.equal(idx.report.invalid, 1);
  assert.match([...idx.report.reasons.keys()][0]!, /not a domain name/);
});

test('a feed with entries but no indicator fails to load (wrong format, an error page)', async () => {
  const p = file('page.html', '<html>\n<body>Service unavailable</body>\n</html>\n');
  const l = new FeedLoader(feedConfig({ path: p }), process.cwd(), () => NOW);
  await l.prepare();
  await assert.rejects(l.load(), /no indicators in it as format list \(3 entries are not: .*e\.g\. "<html>"\)/);
  // An empty file is an empty feed, not an error.
  const empty = await load({ path: file('empty.txt', '# nothing yet\n') });
  assert.equal(empty.report.indicators, 0);
});

test('csv: header, column mapping, type column, ip:port, dates, confidence, tags', async () => {
  const p = file('iocs.csv', [
    '# exported 2025-01-01',
    'first_seen_utc,ioc_value,ioc_type,threat,confidence_level,tags,valid_until,sev',
    '2024-12-01 10:00:00,198.51.100.9:443,ip:port,Cobalt Strike,75,"c2,cobaltstrike",,high',
    '2024-12-02 11:00:00,evil-cdn.example,domain,Qakbot,high,qakbot,2099-01-01T00:00:00Z,',
    '2024-12-03 12:00:00,44d88612fea8a8f36de82e1278abb02f,md5_hash,EICAR,100,,,',
    '2024-12-04 13:00:00,someone@example.com,email,Phish,50,,,',
    '2024-12-05 14:00:00,192.0.2.77,ip,Old,50,,2024-12-31T00:00:00Z,',
    '2024-12-06 15:00:00,https://evil.example/#x,url,With fragment,50,,,',
  ].join('\n'));
  const idx = await load({
    path: p, format: 'csv',
    csv: { value: 'ioc_value', type: 'ioc_type', first_seen: 'first_seen_utc', description: 'threat', confidence: 'confidence_level', tags: 'tags', expires: 'valid_until', severity: 'sev' },
  });
  assert.deepEqual(keys(idx), ['198.51.100.9', '44d88612fea8a8f36de82e1278abb02f', 'evil-cdn.example', 'evil.example/']);
  const r = idx.report;
  assert.equal(r.unsupported, 1, 'the email row');
  assert.equal(r.expired, 1, 'expired before the load');
  const ip = find(idx, '198.51.100.9');
  assert.equal(idx.confidence![ip], 75);
  assert.equal(idx.strings[idx.description![ip]!], 'Cobalt Strike');
  assert.equal(idx.strings[idx.severity![ip]!], 'high');
  assert.deepEqual(idx.tagSets[idx.tags![ip]!], ['c2', 'cobaltstrike']);
  assert.equal(idx.firstSeen![ip], Date.parse('2024-12-01T10:00:00Z'), 'a time without zone is UTC');
  const dom = find(idx, 'evil-cdn.example');
  assert.equal(idx.confidence![dom], 85, '"high" confidence');
  assert.equal(idx.expires![dom], Date.parse('2099-01-01T00:00:00Z'));
});

test('csv: no header, columns by number, fixed type', async () => {
  const p = file('hashes.csv', 'x;44D88612FEA8A8F36DE82E1278ABB02F;EICAR\ny;not-a-hash;nothing\n');
  const idx = await load({ path: p, format: 'csv', type: 'hash', csv: { header: false, delimiter: ';', value: 1, description: 2 } });
  assert.deepEqual(keys(idx), ['44d88612fea8a8f36de82e1278abb02f']);
  assert.equal(idx.report.invalid, 1);
});

test('csv: a column the header does not have fails the load with the header in the message', async () => {
  const p = file('x.csv', 'a,b\n1.2.3.4,x\n');
  const l = new FeedLoader(feedConfig({ path: p, format: 'csv', csv: { value: 'ip' } }), process.cwd(), () => NOW);
  await l.prepare();
  await assert.rejects(l.load(), /csv\.value: no column "ip" \(columns: a, b\)/);
});

test('STIX patterns: OR, IN, ISSUBSET and quoted hash names are supported; the rest is explained', () => {
  assert.deepEqual(parseStixPattern("[ipv4-addr:value = '198.51.100.1']").terms, [{ want: 'ip', value: '198.51.100.1' }]);
  assert.deepEqual(parseStixPattern("[file:hashes.'SHA-256' = 'ab' OR file:hashes.SHA1 = 'cd'] OR ([url:value = 'http://x/\\'q'])").terms,
    [{ want: 'sha256', value: 'ab' }, { want: 'sha1', value: 'cd' }, { want: 'url', value: "http://x/'q" }]);
  assert.deepEqual(parseStixPattern("[domain-name:value IN ('a.example', 'b.example')]").terms, [{ want: 'domain', value: 'a.example' }, { want: 'domain', value: 'b.example' }]);
  assert.deepEqual(parseStixPattern("[ipv4-addr:value ISSUBSET '10.0.0.0/8']").terms, [{ want: 'cidr', value: '10.0.0.0/8' }]);
  assert.deepEqual(parseStixPattern("[network-traffic:dst_ref.value = '198.51.100.2']").terms, [{ want: 'ip', value: '198.51.100.2' }]);
  const mixed = parseStixPattern("[email-addr:value = 'a@b.example' OR domain-name:value MATCHES '^x' OR domain-name:value = 'c.example']");
  assert.deepEqual(mixed.terms, [{ want: 'domain', value: 'c.example' }]);
  assert.deepEqual(mixed.ignored, ['path email-addr:value', 'operator MATCHES']);
  assert.throws(() => parseStixPattern("[file:hashes.MD5 = 'x' AND file:size = 3]"), /AND/);
  assert.throws(() => parseStixPattern("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']"), /FOLLOWEDBY/);
  assert.throws(() => parseStixPattern("[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES"), /REPEATS/);
  assert.throws(() => parseStixPattern("[ipv4-addr:value NOT = '1.2.3.4']"), /NOT/);
  assert.throws(() => parseStixPattern("[ipv4-addr:value = '1.2.3.4'"), /expected "]"|ends early/);
});

test('stix: a bundle\'s indicators, with validity, revocation, versions and unsupported patterns counted', async () => {
  const idx = await load({ path: join(testdata, 'stix-bundle.json'), format: 'stix' });
  assert.deepEqual(keys(idx), [
    '192.0.2.10', '198.51.100.7', '2001:db8:bad::/48', '203.0.113.0/24',
    '44d88612fea8a8f36de82e1278abb02f', 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f',
    'login.example.net/verify?id=1', 'mixed.example', 'new-version.example', 'one.example', 'phish.example', 'two.example',
  ]);
  const r = idx.report;
  assert.equal(r.skipped, 1, 'revoked');
  // AND, yara, FOLLOWEDBY/WITHIN, and the email comparison of "Mixed".
  assert.equal(r.unsupported, 4);
  assert.deepEqual([...r.reasons.keys()].sort(), [
    'skipped: revoked',
    'unsupported: comparison on path email-addr:value',
    'unsupported: pattern with AND',
    'unsupported: pattern with FOLLOWEDBY between observations',
    'unsupported: pattern_type yara',
  ]);
  const c2 = find(idx, '198.51.100.7');
  assert.equal(idx.confidence![c2], 80);
  assert.equal(idx.strings[idx.description![c2]!], 'Emotet C2 server');
  assert.deepEqual(idx.tagSets[idx.tags![c2]!], ['malicious-activity', 'emotet']);
  // Valid only in January 2030.
  assert.equal(find(idx, '192.0.2.10'), -1);
  assert.ok(find(idx, '192.0.2.10', Date.parse('2030-01-15T00:00:00Z')) >= 0);
  assert.equal(find(idx, '192.0.2.10', Date.parse('2030-03-01T00:00:00Z')), -1);
});

test('misp: a feed directory (manifest.json and event files), with attribute types, to_ids and deleted flags', async () => {
  const idx = await load({ path: join(testdata, 'misp-feed'), format: 'misp' });
  assert.deepEqual(keys(idx), [
    '192.0.2.50', '198.51.100.66', '203.0.113.5',
    'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'kit.example/login.php', 'mail.kit.example', 'ransom.example',
  ]);
  const r = idx.report;
  assert.equal(r.unsupported, 2, 'regkey and email-src');
  assert.equal(r.skipped, 2, 'to_ids false and deleted');
  const c2 = find(idx, '198.51.100.66');
  assert.equal(idx.strings[idx.severity![c2]!], 'high', 'threat_level_id 1');
  assert.equal(idx.strings[idx.description![c2]!], 'C2', 'the attribute comment');
  assert.deepEqual(idx.tagSets[idx.tags![c2]!], ['tlp:white']);
  const dom = find(idx, 'ransom.example');
  assert.equal(idx.strings[idx.description![dom]!], 'Ransomware campaign', 'the event info');
  assert.deepEqual(idx.tagSets[idx.tags![dom]!], ['tlp:white', 'kill-chain:c2']);
  const sha1 = find(idx, 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(idx.firstSeen![sha1], Date.parse('2024-04-30T10:00:00Z'));
  assert.equal(idx.lastSeen![sha1], Date.parse('2024-05-01T09:00:00Z'));
  const url = find(idx, 'kit.example/login.php');
  assert.equal(idx.strings[idx.severity![url]!], 'low');
  assert.equal(idx.lastSeen![url], 1714646400_000, 'the attribute timestamp when it has no last_seen');
});

test('misp: one event, an attribute list, a REST search response; to_ids_only: false keeps unflagged attributes', async () => {
  const ev = await load({ path: join(testdata, 'misp-feed', '5f1a1b2c-0000-4000-8000-00000000e001.json'), format: 'misp', misp: { to_ids_only: false } });
  assert.ok(find(ev, 'benign-looking.example') >= 0);
  const attrs = file('attrs.json', JSON.stringify({ response: { Attribute: [
    { type: 'ip-src', value: '198.51.100.0/25', to_ids: true },
    { type: 'sha256', value: 'nothex', to_ids: true },
  ] } }));
  const a = await load({ path: attrs, format: 'misp' });
  assert.deepEqual(keys(a), ['198.51.100.0/25']);
  assert.equal(a.report.invalid, 1);
  const search = file('search.json', JSON.stringify({ response: [{ Event: { info: 'x', Attribute: [{ type: 'md5', value: '44d88612fea8a8f36de82e1278abb02f', to_ids: '1' }] } }] }));
  assert.deepEqual(keys(await load({ path: search, format: 'misp' })), ['44d88612fea8a8f36de82e1278abb02f']);
});

test('max_age: indicators last seen longer ago stop matching', async () => {
  const p = file('aged.csv', 'value,last_seen\n198.51.100.1,2024-12-31T00:00:00Z\n198.51.100.2,2024-11-01T00:00:00Z\n198.51.100.3,\n');
  const idx = await load({ path: p, format: 'csv', csv: { last_seen: 'last_seen' }, max_age: '7d' });
  assert.ok(find(idx, '198.51.100.1') >= 0);
  assert.equal(idx.report.expired, 1, '198.51.100.2 was already too old');
  assert.equal(find(idx, '198.51.100.1', Date.parse('2025-01-08T00:00:00Z')), -1, 'ages out a week after last seen');
  assert.ok(find(idx, '198.51.100.3', Date.parse('2030-01-01T00:00:00Z')) >= 0, 'no date: never ages');
});
