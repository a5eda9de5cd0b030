import { test } from 'node:test';
import assert from 'node:assert/strict';
import pack from './index.js';
import type { OcsfEvent } from '../../src/ocsf/pack.js';
import { assertValidOcsf, events, packFiles, reasonOf, testContext } from '../test-kit.js';

const files = packFiles('sarif');
const ctx = testContext(Date.UTC(2024, 11, 10, 10, 0, 0));
const samples = files.samples();
const load = (f: string) => files.read('samples', f);
const assertValid = (evs: OcsfEvent[], label: string) => assertValidOcsf(evs, (e) => `${label}: ${(e.finding_info as { uid?: string }).uid}`);
const reason = reasonOf;
type Any = Record<string, any>;
/** A one-run log; `rules` go to the driver. */
function log(results: unknown[], rules: unknown[] = [], run: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: '2.1.0', runs: [{ tool: { driver: { name: 'ExampleScanner', version: '3.2.0', rules } }, results, ...run }] };
}
const at = (uri: string, startLine?: number) => ({ physicalLocation: { artifactLocation: { uri }, region: startLine ? { startLine } : undefined } });

test('every sample maps to its reviewed expected output', () => {
  assert.ok(samples.length >= 3);
  for (const f of samples) {
    const expected = files.read<unknown>('expected', f.replace(/\.sarif\.json$/, '.json'));
    assert.deepEqual(events(pack.map(load(f), ctx)), expected, f);
  }
});

test('every finding is valid OCSF 1.8.0 (derived, no errors or warnings beyond missing recommended attributes)', () => {
  for (const f of samples) assertValid(events(pack.map(load(f), ctx)), f);
});

test('security results naming a CWE or CVE are Vulnerability Findings; the rest are Detection Findings', () => {
  assert.deepEqual(events(pack.map(load('codeql.sarif.json'), ctx)).map((e) => e.class_uid), [2002, 2002, 2004],
    'the maintainability rule tagged CWE-563 is not a security rule');
  assert.deepEqual(events(pack.map(load('semgrep.sarif.json'), ctx)).map((e) => e.class_uid), [2002, 2002, 2004]);
  const trivy = events(pack.map(load('trivy-image.sarif.json'), ctx));
  assert.deepEqual(trivy.map((e) => e.class_uid), [2002, 2004], 'a security rule without CVE or CWE has no valid vulnerability object');
  assert.deepEqual((trivy[0]!.vulnerabilities as Any[])[0]!.cve, { uid: 'CVE-2024-2511' });
});

