/**
 * `sluice rules lint|test`: Sigma rules from the command line. `lint` loads rule files exactly as
 * the `detect` transform does (parse, processing pipelines, compile) and reports every problem
 * with file:line:col plus a summary; `test` runs the cases kept in `*.tests.yml` files beside the
 * rules. The helpers for options shared with `sluice detect` live here too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { toTime } from '../../ocsf/map-kit.js';
import { loadPipeline } from '../../sigma/builtin-pipelines.js';
import { CorrelationEngine, type CompiledCorrelation, type CorrelationAlert } from '../../sigma/correlation.js';
import type { EngineRule } from '../../sigma/engine.js';
import { interpret, explain } from '../../sigma/interpret.js';
import { formatProblem, PipelineError, type Pipeline } from '../../sigma/pipeline.js';
import { formatRuleError, loadRuleSet, RulePathError, ruleFiles, type RuleSet, type RuleSetOptions } from '../../sigma/ruleset.js';
import type { DetectionItem, RuleError, Search, SigmaRule, SigmaValue } from '../../sigma/types.js';
import { color, fail } from '../shared.js';

const USAGE = 64;

// ---------------------------------------------------------------------------------------------
// Shared with `sluice detect`

/** commander collector for repeatable options (`--pipeline a --pipeline b`). */
export function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), value];
}

/** Pipelines by built-in name or file, in the order given; a bad one ends the command (64) with every problem. */
export function pipelinesOrExit(given: readonly string[] | undefined): Pipeline[] {
  const out: Pipeline[] = [];
  for (const p of given ?? []) {
    try {
      out.push(loadPipeline(p));
    } catch (e) {
      if (!(e instanceof PipelineError)) throw e;
      for (const pr of e.problems) process.stderr.write(formatProblem(pr) + '\n');
      fail(`the pipeline ${p} cannot be used`, 'fix the problems above, or pass a built-in: windows, ocsf, linux, cloud', USAGE);
    }
  }
  // Notes are about keys the engine deliberately ignores: said once, before any output.
  for (const p of out) for (const n of p.notes) process.stderr.write(`note: ${n}\n`);
  return out;
}

/** `--placeholder admins=alice,bob` (repeatable; `%admins%` works too) as compile options. */
export function placeholdersOrExit(given: readonly string[] | undefined): Record<string, SigmaValue[]> {
  const out: Record<string, SigmaValue[]> = {};
  for (const g of given ?? []) {
    const eq = g.indexOf('=');
    const name = eq < 0 ? '' : g.slice(0, eq).trim().replace(/^%(.*)%$/, '$1');
    if (!name) fail(`--placeholder ${g}: expected name=value1,value2`, 'e.g. --placeholder Admins=alice,bob', USAGE);
    out[name] = [...(out[name] ?? []), ...g.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '')];
  }
  return out;
}

/** A file as the user knows it: relative to the working directory when below it. */
export function shown(file: string): string {
  const r = relative(process.cwd(), file);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : file;
}

export function shownError(e: RuleError): RuleError {
  return { ...e, file: shown(e.file), ...(e.place ? { place: { ...e.place, file: shown(e.place.file) } } : {}) };
}

/** Rule tests live beside the rules as `x.tests.yml` (or .test.yml, .tests.yaml, .test.yaml). */
const TEST_FILE = /\.tests?\.ya?ml$/i;

/** The files `paths` name, split into rule files and test files. Exits 64 on a path that does not exist. */
export function ruleAndTestFiles(paths: readonly string[]): { rules: string[]; tests: string[] } {
  let files: string[];
  try { files = ruleFiles(paths, process.cwd()); } catch (e) {
    if (e instanceof RulePathError) fail(e.message, 'give rule files, folders or globs that exist', USAGE);
    throw e;
  }
  return { rules: files.filter((f) => !TEST_FILE.test(f)), tests: files.filter((f) => TEST_FILE.test(f)) };
}

