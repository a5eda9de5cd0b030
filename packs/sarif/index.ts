/**
 * SARIF 2.1.0 logs (CodeQL, Semgrep, Trivy, Grype, ESLint... any static analyser) to OCSF.
 *
 * One log is one input event and becomes one OCSF finding per result:
 *   - Vulnerability Finding (2002) when the result is a security result (a CVE or advisory id,
 *     a `security` tag or a `security-severity`) that names a CVE, an advisory or a CWE: OCSF's
 *     vulnerability object must carry exactly one of cve, advisory or cwe, and the code location
 *     goes to its affected_code.
 *   - Detection Finding (2004) for every other result (code quality, or security without any of
 *     those ids); the code location goes to evidences[].file.
 *
 * A result repeats what it needs to stand alone (tool, rule, location, repository, time). Run
 * and log fields with no OCSF home (artifacts, invocations, notifications, taxonomies...) are kept
 * once, in `unmapped` of the first finding of their run, instead of being copied into every finding.
 */
import { cloneValue, type Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { compact, metadata, toTime, unmapped, type Product } from '../../src/ocsf/map-kit.js';

const VULNERABILITY_FINDING = 2002;
const DETECTION_FINDING = 2004;

const ACTIVITY_CREATE = 1;
const ACTIVITY_UPDATE = 2;
const ACTIVITY_CLOSE = 3;
const STATUS_NEW = 1;
const STATUS_IN_PROGRESS = 2;
const STATUS_SUPPRESSED = 3;
const STATUS_RESOLVED = 4;

/** SARIF level to severity_id: error High, warning Medium, note Low, none Informational. */
const LEVEL_SEVERITY: Readonly<Record<string, number>> = { error: 4, warning: 3, note: 2, none: 1 };

/** CodeQL/Semgrep rule `precision` to confidence_id (1 Low, 2 Medium, 3 High). */
const PRECISION_CONFIDENCE: Readonly<Record<string, number>> = { 'very-high': 3, high: 3, medium: 2, low: 1 };

/** baselineState to activity_id: a result seen before is an update, one gone since is a close. */
const BASELINE_ACTIVITY: Readonly<Record<string, number>> = { new: ACTIVITY_CREATE, unchanged: ACTIVITY_UPDATE, updated: ACTIVITY_UPDATE, absent: ACTIVITY_CLOSE };

/** Vendors of common analysers whose logs leave `tool.driver.organization` out. */
const KNOWN_VENDORS: Readonly<Record<string, string>> = {
  CodeQL: 'GitHub',
  Semgrep: 'Semgrep',
  'Semgrep OSS': 'Semgrep',
  'Semgrep Pro': 'Semgrep',
  Trivy: 'Aqua Security',
  grype: 'Anchore',
  Grype: 'Anchore',
};

const CVE_RE = /\bCVE-\d{4}-\d{4,}\b/i;
const GHSA_RE = /\bGHSA(?:-[0-9a-z]{4}){3}\b/i;
/** CWE references in tags: "external/cwe/cwe-079" (CodeQL), "CWE-89: Improper ..." (Semgrep), "cwe-79". */
const CWE_RE = /(?:^|[^a-z])cwe[-_:]?\s*0*(\d+)(?:\s*:\s*(.+))?$/i;
/** Message placeholders {0}, {1}... and the doubled braces that stand for literal ones. */
const PLACEHOLDER_RE = /\{\{|\}\}|\{(\d+)\}/g;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}
function obj(o: Obj | undefined, k: string): Obj | undefined {
  const v = o?.[k];
  return isObj(v) ? v : undefined;
}
function text(o: Obj | undefined, k: string): string | undefined {
  return str(obj(o, k)?.text);
}
function uid(...parts: unknown[]): string {
  let out = '';
  for (const p of parts) {
    if (p === undefined || p === null || p === '') continue;
    out += (out ? '|' : '') + String(p);
  }
  return out;
}

/** Per element, what `unmapped` leaves of it (null when nothing); undefined when nothing at all. */
function leftoverArray(a: unknown[], used: readonly string[]): unknown[] | undefined {
  let any = false;
  const out = a.map((x) => {
    if (!isObj(x)) { any = true; return x; }
    const r = unmapped(x, used) ?? null;
    if (r) any = true;
    return r;
  });
  return any ? out : undefined;
}

interface Component { rules: unknown[]; byId?: Map<string, Obj> }

