/** A real pipeline tails into files without loss across a restart (examples: src/components/examples.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { definitions } from '../../registry.js';
import { Registry } from '../../../engine/registry.js';
import { validateConfig } from '../../../engine/config/index.js';
import { Pipeline } from '../../../engine/topology.js';
import { quietLog } from '../../../engine/testing.js';
import { tempDir, waitFor } from './test-kit.js';

const registry = new Registry(definitions);

test('pipeline: file source -> file sink, checkpoint saved at stop, restart reads only new lines', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = join(dir, 'in.log');
    writeFileSync(log, Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join(''));
    writeFileSync(join(dir, 'pipeline.yaml'), [
      'data_dir: ./data',
      'sources:',
      '  tail: { type: file, include: [./in.log], glob_interval: 50ms, poll_interval: 20ms, batch_events: 64 }',
      'sinks:',
      '  out: { type: file, inputs: [tail], path: ./out/lines.ndjson, batch: { timeout: 50ms } }',
    ].join('\n'));
    const out = join(dir, 'out', 'lines.ndjson');
    const count = () => { try { return readFileSync(out, 'utf8').split('\n').length - 1; } catch { return 0; } };
    const run = async (until: number) => {
      const p = new Pipeline(validateConfig([join(dir, 'pipeline.yaml')], registry), { log: quietLog });
      await p.start();
      await waitFor(`${until} lines written`, () => count() >= until);
      await p.stop();
    };
    await run(300);
    const state = JSON.parse(readFileSync(join(dir, 'data', 'tail', 'state.json'), 'utf8')) as Record<string, { offset: number }>;
    assert.deepEqual(Object.values(state).map((c) => c.offset), [statSync(log).size]);
    appendFileSync(log, 'after restart\n');
    await run(301);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).message as string);
    assert.deepEqual(lines, [...Array.from({ length: 300 }, (_, i) => `line ${i}`), 'after restart']);
  } finally { await cleanup(); }
});
