/**
 * `file`: tails files matched by globs, like Vector's file source. Follows rotation (rename +
 * create, copytruncate), picks up new files, joins multi-line events, and keeps a checkpoint per
 * file that only advances over lines whose batches have settled downstream (at-least-once).
 */
import RE2 from 're2';
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { decodingField } from '../../_shared/decoding.js';
import { multilineRules, type MultilineRules } from './multiline.js';
import { FileSourceRunner } from './runner.js';

export const config = s.object({
  include: s.list(s.string(), true).required()
    .desc('Glob patterns of files to read (`/var/log/*.log`, `./logs/**/*.json`). Relative patterns are resolved from the config file\'s directory.'),
  exclude: s.list(s.string(), true).default([])
    .desc('Glob patterns of files to skip; they win over `include`. A pattern without `/` matches the file name (`*.gz`).'),
  read_from: s.enum('beginning', 'end').default('beginning')
    .desc('Where to start in files present at startup that have no checkpoint. Files that appear later are always read from the beginning.'),
  decoding: decodingField(),
  max_line_bytes: s.bytes().default('1MiB').desc('Longer lines go to the errors output with code line_too_long; the rest of the file flows on.'),
  multiline: s.object({
    start_pattern: s.string().required().desc('RE2 regex matching the first line of an event (e.g. `^\\d{4}-\\d{2}-\\d{2}` for lines that start with a date).'),
    condition_pattern: s.string().desc('RE2 regex for `mode`: with halt_before, a matching line begins the next event (default: start_pattern); with continue_through, matching lines continue the current one (default: lines not matching start_pattern).'),
    mode: s.enum('halt_before', 'continue_through').default('halt_before')
      .desc('`halt_before`: lines are joined until one matches the condition, which begins the next event. `continue_through`: lines are joined while they match the condition.'),
    timeout: s.duration().default('1s').desc('Emit a pending multi-line event after this long without a new line.'),
    max_lines: s.int(1).default(500).desc('Most lines joined into one event; the event is emitted when it reaches this.'),
  }).desc('Join continuation lines (stack traces) into one event. Lines are joined with "\\n"; the joined event is bounded by max_line_bytes.'),
  glob_interval: s.duration().default('1s').desc('How often to look for new, renamed and deleted files.'),
  poll_interval: s.duration().default('250ms').desc('How often to check files at their end for new data (fs.stat).'),
  batch_events: s.int(1).default(1000).desc('Most events per batch.'),
  read_bytes: s.bytes().default('256KiB').desc('Bytes read per read call.').advanced(),
  stop_at_eof: s.bool().default(false)
    .desc('Finish once every matched file is read to its end (batch jobs, backfills): the pipeline then drains and `sluice run` exits 0. A last line without a newline is not read.'),
  file_key: s.string().default('file').desc('Field that receives the file path; an empty string adds no field.'),
});

function compileRegex(src: string, path: (string | number)[]): RE2 {
  try {
    return new RE2(src, 'u');
  } catch (e) {
    throw new ComponentConfigError(`invalid regular expression ${JSON.stringify(src)}: ${(e as Error).message}`, path, 'patterns use RE2 syntax (no backreferences or lookaround)');
  }
}

export default defineComponent({
  type: 'file',
  kind: 'source',
  status: 'beta',
  summary: 'Tails files matched by globs; follows rotation and keeps acknowledged checkpoints.',
  description: [
    'Reads lines from every file matching `include` (and not `exclude`), then keeps following them.',
    'A file that is renamed is read to its end through its open descriptor, and the new file at the',
    'path is read from its beginning; a truncated file (copytruncate) is read again from 0; a deleted',
    'file is read to its end and closed. With copytruncate, do not include the rotated copies: they',
    'are new files and would be read again.',
    '',
    'Checkpoints are kept per file under `data_dir/<id>/state.json`, keyed by device, inode and a',
    'checksum of the first line, so they survive renames and a re-used inode is not mistaken for the',
    'old file. A checkpoint advances only once the batch holding its lines has settled downstream',
    '(delivered, or dead-lettered). After a crash, lines that were in flight are read again:',
    'delivery is at-least-once. Lines that went to the errors output count as read.',
    '',
    'A line without a final newline is held until the newline arrives (or the file is rotated away).',
  ].join('\n'),
  capabilities: { acknowledgements: true },
  config,
  build: (cfg, ctx) => {
    if (cfg.include.length === 0) throw new ComponentConfigError('`include` has no patterns', ['include'], 'list at least one glob, e.g. /var/log/*.log');
    if (cfg.read_bytes < 1024 || cfg.read_bytes > 64 * 1024 * 1024) throw new ComponentConfigError(`read_bytes must be between 1KiB and 64MiB, found ${cfg.read_bytes}`, ['read_bytes']);
    if (cfg.max_line_bytes < 1) throw new ComponentConfigError('max_line_bytes must be at least 1 byte', ['max_line_bytes']);
    if (cfg.poll_interval < 1) throw new ComponentConfigError('poll_interval must be at least 1ms', ['poll_interval']);
    if (cfg.glob_interval < 1) throw new ComponentConfigError('glob_interval must be at least 1ms', ['glob_interval']);
    let multiline: MultilineRules | null = null;
    const ml = cfg.multiline;
    if (ml) {
      multiline = multilineRules({
        start: compileRegex(ml.start_pattern, ['multiline', 'start_pattern']),
        condition: ml.condition_pattern !== undefined ? compileRegex(ml.condition_pattern, ['multiline', 'condition_pattern']) : null,
        mode: ml.mode,
        timeoutMs: ml.timeout,
        maxLines: ml.max_lines,
        maxBytes: cfg.max_line_bytes,
      });
    }
    const settings = {
      include: cfg.include,
      exclude: cfg.exclude,
      configDir: ctx.configDir,
      readFromEnd: cfg.read_from === 'end',
      decoding: cfg.decoding,
      maxLineBytes: cfg.max_line_bytes,
      fileKey: cfg.file_key,
      multiline,
      globIntervalMs: cfg.glob_interval,
      pollIntervalMs: cfg.poll_interval,
      batchEvents: cfg.batch_events,
      readBytes: cfg.read_bytes,
      stopAtEof: cfg.stop_at_eof,
    };
    return { run: (sctx) => new FileSourceRunner(settings, sctx).run() };
  },
});
