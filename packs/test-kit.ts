/**
 * What every pack's tests need: its sample and expected files, a fixed MapContext, unwrapping a
 * MapResult, and checking OCSF validity the way the normalize transform does.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import type { MapContext, MapResult, OcsfEvent } from '../src/ocsf/pack.js';
import { loadSchema } from '../src/ocsf/schema.js';
import { derive, validate } from '../src/ocsf/validate.js';

/** The files of `packs/<name>/` (tests run from dist/packs/<name>/, where samples are not copied). */
export function packFiles(name: string) {
  const dir = (d: string) => new URL(`../../packs/${name}/${d}/`, import.meta.url);
  return {
    dir,
    /** A JSON file in `samples` or `expected`. */
    read: <T = Record<string, unknown>>(d: string, f: string) => JSON.parse(readFileSync(new URL(f, dir(d)), 'utf8')) as T,
    /** Sorted sample file names with this extension. */
    samples: (ext = '.json') => readdirSync(dir('samples')).filter((f) => f.endsWith(ext)).sort(),
  };
}

export function testContext(now: number): MapContext {
  return { productVersion: '0.1.0', now };
}

/** The events of a mapping that must succeed. */
export function events(r: MapResult, what = 'the event'): OcsfEvent[] {
  if (!r.ok) assert.fail(`expected ${what} to map, got: ${r.reason}`);
  return r.events;
}

/** The one event of a mapping that must succeed with exactly one. */
export function single(r: MapResult, what = 'the event'): OcsfEvent {
  const evs = events(r, what);
  assert.equal(evs.length, 1);
  return evs[0]!;
}

/** The reason of a mapping that must fail. */
export function reasonOf(r: MapResult): string {
  if (r.ok) assert.fail('expected { ok: false }');
  return r.reason;
}

/** Derived as the normalize transform does, then checked against the shipped OCSF schema. */
export function assertValidOcsf(evs: OcsfEvent[], label: (e: OcsfEvent) => string): void {
  const schema = loadSchema();
  for (const e of evs) {
    const copy = structuredClone(e);
    derive(schema, copy);
    assert.deepEqual(validate(schema, copy, { missingRecommended: false }), [], label(copy));
  }
}

/**
 * A value as sinks write it: JSON, where members holding `undefined` do not exist. Packs may leave
 * absent attributes as undefined members (one object shape per event kind is much faster to build
 * and validate), so outputs are compared in this form.
 */
export function asJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
