/** OCSF from the command line and in a pipeline: `sluice ocsf map|validate|drift`, `normalize`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLines, sluiceSync, tmp } from './cli.js';

const authLines = [
  '<38>Nov 23 10:00:01 bastion-1 sshd[4411]: Accepted publickey for alice from 192.0.2.21 port 51122 ssh2',
  '<38>Nov 23 10:02:19 bastion-1 sshd[4502]: Failed password for root from 203.0.113.77 port 40024 ssh2',
  'this line is nobody\'s',
  '203.0.113.18 - - [23/Nov/2026:10:00:00 +0000] "GET /admin HTTP/1.1" 403 12 "-" "curl/8.5.0"',
];

test('ocsf map normalizes mixed lines with the pack that recognises each, and reports the rest with its place', () => {
  const dir = tmp();
  const f = join(dir, 'mixed.log');
  writeFileSync(f, authLines.join('\n') + '\n');
  const r = sluiceSync(['ocsf', 'map', f]);
  assert.equal(r.code, 1, 'one line could not be mapped');
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(out.map((e) => e.type_name), ['Authentication: Logon', 'Authentication: Logon', 'HTTP Activity: Get']);
  assert.deepEqual(out.map((e) => e.status), ['Success', 'Failure', 'Failure']);
  assert.match(r.stderr, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: ocsf_unmapped: no pack recognises this event`));
  assert.match(r.stderr, /4 input events: 3 OCSF events \(linux_auth 2, web_access 1\), 1 not mapped/);

  const ocsfFile = join(dir, 'ocsf.ndjson');
  writeFileSync(ocsfFile, r.stdout);
  const v = sluiceSync(['ocsf', 'validate', ocsfFile]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stderr, /3 events, 3 valid OCSF 1\.8\.0, 0 with errors/);

  const broken = join(dir, 'broken.ndjson');
  writeFileSync(broken, JSON.stringify({ ...out[0], type_uid: 1, src_endpoint: { ip: '999.1.1.1' } }) + '\n');
  const b = sluiceSync(['ocsf', 'validate', broken]);
  assert.equal(b.code, 1);
  assert.match(b.stdout, /broken\.ndjson: error: type_uid: type_uid is 1, expected 300201/);
  assert.match(b.stdout, /broken\.ndjson: error: src_endpoint\.ip: expected ip_t/);
});

test('normalize in a pipeline: OCSF out, the unmappable dead-lettered with the reason, drift recorded', () => {
  const dir = tmp();
  const input = join(dir, 'auth.log');
  writeFileSync(input, authLines.join('\n') + '\n');
  const out = join(dir, 'ocsf.ndjson');
  const cfg = join(dir, 'p.yaml');
  writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
sources:
  logs: { type: file, include: [${input}], stop_at_eof: true, file_key: "" }
transforms:
  ocsf: { type: normalize, inputs: [logs] }
sinks:
  out: { type: file, inputs: [ocsf], path: ${out} }
`);
  const r = sluiceSync(['run', '-q', '-c', cfg]);
  assert.equal(r.code, 0, r.stderr);
  const events = readLines(out).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events.map((e) => e.class_uid), [3002, 3002, 4002]);
  const dlq = sluiceSync(['dlq', 'list', '--json', '--data-dir', join(dir, 'data')]);
  const dead = dlq.stdout.trim().split('\n').map((l) => JSON.parse(l) as { error_code: string; reason: string });
  assert.deepEqual(dead.map((d) => d.error_code), ['ocsf_unmapped']);
  const drift = sluiceSync(['ocsf', 'drift', '--data-dir', join(dir, 'data')]);
  assert.equal(drift.code, 0, drift.stderr);
  assert.match(drift.stdout, /ocsf\s+linux_auth\s+event_type\s+3002:1/);
  assert.match(drift.stdout, /ocsf\s+linux_auth\s+field\s+facility/);
});
