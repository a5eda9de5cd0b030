import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer, type Framing } from './framing.js';

interface Out { messages: string[]; errors: { code: string; reason: string; preview: string }[] }

function frame(framing: Framing, chunks: (string | Buffer)[], max = 1024, end = true): Out & { fatal: string | null; framer: Framer } {
  const out: Out = { messages: [], errors: [] };
  const f = new Framer(framing, max, {
    message: (t) => out.messages.push(t),
    error: (code, reason, preview) => out.errors.push({ code, reason, preview }),
  });
  for (const c of chunks) f.push(typeof c === 'string' ? Buffer.from(c) : c);
  if (end) f.end();
  return { ...out, fatal: f.fatal, framer: f };
}

const octet = (...msgs: string[]) => msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');

test('octet counting: messages may contain newlines; any chunking gives the same messages', () => {
  const msgs = ['<13>1 - h a - - - line one\nline two', '<14>Oct 11 22:14:15 h su: x', 'ünïcödé ✓'];
  const wire = Buffer.from(octet(...msgs));
  for (let size = 1; size <= wire.length; size += 3) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
    const r = frame('auto', chunks);
    assert.deepEqual(r.messages, msgs, `chunk size ${size}`);
    assert.deepEqual(r.errors, []);
  }
});

test('newline framing: LF and CRLF, empty lines skipped, a final unterminated line is delivered at end', () => {
  const r = frame('auto', ['<13>a\r\n\n<13>b', '\n<13>c']);
  assert.deepEqual(r.messages, ['<13>a', '<13>b', '<13>c']);
  assert.equal(r.framer.framing, 'newline');
});

test('auto: a leading digit not followed by a space falls back to newline framing', () => {
  const r = frame('auto', ['2024-01-15T10:20:30Z web-1 sshd[4]: hi\n2024-01-15T10:20:31Z web-1 sshd[4]: again\n']);
  assert.deepEqual(r.messages, ['2024-01-15T10:20:30Z web-1 sshd[4]: hi', '2024-01-15T10:20:31Z web-1 sshd[4]: again']);
  assert.equal(r.fatal, null);
});

test('octet counting: an oversized message is skipped and reported; the next one still arrives', () => {
  const big = 'x'.repeat(5000);
  const r = frame('octet_counting', [octet(`<13>${big}`, '<13>after'), ''], 100);
  assert.deepEqual(r.messages, ['<13>after']);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.code, 'line_too_long');
  assert.equal(r.errors[0]!.reason, 'message of 5004 bytes exceeds max_message_bytes (100)');
  assert.equal(r.errors[0]!.preview, `<13>${'x'.repeat(196)}`);
});

test('newline framing: an oversized line is reported and the stream carries on', () => {
  const r = frame('newline', [`<13>${'y'.repeat(300)}\n<13>ok\n`], 100);
  assert.deepEqual(r.messages, ['<13>ok']);
  assert.equal(r.errors[0]!.code, 'line_too_long');
});

test('octet counting configured: garbage is fatal, reported with its position', () => {
  const r = frame('octet_counting', [octet('<13>first') + 'hello\n<13>x'], 1024, false);
  assert.deepEqual(r.messages, ['<13>first']);
  assert.equal(r.fatal, 'bad octet-counting frame at byte 11: expected a message length, found "h"');
  assert.equal(r.errors[0]!.code, 'parse_failed');
  assert.match(r.errors[0]!.reason, /closing the connection$/);
  assert.equal(r.errors[0]!.preview, 'hello\n<13>x');
  // Nothing more is framed after a fatal error.
  r.framer.push(Buffer.from(octet('<13>later')));
  assert.deepEqual(r.messages, ['<13>first']);
});

test('end of connection mid-message is reported, not dropped', () => {
  const r = frame('octet_counting', ['20 <13>only part']);
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.errors.map((e) => e.reason), ['connection closed in the middle of a 20-byte message (13 bytes received)']);
  assert.equal(r.errors[0]!.preview, '<13>only part');
  assert.deepEqual(frame('octet_counting', ['12']).errors.map((e) => e.reason), ['connection closed after a partial message length "12"']);
});

test('invalid UTF-8 inside an octet-counted frame goes to errors', () => {
  const body = Buffer.concat([Buffer.from('<13>bad '), Buffer.from([0xff, 0xfe])]);
  const r = frame('octet_counting', [Buffer.concat([Buffer.from(`${body.length} `), body, Buffer.from(octet('<13>good'))])]);
  assert.deepEqual(r.messages, ['<13>good']);
  assert.equal(r.errors[0]!.code, 'invalid_utf8');
});

test('a length of more than 10 digits is garbage, not a 10 GB message', () => {
  const r = frame('octet_counting', ['99999999999 x'], 1024, false);
  assert.match(r.fatal ?? '', /expected a message length/);
});