/** A one-line status on a terminal, at most every 100 ms; nothing when stderr is not one. */
function statusLine(): { show(text: string, force?: boolean): void; done(): void } {
  const err = process.stderr;
  if (!err.isTTY) return { show() {}, done() {} };
  let last = 0;
  return {
    show(text, force) {
      const now = Date.now();
      if (!force && now - last < 100) return;
      last = now;
      err.write(`\r\x1b[2K${text}`);
    },
    done() { err.write('\r\x1b[2K'); },
  };
}

/** `--unscoped-rules skip|run` (see RuleSetOptions.unscoped). */
export function unscopedOrExit(v: string | undefined): 'skip' | 'run' {
  if (v === undefined || v === 'skip' || v === 'run') return v ?? 'skip';
  fail(`unknown --unscoped-rules ${v}`, 'use skip (default) or run', USAGE);
}

export const UNSCOPED_HELP = 'with pipelines, what to do with a rule none of them scopes to its log source: skip (default; reported) or run (tested on every event)';

function loadOrExit(files: readonly string[], opts: RuleSetOptions): RuleSet {
  try { return loadRuleSet(files, opts); } catch (e) {
    if (e instanceof RulePathError) fail(e.message, 'give rule files, folders or globs that exist', USAGE);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// lint

type Kind = 'rule' | 'correlation' | 'filter';

const docKey = (file: string, name: string | undefined) => `${file}\u0000${name ?? ''}`;

/**
 * What the documents of a file are (rule, correlation, filter), by the key errors name them with.
 * Only read for files with problems: a document that failed to parse is not in the rule set.
 */
function kindsIn(file: string): Array<{ keys: string[]; kind: Kind }> {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  const out: Array<{ keys: string[]; kind: Kind }> = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: false }) as Document.Parsed[]) {
    let js: unknown;
    try { js = doc.toJS({ maxAliasCount: 100 }); } catch { js = undefined; }
    if (js === null || typeof js !== 'object' || Array.isArray(js)) continue;
    const o = js as Record<string, unknown>;
    const s = (k: string) => (typeof o[k] === 'string' || typeof o[k] === 'number' ? String(o[k]) : undefined);
    const kind: Kind = 'correlation' in o ? 'correlation' : 'filter' in o ? 'filter' : 'rule';
    out.push({ kind, keys: [docKey(file, s('id') ?? s('title')), docKey(file, s('id') ?? s('name') ?? s('title'))] });
  }
  return out;
}

/**
 * The reason class of a problem, for counting: the message without what is particular to one
 * rule (quoted names and values, YAML positions) and without the advice after the first `; `.
 */
export function reasonOf(message: string): string {
  let m = message.split('; ')[0]!;
  m = m.replace(/ at line \d+, column \d+:?/g, '');
  // Quoted names and values go, except the pipeline's name: scanned left to right so that the
  // closing quote of one string is never taken for the opening quote of the next.
  m = m.replace(/"(?:[^"\\]|\\.)*"/g, (q, at: number) => (m.slice(Math.max(0, at - 9), at) === 'pipeline ' ? q : '"…"')).replace(/(?<!\w)'[^'\n]*'(?!\w)/g, '\'…\'').replace(/`[^`]*`/g, '`…`').replace(/%[^%\s]+%/g, '%…%');
  return m.length > 140 ? m.slice(0, 139) + '…' : m;
}

interface LintOptions { pipeline?: string[]; placeholder?: string[]; json?: boolean; quiet?: boolean; minCompiled?: string; unscopedRules?: string }

