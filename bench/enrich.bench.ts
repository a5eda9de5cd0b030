/**
 * The enrichment stage of the issue's target, on one core: GeoIP on two addresses (the CC BY 4.0
 * country database Sluice ships as `builtin:country`), threat intelligence on three observables
 * against 1,000,000 indicators (IPv4 and IPv6 addresses, CIDRs, domains, MD5/SHA-1/SHA-256 hashes)
 * and one lookup-table join (10,000 hosts by name), the three transforms run one after the other on
 * each batch as the engine runs them.
 *   npm run bench:enrich [-- --events N] [-- --indicators N]
 * Targets: >= 300,000 events/s; the 1,000,000 indicators in <= 300 MB; reloading the feed while
 * batches flow pauses the stream for <= 50 ms.
 *
 * Reports events/s (wall and per CPU second), MB/s, the JSON floor of the same events
 * (JSON.parse + one field + JSON.stringify, measured in this run) and the ratio to it, the memory
 * the indicators take (heap and RSS growth across the feed load, after full GCs: run with
 * --expose-gc, as the npm script does), and the longest pause of the event loop while the feed
 * reloads (perf_hooks' event loop delay histogram, plus the longest gap between batches).
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { TransformOutput, TransformRuntime } from '../src/core/component.js';
import type { Event } from '../src/core/event.js';
import { buildTransform, quietLog, testBuildContext } from '../src/engine/testing.js';
import geoip from '../src/components/transforms/geoip/index.js';
import threatIntel from '../src/components/transforms/threat_intel/index.js';
import lookup from '../src/components/transforms/lookup/index.js';
import { jsonFloorPerS } from './json-floor.js';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('events', 1_000_000);
const INDICATORS = arg('indicators', 1_000_000);
const BATCH = 1000;
const gc = (globalThis as { gc?: () => void }).gc;

// ---- deterministic data ------------------------------------------------------------------------
let seed = 0x2545f491;
const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
const int = (n: number) => Math.floor(rnd() * n);
const hex = (len: number) => { let s = ''; for (let i = 0; i < len; i++) s += '0123456789abcdef'[int(16)]; return s; };
/** A public unicast IPv4 address (first octet 1-223, not 10/127/172.16/192.168/100.64). */
function publicIp(): string {
  for (;;) {
    const a = 1 + int(223);
    if (a === 10 || a === 127 || a === 100 || a === 172 || a === 192 || a === 198 || a === 203 || a === 169) continue;
    return `${a}.${int(256)}.${int(256)}.${1 + int(254)}`;
  }
}
const word = () => { let s = ''; const n = 4 + int(8); for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz'[int(26)]; return s; };
const tlds = ['com', 'net', 'org', 'io', 'ru', 'xyz', 'top', 'info'];
const domain = () => `${word()}.${word()}.${tlds[int(tlds.length)]}`;

const dir = mkdtempSync(join(tmpdir(), 'sluice-enrich-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// The feed: 40% IPv4 addresses, 10% IPv4 networks, 2% IPv6, 28% domains, 20% hashes.
const badIps: string[] = [], badDomains: string[] = [];
function writeFeed(file: string): void {
  const lines: string[] = ['# benchmark feed'];
  for (let i = 0; i < INDICATORS; i++) {
    const r = i % 50;
    if (r < 20) { const ip = publicIp(); lines.push(ip); if (badIps.length < 1000) badIps.push(ip); }
    else if (r < 25) lines.push(`${publicIp().replace(/\.\d+$/, '.0')}/${24 + int(5)}`);
    else if (r < 26) lines.push(`2001:${hex(4)}:${hex(4)}::${hex(4)}`);
    else if (r < 40) { const d = domain(); lines.push(d); if (badDomains.length < 1000) badDomains.push(d); }
    else if (r < 44) lines.push(hex(32));
    else if (r < 47) lines.push(hex(40));
    else lines.push(hex(64));
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

const hosts: string[] = [];
function writeAssets(file: string): void {
  const rows = ['host,owner,team,criticality'];
  for (let i = 0; i < 10_000; i++) { const h = `host-${i}.corp.example`; hosts.push(h); rows.push(`${h},owner-${i % 97},team-${i % 13},${['low', 'medium', 'high'][i % 3]}`); }
  writeFileSync(file, rows.join('\n') + '\n');
}

/** An OCSF network activity: two public addresses, a server name, a device; ~2% threat hits. */
function makeEvents(n: number): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const hit = i % 50 === 0;
    out.push({
      class_uid: 4001, class_name: 'Network Activity', category_uid: 4, activity_id: 6, type_uid: 400106, severity_id: 1, time: 1795428001000 + i,
      metadata: { version: '1.8.0', product: { name: 'Zeek', vendor_name: 'Zeek' } },
      src_endpoint: { ip: publicIp(), port: 1024 + int(60000) },
      dst_endpoint: { ip: hit ? badIps[int(badIps.length)]! : publicIp(), port: 443, hostname: i % 97 === 0 ? badDomains[int(badDomains.length)]! : domain() },
      device: { hostname: hosts[int(hosts.length)]! },
      connection_info: { protocol_name: 'tcp', direction_id: 2 },
      traffic: { bytes_in: int(100000), bytes_out: int(10000) },
    });
  }
  return out;
}

// ---- the stage ---------------------------------------------------------------------------------
const feed = join(dir, 'feed.txt');
const assets = join(dir, 'assets.csv');
writeFeed(feed);
writeAssets(assets);

const ctx = (id: string) => ({ ...testBuildContext(id), configDir: dir, log: quietLog });
const geo = await buildTransform(geoip, { databases: ['builtin:country'], fields: ['src_endpoint.ip', 'dst_endpoint.ip'] }, ctx('geo'));
gc?.(); gc?.();
const mem = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
const heap0 = mem(), rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const intel = await buildTransform(threatIntel, {
  feeds: { bench: { path: 'feed.txt', format: 'list' } },
  fields: ['src_endpoint.ip', 'dst_endpoint.ip', 'dst_endpoint.hostname'],
  observables: false,
}, ctx('intel'));
const loadMs = performance.now() - t0;
gc?.(); gc?.();
const heap1 = mem(), rss1 = process.memoryUsage().rss;
const assetsJoin = await buildTransform(lookup, {
  table: { csv: { path: 'assets.csv' } }, key: { field: 'device.hostname', column: 'host' },
  mappings: { owner: 'device.owner.name', team: 'device.org.unit', criticality: 'device.risk_level' }, enrichments: 'none',
}, ctx('assets'));

const stage: TransformRuntime[] = [geo, intel, assetsJoin];
let matched = 0;
const stageNs = [0, 0, 0];
/** Run one batch through the three transforms, as the engine would (each one's output feeds the next). */
async function runBatch(events: Event[]): Promise<number> {
  let cur = events;
  for (let s = 0; s < stage.length; s++) {
    const t = stage[s]!;
    const s0 = process.hrtime.bigint();
    const next: Event[] = [];
    const out: TransformOutput = {
      push: (e) => { next.push(e); },
      emit: (o) => { if (o === 'matches') matched++; },
      error: () => { throw new Error('unexpected error event in the benchmark'); },
      discard: () => {},
    };
    const r = t.process(cur, out);
    if (r) await r;
    stageNs[s]! += Number(process.hrtime.bigint() - s0);
    cur = next;
  }
  return cur.length;
}

// Events are generated (and cloned for each batch) before its clock starts. 20,000 distinct events:
// a pipeline holds a few batches at a time, and a big pool of live events would make every full GC
// (and so the reload pause) longer than a running pipeline's.
const pool = makeEvents(20_000);
const texts = pool.slice(0, 20_000).map((e) => JSON.stringify(e));
const avgBytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / texts.length;
for (let w = 0; w < 20; w++) await runBatch(structuredClone(pool.slice(w * BATCH, (w + 1) * BATCH)));

let done = 0, secs = 0, cpu = 0;
stageNs.fill(0);
while (done < N) {
  const start = (done % pool.length);
  const batch = structuredClone(pool.slice(start, start + BATCH));
  const c0 = process.cpuUsage();
  const b0 = process.hrtime.bigint();
  done += await runBatch(batch);
  secs += Number(process.hrtime.bigint() - b0) / 1e9;
  const c = process.cpuUsage(c0);
  cpu += (c.user + c.system) / 1e6;
}

const perStage = stageNs.map((ns) => Math.round(ns / done));
const floor = jsonFloorPerS(texts, 200_000);
const perS = done / secs;

// ---- reload while batches flow -----------------------------------------------------------------
// A new version of the feed, same size, written beside it first and renamed over it when the
// reload starts (as feed downloaders do), so writing it is not part of the measured pause.
const nextFeed = join(dir, 'feed.next');
badIps.length = 0; badDomains.length = 0;
{
  const old = feed;
  writeFeed(nextFeed);
  renameSync(nextFeed, old);
}
gc?.();
const delay = monitorEventLoopDelay({ resolution: 1 });
// Garbage collections during the reload, to tell a collector pause from a long piece of work.
let gcMaxMs = 0, gcKind = 0;
const gcObs = new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.duration > gcMaxMs) { gcMaxMs = e.duration; gcKind = ((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? 0; } });
gcObs.observe({ entryTypes: ['gc'] });
let maxGapMs = 0, batchesDuringReload = 0;
delay.enable();
const reloading = (intel as unknown as { refresh(): Promise<void> }).refresh();
let reloaded = false;
void reloading.then(() => { reloaded = true; });
let last = performance.now();
while (!reloaded) {
  const start = (batchesDuringReload * BATCH) % pool.length;
  await runBatch(structuredClone(pool.slice(start, start + BATCH)));
  batchesDuringReload++;
  const now = performance.now();
  maxGapMs = Math.max(maxGapMs, now - last);
  last = now;
  await new Promise((r) => setImmediate(r));
}
delay.disable();
gcObs.disconnect();
const reloadStats = (intel as unknown as { counters(): Record<string, number> }).counters();

const r2 = (x: number) => Math.round(x * 100) / 100;
console.log(`\n## enrichment stage: geoip (2 addresses, builtin:country) + threat_intel (3 observables, ${INDICATORS.toLocaleString('en')} indicators) + lookup (10,000 hosts), one core, node ${process.version}\n`);
console.log('| events | events/s | events/CPU-s | MB/s | floor events/s | x floor | threat-intel matches |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(`| ${done.toLocaleString('en')} | ${Math.round(perS).toLocaleString('en')} | ${Math.round(done / cpu).toLocaleString('en')} | ${r2((perS * avgBytes) / 1e6)} | ${Math.round(floor).toLocaleString('en')} | ${r2(floor / perS)} | ${matched.toLocaleString('en')} |`);
console.log(`\nper event: geoip ${perStage[0]} ns, threat_intel ${perStage[1]} ns, lookup ${perStage[2]} ns`);
console.log(`\nindicators: ${INDICATORS.toLocaleString('en')} loaded in ${Math.round(loadMs)} ms; heap and typed arrays +${Math.round((heap1 - heap0) / 1048576)} MB, RSS +${Math.round((rss1 - rss0) / 1048576)} MB${gc ? '' : ' (run with --expose-gc for exact figures)'}`);
console.log(`feed reload while batches flow: ${batchesDuringReload} batches of ${BATCH} processed during it; longest event-loop delay ${r2(delay.max / 1e6)} ms (p99 ${r2(delay.percentile(99) / 1e6)} ms); longest gap between batches ${r2(maxGapMs)} ms; longest GC pause in it ${r2(gcMaxMs)} ms (${gcKind === 4 ? 'major' : gcKind === 1 ? 'minor' : `kind ${gcKind}`})`);
console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
console.log(`counters: ${JSON.stringify(reloadStats)}`);
console.log(`\ntargets: >= 300,000 events/s: ${perS >= 300_000 ? 'met' : 'NOT met'}; indicators <= 300 MB: ${(heap1 - heap0) / 1048576 <= 300 ? 'met' : 'NOT met'}; reload pause <= 50 ms: ${delay.max / 1e6 <= 50 ? 'met' : 'NOT met'}`);
for (const t of stage) await t.stop?.();
process.exit(0);