test('detect() accepts SARIF 2.1.0 logs and rejects other documents', () => {
  for (const f of samples) assert.equal(pack.detect(load(f)), true, f);
  assert.equal(pack.detect({ version: '2.1.0', runs: [] }), true, '$schema is optional');
  const others: Array<Record<string, unknown>> = [
    { version: '2.2', $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.2/schema/sarif.json', runs: [] },
    { version: '2.1.0', runs: {} },
    { version: '2.1.0', $schema: 'https://example.com/openapi.json', runs: [] },
    { SchemaVersion: 2, ArtifactName: 'alpine:3.19', Results: [] },
    { bomFormat: 'CycloneDX', specVersion: '1.5' },
    { version: '2.1.0', message: 'not a log' },
  ];
  for (const e of others) assert.equal(pack.detect(e), false, JSON.stringify(e));
});

test('severity: security-severity bands first, else the level, with SARIF defaults for a missing level', () => {
  const rules = [
    { id: 'crit', properties: { 'security-severity': '9.8', tags: ['security'] } },
    { id: 'low', properties: { 'security-severity': '2.0' } },
    { id: 'err', defaultConfiguration: { level: 'error' } },
    { id: 'plain' },
  ];
  const out = events(pack.map(log([
    { ruleId: 'crit', message: { text: 'a' } },
    { ruleId: 'low', message: { text: 'b' } },
    { ruleId: 'err', message: { text: 'c' } }, // the rule's default level
    { ruleId: 'err', level: 'note', message: { text: 'd' } }, // the result's own level wins
    { ruleId: 'plain', message: { text: 'e' } }, // no level anywhere: warning
    { ruleId: 'err', kind: 'pass', message: { text: 'f' } }, // not a failure: none
    { ruleId: 'plain', level: 'none', message: { text: 'g' } },
    { ruleId: 'low', properties: { 'security-severity': '7.5' }, message: { text: 'h' } }, // result score overrides the rule's
  ], rules), ctx));
  assert.deepEqual(out.map((e) => e.severity_id), [5, 2, 4, 2, 3, 1, 1, 4]);
  assert.equal((out[5]!.unmapped as Any).result.kind, 'pass', 'kind stays with the result');
});

test('message templates are filled from arguments and the rule\'s messageStrings', () => {
  const [e] = events(pack.map(log(
    [{ ruleId: 'C2001', message: { id: 'default', arguments: ['count', 'line 12'] }, locations: [at('src/list.c', 15)] }],
    [{ id: 'C2001', messageStrings: { default: { text: 'Variable "{0}" was used without being initialized (declared at {1}). {{literal}}' } } }],
  ), ctx));
  assert.equal((e!.finding_info as Any).desc, 'Variable "count" was used without being initialized (declared at line 12). {literal}');
  assert.equal((e!.unmapped as Any)?.rule, undefined, 'the message string was used');
});

test('rules are found by index or id, in the driver or in the extension a result names', () => {
  const l = {
    version: '2.1.0',
    runs: [{
      tool: {
        driver: { name: 'CodeQL', semanticVersion: '2.19.3', rules: [{ id: 'd1', shortDescription: { text: 'Driver rule' } }] },
        extensions: [
          { name: 'codeql/python-queries', rules: [{ id: 'py/a', shortDescription: { text: 'A' } }, { id: 'py/b', shortDescription: { text: 'B' } }] },
        ],
      },
      results: [
        { ruleId: 'py/b', rule: { id: 'py/b', index: 1, toolComponent: { index: 0 } }, message: { text: 'x' } },
        { ruleId: 'py/a', rule: { id: 'py/a', toolComponent: { name: 'codeql/python-queries' } }, message: { text: 'y' } },
        { ruleId: 'd1', message: { text: 'z' } },
        { ruleId: 'unknown/rule', message: { text: 'w' } },
      ],
    }],
  };
  const out = events(pack.map(l, ctx));
  assert.deepEqual(out.map((e) => (e.finding_info as Any).title), ['B', 'A', 'Driver rule', 'unknown/rule']);
  assert.deepEqual((out[0]!.metadata as Any).product, { name: 'CodeQL', vendor_name: 'GitHub', version: '2.19.3' });
});

test('CVE and GHSA rule ids give cve and advisory (with the CWEs related); a CWE alone gives cwe', () => {
  const out = events(pack.map(log([
    { ruleId: 'CVE-2022-3602-openssl', message: { text: 'a' }, locations: [at('Dockerfile')] },
    { ruleId: 'GHSA-jfh8-c2jp-5v3q', message: { text: 'b' } },
    { ruleId: 'cwe', message: { text: 'c' } },
  ], [
    { id: 'CVE-2022-3602-openssl', properties: { tags: ['security', 'CWE-120'] } },
    { id: 'cwe', properties: { tags: ['security'] }, relationships: [{ target: { id: '79', toolComponent: { name: 'CWE' } } }] },
  ]), ctx));
  assert.deepEqual(out.map((e) => e.class_uid), [2002, 2002, 2002]);
  const v = out.map((e) => (e.vulnerabilities as Any[])[0]!);
  assert.deepEqual(v[0]!.cve, { uid: 'CVE-2022-3602', related_cwes: [{ uid: 'CWE-120' }] });
  assert.deepEqual(v[1]!.advisory, { uid: 'GHSA-jfh8-c2jp-5v3q' });
  assert.deepEqual(v[2]!.cwe, { uid: 'CWE-79' });
  for (const x of v) assert.equal(['cve', 'advisory', 'cwe'].filter((k) => k in x).length, 1, 'OCSF: just one of cve, advisory, cwe');
  assertValid(out, 'ids');
});

test('suppressions, baseline state and provenance set status, activity and seen times', () => {
  const out = events(pack.map(log([
    { ruleId: 'r', message: { text: 'a' }, suppressions: [{ kind: 'inSource' }] },
    { ruleId: 'r', message: { text: 'b' }, suppressions: [{ kind: 'external', status: 'underReview', justification: 'triage ticket SEC-12' }] },
    { ruleId: 'r', message: { text: 'c' }, suppressions: [{ kind: 'external', status: 'rejected' }] },
    { ruleId: 'r', message: { text: 'd' }, baselineState: 'unchanged' },
    { ruleId: 'r', message: { text: 'e' }, baselineState: 'absent' },
    { ruleId: 'r', message: { text: 'f' }, baselineState: 'new', provenance: { firstDetectionTimeUtc: '2024-11-01T08:00:00Z', lastDetectionTimeUtc: '2024-12-09T08:00:00Z' } },
  ]), ctx));
  assert.deepEqual(out.map((e) => e.status_id), [3, 2, 1, 1, 4, 1]);
  assert.deepEqual(out.map((e) => e.activity_id), [1, 1, 1, 2, 3, 1]);
  assert.equal(out[1]!.status_detail, 'triage ticket SEC-12');
  assert.deepEqual((out[2]!.unmapped as Any).result.suppressions, [{ kind: 'external' }]);
  const fi = out[5]!.finding_info as Any;
  assert.equal(fi.first_seen_time, Date.parse('2024-11-01T08:00:00Z'));
  assert.equal(out[5]!.time, Date.parse('2024-12-09T08:00:00Z'), 'no invocation time: the last detection time');
  assertValid(out, 'statuses');
});

test('time comes from the invocation; without any time the mapping time is used and noted', () => {
  const [timed] = events(pack.map(log([{ ruleId: 'r', message: { text: 'a' } }], [],
    { invocations: [{ executionSuccessful: true, startTimeUtc: '2024-12-10T09:00:00Z', endTimeUtc: '2024-12-10T09:03:10.250Z' }] }), ctx));
  assert.equal(timed!.time, Date.parse('2024-12-10T09:03:10.250Z'));
  assert.equal((timed!.unmapped as Any).time_source, undefined);
  const [untimed] = events(pack.map(log([{ ruleId: 'r', message: { text: 'a' } }]), ctx));
  assert.equal(untimed!.time, ctx.now);
  assert.equal((untimed!.unmapped as Any).time_source, 'ingest');
});

test('file locations: base ids resolve to a URI, percent-encoding is decoded in the path, artifacts fill an index', () => {
  const out = events(pack.map(log([
    { ruleId: 'r', message: { text: 'a' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'src/my%20app/main.go', uriBaseId: 'SRCROOT' }, region: { startLine: 3 } } }] },
    { ruleId: 'r', message: { text: 'b' }, locations: [{ physicalLocation: { artifactLocation: { index: 0 } } }] },
    { ruleId: 'r', message: { text: 'c' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'file:///opt/app/run.sh' } } }] },
  ], [], {
    originalUriBaseIds: { PROJECT: { uri: 'file:///build/' }, SRCROOT: { uri: 'checkout/', uriBaseId: 'PROJECT' } },
    artifacts: [{ location: { uri: 'lib/util.go', uriBaseId: 'SRCROOT' } }],
  }), ctx));
  const files = out.map((e) => (e.evidences as Any[])[0]!.file);
  assert.deepEqual(files[0], { name: 'main.go', path: 'src/my app/main.go', uri: 'file:///build/checkout/src/my%20app/main.go', type_id: 1 });
  assert.deepEqual(files[1], { name: 'util.go', path: 'lib/util.go', uri: 'file:///build/checkout/lib/util.go', type_id: 1 });
  assert.deepEqual(files[2], { name: 'run.sh', path: '/opt/app/run.sh', uri: 'file:///opt/app/run.sh', type_id: 1 });
  assert.deepEqual((out[0]!.evidences as Any[])[0]!.data, { start_line: 3 });
});

