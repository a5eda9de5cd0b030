// Benchmark of the expression language (single core).
//   npx tsc -p tsconfig.json --outDir .build/expr && node .build/expr/bench/expr.bench.js
// Targets: condition (5 clauses incl. CIDR and string test) >= 10 M events/s; 10-statement remap
// >= 1 M events/s; compiling a 1,000-expression pipeline < 200 ms.
// It also runs the same condition built by closure composition, the alternative design, to show why
// the compiler generates JavaScript source instead (see src/expr/gen.ts).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileCondition, compileProgram, compileValue, type Event } from '../src/expr/index.js';
import { Cidr } from '../src/expr/values.js';

const quick = process.argv.includes('--quick');
const results: { name: string; value: string; target: string; ok: boolean }[] = [];

function makeEvent(i: number): Event {
  return {
    class_uid: i % 10 === 0 ? 3001 : 3002,
    severity_id: 2 + (i % 4),
    time: 1_700_000_000_000 + i,
    status: i % 7 === 0 ? 'ok' : 'failure',
    src_endpoint: { ip: i % 5 === 0 ? `192.168.${i % 250}.${(i * 7) % 250}` : `10.${i % 250}.${(i * 3) % 250}.${(i * 7) % 250}`, hostname: `host-${i % 97}` },
    src_port: String(1024 + (i % 60000)),
    actor: { user: { name: i % 3 === 0 ? `Bob${i}` : `Admin${i}`, uid: String(1000 + i) } },
    msg: `login failure for user ${i}`,
    tags: i % 2 ? ['auth'] : ['auth', 'vpn'],
    metadata: { version: '1.1.0', product: { vendor_name: 'ACME' } },
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

/** `run(n)` processes n events and returns the seconds spent on the measured work; best of 3 runs. */
function measure(name: string, target: number, run: (n: number) => number, n: number): void {
  run(Math.min(n, 1_000_000)); // warm up: let V8 optimise before timing
  let best = 0;
  for (let r = 0; r < 3; r++) best = Math.max(best, n / run(n));
  results.push({ name, value: `${(best / 1e6).toFixed(2)} M events/s`, target: target ? `>= ${(target / 1e6).toFixed(0)} M` : '', ok: best >= target });
}

// ---- 1. compile time of a 1,000-expression pipeline ----
// Measured in fresh processes (the compiler itself is cold at pipeline start, as in production);
// best of 3 because this 2-core machine is shared and a single cold run is noisy.
function pipelineSources(offset: number): { kind: 'c' | 'v' | 'p'; src: string }[] {
  const sources: { kind: 'c' | 'v' | 'p'; src: string }[] = [];
  for (let i = offset; i < offset + 1000; i++) {
    const f = `field_${(i % 50) + offset}`; // 50 field names per pipeline, as in a real config
    switch (i % 4) {
      case 0: sources.push({ kind: 'c', src: `.${f} == ${i} and .src_endpoint.ip in 10.${i % 256}.0.0/16` }); break;
      case 1: sources.push({ kind: 'c', src: `starts_with(.actor.user.name, "u${i}") or .status =~ /fail${i}/i` }); break;
      case 2: sources.push({ kind: 'v', src: `.${f}.name ?? "unknown-${i}"` }); break;
      default: sources.push({ kind: 'p', src: `.${f}.x = lower(.name_${i} ?? "")\nif .severity_id > ${i % 5} { .sev = "high" } else { del(.sev) }` });
    }
  }
  return sources;
}
function compileAll(offset = 0): number {
  const sources = pipelineSources(offset);
  const t0 = now();
  for (const s of sources) {
    if (s.kind === 'c') compileCondition(s.src);
    else if (s.kind === 'v') compileValue(s.src);
    else compileProgram(s.src);
  }
  return (now() - t0) * 1000;
}
if (process.argv.includes('--compile-once')) {
  process.stdout.write(`${compileAll()}\n`);
  process.exit(0);
}
{
  const runs = [0, 1, 2].map(() => Number(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--compile-once'], { encoding: 'utf8' })));
  const best = Math.min(...runs);
  results.push({ name: 'compile 1,000 distinct expressions (cold process)', value: `${best.toFixed(1)} ms`, target: '< 200 ms', ok: best < 200 });
  // new sources each time: identical text would only hit the caches
  const warm = Math.min(compileAll(1000), compileAll(2000), compileAll(3000));
  results.push({ name: '  (another 1,000, compiler already warm)', value: `${warm.toFixed(1)} ms`, target: '', ok: true });
}

const pool = Array.from({ length: 1024 }, (_, i) => makeEvent(i));
const CONDITION = '.class_uid == 3002 and .severity_id >= 3 and .src_endpoint.ip in 10.0.0.0/8 and starts_with(.actor.user.name, "Adm") and .status != "ok"';

// ---- 2. compiled condition ----
{
  const cond = compileCondition(CONDITION);
  let hits = 0;
  measure('condition, 5 clauses (generated JS)', 10e6, (n) => {
    const t0 = now();
    for (let i = 0; i < n; i++) if (cond(pool[i & 1023]!)) hits++;
    return now() - t0;
  }, quick ? 5e6 : 30e6);
  const passed = pool.filter((e) => cond(e)).length;
  results.push({ name: '  (share of events passing all 5 clauses)', value: `${((passed / pool.length) * 100).toFixed(0)} %`, target: '', ok: true });
  void hits;
}

// ---- 3. the same condition by closure composition (the rejected design), same own-property rule ----
{
  type Fn = (e: unknown) => unknown;
  const OP = Object.prototype;
  const path = (keys: string[]): Fn => (e) => {
    let v: unknown = e;
    for (const k of keys) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
      const x = (v as Record<string, unknown>)[k]; // one shared load site for every path: megamorphic
      v = x === undefined ? null : (Object.getPrototypeOf(v) === OP && (OP as Record<string, unknown>)[k] === undefined) || Object.hasOwn(v, k) ? x : null;
    }
    return v;
  };
  const eq = (a: Fn, lit: unknown): Fn => (e) => a(e) === lit;
  const ne = (a: Fn, lit: unknown): Fn => (e) => a(e) !== lit;
  const ge = (a: Fn, lit: number): Fn => (e) => { const v = a(e); return typeof v === 'number' && v >= lit; };
  const inCidr = (a: Fn, c: Cidr): Fn => (e) => c.contains(a(e));
  const startsWith = (a: Fn, p: string): Fn => (e) => { const v = a(e); return typeof v === 'string' && v.startsWith(p); };
  const and = (...fs: Fn[]): Fn => (e) => { for (const f of fs) if (!f(e)) return false; return true; };
  const cond = and(
    eq(path(['class_uid']), 3002), ge(path(['severity_id']), 3), inCidr(path(['src_endpoint', 'ip']), Cidr.parse('10.0.0.0/8')!),
    startsWith(path(['actor', 'user', 'name']), 'Adm'), ne(path(['status']), 'ok'),
  );
  // other pipeline expressions share the path closure's load site, as they would in a real pipeline
  const others = [path(['metadata', 'product', 'vendor_name']), path(['tags']), path(['msg'])];
  for (let i = 0; i < 10000; i++) for (const o of others) o(pool[i & 1023]);
  let hits = 0;
  measure('condition, 5 clauses (closure composition)', 0, (n) => {
    const t0 = now();
    for (let i = 0; i < n; i++) if (cond(pool[i & 1023])) hits++;
    return now() - t0;
  }, quick ? 5e6 : 30e6);
  void hits;
}

// ---- 4. ten-statement remap ----
{
  const program = compileProgram(`
    .user.name = lower(.actor.user.name)
    .src_endpoint.port = to_int(.src_port ?? 0)
    del(.src_port)
    rename(.msg, .message)
    .severity = if .severity_id >= 4 { "high" } else { "low" }
    .tags = push(.tags ?? [], "processed")
    .is_internal = .src_endpoint.ip in 10.0.0.0/8
    .metadata.product.name = "sluice"
    .time = .time ?? 1700000000000
    .message_len = len(.message ?? "")
  `);
  const text = pool.map((e) => JSON.stringify(e));
  // A program mutates its input, so every batch gets fresh events, parsed before the clock starts.
  // Batches of 1,000 like a streaming pipeline: events die young (one huge batch would instead time
  // V8 promoting hundreds of thousands of live, growing objects to the old generation).
  measure('remap, 10 statements', 1e6, (n) => {
    let spent = 0;
    for (let done = 0; done < n; done += 1000) {
      const fresh = Array.from({ length: 1000 }, (_, i) => JSON.parse(text[(done + i) & 1023]!) as Event);
      const t0 = now();
      for (let i = 0; i < 1000; i++) program(fresh[i]!);
      spent += now() - t0;
    }
    return spent;
  }, quick ? 200_000 : 1_000_000);
}

const width = Math.max(...results.map((r) => r.name.length));
console.log('Sluice expression benchmark (single core)\n');
for (const r of results) {
  const mark = r.target ? (r.ok ? 'PASS' : 'FAIL') : '';
  console.log(`${r.name.padEnd(width)}  ${r.value.padStart(14)}  ${r.target.padEnd(10)} ${mark}`);
}
