/** `console`: writes events to standard output (or standard error). */
import type { Writable } from 'node:stream';
import { defineComponent } from '../../../core/component.js';
import { s } from '../../../core/schema.js';
import { encoder, encodeLines, encodingField } from '../../_shared/encoding.js';

/** Tests replace the streams. */
export const io: { stdout: () => Writable; stderr: () => Writable } = { stdout: () => process.stdout, stderr: () => process.stderr };

export default defineComponent({
  type: 'console',
  kind: 'sink',
  status: 'stable',
  summary: 'Events to standard output or standard error, one per line.',
  config: s.object({
    encoding: encodingField(),
    target: s.enum('stdout', 'stderr').default('stdout').desc('Which stream to write to.'),
  }),
  build: (cfg) => {
    const enc = encoder(cfg.encoding);
    const stream = () => (cfg.target === 'stdout' ? io.stdout() : io.stderr());
    return {
      write: async (events) => {
        const out = stream();
        // Respect the stream's backpressure: a slow terminal or pipe slows the pipeline.
        if (!out.write(encodeLines(events, enc))) await new Promise<void>((r) => out.once('drain', r));
      },
    };
  },
});
