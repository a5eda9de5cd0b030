/**
 * Dev tool: how much of a Sigma rule set each built-in pipeline covers.
 *
 *   node dist/tools/sigma/pipeline-coverage.js <sigma-rules-dir> [pipeline...]
 *
 * For each built-in pipeline (or those named), over the rules whose log source product the
 * pipeline serves: how many rules it refuses (and why), how many (rule, field) uses it maps, how
 * many it maps only through a catch-all item (a generic prefix that is right for any name, so it
 * says nothing about whether the field exists), and the unmapped field names by the number of rules
 * using them. Reads the rules with a small reader of its own (detection maps, lists and keywords),
 * which is all field counting needs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadPipeline, BUILTIN_PIPELINES, type BuiltinPipelineName } from '../../src/sigma/builtin-pipelines.js';
import { applyPipelines, type PipelineTrace } from '../../src/sigma/pipeline.js';
import type { DetectionItem, Search, SigmaRule, SigmaValue } from '../../src/sigma/types.js';

/** Log source products each built-in serves. */
const SCOPE: Record<BuiltinPipelineName, string[]> = {
  windows: ['windows'],
  linux: ['linux'],
  cloud: ['aws', 'okta', 'github', 'kubernetes', 'azure', 'gcp', 'm365'],
  ocsf: ['windows', 'linux', 'aws', 'okta', 'github', 'kubernetes'],
};

/** Processing items that map any name they are given (so "mapped" by them alone proves little). */
const CATCH_ALL = new Set(['windows_event_data', 'ocsf_windows_event_data', 'ocsf_unmapped', 'linux_sysmon_event_data']);

function files(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.ya?ml$/.test(f)) out.push(p);
  }
  return out;
}

function scalarList(v: unknown): SigmaValue[] {
  const one = (x: unknown): SigmaValue => (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? x : JSON.stringify(x));
  return Array.isArray(v) ? v.map(one) : [one(v)];
}

function group(m: Record<string, unknown>): DetectionItem[] {
  return Object.entries(m).map(([k, v]) => {
    const [field, ...mods] = k.split('|');
    return { field: field || null, modifiers: mods.map((x) => x.toLowerCase()), values: scalarList(v) };
  });
}

function search(v: unknown): Search {
  if (Array.isArray(v)) {
    if (v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) return { groups: v.map((x) => group(x as Record<string, unknown>)) };
    return { groups: [[{ field: null, modifiers: [], values: scalarList(v) }]] };
  }
  if (v !== null && typeof v === 'object') return { groups: [group(v as Record<string, unknown>)] };
  return { groups: [[{ field: null, modifiers: [], values: scalarList(v) }]] };
}

function readRules(dir: string): SigmaRule[] {
  const out: SigmaRule[] = [];
  for (const file of files(dir)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const r = doc.toJS() as Record<string, unknown> | null;
      if (!r || typeof r !== 'object' || typeof r.detection !== 'object' || r.detection === null) continue;
      const detection: Record<string, Search> = {};
      let condition: string[] = [];
      for (const [k, v] of Object.entries(r.detection as Record<string, unknown>)) {
        if (k === 'condition') condition = Array.isArray(v) ? v.map(String) : [String(v)];
        else if (k !== 'timeframe') detection[k] = search(v);
      }
      out.push({
        type: 'rule', file, place: { file, line: 1, col: 1 },
        id: typeof r.id === 'string' ? r.id : undefined,
        title: String(r.title ?? file),
        references: [], tags: Array.isArray(r.tags) ? r.tags.map(String) : [], falsepositives: [], raw: r,
        logsource: (r.logsource ?? {}) as SigmaRule['logsource'],
        detection, condition, conditions: [], fields: [],
      });
    }
  }
  return out;
}

function report(name: BuiltinPipelineName, rules: SigmaRule[]): void {
  const pipeline = loadPipeline(name);
  const scope = new Set(SCOPE[name]);
  const inScope = rules.filter((r) => r.logsource.product !== undefined && scope.has(r.logsource.product.toLowerCase()));
  const refused = new Map<string, number>();
  const unmapped = new Map<string, Set<string>>();
  const viaCatchAll = new Map<string, Set<string>>();
  let uses = 0, mapped = 0, specific = 0, accepted = 0;
  for (const rule of inScope) {
    const trace: PipelineTrace = { items: [], applied: [] };
    const res = applyPipelines(rule, [pipeline], trace);
    if (!('type' in res)) {
      const why = res.message.replace(/^pipeline "[^"]+" \(([^)]+)\) refused the rule: .*$/, '$1');
      refused.set(why, (refused.get(why) ?? 0) + 1);
      continue;
    }
    accepted++;
    const perField = new Map<string, { mapped: boolean; specific: boolean }>();
    const originals = new Set<DetectionItem>();
    for (const k of Object.keys(res.detection)) for (const g of res.detection[k]!.groups) for (const d of g) originals.add(d);
    for (const t of trace.items) {
      if (!originals.has(t.item) || t.item.field === null) continue;
      const f = t.item.field;
      const s = perField.get(f) ?? { mapped: false, specific: false };
      if (t.item.paths !== undefined) s.mapped = true;
      if (t.appliedBy.some((id) => !CATCH_ALL.has(id))) s.specific = true;
      perField.set(f, s);
    }
    for (const [f, s] of perField) {
      uses++;
      const ruleId = rule.id ?? rule.file;
      if (s.mapped) mapped++; else { if (!unmapped.has(f)) unmapped.set(f, new Set()); unmapped.get(f)!.add(ruleId); }
      if (s.specific) specific++;
      else if (s.mapped) { if (!viaCatchAll.has(f)) viaCatchAll.set(f, new Set()); viaCatchAll.get(f)!.add(ruleId); }
    }
  }
  const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
  console.log(`## ${name}: ${BUILTIN_PIPELINES[name]}`);
  console.log(`rules in scope (product ${[...scope].join(', ')}): ${inScope.length}; accepted ${accepted}; refused ${inScope.length - accepted}`);
  for (const [why, n] of [...refused].sort((a, b) => b[1] - a[1])) console.log(`  refused by ${why}: ${n}`);
  console.log(`field uses (rule, field): ${uses}; mapped ${mapped} (${pct(mapped, uses)}); by a specific mapping ${specific} (${pct(specific, uses)})`);
  const list = (m: Map<string, Set<string>>, title: string) => {
    const rows = [...m].map(([f, s]) => [f, s.size] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const common = rows.filter((r) => r[1] >= 3).length;
    console.log(`${title}: ${rows.length} names, ${common} used by >= 3 rules`);
    for (const [f, n] of rows.slice(0, 40)) console.log(`  ${String(n).padStart(4)}  ${f}`);
    if (rows.length > 40) console.log(`  ... ${rows.length - 40} more used by ${rows[40]![1]} rule(s) or fewer`);
  };
  list(unmapped, 'unmapped fields');
  if (viaCatchAll.size) list(viaCatchAll, 'mapped only by a catch-all item');
  console.log('');
}

const [dir, ...names] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node dist/tools/sigma/pipeline-coverage.js <sigma-rules-dir> [windows|ocsf|linux|cloud ...]');
  process.exit(64);
}
const wanted = (names.length ? names : Object.keys(BUILTIN_PIPELINES)) as BuiltinPipelineName[];
const rules = readRules(dir);
console.log(`${rules.length} rules read from ${dir}\n`);
for (const n of wanted) report(n, rules);
