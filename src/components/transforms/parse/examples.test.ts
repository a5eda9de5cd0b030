/** Every example in ./examples validates and its `tests:` pass (the generic example test does the same for all components). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registry } from '../../registry.js';
import { validateConfig } from '../../../engine/config/index.js';
import { runUnitTest } from '../../../engine/unit-tests.js';

// Examples live beside the sources; tests run from the build folder, so resolve back to src/.
const here = fileURLToPath(new URL('.', import.meta.url));
const dir = join(here.replace(/\/\.build\/[^/]+\/src\//, '/src/').replace(/\/dist\/src\//, '/src/'), 'examples');

for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  test(`example ${file}`, async () => {
    const cfg = validateConfig([join(dir, file)], registry);
    assert.ok(cfg.tests.length > 0, 'a transform example has tests');
    for (const tc of cfg.tests) {
      const r = await runUnitTest(cfg, tc);
      assert.ok(r.passed, `${file}: ${tc.name}: ${r.error ?? JSON.stringify([...r.outputs.flatMap((o) => o.failures), ...r.unexpected.map((u) => `unexpected output from ${u.output}: ${JSON.stringify(u.events)}`)])}`);
    }
  });
}
