import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SinkRuntime } from '../../../core/component.js';
import { ComponentConfigError } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { checkConfig, runSink, testBuildContext } from '../../../engine/testing.js';
import def from './index.js';
import { numbered } from './writers.js';

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-file-sink-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// testBuildContext() makes a temp data dir per call; share one and remove it at exit.
const dataRoot = mkdtempSync(join(tmpdir(), 'sluice-file-data-'));
process.on('exit', () => rmSync(dataRoot, { recursive: true, force: true }));

async function build(raw: Record<string, unknown>, configDir: string): Promise<SinkRuntime> {
  const ctx = testBuildContext('test', dataRoot);
  ctx.configDir = configDir;
  return (await def.build(checkConfig(def, raw) as never, ctx)) as SinkRuntime;
}

const readNdjson = (f: string) => readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Event);

/** Every file under dir, relative, sorted. */
function tree(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...tree(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

test('templated paths split events by field and by event date (UTC), relative to the config dir', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sink = await build({ path: './out/%Y-%m-%d/{{ .host }}.ndjson' }, dir);
    const events = [
      { host: 'web-1', timestamp: '2024-05-01T23:59:59Z', n: 1 },
      { host: 'web-2', timestamp: '2024-05-01T10:00:00.123Z', n: 2 },
      { host: 'web-1', timestamp: Date.UTC(2024, 4, 2, 0, 0, 1), n: 3 },
      { host: 'web-1', timestamp: '2024-05-01T00:00:00+02:00', n: 4 },
    ];
    const results = await runSink(sink, [events, [{ host: 'web-2', timestamp: '2024-05-01T11:00:00Z', n: 5 }]]);
    assert.deepEqual(results, [undefined, undefined]);
    assert.deepEqual(tree(dir), ['out/2024-04-30/web-1.ndjson', 'out/2024-05-01/web-1.ndjson', 'out/2024-05-01/web-2.ndjson', 'out/2024-05-02/web-1.ndjson']);
    assert.deepEqual(readNdjson(join(dir, 'out/2024-05-01/web-2.ndjson')).map((e) => e.n), [2, 5]);
    assert.deepEqual(readNdjson(join(dir, 'out/2024-05-02/web-1.ndjson')).map((e) => e.n), [3]);
    assert.deepEqual(readNdjson(join(dir, 'out/2024-04-30/web-1.ndjson')).map((e) => e.n), [4]);
  } finally { cleanup(); }
});

test('events without a valid timestamp use the current time; a missing path field is rejected', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sink = await build({ path: 'out/%Y/{{ .host }}.log', timestamp_field: 'ts' }, dir);
    const [res] = await runSink(sink, [[{ host: 'a', ts: 'yesterday' }, { ts: 1 }, { host: 'a' }]]);
    const year = new Date().getUTCFullYear();
    assert.deepEqual(res, { rejected: [{ index: 1, reason: 'path template field .host is missing' }] });
    assert.equal(readNdjson(join(dir, `out/${year}/a.log`)).length, 2);
  } finally { cleanup(); }
});

test('a field cannot move a file outside the template directory', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'cfg'));
    const sink = await build({ path: 'out/{{ .a }}/{{ .b }}.log' }, join(dir, 'cfg'));
    await runSink(sink, [[
      { a: '..', b: '../../../escape', n: 1 },
      { a: '.', b: '..', n: 2 },
      { a: '/etc', b: 'passwd\n', n: 3 },
      { a: 'x\\..\\..', b: '', n: 4 },
    ]]);
    assert.deepEqual(tree(dir), ['cfg/out/_/__.log', 'cfg/out/__/.._.._.._escape.log', 'cfg/out/_etc/passwd_.log', 'cfg/out/x_.._../_.log']);
    assert.ok(!existsSync(join(dir, 'escape.log')));
  } finally { cleanup(); }
});

test('gzip output decompresses to the same NDJSON, across writes and reopen', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const events = Array.from({ length: 500 }, (_, i) => ({ i, msg: `event ${i} ${'x'.repeat(i % 50)}` }));
    const sink = await build({ path: 'out/all.ndjson.gz', compression: 'gzip' }, dir);
    await runSink(sink, [events.slice(0, 200), events.slice(200, 300)]);
    const again = await build({ path: 'out/all.ndjson.gz', compression: 'gzip' }, dir); // a restart appends
    await runSink(again, [events.slice(300)]);
    const text = gunzipSync(readFileSync(join(dir, 'out/all.ndjson.gz'))).toString('utf8');
    assert.equal(text, events.map((e) => JSON.stringify(e) + '\n').join(''));
  } finally { cleanup(); }
});

test('size rotation: each file within the limit (or one record), numbered, nothing lost or overwritten', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const events = Array.from({ length: 300 }, (_, i) => ({ i, pad: 'y'.repeat(i % 37) }));
    const cfg = { path: 'out/app.ndjson', max_file_bytes: 1000 };
    await runSink(await build(cfg, dir), [events.slice(0, 120), events.slice(120, 121), [{ i: 'big', pad: 'z'.repeat(1500) }]]);
    await runSink(await build(cfg, dir), [events.slice(121)]); // a restart continues numbering
    const files = tree(join(dir, 'out'));
    assert.ok(files.length > 10, `rotated into ${files.length} files`);
    const ordered = files.map((_, n) => numbered('app.ndjson', n));
    assert.deepEqual([...ordered].sort(), files, 'app.ndjson, app.1.ndjson, app.2.ndjson, ...');
    const all: Event[] = [];
    for (const f of ordered) {
      const size = statSync(join(dir, 'out', f)).size;
      const recs = readNdjson(join(dir, 'out', f));
      assert.ok(size <= 1000 || recs.length === 1, `${f} is ${size} bytes with ${recs.length} records`);
      all.push(...recs);
    }
    assert.deepEqual(all.map((e) => e.i), [...Array.from({ length: 121 }, (_, i) => i), 'big', ...Array.from({ length: 179 }, (_, i) => i + 121)]);
  } finally { cleanup(); }
});

