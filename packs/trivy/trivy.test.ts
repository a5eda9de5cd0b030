import { test } from 'node:test';
import assert from 'node:assert/strict';
import pack from './index.js';
import type { OcsfEvent } from '../../src/ocsf/pack.js';
import { assertValidOcsf, events, packFiles, reasonOf, testContext } from '../test-kit.js';

const files = packFiles('trivy');
const ctx = testContext(Date.UTC(2024, 11, 10, 10, 0, 0));
const samples = files.samples();
const load = (f: string) => files.read('samples', f);
const assertValid = (evs: OcsfEvent[], label: string) => assertValidOcsf(evs, (e) => `${label}: ${(e.finding_info as { uid?: string }).uid}`);
const reason = reasonOf;
/** A minimal report around one result. */
function report(result: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SchemaVersion: 2, CreatedAt: '2024-12-10T09:41:27Z', ArtifactName: 'registry.example.com/app:1', ArtifactType: 'container_image',
    Results: [result], ...extra,
  };
}

test('every sample maps to its reviewed expected output', () => {
  assert.ok(samples.length >= 2);
  for (const f of samples) {
    const expected = files.read<unknown>('expected', f);
    assert.deepEqual(events(pack.map(load(f), ctx)), expected, f);
  }
});

test('every finding is valid OCSF 1.8.0 (derived, no errors or warnings beyond missing recommended attributes)', () => {
  for (const f of samples) assertValid(events(pack.map(load(f), ctx)), f);
});

test('the image sample gives one finding per vulnerability, misconfiguration and secret, each in its class', () => {
  const out = events(pack.map(load('image.json'), ctx));
  assert.deepEqual(out.map((e) => e.class_uid), [2002, 2002, 2003, 2006]);
  assert.deepEqual(out.map((e) => e.severity_id), [3, 3, 4, 5]);
  // Every finding stands alone: the scanned image and the scan time are on each one.
  for (const e of out) {
    assert.equal(e.time, Date.parse('2024-12-10T09:41:27.518Z'));
    assert.equal((e.resources as Array<Record<string, unknown>>)[0]!.name, 'registry.example.com/shop/web:1.4.2');
    assert.deepEqual((e.metadata as Record<string, unknown>).product, { name: 'Trivy', vendor_name: 'Aqua Security', version: '0.58.1' });
  }
});