test('results without fingerprints still get distinct uids when they differ only in their message', () => {
  const out = events(pack.map(log([
    { ruleId: 'CVE-2024-2511', message: { text: 'Package: libssl3' }, locations: [at('img', 1)] },
    { ruleId: 'CVE-2024-2511', message: { text: 'Package: openssl' }, locations: [at('img', 1)] },
  ]), ctx));
  const [a, b] = out.map((e) => (e.finding_info as Any).uid as string);
  assert.notEqual(a, b);
  assert.match(a!, /^CVE-2024-2511\|img\|1:\|m[0-9a-f]{8}$/);
  const [g] = events(pack.map(log([{ ruleId: 'r', guid: '7f1c2a9e-0b3d-4e5f-8a6b-1c2d3e4f5a6b', correlationGuid: 'c0ffee00-1111-4222-8333-444455556666', message: { text: 'x' } }]), ctx));
  assert.equal((g!.finding_info as Any).uid, 'c0ffee00-1111-4222-8333-444455556666');
  assert.equal((g!.finding_info as Any).uid_alt, '7f1c2a9e-0b3d-4e5f-8a6b-1c2d3e4f5a6b');
  const [bare] = events(pack.map(log([{ message: { id: 'unknown' } }]), ctx));
  assert.equal((bare!.finding_info as Any).uid, 'ExampleScanner|runs[0].results[0]', 'nothing else identifies it');
});

