/** `sluice test`: run the `tests:` of a pipeline config and show clear diffs on failure. */
import type { Command } from 'commander';
import { runUnitTest } from '../../engine/unit-tests.js';
import { color, configPaths, loadOrExit } from '../shared.js';

export function register(program: Command): void {
  program.command('test')
    .description('Run the pipeline unit tests (`tests:`) in a config. Exit code 1 when one fails.')
    .option('-c, --config <path...>', 'config files or directories (merged)')
    .action(async (opts: { config?: string[] }) => {
      const cfg = loadOrExit(configPaths(opts.config));
      const out = process.stdout;
      if (cfg.tests.length === 0) {
        out.write('no tests in this config: add a `tests:` section (see docs/testing.md)\n');
        return;
      }
      let passed = 0, failed = 0;
      for (const tc of cfg.tests) {
        const r = await runUnitTest(cfg, tc);
        if (r.passed) { passed++; out.write(`${color('32', '✓', out)} ${r.name}\n`); continue; }
        failed++;
        const where = tc.position ? ` (${tc.position.file}:${tc.position.line})` : '';
        out.write(`${color('31', '✗', out)} ${r.name}${where}\n`);
        if (r.error) out.write(`    error: ${r.error}\n`);
        for (const o of r.outputs.filter((x) => !x.passed)) {
          out.write(`    from ${o.extract_from}:\n`);
          for (const f of o.failures) out.write(`      - ${f}\n`);
          if (o.events.length) out.write(`    events seen at ${o.extract_from} (${o.events.length}):\n${o.events.slice(0, 5).map((e) => indent(JSON.stringify(e, null, 2), 6)).join('\n')}\n`);
        }
        for (const u of r.unexpected) {
          out.write(`    expected nothing from ${u.output}, got ${u.events.length} event(s):\n${u.events.slice(0, 5).map((e) => indent(JSON.stringify(e, null, 2), 6)).join('\n')}\n`);
        }
      }
      out.write(`\n${passed} passed, ${failed} failed\n`);
      if (failed) process.exitCode = 1;
    });
}

function indent(text: string, n: number): string {
  return text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
}