function lint(paths: string[], opts: LintOptions): void {
  let min: number | undefined;
  if (opts.minCompiled !== undefined) {
    min = Number(opts.minCompiled);
    if (!(min >= 0 && min <= 100)) fail(`--min-compiled ${opts.minCompiled}: expected a percentage from 0 to 100`, undefined, USAGE);
  }
  const started = performance.now();
  const pipelines = pipelinesOrExit(opts.pipeline);
  const placeholders = placeholdersOrExit(opts.placeholder);
  const { rules: files } = ruleAndTestFiles(paths);
  const bar = statusLine();
  const set = loadOrExit(files, {
    cwd: process.cwd(), pipelines, placeholders, unscoped: unscopedOrExit(opts.unscopedRules),
    onProgress: (done, total) => bar.show(done < total ? `reading rules: ${done}/${total} files` : `compiling the rules of ${total} files…`, done === total),
  });
  bar.done();
  const seconds = (performance.now() - started) / 1000;

  // Count documents: one that has any problem failed, whatever it is.
  const failed = new Set(set.errors.map((e) => docKey(e.file, e.rule)));
  const counts: Record<Kind, number> = { rule: 0, correlation: 0, filter: 0 };
  let compiled = 0;
  const loaded: Array<{ keys: string[]; kind: Kind }> = [
    ...set.engine.rules.map((r) => ({ kind: 'rule' as const, keys: [docKey(r.rule.file, r.rule.id ?? r.rule.title)] })),
    ...set.compiledCorrelations.map((c) => ({ kind: 'correlation' as const, keys: [docKey(c.doc.file, c.doc.id ?? c.doc.title), docKey(c.doc.file, c.doc.id ?? c.doc.name ?? c.doc.title)] })),
    ...set.filters.map((f) => ({ kind: 'filter' as const, keys: [docKey(f.file, f.id ?? f.title)] })),
  ];
  for (const l of loaded) if (!l.keys.some((k) => failed.has(k))) { compiled++; counts[l.kind]++; }
  const kindCache = new Map<string, Array<{ keys: string[]; kind: Kind }>>();
  for (const key of failed) {
    const [file, name] = key.split('\u0000') as [string, string];
    let kinds = kindCache.get(file);
    if (!kinds) kindCache.set(file, (kinds = kindsIn(file)));
    const k = kinds.find((d) => d.keys.includes(key))?.kind ?? (name === '' && kinds.length === 1 ? kinds[0]!.kind : 'rule');
    counts[k]++;
  }
  const total = compiled + failed.size;
  const pct = total === 0 ? 0 : (compiled / total) * 100;
  const errors = set.errors.map(shownError).sort((a, b) => a.file.localeCompare(b.file) || (a.place?.line ?? 0) - (b.place?.line ?? 0) || (a.place?.col ?? 0) - (b.place?.col ?? 0));

  if (opts.json) {
    process.stdout.write(JSON.stringify({
      files: set.files.length, rules: counts.rule, correlations: counts.correlation, filters: counts.filter, compiled, failed: failed.size,
      errors: errors.map((e) => ({ file: e.file, line: e.place?.line ?? null, col: e.place?.col ?? null, rule: e.rule ?? null, message: e.message })),
    }) + '\n');
  } else {
    const out: string[] = [];
    if (!opts.quiet) for (const e of errors) out.push(formatRuleError(e));
    if (!opts.quiet && errors.length) out.push('');
    if (total === 0) {
      out.push(`no Sigma rules in ${set.files.length} file${set.files.length === 1 ? '' : 's'} under ${paths.join(', ')}`);
    } else {
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      out.push(`${plural(set.files.length, 'file')}: ${plural(counts.rule, 'rule')}, ${plural(counts.correlation, 'correlation')}, ${plural(counts.filter, 'filter')}`);
      // Floored, so that a set with one failure never shows as 100%.
      out.push(`compiled ${compiled} of ${total} (${(Math.floor(pct * 100) / 100).toFixed(2)}%), ${failed.size} failed, in ${seconds.toFixed(1)} s`);
      if (failed.size) {
        const byReason = new Map<string, Set<string>>();
        for (const e of set.errors) {
          const r = reasonOf(e.message);
          let s = byReason.get(r);
          if (!s) byReason.set(r, (s = new Set()));
          s.add(docKey(e.file, e.rule));
        }
        out.push('failed by reason:');
        const rows = [...byReason].map(([r, s]) => [s.size, r] as const).sort((a, b) => b[0] - a[0] || a[1].localeCompare(b[1]));
        const w = String(rows[0]![0]).length;
        for (const [n, r] of rows) out.push(`  ${String(n).padStart(w)}  ${r}`);
      }
      if (min !== undefined) out.push(`at least ${min}% must compile: ${pct >= min ? 'ok' : 'not met'}`);
    }
    process.stdout.write(out.join('\n') + '\n');
  }
  if (total === 0) process.exitCode = 1;
  else if (min !== undefined) process.exitCode = pct >= min ? 0 : 1;
  else if (failed.size) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------
// test

const TESTS_HELP = `
Tests live beside the rules: for rules/x.yml, rules/x.tests.yml (also .test.yml, .tests.yaml,
.test.yaml). A tests file elsewhere (a tests/ folder) works when it names its rule and the
rule's file is among the paths given. A tests file is one YAML mapping:

  rule: <id, name or title>     # optional when x.yml beside it holds one rule (or one correlation)
  cases:
    - name: encoded PowerShell  # optional; shown in the report
      event: { Image: 'C:\\Windows\\System32\\powershell.exe', CommandLine: 'powershell -enc SQBFAFgA' }
      match: true               # the rule must match the event (false: must not)
    - name: five failed logons in a minute         # correlation rules:
      events:                                      # in order, each with its time in
        - { time: '2024-05-01T10:00:00Z', ... }    # time, @timestamp or timestamp (ISO or epoch ms)
      alerts: 1                                    # correlation alerts expected

Events are the events as the rule sees them after the --pipeline options (with --pipeline windows,
a Sysmon event written flat: EventID, Channel, Image...). Quote values that must stay text
('0x17', '007'). Exit code: 0 when every case passes, 1 when one fails or no tests were found.
`;

interface TestCase {
  name: string;
  where: string;
  event?: Record<string, unknown>;
  match?: boolean;
  events?: Array<{ event: Record<string, unknown>; where: string }>;
  alerts?: number;
}

interface TestFile { file: string; rule?: { name: string; where: string }; cases: TestCase[]; problems: string[] }

const CASE_KEYS = new Set(['name', 'event', 'match', 'events', 'alerts']);

function readTestFile(file: string): TestFile {
  const shownFile = shown(file);
  const tf: TestFile = { file, cases: [], problems: [] };
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { tf.problems.push(`${shownFile}: cannot read: ${(e as Error).message}`); return tf; }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (n: Node | null | undefined, withCol = true) => {
    const p = lc.linePos(n?.range?.[0] ?? 0);
    return withCol ? `${shownFile}:${p.line}:${p.col}` : `${shownFile}:${p.line}`;
  };
  const problem = (n: Node | null | undefined, message: string) => tf.problems.push(`${at(n)}: ${message}`);
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const p = lc.linePos(e.pos[0]);
      tf.problems.push(`${shownFile}:${p.line}:${p.col}: YAML: ${e.message.split('\n')[0]}`);
    }
    return tf;
  }
  const root = doc.contents;
  if (!isMap(root)) { problem(root, 'a tests file is a mapping with `cases:` (and `rule:` when the rule is not alone beside it)'); return tf; }
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (k !== 'rule' && k !== 'cases') problem(pair.key as Node, `unknown key "${k}"; a tests file has \`rule:\` and \`cases:\``);
  }
  const rule = root.get('rule', true) as Node | undefined;
  if (rule !== undefined) {
    if (isScalar(rule) && (typeof rule.value === 'string' || typeof rule.value === 'number')) tf.rule = { name: String(rule.value), where: at(rule) };
    else problem(rule, '`rule:` must be the id, name or title of a rule');
  }
  const cases = root.get('cases', true) as Node | undefined;
  if (!isSeq(cases) || cases.items.length === 0) {
    problem(cases ?? root, '`cases:` must be a list of cases like `- { name: ..., event: {...}, match: true }`');
    return tf;
  }
  cases.items.forEach((item, i) => {
    const node = item as Node;
    if (!isMap(node)) { problem(node, `case ${i + 1} must be a mapping with \`event:\` and \`match:\` (or \`events:\` and \`alerts:\`)`); return; }
    const m = node as YAMLMap;
    for (const pair of m.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!CASE_KEYS.has(k)) problem(pair.key as Node, `unknown key "${k}" in a case; a case has name, event and match (or events and alerts)`);
    }
    const name = m.get('name');
    const tc: TestCase = { name: name === undefined || name === null ? `case ${i + 1}` : String(name), where: at(node, false) };
    const ev = m.get('event', true) as Node | undefined;
    const evs = m.get('events', true) as Node | undefined;
    const match = m.get('match', true) as Node | undefined;
    const alerts = m.get('alerts', true) as Node | undefined;
    if ((ev === undefined) === (evs === undefined)) { problem(node, `case "${tc.name}": give either \`event:\` with \`match:\`, or \`events:\` with \`alerts:\``); return; }
    if (ev !== undefined) {
      if (!isMap(ev)) { problem(ev, `case "${tc.name}": \`event:\` must be a mapping (the event's fields)`); return; }
      if (!isScalar(match) || typeof match.value !== 'boolean') { problem(match ?? node, `case "${tc.name}": \`match:\` must be true or false`); return; }
      if (alerts !== undefined) { problem(alerts, `case "${tc.name}": \`alerts:\` goes with \`events:\`; with one \`event:\` say \`match: true|false\``); return; }
      tc.event = ev.toJS(doc) as Record<string, unknown>;
      tc.match = match.value;
    } else {
      if (!isSeq(evs) || evs.items.length === 0) { problem(evs, `case "${tc.name}": \`events:\` must be a list of events`); return; }
      const list: TestCase['events'] = [];
      for (const e of evs.items as Node[]) {
        if (!isMap(e)) { problem(e, `case "${tc.name}": each of \`events:\` must be a mapping`); return; }
        list.push({ event: e.toJS(doc) as Record<string, unknown>, where: at(e, false) });
      }
      if (!isScalar(alerts) || typeof alerts.value !== 'number' || !Number.isInteger(alerts.value) || alerts.value < 0) {
        problem(alerts ?? node, `case "${tc.name}": \`alerts:\` must be the number of correlation alerts expected (0 or more)`);
        return;
      }
      if (match !== undefined) { problem(match, `case "${tc.name}": \`match:\` goes with one \`event:\`; with \`events:\` say \`alerts: <n>\``); return; }
      tc.events = list;
      tc.alerts = alerts.value;
    }
    tf.cases.push(tc);
  });
  return tf;
}

