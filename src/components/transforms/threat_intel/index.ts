/**
 * `threat_intel`: matches the IPs, domains, URLs and file hashes of each event against indicator
 * feeds (plain lists, CSV, STIX 2.1, MISP) held in memory and kept fresh. A hit appends an OCSF
 * `enrichments` entry and gives the matching observable a `reputation`; matched events can also
 * go to `<id>.matches`.
 */
import { ComponentConfigError, defineComponent, type Logger, type TransformOutput, type TransformRuntime } from '../../../core/component.js';
import { cloneValue, type Event } from '../../../core/event.js';
import { describe, ObjectField, s, type CheckContext, type Field, type Infer, type Path, type Shape } from '../../../core/schema.js';
import { formatV4, formatV6Hex, parseIp } from '../../../enrich/ip.js';
import { displayUrl, Refresher } from '../../../enrich/resource.js';
import { EnrichmentStats, type ProviderStats } from '../../../enrich/stats.js';
import { enrichmentsOf } from '../../../enrich/ocsf.js';
import { compileFieldPath, FieldPathError, type FieldPath } from '../../_shared/field-path.js';
import { feedObject, feedShape, FeedLoader, REPUTATION, type FeedConfig } from './feeds.js';
import { MISP_TYPES } from './misp.js';
import {
  ALLOW_ALL, allowForObservableType, classify, dom, hashKey, K_DOMAIN, K_HASH, K_NONE, K_URL, K_V4, K_V6, OBSERVABLE_TYPE,
  scanDomain, scratch, T_CIDR, TYPE_NAMES, unbracket, urlHost, urlKey,
} from './indicators.js';
import { hasWide, type FeedIndex, type LoadReport } from './store.js';

// ---------------------------------------------------------------------------------------------
// Options

/** Where indicators are looked for by default: OCSF's addresses, hosts, URLs and file hashes. */
export const DEFAULT_FIELDS = [
  'src_endpoint.ip', 'dst_endpoint.ip',
  'src_endpoint.hostname', 'dst_endpoint.hostname',
  'src_endpoint.domain', 'dst_endpoint.domain',
  'url.url_string', 'url.hostname',
  'http_request.url.url_string', 'http_request.url.hostname',
  'query.hostname', 'answers[*].rdata', 'tls.sni',
  'file.hashes[*].value', 'process.file.hashes[*].value', 'actor.process.file.hashes[*].value',
];

/** A field path that may go through one list with `[*]` (`file.hashes[*].value`). */
export interface ValuePath {
  readonly text: string;
  readonly head: FieldPath;
  /** After `[*]`: the path inside each item (null: the items themselves). Absent without `[*]`. */
  readonly tail: FieldPath | null | undefined;
}

export function compileValuePath(text: string): ValuePath {
  const parts = text.split('[*]');
  if (parts.length > 2) throw new FieldPathError(`field path ${JSON.stringify(text)} has more than one [*]`, 'one list per path: file.hashes[*].value');
  const head = compileFieldPath(parts[0]!);
  if (parts.length === 1) return { text, head, tail: undefined };
  const rest = parts[1]!;
  if (rest !== '' && rest[0] !== '.') throw new FieldPathError(`expected "." after [*] in ${JSON.stringify(text)}`);
  return { text, head, tail: rest === '' ? null : compileFieldPath(rest) };
}

const valuePath = () => s.custom<ValuePath>('a field path', (v: unknown, path: Path, ctx: CheckContext) => {
  if (typeof v !== 'string') { ctx.issues.push({ path, message: `expected a field path, found ${describe(v)}`, at: 'value' }); return undefined; }
  try { return compileValuePath(v); } catch (e) {
    if (e instanceof FieldPathError) { ctx.issues.push({ path, message: e.message, hint: e.hint, at: 'value' }); return undefined; }
    throw e;
  }
}, { type: 'string' });

const FEED_NAME = /^[A-Za-z0-9_.:-]+$/;

