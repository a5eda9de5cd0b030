/**
 * Trivy JSON reports (`trivy image|fs|repo|config --format json`, SchemaVersion 2) to OCSF.
 *
 * One report is one input event and becomes one OCSF finding per Trivy finding:
 *   Vulnerabilities    -> Vulnerability Finding (2002)
 *   Misconfigurations  -> Compliance Finding (2003)
 *   Licenses           -> Compliance Finding (2003)
 *   Secrets            -> Data Security Finding (2006), the class OCSF names for secrets detection
 *   ExperimentalModifiedFindings (findings suppressed by VEX or an ignore file, shown with
 *   --show-suppressed) -> the class of the finding they wrap, with status Suppressed/Resolved.
 *
 * Every finding repeats the context it needs to stand alone (scanned artifact, target, Trivy
 * version, scan time). Report and result fields with no OCSF home (a result's full package
 * inventory, MisconfSummary...) are kept once, in `unmapped` of the first finding they produced,
 * instead of being copied into every finding.
 */
import { cloneValue, type Event } from '../../src/core/event.js';
import type { MapContext, MapResult, OcsfEvent, Pack } from '../../src/ocsf/pack.js';
import { compact, metadata, toTime, unmapped } from '../../src/ocsf/map-kit.js';

const VULNERABILITY_FINDING = 2002;
const COMPLIANCE_FINDING = 2003;
const DATA_SECURITY_FINDING = 2006;

const ACTIVITY_CREATE = 1;
const STATUS_NEW = 1;
const STATUS_SUPPRESSED = 3;
const STATUS_RESOLVED = 4;

/** Trivy's severities (the same five for every scanner) as OCSF severity_id. */
const SEVERITY: Readonly<Record<string, number>> = { UNKNOWN: 0, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };

/** Misconfiguration Status to compliance.status_id (1 Pass, 3 Fail; EXCEPTION has no OCSF value). */
const COMPLIANCE_STATUS: Readonly<Record<string, number>> = { PASS: 1, FAIL: 3 };

/** Result Class to package type_id: OS packages vs application (language) dependencies. */
const PACKAGE_TYPE: Readonly<Record<string, number>> = { 'os-pkgs': 2, 'lang-pkgs': 1 };

const CVE_ID = /^CVE-\d{4}-\d{4,}$/i;
/** CVSS versions Trivy reports per vendor: [score field, vector field, version when the vector does not say]. */
const CVSS_FIELDS: ReadonlyArray<readonly [string, string, string]> = [
  ['V2Score', 'V2Vector', '2.0'],
  ['V3Score', 'V3Vector', '3'],
  ['V40Score', 'V40Vector', '4.0'],
];

const PRODUCT = { name: 'Trivy', vendor_name: 'Aqua Security' } as const;

/** Result fields that hold findings; everything else in a result is envelope. */
const RESULT_USED = ['Target', 'Class', 'Type', 'Vulnerabilities', 'Misconfigurations', 'Secrets', 'Licenses', 'ExperimentalModifiedFindings'];
const REPORT_USED = [
  'SchemaVersion', 'Trivy.Version', 'ReportID', 'CreatedAt', 'ArtifactID', 'ArtifactName', 'ArtifactType',
  'Metadata.ImageID', 'Metadata.RepoTags', 'Metadata.Commit', 'Results',
];

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
function strings(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.filter((x): x is string => typeof x === 'string' && x !== '');
  return out.length ? out : undefined;
}
function nonEmpty<T>(a: T[]): T[] | undefined {
  return a.length ? a : undefined;
}
/** A finding uid from its identifying parts (empty parts are left out). */
function uid(...parts: unknown[]): string {
  let out = '';
  for (const p of parts) {
    if (p === undefined || p === null || p === '') continue;
    out += (out ? '|' : '') + String(p);
  }
  return out;
}
function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 && i < p.length - 1 ? p.slice(i + 1) : p;
}

/** What every finding of one report shares. Objects here are cloned into each finding. */
interface Report {
  time: number;
  /** The report had no CreatedAt: `time` is when Sluice mapped it. */
  timeFromNow: boolean;
  metadata: Obj;
  artifact: Obj | undefined;
  artifactName: string | undefined;
  /** Report leftovers, not yet attached to a finding. */
  pending: Obj | undefined;
}

