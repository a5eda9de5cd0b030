/** The engine as a user meets it: validate, run as a batch command, stop with SIGTERM, reload, dlq. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, readLines, sluice, sluiceSync, tmp, waitFor } from './cli.js';

test('validate reports every problem with file:line:col and exits 78', () => {
  const dir = tmp();
  const cfg = join(dir, 'broken.yaml');
  writeFileSync(cfg, [
    'sources:',
    '  in: { type: stdinn }',
    'transforms:',
    '  p: { type: parse, inputs: [inn], format: jsn }',
    'sinks:',
    '  out: { type: console, inputs: [p], encodin: json }',
    '',
  ].join('\n'));
  const r = sluiceSync(['validate', '-c', cfg]);
  assert.equal(r.code, 78, r.stderr);
  assert.match(r.stderr, /broken\.yaml:2:15: error: unknown source type `stdinn`\n[\s\S]*hint: did you mean `stdin`/);
  assert.match(r.stderr, /broken\.yaml:4:30: error: unknown input `inn`[\s\S]*did you mean `in`/);
  assert.match(r.stderr, /broken\.yaml:4:44: error: expected one of .*found the string "jsn"[\s\S]*did you mean "json"/);
  assert.match(r.stderr, /broken\.yaml:6:38: error: unknown option `encodin`[\s\S]*did you mean `encoding`/);
  assert.match(r.stderr, /4 problems in the config/);
});

test('run works as a batch command: stdin at EOF drains and exits 0', () => {
  const dir = tmp();
  const cfg = join(dir, 'p.yaml');
  const out = join(dir, 'out.ndjson');
  writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
sources:
  in: { type: stdin }
transforms:
  p: { type: parse, inputs: [in], format: json }
  f: { type: filter, inputs: [p], condition: '.level == "error"' }
sinks:
  out: { type: file, inputs: [f], path: ${out} }
`);
  const input = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, level: i % 4 === 0 ? 'error' : 'info' })).join('\n') + '\nnot json\n';
  const r = sluiceSync(['run', '-q', '-c', cfg], { input });
  assert.equal(r.code, 0, r.stderr);
  const lines = readLines(out).map((l) => JSON.parse(l));
  assert.equal(lines.length, 250);
  assert.ok(lines.every((e) => e.level === 'error'));
  const dlq = sluiceSync(['dlq', 'list', '--data-dir', join(dir, 'data')]);
  assert.equal(dlq.code, 0, dlq.stderr);
  assert.match(dlq.stdout, /1 dead letters/);
  assert.match(dlq.stdout, /p\s+parse_failed\s+1/);
  const id = /\n(\S+-\S+-\S+)\s+\d{4}-/.exec(dlq.stdout)?.[1];
  assert.ok(id, dlq.stdout);
  const show = sluiceSync(['dlq', 'show', id!, '--data-dir', join(dir, 'data')]);
  assert.match(show.stdout, /"message": "not json"/);
  assert.match(show.stdout, /"reason": "invalid JSON/);
});

test('SIGTERM mid-stream loses nothing: a restart resumes exactly where the first run stopped', async () => {
  const dir = tmp();
  const input = join(dir, 'in.log');
  const out = join(dir, 'out.ndjson');
  const N = 200_000;
  writeFileSync(input, Array.from({ length: N }, (_, i) => JSON.stringify({ i, msg: `event number ${i} with some padding to make it longer` })).join('\n') + '\n');
  const cfg = join(dir, 'p.yaml');
  writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
sources:
  in: { type: file, include: [${input}], read_from: beginning, stop_at_eof: true, decoding: json, file_key: "" }
sinks:
  out: { type: file, inputs: [in], path: ${out} }
`);
  const first = sluice(['run', '-q', '-c', cfg]);
  await waitFor(() => readLines(out).length > 1000, 20_000, 'first events written');
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.stderr());
  const afterFirst = readLines(out).length;
  assert.ok(afterFirst < N, `the first run should have been stopped mid-stream (wrote ${afterFirst})`);
  const second = sluiceSync(['run', '-q', '-c', cfg]);
  assert.equal(second.code, 0, second.stderr);
  const ids = readLines(out).map((l) => (JSON.parse(l) as { i: number }).i);
  assert.equal(ids.length, N, 'every line arrives exactly once');
  assert.equal(new Set(ids).size, N);
});

test('SIGHUP reloads a changed config without a restart', async () => {
  const dir = tmp();
  const input = join(dir, 'in.log');
  writeFileSync(input, '');
  const outA = join(dir, 'a.ndjson');
  const outB = join(dir, 'b.ndjson');
  const cfg = join(dir, 'p.yaml');
  const write = (out: string) => writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
sources:
  in: { type: file, include: [${input}], read_from: beginning, poll_interval: 50ms, file_key: "" }
sinks:
  out: { type: file, inputs: [in], path: ${out} }
`);
  write(outA);
  const run = sluice(['run', '-c', cfg]);
  appendFileSync(input, 'one\n');
  await waitFor(() => readLines(outA).length === 1, 20_000, 'first line in a');
  write(outB);
  run.child.kill('SIGHUP');
  await waitFor(() => /reloaded \(SIGHUP\): changed out/.test(run.stderr()), 20_000, 'reload logged');
  appendFileSync(input, 'two\n');
  await waitFor(() => readLines(outB).length === 1, 20_000, 'second line in b');
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.deepEqual(readLines(outA).map((l) => JSON.parse(l).message), ['one']);
  assert.deepEqual(readLines(outB).map((l) => JSON.parse(l).message), ['two']);
});

test('the API serves health and metrics; top and tap read it', async () => {
  const dir = tmp();
  const port = await freePort();
  const cfg = join(dir, 'p.yaml');
  writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
api: { address: 127.0.0.1:${port} }
sources:
  gen: { type: demo, rate: 200 }
sinks:
  none: { type: blackhole, inputs: [gen] }
`);
  const run = sluice(['run', '-c', cfg]);
  await waitFor(async () => { try { return (await fetch(`http://127.0.0.1:${port}/health`)).ok; } catch { return false; } }, 20_000, 'API up');
  const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { status: string };
  assert.equal(health.status, 'ok');
  const sinkSent = /sluice_component_sent_events_total\{component_id="none",component_type="blackhole",component_kind="sink",output="default"\} [1-9]/;
  let metrics = '';
  // The sink writes once its batch fills or its batch timeout (1s) passes.
  await waitFor(async () => sinkSent.test((metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())), 20_000, 'sink metrics');
  assert.match(metrics, /sluice_component_received_events_total\{component_id="gen",component_type="demo",component_kind="source"\} [1-9]/);
  assert.match(metrics, /sluice_component_queue_events\{component_id="none",component_type="blackhole",component_kind="sink"\} \d+/);
  const top = sluiceSync(['top', '--once', '--api', `127.0.0.1:${port}`, '--interval', '0.5']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /gen\s+source\s+demo\s+\S+\/s/);
  const tap = sluiceSync(['tap', 'gen', '--api', `127.0.0.1:${port}`, '--limit', '3']);
  assert.equal(tap.code, 0, tap.stderr);
  const sampled = tap.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(sampled.length, 3);
  assert.ok(sampled.every((e) => typeof e.message === 'string'));
  const stats = sluiceSync(['stats', '--api', `127.0.0.1:${port}`, '--json']);
  assert.equal(stats.code, 0, stats.stderr);
  const books = (JSON.parse(stats.stdout) as { sources: { source: string; received: number; balanced: boolean }[] }).sources;
  assert.equal(books[0]!.source, 'gen');
  assert.ok(books[0]!.received > 0 && books[0]!.balanced);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
});

test('--watch-config applies an edited config; an invalid edit is refused and the pipeline keeps running', async () => {
  const dir = tmp();
  const input = join(dir, 'in.log');
  writeFileSync(input, '');
  const out = join(dir, 'out.ndjson');
  const cfg = join(dir, 'p.yaml');
  const write = (cond: string) => writeFileSync(cfg, `
data_dir: ${join(dir, 'data')}
sources:
  in: { type: file, include: [${input}], poll_interval: 50ms, file_key: "" }
transforms:
  keep: { type: filter, inputs: [in], condition: '${cond}' }
sinks:
  out: { type: file, inputs: [keep], path: ${out} }
`);
  write('.message == "a"');
  const run = sluice(['run', '--watch-config', '-c', cfg]);
  appendFileSync(input, 'a\nb\n');
  await waitFor(() => readLines(out).length === 1, 20_000, 'a written');
  write('.message == "b" or');
  await waitFor(() => /reload \(config changed\) refused/.test(run.stderr()), 20_000, 'invalid config refused');
  write('.message == "b"');
  await waitFor(() => /reloaded \(config changed\): changed keep/.test(run.stderr()), 20_000, 'reload logged');
  appendFileSync(input, 'a\nb\n');
  await waitFor(() => readLines(out).length === 2, 20_000, 'b written');
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.deepEqual(readLines(out).map((l) => JSON.parse(l).message), ['a', 'b']);
});
