/**
 * The reference benchmark. One run measures, on the same 1,000,000 deterministic ~550-byte NDJSON
 * security events:
 *   (a) the floor: read, JSON.parse, add one field, JSON.stringify, write (bench/floor.ts);
 *   (b) Sluice: file -> parse(json) -> remap (3 field operations) -> filter -> file;
 *   (c) Sluice with a sink ~10x slower than the source: peak RSS must stay bounded;
 *   (d) (b) with `buffer: { type: disk }` on the sink: every batch is written to the disk buffer,
 *       fsynced (group commit, 100 ms), read back and acked before it reaches the file. The file
 *       source acknowledges end to end in (b) and (d) alike (its checkpoints depend on it), so
 *       (d)/(b) is the cost of the disk buffer on top of acknowledgements.
 * Prints events/s, MB/s, CPU seconds, events per CPU second (per core) and peak RSS, and the
 * ratio (b)/(a). Usage: npm run bench [-- --events N]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeEvents } from './events.js';
import { measure, peakRssMB, type Measurement } from './measure.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('events', 1_000_000);
const slowSecs = arg('slow-secs', 20);
const dir = join(tmpdir(), 'sluice-bench');
mkdirSync(dir, { recursive: true });
const input = join(dir, `events-${N}-seed42.ndjson`);

if (!existsSync(input)) {
  process.stderr.write(`generating ${N} events into ${input} ...\n`);
  await writeEvents(input, N, 42);
}
const inputBytes = statSync(input).size;
process.stderr.write(`input: ${N} events, ${(inputBytes / 1e6).toFixed(1)} MB (${Math.round(inputBytes / N)} bytes/event)\n`);

const node = process.execPath;
const cli = join(root, 'bin', 'sluice.js');

function pipelineConfig(name: string, sink: string): string {
  const dataDir = join(dir, `data-${name}`);
  rmSync(dataDir, { recursive: true, force: true });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `
data_dir: ${dataDir}
sources:
  in:
    type: file
    include: [${input}]
    read_from: beginning
    stop_at_eof: true
    file_key: ""
transforms:
  parse:
    type: parse
    inputs: [in]
    format: json
  enrich:
    type: remap
    inputs: [parse]
    rename: { src_ip: source_ip }
    fields: { observer: '"sluice-bench"' }
    delete: [referrer]
  keep:
    type: filter
    inputs: [enrich]
    condition: '.severity != "debug"'
sinks:
${sink}
`);
  return path;
}

const row = (name: string, m: Measurement, events: number) => ({
  name,
  events,
  wall_s: m.wallSecs,
  cpu_s: m.cpuSecs,
  events_per_s: Math.round(events / m.wallSecs),
  mb_per_s: +(inputBytes / 1e6 / m.wallSecs).toFixed(1),
  events_per_cpu_s: Math.round(events / m.cpuSecs),
  mb_per_cpu_s: +(inputBytes / 1e6 / m.cpuSecs).toFixed(1),
  peak_rss_mb: Math.round(m.peakRssMB),
});

// (a) the floor
const floorOut = join(dir, 'floor-out.ndjson');
const floor = await measure(node, [join(root, 'dist', 'bench', 'floor.js'), input, floorOut]);
if (floor.code !== 0) throw new Error(`floor failed: ${floor.stderr}`);
rmSync(floorOut, { force: true });

// (b) Sluice
const outFile = join(dir, 'sluice-out.ndjson');
rmSync(outFile, { force: true });
const cfg = pipelineConfig('reference', `  out:\n    type: file\n    inputs: [keep]\n    path: ${outFile}\n`);
const sluice = await measure(node, [cli, 'run', '-q', '-c', cfg], { env: { SLUICE_LOG: 'warn' } });
if (sluice.code !== 0) throw new Error(`sluice failed (${sluice.code}): ${sluice.stderr}`);
const outLines = await countLines(outFile);
rmSync(outFile, { force: true });
if (outLines !== N) throw new Error(`sluice wrote ${outLines} events, expected ${N}`);

// (d) the same with a disk buffer on the sink
const diskOut = join(dir, 'sluice-disk-out.ndjson');
rmSync(diskOut, { force: true });
const diskCfg = pipelineConfig('disk', `  out:\n    type: file\n    inputs: [keep]\n    path: ${diskOut}\n    buffer: { type: disk }\n`);
const disk = await measure(node, [cli, 'run', '-q', '-c', diskCfg], { env: { SLUICE_LOG: 'warn' } });
if (disk.code !== 0) throw new Error(`sluice with a disk buffer failed (${disk.code}): ${disk.stderr}`);
const diskLines = await countLines(diskOut);
rmSync(diskOut, { force: true });
if (diskLines !== N) throw new Error(`sluice with a disk buffer wrote ${diskLines} events, expected ${N}`);

// (c) a sink ~10x slower than the source: an HTTP receiver that takes its time per request.
const slow = await slowSinkRun(N / sluice.wallSecs);

const a = row('floor: read + JSON.parse + 1 field + JSON.stringify + write', floor, N);
const b = row('sluice: file -> parse(json) -> remap(3) -> filter -> file', sluice, N);
const d = row('sluice, as (b), with a disk buffer on the sink', disk, N);
console.log('\n## Reference pipeline benchmark\n');
console.log(`node ${process.version}, ${N} events, ${(inputBytes / 1e6).toFixed(1)} MB input, ${Math.round(inputBytes / N)} B/event\n`);
console.log('| run | events/s | MB/s | CPU s | events/CPU-s (per core) | MB/CPU-s | peak RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of [a, b, d]) console.log(`| ${r.name} | ${r.events_per_s.toLocaleString('en')} | ${r.mb_per_s} | ${r.cpu_s.toFixed(2)} | ${r.events_per_cpu_s.toLocaleString('en')} | ${r.mb_per_cpu_s} | ${r.peak_rss_mb} |`);
console.log(`\nratio (b)/(a): ${(b.events_per_s / a.events_per_s).toFixed(2)} by wall time, ${(b.events_per_cpu_s / a.events_per_cpu_s).toFixed(2)} per CPU second (target >= 0.8); peak RSS ${b.peak_rss_mb} MB (target <= 250)`);
console.log(`disk buffer (d)/(b): ${(100 * (1 - d.events_per_s / b.events_per_s)).toFixed(1)}% slower by wall time, ${(100 * (1 - d.events_per_cpu_s / b.events_per_cpu_s)).toFixed(1)}% per CPU second (target <= 25%); peak RSS ${d.peak_rss_mb} MB`);
console.log(`slow sink (~${slow.ratio.toFixed(0)}x slower than the source, ${slowSecs}s): delivered ${slow.delivered} events, peak RSS ${Math.round(slow.peakRss)} MB, RSS sampled each second: ${slow.samples.map((x) => Math.round(x)).join(' ')}`);
console.log('\n' + JSON.stringify({ floor: a, sluice: b, sluice_disk_buffer: d, slow_sink: slow }));

async function countLines(path: string): Promise<number> {
  const { createReadStream } = await import('node:fs');
  let n = 0;
  for await (const chunk of createReadStream(path)) for (const byte of chunk as Buffer) if (byte === 10) n++;
  return n;
}

async function slowSinkRun(sourceRate: number): Promise<{ delivered: number; peakRss: number; samples: number[]; ratio: number }> {
  let delivered = 0;
  // ~1,000 events per request, 100 ms per request: ~10,000 events/s, against a source that reads
  // >100,000 events/s from the file.
  const server = createServer((req, res) => {
    let lines = 0;
    req.on('data', (d: Buffer) => { for (const byte of d) if (byte === 10) lines++; });
    req.on('end', () => setTimeout(() => { delivered += lines; res.end('ok'); }, 100));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const cfgPath = pipelineConfig('slow', `  out:\n    type: http\n    inputs: [keep]\n    uri: http://127.0.0.1:${port}/\n    batch: { max_events: 1000 }\n`);
  const child = spawn(node, [cli, 'run', '-q', '-c', cfgPath], { env: { ...process.env, SLUICE_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const samples: number[] = [];
  for (let s = 0; s < slowSecs; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(peakRssMB(child.pid!));
  }
  const peak = peakRssMB(child.pid!);
  const rate = delivered / slowSecs;
  child.kill('SIGKILL');
  server.close();
  return { delivered, peakRss: peak, samples, ratio: sourceRate / Math.max(1, rate) };
}
