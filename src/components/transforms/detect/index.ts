/**
 * `detect`: runs Sigma rules on every event as it flows. Events pass on unchanged; each match
 * becomes an OCSF Detection Finding on `<id>.alerts`. Rules load from files, folders and globs,
 * go through processing pipelines (field names per source), compile once, and reload when their
 * files change; a broken rule is logged with file:line:col and skipped.
 */
import { readFileSync } from 'node:fs';
import { ComponentConfigError, defineComponent, type Logger, type TransformOutput, type TransformRuntime } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { s, type Infer } from '../../../core/schema.js';
import { toTime } from '../../../ocsf/map-kit.js';
import { loadSchema } from '../../../ocsf/schema.js';
import { derive } from '../../../ocsf/validate.js';
import { correlationAlert, ruleAlert } from '../../../sigma/alert.js';
import { loadPipeline } from '../../../sigma/builtin-pipelines.js';
import { readPath } from '../../../sigma/compile.js';
import type { CorrelationAlert } from '../../../sigma/correlation.js';
import type { EngineRule } from '../../../sigma/engine.js';
import { PipelineError, formatProblem, type Pipeline } from '../../../sigma/pipeline.js';
import type { Place } from '../../../sigma/types.js';
import { currentFingerprint, formatRuleError, loadRuleSet, RulePathError, type RuleSet } from '../../../sigma/ruleset.js';

const version = (JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const config = s.object({
  rules: s.list(s.string(), true).required().desc('Sigma rule files, folders (every .yml/.yaml below) and globs, relative to the config file.').example(['rules/', 'extra/*.yml']),
  pipelines: s.list(s.string(), true).default([]).desc('Processing pipelines, applied in priority order: built-ins (`windows`, `ocsf`, `linux`, `cloud`) or pySigma-style pipeline files. They map Sigma field names to your events\' and add the logsource conditions (e.g. `process_creation` = Sysmon 1 or Security 4688).'),
  placeholders: s.map(s.list(s.string(), true)).default({}).desc('Values for `|expand` placeholders (`%Admins%: [alice, bob]`). A rule using a placeholder not listed here matches nothing with it (and is reported once).'),
  unscoped_rules: s.enum('skip', 'run').default('skip').desc('With `pipelines`: what to do with a rule none of them scopes to its log source (adds no condition for it). `skip`: log it and leave it out, because it would be tested on every event (a Zeek rule built on `not` matches every Windows event). `run`: run it anyway (a pipeline that only renames fields, on a stream of one source).'),
  reload_interval: s.duration().default('5s').desc('How often rule files are checked for changes; changed rules are reloaded without a restart. `0s`: never.'),
  time_field: s.string().default('').desc('Event time for alerts and correlation windows (epoch ms or ISO 8601). Empty: `time` (OCSF), then `@timestamp`, then `timestamp`, else when the event is processed.'),
  include_event: s.bool().default(true).desc('Put the matched event in the alert (`evidences[0].data.event`).'),
  suppress: s.object({
    by: s.list(s.string(), true).required().desc('Fields whose values make an alert a duplicate (with the rule).').example(['src_endpoint.ip', 'user.name']),
    window: s.duration().required().desc('How long a duplicate is suppressed after the first alert.'),
  }).desc('Drop repeated alerts of one rule for the same field values within a window (counted as `sigma_suppressed`).'),
  rate_limit: s.object({
    alerts: s.int(1).required().desc('Alerts per rule per `per`.'),
    per: s.duration().default('1m').desc('The window.'),
  }).desc('At most this many alerts per rule per window; the rest are counted (`sigma_rate_limited`) and dropped, and logged once per window.'),
  correlation: s.object({
    max_groups_per_rule: s.int(1).default(10_000).desc('Groups (group-by values) kept per correlation rule; the least recently matched is evicted.'),
    max_values_per_group: s.int(1).default(1_000).desc('Distinct values, samples or time slots kept per group.'),
    max_events_per_alert: s.int(1).default(10).desc('Matched events a correlation alert carries.'),
  }).default({ max_groups_per_rule: 10_000, max_values_per_group: 1_000, max_events_per_alert: 10 }).desc('Bounds of correlation state.'),
});

type DetectConfig = Infer<typeof config>;

const SUPPRESS_MAX_KEYS = 100_000;

interface Loaded { set: RuleSet; fingerprint: string }

const PLACEHOLDER_NAME = /^[A-Za-z0-9_.-]+$/;

/** The `%name%` placeholders of an `expand` value, read as modifiers.ts reads them (`\%` is a percent sign). */
function placeholdersIn(v: string, out: Set<string>): void {
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '*' || n === '?' || n === '\\' || n === '%') i++;
      continue;
    }
    if (c !== '%') continue;
    const close = v.indexOf('%', i + 1);
    const name = close < 0 ? '' : v.slice(i + 1, close);
    if (PLACEHOLDER_NAME.test(name)) { out.add(name); i = close; }
  }
}

