import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../engine/config/index.js';
import { Pipeline } from '../engine/topology.js';
import { quietLog } from '../engine/testing.js';
import { testRegistry } from '../engine/test-components.js';
import { startApi } from './api.js';

async function running(token?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-api-'));
  const cfg = validateConfig(['p.yaml'], testRegistry, { env: {}, texts: new Map([['p.yaml', `data_dir: ${dir}
sources: { gen: { type: counter, forever: true, batch: 5, delay_ms: 5 } }
transforms: { t: { type: tag, inputs: [gen] } }
sinks: { out: { type: collect, inputs: [t], name: api } }
`]]) });
  const p = new Pipeline(cfg, { log: quietLog });
  await p.start();
  const api = await startApi({ address: '127.0.0.1:0', token }, () => p);
  return { p, api, base: `http://${api.address}` };
}

test('with a token, every route but /health wants it', async () => {
  const { p, api, base } = await running('s3cret');
  try {
    assert.equal((await fetch(`${base}/health`)).status, 200);
    const denied = await fetch(`${base}/metrics`);
    assert.equal(denied.status, 401);
    assert.match(((await denied.json()) as { hint: string }).hint, /Authorization: Bearer/);
    assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong!' } })).status, 401);
    assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
  } finally { await api.close(); await p.stop(); }
});

test('/api/components reports per-component counters and inputs; /api/tap streams a sample', async () => {
  const { p, api, base } = await running();
  try {
    await new Promise((r) => setTimeout(r, 100));
    const body = (await (await fetch(`${base}/api/components`)).json()) as { components: { id: string; received_events: number; inputs: string[] }[] };
    const t = body.components.find((c) => c.id === 't')!;
    assert.ok(t.received_events > 0);
    assert.deepEqual(t.inputs, ['gen']);
    const tap = await fetch(`${base}/api/tap?output=t.even&limit=4`);
    const lines = (await tap.text()).trim().split('\n').map((l) => JSON.parse(l) as { n: number });
    assert.equal(lines.length, 4);
    assert.ok(lines.every((e) => e.n % 2 === 0));
    assert.equal((await fetch(`${base}/api/tap?output=nope`)).status, 404);
  } finally { await api.close(); await p.stop(); }
});
