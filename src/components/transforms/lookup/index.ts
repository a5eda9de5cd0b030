/**
 * `lookup`: joins events with a table (asset inventory, user directory, allow-lists) loaded in
 * memory from CSV, JSON, SQLite or PostgreSQL and kept fresh, or held in Redis and shared by
 * every Sluice instance. A key taken from the event (by value, case-insensitively, or by the
 * innermost CIDR containing an address) selects a row whose columns are written onto the event.
 */
import { ComponentConfigError, defineComponent, type Logger, type TransformOutput, type TransformRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { s, type Infer } from '../../../core/schema.js';
import { locationShape, Refresher } from '../../../enrich/resource.js';
import { EnrichmentStats, observeBatch, type ProviderStats } from '../../../enrich/stats.js';
import { appendEnrichment } from '../../../enrich/ocsf.js';
import { fieldPath, keyString, type FieldPath } from '../../_shared/field-path.js';
import { CsvLoader, JsonLoader, PostgresLoader, SqliteLoader, type Loader } from './loaders.js';
import { RedisTable, type Resolved } from './redis.js';
import { copyData, joinKey, keyText, makeRow, TableBuilder, Writer, type Match, type MemTable, type Row, type RowPlan } from './table.js';

const location = () => {
  const l = locationShape();
  return { path: l.path, url: l.url, headers: l.headers, refresh_interval: l.refresh_interval, timeout: l.timeout };
};

export const config = s.object({
  table: s.object({
    name: s.string(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.` and `-`').desc('Names the table in metrics (`provider` label), logs and the `provider` of enrichment entries. Default: the component id.'),
    csv: s.object({
      ...location(),
      delimiter: s.string().default(',').desc('Field delimiter (`;`, `\\t`, ...).'),
      header: s.bool().default(true).desc('The first line names the columns. With `false`, name them in `columns`.'),
      columns: s.list(s.string()).desc('Column names, in order, for a file without a header line.'),
      comment: s.string().desc('Lines starting with this (e.g. `#`) are comments.'),
    }).desc('A CSV file or URL. Cells are text; an empty cell is no value (not written).'),
    json: s.object({
      ...location(),
      records: fieldPath().desc('Where the records are in the document (`data.items`). Default: the document itself. Records are a list of objects, or an object of objects keyed by the key column\'s value.'),
      lines: s.bool().default(false).desc('One JSON object per line (NDJSON), loaded without pausing the stream however big. A single JSON document is parsed in one go: keep those under a few MB.'),
    }).desc('A JSON file or URL.'),
    sqlite: s.object({
      path: s.string().required().desc('The database file (relative paths resolve against the config file\'s directory). Opened read-only for each load; a change to it (or its write-ahead log) reloads it.'),
      query: s.string().required().desc('A SELECT returning the key and mapped columns.').example('SELECT cidr, owner, criticality FROM assets'),
      refresh_interval: s.duration().default('1m').desc('How often the file is re-checked for changes (in case a change was missed); the query runs only when it changed.'),
    }).desc('An SQLite database queried into memory.'),
    postgres: s.object({
      connection: s.string().secret().required().desc('Connection string, `postgres://user:password@host:5432/db?sslmode=require`; keep the password in a secret: `${secret:ASSETS_DB_URL}`.'),
      query: s.string().required().desc('A SELECT returning the key and mapped columns.'),
      refresh_interval: s.duration().default('5m').desc('How often the query runs again. A failed run keeps the rows loaded before (logged, counted in `lookup_reload_failures`).'),
      statement_timeout: s.duration().default('30s').desc('Longest the query may run on the server.'),
      connect_timeout: s.duration().default('10s').desc('Longest connecting may take.'),
    }).desc('A PostgreSQL query, loaded into memory and run again every `refresh_interval`.'),
    redis: s.object({
      url: s.string().secret().default('redis://127.0.0.1:6379').desc('Redis server, `redis://[:password@]host:6379[/db]` (`rediss://` for TLS). Treated as a secret: it may hold a password.'),
      key_prefix: s.string().default('').desc('Prepended to every key: the hash for key `10.0.0.5` is `<key_prefix>10.0.0.5`.').example('sluice:assets:'),
      timeout: s.duration().default('500ms').desc('Longest a batch waits for Redis. Past it the batch\'s lookups fail: events pass, marked failed.'),
      connect_timeout: s.duration().default('2s').desc('Longest connecting may take.'),
      cache: s.object({
        ttl: s.duration().default('30s').desc('How long a found row is reused without asking Redis; `0` disables the cache.'),
        negative_ttl: s.duration().default('10s').desc('How long "no such key" is reused.'),
        max_entries: s.int(1).default(100_000).desc('Most keys cached; the oldest entry goes first.'),
      }).default({ ttl: 30, negative_ttl: 10, max_entries: 100_000 }).desc('A local cache of answers, so hot keys do not cost a round trip each batch. Not used with `write` (each batch must write).'),
      write: s.object({
        seen: s.bool().default(false).desc('Record sightings per key: `first_seen` (ms), `last_seen` (ms), `count`. Events see `first_seen`, the previous `last_seen` and `count`, and `new`: true for the single event, across all instances, that created the key.'),
        fields: s.map(fieldPath()).desc('Columns to store from the event, `column: event.field` (the last event of a batch with the key wins).').example({ last_ip: 'src_endpoint.ip' }),
        ttl: s.duration().default('30d').desc('Expiry of a written key, renewed by each write; `0` keeps keys forever.'),
      }).desc('Write to the table as events pass, so instances share state ("first time this user logs in from this address").'),
    }).desc('A Redis-backed table: hashes `<key_prefix><key>` whose fields are the columns, read per batch (one pipelined round trip) and optionally written.'),
  }).required().desc('Where the rows come from: exactly one of `csv`, `json`, `sqlite`, `postgres`, `redis`.'),
  key: s.object({
    field: s.list(fieldPath(), true).desc('The event field holding the key. A list is tried in order: the first field with a value the table has wins.').example('src_endpoint.ip', ['user.email_addr', 'user.name']),
    fields: s.list(fieldPath()).desc('A composite key: all these fields together, paired in order with `columns`.').example(['user.name', 'src_endpoint.ip']),
    column: s.string().desc('The table column holding the key (not used by `redis`).'),
    columns: s.list(s.string()).desc('The key columns of a composite key, one per entry of `fields`.'),
    match: s.enum('exact', 'case_insensitive', 'cidr').default('exact').desc('`exact`: the same text. `case_insensitive`: the same text ignoring case. `cidr`: the column holds networks (`10.1.0.0/16`) or addresses; the innermost network containing the event\'s address wins.'),
    separator: s.string().default('|').desc('Joins the parts of a composite key (a part holding it, or `\\`, has it escaped with `\\`). Redis keys are `<key_prefix>alice|203.0.113.7`.'),
  }).required().desc('How an event finds its row.'),
  mappings: s.map(fieldPath()).desc('Table column -> event field to write it to.').example({ owner: 'device.owner.name', criticality: 'device.risk_level' }),
  target: fieldPath().desc('Also copy the whole row, as an object, to this field.').example('device.asset'),
  defaults: s.map(s.any()).desc('When no row matches: values for mapped columns (by column name), written as if a row with them had matched. Without it a miss leaves the event unchanged.').example({ criticality: 'unknown' }),
  overwrite: s.bool().default(false).desc('Replace fields the event already has. By default a field with a value is kept.'),
  enrichments: s.enum('all', 'failures', 'none').default('all').desc('Entries appended to the event\'s `enrichments` list (OCSF): `all` for every hit (`type: lookup`, `provider`, `data` with the row) and every failed lookup (`data.status: failed`), `failures` only for failed lookups, `none` for neither. A miss adds nothing.'),
});

