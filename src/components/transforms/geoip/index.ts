/**
 * `geoip`: adds where an IP address is (OCSF `location`) and who routes it (`autonomous_system`,
 * `isp`) from MaxMind DB files: GeoLite2/GeoIP2 City, Country, ASN, ISP, Anonymous IP, and any
 * other `.mmdb`. Databases reload when their file changes, without a restart.
 */
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { ComponentConfigError, defineComponent, type Logger, type TransformRuntime } from '../../../core/component.js';
import { s, type CheckContext, type Infer, type Path } from '../../../core/schema.js';
import { cloneValue, type Event } from '../../../core/event.js';
import { parseIPv4 } from '../../../expr/values.js';
import { parseIp, specialRange, type ParsedIp, type SpecialRange } from '../../../enrich/ip.js';
import { appendEnrichment } from '../../../enrich/ocsf.js';
import { fetchLocation, locationShape, Refresher, resolvePath, type Fetched, type Location } from '../../../enrich/resource.js';
import { EnrichmentStats, type ProviderStats } from '../../../enrich/stats.js';
import { compileSegments, fieldPath, type FieldPath } from '../../_shared/field-path.js';
import { GeoDatabase, type GeoResult } from './database.js';

// ---------------------------------------------------------------------------------------------
// Config

/** Databases shipped with Sluice, named `builtin:<name>` in `path`. */
export const BUILTIN_DATABASES: Record<string, { module: string; name: string; about: string }> = {
  country: {
    module: '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
    name: 'geo-whois-asn-country',
    about: 'IPv4 and IPv6 to country (ISO code), from the regional internet registries\' WHOIS and ASN data and published geofeeds (ip-location-db; data CC BY 4.0, NRO)',
  },
};

const TYPES = ['auto', 'city', 'country', 'asn', 'anonymous_ip', 'generic'] as const;

const databaseShape = () => {
  const loc = locationShape();
  return {
    ...loc,
    path: s.string().desc('A local `.mmdb` file (relative to the config file\'s directory), or `builtin:country` for the country database that ships with Sluice. '
      + 'Watched: writing a new file over it (best: write elsewhere, then rename over) reloads it.'),
    url: loc.url.desc('An HTTP(S) URL of an uncompressed `.mmdb` file, fetched at start and every `refresh_interval` (If-None-Match / If-Modified-Since).'),
    type: s.enum(...TYPES).default('auto').desc('What the records hold. `auto` reads the database\'s `database_type` (GeoIP2-City, GeoLite2-ASN, GeoIP2-Anonymous-IP...; '
      + 'other publishers\' names containing city, country, asn/isp or anonymous work too) and, when it names none of these, takes what each record has. '
      + '`city`/`country`: location; `asn`: autonomous_system (and isp); `anonymous_ip` and `generic`: the record as an `enrichments` entry.'),
  };
};

