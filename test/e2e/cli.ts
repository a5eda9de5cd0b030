/** Helpers for end-to-end tests: run the real `sluice` CLI as a user would. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = join(root, 'bin', 'sluice.js');

export function tmp(prefix = 'sluice-e2e-'): string { return mkdtempSync(join(tmpdir(), prefix)); }

export function sluiceSync(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { input: opts.input, env: { ...process.env, NO_COLOR: '1', ...opts.env }, cwd: opts.cwd ?? root, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** Like sluiceSync, but lets this process keep serving (a receiver the CLI talks to). */
export function sluiceAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = sluice(args, opts);
  r.child.stdin!.end();
  return r.exited.then((code) => ({ code, stdout: r.stdout(), stderr: r.stderr() }));
}

export interface Running { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

export function sluice(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Running {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, cwd: opts.cwd ?? root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

/** All NDJSON lines of every file in a directory (recursively). */
export function readDirLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    if (f.isDirectory()) out.push(...readDirLines(p));
    else out.push(...readLines(p));
  }
  return out;
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}
