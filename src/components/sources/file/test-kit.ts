/** Test helpers for the file source's tests (not used at run time). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import type { BatchFinalizer } from '../../../core/finalizer.js';
import { MemoryStateStore } from '../../../engine/state.js';
import { checkConfig, runSource, testBuildContext, type SourceResult } from '../../../engine/testing.js';
import def from './index.js';

/** Sources still running; cleanup stops them so a failed assertion does not leave one behind. */
const running = new Set<Live>();

export function tempDir(): { dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-file-src-'));
  return {
    dir,
    cleanup: async () => {
      for (const l of [...running]) await l.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fast intervals so tests finish quickly. */
export const fast = { glob_interval: '50ms', poll_interval: '20ms' };

// testBuildContext() makes a temp data dir per call; share one per test process and remove it.
const dataRoot = mkdtempSync(join(tmpdir(), 'sluice-file-data-'));
process.on('exit', () => rmSync(dataRoot, { recursive: true, force: true }));

export const buildContext = () => testBuildContext('test', dataRoot);

export async function build(raw: Record<string, unknown>, configDir?: string): Promise<SourceRuntime> {
  const ctx = buildContext();
  if (configDir) ctx.configDir = configDir;
  return (await def.build(checkConfig(def, { ...fast, ...raw }) as never, ctx)) as SourceRuntime;
}

export interface Live {
  /** Everything sent so far (the same object runSource returns). */
  readonly res: SourceResult;
  stop(): Promise<SourceResult>;
}

/** Run a source in the background; `onSend` decides when finalizers settle (default: at once). */
export function start(rt: SourceRuntime, opts: { state?: MemoryStateStore | import('../../../core/component.js').StateStore; onSend?: (events: Event[], fin?: BatchFinalizer) => void } = {}): Live {
  const ac = new AbortController();
  let live: SourceResult = { events: [], errors: [], batches: 0, finalizers: [], discarded: 0 };
  const done = runSource(rt, {
    signal: ac,
    state: opts.state as MemoryStateStore,
    timeoutMs: 30_000,
    until: (r) => { live = r; return false; },
    onSend: opts.onSend ?? ((_e, fin) => fin?.release('delivered')),
  });
  const l: Live = {
    get res() { return live; },
    stop: async () => { running.delete(l); ac.abort(new Error('test stop')); live = await done; return live; },
  };
  running.add(l);
  return l;
}

export async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function lines(prefix: string, n: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `${prefix} ${i}\n`;
  return s;
}

export const messages = (evs: Event[]) => evs.map((e) => e.message as string);
