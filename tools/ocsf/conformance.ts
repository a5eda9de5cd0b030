/**
 * OCSF conformance over real third-party data: runs every pack over the corpora that hold its
 * source's events and prints, per source, the events read, the valid OCSF events produced, and
 * what was dead-lettered, grouped by reason. Not a unit test (the corpora are not in the
 * repository): `npm run conformance:ocsf -- <corpora dir>`. Exits 1 when a source the pack claims
 * is below 99% valid, or when an event is neither valid nor dead-lettered with a reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Event } from '../../src/core/event.js';
import { readInput } from '../../src/ocsf/inputs.js';
import { Normalizer } from '../../src/ocsf/normalizer.js';

interface Source {
  name: string;
  pack: string;
  files: () => { name: string; text: string }[];
  unwrap?: (e: Event) => Event | null;
  /**
   * For hand-written test fixtures: whether an event has the fields every record of this source
   * has (per the vendor's documentation of the record). Fixtures trimmed to what one detection
   * rule reads are not records of the format a pack claims; they are counted apart (TRIMMED),
   * and must still be valid or dead-lettered with a reason.
   */
  complete?: (e: Event) => boolean;
  /** Whether an event is in a rendering the pack claims at all (others are NOT CLAIMED, with `otherFormat` as the reason). */
  format?: (e: Event) => boolean;
  otherFormat?: string;
}

const root = process.argv[2] ?? '../shared/corpora';
if (!existsSync(root)) { console.error(`no corpora at ${root}; pass the directory: npm run conformance:ocsf -- <dir>`); process.exit(64); }

const walk = (dir: string, test: (f: string) => boolean): string[] => {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...walk(p, test)); else if (test(f)) out.push(p);
  }
  return out;
};
const files = (dir: string, test: (f: string) => boolean) => () => walk(join(root, dir), test).map((p) => ({ name: relative(root, p), text: readFileSync(p, 'utf8') }));
const zips = (dir: string) => () => walk(join(root, dir), (f) => f.endsWith('.zip')).map((p) => ({ name: relative(root, p), text: execFileSync('unzip', ['-p', p], { maxBuffer: 1 << 30 }).toString('utf8') }));
// Panther's test files wrap each event: { "log": {...}, "rule_id": ..., ... }.
const panther = (e: Event) => (e.log !== null && typeof e.log === 'object' ? e.log as Event : null);

const has = (e: Event, ...keys: string[]) => keys.every((k) => e[k] !== undefined && e[k] !== null && e[k] !== '');
const records = (e: Event, one: (r: Event) => boolean) => (Array.isArray(e.Records) ? e.Records.every((r) => r !== null && typeof r === 'object' && one(r as Event)) : one(e));
// What every record carries, from each vendor's record reference: CloudTrail "CloudTrail record
// contents", Okta "LogEvent object", GitHub "audit log events" (action, actor and a time), and
// Kubernetes audit.k8s.io/v1 Event (auditID, verb, user and the two timestamps; sourceIPs is
// optional there but present on every API server request).
const cloudtrailRecord = (r: Event) => has(r, 'eventVersion', 'eventTime', 'eventSource', 'eventName', 'eventID', 'userIdentity', 'sourceIPAddress');
const ISO = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/;
const oktaRecord = (e: Event) => has(e, 'uuid', 'published', 'actor') && (has(e, 'eventType') || has(e, 'eventtype')) && ISO.test(String(e.published));
const githubRecord = (e: Event) => has(e, 'action', 'actor') && (has(e, '@timestamp') || has(e, 'created_at') || has(e, 'at_sign_timestamp'));
const k8sRecord = (e: Event) => e.kind !== 'Event' || has(e, 'auditID', 'verb', 'user', 'sourceIPs', 'requestReceivedTimestamp');

