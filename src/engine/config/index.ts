/**
 * Load, merge, interpolate and validate pipeline configs. `loadConfig` reports every problem at
 * once, each with file:line:col and a hint, instead of stopping at the first.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { ComponentDefinition, ComponentKind } from '../../core/component.js';
import { s, type CheckContext, type Issue, type Path, type Position, describe } from '../../core/schema.js';
import { closest } from '../../core/text.js';
import type { Registry } from '../registry.js';
import { interpolate, type InterpolationIssue } from './interpolate.js';
import { ConfigSyntaxError, readConfigFile, SourceMap } from './source-map.js';

export interface OutputRef { component: string; output: string }

export interface ComponentSpec {
  id: string;
  kind: ComponentKind;
  type: string;
  def: ComponentDefinition;
  /** Validated, converted config (what build() receives). */
  config: Record<string, unknown>;
  /** The config as written (after interpolation), used to diff on reload. */
  raw: Record<string, unknown>;
  inputs: OutputRef[];
  /** Engine-level options common to kinds. */
  common: CommonOptions;
  file: string;
  outputs: string[];
}

export type OnError = 'dlq' | 'drop' | 'stall';

export interface CommonOptions {
  on_error: OnError;
  buffer: BufferOptions;
  batch: { max_events: number; max_bytes: number; timeout: number };
}

export interface BufferOptions {
  /** `memory`: the input queue only. `disk` (sinks): a durable buffer under data_dir/<id>/buffer. */
  type: 'memory' | 'disk';
  max_events: number;
  max_bytes: number;
  /** Disk buffer size cap (unconsumed bytes on disk). */
  max_size: number;
  when_full: 'block' | 'drop_newest';
}

export interface ApiConfig { address: string; token?: string }

export interface TestCase {
  name: string;
  inputs: { insert_at: string; value?: unknown; type: 'log' | 'raw'; raw?: string }[];
  outputs: { extract_from: string; conditions: string[]; equals?: Record<string, unknown>; origin?: Position }[];
  no_outputs_from: string[];
  position?: Position;
}

export interface PipelineConfig {
  dataDir: string;
  api: ApiConfig | null;
  components: Map<string, ComponentSpec>;
  tests: TestCase[];
  files: string[];
  map: SourceMap;
}

export interface ConfigProblem { message: string; hint?: string; position?: Position; excerpt?: string }

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.position ? `${p.position.file ?? '<config>'}:${p.position.line}:${p.position.col}: ` : '';
  let s = `${where}error: ${p.message}`;
  if (p.excerpt !== undefined && p.position) {
    const pad = String(p.position.line).length;
    s += `\n ${' '.repeat(pad)} |\n ${p.position.line} | ${p.excerpt}\n ${' '.repeat(pad)} | ${' '.repeat(Math.max(0, p.position.col - 1))}^`;
  }
  if (p.hint) s += `\n  hint: ${p.hint}`;
  return s;
}

const kinds: { key: 'sources' | 'transforms' | 'sinks'; kind: ComponentKind }[] = [
  { key: 'sources', kind: 'source' },
  { key: 'transforms', kind: 'transform' },
  { key: 'sinks', kind: 'sink' },
];

const topLevelKeys = ['data_dir', 'api', 'sources', 'transforms', 'sinks', 'tests'];

export const bufferSchema = s.object({
  type: s.enum('memory', 'disk').default('memory').desc('`memory`: events wait in a bounded in-memory queue (lost if the process dies; the source re-reads what was not acknowledged). `disk` (sinks only): events are stored in an append-only, checksummed buffer under `data_dir/<sink id>/buffer/` and acknowledged upstream once durable there; they survive a crash and a restart.'),
  max_events: s.int(1).default(10_000).desc('Most events waiting in this component\'s input queue; when full, upstream waits (backpressure).'),
  max_bytes: s.bytes().default('64MiB').desc('Most bytes (estimated) waiting in the input queue.'),
  max_size: s.bytes().default('1GiB').desc('`disk` only: most bytes the disk buffer holds before `when_full` applies.'),
  when_full: s.enum('block', 'drop_newest').default('block').desc('When the buffer is full: `block` makes upstream wait (backpressure reaches the sources); `drop_newest` drops the incoming batch, counts it as dropped and logs why.'),
});
export const batchSchema = s.object({
  max_events: s.int(1).default(1000).desc('Most events handed to the sink in one write.'),
  max_bytes: s.bytes().default('10MB').desc('Most bytes (estimated) in one write.'),
  timeout: s.duration().default('1s').desc('Longest time to wait to fill a batch before writing what is there.'),
});
const onErrorSchema = s.enum('dlq', 'drop', 'stall').default('dlq')
  .desc('What happens to events that fail here: `dlq` sends them to the errors output (the dead-letter store when nothing reads it); `drop` drops and counts them; `stall` stops this component until an operator runs `sluice resume <id>` (retry, dlq or drop).');

