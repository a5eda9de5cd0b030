import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_EVENT_CHARS, WinXmlSplitter, parseWinXml, splitWinXml, type WinXmlPiece } from './winxml.js';
import { prng } from '../../bench/events.js';

const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

const LOGON = `<Event xmlns='${NS}'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>` +
  `<EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>` +
  `<TimeCreated SystemTime='2024-05-14T09:12:44.5631120Z'/><EventRecordID>1183372</EventRecordID><Correlation ActivityID='{f3a7c1d2-8b4e-0001-6c21-a8f34b9eda01}'/>` +
  `<Execution ProcessID='748' ThreadID='3212'/><Channel>Security</Channel><Computer>FS01.corp.example.com</Computer><Security/></System>` +
  `<EventData><Data Name='TargetUserName'>alice</Data><Data Name='LogonType'>3</Data><Data Name='IpAddress'>192.0.2.41</Data>` +
  `<Data Name='WorkstationName'>-</Data><Data Name='TransmittedServices'/></EventData></Event>`;

function ok(xml: string) {
  const r = parseWinXml(xml);
  if (!r.ok) assert.fail(`expected the document to parse: ${r.reason}`);
  return r.value.Event;
}

function reason(xml: string): string {
  const r = parseWinXml(xml);
  assert.equal(r.ok, false, `expected ${JSON.stringify(String(xml).slice(0, 80))} to be rejected`);
  return (r as { reason: string }).reason;
}

test('an event document becomes the exported JSON form: System with numbers and attribute objects, EventData by name', () => {
  assert.deepEqual(ok(LOGON), {
    System: {
      Provider: { Name: 'Microsoft-Windows-Security-Auditing', Guid: '{54849625-5478-4994-a5ba-3e3b0328c30d}' },
      EventID: 4624, Version: 2, Level: 0, Task: 12544, Opcode: 0, Keywords: '0x8020000000000000',
      TimeCreated: { SystemTime: '2024-05-14T09:12:44.5631120Z' },
      EventRecordID: 1183372,
      Correlation: { ActivityID: '{f3a7c1d2-8b4e-0001-6c21-a8f34b9eda01}' },
      Execution: { ProcessID: 748, ThreadID: 3212 },
      Channel: 'Security', Computer: 'FS01.corp.example.com', Security: {},
    },
    EventData: { TargetUserName: 'alice', LogonType: '3', IpAddress: '192.0.2.41', WorkstationName: '-', TransmittedServices: '' },
  });
});

test('pretty-printed XML (as wevtutil /f:RenderedXml writes it) gives the same System and EventData, plus RenderingInfo', () => {
  const pretty = LOGON.replace(/></g, '>\n    <').replace('<EventData>', '<EventData>\n')
    .replace('</Event>', `<RenderingInfo Culture="en-US">\n <Message>An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tS-1-0-0</Message>\n` +
      ' <Level>Information</Level>\n <Keywords>\n  <Keyword>Audit Success</Keyword>\n </Keywords>\n</RenderingInfo>\n</Event>');
  const e = ok(pretty);
  assert.deepEqual(e.System, ok(LOGON).System);
  assert.deepEqual(e.EventData, ok(LOGON).EventData);
  assert.deepEqual(e.RenderingInfo, {
    Culture: 'en-US', Message: 'An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tS-1-0-0',
    Level: 'Information', Keywords: { Keyword: 'Audit Success' },
  });
});

test('Data values keep their exact text: entities and character references decoded, CDATA kept, spaces not trimmed', () => {
  const e = ok(`<Event xmlns="${NS}"><System><EventID>1</EventID></System><EventData>` +
    `<Data Name="CommandLine">&quot;C:\\Program Files\\App\\app.exe&quot; -a &amp;&amp; b &lt;x&gt; </Data>` +
    `<Data Name="Multi">line1&#xD;&#xA;line2&#9;tab&#65;</Data>` +
    `<Data Name="Raw"><![CDATA[<not markup> &amp; stays]]></Data>` +
    `<Data Name="Bad">&#0;&#xD800;</Data><Data Name="Unknown">&nbsp;</Data></EventData></Event>`);
  assert.deepEqual(e.EventData, {
    CommandLine: '"C:\\Program Files\\App\\app.exe" -a && b <x> ',
    Multi: 'line1\r\nline2\ttabA',
    Raw: '<not markup> &amp; stays',
    Bad: '\uFFFD\uFFFD',
    Unknown: '&nbsp;',
  });
});

