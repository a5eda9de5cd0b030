/**
 * `sluice ocsf packs|map|validate|drift`: the OCSF packs from the command line. `map` normalizes
 * files exactly as the `normalize` transform does (same Normalizer); `validate` checks OCSF
 * events; `drift` lists the source fields and event types each pack met for the first time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readDrift, type DriftEntry } from '../../ocsf/drift.js';
import { readInput, sniff, type InputFormat } from '../../ocsf/inputs.js';
import { Normalizer, UnknownPackError, type ValidateMode } from '../../ocsf/normalizer.js';
import { packs } from '../../ocsf/packs.js';
import { loadSchema } from '../../ocsf/schema.js';
import { derive, validate } from '../../ocsf/validate.js';
import { table } from './dlq.js';
import { fail, loadOrExit } from '../shared.js';

const version = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const FORMATS: InputFormat[] = ['json', 'ndjson', 'json_stream', 'zeek_tsv', 'windows_xml', 'lines'];

interface MapOptions { pack: string; validate: ValidateMode; format?: InputFormat; quiet?: boolean }

function readOrFail(file: string): string {
  try { return readFileSync(file, 'utf8'); } catch (e) { fail(`cannot read ${file}: ${(e as Error).message}`); }
}

/** A one-line progress display on a terminal; nothing when stderr is a pipe or a file. */
function progress(total: number): { tick(n: number, files: number): void; done(): void } {
  const err = process.stderr;
  if (!err.isTTY) return { tick() {}, done() {} };
  const started = Date.now();
  let shown = 0;
  return {
    tick(n, files) {
      const now = Date.now();
      if (now - shown < 200) return;
      shown = now;
      err.write(`\r\x1b[2K${files}/${total} files, ${n.toLocaleString('en')} events, ${Math.round(n / Math.max((now - started) / 1000, 0.001)).toLocaleString('en')} events/s`);
    },
    done() { err.write('\r\x1b[2K'); },
  };
}

