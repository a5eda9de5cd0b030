/**
 * The file source's loop: find files (globs, on `glob_interval`), read those with new data,
 * send batches with finalizers, poll the rest (fs.stat on `poll_interval`), and close files that
 * were rotated away or deleted once they are read to their end.
 *
 * Rotation: discovery maps each matched path to its device:inode. A tracked file that no matched
 * path names any more (moved away, deleted) is orphaned: it is still read through its open
 * descriptor, and closed once at its end and quiet for one glob interval (a writer may still
 * append before it reopens). The new file at the old path is a new inode and is read from 0.
 */
import { stat } from 'node:fs/promises';
import { relative, basename } from 'node:path';
import fg from 'fast-glob';
import picomatch from 'picomatch';
import type { SourceContext } from '../../../core/component.js';
import { BatchFinalizer } from '../../../core/finalizer.js';
import { BatchAssembler } from './checkpoints.js';
import { HEAD_BYTES, idOf } from './fingerprint.js';
import { Tailer, type TailEnv, type TailSettings } from './tailer.js';

export interface RunSettings extends TailSettings {
  include: string[];
  exclude: string[];
  configDir: string;
  readFromEnd: boolean;
  globIntervalMs: number;
  pollIntervalMs: number;
  batchEvents: number;
  readBytes: number;
  stopAtEof: boolean;
}

/** Chunks one file may read per round, so one busy file cannot starve the others. */
const CHUNKS_PER_ROUND = 8;

export class FileSourceRunner {
  private readonly tailers = new Map<string, Tailer>();
  private readonly env: TailEnv;
  private readonly excluded: (path: string) => boolean;
  /** Paths that failed to open, so a permission problem is logged once, not every glob. */
  private readonly failed = new Set<string>();
  private nextGlob = 0;

  constructor(private readonly cfg: RunSettings, private readonly ctx: SourceContext) {
    this.env = {
      settings: cfg,
      buf: Buffer.allocUnsafe(cfg.readBytes),
      scratch: Buffer.allocUnsafe(HEAD_BYTES),
      out: new BatchAssembler(cfg.batchEvents),
      store: ctx.state,
      log: ctx.log,
    };
    this.excluded = excludeMatcher(cfg.exclude, cfg.configDir);
  }

  async run(): Promise<void> {
    const { signal } = this.ctx;
    try {
      await this.discover(true);
      this.pruneCheckpoints();
      while (!signal.aborted) {
        let worked = false;
        for (const t of this.tailers.values()) {
          if (signal.aborted) break;
          try {
            if (t.atEof && !(await t.poll())) continue;
            if (await t.read(CHUNKS_PER_ROUND, signal)) worked = true;
          } catch (e) {
            await this.dropBroken(t, e as Error);
          }
          if (this.env.out.full || this.env.out.errors.length) await this.drain(false);
        }
        const now = Date.now();
        for (const t of this.tailers.values()) t.flushDue(now);
        await this.closeFinished(now);
        await this.drain(true);
        if (now >= this.nextGlob) await this.discover(false);
        if (!worked && this.cfg.stopAtEof && [...this.tailers.values()].every((t) => t.atEof)) {
          // Batch mode: everything is read; emit pending multi-line events and finish.
          for (const t of this.tailers.values()) t.flushDue(Number.POSITIVE_INFINITY);
          break;
        }
        if (!worked) await this.sleep(this.wakeAt() - Date.now());
      }
      // Stopping: send what was already read; held lines (a partial line, a pending multi-line
      // event) are after the checkpoint and are read again on the next start.
      await this.drain(true);
    } finally {
      for (const t of this.tailers.values()) await t.close();
      this.tailers.clear();
    }
  }

  /** Send errors, then sealed batches (each with a finalizer that advances its files' checkpoints). */
  private async drain(all: boolean): Promise<void> {
    const out = this.env.out;
    while (out.errors.length) {
      const x = out.errors.shift()!;
      await this.ctx.error(x.event, x.reason, x.code);
    }
    if (all) out.seal();
    while (out.sealed.length) {
      const b = out.sealed.shift()!;
      const entries = [...b.marks].map(([p, end]) => ({ p, entry: p.expect(end) }));
      if (b.events.length === 0) {
        // Only errors or held lines: nothing downstream to wait for.
        for (const x of entries) x.p.settle(x.entry, 'delivered');
        continue;
      }
      const finalizer = new BatchFinalizer((status) => { for (const x of entries) x.p.settle(x.entry, status); });
      await this.ctx.send(b.events, { bytes: b.bytes, finalizer });
    }
  }

