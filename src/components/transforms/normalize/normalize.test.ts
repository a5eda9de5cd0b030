import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTransform, runTransform, testBuildContext } from '../../../engine/testing.js';
import def from './index.js';

const sshd = (msg: string) => ({ message: `<38>Nov 23 10:00:01 bastion-1 sshd[4411]: ${msg}` });
const accepted = sshd('Accepted publickey for alice from 192.0.2.21 port 51122 ssh2');
const web = { message: '203.0.113.18 - - [23/Nov/2026:10:00:00 +0000] "GET /admin HTTP/1.1" 403 12 "-" "curl/8.5.0"' };

test('auto: each event goes through the pack that recognises it; derived fields are filled; the result is valid', async () => {
  const rt = await buildTransform(def, {});
  const r = await runTransform(rt, [accepted, web]);
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const [auth, http] = r.outputs.get('')!;
  assert.equal(auth!.class_uid, 3002);
  assert.equal(auth!.class_name, 'Authentication');
  assert.equal(auth!.category_uid, 3);
  assert.equal(auth!.type_uid, 300201);
  assert.equal(auth!.type_name, 'Authentication: Logon');
  assert.equal(auth!.activity_name, 'Logon');
  assert.equal(auth!.status, 'Success');
  assert.equal(http!.class_uid, 4002);
  assert.equal(http!.type_uid, 400203);
  assert.equal(http!.severity, 'Informational');
});

test('what no pack recognises, and what a pack cannot map, go to errors with the reason', async () => {
  const rt = await buildTransform(def, {});
  const r = await runTransform(rt, [{ hello: 'world' }, { appname: 'sudo', message: 'gibberish' }]);
  assert.equal(r.outputs.get('')?.length ?? 0, 0);
  assert.deepEqual(r.errors.map((e) => e.error_code), ['ocsf_unmapped', 'ocsf_unmapped']);
  assert.match(String(r.errors[0]!.reason), /^no pack recognises this event \(tried .*linux_auth.*\)/);
  assert.equal(r.errors[1]!.reason, 'linux_auth: sudo message not recognised by the linux_auth pack: "gibberish"');
});

test('validate: strict sends invalid OCSF to errors with each violation; warn passes it on; a named pack skips detection', async () => {
  // A port outside 0..65535 parses as a number but is not a valid OCSF port_t.
  const bad = sshd('Accepted password for bob from 192.0.2.9 port 70000 ssh2');
  const strict = await runTransform(await buildTransform(def, { pack: 'linux_auth' }), [bad]);
  assert.equal(strict.errors.length, 1);
  assert.equal(strict.errors[0]!.error_code, 'ocsf_invalid');
  assert.match(String(strict.errors[0]!.reason), /^linux_auth: not valid OCSF: src_endpoint\.port: /);
  const warn = await runTransform(await buildTransform(def, { pack: 'linux_auth', validate: 'warn' }), [bad]);
  assert.equal(warn.errors.length, 0);
  assert.equal(warn.outputs.get('')!.length, 1);
});

test('schema drift: new unmapped fields and event types are counted per pack and saved for `sluice ocsf drift`', async () => {
  const ctx = testBuildContext('norm');
  const rt = await buildTransform(def, { pack: 'linux_auth' }, ctx);
  await runTransform(rt, [
    { appname: 'sshd', message: 'Accepted password for a from 192.0.2.1 port 1 ssh2', timestamp: '2026-11-23T10:00:00Z', facility: 'auth' },
    { appname: 'sshd', message: 'Accepted password for b from 192.0.2.2 port 2 ssh2', timestamp: '2026-11-23T10:00:01Z', facility: 'auth' },
    { appname: 'sudo', hostname: 'db-1', message: 'alice : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls', timestamp: '2026-11-23T10:00:02Z', facility: 'authpriv' },
  ]);
  const c = rt.counters!();
  assert.equal(c['ocsf_mapped.linux_auth'], 3);
  assert.equal(c['ocsf_new_event_types.linux_auth'], 2, 'Authentication: Logon and Process Activity: Launch');
  assert.equal(c['ocsf_new_fields.linux_auth'], 2, 'unmapped.facility and unmapped.tty');
  await rt.stop?.();
  const saved = JSON.parse(readFileSync(join(ctx.dataDir, 'ocsf-drift.json'), 'utf8')) as { entries: { kind: string; name: string; count: number }[] };
  assert.deepEqual(saved.entries.filter((e) => e.kind === 'field').map((e) => [e.name, e.count]), [['facility', 3], ['tty', 1]]);
});

test('an unknown pack is a config error that lists the packs', async () => {
  await assert.rejects(buildTransform(def, { pack: 'cloudtrial' }), /unknown pack `cloudtrial`/);
});