/** What every result of one run shares. */
interface Run {
  driver: Obj;
  components: Component[];
  extensions: unknown[];
  metadata: Obj;
  time: number | undefined;
  resources: Obj[];
  baseIds: Obj | undefined;
  artifacts: unknown[];
  /** Run and log leftovers, not yet attached to a finding. */
  pending: Obj | undefined;
}

function ruleById(c: Component, id: string): Obj | undefined {
  if (!c.byId) {
    c.byId = new Map();
    for (const r of c.rules) if (isObj(r) && typeof r.id === 'string' && !c.byId.has(r.id)) c.byId.set(r.id, r);
  }
  return c.byId.get(id);
}

/** The rule a result points at: by index or id, in the driver or the extension it names. */
function findRule(result: Obj, run: Run): { rule: Obj | undefined; ruleId: string | undefined } {
  const ref = obj(result, 'rule');
  const tc = obj(ref, 'toolComponent');
  let comp = run.components[0]!;
  const tcIndex = int(tc?.index);
  if (tcIndex !== undefined) comp = run.components[tcIndex + 1] ?? comp;
  else if (typeof tc?.name === 'string') {
    const i = run.extensions.findIndex((x) => isObj(x) && x.name === tc.name);
    if (i >= 0) comp = run.components[i + 1]!;
  }
  const ruleId = str(result.ruleId) ?? str(ref?.id);
  const index = int(result.ruleIndex) ?? int(ref?.index);
  let rule: Obj | undefined;
  if (index !== undefined && index >= 0) {
    const r = comp.rules[index];
    if (isObj(r)) rule = r;
  }
  if (!rule && ruleId) rule = ruleById(comp, ruleId);
  return { rule, ruleId: ruleId ?? str(rule?.id) };
}

/** The message text, with {n} placeholders filled from `arguments` (SARIF 3.11.5). */
function messageText(msg: Obj | undefined, rule: Obj | undefined, driver: Obj): [string | undefined, boolean] {
  if (!msg) return [undefined, false];
  let template = str(msg.text);
  let fromStrings = false;
  const id = str(msg.id);
  if (template === undefined && id) {
    template = text(obj(rule, 'messageStrings'), id) ?? text(obj(driver, 'globalMessageStrings'), id);
    fromStrings = template !== undefined;
  }
  const args = msg.arguments;
  if (template === undefined || !Array.isArray(args)) return [template, fromStrings];
  return [template.replace(PLACEHOLDER_RE, (m, n: string | undefined) => {
    if (n === undefined) return m[0]!;
    const a = args[Number(n)];
    return a === undefined ? m : String(a);
  }), fromStrings];
}

/** A base URI from originalUriBaseIds, following uriBaseId chains (bounded: logs may loop). */
function baseUri(run: Run, id: string | undefined): string | undefined {
  let out = '';
  for (let depth = 0; id && depth < 8; depth++) {
    const b = obj(run.baseIds, id);
    const u = str(b?.uri);
    if (!u) return undefined;
    out = out ? joinUri(u, out) : u;
    id = str(b?.uriBaseId);
  }
  return out && /^[a-z][a-z0-9+.-]*:/i.test(out) ? out : undefined;
}
function joinUri(base: string, rel: string): string {
  try { return new URL(rel, base).href; } catch { return base.endsWith('/') ? base + rel : `${base}/${rel}`; }
}
function decode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** An OCSF file from a SARIF artifactLocation (looked up in run.artifacts when it only has an index). */
function fileOf(loc: Obj, run: Run): Obj | undefined {
  let al = obj(loc, 'artifactLocation');
  if (al && !str(al.uri)) {
    const i = int(al.index);
    const a = i !== undefined ? run.artifacts[i] : undefined;
    const l = isObj(a) ? obj(a, 'location') : undefined;
    if (l) al = { ...l, ...al, uri: l.uri, uriBaseId: al.uriBaseId ?? l.uriBaseId };
  }
  const uri = str(al?.uri);
  if (!uri) return undefined;
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(uri);
  let path: string | undefined;
  if (!hasScheme) path = decode(uri);
  else if (uri.startsWith('file:')) { try { path = decode(new URL(uri).pathname); } catch { path = undefined; } }
  const base = hasScheme ? undefined : baseUri(run, str(al?.uriBaseId));
  const full = base ? joinUri(base, uri) : uri;
  const shown = path ?? full;
  const slash = shown.lastIndexOf('/');
  const name = slash >= 0 && slash < shown.length - 1 ? shown.slice(slash + 1) : shown;
  return compact({ name, path, uri: full, type_id: 1 });
}

