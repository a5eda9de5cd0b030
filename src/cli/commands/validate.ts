/** `sluice validate`: check configs and report every problem with file:line:col (exit 78). */
import type { Command } from 'commander';
import { ConfigError } from '../../engine/config/index.js';
import { Pipeline } from '../../engine/topology.js';
import { quietLog } from '../../engine/testing.js';
import { color, configPaths, exitWithConfigError, loadOrExit } from '../shared.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function register(program: Command): void {
  program.command('validate')
    .description('Check a pipeline config: every problem at once, with file:line:col and a hint. Exit code 78 when invalid.')
    .option('-c, --config <path...>', 'config files or directories (merged)')
    .option('--no-build', 'only check the config, do not build the components')
    .action(async (opts: { config?: string[]; build: boolean }) => {
      const cfg = loadOrExit(configPaths(opts.config));
      if (opts.build) {
        // Build every component (opening nothing): catches problems only visible at build time.
        const dir = mkdtempSync(join(tmpdir(), 'sluice-validate-'));
        const p = new Pipeline({ ...cfg, dataDir: dir }, { log: quietLog, ephemeral: true });
        try { await p.check(); } catch (e) {
          if (e instanceof ConfigError) exitWithConfigError(e);
          throw e;
        } finally { rmSync(dir, { recursive: true, force: true }); }
      }
      const kinds = [...cfg.components.values()].reduce((m, c) => ({ ...m, [c.kind]: (m[c.kind] ?? 0) + 1 }), {} as Record<string, number>);
      process.stdout.write(`${color('32', '✓', process.stdout)} ${cfg.files.join(', ')}: valid — ${kinds.source ?? 0} sources, ${kinds.transform ?? 0} transforms, ${kinds.sink ?? 0} sinks, ${cfg.tests.length} tests\n`);
    });
}