export function register(program: Command): void {
  const ocsf = program.command('ocsf').description('OCSF: list the packs, normalize files with them, validate OCSF events, show schema drift.');

  ocsf.command('packs')
    .description('The packs and the OCSF classes each produces.')
    .action(() => {
      const rows = [['PACK', 'TITLE', 'CLASSES']];
      for (const p of packs) rows.push([p.name, p.title, p.classes.map((c) => `${c.class_name} (${c.class_uid})`).join(', ')]);
      process.stdout.write(table(rows));
    });

  ocsf.command('map <files...>')
    .description('Normalize source events to OCSF and print them as NDJSON. Input: NDJSON, a JSON array, concatenated JSON objects, Zeek TSV, Windows event XML, or text lines (syslog, access logs); the format is recognised per file. What cannot be mapped goes to stderr with its place and reason (exit 1).')
    .option('--pack <name>', 'the pack to use (default: recognise each event)', 'auto')
    .option('--validate <mode>', 'strict (invalid events are reported, not printed) | warn | off', 'strict')
    .option('--format <format>', `input format instead of recognising it: ${FORMATS.join(', ')}`)
    .option('-q, --quiet', 'no summary on stderr')
    .action((files: string[], opts: MapOptions) => {
      if (!['strict', 'warn', 'off'].includes(opts.validate)) fail(`--validate must be strict, warn or off, not ${opts.validate}`);
      if (opts.format && !FORMATS.includes(opts.format)) fail(`unknown --format ${opts.format}`, `use one of ${FORMATS.join(', ')}`);
      let n: Normalizer;
      try { n = new Normalizer({ pack: opts.pack, validate: opts.validate, productVersion: version }); } catch (e) {
        if (e instanceof UnknownPackError) fail(`unknown pack \`${e.pack}\``, `packs: ${packs.map((p) => p.name).join(', ')} (see \`sluice ocsf packs\`)`, 64);
        throw e;
      }
      const out: string[] = [];
      const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
      let events = 0, mapped = 0, failed = 0, files_done = 0;
      const byPack = new Map<string, number>();
      const bar = progress(files.length);
      for (const file of files) {
        const text = readOrFail(file);
        const format = opts.format ?? sniff(text);
        for (const item of readInput(text, file, format)) {
          events++;
          if (!item.ok) { failed++; process.stderr.write(`${item.where}: ${item.reason}\n`); continue; }
          for (const o of n.run(item.event)) {
            if (!o.ok) { failed++; process.stderr.write(`${item.where}: ${o.code}: ${o.reason}\n`); continue; }
            mapped++;
            byPack.set(o.pack.name, (byPack.get(o.pack.name) ?? 0) + 1);
            out.push(JSON.stringify(o.event) + '\n');
            if (out.length >= 1000) flush();
          }
          bar.tick(events, files_done);
        }
        files_done++;
      }
      flush();
      bar.done();
      if (!opts.quiet) process.stderr.write(`${events} input events: ${mapped} OCSF events (${[...byPack].map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}), ${failed} not mapped\n`);
      if (failed) process.exitCode = 1;
    });

  ocsf.command('validate <files...>')
    .description('Check OCSF events (NDJSON, a JSON array or concatenated objects) against their class; print each violation with its field path. Exit 1 when any event has an error.')
    .option('--derive', 'fill derived fields (class_name, type_uid, ...) before validating')
    .option('--warnings', 'also print warnings (missing recommended or deprecated attributes)')
    .action((files: string[], opts: { derive?: boolean; warnings?: boolean }) => {
      const schema = loadSchema();
      let total = 0, bad = 0;
      for (const file of files) {
        const text = readOrFail(file);
        for (const item of readInput(text, file)) {
          total++;
          if (!item.ok) { bad++; process.stdout.write(`${item.where}: ${item.reason}\n`); continue; }
          if (opts.derive) derive(schema, item.event);
          const vs = validate(schema, item.event).filter((v) => opts.warnings || v.level === 'error');
          if (vs.some((v) => v.level === 'error')) bad++;
          for (const v of vs) process.stdout.write(`${item.where}: ${v.level}: ${v.path || '(event)'}: ${v.reason}\n`);
        }
      }
      process.stderr.write(`${total} events, ${total - bad} valid OCSF ${schema.version}, ${bad} with errors\n`);
      if (bad) process.exitCode = 1;
    });

  ocsf.command('drift')
    .description('Source fields and event types each pack met for the first time (schema drift), from the normalize components\' data.')
    .option('-c, --config <path...>', 'read data_dir from this config')
    .option('--data-dir <dir>', 'the data directory (default ./data)')
    .option('--pack <name>', 'only this pack')
    .option('--json', 'print entries as NDJSON')
    .action((opts: { config?: string[]; dataDir?: string; pack?: string; json?: boolean }) => {
      const dir = opts.dataDir ? resolve(opts.dataDir) : opts.config?.length ? loadOrExit(opts.config).dataDir : resolve('data');
      if (!existsSync(dir)) fail(`no data directory at ${dir}`, 'pass --data-dir or -c <config>');
      const rows: (DriftEntry & { component: string })[] = [];
      for (const c of readdirSync(dir)) {
        const f = join(dir, c, 'ocsf-drift.json');
        if (!existsSync(f) || !statSync(f).isFile()) continue;
        for (const e of readDrift(f)) if (!opts.pack || e.pack === opts.pack) rows.push({ component: c, ...e });
      }
      rows.sort((a, b) => b.first_seen.localeCompare(a.first_seen));
      if (opts.json) { for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n'); return; }
      if (!rows.length) { process.stdout.write(`no schema drift recorded under ${dir} (normalize components record it as they run)\n`); return; }
      process.stdout.write(table([['COMPONENT', 'PACK', 'KIND', 'NAME', 'FIRST SEEN', 'COUNT'], ...rows.map((r) => [r.component, r.pack, r.kind, r.name, r.first_seen.slice(0, 19).replace('T', ' '), String(r.count)])]));
    });
}