interface Target {
  resources: Obj[];
  target: string | undefined;
  cls: string | undefined;
  /** Result leftovers, not yet attached to a finding. */
  pending: Obj | undefined;
}

/** Severity id, and whether the source value was one Trivy defines (else it stays in `unmapped`). */
function severity(v: unknown): [number, boolean] {
  const id = typeof v === 'string' ? SEVERITY[v.toUpperCase()] : undefined;
  return id === undefined ? [0, false] : [id, true];
}

function base(rep: Report, classUid: number, severityId: number): OcsfEvent {
  return {
    class_uid: classUid,
    activity_id: ACTIVITY_CREATE,
    severity_id: severityId,
    status_id: STATUS_NEW,
    time: rep.time,
    metadata: cloneValue(rep.metadata),
  };
}

/** Attach resources and unmapped (the finding's own leftovers plus pending envelope leftovers). */
function finish(ev: OcsfEvent, rep: Report, t: Target, key: string, item: Obj, used: readonly string[], moreResources?: Obj[]): OcsfEvent {
  if (t.resources.length || moreResources) ev.resources = [...cloneValue(t.resources), ...(moreResources ?? [])];
  const u: Obj = {};
  const own = unmapped(item, used);
  if (own) u[key] = own;
  if (t.pending) { u.result = t.pending; t.pending = undefined; }
  if (rep.pending) { u.report = rep.pending; rep.pending = undefined; }
  if (rep.timeFromNow) u.time_source = 'ingest';
  if (Object.keys(u).length) ev.unmapped = u;
  return ev;
}

function cvssList(cvss: unknown): Obj[] | undefined {
  if (!isObj(cvss)) return undefined;
  const out: Obj[] = [];
  for (const [vendor, v] of Object.entries(cvss)) {
    if (!isObj(v)) continue;
    for (const [scoreKey, vectorKey, defaultVersion] of CVSS_FIELDS) {
      const score = v[scoreKey];
      if (typeof score !== 'number') continue;
      const vector = str(v[vectorKey]);
      // "CVSS:3.1/AV:N/..." names its version; v2 vectors and bare v3 scores do not.
      const slash = vector?.startsWith('CVSS:') ? vector.indexOf('/') : -1;
      const version = slash > 5 ? vector!.slice(5, slash) : defaultVersion;
      out.push(compact({ base_score: score, vector_string: vector, version, vendor_name: vendor }));
    }
  }
  return nonEmpty(out);
}

function mapVulnerability(v: Obj, rep: Report, t: Target, createdTime: number | undefined): OcsfEvent | string {
  const id = str(v.VulnerabilityID);
  if (!id) return 'has no VulnerabilityID';
  const [sevId, sevKnown] = severity(v.Severity);
  const used = [
    'VulnerabilityID', 'PkgName', 'InstalledVersion', 'FixedVersion', 'PkgPath', 'PkgIdentifier.PURL', 'PkgIdentifier.UID',
    'Title', 'Description', 'CweIDs', 'References', 'PublishedDate', 'LastModifiedDate', 'PrimaryURL', 'Fingerprint', 'DataSource.Name',
  ];
  if (sevKnown) used.push('Severity');
  const isCve = CVE_ID.test(id);
  const cwes = strings(v.CweIDs)?.map((c) => ({ uid: c }));
  // OCSF allows just one of cve/advisory/cwe per vulnerability: CVE ids go to `cve` (with CVSS),
  // other ids (GHSA, distribution advisories, GO-, RUSTSEC-...) to `advisory`, which has no CVSS.
  const ref: Obj = compact({
    uid: id,
    title: str(v.Title),
    created_time: toTime(v.PublishedDate) ?? undefined,
    modified_time: toTime(v.LastModifiedDate) ?? undefined,
    related_cwes: cwes,
  });
  if (isCve) {
    const cvss = cvssList(v.CVSS);
    if (cvss) { ref.cvss = cvss; used.push('CVSS'); }
  }
  const pkgName = str(v.PkgName);
  const pkgVersion = str(v.InstalledVersion);
  const pkg = pkgName && pkgVersion ? compact({
    name: pkgName,
    version: pkgVersion,
    fixed_in_version: str(v.FixedVersion),
    purl: str(get2(v, 'PkgIdentifier', 'PURL')),
    uid: str(get2(v, 'PkgIdentifier', 'UID')),
    path: str(v.PkgPath),
    type_id: t.cls ? PACKAGE_TYPE[t.cls] : undefined,
  }) : undefined;
  const vulnerability = compact({
    [isCve ? 'cve' : 'advisory']: ref,
    severity: str(v.Severity),
    references: strings(v.References),
    affected_packages: pkg ? [pkg] : undefined,
    is_fix_available: pkg ? str(v.FixedVersion) !== undefined : undefined,
  });
  const dataSource = str(get2(v, 'DataSource', 'Name'));
  const ev = base(rep, VULNERABILITY_FINDING, sevId);
  ev.finding_info = compact({
    uid: uid(id, str(v.PkgID) ?? (pkgName && pkgVersion ? `${pkgName}@${pkgVersion}` : pkgName), v.PkgPath, t.target, rep.artifactName),
    uid_alt: str(v.Fingerprint),
    title: str(v.Title),
    desc: str(v.Description),
    created_time: createdTime,
    src_url: str(v.PrimaryURL),
    data_sources: dataSource ? [dataSource] : undefined,
  });
  ev.vulnerabilities = [vulnerability];
  return finish(ev, rep, t, 'vulnerability', v, used);
}

