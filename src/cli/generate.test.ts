import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles, repoRoot } from './generate.js';
import { definitions } from '../components/registry.js';

test('the committed reference pages, error table and JSON Schema match the definitions', () => {
  const stale: string[] = [];
  for (const [rel, content] of generatedFiles()) {
    const file = join(repoRoot, rel);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== content) stale.push(rel);
  }
  assert.deepEqual(stale, [], 'run `npm run generate` and commit the result');
});

test('every component has a reference page listing each of its options', () => {
  for (const d of definitions) {
    const page = generatedFiles().get(`docs/reference/${d.kind}s/${d.type}.md`)!;
    for (const opt of Object.keys(d.config.shape)) assert.ok(page.includes(`\`${opt}\``), `${d.type}: option ${opt} missing from its page`);
  }
});

test('the JSON Schema names every component type and rejects unknown options', () => {
  const schema = JSON.parse(generatedFiles().get('schema/pipeline.schema.json')!) as { properties: Record<string, { additionalProperties: { allOf: { then: { additionalProperties: boolean } }[]; properties: { type: { enum: string[] } } } }> };
  const sourceTypes = schema.properties.sources!.additionalProperties.properties.type.enum;
  assert.deepEqual(sourceTypes, definitions.filter((d) => d.kind === 'source').map((d) => d.type).sort());
  assert.ok(schema.properties.sinks!.additionalProperties.allOf.every((c) => c.then.additionalProperties === false));
});
