/**
 * geoip on one core: OCSF network events with two public addresses each (src_endpoint.ip and
 * dst_endpoint.ip), enriched by the `geoip` transform's runtime alone, against
 *   (a) builtin:country, the country database that ships with Sluice (~1.3 M tree nodes), with
 *       addresses drawn at random from the whole public IPv4 space (and 1 in 10 IPv6);
 *   (b) a generated City-like database of --networks networks (default 100,000; records shaped
 *       like GeoLite2-City's, names in 8 languages), with addresses inside its networks.
 *   npm run bench:geoip [-- --events N] [-- --networks N]
 * The enrichment stage this belongs to (GeoIP on two addresses, threat intelligence over 1 M
 * indicators and a lookup join) must reach >= 300,000 events/s on one core, so GeoIP's share
 * of the budget is well under that: this reports its events/s and µs per event.
 *
 * Events are cloned in batches of 1,000 before the clock starts for that batch (geoip changes
 * its events); only process() is timed. The floor is JSON.parse + one field + JSON.stringify of
 * the same events (the least any JSON pipeline does per event); "x floor" is geoip's time per
 * event over the floor's.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event } from '../src/core/event.js';
import type { TransformOutput } from '../src/core/component.js';
import { checkConfig, quietLog } from '../src/engine/testing.js';
import def, { createGeoip, type GeoipConfig } from '../src/components/transforms/geoip/index.js';
import { syntheticCityDb } from '../src/components/transforms/geoip/fixtures.js';
import { formatV4, specialRange } from '../src/enrich/ip.js';
import { jsonFloorPerS } from './json-floor.js';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('events', 1_000_000);
const NETWORKS = arg('networks', 100_000);
const BATCH = 1000;

let seed = 7;
const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };

/** A public IPv4 address (not in a special-purpose range), or 1 in 10 an IPv6 one. */
function randomPublic(): string {
  if (rnd() < 0.1) return `2${(rnd() * 0x3ff | 0).toString(16).padStart(3, '0')}:${(rnd() * 0xffff | 0).toString(16)}::${(rnd() * 0xffff | 0).toString(16)}`;
  for (;;) {
    const n = Math.floor(rnd() * 2 ** 32);
    if (specialRange({ v: 4, n }) === null) return formatV4(n);
  }
}

function event(src: string, dst: string, i: number): Event {
  return {
    class_uid: 4001, category_uid: 4, activity_id: 6, type_uid: 400106, severity_id: 1, time: 1732356000000 + i,
    metadata: { version: '1.8.0', product: { name: 'Zeek', vendor_name: 'Zeek' } },
    src_endpoint: { ip: src, port: 40000 + (i % 20000) },
    dst_endpoint: { ip: dst, port: 443 },
    connection_info: { protocol_name: 'tcp', direction_id: 2 },
    traffic: { bytes_in: 5120, bytes_out: 880, packets_in: 9, packets_out: 7 },
  };
}

const noop: TransformOutput = { push() {}, emit() {}, error() {}, discard() {} };

interface Row { case: string; distinct: number; events_per_s: number; cpu_events_per_s: number; us_per_event: number; hit_rate: number; floor_per_s: number; floor_x: number }
const rows: Row[] = [];