/** The rule file beside a tests file (`x.tests.yml` -> `x.yml` or `x.yaml`), if there is one. */
function siblingOf(testFile: string): string | undefined {
  const base = testFile.replace(TEST_FILE, '');
  return ['.yml', '.yaml'].map((x) => base + x).find((f) => existsSync(f));
}

type Target = { kind: 'rule'; rule: EngineRule } | { kind: 'correlation'; corr: CompiledCorrelation };

const names = (d: { id?: string; name?: string; title: string }) => [d.id, d.name, d.title].filter((x): x is string => x !== undefined);

function targetOf(tf: TestFile, set: RuleSet): Target | string {
  const sib = siblingOf(tf.file);
  const rules = set.engine.rules;
  const corrs = set.compiledCorrelations;
  const brokenIn = (file: string | undefined, name?: string) => set.errors.filter((e) => (file === undefined || e.file === file) && (name === undefined || e.rule === name));
  const broken = (errs: RuleError[]) => `the rule did not load:\n${errs.map((e) => '    ' + formatRuleError(shownError(e))).join('\n')}`;
  if (tf.rule) {
    const want = tf.rule.name;
    let found: Target[] = [
      ...corrs.filter((c) => names(c.doc).includes(want)).map((corr) => ({ kind: 'correlation' as const, corr })),
      ...rules.filter((r) => names(r.rule).includes(want)).map((rule) => ({ kind: 'rule' as const, rule })),
    ];
    if (found.length > 1 && sib) {
      const here = found.filter((t) => (t.kind === 'rule' ? t.rule.rule.file : t.corr.doc.file) === sib);
      if (here.length) found = here;
    }
    if (found.length === 1) return found[0]!;
    if (found.length > 1) return `${tf.rule.where}: "${want}" names ${found.length} rules (${found.map((t) => (t.kind === 'rule' ? `${shown(t.rule.rule.file)}:${t.rule.rule.place.line}` : `${shown(t.corr.doc.file)}:${t.corr.doc.place.line}`)).join(', ')}); use the rule's id`;
    const errs = brokenIn(undefined, want);
    if (errs.length) return `${tf.rule.where}: ${broken(errs)}`;
    return `${tf.rule.where}: no rule with id, name or title "${want}" among the rules loaded (${set.files.length} files); is its file among the paths given?`;
  }
  if (!sib) return `${shown(tf.file)}: no rule file beside it (${shown(tf.file.replace(TEST_FILE, '.yml'))}); say which rule with \`rule: <id or title>\` and give its file`;
  const c = corrs.filter((x) => x.doc.file === sib);
  if (c.length === 1) return { kind: 'correlation', corr: c[0]! };
  const r = rules.filter((x) => x.rule.file === sib);
  if (c.length === 0 && r.length === 1) return { kind: 'rule', rule: r[0]! };
  const errs = brokenIn(sib);
  if (c.length + r.length === 0 && errs.length) return `${shown(tf.file)}: ${broken(errs)}`;
  if (c.length + r.length === 0) return `${shown(tf.file)}: ${shown(sib)} holds no rule`;
  return `${shown(tf.file)}: ${shown(sib)} holds ${c.length ? `${c.length} correlations` : `${r.length} rules`}; say which this file tests with \`rule: <id or title>\``;
}

