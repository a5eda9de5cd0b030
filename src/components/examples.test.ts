/**
 * The one generic example test: every `examples/*.yaml` of every component, and every pipeline in
 * the top-level examples/ folder, must validate, build, and pass its own `tests:`. The same files
 * are rendered into the reference docs, so a documented example can never rot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { definitions, registry } from './registry.js';
import { validateConfig } from '../engine/config/index.js';
import { Pipeline } from '../engine/topology.js';
import { quietLog } from '../engine/testing.js';
import { runUnitTest } from '../engine/unit-tests.js';

// Compiled tests run from dist/src/components (or a private build folder); examples live in src/.
const repo = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/\.build\/(?:[^/]+\/)?$/, '/');

const files: string[] = [];
for (const d of definitions) {
  const dir = join(repo, 'src', 'components', `${d.kind}s`, d.type, 'examples');
  if (existsSync(dir)) for (const f of readdirSync(dir).filter((x) => /\.ya?ml$/.test(x)).sort()) files.push(join(dir, f));
}
for (const f of readdirSync(join(repo, 'examples')).filter((x) => /\.ya?ml$/.test(x)).sort()) files.push(join(repo, 'examples', f));

test('every component has at least one example', () => {
  const missing = definitions.filter((d) => !existsSync(join(repo, 'src', 'components', `${d.kind}s`, d.type, 'examples'))).map((d) => `${d.kind} ${d.type}`);
  assert.deepEqual(missing, []);
});

for (const file of files) {
  test(`example ${file.slice(repo.length)}`, async () => {
    const cfg = validateConfig([file], registry, { env: {} });
    const dir = mkdtempSync(join(tmpdir(), 'sluice-example-'));
    try {
      await new Pipeline({ ...cfg, dataDir: dir }, { log: quietLog, ephemeral: true }).check();
    } finally { rmSync(dir, { recursive: true, force: true }); }
    const hasTransform = [...cfg.components.values()].some((c) => c.kind === 'transform');
    if (hasTransform) assert.ok(cfg.tests.length > 0, 'an example with transforms carries tests');
    for (const tc of cfg.tests) {
      const r = await runUnitTest(cfg, tc);
      const why = r.error ?? [...r.outputs.flatMap((o) => o.failures), ...r.unexpected.map((u) => `unexpected output from ${u.output}`)].join('; ');
      assert.ok(r.passed, `${tc.name}: ${why}`);
    }
  });
}
