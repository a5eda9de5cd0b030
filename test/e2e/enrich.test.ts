/**
 * Enrichment through the real CLI: GeoIP, a threat feed and an asset table on events from stdin;
 * a feed that cannot load stops `sluice run` with the place and the reason; `sluice validate`
 * does not load data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceSync, tmp } from './cli.js';

function setup(feedPath = 'feed.txt') {
  const dir = tmp();
  writeFileSync(join(dir, 'feed.txt'), '# test feed\n203.0.113.0/24\nevil.example\n');
  writeFileSync(join(dir, 'assets.csv'), 'network,owner,zone\n10.0.0.0/8,it,corp\n10.1.0.0/16,payments,prod\n');
  writeFileSync(join(dir, 'p.yaml'), [
    `data_dir: ${join(dir, 'data')}`,
    'sources:',
    '  in: { type: stdin, decoding: json }',
    'transforms:',
    '  geo: { type: geoip, inputs: [in], databases: [builtin:country] }',
    '  intel:',
    '    type: threat_intel',
    '    inputs: [geo]',
    `    feeds: { local: { path: ${feedPath} } }`,
    '  assets:',
    '    type: lookup',
    '    inputs: [intel]',
    '    table: { csv: { path: assets.csv } }',
    '    key: { field: src_endpoint.ip, column: network, match: cidr }',
    '    mappings: { owner: src_endpoint.owner.name, zone: src_endpoint.zone }',
    'sinks:',
    `  out: { type: file, inputs: [assets], path: ${join(dir, 'out.ndjson')} }`,
    `  hits: { type: file, inputs: [intel.matches], path: ${join(dir, 'hits.ndjson')} }`,
  ].join('\n') + '\n');
  return dir;
}

test('sluice run enriches events from stdin: country, threat-intel match, asset owner', () => {
  const dir = setup();
  const input = [
    { src_endpoint: { ip: '10.1.2.3' }, dst_endpoint: { ip: '8.8.8.8' } },
    { src_endpoint: { ip: '203.0.113.9' }, dst_endpoint: { ip: '10.0.0.1', hostname: 'www.evil.example' } },
  ].map((e) => JSON.stringify(e)).join('\n') + '\n';
  const r = sluiceSync(['run', '-c', join(dir, 'p.yaml')], { input });
  assert.equal(r.code, 0, r.stderr);
  const out = readFileSync(join(dir, 'out.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, 2, 'every event comes out');
  assert.equal(out[0].dst_endpoint.location.country, 'US');
  assert.deepEqual([out[0].src_endpoint.owner.name, out[0].src_endpoint.zone], ['payments', 'prod'], 'the innermost subnet wins');
  const intel = out[1].enrichments.filter((x: { type: string }) => x.type === 'threat_intel');
  assert.deepEqual(intel.map((x: { name: string; data: { indicator: string } }) => [x.name, x.data.indicator]).sort(),
    [['dst_endpoint.hostname', 'evil.example'], ['src_endpoint.ip', '203.0.113.0/24']]);
  const hits = readFileSync(join(dir, 'hits.ndjson'), 'utf8').trim().split('\n');
  assert.equal(hits.length, 1, 'the matching event is copied to intel.matches');
});

test('a feed that cannot load stops `sluice run` with file:line:col and the reason; validate does not load it', () => {
  const dir = setup('missing-feed.txt');
  const v = sluiceSync(['validate', '-c', join(dir, 'p.yaml')]);
  assert.equal(v.code, 0, `validate builds without loading data: ${v.stderr}`);
  const r = sluiceSync(['run', '-c', join(dir, 'p.yaml')], { input: '' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /p\.yaml:\d+:\d+: error: transform `intel` \(threat_intel\) could not start: .*missing-feed\.txt: ENOENT/);
  assert.match(r.stderr, /1 component could not start\. Fix the file, URL or server each message names/);
});