function describeValue(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 100 ? s.slice(0, 99) + '…' : s;
}

function describeItem(d: DetectionItem): string {
  const field = d.field === null ? 'keyword' : [d.field, ...d.modifiers].join('|');
  const paths = d.paths && (d.paths.length !== 1 || d.paths[0] !== d.field) ? ` (at ${d.paths.join(' or ')})` : '';
  return `${field}${paths}: ${d.values.map((v) => describeValue(v)).join(d.modifiers.includes('all') ? ' and ' : ' or ')}`;
}

function describeSearch(s: Search): string {
  return s.groups.map((g) => g.map(describeItem).join(', ')).join('; or ');
}

/** A rule made of one search, for asking the interpreter whether that search alone matches. */
function only(rule: SigmaRule, search: Search): SigmaRule {
  return { ...rule, detection: { s: search }, condition: ['s'], conditions: [] };
}

/** Why a rule did or did not match an event, for a failed case. */
function whyRule(rule: SigmaRule, e: Record<string, unknown>, opts: { placeholders: Record<string, SigmaValue[]> }, matched: boolean): string[] {
  const out: string[] = [];
  if (matched) {
    out.push('expected no match, but the rule matched on:');
    for (const x of explain(rule, e, opts)) out.push(`  ${x.search}: ${x.field ?? 'keyword'}${x.path && x.path !== x.field ? ` (at ${x.path})` : ''} = ${describeValue(x.value)}`);
    return out;
  }
  out.push('expected a match, but the rule did not match:');
  for (const c of rule.conditions) {
    const ok = interpret(only(rule, c.search), e, opts);
    if (ok === c.negate) out.push(`  ${c.negate ? 'excluded by' : 'does not meet'} ${c.origin || 'a condition added by the pipeline'}: ${describeSearch(c.search)}`);
  }
  out.push(`  condition: ${rule.condition.join(' | ')}`);
  for (const [name, s] of Object.entries(rule.detection)) {
    const hit = interpret(only(rule, s), e, opts);
    out.push(`  ${name}: ${hit ? 'matches' : 'no match'}${hit ? '' : ` (wants ${describeSearch(s)})`}`);
  }
  return out;
}