test('age rotation starts a new numbered file; gzip rotated files are each complete', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sink = await build({ path: 'out/a.ndjson.gz', compression: 'gzip', max_file_age: '50ms' }, dir);
    await runSink(sink, [[{ n: 1 }], [{ n: 2 }]]);
    await new Promise((r) => setTimeout(r, 60));
    const sink2 = await build({ path: 'out/a.ndjson.gz', compression: 'gzip', max_file_age: '50ms' }, dir);
    const ctx = { id: 't', signal: new AbortController().signal, log: testBuildContext('test', dataRoot).log };
    await sink2.write([{ n: 3 }], ctx);
    await new Promise((r) => setTimeout(r, 60));
    await sink2.write([{ n: 4 }], ctx);
    await sink2.stop!();
    assert.deepEqual(tree(join(dir, 'out')), ['a.1.ndjson.gz', 'a.ndjson.gz']);
    const read = (f: string) => gunzipSync(readFileSync(join(dir, 'out', f))).toString().trimEnd().split('\n').map((l) => JSON.parse(l).n);
    assert.deepEqual(read('a.ndjson.gz'), [1, 2, 3]);
    assert.deepEqual(read('a.1.ndjson.gz'), [4]);
  } finally { cleanup(); }
});

test('text encoding writes the message; fsync and max_open_files keep every event', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sink = await build({ path: 'out/{{ .k }}.txt', encoding: 'text', fsync: true, max_open_files: 2 }, dir);
    const batch = Array.from({ length: 40 }, (_, i) => ({ k: `f${i % 5}`, message: `line ${i}` }));
    await runSink(sink, [batch, [{ k: 'f0', other: 1 }]]);
    assert.equal(tree(join(dir, 'out')).length, 5);
    assert.equal(readFileSync(join(dir, 'out/f0.txt'), 'utf8'), 'line 0\nline 5\nline 10\nline 15\nline 20\nline 25\nline 30\nline 35\n{"k":"f0","other":1}\n');
  } finally { cleanup(); }
});

test('a failed write throws, so the engine dead-letters the batch', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'out', 'x.log'), { recursive: true }); // the file's name is taken by a directory
    const sink = await build({ path: 'out/x.log' }, dir);
    await assert.rejects(runSink(sink, [[{ a: 1 }]]), /cannot write .*x\.log/);
  } finally { cleanup(); }
});

test('a write to a path that exists as a directory fails for that path only', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'out', 'bad.log'), { recursive: true });
    writeFileSync(join(dir, 'out', 'keep'), '');
    const sink = await build({ path: 'out/{{ .f }}.log' }, dir);
    const [res] = await runSink(sink, [[{ f: 'bad' }, { f: 'good' }]]);
    assert.equal((res as { rejected: { index: number }[] }).rejected.map((r) => r.index).join(), '0');
    assert.equal(readFileSync(join(dir, 'out/good.log'), 'utf8'), '{"f":"good"}\n');
  } finally { cleanup(); }
});

test('bad templates are reported at build', async () => {
  const ctx = testBuildContext('test', dataRoot);
  const bad = async (raw: Record<string, unknown>, re: RegExp) =>
    assert.rejects(async () => def.build(checkConfig(def, raw) as never, ctx), (e: unknown) => e instanceof ComponentConfigError && re.test(e.message));
  await bad({ path: 'out/%Q.log' }, /%Q/);
  await bad({ path: 'out/{{ .host.log' }, /unclosed/);
  await bad({ path: 'out/{{ host name }}.log' }, /invalid field/);
  await bad({ path: 'out/' }, /directory/);
  assert.throws(() => checkConfig(def, {}), /path/);
});

test('JSON text from a disk buffer is written as is for a fixed path; a templated path needs the events', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const fixed = await build({ path: 'out/all.ndjson' }, dir);
    assert.equal(typeof fixed.writeJsonLines, 'function');
    const ctx = { id: 'test', signal: new AbortController().signal, log: { debug() {}, info() {}, warn() {}, error() {} } };
    await fixed.writeJsonLines!(['{"a":1}', '{"b":"x y"}'], ctx);
    await fixed.write([{ c: true }], ctx);
    // With the buffer's bytes as well, those are written (the strings are not joined again).
    await fixed.writeJsonLines!(['{"d":1}', '{"e":2}', '{"f":3}'], ctx, [Buffer.from('{"d":1}\n{"e":2}'), Buffer.from('{"f":3}')]);
    await fixed.stop?.();
    assert.equal(readFileSync(join(dir, 'out/all.ndjson'), 'utf8'), '{"a":1}\n{"b":"x y"}\n{"c":true}\n{"d":1}\n{"e":2}\n{"f":3}\n');
    assert.equal((await build({ path: 'out/%Y-%m-%d.ndjson' }, dir)).writeJsonLines, undefined, 'the date comes from each event');
    assert.equal((await build({ path: 'out/all.txt', encoding: 'text' }, dir)).writeJsonLines, undefined, 'text encoding writes .message');
  } finally { cleanup(); }
});
