/** The `sluice` command. Each subcommand lives in commands/<name>.ts and registers itself here. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register as buffer } from './commands/buffer.js';
import { register as components } from './commands/components.js';
import { register as detect } from './commands/detect.js';
import { register as dlq } from './commands/dlq.js';
import { register as evalCmd } from './commands/eval.js';
import { register as generate } from './commands/generate.js';
import { register as ocsf } from './commands/ocsf.js';
import { register as repl } from './commands/repl.js';
import { register as replayCmd } from './commands/replay.js';
import { register as resume } from './commands/resume.js';
import { register as rules } from './commands/rules.js';
import { register as run } from './commands/run.js';
import { register as stats } from './commands/stats.js';
import { register as tap } from './commands/tap.js';
import { register as test } from './commands/test.js';
import { register as top } from './commands/top.js';
import { register as validate } from './commands/validate.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('sluice')
  .description('Sluice: a security data pipeline. Collect, parse, normalize, enrich, detect and deliver — without losing an event.')
  .version(pkg.version)
  .showHelpAfterError('(run `sluice help <command>` for its options)');

for (const r of [run, validate, test, top, tap, stats, resume, dlq, replayCmd, buffer, ocsf, rules, detect, evalCmd, repl, components, generate]) r(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