function eventTime(e: Record<string, unknown>): number | null {
  return toTime(e.time) ?? toTime(e['@timestamp']) ?? toTime(e.timestamp);
}

interface TestOptions { pipeline?: string[]; placeholder?: string[]; unscopedRules?: string }

function runTests(paths: string[], opts: TestOptions): void {
  const pipelines = pipelinesOrExit(opts.pipeline);
  const placeholders = placeholdersOrExit(opts.placeholder);
  const { rules, tests } = ruleAndTestFiles(paths);
  if (tests.length === 0) {
    fail(`no tests found in ${paths.join(', ')}`, 'write the cases for rules/x.yml in rules/x.tests.yml:\n        cases:\n          - { name: what it catches, event: { CommandLine: whoami /all }, match: true }\n      (`sluice rules test --help` shows the whole format)', 1);
  }
  // The rules beside each tests file are loaded even when only the tests file was named.
  const ruleSet = new Set(rules);
  for (const t of tests) { const s = siblingOf(t); if (s) ruleSet.add(s); }
  const set = loadOrExit([...ruleSet], { cwd: process.cwd(), pipelines, placeholders, unscoped: unscopedOrExit(opts.unscopedRules) });
  for (const e of set.errors) process.stderr.write(`warning: ${formatRuleError(shownError(e))}\n`);

  const out = process.stdout;
  const ok = color('32', 'ok  ', out), bad = color('31', 'FAIL', out);
  let passed = 0, failed = 0;
  const matches: EngineRule[] = [];
  for (const file of tests) {
    const tf = readTestFile(file);
    if (tf.problems.length) {
      failed += tf.problems.length;
      for (const p of tf.problems) out.write(`${bad} ${p}\n`);
      continue;
    }
    const target = targetOf(tf, set);
    if (typeof target === 'string') { failed += Math.max(1, tf.cases.length); out.write(`${bad} ${target}\n`); continue; }
    const label = target.kind === 'rule' ? target.rule.rule.title : target.corr.doc.title;
    for (const tc of tf.cases) {
      const lines: string[] = [];
      if (tc.event !== undefined) {
        if (target.kind === 'correlation') {
          lines.push(`"${label}" is a correlation rule: give \`events:\` (with times) and \`alerts: <n>\``);
        } else {
          set.engine.match(tc.event, matches);
          const hit = matches.includes(target.rule);
          if (hit !== tc.match) lines.push(...whyRule(target.rule.rule, tc.event, { placeholders }, hit));
        }
      } else {
        lines.push(...runCorrelationCase(tc, target, set, matches));
      }
      if (lines.length === 0) { passed++; out.write(`${ok} ${tc.where} ${tc.name}\n`); continue; }
      failed++;
      out.write(`${bad} ${tc.where} ${tc.name} (rule: ${label})\n${lines.map((l) => `     ${l}\n`).join('')}`);
    }
  }
  out.write(`\n${passed + failed} case${passed + failed === 1 ? '' : 's'} in ${tests.length} tests file${tests.length === 1 ? '' : 's'}: ${passed} passed, ${failed} failed\n`);
  if (failed) process.exitCode = 1;
}

