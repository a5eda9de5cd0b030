/**
 * normalize (map + derive + validate) per pack, on one core, on already-parsed events: the
 * pipeline's `normalize` transform cost without the rest of the pipeline. Inputs are each pack's
 * own samples, read as `sluice ocsf map` reads them (syslog lines pre-parsed into syslog fields
 * for linux_auth, since events reach normalize from `parse`), cycled to N events.
 *   npm run bench:normalize [-- --events N] [-- --pack name[,name]]
 * Target: >= 150,000 events/s for aws_cloudtrail and linux_auth, counted in source events (CloudTrail
 * records, sshd lines), which is the OCSF events/s column: each becomes one OCSF event.
 *
 * Events are cloned in batches of 1,000 before the clock starts for that batch (a pack must not
 * change its input, but derive changes its output, and a streaming pipeline's events die young);
 * only Normalizer.run is timed. The floor is measured in the same run on the same inputs: JSON.parse
 * of the input's text, one field added, JSON.stringify (the least any JSON pipeline does per
 * event); "x floor" is normalize's time per input over the floor's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Event } from '../src/core/event.js';
import { parseSyslog } from '../src/formats/syslog.js';
import { readInput } from '../src/ocsf/inputs.js';
import { Normalizer } from '../src/ocsf/normalizer.js';
import { packs } from '../src/ocsf/packs.js';
import { jsonFloorPerS } from './json-floor.js';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('events', 300_000);
const only = (() => { const i = process.argv.indexOf('--pack'); return i > 0 ? new Set(process.argv[i + 1]!.split(',')) : null; })();
const BATCH = 1000;
const root = new URL('../../packs/', import.meta.url);

function inputsOf(pack: string): Event[] {
  const dir = new URL(`${pack}/samples/`, root);
  const out: Event[] = [];
  for (const f of readdirSync(dir).sort()) {
    for (const item of readInput(readFileSync(new URL(f, dir), 'utf8'), f)) {
      if (!item.ok) continue;
      let e = item.event;
      if (pack === 'linux_auth' && typeof e.message === 'string') {
        const r = parseSyslog(e.message, { timezone: 'utc' });
        if (r.ok) e = { ...r.value } as Event;
      }
      out.push(e);
    }
  }
  return out;
}

const rows: { pack: string; inputs: number; events_per_s: number; ocsf_per_s: number; cpu_events_per_s: number; floor_per_s: number; floor_x: number; mb_s: number }[] = [];

for (const p of packs) {
  if (only && !only.has(p.name)) continue;
  const samples = inputsOf(p.name);
  const n = new Normalizer({ pack: p.name, productVersion: '0.1.0' });
  // Which samples normalize cleanly: a benchmark of the success path.
  const good = samples.filter((e) => n.run(structuredClone(e)).every((o) => o.ok));
  if (good.length === 0) { console.error(`${p.name}: no sample normalizes cleanly; skipped`); continue; }
  let done = 0, produced = 0, secs = 0, cpu = 0;
  for (let warm = 0; warm < 2000; warm++) n.run(structuredClone(good[warm % good.length]!));
  while (done < N) {
    const batch: Event[] = [];
    for (let i = 0; i < BATCH; i++) batch.push(structuredClone(good[(done + i) % good.length]!));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch.length; i++) produced += n.run(batch[i]!).length;
    secs += Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
    done += batch.length;
  }
  const texts = good.map((e) => JSON.stringify(e));
  const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / texts.length;
  const floor = jsonFloorPerS(texts, Math.min(N, 100_000));
  const perS = done / secs;
  rows.push({
    pack: p.name, inputs: good.length, events_per_s: Math.round(perS), ocsf_per_s: Math.round(produced / secs), cpu_events_per_s: Math.round(done / cpu),
    floor_per_s: Math.round(floor), floor_x: Math.round((floor / perS) * 100) / 100, mb_s: Math.round((perS * bytes) / 1e5) / 10,
  });
}

console.log(`\n## normalize (map + derive + validate), one core, ${N.toLocaleString('en')} input events per pack, node ${process.version}\n`);
console.log('| pack | distinct sample inputs | input events/s | OCSF events/s | input events/CPU-s | input MB/s | floor inputs/s | x floor |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.pack} | ${r.inputs} | ${r.events_per_s.toLocaleString('en')} | ${r.ocsf_per_s.toLocaleString('en')} | ${r.cpu_events_per_s.toLocaleString('en')} | ${r.mb_s} | ${r.floor_per_s.toLocaleString('en')} | ${r.floor_x} |`);
console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
const need = rows.filter((r) => r.pack === 'aws_cloudtrail' || r.pack === 'linux_auth');
// The target counts source events: a CloudTrail event is one record (a {"Records": [...]} file is
// one input holding several), an sshd event one line; each becomes one OCSF event.
console.log(`\ntarget >= 150,000 source events/s: ${need.map((r) => `${r.pack} ${r.ocsf_per_s.toLocaleString('en')} (${r.ocsf_per_s >= 150_000 ? 'met' : 'NOT met'})`).join(', ')}`);
console.log('\n' + JSON.stringify(rows));
