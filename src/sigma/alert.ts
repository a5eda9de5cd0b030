/**
 * Alerts as OCSF Detection Findings (class 2004): one per rule match, one per correlation that
 * fires. What a responder needs is on the alert: the rule (id, title, level, status, file and
 * line), the ATT&CK techniques and tactics from its tags, the fields that matched and the event.
 */
import { randomUUID } from 'node:crypto';
import { OCSF_VERSION } from '../ocsf/map-kit.js';
import type { CorrelationAlert } from './correlation.js';
import { explain } from './interpret.js';
import type { PlanOptions } from './modifiers.js';
import type { SigmaRule } from './types.js';

type Obj = Record<string, unknown>;

/** Sigma level -> OCSF severity_id (Informational 1 .. Critical 5; Unknown 0 without a level). */
const SEVERITY: Readonly<Record<string, number>> = { informational: 1, low: 2, medium: 3, high: 4, critical: 5 };

/**
 * ATT&CK tactics by the names Sigma tags use (`attack.defense-evasion`). `stealth` and
 * `defense-impairment` (SigmaHQ tags them since ATT&CK split Defense Evasion) go out by name only:
 * the Sigma specification's tag appendix gives them no tactic id yet, and a wrong id is worse
 * than none.
 */
const TACTICS: Readonly<Record<string, [string | undefined, string]>> = {
  reconnaissance: ['TA0043', 'Reconnaissance'],
  'resource-development': ['TA0042', 'Resource Development'],
  'initial-access': ['TA0001', 'Initial Access'],
  execution: ['TA0002', 'Execution'],
  persistence: ['TA0003', 'Persistence'],
  'privilege-escalation': ['TA0004', 'Privilege Escalation'],
  'defense-evasion': ['TA0005', 'Defense Evasion'],
  'credential-access': ['TA0006', 'Credential Access'],
  discovery: ['TA0007', 'Discovery'],
  'lateral-movement': ['TA0008', 'Lateral Movement'],
  collection: ['TA0009', 'Collection'],
  'command-and-control': ['TA0011', 'Command and Control'],
  exfiltration: ['TA0010', 'Exfiltration'],
  impact: ['TA0040', 'Impact'],
  stealth: [undefined, 'Stealth'],
  'defense-impairment': [undefined, 'Defense Impairment'],
};

const TECHNIQUE = /^attack\.(t\d{4})(?:\.(\d{3}))?$/i;

/**
 * OCSF `attacks` from Sigma tags (`attack.t1059.001`, `attack.execution`); undefined without any.
 * One entry per technique and tactic: an OCSF attack holds one `tactic` (`tactics` is deprecated
 * since OCSF 1.1, and validation warns about it).
 */
export function attacksFromTags(tags: readonly string[]): Obj[] | undefined {
  const tactics: Obj[] = [];
  const techniques: Obj[] = [];
  for (const t of tags) {
    const m = TECHNIQUE.exec(t);
    if (m) {
      const tech = m[1]!.toUpperCase();
      techniques.push(m[2] ? { technique: { uid: tech }, sub_technique: { uid: `${tech}.${m[2]}` } } : { technique: { uid: tech } });
      continue;
    }
    const name = t.toLowerCase().startsWith('attack.') ? t.slice(7).toLowerCase().replace(/_/g, '-') : undefined;
    const tactic = name !== undefined ? TACTICS[name] : undefined;
    if (tactic) tactics.push(tactic[0] === undefined ? { name: tactic[1] } : { uid: tactic[0], name: tactic[1] });
  }
  if (techniques.length === 0 && tactics.length === 0) return undefined;
  if (techniques.length === 0) return tactics.map((tactic) => ({ tactic }));
  return tactics.length ? techniques.flatMap((a) => tactics.map((tactic) => ({ ...a, tactic }))) : techniques;
}

function product(version: string): Obj {
  return { name: 'Sluice', vendor_name: 'Sluice', version };
}

function ruleInfo(r: SigmaRule): Obj {
  return {
    id: r.id,
    title: r.title,
    level: r.level,
    status: r.status,
    tags: r.tags.length ? r.tags : undefined,
    logsource: r.logsource,
    file: r.file,
    line: r.place.line,
    falsepositives: r.falsepositives.length ? r.falsepositives : undefined,
  };
}

export interface AlertOptions {
  /** Sluice's version, for metadata.product. */
  productVersion: string;
  /** The event's time (ms), or when it was seen. */
  time: number;
  now: number;
  /** Put the matched event in the alert's evidence (default true). */
  includeEvent?: boolean;
  /** The placeholders the rules were compiled with: telling what matched re-reads `|expand` values. */
  plan?: PlanOptions;
}

/** A Detection Finding for a rule match. */
export function ruleAlert(rule: SigmaRule, e: Obj, o: AlertOptions): Obj {
  const id = randomUUID();
  const matched = explain(rule, e, o.plan).map((x) => ({ search: x.search, field: x.field ?? '(keywords)', path: x.path, value: x.value }));
  const url = rule.references.find((r) => /^https?:\/\//.test(r));
  return {
    class_uid: 2004,
    activity_id: 1, // Create
    severity_id: SEVERITY[rule.level ?? ''] ?? 0,
    time: o.time,
    status_id: 1, // New
    is_alert: true,
    message: rule.title,
    metadata: { version: OCSF_VERSION, product: product(o.productVersion), uid: id, log_name: 'sigma' },
    finding_info: {
      uid: id,
      title: rule.title,
      desc: rule.description,
      types: ['Sigma rule match'],
      created_time: o.now,
      src_url: url,
      analytic: { uid: rule.id, name: rule.title, type_id: 1, category: [rule.logsource.product, rule.logsource.category, rule.logsource.service].filter(Boolean).join('/') || undefined },
      attacks: attacksFromTags(rule.tags),
    },
    evidences: [{ data: o.includeEvent === false ? { matched } : { matched, event: e } }],
    unmapped: { sigma: ruleInfo(rule) },
  };
}

/** A Detection Finding for a correlation that fired. */
export function correlationAlert(a: CorrelationAlert, o: AlertOptions): Obj {
  const id = randomUUID();
  const doc = a.correlation;
  return {
    class_uid: 2004,
    activity_id: 1,
    severity_id: SEVERITY[doc.level ?? ''] ?? 0,
    time: a.last,
    start_time: a.first,
    end_time: a.last,
    count: a.eventCount,
    status_id: 1,
    is_alert: true,
    message: `${doc.title} (${a.type} ${a.value} for ${Object.entries(a.group).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'all events'})`,
    metadata: { version: OCSF_VERSION, product: product(o.productVersion), uid: id, log_name: 'sigma' },
    finding_info: {
      uid: id,
      title: doc.title,
      desc: doc.description,
      types: ['Sigma correlation'],
      created_time: o.now,
      first_seen_time: a.first,
      last_seen_time: a.last,
      analytic: { uid: doc.id, name: doc.title, type_id: 1, category: a.type },
      attacks: attacksFromTags(doc.tags),
      related_events_count: a.eventCount,
    },
    evidences: o.includeEvent === false ? undefined : a.events.map((data) => ({ data })),
    unmapped: {
      sigma: { id: doc.id, title: doc.title, level: doc.level, status: doc.status, file: doc.file, line: doc.place.line, correlation: a.type, group: a.group, value: a.value, rules: a.rules },
    },
  };
}
