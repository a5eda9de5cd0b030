/**
 * `sluice detect`: run Sigma rules over event files (or stdin) and print one NDJSON line per
 * match. The rules load and run as in the `detect` transform (same rule set, same indexed engine,
 * same correlation engine); the output is the short form a shell wants, not OCSF findings.
 */
import { createReadStream, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readInput, sniff, type InputFormat } from '../../ocsf/inputs.js';
import { toTime } from '../../ocsf/map-kit.js';
import type { CorrelationAlert } from '../../sigma/correlation.js';
import type { EngineRule } from '../../sigma/engine.js';
import { formatRuleError, loadRuleSet, RulePathError } from '../../sigma/ruleset.js';
import { fail } from '../shared.js';
import { collect, pipelinesOrExit, placeholdersOrExit, ruleAndTestFiles, shown, shownError, UNSCOPED_HELP, unscopedOrExit } from './rules.js';

const FORMATS: InputFormat[] = ['ndjson', 'json', 'json_stream', 'windows_xml', 'zeek_tsv', 'lines'];

type Obj = Record<string, unknown>;

interface DetectOptions { rules: string[]; pipeline?: string[]; placeholder?: string[]; format?: InputFormat; unscopedRules?: string }

const warn = (text: string) => process.stderr.write(text + '\n');

/**
 * The events of one file (`-`: stdin) in batches, as they arrive. NDJSON is read line by line,
 * so a pipe (`tail -f x | sluice detect ...`) is answered as it flows and a large file is never
 * held whole; other shapes (a JSON array, concatenated objects, Windows XML, Zeek TSV) are read
 * whole and split by readInput. The shape is decided from the first line unless --format says it.
 * Unreadable events are reported as `file:line: reason` and counted in `bad`.
 */
async function* readEvents(file: string, format: InputFormat | undefined, bad: { n: number }): AsyncGenerator<Obj[]> {
  const name = file === '-' ? 'stdin' : file;
  const stream = file === '-' ? process.stdin : createReadStream(file);
  stream.setEncoding('utf8');
  let mode: 'undecided' | 'ndjson' | 'whole' = format === undefined ? 'undecided' : format === 'ndjson' ? 'ndjson' : 'whole';
  let buf = '';
  const whole: string[] = [];
  let lineNo = 0;
  const lines = (final: boolean): Obj[] => {
    const batch: Obj[] = [];
    let from = 0;
    for (;;) {
      let nl = buf.indexOf('\n', from);
      if (nl < 0) {
        if (!final || from >= buf.length) break;
        nl = buf.length;
      }
      lineNo++;
      const l = buf.slice(from, nl).trim();
      from = nl + 1;
      if (l === '') continue;
      let v: unknown;
      try { v = JSON.parse(l); } catch (e) { bad.n++; warn(`${name}:${lineNo}: invalid JSON: ${(e as Error).message}`); continue; }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) { bad.n++; warn(`${name}:${lineNo}: expected a JSON object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`); continue; }
      batch.push(v as Obj);
    }
    buf = buf.slice(Math.min(from, buf.length));
    return batch;
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    if (mode === 'whole') { whole.push(chunk); continue; }
    buf += chunk;
    if (mode === 'undecided') {
      if (lineNo === 0 && buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
      const start = buf.search(/\S/);
      if (start < 0) continue;
      const nl = buf.indexOf('\n', start);
      if (buf[start] === '{' && nl < 0) continue; // the first line is not complete yet
      let first = buf[start] === '{';
      if (first) { try { JSON.parse(buf.slice(start, nl)); } catch { first = false; } }
      mode = first ? 'ndjson' : 'whole';
      if (mode === 'whole') { whole.push(buf); buf = ''; continue; }
    }
    const batch = lines(false);
    if (batch.length) yield batch;
  }
  if (mode === 'ndjson') {
    const batch = lines(true);
    if (batch.length) yield batch;
    return;
  }
  const text = whole.join('') + buf;
  const batch: Obj[] = [];
  for (const item of readInput(text, name, format ?? sniff(text))) {
    if (item.ok) batch.push(item.event as Obj);
    else { bad.n++; warn(`${item.where}: ${item.reason}`); }
  }
  if (batch.length) yield batch;
}

function eventTime(e: Obj): number {
  return toTime(e.time) ?? toTime(e['@timestamp']) ?? toTime(e.timestamp) ?? NaN;
}