/**
 * Rules using placeholders the configuration does not list (they compile with those values
 * matching nothing): one line per rule, at the first such item.
 */
function unknownPlaceholderWarnings(set: RuleSet, known: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const { rule } of set.engine.rules) {
    const missing = new Set<string>();
    let at: Place | undefined;
    for (const search of [...Object.values(rule.detection), ...rule.conditions.map((c) => c.search)]) {
      for (const group of search.groups) {
        for (const item of group) {
          if (!item.modifiers.includes('expand')) continue;
          const names = new Set<string>();
          for (const v of item.values) if (typeof v === 'string') placeholdersIn(v, names);
          for (const n of names) {
            if (Object.hasOwn(known, n)) continue;
            missing.add(n);
            at ??= item.place;
          }
        }
      }
    }
    if (missing.size === 0) continue;
    const where = at ?? rule.place;
    const list = [...missing].map((n) => `%${n}%`).join(', ');
    out.push(`${where.file}:${where.line}:${where.col}: ${list} ${missing.size > 1 ? 'are' : 'is'} not in the placeholders option, so ${missing.size > 1 ? 'those values match' : 'that value matches'} nothing (${rule.id ?? rule.title}); list ${missing.size > 1 ? 'them' : 'it'} under placeholders, or write \\% for a literal percent sign`);
  }
  return out;
}

function eventTime(e: Event, field: string, now: number): number {
  if (field !== '') return toTime(readPath(e, field)) ?? now;
  return toTime(e.time) ?? toTime(e['@timestamp']) ?? toTime(e.timestamp) ?? now;
}

export function createDetect(cfg: DetectConfig, configDir: string, log: Logger, now: () => number = Date.now): TransformRuntime & { readonly set: RuleSet } {
  let pipelines: Pipeline[];
  try {
    pipelines = cfg.pipelines.map(loadPipeline);
  } catch (e) {
    if (e instanceof PipelineError) throw new ComponentConfigError(`bad processing pipeline:\n${e.problems.map(formatProblem).join('\n')}`, ['pipelines']);
    throw e;
  }
  const opts = {
    cwd: configDir,
    pipelines,
    placeholders: cfg.placeholders,
    unknownPlaceholders: 'match-nothing' as const,
    unscoped: cfg.unscoped_rules,
    correlation: {
      maxGroupsPerRule: cfg.correlation.max_groups_per_rule,
      maxValuesPerGroup: cfg.correlation.max_values_per_group,
      maxEventsPerAlert: cfg.correlation.max_events_per_alert,
      // The transform's clock: it dates events without a time and bounds how far ahead one may be.
      now,
    },
  };
  const load = (): Loaded => {
    const fingerprint = currentFingerprint(cfg.rules, configDir);
    const set = loadRuleSet(cfg.rules, opts);
    for (const err of set.errors) log.warn(`rule skipped: ${formatRuleError(err)}`);
    for (const w of unknownPlaceholderWarnings(set, cfg.placeholders)) log.warn(`rule placeholder: ${w}`);
    return { set, fingerprint };
  };
  let cur: Loaded;
  try { cur = load(); } catch (e) {
    if (e instanceof RulePathError) throw new ComponentConfigError(e.message, ['rules'], 'give rule files, folders or globs that exist (relative paths start at the config file\'s directory)');
    throw e;
  }
  log.info(`loaded ${cur.set.engine.rules.length} Sigma rules and ${cur.set.compiledCorrelations.length} correlations from ${cur.set.files.length} files${cur.set.errors.length ? `; ${cur.set.errors.length} skipped (logged above)` : ''}`);

  // Alerts carry OCSF's derived fields (class_name, category_uid, type_uid, severity...) like
  // every normalized event, so a SIEM query on them works the same.
  const schema = loadSchema();
  const counts = new Map<string, number>();
  const count = (k: string, n = 1) => counts.set(k, (counts.get(k) ?? 0) + n);
  const suppressed = new Map<string, number>(); // rule + values -> until
  const rates = new Map<string, { start: number; n: number; logged: boolean }>();
  const matches: EngineRule[] = [];
  let nextCheck = now() + cfg.reload_interval;

  const reloadIfChanged = () => {
    const t = now();
    if (cfg.reload_interval <= 0 || t < nextCheck) return;
    nextCheck = t + cfg.reload_interval;
    const fp = currentFingerprint(cfg.rules, configDir);
    if (fp === cur.fingerprint) return;
    try {
      const next = load();
      cur = next;
      count('sigma_reloads');
      log.info(`rules changed: reloaded ${next.set.engine.rules.length} rules and ${next.set.compiledCorrelations.length} correlations${next.set.errors.length ? `; ${next.set.errors.length} skipped` : ''} (correlation windows start over)`);
    } catch (e) {
      // A rules folder that went away: keep running the rules we have.
      cur.fingerprint = fp;
      log.error(`rules changed but could not be reloaded (${(e as Error).message}); still running the previous ${cur.set.engine.rules.length} rules`);
    }
  };

  /** Whether this alert may go out (suppression and rate limit), counting what is held back. */
  const admit = (ruleKey: string, e: Event | undefined, t: number): boolean => {
    if (cfg.suppress && e !== undefined) {
      const key = `${ruleKey}\u0000${cfg.suppress.by.map((f) => JSON.stringify(readPath(e, f)) ?? '').join('\u0000')}`;
      const until = suppressed.get(key);
      if (until !== undefined && until > t) { count('sigma_suppressed'); return false; }
      suppressed.delete(key);
      suppressed.set(key, t + cfg.suppress.window);
      if (suppressed.size > SUPPRESS_MAX_KEYS) suppressed.delete(suppressed.keys().next().value!);
    }
    if (cfg.rate_limit) {
      let r = rates.get(ruleKey);
      if (r === undefined || t - r.start >= cfg.rate_limit.per) rates.set(ruleKey, (r = { start: t, n: 0, logged: false }));
      if (r.n >= cfg.rate_limit.alerts) {
        count('sigma_rate_limited');
        if (!r.logged) { r.logged = true; log.warn(`rule ${ruleKey}: more than ${cfg.rate_limit.alerts} alerts in ${cfg.rate_limit.per / 1000}s; holding back the rest of this window (rate_limit)`); }
        return false;
      }
      r.n++;
    }
    return true;
  };

  const emitCorrelations = (alerts: CorrelationAlert[], out: TransformOutput, t: number) => {
    for (const a of alerts) {
      const key = `correlation:${a.correlation.id ?? a.label}`;
      count('sigma_correlation_alerts');
      if (!admit(key, a.events[a.events.length - 1], t)) continue;
      const alert = correlationAlert(a, { productVersion: version, time: a.last, now: t, includeEvent: cfg.include_event });
      derive(schema, alert);
      out.emit('alerts', alert);
    }
  };

  return {
    get set() { return cur.set; },
    counters: () => {
      const o = Object.fromEntries(counts);
      o['sigma_rules.loaded'] = cur.set.engine.rules.length;
      o['sigma_rules.skipped'] = cur.set.errors.length;
      const st = cur.set.correlations.stats();
      o['sigma_correlation_groups.held'] = st.groups;
      o['sigma_correlation_groups.evicted'] = st.evicted;
      return o;
    },
    process(events: Event[], out) {
      reloadIfChanged();
      const { engine, correlations } = cur.set;
      const t = now();
      emitCorrelations(correlations.expire(t), out, t);
      const listens = correlations.referenced();
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        if (engine.match(e, matches) > 0) {
          const time = eventTime(e, cfg.time_field, t);
          for (const m of matches) {
            const r = m.rule;
            count(`sigma_matches.${r.id ?? r.title}`);
            const referenced = (r.id !== undefined && listens.has(r.id)) || (r.name !== undefined && listens.has(r.name));
            if (referenced) emitCorrelations(correlations.observe({ ruleId: r.id, ruleName: r.name, event: e, time }), out, t);
            if (referenced && correlations.suppressBaseAlert(r.id ?? r.name!, r.name)) continue;
            if (!admit(r.id ?? r.title, e, t)) continue;
            const alert = ruleAlert(r, e, { productVersion: version, time, now: t, includeEvent: cfg.include_event, plan: opts });
            derive(schema, alert);
            out.emit('alerts', alert);
          }
        }
        out.push(e);
      }
    },
    flush(out) {
      const t = now();
      emitCorrelations(cur.set.correlations.expire(t), out, t);
    },
  };
}

