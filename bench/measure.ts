/** Run a command and measure wall time, CPU seconds and peak RSS (GNU time, from Debian's `time`). */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface Measurement { wallSecs: number; cpuSecs: number; peakRssMB: number; stdout: string; stderr: string; code: number | null }

export function measure(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Measurement> {
  if (!existsSync('/usr/bin/time')) throw new Error('the benchmark needs GNU time: apt-get install time');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '@@TIME %e %U %S %M', cmd, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      if (!m) return reject(new Error(`no timing from ${cmd}: ${stderr.slice(-500)}`));
      resolve({ wallSecs: Number(m[1]), cpuSecs: Number(m[2]) + Number(m[3]), peakRssMB: Number(m[4]) / 1024, stdout, stderr: stderr.replace(m[0], ''), code });
    });
  });
}

/** Peak RSS so far of a running process, from /proc (VmHWM is a high-water mark). */
export function peakRssMB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
}

export function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
}
