/**
 * Every registered pack's reviewed outputs (packs/<name>/expected/*.json) are valid OCSF once
 * derived: no error-level violation. Each pack's own tests check that its samples map to exactly
 * those outputs; this checks the outputs against the schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { packs } from './packs.js';
import { loadSchema } from './schema.js';
import { derive, validate } from './validate.js';

const schema = loadSchema();

/** The OCSF events in an expected-output file, whatever shape the pack's test keeps them in. */
function eventsIn(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.flatMap(eventsIn);
  if (v === null || typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  if (typeof o.class_uid === 'number') return [o];
  if (o.ok === true && Array.isArray(o.events)) return eventsIn(o.events);
  return [];
}

for (const pack of packs) {
  test(`pack ${pack.name}: every expected output is valid OCSF ${schema.version}`, () => {
    const dir = new URL(`../../../packs/${pack.name}/expected/`, import.meta.url);
    assert.ok(existsSync(dir), `packs/${pack.name}/expected/ is missing`);
    let n = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      for (const ev of eventsIn(JSON.parse(readFileSync(new URL(f, dir), 'utf8')))) {
        const copy = structuredClone(ev);
        derive(schema, copy);
        const errors = validate(schema, copy).filter((x) => x.level === 'error');
        assert.deepEqual(errors, [], `${pack.name}/expected/${f}: class ${ev.class_uid} event #${n}`);
        n++;
      }
    }
    assert.ok(n > 0, `packs/${pack.name}/expected/ holds no OCSF events`);
  });
  test(`pack ${pack.name}: lists the classes it produces`, () => {
    assert.ok(pack.classes.length > 0);
    for (const c of pack.classes) assert.equal(schema.class(c.class_uid)?.caption, c.class_name, `class ${c.class_uid}`);
  });
}