test('run and log leftovers are kept once per run; each run names its own tool', () => {
  const l = {
    version: '2.1.0',
    properties: { uploadedBy: 'ci' },
    runs: [
      { tool: { driver: { name: 'ToolA', organization: 'Example Org', version: '1.0' } }, results: [{ ruleId: 'a', message: { text: '1' } }, { ruleId: 'a', message: { text: '2' } }], columnKind: 'unicodeCodePoints' },
      { tool: { driver: { name: 'ToolB' } }, results: [{ ruleId: 'b', message: { text: '3' } }], invocations: [{ executionSuccessful: false }] },
    ],
  };
  const out = events(pack.map(l, ctx));
  assert.deepEqual((out[0]!.unmapped as Any).run, { columnKind: 'unicodeCodePoints' });
  assert.deepEqual((out[0]!.unmapped as Any).log, { properties: { uploadedBy: 'ci' } });
  assert.equal((out[1]!.unmapped as Any).run, undefined);
  assert.deepEqual((out[2]!.unmapped as Any).run, { invocations: [{ executionSuccessful: false }] });
  assert.deepEqual((out[0]!.metadata as Any).product, { name: 'ToolA', vendor_name: 'Example Org', version: '1.0' });
  assert.deepEqual((out[2]!.metadata as Any).product, { name: 'ToolB' });
});

test('findings do not share objects, so a later transform editing one leaves the others alone', () => {
  const out = events(pack.map(load('codeql.sarif.json'), ctx));
  (out[0]!.resources as Any[])[0]!.uid = 'changed';
  (out[0]!.metadata as Any).product.name = 'changed';
  assert.equal((out[1]!.resources as Any[])[0]!.uid, 'https://git.example.com/shop/web');
  assert.equal((out[1]!.metadata as Any).product.name, 'CodeQL');
});

test('bad input returns a precise reason and never throws', () => {
  assert.match(reason(pack.map({ version: '2.0.0', runs: [] }, ctx)), /^sarif: version "2\.0\.0" is not supported/);
  assert.equal(reason(pack.map({ version: '2.1.0', runs: 'x' }, ctx)), 'sarif: runs is not an array; pass the SARIF log exactly as the tool wrote it');
  assert.equal(reason(pack.map({ version: '2.1.0', runs: [null] }, ctx)), 'sarif: runs[0] is not an object');
  assert.equal(reason(pack.map({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] }, ctx)),
    'sarif: runs[0].tool.driver.name is missing; SARIF requires it to name the analyser');
  assert.equal(reason(pack.map({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: {} }] }, ctx)), 'sarif: runs[0].results is not an array');
  assert.equal(reason(pack.map(log([1]), ctx)), 'sarif: runs[0].results[0] is not an object');
  assert.deepEqual(events(pack.map({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: null }] }, ctx)), [], 'null results: the tool did not run');
  const odd: unknown[] = [null, 0, 'x', [], {}, [null], { a: null }, -1];
  for (const v of odd) {
    for (const k of ['ruleId', 'ruleIndex', 'rule', 'message', 'locations', 'level', 'kind', 'suppressions', 'fingerprints', 'properties', 'provenance', 'taxa', 'baselineState']) {
      const r = pack.map(log([{ ruleId: 'r', message: { text: 'm' }, [k]: v }], [{ id: 'r', properties: { tags: v } }]), ctx);
      assert.equal(r.ok, true, `${k}=${JSON.stringify(v)}`);
    }
    for (const k of ['invocations', 'artifacts', 'originalUriBaseIds', 'versionControlProvenance', 'tool']) {
      assert.doesNotThrow(() => pack.map(log([{ ruleId: 'r', message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { index: 0, uriBaseId: 'B' } } }] }], [], { [k]: v }), ctx));
    }
  }
});