const sources: Source[] = [
  { name: 'AWS CloudTrail (Panther test events)', pack: 'aws_cloudtrail', files: files('panther-events/tests_by_logtype', (f) => f === 'AWS.CloudTrail.jsonl'), unwrap: panther, complete: (e) => records(e, cloudtrailRecord) },
  { name: 'Okta System Log (Panther test events)', pack: 'okta', files: files('panther-events/tests_by_logtype', (f) => f === 'Okta.SystemLog.jsonl'), unwrap: panther, complete: oktaRecord },
  { name: 'GitHub audit log (Panther test events)', pack: 'github_audit', files: files('panther-events/tests_by_logtype', (f) => f === 'GitHub.Audit.jsonl'), unwrap: panther, complete: githubRecord },
  { name: 'EKS / Kubernetes audit (Panther test events)', pack: 'k8s_audit', files: files('panther-events/tests_by_logtype', (f) => f === 'Amazon.EKS.Audit.jsonl'), unwrap: panther, complete: k8sRecord,
    // The same Panther log type also holds GKE (Cloud Audit Logs `protoPayload`) and AKS (Azure `properties`) renderings.
    format: (e) => e.kind === 'Event' || e.kind === 'EventList' || (typeof e.apiVersion === 'string' && e.apiVersion.startsWith('audit.k8s.io/')) || typeof e.logGroup === 'string',
    otherFormat: 'GKE or AKS audit rendering (protoPayload / properties), not a Kubernetes audit.k8s.io event' },
  { name: 'Zeek logs (Stratosphere)', pack: 'zeek', files: files('stratosphere-zeek', (f) => /^(conn|dns|http|ssl|ssh|notice)\.log(\.labeled)?$/.test(f)) },
  { name: 'Apache access log (Elastic examples)', pack: 'web_access', files: files('elastic-examples/Common_Data_Formats/apache_logs', (f) => f === 'apache_logs') },
  { name: 'Trivy JSON reports', pack: 'trivy', files: files('trivy', (f) => f.endsWith('.json.golden')) },
  { name: 'SARIF 2.1.0 logs', pack: 'sarif', files: files('trivy', (f) => f.endsWith('.sarif.golden')) },
  { name: 'Windows Security and Sysmon (OTRF atomic datasets)', pack: 'windows', files: zips('otrf-security-datasets/datasets/atomic/windows') },
];

const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
let failed = false;
const rows: string[][] = [['SOURCE', 'PACK', 'EVENTS', 'NOT CLAIMED', 'TRIMMED', 'OCSF EVENTS', 'VALID % (claimed)', 'DEAD-LETTERED']];
/** A pack says an event type is outside what it maps ("Security event 5156 is not mapped by the windows pack"). */
const NOT_CLAIMED = /is not mapped by the \w+ pack/;
const reasonsOut: string[] = [];

for (const src of sources) {
  let n: Normalizer;
  try { n = new Normalizer({ pack: src.pack, productVersion: version }); } catch (e) {
    rows.push([src.name, src.pack, '-', '-', '-', '-', '-', `pack not available: ${(e as Error).message}`]);
    failed = true;
    continue;
  }
  let events = 0, valid = 0, dead = 0, unexplained = 0, notClaimed = 0, trimmed = 0, trimmedDead = 0;
  const reasons = new Map<string, number>();
  for (const f of src.files()) {
    for (const item of readInput(f.text, f.name)) {
      events++;
      if (!item.ok) { dead++; reasons.set(`input: ${item.reason}`, (reasons.get(`input: ${item.reason}`) ?? 0) + 1); continue; }
      const e = src.unwrap ? src.unwrap(item.event) : item.event;
      if (!e) { dead++; reasons.set('no event in the wrapper', (reasons.get('no event in the wrapper') ?? 0) + 1); continue; }
      if (src.format !== undefined && !src.format(e)) {
        notClaimed++; dead++;
        reasons.set(`not claimed: ${src.otherFormat}`, (reasons.get(`not claimed: ${src.otherFormat}`) ?? 0) + 1);
        continue;
      }
      const outcomes = n.run(e);
      const isTrimmed = src.complete !== undefined && !src.complete(e);
      if (isTrimmed) trimmed++;
      let anyValid = false;
      for (const o of outcomes) {
        if (o.ok) { valid++; anyValid = true; continue; }
        if (!o.reason) unexplained++;
        // Group reasons without their per-event details (ids, values) so the report stays short.
        const key = o.reason.replace(/"[^"]*"/g, '"…"').replace(/\d{3,}/g, 'N').slice(0, 160);
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      if (!anyValid && outcomes.every((o) => !o.ok)) {
        dead++;
        if (isTrimmed) trimmedDead++;
        else if (outcomes.some((o) => !o.ok && NOT_CLAIMED.test(o.reason))) notClaimed++;
      }
    }
  }
  const claimed = events - notClaimed - trimmed;
  const pct = claimed ? (100 * (claimed - (dead - notClaimed - trimmedDead))) / claimed : 0;
  rows.push([src.name, src.pack, String(events), String(notClaimed), src.complete ? `${trimmed} (${trimmed - trimmedDead} valid)` : '-', String(valid), claimed ? pct.toFixed(2) : '-', String(dead)]);
  if (claimed && pct < 99) failed = true;
  if (unexplained) failed = true;
  if (reasons.size) {
    reasonsOut.push(`\n${src.name} (${src.pack}): dead-lettered, by reason`);
    for (const [r, c] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) reasonsOut.push(`  ${String(c).padStart(6)}  ${r}`);
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(rows.map((r) => r.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n'));
console.log(reasonsOut.join('\n'));
console.log(`\nVALID % (claimed): source events that produced at least one valid OCSF event, over the events of types the pack maps (NOT CLAIMED: event types a pack says it does not map, e.g. Windows event ids outside its table) that are whole records (TRIMMED: test fixtures without fields every record of the source has, e.g. no time; counted apart). Everything not valid is dead-lettered with the reasons above.`);
process.exit(failed ? 1 : 0);