test('detect() accepts Trivy reports and rejects other documents', () => {
  for (const f of samples) assert.equal(pack.detect(load(f)), true, f);
  assert.equal(pack.detect({ SchemaVersion: 2, ArtifactName: 'alpine:3.19', ArtifactType: 'container_image' }), true, 'a clean report has no Results');
  const others: Array<Record<string, unknown>> = [
    { version: '2.1.0', runs: [] }, // SARIF (also what `trivy --format sarif` writes)
    { bomFormat: 'CycloneDX', specVersion: '1.5', components: [] },
    { eventVersion: '1.08', eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin' },
    { ts: 1700000000.1, uid: 'C1', 'id.orig_h': '192.0.2.10' },
    { SchemaVersion: '2', Results: [] }, // a string is not Trivy's integer
    { Results: [], ArtifactName: 'x' },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

test('CVE ids become cve with CVSS per vendor; other ids become advisory, which has no CVSS', () => {
  const [cve, ghsa] = events(pack.map(report({
    Target: 'go.mod', Class: 'lang-pkgs', Type: 'gomod',
    Vulnerabilities: [
      { VulnerabilityID: 'CVE-2023-39325', PkgName: 'golang.org/x/net', InstalledVersion: 'v0.15.0', Severity: 'HIGH', CVSS: { nvd: { V3Score: 7.5, V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', V2Score: 5, V2Vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P' } } },
      { VulnerabilityID: 'GHSA-4374-p667-p6c8', PkgName: 'golang.org/x/net', InstalledVersion: 'v0.15.0', Severity: 'LOW', CVSS: { ghsa: { V3Score: 3.1 } } },
    ],
  }), ctx));
  const v0 = (cve!.vulnerabilities as Array<Record<string, any>>)[0]!;
  assert.deepEqual(v0.cve.cvss, [
    { base_score: 5, vector_string: 'AV:N/AC:L/Au:N/C:N/I:N/A:P', version: '2.0', vendor_name: 'nvd' },
    { base_score: 7.5, vector_string: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', version: '3.1', vendor_name: 'nvd' },
  ]);
  assert.equal(v0.is_fix_available, false);
  const v1 = (ghsa!.vulnerabilities as Array<Record<string, any>>)[0]!;
  assert.deepEqual(v1.advisory, { uid: 'GHSA-4374-p667-p6c8' });
  assert.equal(v1.cve, undefined);
  assert.deepEqual((ghsa!.unmapped as any).vulnerability.CVSS, { ghsa: { V3Score: 3.1 } }, 'CVSS with no OCSF home is kept');
  assert.equal(ghsa!.severity_id, 2);
});

test('Trivy severities map to OCSF severity ids; an unknown word keeps its value in unmapped', () => {
  const sev = (s: string) => {
    const [e] = events(pack.map(report({ Target: 't', Class: 'secret', Secrets: [{ RuleID: 'r', Severity: s }] }), ctx));
    return [e!.severity_id, (e!.unmapped as any)?.secret?.Severity];
  };
  assert.deepEqual(sev('CRITICAL'), [5, undefined]);
  assert.deepEqual(sev('HIGH'), [4, undefined]);
  assert.deepEqual(sev('MEDIUM'), [3, undefined]);
  assert.deepEqual(sev('LOW'), [2, undefined]);
  assert.deepEqual(sev('UNKNOWN'), [0, undefined]);
  assert.deepEqual(sev('SEVERE'), [0, 'SEVERE']);
});

test('misconfiguration status: PASS and FAIL set compliance status; EXCEPTION is Other and the finding is suppressed', () => {
  const out = events(pack.map(report({
    Target: 'main.tf', Class: 'config', Type: 'terraform',
    Misconfigurations: [
      { ID: 'AVD-AWS-0086', Title: 'S3 public ACL', Severity: 'HIGH', Status: 'PASS' },
      { ID: 'AVD-AWS-0087', Title: 'S3 public policy', Severity: 'HIGH', Status: 'FAIL', CauseMetadata: { Resource: 'aws_s3_bucket.logs', StartLine: 12 } },
      { ID: 'AVD-AWS-0088', Title: 'S3 encryption', Severity: 'HIGH', Status: 'EXCEPTION' },
    ],
  }), ctx));
  assert.deepEqual(out.map((e) => (e.compliance as any).status_id), [1, 3, 99]);
  assert.equal((out[2]!.compliance as any).status, 'EXCEPTION');
  assert.deepEqual(out.map((e) => e.status_id), [1, 1, 3]);
  assert.equal((out[1]!.finding_info as any).uid, 'AVD-AWS-0087|main.tf|aws_s3_bucket.logs|12|registry.example.com/app:1');
  assertValid(out, 'misconfigurations');
});

test('suppressed findings (--show-suppressed) keep their class and uid, with status Suppressed or Resolved', () => {
  const vuln = { VulnerabilityID: 'CVE-2023-44487', PkgID: 'golang.org/x/net@v0.15.0', PkgName: 'golang.org/x/net', InstalledVersion: 'v0.15.0', Severity: 'HIGH' };
  const [plain] = events(pack.map(report({ Target: 'go.mod', Class: 'lang-pkgs', Vulnerabilities: [vuln] }), ctx));
  const [ignored, fixed] = events(pack.map(report({
    Target: 'go.mod', Class: 'lang-pkgs',
    ExperimentalModifiedFindings: [
      { Type: 'vulnerability', Status: 'ignored', Source: '.trivyignore.yaml', Finding: vuln },
      { Type: 'vulnerability', Status: 'fixed', Statement: 'patched in our fork', Source: 'CSAF VEX', Finding: vuln },
    ],
  }), ctx));
  assert.equal(ignored!.class_uid, 2002);
  assert.equal((ignored!.finding_info as any).uid, (plain!.finding_info as any).uid);
  assert.equal(ignored!.status_id, 3);
  assert.equal(ignored!.status_code, 'ignored');
  assert.deepEqual((ignored!.unmapped as any).modified_finding, { Source: '.trivyignore.yaml' });
  assert.equal(fixed!.status_id, 4);
  assert.equal(fixed!.status_detail, 'patched in our fork');
  assertValid([ignored!, fixed!], 'modified findings');
});

test('report and result leftovers are kept once, on the first finding they produced', () => {
  const out = events(pack.map(report({
    Target: 'app/package-lock.json', Class: 'lang-pkgs', Type: 'npm',
    Packages: [{ Name: 'lodash', Version: '4.17.20' }],
    Vulnerabilities: [
      { VulnerabilityID: 'CVE-2021-23337', PkgName: 'lodash', InstalledVersion: '4.17.20', Severity: 'HIGH' },
      { VulnerabilityID: 'CVE-2020-28500', PkgName: 'lodash', InstalledVersion: '4.17.20', Severity: 'MEDIUM' },
    ],
  }, { Metadata: { OS: { Family: 'alpine', Name: '3.19.1' } } }), ctx));
  assert.deepEqual((out[0]!.unmapped as any).result, { Packages: [{ Name: 'lodash', Version: '4.17.20' }] });
  assert.deepEqual((out[0]!.unmapped as any).report, { Metadata: { OS: { Family: 'alpine', Name: '3.19.1' } } });
  assert.equal(out[1]!.unmapped, undefined);
});

test('findings do not share objects, so a later transform editing one leaves the others alone', () => {
  const out = events(pack.map(load('image.json'), ctx));
  (out[0]!.resources as Array<Record<string, unknown>>)[0]!.name = 'changed';
  (out[0]!.metadata as Record<string, any>).product.name = 'changed';
  assert.equal((out[1]!.resources as Array<Record<string, unknown>>)[0]!.name, 'registry.example.com/shop/web:1.4.2');
  assert.equal((out[1]!.metadata as Record<string, any>).product.name, 'Trivy');
});

test('a report without CreatedAt takes the mapping time and says so; a clean report gives no findings', () => {
  const [e] = events(pack.map(report({ Target: 't', Class: 'secret', Secrets: [{ RuleID: 'github-pat', Severity: 'CRITICAL' }] }, { CreatedAt: undefined }), ctx));
  assert.equal(e!.time, ctx.now);
  assert.equal((e!.unmapped as any).time_source, 'ingest');
  assert.equal((e!.finding_info as any).created_time, undefined);
  assert.deepEqual(events(pack.map({ SchemaVersion: 2, ArtifactName: 'alpine:3.19', ArtifactType: 'container_image' }, ctx)), []);
});

test('bad input returns a precise reason and never throws', () => {
  assert.match(reason(pack.map({ SchemaVersion: 1, Results: [] }, ctx)), /^trivy: SchemaVersion 1 is not supported/);
  assert.equal(reason(pack.map({ SchemaVersion: 2, Results: {} }, ctx)), 'trivy: Results is not an array; pass the report exactly as `trivy --format json` wrote it');
  assert.equal(reason(pack.map(report('x' as never), ctx)), 'trivy: Results[0] is not an object');
  assert.equal(reason(pack.map(report({ Target: 't', Vulnerabilities: 'none' }), ctx)), 'trivy: Results[0].Vulnerabilities is not an array');
  assert.equal(reason(pack.map(report({ Target: 't', Vulnerabilities: [{ PkgName: 'x' }] }), ctx)), 'trivy: Results[0].Vulnerabilities[0] has no VulnerabilityID');
  assert.equal(reason(pack.map(report({ Target: 't', Secrets: [7] }), ctx)), 'trivy: Results[0].Secrets[0] is not an object');
  assert.equal(reason(pack.map(report({ Target: 't', ExperimentalModifiedFindings: [{ Type: 'sbom', Finding: {} }] }), ctx)),
    'trivy: Results[0].ExperimentalModifiedFindings[0] has Type "sbom"; expected vulnerability, misconfiguration, secret or license');
  // Odd values anywhere: a result, never an exception.
  const odd: unknown[] = [null, 0, 'x', [], {}, [null], { a: null }];
  for (const v of odd) {
    for (const k of ['Trivy', 'Metadata', 'CreatedAt', 'ArtifactName', 'ReportID']) {
      assert.doesNotThrow(() => pack.map(report({ Target: 't', Class: 'os-pkgs' }, { [k]: v }), ctx));
    }
    for (const k of ['PkgIdentifier', 'CVSS', 'CweIDs', 'References', 'DataSource', 'Severity', 'PublishedDate', 'Title']) {
      const r = pack.map(report({ Target: 't', Class: 'os-pkgs', Vulnerabilities: [{ VulnerabilityID: 'CVE-2024-0001', PkgName: 'p', InstalledVersion: '1', [k]: v }] }), ctx);
      assert.equal(r.ok, true, `${k}=${JSON.stringify(v)}`);
    }
  }
});