const listItem = s.object({ name: s.string(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `-` and `.`').desc('Names the database in metrics (`provider`), in `location.provider` and in `enrichments`. Default: the file name without `.mmdb`.'), ...databaseShape() });
const mapItem = s.object(databaseShape());
type ListItem = Infer<typeof listItem>;

export interface DatabaseSpec extends Location { name: string; type: (typeof TYPES)[number]; builtin?: string | undefined }

const databasesField = () => {
  const list = s.list(listItem);
  const map = s.map(mapItem);
  return s.custom<DatabaseSpec[]>('a list or a map of databases', (v: unknown, path: Path, ctx: CheckContext) => {
    if (Array.isArray(v)) {
      // A bare string item is a path: `databases: [builtin:country, GeoLite2-ASN.mmdb]`.
      const items = list.parse(v.map((x) => (typeof x === 'string' ? { path: x } : x)), path, ctx);
      return items?.map((d: ListItem) => ({ ...d, name: d.name ?? defaultName(d) } as DatabaseSpec));
    }
    if (v !== null && typeof v === 'object') {
      const items = map.parse(v, path, ctx);
      return items && Object.entries(items).map(([name, d]) => ({ ...d, name } as DatabaseSpec));
    }
    ctx.issues.push({ path, message: `expected a list or a map of databases, found ${v === null ? 'null' : typeof v}`, hint: 'databases: [{ path: GeoLite2-City.mmdb }] or databases: { city: { path: GeoLite2-City.mmdb } }', at: 'value' });
    return undefined;
  }, { anyOf: [list.jsonSchema(), map.jsonSchema()] });
};

function defaultName(d: { path?: string | undefined; url?: string | undefined }): string {
  if (d.path?.startsWith('builtin:')) return BUILTIN_DATABASES[d.path.slice(8)]?.name ?? d.path.slice(8);
  let p = d.path ?? 'database';
  if (!d.path && d.url) { try { p = new URL(d.url).pathname; } catch { /* the url option reports it */ } }
  return basename(p, extname(p)) || 'database';
}

export interface FieldSpec {
  ip: FieldPath;
  location?: FieldPath | undefined;
  autonomous_system?: FieldPath | undefined;
  isp?: FieldPath | undefined;
  isp_org?: FieldPath | undefined;
  data?: FieldPath | undefined;
  /** Set for an IP in an OCSF network endpoint: network_scope_id / network_scope. */
  scope?: { id: FieldPath; name: FieldPath } | undefined;
}

const fieldObject = s.object({
  ip: fieldPath().required().desc('The field holding the address.'),
  location: fieldPath().desc('Where the OCSF `location` object goes.'),
  autonomous_system: fieldPath().desc('Where the OCSF `autonomous_system` object ({number, name}) goes.'),
  isp: fieldPath().desc('Where the ISP name goes (ISP databases).'),
  isp_org: fieldPath().desc('Where the organization name goes (ISP databases).'),
  data: fieldPath().desc('Where `anonymous_ip` and `generic` records go, under the database name (`<data>.<database>`), instead of an `enrichments` entry.'),
});

/** OCSF objects with an `ip` but no autonomous_system, isp or network scope. */
const LOCATION_ONLY = new Set(['device']);

/** `src_endpoint.ip` -> its siblings `location`, `autonomous_system`... */
function besideIp(ip: FieldPath): FieldSpec | string {
  const segs = ip.segments;
  if (segs.length < 2 || segs[segs.length - 1] !== 'ip') return `\`${ip.text}\` is not the \`ip\` of an object, so there is no place beside it for the results`;
  const parent = segs.slice(0, -1);
  const at = (name: string) => compileSegments([...parent, name].join('.'), [...parent, name]);
  if (LOCATION_ONLY.has(String(parent[parent.length - 1]))) return { ip, location: at('location') };
  return {
    ip, location: at('location'), autonomous_system: at('autonomous_system'), isp: at('isp'), isp_org: at('isp_org'),
    scope: { id: at('network_scope_id'), name: at('network_scope') },
  };
}

const fieldEntry = () => s.custom<FieldSpec>('a field path or { ip, location, autonomous_system, ... }', (v: unknown, path: Path, ctx: CheckContext) => {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return fieldObject.parse(v, path, ctx) as FieldSpec | undefined;
  const ip = fieldPath().parse(v, path, ctx);
  if (!ip) return undefined;
  const spec = besideIp(ip);
  if (typeof spec === 'string') {
    ctx.issues.push({ path, message: spec, hint: `name the targets: { ip: ${ip.text}, location: <path>, autonomous_system: <path> }`, at: 'value' });
    return undefined;
  }
  return spec;
}, { anyOf: [{ type: 'string' }, fieldObject.jsonSchema()] });

/**
 * The OCSF network endpoints. Not `device.ip`: the reporting host is nearly always internal, so
 * looking it up would mostly count skips; add it when your devices have public addresses.
 */
export const DEFAULT_FIELDS = ['src_endpoint.ip', 'dst_endpoint.ip', 'proxy_endpoint.ip'];

export const config = s.object({
  databases: databasesField().required().desc('The MaxMind DB files to read, as a list (`[{ path: GeoLite2-City.mmdb }, { path: GeoLite2-ASN.mmdb }]`, a bare path for short) '
    + 'or a map of name -> options. Each address is looked up in every database; for each kind of result (location, autonomous_system, isp) the first database in this order that has one wins. '
    + 'Options of a database: `path` (a file, relative to the config file, or `builtin:country`) or `url` (an uncompressed .mmdb over HTTP(S), with `headers`); '
    + '`type` (`auto`, `city`, `country`, `asn`, `anonymous_ip`, `generic`; `auto` reads the database\'s `database_type`); `name` in a list (default: the file name without .mmdb); '
    + '`refresh_interval` (default 1h: how often the file is re-checked or the URL fetched; a replaced file also reloads at once) and `timeout` (30s).')
    .example([{ path: 'builtin:country' }], { city: { path: '/var/lib/GeoIP/GeoLite2-City.mmdb' }, asn: { path: '/var/lib/GeoIP/GeoLite2-ASN.mmdb' } }),
  // Defaults go through the same check as written values, so the paths compile to FieldSpecs.
  fields: s.list(fieldEntry()).default(DEFAULT_FIELDS as unknown as FieldSpec[]).desc('The addresses to look up. An `<object>.ip` path writes beside the address: `<object>.location`, '
    + '`.autonomous_system`, `.isp`, `.isp_org` (only `location` for `device`). Any other field needs its targets named: `{ ip: client_ip, location: client_geo }`. '
    + 'Fields missing from an event are left alone.')
    .example(['src_endpoint.ip', { ip: 'client_ip', location: 'client_geo', autonomous_system: 'client_as' }]),
  locale: s.string().default('en').desc('Language of city and continent names (MaxMind databases carry de, en, es, fr, ja, pt-BR, ru, zh-CN); English when a name lacks it.'),
  overwrite: s.bool().default(false).desc('Replace a `location`, `autonomous_system`, `isp` or `isp_org` the event already has. By default what the event has is kept.'),
  special_ranges: s.enum('scope', 'tag', 'skip').default('scope').desc('Private, loopback, link-local, documentation and other special-purpose addresses (IANA registries) are never looked up; they count as `skipped`. '
    + '`scope`: a private, loopback, link-local or unique-local address of a network endpoint gets `network_scope_id: 1` and `network_scope: Internal` when the event has no scope. '
    + '`tag`: that, and an `enrichments` entry naming the category for every special address: `data: { status: skipped, special_range: private }` (also `loopback`, `documentation`, `multicast`...). `skip`: only count them.'),
  cache_size: s.int(0).default(50_000).desc('Converted results kept per database, by data record (all addresses of a network share one). '
    + 'City records take ~400 bytes each (measured), so 50,000 take ~20 MB; 0 converts every lookup again.').advanced(),
});

export type GeoipConfig = Infer<typeof config>;

// ---------------------------------------------------------------------------------------------
// Runtime

const INTERNAL = new Set<SpecialRange>(['private', 'loopback', 'link_local', 'unique_local']);

/** Resolve `builtin:<name>` to the packaged file; throws ComponentConfigError for an unknown name. */
export function builtinPath(spec: string, at: Path): string {
  const name = spec.slice('builtin:'.length);
  const b = BUILTIN_DATABASES[name];
  if (!b) throw new ComponentConfigError(`unknown builtin database \`${name}\``, at, `builtin databases: ${Object.keys(BUILTIN_DATABASES).map((k) => `builtin:${k}`).join(', ')}`);
  try {
    return createRequire(import.meta.url).resolve(b.module);
  } catch {
    throw new ComponentConfigError(`the builtin database \`${name}\` is not installed (npm package ${b.module.split('/').slice(0, 2).join('/')})`, at, 'reinstall Sluice\'s dependencies (npm ci)');
  }
}

export interface GeoipRuntime extends TransformRuntime {
  start(): Promise<void>;
  enrichment(): EnrichmentStats;
  counters(): Record<string, number>;
  /** Re-check every database now (what the file watch and the interval do). */
  refresh(): Promise<void>;
  /** The databases in use (tests, tools). */
  databases(): GeoDatabase[];
  stop(): void;
}

interface Provider { spec: DatabaseSpec; at: Path; refresher: Refresher<GeoDatabase>; stats: ProviderStats }

/** Build and start the runtime (tests, the benchmark, the conformance script). */
export async function createGeoip(cfg: GeoipConfig, configDir: string, log: Logger): Promise<GeoipRuntime> {
  const rt = prepareGeoip(cfg, configDir, log);
  await rt.start();
  return rt;
}

/**
 * The runtime, not yet loaded: build() must not do I/O (`sluice validate` builds without
 * starting). `start()` loads every database; a failure there is fatal and names the database.
 */
export function prepareGeoip(cfg: GeoipConfig, configDir: string, log: Logger): GeoipRuntime {
  const specs = cfg.databases;
  if (specs.length === 0) throw new ComponentConfigError('`databases` is empty', ['databases'], 'list at least one .mmdb file, e.g. databases: [builtin:country]');
  const seen = new Set<string>();
  const stats = new EnrichmentStats();
  const providers: Provider[] = [];
  {
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const at: Path = ['databases', i];
      if (seen.has(spec.name)) throw new ComponentConfigError(`two databases are named \`${spec.name}\``, [...at, 'name'], 'give each database its own `name`');
      seen.add(spec.name);
      if (!spec.path === !spec.url) throw new ComponentConfigError('set either `path` or `url`', at, 'path: GeoLite2-City.mmdb, or path: builtin:country');
      const loc: Location = { ...spec };
      if (spec.path?.startsWith('builtin:')) loc.path = builtinPath(spec.path, [...at, 'path']);
      const kind = spec.type;
      let prev: Fetched | null = null;
      const refresher = new Refresher<GeoDatabase>({
        name: `geoip database ${spec.name}`,
        log,
        intervalMs: spec.refresh_interval,
        watchFile: loc.path ? resolvePath(configDir, loc.path) : undefined,
        load: async () => {
          const f = await fetchLocation(loc, configDir, prev);
          if (f === 'unchanged') return 'unchanged';
          let db: GeoDatabase;
          try { db = new GeoDatabase(f.body, spec.name, kind, cfg.locale, cfg.cache_size); } catch (e) { throw new Error(`${f.source}: ${(e as Error).message}`); }
          prev = f;
          return db;
        },
      });
      providers.push({ spec, at, refresher, stats: stats.provider(spec.name) });
    }
  }

  async function start(): Promise<void> {
    try {
      for (const p of providers) {
        try { await p.refresher.start(); } catch (e) {
          const msg = (e as Error).message;
          const hint = /^cannot (read|fetch)/.test(msg) ? (p.spec.url ? 'is the URL right and reachable?' : 'relative paths are resolved against the config file\'s directory')
            : 'the file must be an uncompressed MaxMind DB (.mmdb), not the .tar.gz download or a CSV';
          throw new ComponentConfigError(`database \`${p.spec.name}\`: ${msg}`, [...p.at, p.spec.url ? 'url' : 'path'], hint);
        }
      }
    } catch (e) {
      for (const p of providers) p.refresher.stop();
      throw e;
    }
  }

  const fields = cfg.fields.map((f) => ({
    ...f,
    name: f.ip.text.replace(/^\./, ''),
    // `<data>.<database>` per database, for anonymous_ip and generic records.
    dataAt: providers.map((p) => (f.data ? compileSegments(`${f.data.text}.${p.spec.name}`, [...f.data.segments, p.spec.name]) : null)),
  }));
  const mark = cfg.special_ranges !== 'skip';
  const tag = cfg.special_ranges === 'tag';
  const overwrite = cfg.overwrite;
  const n = providers.length;
  const dbs: GeoDatabase[] = new Array(n);
  const counts = new Float64Array(n);
  // A ParsedIp reused for every IPv4 address: specialRange() takes the parsed form, and IPv4
  // addresses (most of them) are parsed to a number without allocating one.
  const v4: { v: 4; n: number } = { v: 4, n: 0 };

  const skipAll = () => { for (let k = 0; k < n; k++) providers[k]!.stats.skipped++; };

  function enrich(e: Event, f: (typeof fields)[number], text: string, num: number, hex: string): void {
    let loc: GeoResult['location'] = null, as: GeoResult['as'] = null, isp: string | null = null, ispOrg: string | null = null;
    for (let k = 0; k < n; k++) {
      const db = dbs[k]!;
      const st = providers[k]!.stats;
      let r: GeoResult;
      try {
        const at = num >= 0 ? db.find4(num) : db.find6(hex);
        counts[k]!++;
        if (at === 0) { st.misses++; continue; }
        r = db.result(at, num, hex);
      } catch (err) {
        st.failures++;
        addEntry(e, f.name, text, db.name, { status: 'failed', reason: (err as Error).message });
        continue;
      }
      st.hits++;
      if (loc === null) loc = r.location;
      if (as === null) as = r.as;
      if (isp === null) isp = r.isp;
      if (ispOrg === null) ispOrg = r.ispOrg;
      if (r.data !== null) {
        // Events are changed downstream (remap, normalize): each gets its own copy.
        const data = cloneValue(r.data as Record<string, unknown>);
        const to = f.dataAt[k];
        if (to) to.set(e, data); else addEntry(e, f.name, text, db.name, data);
      }
    }
    // Copies, not the cached objects: a later transform may change this event's location.
    if (loc !== null && f.location && (overwrite || f.location.get(e) === undefined)) f.location.set(e, { ...loc });
    if (as !== null && f.autonomous_system && (overwrite || f.autonomous_system.get(e) === undefined)) f.autonomous_system.set(e, { ...as });
    if (isp !== null && f.isp && (overwrite || f.isp.get(e) === undefined)) f.isp.set(e, isp);
    if (ispOrg !== null && f.isp_org && (overwrite || f.isp_org.get(e) === undefined)) f.isp_org.set(e, ispOrg);
  }

  function special(e: Event, f: (typeof fields)[number], text: string, kind: SpecialRange): void {
    if (tag) addEntry(e, f.name, text, 'iana', { status: 'skipped', special_range: kind });
    if (f.scope && INTERNAL.has(kind) && f.scope.id.get(e) === undefined) {
      f.scope.id.set(e, 1);
      f.scope.name.set(e, 'Internal');
    }
  }

  return {
    start,
    process(events, out) {
      // One database per provider for the whole batch: a reload between batches, never inside one.
      for (let k = 0; k < n; k++) { dbs[k] = providers[k]!.refresher.current; counts[k] = 0; }
      const t0 = performance.now();
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        for (let j = 0; j < fields.length; j++) {
          const f = fields[j]!;
          const v = f.ip.get(e);
          if (v === undefined || v === null) continue;
          if (typeof v !== 'string') { skipAll(); continue; }
          let num = parseIPv4(v);
          let hex = '';
          let range: SpecialRange | null;
          if (num >= 0) {
            v4.n = num;
            range = specialRange(v4);
          } else {
            const p: ParsedIp | null = v.indexOf(':') >= 0 ? parseIp(v) : null;
            if (p === null) { skipAll(); continue; }
            if (p.v === 4) num = p.n; else hex = p.hex;
            range = specialRange(p);
          }
          if (range !== null) {
            skipAll();
            if (mark) special(e, f, v, range);
            continue;
          }
          enrich(e, f, v, num, hex);
        }
        out.push(e);
      }
      // In-memory lookups are timed per batch (see observeBatch): the batch's time over its lookups.
      let total = 0;
      for (let k = 0; k < n; k++) total += counts[k]!;
      if (total > 0) {
        const each = (performance.now() - t0) / 1000 / total;
        for (let k = 0; k < n; k++) if (counts[k]! > 0) providers[k]!.stats.latency.observe(each, counts[k]!);
      }
    },
    enrichment: () => stats,
    counters() {
      const c: Record<string, number> = {};
      for (const p of providers) {
        c[`geoip_reloads.${p.spec.name}`] = p.refresher.stats.loads;
        c[`geoip_reload_failures.${p.spec.name}`] = p.refresher.stats.failures;
      }
      return c;
    },
    refresh: async () => { await Promise.all(providers.map((p) => p.refresher.refresh())); },
    databases: () => providers.map((p) => p.refresher.current),
    stop() { for (const p of providers) p.refresher.stop(); },
  };
}

function addEntry(e: Event, name: string, value: string, provider: string, data: Record<string, unknown>): void {
  appendEnrichment(e, { name, value, type: 'geoip', provider, data });
}

export default defineComponent({
  type: 'geoip',
  kind: 'transform',
  status: 'beta',
  summary: 'Add OCSF location, autonomous system and ISP to IP addresses from MaxMind DB (.mmdb) files; reloads a replaced file without a restart.',
  description: [
    'Looks up each address field (by default the OCSF `src_endpoint.ip`, `dst_endpoint.ip` and `proxy_endpoint.ip`, when present) in every',
    'database and writes the results beside it, in OCSF\'s terms:',
    '',
    '| database | writes (for `src_endpoint.ip`) |',
    '| --- | --- |',
    '| City, Country (`GeoIP2-City`, `GeoLite2-Country`, `builtin:country`...) | `src_endpoint.location`: `country` (ISO 3166-1 code), `continent`, `region` (subdivision code), `city`, `postal_code`, `lat`, `long`, `provider` (the database name) |',
    '| ASN, ISP (`GeoLite2-ASN`, `GeoIP2-ISP`) | `src_endpoint.autonomous_system`: `{ number, name }`; `isp`, `isp_org` from ISP databases |',
    '| Anonymous IP (`GeoIP2-Anonymous-IP`) | an `enrichments` entry `{ name: src_endpoint.ip, value, type: geoip, provider, data: { is_anonymous, is_anonymous_vpn, is_tor_exit_node, ... } }` when the address is listed |',
    '| any other `.mmdb` | an `enrichments` entry with the record as `data` (or the record at `<data>.<database>` for a field mapped with `data`) |',
    '',
    'IPv4 and IPv6 (an IPv4-mapped `::ffff:a.b.c.d` is looked up as IPv4). Private, loopback, link-local, documentation, multicast and the',
    'other special-purpose addresses are not looked up: they count as `skipped`; a private, loopback, link-local or unique-local address of a',
    'network endpoint gets `network_scope_id: 1` (Internal), and with `special_ranges: tag` every special address gets an `enrichments` entry',
    'naming its category. A record that names no city, country, region or postal code gives no `location` (OCSF requires one of them). A',
    'record that cannot be decoded (a corrupt file) counts as a `failure` and adds an entry with `data: { status: failed, reason }`; the event',
    'continues.',
    '',
    '`builtin:country` is the country database that ships with Sluice (npm `@ip-location-db/geo-whois-asn-country-mmdb`: country per network from',
    'the regional internet registries\' data, CC BY 4.0 by the NRO, which asks for attribution to nro.net). For cities, ASNs and anonymizers use',
    'MaxMind\'s GeoLite2 (free with an account) or GeoIP2 files, or another publisher\'s `.mmdb`.',
    '',
    'A database is watched: when its file is replaced (write the new file beside it and rename it over, as `geoipupdate` does) it is loaded off',
    'the event path and swapped in between two batches. A file that does not load keeps the old database, is logged, and counts in',
    '`geoip_reload_failures.<database>`. Metrics: `sluice_enrichment_lookups_total{provider=<database>, result=hit|miss|skipped|failure}` and the',
    'lookup latency. Memory: each database file is held in memory (tens of MB for a City database), twice during a reload.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => prepareGeoip(cfg, ctx.configDir, ctx.log),
});