/** Location fields the mapping uses; everything else in a location (snippet, message...) is kept. */
const LOCATION_USED = [
  'physicalLocation.artifactLocation.uri', 'physicalLocation.artifactLocation.uriBaseId', 'physicalLocation.artifactLocation.index',
  'physicalLocation.region.startLine', 'physicalLocation.region.endLine',
  'physicalLocation.region.startColumn', 'physicalLocation.region.endColumn',
];

interface Place { file: Obj; lines: Obj }

function placesOf(result: Obj, run: Run): Place[] {
  const locs = result.locations;
  if (!Array.isArray(locs)) return [];
  const out: Place[] = [];
  for (const l of locs) {
    const pl = isObj(l) ? obj(l, 'physicalLocation') : undefined;
    if (!pl) continue;
    const file = fileOf(pl, run);
    if (!file) continue;
    const region = obj(pl, 'region');
    out.push({
      file,
      lines: compact({
        start_line: int(region?.startLine),
        end_line: int(region?.endLine),
        start_column: int(region?.startColumn),
        end_column: int(region?.endColumn),
      }),
    });
  }
  return out;
}

/** CWE ids (with the caption Semgrep-style tags carry) from rule/result tags, `cwe` and taxa. */
function cwesOf(rule: Obj | undefined, result: Obj): Obj[] {
  const seen = new Map<string, Obj>();
  const add = (n: string, caption?: string) => {
    const id = `CWE-${n}`;
    if (!seen.has(id)) seen.set(id, caption ? { uid: id, caption } : { uid: id });
  };
  const scan = (v: unknown) => {
    const list = Array.isArray(v) ? v : [v];
    for (const t of list) {
      if (typeof t !== 'string') continue;
      const m = CWE_RE.exec(t);
      if (m) add(m[1]!, m[2]?.trim() || undefined);
    }
  };
  const rp = obj(rule, 'properties');
  scan(rp?.tags);
  scan(rp?.cwe);
  scan(obj(result, 'properties')?.tags);
  // The SARIF-native way: relationships/taxa pointing into a "CWE" taxonomy.
  const taxa = [...(Array.isArray(rule?.relationships) ? rule.relationships.map((r) => isObj(r) ? r.target : undefined) : []),
    ...(Array.isArray(result.taxa) ? result.taxa : [])];
  for (const t of taxa) {
    if (!isObj(t)) continue;
    const comp = obj(t, 'toolComponent');
    const id = str(t.id);
    if (id && typeof comp?.name === 'string' && comp.name.toUpperCase() === 'CWE' && /^\d+$/.test(id)) add(String(Number(id)));
  }
  return [...seen.values()];
}

/** "line:column" of a location (either may be missing). */
function position(lines: Obj): string | undefined {
  const l = lines.start_line as number | undefined;
  const c = lines.start_column as number | undefined;
  return l === undefined && c === undefined ? undefined : `${l ?? ''}:${c ?? ''}`;
}

/** FNV-1a (32 bit) as 8 hex digits: a short, stable digest for uids, not a security hash. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function securitySeverity(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 10 ? n : undefined;
}
/** GitHub's security-severity bands: >= 9 Critical, >= 7 High, >= 4 Medium, > 0 Low. */
function scoreSeverity(s: number): number {
  return s >= 9 ? 5 : s >= 7 ? 4 : s >= 4 ? 3 : s > 0 ? 2 : 1;
}