test('unnamed Data become param1..n, a repeated name keeps every value, Binary is kept', () => {
  const e = ok(`<Event xmlns="${NS}"><System><Provider Name="Service Control Manager"/><EventID Qualifiers="16384">7036</EventID></System>` +
    `<EventData><Data>Windows Update</Data><Data>running</Data><Data Name="x">1</Data><Data Name="x">2</Data><Binary>770075006100750073007600</Binary></EventData></Event>`);
  assert.deepEqual(e.System, { Provider: { Name: 'Service Control Manager' }, EventID: 7036, Qualifiers: 16384 });
  assert.deepEqual(e.EventData, { param1: 'Windows Update', param2: 'running', x: ['1', '2'], Binary: '770075006100750073007600' });
});

test('UserData keeps its element, namespace declarations dropped', () => {
  const e = ok(`<Event xmlns="${NS}"><System><EventID>1102</EventID><Channel>Security</Channel></System><UserData>` +
    `<LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserSid>S-1-5-21-1-2-3-1107</SubjectUserSid>` +
    `<SubjectUserName>bob</SubjectUserName></LogFileCleared></UserData></Event>`);
  assert.deepEqual(e.UserData, { LogFileCleared: { SubjectUserSid: 'S-1-5-21-1-2-3-1107', SubjectUserName: 'bob' } });
  assert.equal(e.EventData, undefined);
});

test('namespace prefixes and declarations are dropped', () => {
  const e = ok(`<ev:Event xmlns:ev="${NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><ev:System><ev:Provider ev:Name="P"/><ev:EventID>7</ev:EventID></ev:System>` +
    `<ev:EventData><ev:Data Name="a" xsi:type="x">1</ev:Data></ev:EventData></ev:Event>`);
  assert.deepEqual(e, { System: { Provider: { Name: 'P' }, EventID: 7 }, EventData: { a: '1' } });
});

test('names from the input cannot reach the prototype', () => {
  const e = ok(`<Event><System><EventID>1</EventID></System><EventData><Data Name="__proto__">x</Data><Data Name="constructor">y</Data></EventData></Event>`);
  const d = e.EventData as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(d), Object.prototype);
  assert.deepEqual(Object.keys(d), ['__proto__', 'constructor']);
  assert.equal(d.constructor, 'y');
});

test('what is not one Windows event document is rejected with the reason', () => {
  assert.equal(reason(''), 'empty document');
  assert.equal(reason(`<Events>${LOGON}${LOGON}</Events>`), 'the document is an <Events> list; split it with splitWinXml first');
  assert.match(reason(LOGON + LOGON), /^not well-formed XML at line 1, column \d+: Multiple possible root nodes found\.$/);
  assert.equal(reason('<Foo/>'), 'the root element is <Foo>, not <Event>');
  assert.equal(reason('<Event><System><EventID>1</EventID>'), 'not well-formed XML: the document ends inside <Event>, <System>');
  assert.equal(reason(`<Event xmlns="${NS}"><EventData/></Event>`), 'the <Event> element has no <System> element');
  assert.equal(reason('<Event><System></Event>'), "not well-formed XML at line 1, column 16: Expected closing tag 'System' (opened in line 1, col 8) instead of closing tag 'Event'.");
  assert.equal(reason('<!DOCTYPE x [<!ENTITY a "aaaa">]><Event>&a;</Event>'), 'document has a DOCTYPE, which Windows event XML never has; refused');
  assert.equal(reason('<Event>' + 'x'.repeat(MAX_EVENT_CHARS) + '</Event>'), `document is ${MAX_EVENT_CHARS + 15} characters, more than the limit of ${MAX_EVENT_CHARS} for one event`);
  assert.equal(reason(42 as unknown as string), 'input is not a string');
  assert.match(reason('<Event>' + '<a>'.repeat(200) + '</a>'.repeat(200) + '</Event>'), /^unreadable XML: /);
});

