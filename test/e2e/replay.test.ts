/** Dead letters after an outage, replayed once the destination is back; purge. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sluiceAsync, sluiceSync, tmp } from './cli.js';

test('events dead-lettered while the destination was down are delivered by `sluice replay`', async () => {
  const dir = tmp();
  const port = await freePort();
  const cfg = join(dir, 'p.yaml');
  writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
sources:
  in: { type: stdin, decoding: json }
sinks:
  out:
    type: http
    inputs: [in]
    uri: http://127.0.0.1:${port}/ingest
    retry: { attempts: 0 }
    timeout: 2s
`);
  const input = Array.from({ length: 5 }, (_, i) => JSON.stringify({ i, user: `u${i}` })).join('\n') + '\n{broken\n';
  const run = sluiceSync(['run', '-q', '-c', cfg], { input, env: { SLUICE_LOG: 'error' } });
  assert.equal(run.code, 0, run.stderr);
  const listed = sluiceSync(['dlq', 'list', '-c', cfg]);
  assert.match(listed.stdout, /6 dead letters/);
  assert.match(listed.stdout, /out\s+delivery_failed\s+5/);
  assert.match(listed.stdout, /in\s+parse_failed\s+1/);

  const dry = sluiceSync(['replay', '-c', cfg, '--from', 'dlq', '--to', 'out', '--component', 'out', '--dry-run']);
  assert.match(dry.stdout, /5 dead letters would be replayed into out/);

  // The destination is back.
  const got: { i: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => { for (const l of body.split('\n').filter(Boolean)) got.push(JSON.parse(l)); res.end('{}'); });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    const replay = await sluiceAsync(['replay', '-c', cfg, '--from', 'dlq', '--to', 'out', '--filter', '.error_code == "delivery_failed"']);
    assert.equal(replay.code, 0, replay.stderr + replay.stdout);
    assert.match(replay.stdout, /replayed 5 events into out: 5 delivered, 0 dropped on purpose, 0 failed again/);
    assert.deepEqual(got.map((e) => e.i).sort(), [0, 1, 2, 3, 4]);
  } finally { server.close(); }

  const after = sluiceSync(['dlq', 'list', '-c', cfg]);
  assert.match(after.stdout, /1 dead letters/, 'only the broken line is left');
  const purged = sluiceSync(['dlq', 'purge', '-c', cfg, '--component', 'in']);
  assert.match(purged.stdout, /deleted 1 dead letter/);
  assert.match(sluiceSync(['dlq', 'list', '-c', cfg]).stdout, /no dead letters/);
  const refused = sluiceSync(['dlq', 'purge', '-c', cfg]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /say which dead letters to delete/);
});
