#!/usr/bin/env node
// Runs a test suite from the compiled tree with Node's own test runner.
//   unit:        dist/src/**/*.test.js and dist/packs/**/*.test.js (no external services)
//   integration: dist/test/integration/**/*.test.js (real servers on localhost; CI fails when one is missing)
//   e2e:         dist/test/e2e/**/*.test.js (the CLI as a user runs it: real processes and signals)
//   faults:      dist/test/faults/**/*.test.js (fault injection: kill -9, outages, corrupt buffers, full disks)
// Node 20's runner does not expand globs itself, so the files are listed here.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suites = {
  unit: ['dist/src', 'dist/packs'],
  integration: ['dist/test/integration'],
  e2e: ['dist/test/e2e'],
  faults: ['dist/test/faults'],
};
const which = process.argv[2] ?? 'unit';
if (!suites[which]) {
  console.error(`unknown suite ${which}; use one of ${Object.keys(suites).join(', ')}`);
  process.exit(64);
}
const files = [];
const walk = (d) => {
  if (!existsSync(d)) return;
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    // Only tests whose TypeScript source still exists: a deleted test leaves its old build behind.
    else if (f.endsWith('.test.js') && existsSync(p.replace(/^dist\//, '').replace(/\.js$/, '.ts'))) files.push(p);
  }
};
for (const d of suites[which]) walk(d);
if (files.length === 0) {
  console.error(`no test files found for the ${which} suite; did the build run?`);
  process.exit(1);
}
const extra = process.argv.slice(3);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...extra, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