// ---------------------------------------------------------------------------------------------
// Splitting streams

const STREAM = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n${LOGON}\r\n` +
  `<Event xmlns="${NS}"><System><EventID>1</EventID></System><EventData><Data Name="a">x &gt; y > z</Data>` +
  `<!-- </Event> in a comment --><Data Name="b"><![CDATA[</Event>]]></Data><Data Name='c'>it's "quoted"</Data></EventData></Event>\r\n</Events>\r\n` +
  `<Events><Event xmlns="${NS}"><System><EventID>2</EventID></System></Event></Events>`;

test('a file of events, with <Events> wrappers, declarations and markup that looks like </Event>, splits into one document per event', () => {
  const pieces = splitWinXml(STREAM);
  assert.deepEqual(pieces.map((p) => p.ok), [true, true, true]);
  const docs = pieces.map((p) => (p as { xml: string }).xml);
  assert.equal(docs[0], LOGON);
  assert.equal(STREAM.indexOf(docs[1]!), (pieces[1] as { offset: number }).offset);
  assert.deepEqual(docs.map((d) => ok(d).System), [ok(LOGON).System, { EventID: 1 }, { EventID: 2 }]);
  assert.deepEqual(ok(docs[1]!).EventData, { a: 'x > y > z', b: '</Event>', c: 'it\'s "quoted"' });
});

test('wevtutil output (events back to back, no wrapper, no newline) splits the same', () => {
  const pieces = splitWinXml(LOGON + LOGON + LOGON);
  assert.deepEqual(pieces, [0, 1, 2].map((i) => ({ ok: true, xml: LOGON, offset: i * LOGON.length })));
});

test('the splitter gives the same pieces whatever the chunk boundaries', () => {
  const whole = splitWinXml(STREAM);
  for (const size of [1, 2, 3, 5, 7, 64, 1000]) {
    const s = new WinXmlSplitter();
    const out: WinXmlPiece[] = [];
    for (let i = 0; i < STREAM.length; i += size) out.push(...s.push(STREAM.slice(i, i + size)));
    out.push(...s.end());
    assert.deepEqual(out, whole, `chunks of ${size}`);
  }
});

test('stray text, a truncated event and an oversized event are reported with their offsets, and the stream goes on', () => {
  const big = `<Event><System/><EventData><Data Name="x">${'y'.repeat(MAX_EVENT_CHARS)}</Data></EventData></Event>`;
  const text = `${LOGON}garbage${LOGON}${big}${LOGON}<Event><System>`;
  const pieces = splitWinXml(text);
  const at = (n: number) => n * LOGON.length;
  assert.deepEqual(pieces, [
    { ok: true, xml: LOGON, offset: 0 },
    { ok: false, reason: 'text outside an <Event> element', offset: at(1) },
    { ok: true, xml: LOGON, offset: at(1) + 7 },
    { ok: false, reason: `an <Event> element longer than ${MAX_EVENT_CHARS} characters`, offset: at(2) + 7 },
    { ok: true, xml: LOGON, offset: at(2) + 7 + big.length },
    { ok: false, reason: 'the input ended inside an <Event> element', offset: at(3) + 7 + big.length },
  ]);
});

test('an oversized event fed in chunks is not kept in memory: the splitter drops it as it goes', () => {
  const s = new WinXmlSplitter();
  const out: WinXmlPiece[] = [];
  out.push(...s.push('<Event><System/><EventData><Data Name="x">'));
  const chunk = 'z'.repeat(1 << 16);
  for (let i = 0; i < 40; i++) out.push(...s.push(chunk));
  assert.ok((s as unknown as { buf: string }).buf.length < MAX_EVENT_CHARS / 8, 'the buffer stays small');
  out.push(...s.push(`</Data></EventData></Event>${LOGON}`), ...s.end());
  assert.deepEqual(out.map((p) => (p.ok ? 'doc' : p.reason)), [`an <Event> element longer than ${MAX_EVENT_CHARS} characters`, 'doc']);
});