export type LookupConfig = Infer<typeof config>;

type Kind = 'csv' | 'json' | 'sqlite' | 'postgres' | 'redis';
const KINDS: Kind[] = ['csv', 'json', 'sqlite', 'postgres', 'redis'];

export interface LookupRuntime extends TransformRuntime {
  /** Load the table now (also done by the first batch). Throws when the first load fails. */
  start(): Promise<void>;
  /** Reload now (files and queries; the interval and file watch do it on their own). */
  refresh(): Promise<void>;
  counters(): Record<string, number>;
  enrichment(): EnrichmentStats;
  stop(): Promise<void>;
}

/** How long a failed first load is remembered before a batch tries again. */
const RETRY_FIRST_LOAD_MS = 1000;

interface KeySpec {
  /** Event fields: alternatives (composite false) or the parts of one key (composite true). */
  fields: FieldPath[];
  composite: boolean;
  columns: string[];
  match: Match;
  sep: string;
  /** Names the key in enrichment entries: the field path(s). */
  compositeName: string;
}

export function createLookup(cfg: LookupConfig, ctx: { id: string; configDir: string; log: Logger }): LookupRuntime {
  const kinds = KINDS.filter((k) => cfg.table[k] !== undefined);
  if (kinds.length !== 1) {
    throw new ComponentConfigError(kinds.length ? `set one table source, found ${kinds.join(' and ')}` : 'no table source', ['table'], 'one of csv: {path: ...}, json: {path: ...}, sqlite: {path, query}, postgres: {connection, query}, redis: {url, key_prefix}');
  }
  const kind = kinds[0]!;
  const name = cfg.table.name ?? ctx.id;
  const key = keySpec(cfg, kind);

  const mapCols = Object.keys(cfg.mappings ?? {});
  const writeCfg = cfg.table.redis?.write;
  if (!mapCols.length && !cfg.target && !writeCfg) {
    throw new ComponentConfigError('nothing to do: set `mappings` (column -> event field) or `target`', [], 'e.g. mappings: { owner: device.owner.name }');
  }
  for (const col of Object.keys(cfg.defaults ?? {})) {
    if (!mapCols.includes(col) && !cfg.target) throw new ComponentConfigError(`\`defaults\` names column \`${col}\`, which is not in \`mappings\``, ['defaults', col], `mapped columns: ${mapCols.join(', ') || '(none)'}`);
  }
  const writer = new Writer(mapCols.map((c) => cfg.mappings![c]!), cfg.target ?? null, cfg.overwrite);
  const plan: RowPlan = { columns: mapCols, whole: !!cfg.target, keepData: cfg.enrichments === 'all' || !!cfg.target };
  const defaults = cfg.defaults ? makeRow(cfg.defaults, plan) : null;
  const recordHits = cfg.enrichments === 'all';
  const recordFailures = cfg.enrichments !== 'none';

  const stats = new EnrichmentStats();
  const provider = stats.provider(name);
  const common: Common = { cfg, name, key, plan, writer, defaults, stats, provider, recordHits, recordFailures, log: ctx.log };
  return kind === 'redis' ? redisRuntime(common) : memRuntime(common, loaderFor(cfg, kind, key, ctx.configDir));
}