/** `feeds:` as a map (name -> feed) or a list of feeds with `name`; checked like any object option. */
const feedsField = () => s.custom<FeedConfig[]>('a map of feeds (name: {path or url, format, ...}) or a list of them with `name`', (v: unknown, path: Path, ctx: CheckContext) => {
  const out: FeedConfig[] = [];
  const one = (x: unknown, at: Path, key: string | null) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) { ctx.issues.push({ path: at, message: `expected a feed (a map with path or url), found ${describe(x)}`, at: 'value' }); return; }
    const before = ctx.issues.length;
    const r = feedObject.parse(x, at, ctx);
    if (!r || ctx.issues.length > before) return;
    const name = r.name ?? key;
    if (!name) { ctx.issues.push({ path: at, message: 'missing required field `name`', hint: 'in a list, each feed needs a name (or write feeds as a map: name: {...})', at: 'key' }); return; }
    if (key !== null && !FEED_NAME.test(key)) { ctx.issues.push({ path: at, message: `invalid feed name ${JSON.stringify(key)}`, hint: 'letters, digits, `_`, `.`, `:` and `-`', at: 'key' }); return; }
    if ((r.path === undefined) === (r.url === undefined)) { ctx.issues.push({ path: at, message: r.path ? 'set either `path` or `url`, not both' : 'set `path` (a file) or `url`', at: 'key' }); return; }
    if (r.csv && r.format !== 'csv') { ctx.issues.push({ path: [...at, 'csv'], message: '`csv` options apply to `format: csv` only', at: 'key' }); return; }
    if (r.misp && r.format !== 'misp') { ctx.issues.push({ path: [...at, 'misp'], message: '`misp` options apply to `format: misp` only', at: 'key' }); return; }
    if (out.some((f) => f.name === name)) { ctx.issues.push({ path: at, message: `two feeds named ${JSON.stringify(name)}`, at: 'key' }); return; }
    out.push({ ...r, name });
  };
  if (Array.isArray(v)) v.forEach((x, i) => one(x, [...path, i], null));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) one(x, [...path, k], k);
  else { ctx.issues.push({ path, message: `expected a map or list of feeds, found ${describe(v)}`, at: 'value' }); return undefined; }
  if (out.length === 0 && ctx.issues.length === 0) ctx.issues.push({ path, message: 'no feeds', hint: 'feeds: { blocklist: { path: feeds/ips.txt } }', at: 'value' });
  return out;
}, { anyOf: [{ type: 'object', additionalProperties: feedObject.jsonSchema() }, { type: 'array', items: feedObject.jsonSchema() }] });

