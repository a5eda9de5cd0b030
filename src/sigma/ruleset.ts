/**
 * A rule set: Sigma files read from paths, folders and globs, put through processing pipelines,
 * compiled into a SigmaEngine and a CorrelationEngine. Shared by the `detect` transform (which
 * rebuilds it when a file changes) and the `sluice rules` / `sluice detect` commands.
 *
 * Nothing here throws for a bad rule: every problem becomes a RuleError with file:line:col, and
 * the rest of the set loads. Only unreadable paths given explicitly and bad pipelines throw (they
 * are configuration errors, not rule errors).
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import fg from 'fast-glob';
import type { CompileOptions } from './compile.js';
import { compileCorrelation, CorrelationEngine, type CompiledCorrelation, type CorrelationEngineOptions } from './correlation.js';
import { SigmaEngine } from './engine.js';
import { parseSigma } from './parse.js';
import { applyPipelines, type Pipeline } from './pipeline.js';
import type { RuleError, SigmaCorrelation, SigmaFilter, SigmaRule } from './types.js';

export interface RuleSetOptions extends CompileOptions {
  /** Directory relative patterns are resolved from. */
  cwd: string;
  pipelines?: readonly Pipeline[];
  correlation?: CorrelationEngineOptions;
  /**
   * With pipelines: what to do with a rule none of them scoped to its log source (no condition
   * added). `skip` (default): report it and leave it out, because it would be tested on every
   * event (SigmaHQ's Zeek and Cisco rules built on `not` then match every Windows event).
   * `run`: run it anyway (a pipeline that only renames fields, for a single-source stream).
   */
  unscoped?: 'skip' | 'run';
  /** Called after each file is read: (files done, files in all). */
  onProgress?: (done: number, total: number) => void;
}

export interface RuleSet {
  engine: SigmaEngine;
  correlations: CorrelationEngine;
  compiledCorrelations: CompiledCorrelation[];
  filters: SigmaFilter[];
  /** Every problem, by file. */
  errors: RuleError[];
  files: string[];
  /** Size and modification time per file when read (for change detection). */
  fingerprint: string;
}

export class RulePathError extends Error {}

const RULE_FILE = /\.ya?ml$/i;

/** The rule files named by paths (files), folders (every .yml/.yaml below) and globs, sorted, without duplicates. */
export function ruleFiles(patterns: readonly string[], cwd: string): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    const abs = isAbsolute(p) ? p : resolve(cwd, p);
    let st: ReturnType<typeof statSync> | undefined;
    try { st = statSync(abs); } catch { st = undefined; }
    if (st?.isFile()) { out.add(abs); continue; }
    if (st?.isDirectory()) {
      for (const f of fg.sync('**/*.{yml,yaml}', { cwd: abs, absolute: true, onlyFiles: true, caseSensitiveMatch: false })) out.add(f);
      continue;
    }
    if (fg.isDynamicPattern(p)) {
      const found = fg.sync(fg.convertPathToPattern(cwd) + '/' + p, { absolute: true, onlyFiles: true });
      const files = isAbsolute(p) ? fg.sync(p, { absolute: true, onlyFiles: true }) : found;
      for (const f of files) if (RULE_FILE.test(f)) out.add(f);
      continue;
    }
    throw new RulePathError(`no such file or folder: ${p}`);
  }
  return [...out].sort();
}

function fingerprintOf(files: readonly string[]): string {
  return files.map((f) => { try { const s = statSync(f); return `${f}:${s.size}:${s.mtimeMs}`; } catch { return `${f}:gone`; } }).join('\n');
}

/** What `patterns` name now, for change detection: file list plus each file's size and mtime. */
export function currentFingerprint(patterns: readonly string[], cwd: string): string {
  try { return fingerprintOf(ruleFiles(patterns, cwd)); } catch (e) { return `error:${(e as Error).message}`; }
}