function mapResult(result: Obj, run: Run, where: string, ctx: MapContext): OcsfEvent {
  const { rule, ruleId } = findRule(result, run);
  const used = ['ruleId', 'ruleIndex', 'rule', 'level', 'guid', 'correlationGuid', 'hostedViewerUri',
    'provenance.firstDetectionTimeUtc', 'provenance.lastDetectionTimeUtc', 'baselineState'];
  const ruleUsed = ['id', 'name', 'shortDescription.text', 'fullDescription.text'];
  const rp = obj(rule, 'properties');
  const tags = Array.isArray(rp?.tags) ? rp.tags : [];

  const [msg, fromStrings] = messageText(obj(result, 'message'), rule, run.driver);
  used.push('message.text', 'message.id', 'message.arguments');
  if (fromStrings) ruleUsed.push('messageStrings');

  // Severity: a security-severity score (result first, then rule) or the effective level, which
  // defaults per SARIF 3.27.10: none for results that are not failures, else the rule's default, else warning.
  let score = securitySeverity(obj(result, 'properties')?.['security-severity']);
  if (score !== undefined) used.push('properties.security-severity');
  else {
    score = securitySeverity(rp?.['security-severity']);
    if (score !== undefined) ruleUsed.push('properties.security-severity');
  }
  const kind = str(result.kind);
  let level = str(result.level);
  if (!level) {
    if (kind && kind !== 'fail') level = 'none';
    else {
      level = str(obj(rule, 'defaultConfiguration')?.level);
      if (level) ruleUsed.push('defaultConfiguration.level');
      else level = 'warning';
    }
  }
  const severityId = score !== undefined ? scoreSeverity(score) : LEVEL_SEVERITY[level] ?? 0;

  const cveId = (ruleId && CVE_RE.exec(ruleId)?.[0]) || undefined;
  const ghsaId = !cveId && ruleId ? GHSA_RE.exec(ruleId)?.[0] : undefined;
  const isSecurity = !!cveId || !!ghsaId || score !== undefined || tags.some((t) => typeof t === 'string' && t.toLowerCase() === 'security');
  // Tags are never marked used: they stay in unmapped.rule, with any CWE beyond the one a
  // cwe-only vulnerability can hold.
  const cwes = isSecurity ? cwesOf(rule, result) : [];
  const vulnerable = isSecurity && (!!cveId || !!ghsaId || cwes.length > 0);

  const places = placesOf(result, run);
  const locations = Array.isArray(result.locations) ? leftoverArray(result.locations, LOCATION_USED) : undefined;
  const helpText = text(rule, 'help');
  const helpUri = str(rule?.helpUri);
  const remediation = helpText ? compact({ desc: helpText, references: helpUri ? [helpUri] : undefined }) : undefined;
  if (helpText) ruleUsed.push('help.text', 'helpUri');

  // Status: an accepted (or unqualified) suppression suppresses; one under review is in progress.
  let statusId = STATUS_NEW;
  let statusDetail: string | undefined;
  let suppressions: unknown[] | undefined;
  if (Array.isArray(result.suppressions) && result.suppressions.length) {
    const sups = result.suppressions.filter(isObj);
    const accepted = sups.find((s) => s.status === undefined || s.status === 'accepted');
    const review = sups.find((s) => s.status === 'underReview');
    const chosen = accepted ?? review;
    if (chosen) {
      statusId = accepted ? STATUS_SUPPRESSED : STATUS_IN_PROGRESS;
      statusDetail = str(chosen.justification);
    }
    suppressions = leftoverArray(result.suppressions, ['status', 'justification']);
  }
  const baseline = str(result.baselineState);
  const activityId = (baseline && BASELINE_ACTIVITY[baseline]) || ACTIVITY_CREATE;
  if (baseline === 'absent' && statusId === STATUS_NEW) statusId = STATUS_RESOLVED;

  // A stable uid: SARIF's own cross-run id, else the result guid, else rule + file + the tool's
  // fingerprints, else rule + file + position + a hash of the message (tools without fingerprints,
  // such as Trivy, report several packages with the same CVE at the same position).
  const fps = obj(result, 'fingerprints') ?? obj(result, 'partialFingerprints');
  const first = places[0];
  let findingUid = str(result.correlationGuid) ?? str(result.guid);
  if (!findingUid) {
    let fp: string | undefined;
    if (fps) {
      fp = Object.entries(fps).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${v}`).join(',') || undefined;
      if (fp) used.push(fps === result.fingerprints ? 'fingerprints' : 'partialFingerprints');
    }
    const file = first?.file.path ?? first?.file.uri;
    findingUid = fp
      ? uid(ruleId, file, fp)
      : uid(ruleId, file, first ? position(first.lines) : undefined, msg ? `m${fnv1a(msg)}` : undefined);
    // Nothing identifies the result (no rule, location or message): its place in the log, so
    // finding_info.uid (required) is still there.
    if (!findingUid) findingUid = uid(str(run.driver.name), where);
  }

  const precision = str(rp?.precision);
  const confidenceId = precision ? PRECISION_CONFIDENCE[precision] : undefined;
  if (confidenceId) ruleUsed.push('properties.precision');

  const provenance = obj(result, 'provenance');
  const lastSeen = toTime(provenance?.lastDetectionTimeUtc) ?? undefined;
  const time = run.time ?? lastSeen ?? ctx.now;
  const timeFromNow = run.time === undefined && lastSeen === undefined;

  const ev: OcsfEvent = {
    class_uid: vulnerable ? VULNERABILITY_FINDING : DETECTION_FINDING,
    activity_id: activityId,
    severity_id: severityId,
    status_id: statusId,
    time,
    metadata: cloneValue(run.metadata),
  };
  if (msg) ev.message = msg;
  if (statusDetail) ev.status_detail = statusDetail;
  if (confidenceId) ev.confidence_id = confidenceId;
  ev.finding_info = compact({
    uid: findingUid,
    uid_alt: str(result.correlationGuid) ? str(result.guid) : undefined,
    title: text(rule, 'shortDescription') ?? str(rule?.name) ?? ruleId,
    desc: msg,
    src_url: str(result.hostedViewerUri),
    first_seen_time: toTime(provenance?.firstDetectionTimeUtc) ?? undefined,
    last_seen_time: lastSeen,
    analytic: ruleId || rule ? compact({
      uid: ruleId,
      name: str(rule?.name),
      desc: text(rule, 'fullDescription') ?? text(rule, 'shortDescription'),
      type_id: 1, // Rule
    }) : undefined,
  });

  if (vulnerable) {
    const related = cwes.length ? cwes : undefined;
    const affected = places.map((p) => compact({ file: p.file, ...p.lines, rule: ruleId ? compact({ uid: ruleId, name: str(rule?.name) }) : undefined }));
    // OCSF's vulnerability takes just one of cve, advisory or cwe: the most specific id wins, and
    // a CVE or advisory keeps the CWEs as related_cwes.
    ev.vulnerabilities = [compact({
      cve: cveId ? compact({ uid: cveId.toUpperCase(), related_cwes: related }) : undefined,
      advisory: ghsaId ? compact({ uid: ghsaId, related_cwes: related }) : undefined,
      cwe: !cveId && !ghsaId ? cwes[0] : undefined,
      affected_code: affected.length ? affected : undefined,
      references: helpUri ? [helpUri] : undefined,
      remediation,
    })];
    if (helpUri) ruleUsed.push('helpUri');
  } else {
    const evidences = places.map((p) => compact({ file: p.file, data: Object.keys(p.lines).length ? p.lines : undefined }));
    if (evidences.length) ev.evidences = evidences;
    if (remediation) ev.remediation = remediation;
  }
  if (run.resources.length) ev.resources = cloneValue(run.resources);

  const u: Obj = {};
  const resultRest = unmapped(result, [...used, 'locations', 'suppressions']) ?? {};
  if (locations) resultRest.locations = locations;
  if (suppressions) resultRest.suppressions = suppressions;
  if (Object.keys(resultRest).length) u.result = resultRest;
  const ruleRest = rule ? unmapped(rule, ruleUsed) : undefined;
  if (ruleRest) u.rule = ruleRest;
  if (run.pending) { Object.assign(u, run.pending); run.pending = undefined; }
  if (timeFromNow) u.time_source = 'ingest';
  if (Object.keys(u).length) ev.unmapped = u;
  return ev;
}

/** The time of a run: when its (first timed) invocation ended, else started. */
function runTime(run: Obj): number | undefined {
  const inv = run.invocations;
  if (!Array.isArray(inv)) return undefined;
  for (const i of inv) {
    if (!isObj(i)) continue;
    const t = toTime(i.endTimeUtc) ?? toTime(i.startTimeUtc);
    if (t !== null) return t;
  }
  return undefined;
}

function repositories(run: Obj): Obj[] {
  const vcp = run.versionControlProvenance;
  if (!Array.isArray(vcp)) return [];
  const out: Obj[] = [];
  for (const v of vcp) {
    if (!isObj(v) || !str(v.repositoryUri)) continue;
    out.push(compact({
      uid: str(v.repositoryUri),
      type: 'repository',
      version: str(v.revisionId),
      data: unmapped(v, ['repositoryUri', 'revisionId']), // branch, revisionTag, asOfTimeUtc, mappedTo
      role_id: 1, // Target: the code base analysed
    }));
  }
  return out;
}

function mapLog(log: Obj, ctx: MapContext): MapResult {
  if (log.version !== '2.1.0') {
    return { ok: false, reason: `sarif: version ${JSON.stringify(log.version)} is not supported; this pack reads SARIF 2.1.0 (convert older logs with the SARIF multitool)` };
  }
  if (!Array.isArray(log.runs)) return { ok: false, reason: 'sarif: runs is not an array; pass the SARIF log exactly as the tool wrote it' };
  let logPending = unmapped(log, ['version', '$schema', 'runs']);
  const events: OcsfEvent[] = [];
  for (let i = 0; i < log.runs.length; i++) {
    const r = log.runs[i];
    if (!isObj(r)) return { ok: false, reason: `sarif: runs[${i}] is not an object` };
    const driver = obj(obj(r, 'tool'), 'driver');
    const name = str(driver?.name);
    if (!driver || !name) return { ok: false, reason: `sarif: runs[${i}].tool.driver.name is missing; SARIF requires it to name the analyser` };
    if (r.results !== undefined && r.results !== null && !Array.isArray(r.results)) {
      return { ok: false, reason: `sarif: runs[${i}].results is not an array` };
    }
    const extensions = Array.isArray(obj(r, 'tool')?.extensions) ? (obj(r, 'tool')!.extensions as unknown[]) : [];
    const vendor = str(driver.organization) ?? KNOWN_VENDORS[name];
    const version = str(driver.version) ?? str(driver.semanticVersion);
    const product = compact({ name, vendor_name: vendor, version }) as Product;
    const productUsed = ['tool.driver.name', 'tool.driver.rules', 'tool.extensions'];
    if (driver.organization) productUsed.push('tool.driver.organization');
    productUsed.push(str(driver.version) ? 'tool.driver.version' : 'tool.driver.semanticVersion');
    const time = runTime(r);
    // artifacts and originalUriBaseIds are read to resolve file locations but kept whole: a
    // resolved location does not say everything they do (hashes, roles, encodings...).
    const runRest = unmapped(r, [...productUsed, 'results', 'versionControlProvenance']) ?? {};
    // Extensions (rule packs such as codeql/javascript-queries), without their rules.
    const ext = leftoverArray(extensions, ['rules']);
    if (ext) {
      const tool = isObj(runRest.tool) ? runRest.tool : (runRest.tool = {} as Obj);
      tool.extensions = ext;
    }
    const pending: Obj = {};
    if (Object.keys(runRest).length) pending.run = runRest;
    if (logPending) { pending.log = logPending; logPending = undefined; }
    const run: Run = {
      driver,
      components: [
        { rules: Array.isArray(driver.rules) ? driver.rules : [] },
        ...extensions.map((x) => ({ rules: isObj(x) && Array.isArray(x.rules) ? x.rules : [] })),
      ],
      extensions,
      metadata: metadata(product, { log_version: '2.1.0' }),
      time,
      resources: repositories(r),
      baseIds: obj(r, 'originalUriBaseIds'),
      artifacts: Array.isArray(r.artifacts) ? r.artifacts : [],
      pending: Object.keys(pending).length ? pending : undefined,
    };
    const results = (r.results ?? []) as unknown[];
    for (let j = 0; j < results.length; j++) {
      const res = results[j];
      if (!isObj(res)) return { ok: false, reason: `sarif: runs[${i}].results[${j}] is not an object` };
      events.push(mapResult(res, run, `runs[${i}].results[${j}]`, ctx));
    }
  }
  return { ok: true, events };
}

const pack: Pack = {
  name: 'sarif',
  title: 'SARIF 2.1.0 (static analysis results)',
  classes: [
    { class_uid: VULNERABILITY_FINDING, class_name: 'Vulnerability Finding', from: 'security results that name a CVE, an advisory (GHSA) or a CWE' },
    { class_uid: DETECTION_FINDING, class_name: 'Detection Finding', from: 'all other results (code quality, security rules without a CVE/CWE)' },
  ],
  detect(e: Event): boolean {
    if (e.version !== '2.1.0' || !Array.isArray(e.runs)) return false;
    const schema = e.$schema;
    return schema === undefined || (typeof schema === 'string' && schema.toLowerCase().includes('sarif'));
  },
  map(e: Event, ctx: MapContext): MapResult {
    try {
      return mapLog(e, ctx);
    } catch (err) {
      // The mapping guards every shape it reads; this is the net for anything it did not foresee.
      return { ok: false, reason: `sarif: the log could not be mapped (${(err as Error).message})` };
    }
  },
};

export default pack;