const apiSchema = s.object({
  address: s.string().default('127.0.0.1:8686').desc('host:port the API listens on. Keep it on 127.0.0.1 unless you set a token.'),
  token: s.string().secret().desc('Bearer token required on every request except /health. Required when the address is not a loopback address.'),
});

/** Engine-level options a component may carry besides its own. */
export const commonOptionKeys: Record<ComponentKind, string[]> = {
  source: ['type', 'on_error'],
  transform: ['type', 'inputs', 'buffer', 'on_error'],
  sink: ['type', 'inputs', 'buffer', 'batch', 'on_error'],
};

/** Expand `-c` arguments: files as given, directories to their *.yaml|*.yml|*.json files, sorted. */
export function expandConfigPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new ConfigError([{ message: `config path ${p} does not exist`, hint: 'pass a file or a directory with -c' }]);
    if (statSync(p).isDirectory()) {
      const inDir = readdirSync(p).filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f))).sort().map((f) => join(p, f));
      if (inDir.length === 0) throw new ConfigError([{ message: `config directory ${p} has no .yaml, .yml or .json files` }]);
      files.push(...inDir);
    } else files.push(p);
  }
  return files.map((f) => resolve(f));
}

export interface LoadOptions { env?: NodeJS.ProcessEnv; texts?: Map<string, string> }