function mapMisconfiguration(m: Obj, rep: Report, t: Target, createdTime: number | undefined): OcsfEvent | string {
  const id = str(m.ID) ?? str(m.AVDID);
  if (!id) return 'has neither ID nor AVDID';
  const [sevId, sevKnown] = severity(m.Severity);
  const used = ['ID', 'Type', 'Title', 'Description', 'Message', 'PrimaryURL'];
  if (!str(m.ID)) used.push('AVDID');
  if (sevKnown) used.push('Severity');
  const status = str(m.Status);
  const statusId = status ? COMPLIANCE_STATUS[status] : undefined;
  const compliance: Obj = compact({ control: id, category: str(m.Type), desc: str(m.Description) });
  let findingStatus = STATUS_NEW;
  if (statusId !== undefined) {
    compliance.status_id = statusId;
    used.push('Status');
  } else if (status === 'EXCEPTION') {
    // An exception excludes the resource from the check: OCSF has no compliance status for that
    // (so Other, with the source's word), and the finding was reviewed and accepted.
    compliance.status_id = 99;
    compliance.status = status;
    findingStatus = STATUS_SUPPRESSED;
    used.push('Status');
  }
  const ev = base(rep, COMPLIANCE_FINDING, sevId);
  ev.status_id = findingStatus;
  if (str(m.Message)) ev.message = m.Message;
  const cause = isObj(m.CauseMetadata) ? m.CauseMetadata : undefined;
  ev.finding_info = compact({
    uid: uid(id, t.target, cause?.Resource, cause?.StartLine, rep.artifactName),
    title: str(m.Title),
    // Message says what is wrong in this target; Description is the check's own text (compliance.desc).
    desc: str(m.Message),
    created_time: createdTime,
    src_url: str(m.PrimaryURL),
  });
  ev.compliance = compliance;
  const resolution = str(m.Resolution);
  if (resolution) {
    ev.remediation = compact({ desc: resolution, references: strings(m.References) });
    used.push('Resolution', 'References');
  }
  return finish(ev, rep, t, 'misconfiguration', m, used);
}

function mapSecret(s: Obj, rep: Report, t: Target, createdTime: number | undefined): OcsfEvent | string {
  const ruleId = str(s.RuleID);
  if (!ruleId) return 'has no RuleID';
  const [sevId, sevKnown] = severity(s.Severity);
  const used = ['RuleID', 'Category', 'Title', 'StartLine', 'EndLine', 'Match'];
  if (sevKnown) used.push('Severity');
  const startLine = int(s.StartLine);
  const endLine = int(s.EndLine);
  const occurrence = compact({ start_line: startLine, end_line: endLine });
  const ev = base(rep, DATA_SECURITY_FINDING, sevId);
  ev.finding_info = compact({
    uid: uid(ruleId, t.target, startLine, rep.artifactName),
    title: str(s.Title),
    created_time: createdTime,
    // Trivy's secret rules are regular expressions (with keywords to pre-filter).
    analytic: compact({ uid: ruleId, name: str(s.Title), category: str(s.Category), type_id: 8 }),
  });
  if (t.target) ev.file = { name: basename(t.target), path: t.target, type_id: 1 };
  ev.data_security = compact({
    category_id: 6, // Security: credentials, API keys and similar secrets
    data_lifecycle_state_id: 1, // Data at-Rest: found in files
    detection_system_id: 11, // Developer Security: "Secrets Detection" tools
    detection_pattern: ruleId,
    pattern_match: str(s.Match), // Trivy masks the secret itself
    discovery_details: Object.keys(occurrence).length || str(s.Title)
      ? [compact({ type: str(s.Title), occurrences: Object.keys(occurrence).length ? [occurrence] : undefined })]
      : undefined,
  });
  return finish(ev, rep, t, 'secret', s, used);
}