// ---------------------------------------------------------------------------------------------
// Fuzz (seeded: a failure prints its seed and input, so it replays)

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const BUDGET_MS = 4000;

test('fuzz parseWinXml and the splitter: random and mutated documents never throw and give well-formed results', () => {
  const rand = prng(SEED);
  const alphabet = '<>/="\' &;#x:!?[]-ENTventSysmDaName';
  const pick = (s: string) => s[Math.floor(rand() * s.length)]!;
  const seeds = [LOGON, STREAM, `<Event><System><EventID>1102</EventID></System><UserData><A b="c"><D>e</D><D/></A></UserData></Event>`];
  const mutate = (s: string) => {
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
      const at = Math.floor(rand() * (s.length + 1));
      const r = rand();
      if (r < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 8));
      else if (r < 0.6) s = s.slice(0, at) + Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(alphabet)).join('') + s.slice(at);
      else if (r < 0.8) s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x3000)) + s.slice(at + 1);
      else { const from = Math.floor(rand() * s.length); s = s.slice(0, at) + s.slice(from, from + Math.floor(rand() * 40)) + s.slice(at); }
    }
    return s;
  };
  const isPlain = (o: unknown) => o !== null && typeof o === 'object' && !Array.isArray(o);
  const start = Date.now();
  let n = 0;
  for (; n < CASES && Date.now() - start < BUDGET_MS; n++) {
    const input = rand() < 0.2 ? Array.from({ length: Math.floor(rand() * 80) }, () => pick(alphabet)).join('') : mutate(seeds[Math.floor(rand() * seeds.length)]!);
    try {
      const r = parseWinXml(input);
      if (r.ok) {
        assert.ok(isPlain(r.value.Event) && isPlain(r.value.Event.System));
        JSON.stringify(r.value);
      } else {
        assert.ok(typeof r.reason === 'string' && r.reason.length > 0 && !r.reason.startsWith('internal'), `bad reason: ${r.reason}`);
      }
      const pieces = splitWinXml(input);
      for (const p of pieces) {
        assert.ok(Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= input.length);
        if (p.ok) assert.equal(input.slice(p.offset, p.offset + p.xml.length), p.xml);
        else assert.ok(p.reason.length > 0);
      }
      // Any chunking gives the same pieces.
      const s = new WinXmlSplitter();
      const size = 1 + Math.floor(rand() * 16);
      const chunked: WinXmlPiece[] = [];
      for (let i = 0; i < input.length; i += size) chunked.push(...s.push(input.slice(i, i + size)));
      chunked.push(...s.end());
      assert.deepEqual(chunked, pieces);
    } catch (e) {
      assert.fail(`case ${n} (FUZZ_SEED=${SEED}) input ${JSON.stringify(input)}: ${(e as Error).stack}`);
    }
  }
  assert.ok(n >= Math.min(CASES, 500), `only ${n} cases ran`);
});

test('huge inputs: no stack overflow, no quadratic time', () => {
  const t0 = Date.now();
  const many = `<Events>${LOGON.repeat(5000)}</Events>`;
  assert.equal(splitWinXml(many).filter((p) => p.ok).length, 5000);
  for (const hostile of ['<'.repeat(MAX_EVENT_CHARS * 2), '<Event>' + '<a>'.repeat(300_000), '<!--'.repeat(300_000), `<Event a="${'"'.repeat(1)}${'x'.repeat(MAX_EVENT_CHARS * 2)}`]) {
    const pieces = splitWinXml(hostile);
    assert.ok(pieces.every((p) => p.ok || p.reason.length > 0));
    const r = parseWinXml(hostile.slice(0, MAX_EVENT_CHARS));
    assert.equal(typeof r.ok, 'boolean');
  }
  assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
});