export function validateConfig(paths: string[], registry: Registry, opts: LoadOptions = {}): PipelineConfig {
  const files = opts.texts ? paths : expandConfigPaths(paths);
  const problems: ConfigProblem[] = [];
  const map = new SourceMap();
  const merged: Record<string, unknown> = { sources: {}, transforms: {}, sinks: {}, tests: [] };
  const owner = new Map<string, string>(); // component id -> file
  const fileOf = new Map<string, string>();

  for (const file of files) {
    let parsed: { value: unknown; map: SourceMap };
    try {
      parsed = readConfigFile(file, opts.texts?.get(file));
    } catch (e) {
      if (e instanceof ConfigSyntaxError) { problems.push({ message: e.message, position: e.position }); continue; }
      throw e;
    }
    map.absorb(parsed.map);
    const v = parsed.value;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push({ message: `a config file must be a map with sources, transforms and sinks; found ${describe(v)}`, position: { file, line: 1, col: 1 } });
      continue;
    }
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (!topLevelKeys.includes(k)) {
        const near = closest(k, topLevelKeys);
        problems.push({ message: `unknown top-level option \`${k}\``, hint: near ? `did you mean \`${near}\`?` : `valid: ${topLevelKeys.join(', ')}`, position: parsed.map.keyOf([k]) });
        continue;
      }
      if (k === 'sources' || k === 'transforms' || k === 'sinks') {
        if (val === null) continue;
        if (typeof val !== 'object' || Array.isArray(val)) { problems.push({ message: `\`${k}\` must be a map of component ids to components`, position: parsed.map.valueOf([k]) }); continue; }
        for (const [id, comp] of Object.entries(val as Record<string, unknown>)) {
          const prev = owner.get(id);
          if (prev) {
            problems.push({ message: `component id \`${id}\` is declared twice (also in ${prev})`, hint: 'component ids are unique across sources, transforms and sinks', position: parsed.map.keyOf([k, id]) });
            continue;
          }
          owner.set(id, file);
          fileOf.set(id, file);
          (merged[k] as Record<string, unknown>)[id] = comp;
        }
      } else if (k === 'tests') {
        if (Array.isArray(val)) (merged.tests as unknown[]).push(...val.map((t, i) => ({ __file: file, __index: i, ...(t as object) })));
        else problems.push({ message: '`tests` must be a list', position: parsed.map.valueOf([k]) });
      } else {
        merged[k] = val;
      }
    }
  }

  const env = opts.env ?? process.env;
  const interpIssues: InterpolationIssue[] = [];
  const value = interpolate(merged, env, [], interpIssues) as Record<string, unknown>;
  for (const i of interpIssues) problems.push({ message: i.message, hint: i.hint, position: map.valueOf(i.path) });

  const issues: Issue[] = [];
  const ctx: CheckContext = { issues, positionOf: (p) => map.valueOf(p) };
  const firstDir = files.length ? dirname(files[0]!) : process.cwd();
  const dataDir = resolve(firstDir, String(value.data_dir ?? './data'));

  let api: ApiConfig | null = null;
  if (value.api !== undefined && value.api !== null) {
    const a = apiSchema.parse(value.api, ['api'], ctx);
    if (a) {
      api = { address: a.address, token: a.token };
      const host = hostOf(a.address);
      if (host === undefined) issues.push({ path: ['api', 'address'], message: `invalid address ${JSON.stringify(a.address)}`, hint: 'use host:port, e.g. 127.0.0.1:8686', at: 'value' });
      else if (!isLoopback(host) && !a.token) issues.push({ path: ['api', 'address'], message: `the API listens on ${host}, beyond this machine, without a token`, hint: 'set api.token (e.g. token: ${SLUICE_API_TOKEN}) or listen on 127.0.0.1', at: 'value' });
    }
  }

  const components = new Map<string, ComponentSpec>();
  // Every id written, valid or not: an input naming a component that has its own problem is not
  // reported again (one mistake, one error).
  const declared = new Set<string>();
  for (const { key } of kinds) for (const id of Object.keys((value[key] ?? {}) as object)) declared.add(id);
  for (const { key, kind } of kinds) {
    const section = (value[key] ?? {}) as Record<string, unknown>;
    for (const [id, rawComp] of Object.entries(section)) {
      const path: Path = [key, id];
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) {
        issues.push({ path, message: `invalid component id \`${id}\``, hint: 'ids use letters, digits, _ and -, and may not contain dots (dots name outputs)', at: 'key' });
        continue;
      }
      if (id === 'errors') { issues.push({ path, message: '`errors` is reserved for error outputs', at: 'key' }); continue; }
      if (rawComp === null || typeof rawComp !== 'object' || Array.isArray(rawComp)) {
        issues.push({ path, message: `component \`${id}\` must be a map with a \`type\``, at: 'value' });
        continue;
      }
      const comp = rawComp as Record<string, unknown>;
      if (comp.type === undefined) { issues.push({ path, message: `component \`${id}\` has no \`type\``, hint: `add type: <one of ${registry.list(kind).map((d) => d.type).join(', ')}>`, at: 'key' }); continue; }
      const type = String(comp.type);
      const def = registry.get(kind, type);
      if (!def) {
        issues.push({ path: [...path, 'type'], message: `unknown ${kind} type \`${type}\``, hint: registry.suggest(kind, type), at: 'value' });
        continue;
      }
      const config = def.config.checkObject(comp, path, ctx, commonOptionKeys[kind]) as Record<string, unknown>;
      const common: CommonOptions = {
        on_error: onErrorSchema.parse(comp.on_error, [...path, 'on_error'], ctx) ?? 'dlq',
        buffer: (kind !== 'source' ? bufferSchema.parse(comp.buffer, [...path, 'buffer'], ctx) : undefined) ?? { type: 'memory', max_events: 10_000, max_bytes: 64 * 2 ** 20, max_size: 2 ** 30, when_full: 'block' },
        batch: (kind === 'sink' ? batchSchema.parse(comp.batch, [...path, 'batch'], ctx) : undefined) ?? { max_events: 1000, max_bytes: 10e6, timeout: 1000 },
      };
      const rawBuffer = comp.buffer as Record<string, unknown> | undefined;
      if (kind === 'transform' && rawBuffer && typeof rawBuffer === 'object') {
        if (rawBuffer.type === 'disk') issues.push({ path: [...path, 'buffer', 'type'], message: 'a disk buffer belongs on a sink', hint: 'put `buffer: { type: disk }` on the sink that reads from this transform; a transform\'s input queue is memory only', at: 'value' });
        for (const k of ['max_size', 'when_full']) if (k in rawBuffer) issues.push({ path: [...path, 'buffer', k], message: `\`${k}\` applies to a sink's disk buffer, not to a transform`, hint: 'remove it', at: 'key' });
      } else if (rawBuffer && typeof rawBuffer === 'object' && rawBuffer.type !== 'disk' && 'max_size' in rawBuffer) {
        issues.push({ path: [...path, 'buffer', 'max_size'], message: '`max_size` is the size of a disk buffer', hint: 'add `type: disk` or use `max_events`/`max_bytes` for the memory queue', at: 'key' });
      }
      const spec: ComponentSpec = { id, kind, type, def, config, raw: comp, inputs: [], common, file: fileOf.get(id) ?? '', outputs: [] };
      // Sinks have only an errors output (permanent rejections, deliveries given up).
      spec.outputs = kind === 'sink' ? ['errors'] : ['', 'errors', ...(def.outputs ?? []).map((o) => o.name)];
      if (def.dynamicOutputs) { try { spec.outputs.push(...def.dynamicOutputs(config as never)); } catch { /* reported by the schema */ } }
      components.set(id, spec);
    }
  }

  // Inputs, after every component is known.
  for (const spec of components.values()) {
    const base: Path = [spec.kind + 's', spec.id];
    const raw = spec.raw.inputs;
    if (spec.kind === 'source') {
      if (raw !== undefined) issues.push({ path: [...base, 'inputs'], message: 'sources take no inputs', at: 'key' });
      continue;
    }
    if (raw === undefined) { issues.push({ path: base, message: `missing required field \`inputs\` on ${spec.kind} \`${spec.id}\``, hint: 'list the components this one reads from, e.g. inputs: [my_source]', at: 'key' }); continue; }
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) issues.push({ path: [...base, 'inputs'], message: '`inputs` is empty', hint: 'name at least one component', at: 'value' });
    list.forEach((item, i) => {
      const p: Path = Array.isArray(raw) ? [...base, 'inputs', i] : [...base, 'inputs'];
      if (typeof item !== 'string') { issues.push({ path: p, message: `expected a component id, found ${describe(item)}`, at: 'value' }); return; }
      const refs = resolveInput(item, components, spec.id);
      const named = item.split('.')[0]!;
      if (typeof refs === 'string' && declared.has(named) && !components.has(named)) return;
      if (typeof refs === 'string') issues.push({ path: p, message: refs, hint: inputHint(item, components, declared), at: 'value' });
      else for (const r of refs) if (!spec.inputs.some((x) => x.component === r.component && x.output === r.output)) spec.inputs.push(r);
    });
  }

  for (const cycle of findCycles(components)) {
    issues.push({ path: [components.get(cycle[0]!)!.kind + 's', cycle[0]!, 'inputs'], message: `cycle: ${[...cycle, cycle[0]].join(' -> ')}`, hint: 'a component cannot read, directly or indirectly, from its own output', at: 'key' });
  }

  const tests = parseTests(value.tests as unknown[], components, issues, map);

  for (const i of issues) {
    const position = i.at === 'key' ? map.keyOf(i.path) : map.valueOf(i.path);
    problems.push({ message: i.message, hint: i.hint, position });
  }
  if (problems.length) {
    for (const p of problems) if (p.position) p.excerpt = map.line(p.position.file, p.position.line);
    problems.sort((a, b) => (a.position?.file ?? '').localeCompare(b.position?.file ?? '') || (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.col ?? 0) - (b.position?.col ?? 0));
    throw new ConfigError(problems);
  }
  return { dataDir, api, components, tests, files, map };
}