async function detect(events: string[], opts: DetectOptions): Promise<void> {
  if (opts.format && !FORMATS.includes(opts.format)) fail(`unknown --format ${opts.format}`, `use one of ${FORMATS.join(', ')}`, 64);
  for (const f of events) if (f !== '-' && !existsSync(f)) fail(`no such events file: ${f}`, 'give NDJSON (or JSON) event files, or - for stdin', 64);
  const pipelines = pipelinesOrExit(opts.pipeline);
  const placeholders = placeholdersOrExit(opts.placeholder);
  const { rules: files } = ruleAndTestFiles(opts.rules);
  const started = performance.now();
  // Correlation windows run on the events' own times (a file is usually a replay); events
  // without one are taken as happening at the latest time seen.
  let latest = -Infinity;
  let set: ReturnType<typeof loadRuleSet>;
  try {
    set = loadRuleSet(files, { cwd: process.cwd(), pipelines, placeholders, unscoped: unscopedOrExit(opts.unscopedRules), correlation: { now: () => (latest > -Infinity ? latest : Date.now()) } });
  } catch (e) {
    if (e instanceof RulePathError) fail(e.message, 'give rule files, folders or globs that exist', 64);
    throw e;
  }
  for (const e of set.errors) warn(`warning: rule skipped: ${formatRuleError(shownError(e))}`);
  const { engine, correlations } = set;
  const tty = process.stderr.isTTY === true;
  const plural = (n: number, w: string) => `${n.toLocaleString('en')} ${w}${n === 1 ? '' : w.endsWith('h') ? 'es' : 's'}`;
  if (tty) warn(`${plural(engine.rules.length, 'rule')} and ${plural(set.compiledCorrelations.length, 'correlation')} from ${plural(set.files.length, 'file')}, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // A rule's output line is the same for every match: made once.
  const lineOf = engine.rules.map((r) => JSON.stringify({ rule_id: r.rule.id ?? null, title: r.rule.title, level: r.rule.level ?? null, file: shown(r.rule.file), line: r.rule.place.line }) + '\n');
  const listens = correlations.referenced();
  const referenced = engine.rules.map((r) => (r.rule.id !== undefined && listens.has(r.rule.id)) || (r.rule.name !== undefined && listens.has(r.rule.name)));
  // Sigma's `generate: false`: a rule only there to feed correlations reports nothing itself.
  const silent = engine.rules.map((r, i) => referenced[i]! && correlations.suppressBaseAlert(r.rule.id ?? r.rule.name!, r.rule.name));
  const hasCorrelations = set.compiledCorrelations.length > 0;

  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
  const out: string[] = [];
  const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
  const emitAlerts = (alerts: CorrelationAlert[]) => {
    for (const a of alerts) {
      const d = a.correlation;
      out.push(JSON.stringify({ rule_id: d.id ?? null, title: d.title, level: d.level ?? null, file: shown(d.file), line: d.place.line, correlation: true, group: a.group }) + '\n');
    }
  };

  const bad = { n: 0 };
  let n = 0, hits = 0;
  const ruleHit = new Uint8Array(engine.rules.length);
  const matches: EngineRule[] = [];
  const t0 = performance.now();
  for (const file of events) {
    for await (const batch of readEvents(file, opts.format, bad)) {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        n++;
        if (engine.match(e, matches) === 0) continue;
        for (const m of matches) {
          const ix = m.index;
          if (referenced[ix]) {
            const t = eventTime(e);
            if (t > latest) latest = t;
            emitAlerts(correlations.observe({ ruleId: m.rule.id, ruleName: m.rule.name, event: e, time: t }));
          }
          if (silent[ix]) continue;
          hits++;
          ruleHit[ix] = 1;
          out.push(lineOf[ix]!);
        }
      }
      if (hasCorrelations) emitAlerts(correlations.expire(latest > -Infinity ? latest : Date.now()));
      flush();
    }
  }
  // The input is over: windows still open are closed (a `count < n` correlation reports now).
  if (hasCorrelations) emitAlerts(correlations.expire(Number.MAX_SAFE_INTEGER));
  flush();
  if (tty) {
    const s = (performance.now() - t0) / 1000;
    warn(`${plural(n, 'event')}, ${plural(hits, 'match')} of ${plural(ruleHit.reduce((a, b) => a + b, 0), 'rule')}${bad.n ? `, ${bad.n} unreadable` : ''}, ${Math.round(n / Math.max(s, 0.001)).toLocaleString('en')} events/s`);
  }
}

export function register(program: Command): void {
  program.command('detect <events...>')
    .description('Run Sigma rules over events (NDJSON, a JSON array, concatenated JSON objects, Windows event XML or Zeek TSV; `-` reads stdin) and print one NDJSON line per match: {"rule_id","title","level","file","line"}; correlation alerts add "correlation": true and "group". Rules that do not load and events that cannot be read are reported on stderr with their place and skipped. Exit 0 whether anything matched or not.')
    .requiredOption('--rules <path>', 'Sigma rule file, folder or glob; repeat for several', collect)
    .option('--pipeline <name|file>', 'processing pipeline: built-in (windows, ocsf, linux, cloud) or pipeline file; repeat for several', collect)
    .option('--placeholder <name=v1,v2>', 'values for `|expand` placeholders; repeat for several', collect)
    .option('--format <format>', `input format instead of recognising it: ${FORMATS.join(', ')}`)
    .option('--unscoped-rules <skip|run>', UNSCOPED_HELP)
    .action(detect);
}