async function run(name: string, raw: Record<string, unknown>, events: Event[]): Promise<void> {
  const rt = await createGeoip(checkConfig(def, raw) as unknown as GeoipConfig, process.cwd(), quietLog);
  // Warm up (JIT, and each record's first decode), on copies.
  for (let w = 0; w < 20; w++) rt.process(events.slice(w * BATCH % events.length, w * BATCH % events.length + BATCH).map((e) => structuredClone(e)), noop);
  const count = () => { const ps = [...rt.enrichment().providers.values()]; return { hits: ps.reduce((a, p) => a + p.hits, 0), looked: ps.reduce((a, p) => a + p.hits + p.misses, 0) }; };
  const before = count();
  let done = 0, secs = 0, cpu = 0;
  while (done < N) {
    const batch: Event[] = [];
    for (let i = 0; i < BATCH; i++) batch.push(structuredClone(events[(done + i) % events.length]!));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    rt.process(batch, noop);
    secs += Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
    done += batch.length;
  }
  const after = count();
  const hits = after.hits - before.hits, looked = after.looked - before.looked;
  rt.stop();
  const texts = events.map((e) => JSON.stringify(e));
  const floor = jsonFloorPerS(texts, Math.min(N, 200_000));
  const perS = done / secs;
  rows.push({ case: name, distinct: new Set(events.flatMap((e) => [(e.src_endpoint as Event).ip, (e.dst_endpoint as Event).ip])).size,
    events_per_s: Math.round(perS), cpu_events_per_s: Math.round(done / cpu), us_per_event: Math.round(1e8 / perS) / 100, hit_rate: Math.round((hits / Math.max(1, looked)) * 1000) / 10,
    floor_per_s: Math.round(floor), floor_x: Math.round((floor / perS) * 100) / 100 });
}


// (a) builtin country database, random public addresses (100,000 distinct events).
const countryEvents: Event[] = [];
for (let i = 0; i < 100_000; i++) countryEvents.push(event(randomPublic(), randomPublic(), i));
await run('builtin:country, random public addresses', { databases: ['builtin:country'], fields: ['src_endpoint.ip', 'dst_endpoint.ip'] }, countryEvents);
await run('builtin:country, no result cache', { databases: ['builtin:country'], fields: ['src_endpoint.ip', 'dst_endpoint.ip'], cache_size: 0 }, countryEvents);

// (b) a City-like database.
const t0 = performance.now();
const { db, ips } = syntheticCityDb(NETWORKS);
const built = performance.now() - t0;
const dir = mkdtempSync(join(tmpdir(), 'sluice-geoip-bench-'));
const file = join(dir, 'city.mmdb');
writeFileSync(file, db);
const cityEvents: Event[] = [];
for (let i = 0; i < 100_000; i++) cityEvents.push(event(ips[Math.floor(rnd() * ips.length)]!, ips[Math.floor(rnd() * ips.length)]!, i));
try {
  await run(`City-like, ${NETWORKS.toLocaleString('en')} networks`, { databases: [{ path: file }], fields: ['src_endpoint.ip', 'dst_endpoint.ip'] }, cityEvents);
  await run(`City-like, ${NETWORKS.toLocaleString('en')} networks, cache_size 1000`, { databases: [{ path: file }], fields: ['src_endpoint.ip', 'dst_endpoint.ip'], cache_size: 1000 }, cityEvents);
  await run(`City-like + builtin:country`, { databases: [{ path: file }, 'builtin:country'], fields: ['src_endpoint.ip', 'dst_endpoint.ip'] }, cityEvents);
} finally { rmSync(dir, { recursive: true, force: true }); }

console.log(`\n## geoip, two addresses per event, one core, ${N.toLocaleString('en')} events per case, node ${process.version}\n`);
console.log(`(City-like database: ${NETWORKS.toLocaleString('en')} IPv4 + ${(NETWORKS / 10).toLocaleString('en')} IPv6 networks, ${(db.length / 1e6).toFixed(1)} MB, generated in ${(built / 1000).toFixed(1)} s)\n`);
console.log('| case | distinct addresses | events/s | events/CPU-s | µs/event | hit % | floor events/s | x floor |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.case} | ${r.distinct.toLocaleString('en')} | ${r.events_per_s.toLocaleString('en')} | ${r.cpu_events_per_s.toLocaleString('en')} | ${r.us_per_event} | ${r.hit_rate} | ${r.floor_per_s.toLocaleString('en')} | ${r.floor_x} |`);
console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
console.log('\n' + JSON.stringify(rows));
