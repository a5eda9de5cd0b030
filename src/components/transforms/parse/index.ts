/** `parse`: parses a text field (JSON, syslog, key=value, CSV or a regex) into fields of the event. */
import { defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { typeNames } from './convert.js';
import { buildParse } from './runtime.js';

export const config = s.object({
  field: s.string().default('message').desc('Field holding the text to parse; nested fields as `a.b`.'),
  format: s.enum('json', 'syslog', 'kv', 'csv', 'regex', 'zeek').required()
    .desc('`json`; `syslog` (RFC 5424 or RFC 3164, detected per message); `kv` (`a=1 b="x y"`); `csv` (one record per event); `regex` (named groups become fields); `zeek` (Zeek\'s tab-separated logs: the `#fields`/`#types` header lines of each file type the lines after them).'),
  target: s.string().default('.')
    .desc('Where the parsed fields go. `.` merges them into the event (parsed fields win over existing ones); a field name (`parsed`, `a.b`) puts the whole parsed value there.'),
  drop_field: s.bool()
    .desc('Remove the source field after a successful parse. Default: `true` for `format: json` with `target: .` (the raw JSON is redundant once merged), `false` otherwise (keep the original text). A parsed field of the same name always wins.'),
  kv: s.object({
    field_split: s.string().default(' ').desc('Between pairs. A single space means any run of spaces/tabs; anything else is matched literally.'),
    value_split: s.string().default('=').desc('Between a key and its value.'),
    duplicates: s.enum('last', 'array').default('last').desc('A key seen twice: keep the last value, or all values as a list.'),
  }).desc('Options for `format: kv`. Values may be quoted with " or \'; standalone words become `true`.'),
  csv: s.object({
    columns: s.list(s.string()).default([]).desc('Field names in column order. Values beyond them are kept as `column_<n>`.'),
    delimiter: s.string().default(',').desc('One character.'),
  }).desc('Options for `format: csv` (RFC 4180 quoting: "a ""quoted"" value").'),
  regex: s.object({
    pattern: s.string().required().desc('RE2 pattern; each named group `(?P<name>...)` becomes a field. Compiled once at start.'),
  }).desc('Options for `format: regex`. Text that does not match goes to the errors output.'),
  syslog: s.object({
    timezone: s.enum('local', 'utc').default('local').desc('Zone for timestamps that carry none (RFC 3164 `Mmm dd hh:mm:ss`).'),
  }).desc('Options for `format: syslog`.'),
  zeek: s.object({
    file_field: s.string().default('file').desc('Field naming the file each line came from (the `file` source\'s `file_key`): each file has its own header. Empty: one header for the whole stream.'),
    max_files: s.int(1).default(1024).desc('Headers kept at most (least recently used files forgotten first; a forgotten file\'s next line waits for its next header block and goes to `errors` until then).'),
  }).desc('Options for `format: zeek`. Header and comment lines are consumed (counted as discarded, reason `zeek header`); a data line before any header goes to `errors`. Each line gets Zeek\'s own field names (`id.orig_h` as one key), typed by `#types`, and `_path` from `#path`, the same shape as Zeek\'s JSON logs.'),
  types: s.map(s.enum(...typeNames))
    .desc('Convert parsed fields (paths within the parsed value): `int`, `float`, `bool`, `timestamp` (ISO 8601 UTC from text or Unix seconds/ms), `string`. A value that does not convert sends the event to the errors output.')
    .example({ status: 'int', duration: 'float', time: 'timestamp' }),
});

export default defineComponent({
  type: 'parse',
  kind: 'transform',
  status: 'beta',
  summary: 'Parse a text field (JSON, syslog, key=value, CSV, regex, Zeek TSV) into event fields.',
  description: [
    'Parses one field of each event and puts the result into the event. Events whose field does not',
    'parse go to the `errors` output unchanged, with error code `parse_failed` and the reason',
    '(for example `invalid JSON at position 17: expected \',\' or \'}\' after a property value`).',
    '',
    'With `format: json` and `target: .` the parsed object must be a JSON object; to keep arrays or',
    'scalars, set `target` to a field name.',
  ].join('\n'),
  config,
  build: (cfg) => buildParse(cfg),
});