function mapLicense(l: Obj, rep: Report, t: Target, createdTime: number | undefined): OcsfEvent | string {
  const name = str(l.Name);
  if (!name) return 'has no Name';
  const [sevId, sevKnown] = severity(l.Severity);
  const used = ['Name', 'Category', 'PkgName', 'FilePath', 'Link'];
  if (sevKnown) used.push('Severity');
  const ev = base(rep, COMPLIANCE_FINDING, sevId);
  const pkgName = str(l.PkgName);
  const filePath = str(l.FilePath);
  ev.finding_info = compact({
    uid: uid(name, pkgName, filePath, t.target, rep.artifactName),
    title: name,
    created_time: createdTime,
    src_url: str(l.Link),
  });
  // The license is the control checked; Trivy's category (forbidden, restricted, notice...) is the
  // policy class it falls in. Trivy states no pass/fail, so compliance.status_id stays unset.
  ev.compliance = compact({ control: name, category: str(l.Category) });
  const affected: Obj[] = [];
  if (pkgName) affected.push({ name: pkgName, type: 'package', role_id: 3 });
  if (filePath) affected.push({ name: filePath, type: 'file', role_id: 3 });
  return finish(ev, rep, t, 'license', l, used, affected.length ? affected : undefined);
}

type ItemMapper = (item: Obj, rep: Report, t: Target, createdTime: number | undefined) => OcsfEvent | string;

const SECTIONS: ReadonlyArray<readonly [string, ItemMapper]> = [
  ['Vulnerabilities', mapVulnerability],
  ['Misconfigurations', mapMisconfiguration],
  ['Secrets', mapSecret],
  ['Licenses', mapLicense],
];

/** ExperimentalModifiedFindings[].Type to the mapper of the finding it wraps. */
const MODIFIED: Readonly<Record<string, ItemMapper>> = {
  vulnerability: mapVulnerability,
  misconfiguration: mapMisconfiguration,
  secret: mapSecret,
  license: mapLicense,
};

function get2(o: Obj, a: string, b: string): unknown {
  const x = o[a];
  return isObj(x) ? x[b] : undefined;
}

/**
 * The scanned artifact. Only what identifies it is repeated on every finding; the rest of
 * Metadata (OS, layers, image config, commit message...) stays in the report's leftovers.
 */
function artifactResource(r: Obj): Obj | undefined {
  const md = isObj(r.Metadata) ? r.Metadata : undefined;
  const imageId = str(md?.ImageID);
  const artifactId = str(r.ArtifactID);
  const res = compact({
    uid: imageId ?? artifactId,
    uid_alt: imageId ? artifactId : undefined,
    name: str(r.ArtifactName),
    type: str(r.ArtifactType),
    version: str(md?.Commit), // repository scans: the commit scanned
    labels: strings(md?.RepoTags),
    role_id: 1, // Target: the artifact Trivy scanned
  });
  return res.uid || res.name ? res : undefined;
}