function hostOf(address: string): string | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
  return m ? m[1]!.replace(/^\[|\]$/g, '') : undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** `id`, `id.output` or a glob over output names (`*.errors`). Returns refs or an error message. */
export function resolveInput(text: string, components: Map<string, ComponentSpec>, self: string): OutputRef[] | string {
  if (/[*?[{]/.test(text)) {
    const match = picomatch(text);
    const refs: OutputRef[] = [];
    for (const c of components.values()) {
      if (c.id === self) continue;
      for (const o of c.outputs) {
        const name = o ? `${c.id}.${o}` : c.id;
        if (match(name)) refs.push({ component: c.id, output: o });
      }
    }
    return refs.length ? refs : `input pattern \`${text}\` matches no component output`;
  }
  const dot = text.indexOf('.');
  const id = dot < 0 ? text : text.slice(0, dot);
  const output = dot < 0 ? '' : text.slice(dot + 1);
  const c = components.get(id);
  if (!c) return `unknown input \`${text}\``;
  if (c.kind === 'sink' && output !== 'errors') return `\`${id}\` is a sink; its only output is \`${id}.errors\``;
  if (!c.outputs.includes(output)) return `component \`${id}\` has no output \`${output}\` (outputs: ${c.outputs.map((o) => (o ? `${id}.${o}` : id)).join(', ')})`;
  return [{ component: id, output }];
}

function inputHint(text: string, components: Map<string, ComponentSpec>, declared: Set<string>): string | undefined {
  const names: string[] = [...declared].filter((id) => !components.has(id));
  for (const c of components.values()) for (const o of c.outputs) names.push(o ? `${c.id}.${o}` : c.id);
  const near = closest(text, names);
  return near ? `did you mean \`${near}\`?` : `available: ${names.join(', ')}`;
}

function findCycles(components: Map<string, ComponentSpec>): string[][] {
  const state = new Map<string, 0 | 1 | 2>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 1);
    stack.push(id);
    for (const r of components.get(id)?.inputs ?? []) {
      const st = state.get(r.component) ?? 0;
      if (st === 1) cycles.push(stack.slice(stack.indexOf(r.component)).reverse());
      else if (st === 0) visit(r.component);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const id of components.keys()) if (!state.get(id)) visit(id);
  return cycles;
}

const testSchema = s.object({
  name: s.string().required(),
  inputs: s.list(s.object({
    insert_at: s.string().required().desc('Component id the event is given to (a transform).'),
    value: s.any().desc('The event (a map) to insert.'),
    type: s.enum('log', 'raw').default('log').desc('`raw`: insert `{message: <value>}` from a string.'),
  })).required(),
  outputs: s.list(s.object({
    extract_from: s.string().required().desc('Output to read: `id` or `id.output`.'),
    conditions: s.list(s.string(), true).default([]).desc('Expressions that must all be true for at least one event.'),
    equals: s.map(s.any()).desc('Fields (paths like a.b) that an event must have with these exact values.'),
  })).default([]),
  no_outputs_from: s.list(s.string(), true).default([]).desc('Outputs that must emit nothing.'),
});

function parseTests(raw: unknown[], components: Map<string, ComponentSpec>, issues: Issue[], map: SourceMap): TestCase[] {
  const out: TestCase[] = [];
  let idx = 0;
  for (const t of raw ?? []) {
    const path: Path = ['tests', idx++];
    const { __file, __index, ...rest } = t as Record<string, unknown> & { __file: string; __index: number };
    const ctx: CheckContext = { issues, positionOf: (p) => map.valueOf(p) };
    const tpath: Path = ['tests', __index];
    const parsed = testSchema.parse(rest, tpath, ctx);
    if (!parsed) continue;
    const tc: TestCase = { name: parsed.name, inputs: [], outputs: [], no_outputs_from: parsed.no_outputs_from, position: map.valueOf(tpath) };
    parsed.inputs.forEach((inp, i) => {
      const c = components.get(inp.insert_at);
      if (!c || c.kind !== 'transform') issues.push({ path: [...tpath, 'inputs', i, 'insert_at'], message: `insert_at must name a transform; \`${inp.insert_at}\` is ${c ? `a ${c.kind}` : 'unknown'}`, hint: closest(inp.insert_at, [...components.keys()]), at: 'value' });
      tc.inputs.push({ insert_at: inp.insert_at, value: inp.value, type: inp.type });
    });
    parsed.outputs.forEach((o, i) => {
      const r = resolveInput(o.extract_from, components, '');
      if (typeof r === 'string') issues.push({ path: [...tpath, 'outputs', i, 'extract_from'], message: r, at: 'value' });
      tc.outputs.push({ extract_from: o.extract_from, conditions: o.conditions, equals: o.equals, origin: map.valueOf([...tpath, 'outputs', i, 'conditions']) });
    });
    for (const n of parsed.no_outputs_from) {
      const r = resolveInput(n, components, '');
      if (typeof r === 'string') issues.push({ path: [...tpath, 'no_outputs_from'], message: r, at: 'value' });
    }
    void path; void __file;
    out.push(tc);
  }
  return out;
}