/**
 * A correlation case: the events go through every loaded rule in order, matches of referenced
 * rules feed a fresh correlation engine clocked by the events' own times, and the alerts of the
 * correlation under test are counted (windows still open at the end are closed, so `lt` and
 * `eq` conditions report). Returns what went wrong, nothing when the case passes.
 */
function runCorrelationCase(tc: TestCase, target: Target, set: RuleSet, matches: EngineRule[]): string[] {
  if (target.kind === 'rule') {
    return [`"${target.rule.rule.title}" is not a correlation rule: give one \`event:\` and \`match: true|false\` per case`];
  }
  const events = tc.events!;
  const times: number[] = [];
  for (const { event, where } of events) {
    const t = eventTime(event);
    if (t === null) return [`${where}: the event has no time; give it \`time:\` (ISO 8601 or epoch ms), \`@timestamp\` or \`timestamp\``];
    times.push(t);
  }
  let clock = times[0]!;
  const corr = new CorrelationEngine(set.compiledCorrelations, { now: () => clock });
  const listens = corr.referenced();
  const alerts: CorrelationAlert[] = [];
  const trail: string[] = [];
  events.forEach(({ event, where }, i) => {
    clock = Math.max(clock, times[i]!);
    alerts.push(...corr.expire(times[i]!));
    set.engine.match(event, matches);
    trail.push(`${where} (${new Date(times[i]!).toISOString()}): ${matches.length ? `matched ${matches.map((m) => m.rule.title).join(', ')}` : 'matched no rule'}`);
    for (const m of matches) {
      const r = m.rule;
      if ((r.id !== undefined && listens.has(r.id)) || (r.name !== undefined && listens.has(r.name))) {
        alerts.push(...corr.observe({ ruleId: r.id, ruleName: r.name, event, time: times[i]! }));
      }
    }
  });
  alerts.push(...corr.expire(Number.MAX_SAFE_INTEGER));
  const mine = alerts.filter((a) => a.correlation === target.corr.doc);
  if (mine.length === tc.alerts) return [];
  return [
    `expected ${tc.alerts} alert${tc.alerts === 1 ? '' : 's'}, got ${mine.length}${mine.length ? ':' : ''}`,
    ...mine.map((a) => `  group ${JSON.stringify(a.group)}: value ${a.value} over ${a.eventCount} match${a.eventCount === 1 ? '' : 'es'}`),
    `the events (correlation: ${target.corr.type}, rules ${target.corr.rules.join(', ')}):`,
    ...trail.map((t) => `  ${t}`),
  ];
}