function mapReport(r: Obj, ctx: MapContext): MapResult {
  if (r.SchemaVersion !== 2) {
    return { ok: false, reason: `trivy: SchemaVersion ${JSON.stringify(r.SchemaVersion)} is not supported; produce the report with Trivy 0.20 or later (--format json writes SchemaVersion 2)` };
  }
  if (r.Results !== undefined && r.Results !== null && !Array.isArray(r.Results)) {
    return { ok: false, reason: 'trivy: Results is not an array; pass the report exactly as `trivy --format json` wrote it' };
  }
  const created = toTime(r.CreatedAt);
  const trivyVersion = str(get2(r, 'Trivy', 'Version'));
  const rep: Report = {
    time: created ?? ctx.now,
    timeFromNow: created === null,
    metadata: metadata(
      trivyVersion ? { ...PRODUCT, version: trivyVersion } : { ...PRODUCT },
      compact({ log_version: String(r.SchemaVersion), correlation_uid: str(r.ReportID) }),
    ),
    artifact: artifactResource(r),
    artifactName: str(r.ArtifactName),
    pending: unmapped(r, REPORT_USED),
  };
  const createdTime = created ?? undefined;
  const events: OcsfEvent[] = [];
  const results = (r.Results ?? []) as unknown[];
  for (let i = 0; i < results.length; i++) {
    const res = results[i];
    if (!isObj(res)) return { ok: false, reason: `trivy: Results[${i}] is not an object` };
    const target = str(res.Target);
    const targetRes = target && target !== rep.artifactName
      ? compact({ name: target, type: str(res.Type) ?? str(res.Class), role_id: 3 }) // Affected: where in the artifact
      : undefined;
    const t: Target = {
      resources: [rep.artifact, targetRes].filter((x): x is Obj => x !== undefined),
      target,
      cls: str(res.Class),
      pending: unmapped(res, RESULT_USED),
    };
    for (const [section, mapper] of SECTIONS) {
      const items = res[section];
      if (items === undefined || items === null) continue;
      if (!Array.isArray(items)) return { ok: false, reason: `trivy: Results[${i}].${section} is not an array` };
      for (let j = 0; j < items.length; j++) {
        const item = items[j];
        if (!isObj(item)) return { ok: false, reason: `trivy: Results[${i}].${section}[${j}] is not an object` };
        const ev = mapper(item, rep, t, createdTime);
        if (typeof ev === 'string') return { ok: false, reason: `trivy: Results[${i}].${section}[${j}] ${ev}` };
        events.push(ev);
      }
    }
    const modified = res.ExperimentalModifiedFindings;
    if (modified !== undefined && modified !== null) {
      if (!Array.isArray(modified)) return { ok: false, reason: `trivy: Results[${i}].ExperimentalModifiedFindings is not an array` };
      for (let j = 0; j < modified.length; j++) {
        const where = `trivy: Results[${i}].ExperimentalModifiedFindings[${j}]`;
        const m = modified[j];
        if (!isObj(m) || !isObj(m.Finding)) return { ok: false, reason: `${where} has no Finding object` };
        const mapper = typeof m.Type === 'string' ? MODIFIED[m.Type] : undefined;
        if (!mapper) return { ok: false, reason: `${where} has Type ${JSON.stringify(m.Type)}; expected vulnerability, misconfiguration, secret or license` };
        const ev = mapper(m.Finding, rep, t, createdTime);
        if (typeof ev === 'string') return { ok: false, reason: `${where}.Finding ${ev}` };
        // VEX "fixed" means the product no longer has it; every other status (not_affected,
        // ignored...) is a reviewed and accepted finding.
        ev.status_id = m.Status === 'fixed' ? STATUS_RESOLVED : STATUS_SUPPRESSED;
        const code = str(m.Status);
        const detail = str(m.Statement);
        if (code) ev.status_code = code;
        if (detail) ev.status_detail = detail;
        const rest = unmapped(m, ['Type', 'Status', 'Statement', 'Finding']);
        if (rest) ev.unmapped = { ...(ev.unmapped as Obj | undefined), modified_finding: rest };
        events.push(ev);
      }
    }
  }
  return { ok: true, events };
}

const pack: Pack = {
  name: 'trivy',
  title: 'Trivy (JSON report)',
  classes: [
    { class_uid: VULNERABILITY_FINDING, class_name: 'Vulnerability Finding', from: 'Results[].Vulnerabilities[] (one finding per vulnerability and package)' },
    { class_uid: COMPLIANCE_FINDING, class_name: 'Compliance Finding', from: 'Results[].Misconfigurations[] and Results[].Licenses[]' },
    { class_uid: DATA_SECURITY_FINDING, class_name: 'Data Security Finding', from: 'Results[].Secrets[]' },
  ],
  detect(e: Event): boolean {
    return typeof e.SchemaVersion === 'number' && (Array.isArray(e.Results) || typeof e.ArtifactName === 'string');
  },
  map(e: Event, ctx: MapContext): MapResult {
    try {
      return mapReport(e, ctx);
    } catch (err) {
      // The mapping guards every shape it reads; this is the net for anything it did not foresee.
      return { ok: false, reason: `trivy: the report could not be mapped (${(err as Error).message})` };
    }
  },
};

export default pack;
