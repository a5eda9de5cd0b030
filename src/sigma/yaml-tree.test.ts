// The fast YAML reader against the `yaml` package: where it reads a text, it must read it exactly
// as `yaml` does (every node's kind, value, scalar type and source, offsets, line starts), and what
// it does not read must go to `yaml`; rules read either way give the same documents and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineCounter, parseAllDocuments } from 'yaml';
import { parseSigma } from './parse.js';
import { fromYaml, readFast, type YNode } from './yaml-tree.js';

/** The first difference between two trees, or null. */
function diff(a: YNode | null, b: YNode | null, at = '$'): string | null {
  if (a === null || b === null) return a === b ? null : `${at}: ${a === null ? 'null' : a.kind} vs ${b === null ? 'null' : b.kind}`;
  if (a.kind !== b.kind) return `${at}: ${a.kind} vs ${b.kind}`;
  if (a.start !== b.start) return `${at}: starts at ${a.start} vs ${b.start}`;
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    if (!Object.is(a.value, b.value)) return `${at}: ${JSON.stringify(a.value)} vs ${JSON.stringify(b.value)}`;
    if (a.type !== b.type || a.source !== b.source) return `${at}: ${a.type} ${JSON.stringify(a.source)} vs ${b.type} ${JSON.stringify(b.source)}`;
    if (a.type !== 'BLOCK_LITERAL' && a.end !== b.end) return `${at}: ends at ${a.end} vs ${b.end}`;
    return null;
  }
  if (a.kind === 'map' && b.kind === 'map') {
    if (a.items.length !== b.items.length) return `${at}: ${a.items.length} vs ${b.items.length} entries`;
    for (let i = 0; i < a.items.length; i++) {
      const d = diff(a.items[i]!.key, b.items[i]!.key, `${at}.key${i}`) ?? diff(a.items[i]!.value, b.items[i]!.value, `${at}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a.kind === 'seq' && b.kind === 'seq') {
    if (a.items.length !== b.items.length) return `${at}: ${a.items.length} vs ${b.items.length} items`;
    for (let i = 0; i < a.items.length; i++) {
      const d = diff(a.items[i]!, b.items[i]!, `${at}[${i}]`);
      if (d) return d;
    }
  }
  return null;
}

/** Reads `text` both ways; null when the fast reader gave up, else the first difference (or ''). */
function compare(text: string): string | null {
  const fast = readFast(text);
  if (fast === null) return null;
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  const list = Array.isArray(docs) ? docs : [];
  const errors = list.flatMap((d) => d.errors.map((e) => e.message.split('\n')[0]));
  if (errors.length) return `read a text yaml rejects: ${errors.join('; ')}`;
  const present = (n: YNode | null) => n !== null && !(n.kind === 'scalar' && n.value === null);
  const theirs = list.map((d) => fromYaml(d.contents, d)).filter(present);
  const ours = fast.docs.filter(present);
  if (theirs.length !== ours.length) return `${ours.length} vs ${theirs.length} documents`;
  for (let i = 0; i < ours.length; i++) {
    const d = diff(ours[i]!, theirs[i]!, `doc${i}`);
    if (d) return d;
  }
  if (JSON.stringify(fast.lineStarts) !== JSON.stringify(lc.lineStarts)) return 'line starts differ';
  return '';
}

const READ = [
  'title: Whoami\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    selection:\n        Image|endswith: \'\\whoami.exe\'\n        CommandLine|contains:\n            - \' /all\'\n            - "/priv"\n    condition: selection\nlevel: high\n',
  // comments, blank lines, a sequence at its key's indentation, compact mappings in a sequence
  '# header\n\nkey: value # trailing\nlist:\n- a\n-   b\n- c: 1\n  d: 2\n-\n  e: 3\nempty:\nspaced:   # only a comment\nnext: x\n',
  // scalars of the core schema and the ones that only look like it
  'a: 1\nb: -0\nc: 0x17\nd: 0o17\ne: 04688\nf: 1.10\ng: .inf\nh: -.Inf\ni: .nan\nj: 1e3\nk: true\nl: False\nm: ~\nn: null\no: yes\np: 2019-10-23\nq: +5\nr: 1_000\n',
  // quoted scalars and keys, escapes, colons and hashes inside values
  '\'quoted key\': "tab\\there \\x41\\u00e9\\U0001F600 \\\\ \\" \\/"\n"k2" : \'it\'\'s\'\nurl: http://example.com/a#b\nwin: C:\\Windows\\System32\\\nhash: a #comment\nodd: a:b\n',
  // literal block scalars: clip, strip, blank lines, more indented lines, # as content
  'description: |\n    first line\n\n      indented\n    # not a comment\n\nd2: |-\n  x\n  y\n\n\nafter: 1\nlast: |\n  at the end',
  // several documents, markers with comments, an empty document
  'title: a\n--- # second\ntitle: b\n---\n---\ntitle: c\n',
  // CRLF line ends
  'title: crlf\r\nlist:\r\n  - "x"\r\n  - y # c\r\nblock: |\r\n  one\r\n  two\r\n',
  // root mapping indented, keys with spaces before the colon, unicode
  '  a : 1\n  b: é\n  c:\n    - ü\n',
];

test('readFast reads the block YAML rules are written in exactly as yaml does', () => {
  for (const text of READ) assert.equal(compare(text), '', JSON.stringify(text));
});

const LEFT_TO_YAML = [
  'a: [1, 2]\n', 'a: {b: 1}\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: >\n  folded\n',
  'a: plain\n  continued\n', 'a: "two\n  lines"\n', 'a:\tb\n', 'a: 1\na: 2\n', '? a\n: b\n', '%YAML 1.2\n---\na: 1\n',
  'a: 1\n...\n', 'a: |+\n  keep\n', 'a: |2\n   x\n', '\ufeffa: 1\n', 'a: 1\rb: 2\n', 'a: b: c\n', 'a:\n- - x\n',
  'a: \'open\n', 'a: "bad \\q escape"\n', '- a\n- b\n', 'scalar\n', 'a: 1\n b: 2\n', 'a:\n  b: 1\n c: 2\n', '<<: {a: 1}\n',
  'a: |\n\n', 'a: |\n      \n  x\n',
];

test('readFast leaves to yaml what it does not read exactly', () => {
  for (const text of LEFT_TO_YAML) assert.equal(readFast(text), null, JSON.stringify(text));
});

// Generated documents: block mappings and sequences with random indentation, scalars written
// plain, quoted or as literal blocks, drawn from characters that matter to YAML.
const CHARS = ['a', 'B', '1', '0', '.', '-', ':', '#', ' ', '\\', '/', '\'', '"', '*', '|', '~', 'é', 'x', 'e', '+'];
const text = fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 8 });
type Gen = { k: 'scalar'; style: number; text: string } | { k: 'map'; entries: Array<[string, Gen]> } | { k: 'seq'; items: Gen[] };
const node: fc.Arbitrary<Gen> = fc.letrec<{ node: Gen }>((tie) => ({
  node: fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('scalar' as const), style: fc.integer({ min: 0, max: 4 }), text }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('map' as const), entries: fc.array(fc.tuple(fc.string({ unit: fc.constantFrom('a', 'b', 'C', '|', '_', '.', ' ', '1'), minLength: 1, maxLength: 5 }), tie('node')), { minLength: 1, maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('seq' as const), items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }) },
  ),
})).node;

function scalarText(s: { style: number; text: string }, indent: string): string {
  switch (s.style) {
    case 0: case 1: return s.text; // plain: often not valid YAML, or not the same value
    case 2: return `'${s.text.replace(/'/g, "''")}'`;
    case 3: return `"${s.text.replace(/[\\"]/g, (c) => '\\' + c)}"`;
    default: return `|\n${indent}  ${s.text}\n${indent}  ${s.text}`;
  }
}

