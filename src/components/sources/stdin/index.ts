/** `stdin`: reads lines from standard input until EOF, then finishes (so `sluice run` works in scripts). */
import type { Readable } from 'node:stream';
import { defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { decodingField } from '../../_shared/decoding.js';
import { readLines } from '../../_shared/read-lines.js';

export const config = s.object({
  decoding: decodingField(),
  max_line_bytes: s.bytes().default('1MiB').desc('Longer lines go to the errors output with reason line_too_long.'),
  batch_events: s.int(1).default(500).desc('Most lines per batch.'),
});

/** Tests replace the stream. */
export const io: { stdin: () => Readable } = { stdin: () => process.stdin };

export default defineComponent({
  type: 'stdin',
  kind: 'source',
  status: 'stable',
  summary: 'Lines from standard input; finishes at end of input.',
  capabilities: { finite: true },
  config,
  build: (cfg) => ({
    run: (ctx) => readLines(io.stdin(), cfg, ctx),
  }),
});
