/**
 * Dev script: how much of a Sigma rule corpus Sluice reads and compiles.
 *
 *   node dist/tools/sigma/corpus-check.js <dir> [<dir> ...] [--placeholders unknown-ok] [--show N]
 *
 * Parses every .yml/.yaml file under the directories, applies the filters found there to the
 * rules they name, compiles every rule and prints the counts, then the errors grouped by reason
 * (quoted specifics replaced by …) with up to N examples each (default 3).
 * `--placeholders unknown-ok` compiles unknown `expand` placeholders as "match nothing" instead
 * of failing the rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileRule, SigmaCompileError } from '../../src/sigma/compile.js';
import { parseSigma } from '../../src/sigma/parse.js';
import type { RuleError, SigmaFilter, SigmaRule } from '../../src/sigma/types.js';

function walk(dir: string, out: string[]): string[] {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (/\.ya?ml$/i.test(ent.name)) out.push(p);
  }
  return out;
}

function reason(message: string): string {
  return message.replace(/"[^"]*"/g, '"…"').replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N');
}

function main(argv: string[]): number {
  const dirs: string[] = [];
  let show = 3;
  let unknownOk = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--show') show = Number(argv[++i]);
    else if (a === '--placeholders') unknownOk = argv[++i] === 'unknown-ok';
    else dirs.push(a);
  }
  if (dirs.length === 0) {
    console.error('usage: corpus-check <dir> [<dir> ...] [--placeholders unknown-ok] [--show N]');
    return 2;
  }
  const files = dirs.flatMap((d) => walk(d, []));
  const rules: SigmaRule[] = [];
  const filters: SigmaFilter[] = [];
  const parseErrors: RuleError[] = [];
  let correlations = 0;
  let filesWithErrors = 0;
  const t0 = performance.now();
  for (const f of files) {
    const r = parseSigma(fs.readFileSync(f, 'utf8'), f);
    for (const d of r.docs) {
      if (d.type === 'rule') rules.push(d);
      else if (d.type === 'filter') filters.push(d);
      else correlations++;
    }
    parseErrors.push(...r.errors);
    if (r.errors.length) filesWithErrors++;
  }
  const t1 = performance.now();
  const compileErrors: RuleError[] = [];
  let compiled = 0;
  let failed = 0;
  for (const rule of rules) {
    try {
      compileRule(rule, filters, unknownOk ? { unknownPlaceholders: 'match-nothing' } : {});
      compiled++;
    } catch (err) {
      if (!(err instanceof SigmaCompileError)) throw err;
      failed++;
      compileErrors.push(...err.errors);
    }
  }
  const t2 = performance.now();
  // A file whose documents failed to parse counts as one rule that did not compile.
  const total = rules.length + filesWithErrors;
  console.log(`files: ${files.length}`);
  console.log(`documents: rules ${rules.length}, filters ${filters.length}, correlations ${correlations}, files with parse errors ${filesWithErrors}`);
  console.log(`compiled: ${compiled} / ${total} rules (${((100 * compiled) / Math.max(1, total)).toFixed(2)}%); compile errors in ${failed} rules`);
  console.log(`time: parse ${(t1 - t0).toFixed(0)} ms, compile ${(t2 - t1).toFixed(0)} ms (${((1000 * (t2 - t1)) / Math.max(1, rules.length)).toFixed(0)} µs per rule)`);
  const groups = new Map<string, RuleError[]>();
  for (const e of [...parseErrors, ...compileErrors]) {
    const k = reason(e.message);
    const g = groups.get(k) ?? [];
    g.push(e);
    groups.set(k, g);
  }
  if (groups.size) console.log('\nerrors by reason:');
  for (const [k, es] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`${String(es.length).padStart(5)}  ${k}`);
    for (const e of es.slice(0, show)) {
      console.log(`         ${e.place ? `${e.place.file}:${e.place.line}:${e.place.col}` : e.file}: ${e.message}`);
    }
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