function render(n: Gen, indent: string, width: number, sameIndentSeq: boolean): string[] {
  const inner = indent + ' '.repeat(width);
  if (n.k === 'map') {
    return n.entries.flatMap(([key, v]) => {
      if (v.k === 'scalar') return [`${indent}${key}: ${scalarText(v, indent)}`];
      if (v.k === 'seq' && sameIndentSeq) return [`${indent}${key}:`, ...render(v, indent, width, sameIndentSeq)];
      return [`${indent}${key}:`, ...render(v, inner, width, sameIndentSeq)];
    });
  }
  if (n.k === 'seq') {
    return n.items.flatMap((v) => {
      if (v.k === 'scalar') return [`${indent}- ${scalarText(v, indent)}`];
      const lines = render(v, indent + '  ', width, sameIndentSeq);
      return [`${indent}- ${lines[0]!.trimStart()}`, ...lines.slice(1)];
    });
  }
  return [`${indent}${scalarText(n, indent)}`];
}

test('readFast agrees with yaml on generated documents, or leaves them to it', () => {
  let read = 0, runs = 0;
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 3 }), node), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean(), fc.boolean(),
    (entries, width, sameIndentSeq, comments, crlf) => {
      let lines = render({ k: 'map', entries }, '', width, sameIndentSeq);
      if (comments) lines = lines.flatMap((l, i) => (i % 2 ? [l + ' # note', '', '# a comment line'] : [l]));
      const t = lines.join(crlf ? '\r\n' : '\n') + '\n';
      runs++;
      const d = compare(t);
      if (d === null) return;
      read++;
      assert.equal(d, '', JSON.stringify(t));
    },
  ), { numRuns: 600 });
  // The property is only worth something if the reader reads a good part of them.
  assert.ok(read > runs / 5, `read ${read} of ${runs}`);
});

test('a rule reads the same through either reader: documents, values, places and errors', () => {
  const texts = [
    READ[0]!,
    // errors with places: an unknown modifier, a condition error at its column, a missing title
    'title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|endwith: x\n  condition: sel and\n',
    'logsource:\n  product: windows\ndetection:\n  sel:\n    - a\n    - b\n  condition: sel or missing\n',
    'title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 0x17\n    Keys:\n      - 04688\n      - 1.10\n  condition: "sel"\nfalsepositives:\n  - x\n',
    'title: t\nlogsource:\n  product: windows\nfilter:\n  rules:\n  sel:\n    a: 1\n  condition: sel\n',
    'title: a\nlogsource:\n  product: windows\ndetection:\n  s:\n    a: 1\n  condition: s\n---\ntitle: b\ndetection:\n  condition: s\n',
  ];
  for (const t of texts) {
    for (const text of [t, t.replace(/\n/g, '\r\n')]) {
      assert.notEqual(readFast(text), null, 'the fast reader reads these');
      assert.deepEqual(parseSigma(text, 'r.yml'), parseSigma(text, 'r.yml', { yamlOnly: true }), JSON.stringify(text));
    }
  }
});
