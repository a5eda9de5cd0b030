/** `sluice generate`: write (or, with --check, verify) the generated reference, schema and error pages. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { generatedFiles, repoRoot } from '../generate.js';
import { fail } from '../shared.js';

export function register(program: Command): void {
  program.command('generate')
    .description('Regenerate docs/reference/, docs/errors.md and schema/pipeline.schema.json from the component definitions.')
    .option('--check', 'fail (exit 1) when a generated file is missing or stale, instead of writing')
    .action((opts: { check?: boolean }) => {
      const stale: string[] = [];
      for (const [rel, content] of generatedFiles()) {
        const file = join(repoRoot, rel);
        const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
        if (current === content) continue;
        if (opts.check) stale.push(rel);
        else { mkdirSync(dirname(file), { recursive: true }); writeFileSync(file, content); process.stdout.write(`wrote ${rel}\n`); }
      }
      if (stale.length) fail(`generated files are stale: ${stale.join(', ')}`, 'run `npm run generate` and commit the result');
      if (opts.check) process.stdout.write('generated files are up to date\n');
    });
}
