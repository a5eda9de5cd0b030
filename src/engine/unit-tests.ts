/**
 * Pipeline unit tests (`tests:` in the config): insert events at transforms, run the transforms
 * for real (same engine, state in memory), and check what comes out of the named outputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../core/component.js';
import type { Event } from '../core/event.js';
import { compileCondition, ExpressionError } from '../expr/index.js';
import type { PipelineConfig, TestCase } from './config/index.js';
import { Pipeline } from './topology.js';

export interface OutputCheck {
  extract_from: string;
  passed: boolean;
  /** What failed, one line each. */
  failures: string[];
  events: Event[];
}

export interface TestResult {
  name: string;
  passed: boolean;
  outputs: OutputCheck[];
  /** `no_outputs_from` that did emit: output -> events. */
  unexpected: { output: string; events: Event[] }[];
  error?: string;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function runUnitTest(cfg: PipelineConfig, tc: TestCase): Promise<TestResult> {
  const result: TestResult = { name: tc.name, passed: false, outputs: [], unexpected: [] };
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  try {
    const transforms = new Set([...cfg.components.values()].filter((c) => c.kind === 'transform').map((c) => c.id));
    const pipeline = new Pipeline({ ...cfg, dataDir: dir }, { log: silent, ephemeral: true, only: transforms });
    pipeline.allowInjection(new Set(tc.inputs.map((i) => i.insert_at)));
    await pipeline.start();
    const seen = new Map<string, Event[]>();
    const watched = [...new Set([...tc.outputs.map((o) => o.extract_from), ...tc.no_outputs_from])];
    for (const ref of watched) {
      seen.set(ref, []);
      // Taps see events before they leave; copy so later components' changes do not show here.
      pipeline.tap(ref, (evs) => { for (const e of evs) seen.get(ref)!.push(structuredClone(e)); });
    }
    for (const inp of tc.inputs) {
      const ev = inp.type === 'raw' ? { message: typeof inp.value === 'string' ? inp.value : JSON.stringify(inp.value) } : (structuredClone(inp.value ?? {}) as Event);
      await pipeline.inject(inp.insert_at, [ev]);
    }
    await pipeline.finishInjection();

    for (const o of tc.outputs) {
      const events = seen.get(o.extract_from) ?? [];
      const check: OutputCheck = { extract_from: o.extract_from, passed: false, failures: [], events };
      const conds = o.conditions.map((src) => {
        try { return { src, fn: compileCondition(src, { origin: o.origin }) }; } catch (e) {
          check.failures.push(`condition does not compile: ${e instanceof ExpressionError ? e.message : (e as Error).message}`);
          return null;
        }
      });
      if (events.length === 0) check.failures.push(`no event came out of ${o.extract_from}`);
      else if (!check.failures.length) {
        // Passes when one event satisfies every condition and every `equals`; otherwise report
        // what the closest event (fewest failures) got wrong.
        let best: string[] | null = null;
        for (const e of events) {
          const f: string[] = [];
          for (const c of conds) {
            let ok = false;
            try { ok = c!.fn(e); } catch (err) { f.push(`\`${c!.src}\` failed: ${(err as Error).message}`); continue; }
            if (!ok) f.push(`\`${c!.src}\` is false`);
          }
          for (const [path, want] of Object.entries(o.equals ?? {})) {
            const got = getPath(e, path);
            if (JSON.stringify(got) !== JSON.stringify(want)) f.push(`${path}: expected ${JSON.stringify(want)}, got ${got === undefined ? '(missing)' : JSON.stringify(got)}`);
          }
          if (f.length === 0) { best = []; break; }
          if (!best || f.length < best.length) best = f;
        }
        if (best && best.length) check.failures.push(...best);
      }
      check.passed = check.failures.length === 0;
      result.outputs.push(check);
    }
    for (const ref of tc.no_outputs_from) {
      const evs = seen.get(ref) ?? [];
      if (evs.length) result.unexpected.push({ output: ref, events: evs });
    }
    result.passed = result.outputs.every((o) => o.passed) && result.unexpected.length === 0;
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function getPath(e: unknown, path: string): unknown {
  let cur = e;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