export const config = s.object({
  feeds: feedsField().required().desc('The indicator feeds: a map of name -> feed, or a list of feeds with `name`. Each feed\'s options are under Feed options above.')
    .example({ feodo: { url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.txt', refresh_interval: '15m' } }),
  fields: s.list(valuePath()).default(DEFAULT_FIELDS as unknown as ValuePath[]).desc('Event fields whose values are looked up; each value\'s type (IP, domain, URL, hash) is inferred from it. `[*]` goes through a list (`file.hashes[*].value`). The default covers OCSF endpoints, URLs, DNS queries and answers, TLS SNI and file hashes.'),
  observables: s.bool().default(true).desc('Also look up the values of the event\'s OCSF `observables` list (name, type_id, value); a typed observable is only looked up as its type (an IP Address observable as an IP).'),
  route: s.enum('copy', 'divert', 'none').default('copy').desc('Matched events: `copy` sends a copy to `<id>.matches` and the event continues on the default output; `divert` sends the event to `<id>.matches` only; `none` keeps them on the default output.'),
});

export type ThreatIntelConfig = Infer<typeof config>;

// ---------------------------------------------------------------------------------------------
// Runtime

export interface ThreatIntelRuntime extends TransformRuntime {
  /**
   * Load every feed and keep them fresh (the engine calls it before any source runs; a batch
   * arriving first waits for it). Rejects naming the feeds that could not be loaded; a later
   * call retries them (not within a second of the failure).
   */
  start(): Promise<void>;
  /** Reload feeds now (all, or the one named); they also reload on their interval and on file changes. */
  refresh(name?: string): Promise<void>;
  /** The indexes in use, by feed name (for tests and tools). */
  index(name: string): FeedIndex | null;
  enrichment(): EnrichmentStats;
  counters(): Record<string, number>;
  stop(): void;
}

/** How long a failed first load is remembered before a batch tries again. */
const RETRY_FIRST_LOAD_MS = 1000;
/** Distinct values looked up per event at most (an event with a 10,000-item answers list). */
const MAX_VALUES_PER_EVENT = 256;

interface Hit {
  feed: number; rec: number; indicator: string; match: string; value: string; name: string;
  /** The indicator's type (T_*) and the looked-up value's kind (K_*). */
  type: number; kind: number;
}

interface FeedState {
  cfg: FeedConfig;
  loader: FeedLoader;
  refresher: Refresher<FeedIndex> | null;
  stats: ProviderStats;
  firstFailures: number;
  logged: string;
}

export function createThreatIntel(cfg: ThreatIntelConfig, ctx: { id: string; configDir: string; log: Logger }, now: () => number = Date.now): ThreatIntelRuntime {
  const log = ctx.log;
  const stats = new EnrichmentStats();
  const feeds: FeedState[] = cfg.feeds.map((f) => ({ cfg: f, loader: new FeedLoader(f, ctx.configDir, now), refresher: null, stats: stats.provider(f.name), firstFailures: 0, logged: '' }));
  /** The indexes in use, one per feed: each reload replaces its slot with one assignment. */
  const indexes: (FeedIndex | null)[] = feeds.map(() => null);
  // Fields grouped by their first name, in config order within a group: an event without
  // `http_request` skips both http_request paths with one property read (the default list has 16
  // paths under 10 names; measured ~100 ns an event saved on network events).
  const roots: { name: string; fields: ValuePath[] }[] = [];
  for (const f of cfg.fields) {
    const name = f.head.segments[0] as string;
    const g = roots.find((r) => r.name === name);
    if (g) g.fields.push(f); else roots.push({ name, fields: [f] });
  }
  const useObservables = cfg.observables;
  const route = cfg.route;
  const reps = feeds.map((f) => REPUTATION[f.cfg.reputation]!);
  /** OCSF enrichment `src_url` (recommended): where a URL feed comes from. */
  const srcUrls = feeds.map((f) => (f.cfg.url ? displayUrl(f.cfg.url) : undefined));
  let starting: Promise<void> | null = null;
  let failure: Error | null = null;
  let failedAt = 0;
  let stopped = false;
  let ready = false;
  let matchedEvents = 0, notAList = 0;

  const logLoad = (i: number, idx: FeedIndex, ms: number) => {
    const f = feeds[i]!;
    const r = idx.report;
    log.info(`threat intel feed ${f.cfg.name}: ${r.indicators} indicators`, { ...r.byType, ms: Math.round(ms) });
    const summary = [...r.reasons].filter(([k]) => !k.startsWith('skipped')).map(([k, v]) => `${k} (${v.count})`).join('; ');
    // Logged when it changes, not on every reload of the same feed.
    if (summary && summary !== f.logged) {
      log.warn(`threat intel feed ${f.cfg.name}: entries left out: ${summary}`, Object.fromEntries([...r.reasons].map(([k, v]) => [k, v.example])));
    }
    f.logged = summary;
  };

  const startFeed = async (i: number): Promise<void> => {
    const f = feeds[i]!;
    if (f.refresher) return;
    await f.loader.prepare();
    const r = new Refresher<FeedIndex>({
      name: `threat intel feed ${f.cfg.name}`,
      log,
      intervalMs: f.cfg.refresh_interval,
      watchFile: f.loader.watchFile,
      load: () => f.loader.load(),
      onSwap: (next) => { indexes[i] = next; logLoad(i, next, r.stats.lastLoadMs ?? 0); },
    });
    try { await r.start(); } catch (e) {
      r.stop();
      f.firstFailures++;
      throw new Error(`threat intel feed ${f.cfg.name} could not be loaded: ${(e as Error).message}`);
    }
    if (stopped) { r.stop(); return; }
    f.refresher = r;
  };

  const start = (): Promise<void> => {
    if (ready) return Promise.resolve();
    if (starting) return starting;
    if (failure && now() - failedAt < RETRY_FIRST_LOAD_MS) return Promise.reject(failure);
    starting = Promise.allSettled(feeds.map((_, i) => startFeed(i))).then((rs) => {
      const bad = rs.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad.length) {
        failedAt = now();
        failure = new Error(bad.map((b) => (b.reason as Error).message).join('; '));
        throw failure;
      }
      failure = null;
      ready = true;
    }).finally(() => { starting = null; });
    return starting;
  };

  // ---- matching ------------------------------------------------------------------------------
  // Per-event state lives in these locals of the closure, not in objects: an event without a hit
  // allocates nothing here but a URL's key.
  let hits: Hit[] = [];
  const seen: string[] = [];
  let seenN = 0;
  let t = 0;
  let lookups = 0, skipped = 0;
  const hitCount = new Float64Array(feeds.length);
  let valueKind = K_NONE;

  /**
   * The most specific live domain indicator of `idx` for the domain scanned into `dom` (a value,
   * or a URL's host), or -1; `probeAt` is where the matching parent starts in `s`.
   */
  let probeAt = 0;
  const findDomain = (idx: FeedIndex, s: string): number => {
    const mask = idx.domainLabels;
    if (mask === 0) return -1;
    const end = dom.end;
    for (let k = dom.labels; k >= 2; k--) {
      if (!(mask & (1 << (k > 31 ? 31 : k)))) continue;
      const at = dom.start[k]!;
      const rec = idx.findHashed(dom.hash[k]!, s, at, end, true, k >= dom.wideAt, t);
      if (rec >= 0) { probeAt = at; return rec; }
    }
    return -1;
  };

  const addHit = (fi: number, rec: number, indicator: string, match: string, value: string, name: string) => {
    hits.push({ feed: fi, rec, indicator, match, value, name, type: indexes[fi]!.type[rec]!, kind: valueKind });
    hitCount[fi]!++;
  };

  /** Look one value up in every feed; `name` names the field (hits only). */
  const check = (v: string, name: string, allow: number) => {
    for (let i = 0; i < seenN; i++) if (seen[i] === v) return;
    if (seenN >= MAX_VALUES_PER_EVENT) return;
    seen[seenN++] = v;
    const kind = classify(v, allow);
    if (kind === K_NONE) { skipped++; return; }
    lookups++;
    valueKind = kind;
    const n = indexes.length;
    switch (kind) {
      case K_V4: {
        const ip = scratch.n;
        for (let fi = 0; fi < n; fi++) {
          const idx = indexes[fi]!;
          if (!idx.hasV4) continue;
          const rec = idx.findV4(ip, t);
          if (rec >= 0) addHit(fi, rec, idx.indicatorText(rec, formatV4(ip)), idx.type[rec] === T_CIDR ? 'cidr' : 'exact', v, name);
        }
        return;
      }
      case K_V6: {
        const hex = scratch.hex;
        for (let fi = 0; fi < n; fi++) {
          const idx = indexes[fi]!;
          if (!idx.hasV6) continue;
          const rec = idx.findV6(hex, t);
          if (rec >= 0) addHit(fi, rec, idx.indicatorText(rec, formatV6Hex(hex)), idx.type[rec] === T_CIDR ? 'cidr' : 'exact', v, name);
        }
        return;
      }
      case K_HASH: {
        const h = hashKey(v, 0, v.length);
        for (let fi = 0; fi < n; fi++) {
          const idx = indexes[fi]!;
          const rec = idx.findHashed(h, v, 0, v.length, true, false, t);
          if (rec >= 0) addHit(fi, rec, v.toLowerCase(), 'exact', v, name);
        }
        return;
      }
      case K_DOMAIN: {
        for (let fi = 0; fi < n; fi++) {
          const idx = indexes[fi]!;
          const rec = findDomain(idx, v);
          if (rec >= 0) addHit(fi, rec, v.slice(probeAt, dom.end).toLowerCase(), probeAt === 0 ? 'exact' : 'parent_domain', v, name);
        }
        return;
      }
      case K_URL: return checkUrl(v, name);
    }
  };

  /** A URL: the URL itself, then without its query, then its host (as an address or a domain). */
  const checkUrl = (v: string, name: string) => {
    const key = urlKey(v);
    if (key === null) return;
    const q = urlHost.query;
    const hostEnd = urlHost.end;
    const h = hashKey(key, 0, key.length);
    const hq = q >= 0 ? hashKey(key, 0, q) : 0;
    const wide = hasWide(key, 0, key.length);
    const wideQ = wide && q >= 0 && hasWide(key, 0, q);
    let hostKind = -1; // -1: not classified yet
    let hostN = 0, hostHex = '';
    const n = indexes.length;
    for (let fi = 0; fi < n; fi++) {
      const idx = indexes[fi]!;
      if (idx.hasUrls) {
        let rec = idx.findHashed(h, key, 0, key.length, false, wide, t);
        if (rec >= 0) { addHit(fi, rec, key, 'exact', v, name); continue; }
        if (q >= 0) {
          rec = idx.findHashed(hq, key, 0, q, false, wideQ, t);
          if (rec >= 0) { addHit(fi, rec, key.slice(0, q), 'url_without_query', v, name); continue; }
        }
      }
      if (hostKind === -1) {
        const host = unbracket(key.slice(0, hostEnd));
        const ip = parseIp(host);
        if (ip) { if (ip.v === 4) { hostKind = K_V4; hostN = ip.n; } else { hostKind = K_V6; hostHex = ip.hex; } }
        else hostKind = scanDomain(key, 0, hostEnd) ? K_DOMAIN : K_NONE;
      }
      let rec = -1, ind = '';
      if (hostKind === K_V4 && idx.hasV4) { rec = idx.findV4(hostN, t); if (rec >= 0) ind = idx.indicatorText(rec, formatV4(hostN)); }
      else if (hostKind === K_V6 && idx.hasV6) { rec = idx.findV6(hostHex, t); if (rec >= 0) ind = idx.indicatorText(rec, formatV6Hex(hostHex)); }
      else if (hostKind === K_DOMAIN) { rec = findDomain(idx, key); if (rec >= 0) ind = key.slice(probeAt, dom.end); }
      if (rec >= 0) addHit(fi, rec, ind, 'url_host', v, name);
    }
  };

  const checkField = (e: Event, f: ValuePath) => {
    const x = f.head.get(e);
    if (x === undefined || x === null) return;
    if (f.tail === undefined) {
      if (typeof x === 'string') check(x, f.text, ALLOW_ALL);
      return;
    }
    if (!Array.isArray(x)) return;
    for (let j = 0; j < x.length; j++) {
      const item: unknown = f.tail === null ? x[j] : (x[j] !== null && typeof x[j] === 'object' ? f.tail.get(x[j] as Event) : undefined);
      if (typeof item === 'string') check(item, itemName(f, j), ALLOW_ALL);
    }
  };

  const itemName = (f: ValuePath, j: number) => {
    const star = f.text.indexOf('[*]');
    return `${f.text.slice(0, star)}[${j}]${f.text.slice(star + 3)}`;
  };

  const checkObservables = (e: Event) => {
    const obs = e['observables'];
    if (!Array.isArray(obs)) return;
    for (let j = 0; j < obs.length; j++) {
      const o = obs[j] as Record<string, unknown> | null;
      if (o === null || typeof o !== 'object') continue;
      const v = o['value'];
      if (typeof v !== 'string') continue;
      const allow = allowForObservableType(o['type_id']);
      if (allow === 0) continue;
      const nm = o['name'];
      check(v, typeof nm === 'string' && nm ? nm : `observables[${j}]`, allow);
    }
  };

  // ---- writing hits ----------------------------------------------------------------------------

  const details = (h: Hit): { data: Record<string, unknown>; reputation: Record<string, unknown> } => {
    const idx = indexes[h.feed]!;
    const fc = feeds[h.feed]!.cfg;
    const rec = h.rec;
    const data: Record<string, unknown> = { indicator: h.indicator, indicator_type: TYPE_NAMES[h.type], feed: fc.name, match: h.match };
    const c = idx.confidence !== null && idx.confidence[rec] !== 255 ? idx.confidence[rec] : fc.confidence;
    if (c !== undefined) data.confidence = c;
    const sev = idx.severity !== null && idx.severity[rec]! >= 0 ? idx.strings[idx.severity[rec]!] : fc.severity;
    if (sev !== undefined) data.severity = sev;
    const desc = idx.description !== null && idx.description[rec]! >= 0 ? idx.strings[idx.description[rec]!] : fc.description;
    if (desc !== undefined) data.description = desc;
    const tags = idx.tags !== null && idx.tags[rec]! >= 0 ? idx.tagSets[idx.tags[rec]!] : fc.tags;
    if (tags !== undefined && tags.length) data.tags = [...tags];
    const time = (col: Float64Array | null, key: string) => { if (col !== null && col[rec] === col[rec]) data[key] = col[rec]; };
    time(idx.firstSeen, 'first_seen');
    time(idx.lastSeen, 'last_seen');
    time(idx.validFrom, 'valid_from');
    time(idx.expires, 'expires');
    const rep = reps[h.feed]!;
    return { data, reputation: { base_score: c ?? 100, score_id: rep.id, score: rep.caption, provider: fc.name } };
  };

  const stronger = (a: Record<string, unknown>, b: unknown): boolean => {
    if (b === null || typeof b !== 'object') return true;
    const r = b as Record<string, unknown>;
    const ai = a.score_id as number, bi = typeof r.score_id === 'number' ? r.score_id : -1;
    return ai > bi || (ai === bi && (a.base_score as number) > (typeof r.base_score === 'number' ? r.base_score : -1));
  };

  const apply = (e: Event) => {
    const list = enrichmentsOf(e);
    if (list === null) notAList++;
    let obs = e['observables'];
    if (obs === undefined || obs === null) obs = null;
    else if (!Array.isArray(obs)) obs = undefined; // not ours to touch
    for (let i = 0; i < hits.length; i++) {
      const h = hits[i]!;
      const { data, reputation } = details(h);
      if (list) {
        const entry: Record<string, unknown> = { name: h.name, value: h.value, type: 'threat_intel', provider: feeds[h.feed]!.cfg.name, created_time: t, data, reputation };
        const src = srcUrls[h.feed];
        if (src !== undefined) entry.src_url = src;
        (list as unknown[]).push(entry);
      }
      if (obs === undefined) continue;
      let found = false;
      if (obs !== null) {
        for (const o of obs as unknown[]) {
          if (o === null || typeof o !== 'object' || (o as Record<string, unknown>).value !== h.value) continue;
          // Same value, but only an observable of a type that could hold this kind of value.
          if (!(allowForObservableType((o as Record<string, unknown>).type_id) & (1 << h.kind))) continue;
          found = true;
          if (stronger(reputation, (o as Record<string, unknown>).reputation)) (o as Record<string, unknown>).reputation = { ...reputation };
        }
      }
      if (!found) {
        if (obs === null) e['observables'] = obs = [];
        (obs as unknown[]).push({ name: h.name, type_id: h.kind === K_URL ? 6 : OBSERVABLE_TYPE[h.type], value: h.value, reputation: { ...reputation } });
      }
    }
  };

  const run = (events: Event[], out: TransformOutput) => {
    t = now();
    const t0 = performance.now();
    lookups = 0; skipped = 0;
    hitCount.fill(0);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      seenN = 0;
      for (let r = 0; r < roots.length; r++) {
        const g = roots[r]!;
        const x = e[g.name];
        if (x === undefined || x === null) continue;
        for (let j = 0; j < g.fields.length; j++) checkField(e, g.fields[j]!);
      }
      if (useObservables) checkObservables(e);
      if (hits.length === 0) { out.push(e); continue; }
      apply(e);
      hits = [];
      matchedEvents++;
      if (route === 'copy') { out.push(e); out.emit('matches', cloneValue(e)); }
      else if (route === 'divert') out.emit('matches', e);
      else out.push(e);
    }
    // One clock pair per batch; each feed's latency is the batch's mean per lookup (decision 0018).
    const per = lookups ? (performance.now() - t0) / 1000 / lookups : 0;
    for (let fi = 0; fi < feeds.length; fi++) {
      const p = feeds[fi]!.stats;
      p.hits += hitCount[fi]!;
      p.misses += lookups - hitCount[fi]!;
      p.skipped += skipped;
      if (lookups) p.latency.observe(per, lookups);
    }
    // Drop the references to this batch's values.
    seen.length = 0;
    seenN = 0;
  };

  return {
    start,
    async refresh(name?: string) {
      await start();
      await Promise.all(feeds.filter((f) => name === undefined || f.cfg.name === name).map((f) => f.refresher?.refresh()));
    },
    index: (name) => { const i = feeds.findIndex((f) => f.cfg.name === name); return i < 0 ? null : indexes[i]!; },
    process(events, out) {
      if (ready) return run(events, out);
      return start().then(() => run(events, out));
    },
    enrichment() {
      for (const f of feeds) f.stats.failures = f.firstFailures + (f.refresher?.stats.failures ?? 0);
      return stats;
    },
    counters() {
      const c: Record<string, number> = { 'threat_intel_events.matched': matchedEvents, 'threat_intel_events.enrichments_not_a_list': notAList };
      feeds.forEach((f, i) => {
        const r: LoadReport | undefined = indexes[i]?.report;
        const n = f.cfg.name;
        c[`threat_intel_indicators.${n}`] = r?.indicators ?? 0;
        c[`threat_intel_invalid.${n}`] = r?.invalid ?? 0;
        c[`threat_intel_unsupported.${n}`] = r?.unsupported ?? 0;
        c[`threat_intel_skipped.${n}`] = r?.skipped ?? 0;
        c[`threat_intel_expired_at_load.${n}`] = r?.expired ?? 0;
        c[`threat_intel_loads.${n}`] = f.refresher?.stats.loads ?? 0;
        c[`threat_intel_reload_failures.${n}`] = f.firstFailures + (f.refresher?.stats.failures ?? 0);
      });
      return c;
    },
    stop() {
      stopped = true;
      for (const f of feeds) f.refresher?.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Definition

/** The feed options as a table for the reference page (the option table lists `feeds` as one entry). */
function feedOptionRows(shape: Shape, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [k, f] of Object.entries(shape) as [string, Field<unknown>][]) {
    const def = f.meta.default === undefined ? '' : `\`${JSON.stringify(f.meta.default)}\``;
    rows.push(`| \`${prefix}${k}\` | ${f.typeName.replace(/\|/g, '\\|')} | ${def} | ${(f.meta.description ?? '').replace(/\|/g, '\\|')} |`);
    if (f instanceof ObjectField) rows.push(...feedOptionRows(f.shape as Shape, `${prefix}${k}.`));
  }
  return rows;
}

export default defineComponent({
  type: 'threat_intel',
  kind: 'transform',
  status: 'beta',
  summary: 'Match event IPs, domains, URLs and file hashes against indicator feeds (lists, CSV, STIX 2.1, MISP); hits become OCSF enrichments and reputations.',
  description: [
    'Each event\'s values (the `fields`, and the `observables` list) are looked up in every feed. Their type is inferred:',
    'an IPv4 or IPv6 address matches an indicator address or any network (CIDR) containing it (the innermost one',
    'of a feed); a domain matches the domain and its parents (`a.evil.example` hits an indicator `evil.example`;',
    'case and a trailing dot do not matter); a URL matches after normalisation (lower-case host, no scheme, user',
    'info, default port or fragment), then without its query string, then by its host as an address or domain;',
    'an MD5, SHA-1 or SHA-256 hash matches in any case. Indicators past their expiry (`valid_until`, an expires',
    'column, or `max_age`) stop matching; STIX indicators match from their `valid_from`.',
    '',
    'A hit appends an OCSF enrichment entry and gives the observable with that value a `reputation` (adding an',
    'observable named after the field when the event has none), so OCSF consumers see it where they look:',
    '',
    '```json',
    '{ "enrichments": [ { "name": "dst_endpoint.ip", "value": "198.51.100.23", "type": "threat_intel", "provider": "feodo",',
    '    "created_time": 1732356000000,',
    '    "data": { "indicator": "198.51.100.0/24", "indicator_type": "cidr", "feed": "feodo", "match": "cidr",',
    '              "confidence": 90, "description": "Feodo C2", "tags": ["botnet"] },',
    '    "reputation": { "base_score": 90, "score_id": 10, "score": "Malicious", "provider": "feodo" } } ],',
    '  "observables": [ { "name": "dst_endpoint.ip", "type_id": 2, "value": "198.51.100.23",',
    '    "reputation": { "base_score": 90, "score_id": 10, "score": "Malicious", "provider": "feodo" } } ] }',
    '```',
    '',
    '`data.match` says how: `exact`, `cidr`, `parent_domain`, `url_without_query` or `url_host`. With `route: copy`',
    '(the default) each matched event is also copied to `<id>.matches`.',
    '',
    'Feeds load into memory when the pipeline starts, before any source runs; a feed that cannot be loaded stops',
    'the pipeline from starting (or a reload from applying), naming the feed and why. Afterwards they reload off',
    'the event path: a file when it changes (and every `refresh_interval`), a URL every `refresh_interval` with',
    'If-None-Match / If-Modified-Since, so an unchanged feed costs one 304. The new indicators',
    'replace the old in one step once loaded; a failed reload, or one that finds no indicator at all (an error',
    'page, a wrong format), keeps the indicators loaded before and is logged and counted. Entries that are not',
    'indicators are counted per feed (`threat_intel_invalid`, `threat_intel_unsupported`, `threat_intel_skipped`,',
    '`threat_intel_expired_at_load`) and logged with an example. Metrics per feed:',
    '`sluice_enrichment_lookups_total{provider, result}` (hit, miss, skipped: no IP, domain, URL or hash;',
    'failure: reload failures) and `sluice_enrichment_latency_seconds`.',
    '',
    'Formats: `list`: one indicator per line, the first word of it (`#`, `;` and `//` lines are comments; hosts-file',
    'lines `0.0.0.0 evil.example` give the domain). `csv`: a value column, a type column or a fixed `type`, and',
    'optional first_seen, last_seen, expires, confidence, severity, description and tags columns. `stix`: STIX 2.1',
    'indicators whose pattern is one or more comparisons joined by OR on `ipv4-addr:value`, `ipv6-addr:value`,',
    '`domain-name:value`, `url:value`, `file:hashes.MD5` / `\'SHA-1\'` / `\'SHA-256\'` or',
    '`network-traffic:src_ref.value` / `dst_ref.value` (with `=`, `IN` or, for addresses, `ISSUBSET`); revoked',
    'indicators are skipped and other patterns (AND, FOLLOWEDBY, qualifiers, other objects or pattern types) are',
    'counted as unsupported. `misp`: a MISP feed (the `manifest.json` of a feed directory or URL, and its event',
    `files), an event, or an attribute list; attribute types ${MISP_TYPES.map((x) => `\`${x}\``).join(', ')};`,
    'deleted attributes, and with `misp.to_ids_only` attributes not flagged `to_ids`, are skipped.',
    '',
    '### Feed options',
    '',
    '| option | type | default | description |',
    '| --- | --- | --- | --- |',
    ...feedOptionRows(feedShape as unknown as Shape),
  ].join('\n'),
  outputs: [{ name: 'matches', description: 'Events with at least one hit: a copy (`route: copy`) or the event itself (`route: divert`).' }],
  config,
  build: (cfg, ctx) => {
    if (cfg.feeds.length === 0) throw new ComponentConfigError('no feeds', ['feeds']);
    return createThreatIntel(cfg, ctx);
  },
});