// ---------------------------------------------------------------------------------------------

export function register(program: Command): void {
  const rules = program.command('rules').description('Sigma rules: check that they load and compile (lint), run the tests beside them (test).');

  rules.command('lint <paths...>')
    .description('Load Sigma rule files, folders and globs as the detect transform does (parse, apply processing pipelines, compile), print every problem as file:line:col: message (rule), then a summary with the failures grouped by reason. Exit 0 when every rule compiles, 1 when one does not, 64 when a path or a pipeline is unusable.')
    .option('--pipeline <name|file>', 'processing pipeline: built-in (windows, ocsf, linux, cloud) or pipeline file; repeat for several', collect)
    .option('--placeholder <name=v1,v2>', 'values for `|expand` placeholders; repeat for several', collect)
    .option('--json', 'print one JSON object {files, rules, correlations, filters, compiled, failed, errors} instead')
    .option('-q, --quiet', 'only the summary, not each problem')
    .option('--min-compiled <percent>', 'exit 0 when at least this share of the rules compiles (for large third-party rule sets)')
    .option('--unscoped-rules <skip|run>', UNSCOPED_HELP)
    .action(lint);

  rules.command('test <paths...>')
    .description('Run the test cases kept beside Sigma rules (x.tests.yml next to x.yml): each case is an event the rule must match or not, or for correlation rules a series of events and the alerts expected. Prints ok/FAIL with the case\'s file:line and, on failure, what did match.')
    .option('--pipeline <name|file>', 'processing pipeline: built-in (windows, ocsf, linux, cloud) or pipeline file; repeat for several', collect)
    .option('--placeholder <name=v1,v2>', 'values for `|expand` placeholders; repeat for several', collect)
    .option('--unscoped-rules <skip|run>', UNSCOPED_HELP)
    .addHelpText('after', TESTS_HELP)
    .action(runTests);
}