function keySpec(cfg: LookupConfig, kind: Kind): KeySpec {
  const k = cfg.key;
  if (k.field && k.fields) throw new ComponentConfigError('set `field` (one key, or alternatives tried in order) or `fields` (a composite key), not both', ['key', 'fields']);
  if (k.column !== undefined && k.columns) throw new ComponentConfigError('set `column` or `columns`, not both', ['key', 'columns']);
  const composite = !!k.fields;
  const fields = k.fields ?? k.field ?? [];
  if (!fields.length) throw new ComponentConfigError('no key field', ['key'], 'e.g. key: { field: src_endpoint.ip, column: ip }');
  let columns: string[] = k.columns ?? (k.column !== undefined ? [k.column] : []);
  if (kind === 'redis') {
    if (k.match === 'cidr') throw new ComponentConfigError('a Redis table is keyed by exact values; `cidr` needs an in-memory table', ['key', 'match'], 'load networks from csv, json, sqlite or postgres');
    // No pattern on the option itself: its message would echo the value, password included.
    if (!/^rediss?:\/\//.test(cfg.table.redis!.url)) throw new ComponentConfigError('`url` is a redis:// or rediss:// URL', ['table', 'redis', 'url'], 'redis://127.0.0.1:6379, rediss://:password@host:6380/0');
    if (k.column !== undefined || k.columns) throw new ComponentConfigError('a Redis table is keyed by its hash names (`<key_prefix><key>`): `column` is not used', ['key', k.columns ? 'columns' : 'column']);
    if (cfg.table.redis!.write && !composite && fields.length > 1) throw new ComponentConfigError('`write` needs one key per event: a single `field`, or `fields` for a composite key', ['key', 'field']);
    columns = [];
  } else {
    if (!columns.length) throw new ComponentConfigError('no key column: name the table column holding the key', ['key'], composite ? 'columns: [user, ip]' : 'column: ip');
    if (composite && columns.length !== fields.length) throw new ComponentConfigError(`\`fields\` has ${fields.length} entries and \`columns\` ${columns.length}; they pair up in order`, ['key', 'columns']);
    if (!composite && columns.length !== 1) throw new ComponentConfigError('several `columns` make a composite key: list its event fields in `fields`', ['key', 'columns']);
  }
  if (k.match === 'cidr' && composite) throw new ComponentConfigError('a `cidr` key is a single address field', ['key', 'match']);
  if (!k.separator) throw new ComponentConfigError('`separator` is empty', ['key', 'separator']);
  return { fields, composite, columns, match: k.match, sep: k.separator, compositeName: fields.map((f) => f.text).join(',') };
}

function loaderFor(cfg: LookupConfig, kind: Kind, key: KeySpec, configDir: string): Loader {
  const t = cfg.table;
  if (kind === 'csv' || kind === 'json') {
    const loc = t[kind]!;
    if (!loc.path === !loc.url) throw new ComponentConfigError(loc.path ? 'set `path` or `url`, not both' : 'set `path` (a file) or `url`', ['table', kind]);
    if (kind === 'csv') {
      const c = t.csv!;
      if (!c.header && !c.columns?.length) throw new ComponentConfigError('without a header line, name the columns', ['table', 'csv', 'columns'], 'columns: [network, owner, criticality]');
      if (c.delimiter.length !== 1 && c.delimiter !== '\\t') throw new ComponentConfigError('`delimiter` is one character', ['table', 'csv', 'delimiter']);
      return new CsvLoader(loc, configDir, { delimiter: c.delimiter === '\\t' ? '\t' : c.delimiter, header: c.header, columns: c.columns, comment: c.comment });
    }
    return new JsonLoader(loc, configDir, { records: t.json!.records, lines: t.json!.lines, keyColumn: key.columns.length === 1 ? key.columns[0] : undefined });
  }
  if (kind === 'sqlite') return new SqliteLoader(t.sqlite!, configDir);
  const p = t.postgres!;
  if (!/^postgres(ql)?:\/\//.test(p.connection)) throw new ComponentConfigError('`connection` is a postgres:// URL', ['table', 'postgres', 'connection'], 'postgres://user:password@host:5432/database');
  return new PostgresLoader(p);
}

interface Common {
  cfg: LookupConfig;
  name: string;
  key: KeySpec;
  plan: RowPlan;
  writer: Writer;
  defaults: Row | null;
  stats: EnrichmentStats;
  provider: ProviderStats;
  log: Logger;
  recordHits: boolean;
  recordFailures: boolean;
}

/** Append an OCSF enrichment entry. A non-list `enrichments` field is left alone. */
function addEntry(e: Event, name: string, value: string, provider: string, data: Record<string, unknown>): void {
  appendEnrichment(e, { name, value, type: 'lookup', provider, data });
}

// ---------------------------------------------------------------------------------------------
// In-memory tables

function memRuntime(c: Common, loader: Loader): LookupRuntime {
  const { name, key, plan, writer, defaults, stats, provider, recordHits, log } = c;
  let table: MemTable | null = null;
  let refresher: Refresher<MemTable> | null = null;
  let starting: Promise<void> | null = null;
  let failedAt = 0;
  let failure: Error | null = null;
  let stopped = false;
  let logged = { duplicates: 0, invalid: 0 };

  const refresherFor = () => new Refresher<MemTable>({
    name: `lookup table ${name}`,
    log,
    intervalMs: loader.intervalMs,
    watchFile: loader.watchFile,
    async load() {
      const b = new TableBuilder(key.match, key.columns, key.sep, plan);
      const r = await loader.load((rec) => b.add(rec));
      if (r === 'unchanged') return 'unchanged';
      const t = await b.build();
      r.commit();
      return t;
    },
    onSwap(next) {
      table = next;
      const i = next.info;
      // Logged when the counts change, not on every reload of the same file.
      if (i.duplicates !== logged.duplicates && i.duplicates) log.warn(`lookup table ${name}: ${i.duplicates} row(s) repeat a key; the first row with a key wins`, { example: i.duplicateExample });
      if (i.invalid !== logged.invalid && i.invalid) log.warn(`lookup table ${name}: ${i.invalid} row(s) have no usable key${key.match === 'cidr' ? ' (not a network or address)' : ''} and are ignored`, { example: i.invalidExample });
      if (i.rows === 0) log.warn(`lookup table ${name}: the table is empty`, { source: loader.describe });
      logged = { duplicates: i.duplicates, invalid: i.invalid };
    },
  });

  const start = (): Promise<void> => {
    if (table) return Promise.resolve();
    if (starting) return starting;
    if (failure && Date.now() - failedAt < RETRY_FIRST_LOAD_MS) return Promise.reject(failure);
    const r = refresherFor();
    starting = r.start().then(() => {
      if (stopped) { r.stop(); return; }
      refresher = r;
      failure = null;
      log.info(`lookup table ${name}: loaded ${table!.info.rows} rows`, { source: loader.describe, ms: Math.round(r.stats.lastLoadMs ?? 0) });
    }, (e: Error) => {
      r.stop();
      failedAt = Date.now();
      failure = new Error(`lookup table ${name} could not be loaded: ${e.message}`);
      throw failure;
    }).finally(() => { starting = null; });
    return starting;
  };

  // Key state of the event being looked up, kept in locals of this closure instead of returned
  // in an object: no allocation per event.
  let hitName = '';
  let hitKey = '';
  const fields = key.fields;
  const parts = new Array<string>(fields.length);
  const single = fields.length === 1 ? fields[0]! : null;

  /** The row for `e`; undefined on a miss, null when the event has no usable key. */
  const find = (t: MemTable, e: Event): Row | undefined | null => {
    if (single) {
      const k = keyText(single.get(e));
      if (k === null || k === '') return null;
      hitKey = k;
      hitName = single.text;
      return t.find(k);
    }
    if (key.composite) {
      for (let j = 0; j < fields.length; j++) {
        const k = keyText(fields[j]!.get(e));
        if (k === null || k === '') return null;
        parts[j] = k;
      }
      hitKey = joinKey(parts, key.sep);
      hitName = key.compositeName;
      return t.find(hitKey);
    }
    // Alternatives: the first that hits; a miss reports the first usable one.
    let missed = false;
    for (let j = 0; j < fields.length; j++) {
      const k = keyText(fields[j]!.get(e));
      if (k === null || k === '') continue;
      const r = t.find(k);
      if (r === null) continue;
      if (r !== undefined) { hitKey = k; hitName = fields[j]!.text; return r; }
      if (!missed) { missed = true; hitKey = k; hitName = fields[j]!.text; }
    }
    return missed ? undefined : null;
  };

  const run = (t: MemTable, events: Event[], out: TransformOutput) => {
    const t0 = performance.now();
    let hits = 0, misses = 0, skipped = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const row = find(t, e);
      if (row) {
        hits++;
        writer.write(e, row);
        if (recordHits) addEntry(e, hitName, hitKey, name, copyData(row));
      } else if (row === undefined) {
        misses++;
        if (defaults) writer.write(e, defaults);
      } else skipped++;
      out.push(e);
    }
    observeBatch(provider.latency, t0, hits + misses);
    provider.hits += hits;
    provider.misses += misses;
    provider.skipped += skipped;
  };

  return {
    start,
    refresh: async () => { await start(); await refresher?.refresh(); },
    process(events, out) {
      if (table) return run(table, events, out);
      return start().then(() => run(table!, events, out));
    },
    enrichment: () => stats,
    counters() {
      const i = table?.info;
      const st = refresher?.stats;
      return {
        [`lookup_rows.${name}`]: i?.rows ?? 0,
        [`lookup_duplicate_keys.${name}`]: i?.duplicates ?? 0,
        [`lookup_invalid_rows.${name}`]: i?.invalid ?? 0,
        [`lookup_loads.${name}`]: st?.loads ?? 0,
        [`lookup_reload_failures.${name}`]: st?.failures ?? 0,
      };
    },
    async stop() {
      stopped = true;
      refresher?.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

function redisRuntime(c: Common): LookupRuntime {
  const { cfg, name, key, plan, writer, defaults, stats, provider, recordHits, recordFailures, log } = c;
  const r = cfg.table.redis!;
  const w = r.write;
  const writeCols = w ? Object.keys(w.fields ?? {}) : [];
  const writePaths = writeCols.map((col) => w!.fields![col]!);
  const table = new RedisTable({
    url: r.url, key_prefix: r.key_prefix, timeout: r.timeout, connect_timeout: r.connect_timeout, cache: r.cache,
    write: w ? { seen: w.seen, columns: writeCols, ttl: w.ttl } : undefined,
  }, plan, provider, log, name);
  const lower = key.match === 'case_insensitive';
  const fields = key.fields;
  // Candidate keys per event: one (a single field or a composite key) or one per alternative field.
  const m = key.composite ? 1 : fields.length;
  const parts = new Array<string>(fields.length);

  const keyAt = (e: Event, j: number): string | null => {
    if (key.composite) {
      for (let p = 0; p < fields.length; p++) {
        const k = keyText(fields[p]!.get(e));
        if (k === null || k === '') return null;
        parts[p] = lower ? k.toLowerCase() : k;
      }
      return joinKey(parts, key.sep);
    }
    const k = keyText(fields[j]!.get(e));
    return k === null || k === '' ? null : lower ? k.toLowerCase() : k;
  };
  const nameAt = (j: number) => (key.composite ? key.compositeName : fields[j]!.text);

  const writeValue = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : keyString(v));

  return {
    start: () => table.connect(),
    refresh: async () => {},
    async process(events, out) {
      const n = events.length;
      const cand = new Array<string | null>(n * m);
      const distinct = new Set<string>();
      const writes = w ? new Map<string, { n: number; last: Event; values: (string | null)[] }>() : null;
      for (let i = 0; i < n; i++) {
        const e = events[i]!;
        for (let j = 0; j < m; j++) {
          const k = keyAt(e, j);
          cand[i * m + j] = k;
          if (k === null) continue;
          distinct.add(k);
          if (writes) {
            let wr = writes.get(k);
            if (!wr) writes.set(k, (wr = { n: 0, last: e, values: [] }));
            wr.n++;
            wr.last = e;
          }
        }
      }
      // The last event of the batch with a key gives the values stored for it.
      if (writes) for (const wr of writes.values()) wr.values = writePaths.map((p) => writeValue(p.get(wr.last)));
      const resolved: Map<string, Resolved> = distinct.size ? await table.resolve([...distinct], Date.now(), writes) : new Map();
      const served = new Set<string>();
      let hits = 0, misses = 0, skipped = 0, failures = 0;
      for (let i = 0; i < n; i++) {
        const e = events[i]!;
        let row: Row | null = null, rowName = '', rowKey = '';
        let created = false;
        let failed: string | null = null, failName = '', failKey = '';
        let present = false;
        for (let j = 0; j < m && !row; j++) {
          const k = cand[i * m + j];
          if (k === null || k === undefined) continue;
          if (!present) { present = true; rowName = nameAt(j); rowKey = k; }
          const res = resolved.get(k)!;
          if (res.failed !== null) {
            if (failed === null) { failed = res.failed; failName = nameAt(j); failKey = k; }
            continue;
          }
          const firstOfBatch = !served.has(k);
          if (firstOfBatch) served.add(k);
          const got = firstOfBatch ? res.first : res.rest;
          if (got) { row = got; rowName = nameAt(j); rowKey = k; created = firstOfBatch && res.created; }
        }
        if (row) {
          // With `write.seen`, the event that created the key is not a hit: nothing was known.
          if (created) misses++; else hits++;
          writer.write(e, row);
          if (recordHits) addEntry(e, rowName, rowKey, name, copyData(row));
        } else if (failed !== null) {
          failures++;
          if (recordFailures) addEntry(e, failName, failKey, name, { status: 'failed', reason: failed });
        } else if (present) {
          misses++;
          if (defaults) writer.write(e, defaults);
        } else skipped++;
        out.push(e);
      }
      provider.hits += hits;
      provider.misses += misses;
      provider.skipped += skipped;
      provider.failures += failures;
    },
    enrichment: () => stats,
    counters: () => ({
      [`lookup_redis_round_trips.${name}`]: table.counts.round_trips,
      [`lookup_redis_writes.${name}`]: table.counts.writes,
      [`lookup_cache_hits.${name}`]: table.counts.cache_hits,
      [`lookup_cache_entries.${name}`]: table.cacheSize,
    }),
    stop: () => table.close(),
  };
}

export default defineComponent({
  type: 'lookup',
  kind: 'transform',
  status: 'beta',
  summary: 'Join events with a table (CSV, JSON, SQLite, PostgreSQL, or Redis shared across instances) by value or CIDR.',
  description: [
    'A key from the event selects a row; `mappings` write its columns onto the event, `target` copies the whole row.',
    'Keys match exactly, ignoring case, or by network (`match: cidr`: the innermost network containing the',
    'address wins, so an asset inventory by subnet can list `10.0.0.0/8` and `10.1.2.0/24`). When two rows have the',
    'same key, the first one wins; repeats are counted (`lookup_duplicate_keys`) and logged.',
    '',
    'CSV, JSON, SQLite and PostgreSQL tables are loaded into memory, off the event path, and swapped in whole once',
    'loaded: a file is watched and re-checked every `refresh_interval`, a URL fetched with If-None-Match, a',
    'PostgreSQL query run again every `refresh_interval`. A failed reload keeps the rows loaded before (logged,',
    'counted in `lookup_reload_failures`). The table loads on the first batch, which waits for it; if that first',
    'load fails, the batch goes to `errors` and a batch at least 1 s later tries again.',
    '',
    'A Redis table stays in Redis: each key is a hash `<key_prefix><key>` with one field per column',
    '(`HSET sluice:assets:10.0.0.5 owner alice criticality high`). Each batch asks for its distinct keys in one',
    'pipelined round trip, with a local cache of recent answers. With `write`, events also write to it, so every',
    'instance sees what the others saw: `write.seen` keeps `first_seen`, `last_seen` and `count` per key and marks',
    'the one event, across all instances, that saw a key first (`new: true`). Events see the state from before their',
    'batch. When Redis does not answer within `timeout`, events pass unchanged but for an `enrichments` entry with',
    '`data.status: failed`, and the failure is counted; the stream never waits on Redis beyond `timeout`.',
    '',
    'Each hit appends an OCSF enrichment entry, `{ name: <key field>, value: <key>, type: lookup, provider: <table>,',
    'data: <mapped columns> }`. Metrics: `sluice_enrichment_lookups_total{provider, result}` (hit, miss, failure,',
    'skipped: the event has no key) and `sluice_enrichment_latency_seconds`.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => createLookup(cfg, ctx),
});
