/**
 * `sluice run`: start a pipeline. Stops gracefully on SIGTERM/SIGINT (a second signal forces),
 * reloads by diff on SIGHUP or when --watch-config sees a change, and exits 0 once every source
 * has finished and everything has drained (so it also works as a batch command).
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { registry } from '../../components/registry.js';
import { ConfigError, formatProblem, validateConfig, type PipelineConfig } from '../../engine/config/index.js';
import { createLogger } from '../../engine/log.js';
import { Pipeline } from '../../engine/topology.js';
import { startApi, type ApiServer } from '../../server/api.js';
import { color, configPaths, exitWithConfigError, fail, loadOrExit } from '../shared.js';

interface RunOptions { config?: string[]; watchConfig?: boolean; api?: string; dataDir?: string; quiet?: boolean }

export function register(program: Command): void {
  program.command('run', { isDefault: false })
    .description('Run a pipeline until its sources finish or it is stopped (SIGTERM/SIGINT drain; SIGHUP reloads).')
    .option('-c, --config <path...>', 'config files or directories (merged, in order)')
    .option('-w, --watch-config', 'reload when a config file changes')
    .option('--api <address>', 'serve the API on this address (overrides the config)')
    .option('--data-dir <dir>', 'state and dead letters directory (overrides the config)')
    .option('-q, --quiet', 'no start-up banner')
    .action((opts: RunOptions) => run(opts));
}

async function run(opts: RunOptions): Promise<void> {
  const paths = configPaths(opts.config);
  const log = createLogger();
  const load = (): PipelineConfig => {
    const cfg = loadOrExit(paths);
    if (opts.dataDir) cfg.dataDir = opts.dataDir;
    if (opts.api) cfg.api = { ...(cfg.api ?? {}), address: opts.api };
    return cfg;
  };
  const cfg = load();
  const pipeline = new Pipeline(cfg, { log });
  try {
    await pipeline.start();
  } catch (e) {
    if (e instanceof ConfigError) exitWithConfigError(e);
    throw e;
  }

  let api: ApiServer | null = null;
  if (cfg.api) {
    try { api = await startApi(cfg.api, () => pipeline); } catch (e) {
      await pipeline.stop({ force: true });
      fail(`cannot start the API on ${cfg.api.address}: ${(e as Error).message}`, 'another process may hold the port: change api.address or stop it');
    }
  }
  if (!opts.quiet) banner(cfg, api);

  let signals = 0;
  const onStop = (sig: string) => {
    signals++;
    if (signals === 1) {
      log.info(`${sig}: stopping; draining everything already accepted (send ${sig} again to force)`);
      void pipeline.stop();
    } else {
      log.warn(`${sig} again: forcing stop; undelivered events go to the dead-letter store`);
      void pipeline.stop({ force: true });
    }
  };
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGINT', () => onStop('SIGINT'));

  let reloading: Promise<void> = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(async () => {
      let next: PipelineConfig;
      try {
        next = validateConfig(paths, registry);
        if (opts.dataDir) next.dataDir = opts.dataDir;
      } catch (e) {
        if (e instanceof ConfigError) { log.error(`reload (${why}) refused, the running pipeline is unchanged:\n${e.problems.map(formatProblem).join('\n')}`); return; }
        throw e;
      }
      if (next.dataDir !== pipeline.config.dataDir) { log.error('reload refused: data_dir cannot change while running; restart instead'); return; }
      try {
        const d = await pipeline.reload(next);
        const parts = [d.added.length && `added ${d.added.join(', ')}`, d.changed.length && `changed ${d.changed.join(', ')}`, d.removed.length && `removed ${d.removed.join(', ')}`].filter(Boolean);
        log.info(`reloaded (${why}): ${parts.length ? parts.join('; ') : 'no changes'}`);
      } catch (e) {
        log.error(`reload (${why}) failed, the running pipeline is unchanged: ${e instanceof ConfigError ? e.problems.map(formatProblem).join('\n') : (e as Error).message}`);
      }
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP'));

  const watchers: FSWatcher[] = [];
  if (opts.watchConfig) {
    let timer: NodeJS.Timeout | null = null;
    const byDir = new Map<string, Set<string>>();
    for (const f of cfg.files) {
      const d = dirname(f);
      if (!byDir.has(d)) byDir.set(d, new Set());
      byDir.get(d)!.add(basename(f));
    }
    for (const [dir, names] of byDir) {
      // Editors replace files (write a temp file, rename it over), which ends a watch on the file
      // itself; watching the directory and filtering by name survives that.
      watchers.push(watch(dir, { persistent: false }, (_ev, name) => {
        if (!name || !names.has(String(name))) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => reload('config changed'), 250);
      }));
    }
  }

  await pipeline.done;
  for (const w of watchers) w.close();
  await api?.close();
  const failed = pipeline.stats().some((s) => s.errors.get('component_failed'));
  const dead = pipeline.deadLetters.count;
  if (dead > 0) log.warn(`${dead} events went to the dead-letter store; see \`sluice dlq list --data-dir ${cfg.dataDir}\``);
  // The final books, one line per source, so a finished run proves what happened to every event.
  let kept = 0;
  for (const a of pipeline.accounting.all()) {
    const b = a.toJSON();
    const buffered = a.source.endsWith(' (disk buffer)');
    if (buffered) kept += b.in_flight;
    const text = `books ${a.source}: received ${b.received}${b.created ? ` + copies ${b.created}` : ''} = delivered ${b.delivered} + dropped ${b.dropped} + dead-lettered ${b.dead_lettered} + in flight ${b.in_flight}${buffered && b.in_flight ? ' (kept in the disk buffer for the next run)' : ''}`;
    if (!b.balanced || b.unreported) log.error(`${text}: does not balance (unreported ${b.unreported}); please report this`, { books: b });
    else log.info(text, { books: b });
  }
  log.info(kept ? `stopped; ${kept} event(s) wait in disk buffers for the next run, everything else was delivered, dropped on purpose or dead-lettered` : 'stopped; everything accepted was delivered, dropped on purpose or dead-lettered');
  process.exit(failed ? 1 : 0);
}

function banner(cfg: PipelineConfig, api: ApiServer | null): void {
  const all = [...cfg.components.values()];
  const n = (k: string) => all.filter((c) => c.kind === k).length;
  const lines = [
    `${color('1;36', 'sluice')} running ${n('source')} sources, ${n('transform')} transforms, ${n('sink')} sinks from ${cfg.files.join(', ')}`,
    `  data_dir ${cfg.dataDir}`,
  ];
  if (api) lines.push(`  API      http://${api.address}  (/health, /metrics)  — watch it with \`sluice top --api ${api.address}\`, sample events with \`sluice tap <id> --api ${api.address}\``);
  lines.push('  stop with Ctrl-C (drains first), reload with SIGHUP');
  process.stderr.write(lines.join('\n') + '\n');
}