export default defineComponent({
  type: 'detect',
  kind: 'transform',
  status: 'beta',
  summary: 'Run Sigma rules (with correlation) on every event; matches become OCSF Detection Findings on `<id>.alerts`.',
  description: [
    'Loads Sigma rules (v2.1: every value modifier, the full condition grammar, filters and',
    'correlation rules) from `rules`, applies the processing `pipelines`, and compiles each rule',
    'once. Every event passes on unchanged on the default output; each match emits an OCSF',
    'Detection Finding (class 2004) on `<id>.alerts`: the rule id, title, level and status, ATT&CK',
    'techniques and tactics from its tags, the fields that matched, and the event. Correlation',
    'rules (event_count, value_count, temporal, temporal_ordered, value_sum, value_avg,',
    'value_percentile) count base-rule matches per group over sliding windows with bounded state;',
    'a correlation alert carries the group, the value and the matched events.',
    '',
    'Rules are indexed by the logsource conditions the pipelines add and by the substrings they',
    'need, so an event is only tested against rules that can match it. A rule that does not parse',
    'or compile is logged with file:line:col and skipped; the others run. Rule files are checked',
    'every `reload_interval` and reloaded on change (correlation windows start over then).',
    'See docs/sigma.md.',
  ].join('\n'),
  outputs: [{ name: 'alerts', description: 'OCSF Detection Findings (class 2004), one per rule match or correlation.' }],
  capabilities: { stateful: true },
  config,
  build: (cfg, ctx) => createDetect(cfg, ctx.configDir, ctx.log),
});
