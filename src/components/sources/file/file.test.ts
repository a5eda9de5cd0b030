import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig } from '../../../engine/testing.js';
import { ComponentConfigError } from '../../../core/component.js';
import def from './index.js';
import { build, buildContext, lines, messages, start, tempDir, waitFor, sleep } from './test-kit.js';

test('reads the existing lines of every matched file, in order, with the path', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'a.log'), lines('a', 50));
    writeFileSync(join(dir, 'b.log'), lines('b', 30));
    const src = start(await build({ include: [join(dir, '*.log')], batch_events: 7 }));
    await waitFor('80 lines', () => src.res.events.length >= 80);
    const { events } = await src.stop();
    assert.equal(events.length, 80);
    const a = events.filter((e) => e.file === join(dir, 'a.log'));
    assert.deepEqual(messages(a), lines('a', 50).trimEnd().split('\n'));
    assert.equal(events.filter((e) => e.file === join(dir, 'b.log')).length, 30);
  } finally { await cleanup(); }
});

test('read_from end skips what is there at startup and reads what is appended', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    writeFileSync(f, lines('old', 10) + 'being writ');
    const src = start(await build({ include: [f], read_from: 'end' }));
    await sleep(100);
    appendFileSync(f, 'ten\n' + lines('new', 3));
    await waitFor('4 new lines', () => src.res.events.length >= 4);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), ['being written', 'new 0', 'new 1', 'new 2'], 'the line in progress at startup is read whole');
  } finally { await cleanup(); }
});

test('follows appends, holding a partial line until its newline arrives', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'first\n');
    const src = start(await build({ include: [f], file_key: 'path' }));
    await waitFor('first line', () => src.res.events.length === 1);
    appendFileSync(f, 'second\nthi');
    await waitFor('second line', () => src.res.events.length === 2);
    await sleep(80);
    assert.equal(src.res.events.length, 2, 'a line without its newline is not emitted yet');
    appendFileSync(f, 'rd\r\n');
    await waitFor('third line', () => src.res.events.length === 3);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), ['first', 'second', 'third']);
    assert.equal(events[0]!.path, f);
    assert.equal(events[0]!.file, undefined);
  } finally { await cleanup(); }
});

test('invalid UTF-8, over-long lines and bad JSON go to errors while the rest flows', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'mixed.ndjson');
    const bad = Buffer.concat([Buffer.from('{"n":1}\n'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), Buffer.from(`{"long":"${'x'.repeat(300)}"}\n{"n":2}\nnot json\n{"n":3}\n`)]);
    writeFileSync(f, bad);
    const src = start(await build({ include: [f], decoding: 'json', max_line_bytes: 100, read_bytes: '1KiB' }));
    await waitFor('3 events and 3 errors', () => src.res.events.length >= 3 && src.res.errors.length >= 3);
    const { events, errors } = await src.stop();
    assert.deepEqual(events.map((e) => e.n), [1, 2, 3]);
    assert.deepEqual(errors.map((e) => e.error_code).sort(), ['invalid_utf8', 'line_too_long', 'parse_failed']);
    const parse = errors.find((e) => e.error_code === 'parse_failed')!;
    assert.deepEqual(parse.event, { message: 'not json', file: f });
    assert.match(errors.find((e) => e.error_code === 'line_too_long')!.reason, /max_line_bytes/);
  } finally { await cleanup(); }
});

test('exclude globs win over include (file name and relative patterns)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(join(dir, 'logs', 'skip'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'keep.log'), 'keep\n');
    writeFileSync(join(dir, 'logs', 'old.log.gz'), 'zipped\n');
    writeFileSync(join(dir, 'logs', 'skip', 'x.log'), 'skipped\n');
    const src = start(await build({ include: ['logs/**'], exclude: ['*.gz', './logs/skip/**'] }, dir));
    await waitFor('keep', () => src.res.events.length >= 1);
    await sleep(150);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), ['keep']);
    assert.equal(events[0]!.file, join(dir, 'logs', 'keep.log'), 'relative include resolved from the config directory');
  } finally { await cleanup(); }
});

test('files that appear later are read from their beginning, even with read_from end', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const src = start(await build({ include: [join(dir, '*.log')], read_from: 'end' }));
    await sleep(80);
    writeFileSync(join(dir, 'late.log'), lines('late', 5));
    await waitFor('5 lines', () => src.res.events.length >= 5);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), lines('late', 5).trimEnd().split('\n'));
  } finally { await cleanup(); }
});

test('an empty file is picked up once it gets its first line', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'empty.log');
    writeFileSync(f, '');
    const src = start(await build({ include: [f] }));
    await sleep(80);
    appendFileSync(f, 'hello\n');
    await waitFor('hello', () => src.res.events.length >= 1);
    const { events } = await src.stop();
    assert.deepEqual(messages(events), ['hello']);
  } finally { await cleanup(); }
});

test('config problems are reported at build', async () => {
  const ctx = buildContext();
  assert.throws(() => checkConfig(def, {}), /include/);
  await assert.rejects(async () => def.build(checkConfig(def, { include: ['x'], multiline: { start_pattern: '(a' } }) as never, ctx),
    (e: unknown) => e instanceof ComponentConfigError && e.path.join('.') === 'multiline.start_pattern');
  await assert.rejects(async () => def.build(checkConfig(def, { include: ['x'], multiline: { start_pattern: '^(a)\\1' } }) as never, ctx), ComponentConfigError);
  await assert.rejects(async () => def.build(checkConfig(def, { include: [] }) as never, ctx), /include/);
  assert.throws(() => checkConfig(def, { include: ['x'], read_from: 'start' }), /beginning/);
});