/** A filter put through the pipelines as if it were a rule, so its field names map the same way. */
function pipelineFilter(f: SigmaFilter, pipelines: readonly Pipeline[], errors: RuleError[]): SigmaFilter | null {
  const asRule: SigmaRule = { ...f, type: 'rule', conditions: [], fields: [] };
  const r = applyPipelines(asRule, pipelines);
  if (!('type' in r)) { errors.push(r); return null; }
  return { ...f, detection: r.detection, logsource: r.logsource };
}

export function loadRuleSet(patterns: readonly string[], opts: RuleSetOptions): RuleSet {
  const files = ruleFiles(patterns, opts.cwd);
  const errors: RuleError[] = [];
  const filters: SigmaFilter[] = [];
  const correlations: SigmaCorrelation[] = [];
  const fingerprint = fingerprintOf(files);
  const pipelines = opts.pipelines ?? [];
  const ready: SigmaRule[] = [];
  // Problems the pipelines find, reported after every parse problem (in rule order), as when
  // all files were parsed first.
  const pipelineErrors: RuleError[] = [];
  // Each file's rules go through the pipelines as soon as it is parsed, so a parsed rule (the
  // pipelines work on a copy) dies young instead of surviving the whole load into the old
  // generation (garbage collection is about a quarter of loading SigmaHQ's corpus): heap at the
  // end of the load 98 -> 83-89 MB.
  files.forEach((file, i) => {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) {
      errors.push({ file, message: `cannot read: ${(e as Error).message}` });
      return;
    }
    const r = parseSigma(text, file);
    errors.push(...r.errors);
    for (const d of r.docs) {
      if (d.type === 'rule') prepareRule(d);
      else if (d.type === 'filter') filters.push(d);
      else correlations.push(d);
    }
    opts.onProgress?.(i + 1, files.length);
  });
  function prepareRule(rule: SigmaRule): void {
    if (pipelines.length === 0) { ready.push(rule); return; }
    const r = applyPipelines(rule, pipelines);
    if (!('type' in r)) { pipelineErrors.push(r); return; }
    if (r.conditions.length === 0 && opts.unscoped !== 'run') {
      pipelineErrors.push({
        file: rule.file, place: rule.place, rule: rule.id ?? rule.title,
        message: `no processing pipeline (${pipelines.map((p) => p.name).join(', ')}) scopes this rule to its log source "${logsourceText(rule)}", so it would be tested on every event; add a pipeline that serves it, or run unscoped rules on purpose (unscoped_rules: run)`,
      });
      return;
    }
    ready.push(r);
  }
  for (const e of pipelineErrors) errors.push(e);
  const readyFilters: SigmaFilter[] = [];
  for (const f of filters) {
    const r = pipelines.length ? pipelineFilter(f, pipelines, errors) : f;
    if (r) readyFilters.push(r);
  }
  const engine = new SigmaEngine(ready, readyFilters, opts, errors);
  const compiled: CompiledCorrelation[] = [];
  for (const c of correlations) {
    const r = compileCorrelation(c);
    if (r.ok) compiled.push(r.rule); else errors.push(r.error);
  }
  const corr = new CorrelationEngine(compiled, opts.correlation);
  errors.push(...corr.problems());
  return { engine, correlations: corr, compiledCorrelations: compiled, filters: readyFilters, errors, files, fingerprint };
}

function logsourceText(r: SigmaRule): string {
  const ls = r.logsource as Record<string, unknown>;
  const parts = ['product', 'category', 'service'].filter((k) => typeof ls[k] === 'string').map((k) => `${k}: ${ls[k] as string}`);
  return parts.length ? parts.join(', ') : 'no logsource';
}

/** `file:line:col: message (rule)` */
export function formatRuleError(e: RuleError): string {
  const at = e.place ? `${e.place.file}:${e.place.line}:${e.place.col}` : e.file;
  return `${at}: ${e.message}${e.rule ? ` (${e.rule})` : ''}`;
}