  /** Match the globs; adopt renamed files, orphan vanished ones, open new ones. */
  private async discover(initial: boolean): Promise<void> {
    this.nextGlob = Date.now() + this.cfg.globIntervalMs;
    let paths: string[];
    try {
      paths = await fg(this.cfg.include, { cwd: this.cfg.configDir, absolute: true, onlyFiles: true, dot: true, suppressErrors: true, unique: true });
    } catch (e) {
      this.ctx.log.error(`file source: could not match include globs: ${(e as Error).message}`);
      return;
    }
    paths.sort();
    const seen = new Map<string, string>();
    for (const p of paths) {
      if (this.excluded(p)) continue;
      try {
        const st = await stat(p, { bigint: true });
        if (st.isFile() && !seen.has(idOf(st))) seen.set(idOf(st), p);
      } catch { /* gone between glob and stat */ }
    }
    const now = Date.now();
    for (const t of this.tailers.values()) {
      const p = seen.get(t.id);
      if (p !== undefined) {
        if (p !== t.path) this.ctx.log.debug(`file source: ${t.path} is now ${p}`);
        t.setPath(p);
        t.orphanedAt = 0;
      } else if (t.orphanedAt === 0) t.orphanedAt = now;
    }
    for (const [id, p] of seen) {
      if (this.tailers.has(id) || this.ctx.signal.aborted) continue;
      try {
        // read_from applies to files present at startup; files that appear later are new data.
        const t = await Tailer.open(p, this.env, initial && this.cfg.readFromEnd);
        if (t && !this.tailers.has(t.id)) { this.tailers.set(t.id, t); this.failed.delete(p); }
        else await t?.close();
      } catch (e) {
        if (!this.failed.has(p)) this.ctx.log.warn(`file source: cannot open ${p}: ${(e as Error).message}`);
        this.failed.add(p);
      }
    }
  }

  /** Forget checkpoints of files that no longer exist (or changed identity) at startup. */
  private pruneCheckpoints(): void {
    const live = new Set<string>();
    for (const t of this.tailers.values()) if (t.key) live.add(t.key);
    for (const k of this.ctx.state.keys()) if (!live.has(k)) this.ctx.state.delete(k);
  }

  /** Close orphaned files once at their end and quiet for a glob interval. */
  private async closeFinished(now: number): Promise<void> {
    for (const t of [...this.tailers.values()]) {
      if (t.orphanedAt === 0 || now - t.orphanedAt < this.cfg.globIntervalMs) continue;
      try {
        if (await t.poll()) continue; // still growing: keep reading it next round
        await t.prepareFinish();
        while (!this.ctx.signal.aborted && (await t.read(CHUNKS_PER_ROUND, this.ctx.signal)) && !t.atEof) await this.drain(false);
        if (this.ctx.signal.aborted) return;
        await t.finish();
      } catch (e) {
        this.ctx.log.warn(`file source: error finishing ${t.path}: ${(e as Error).message}`);
        await t.close();
      }
      this.tailers.delete(t.id);
      this.ctx.log.debug(`file source: closed ${t.path} (${t.deleted ? 'deleted' : 'rotated away'})`);
    }
  }

  /** A read error (EIO, a vanished network mount): close it; discovery reopens it from its checkpoint. */
  private async dropBroken(t: Tailer, e: Error): Promise<void> {
    this.ctx.log.warn(`file source: error reading ${t.path}: ${e.message}; reopening it from its checkpoint`);
    this.env.out.seal();
    await this.drain(false);
    await t.close();
    this.tailers.delete(t.id);
  }

  private wakeAt(): number {
    let at = Math.min(Date.now() + this.cfg.pollIntervalMs, this.nextGlob);
    for (const t of this.tailers.values()) at = Math.min(at, t.dueAt);
    return at;
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.ctx.signal;
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Exclude patterns: absolute ones match the absolute path, ones without a slash match the file
 * name (`*.gz`), others match the path relative to the config directory.
 */
function excludeMatcher(patterns: string[], configDir: string): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const tests = patterns.map((raw) => {
    const pat = raw.replace(/^\.\//, '');
    const m = picomatch(pat, { dot: true });
    if (pat.startsWith('/')) return m;
    if (!pat.includes('/')) return (p: string) => m(basename(p));
    return (p: string) => m(relative(configDir, p));
  });
  return (p) => tests.some((t) => t(p));
}
