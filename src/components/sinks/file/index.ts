/**
 * `file`: writes events to files whose path is a template of the event's time and fields
 * (`./out/%Y-%m-%d/{{ .host }}.ndjson`), with size/age rotation, optional gzip and fsync.
 */
import { ComponentConfigError, defineComponent, type WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { s } from '../../../core/schema.js';
import { encoder, encodingField } from '../../_shared/encoding.js';
import { PathTemplate } from './template.js';
import { WriterPool } from './writers.js';

export const config = s.object({
  path: s.string().required()
    .desc('File path template, relative to the config file\'s directory. `%Y %m %d %H %M %S` are the event time in UTC; `{{ .field }}` is an event field (sanitized: no `/`, no `..`).')
    .example('./out/%Y-%m-%d/{{ .host }}.ndjson'),
  encoding: encodingField(),
  compression: s.enum('none', 'gzip').default('none')
    .desc('`gzip`: each write is appended as a complete gzip member, so every file is always a valid .gz. Name the path `*.gz`.'),
  max_file_bytes: s.bytes().desc('Rotate when a file would pass this size (uncompressed bytes with gzip). Rotated data goes to `<name>.1.<ext>`, `<name>.2.<ext>`, ...; nothing is overwritten.'),
  max_file_age: s.duration().desc('Rotate a file this long after it was opened (checked when writing).'),
  max_open_files: s.int(1, 65_536).default(64).desc('Most files open at once; the least recently written is closed first.'),
  idle_timeout: s.duration().default('30s').desc('Close a file not written to for this long.'),
  fsync: s.bool().default(false).desc('fsync each file before a write is acknowledged (durable across power loss; slower).'),
  timestamp_field: s.string().default('timestamp')
    .desc('Field with the event time for `%` codes: an ISO 8601 string or epoch milliseconds. Events without a valid one use the current time.'),
});

export default defineComponent({
  type: 'file',
  kind: 'sink',
  status: 'beta',
  summary: 'Events to files named by a template of time and fields, with rotation and gzip.',
  description: [
    'Appends events to files; the path is a template of the event time and its fields, so one sink',
    'can split by day and host. A write is acknowledged once its data is handed to the OS (and',
    'fsynced when `fsync: true`). Missing directories are created.',
    '',
    'Time codes use the event\'s `timestamp_field` (ISO 8601 string or epoch milliseconds), else the',
    'current time, always in UTC. Field values are sanitized so an event cannot write outside the',
    'template\'s directory; an event missing a path field goes to the errors output.',
    '',
    'Rotation (size or age) continues in `<name>.1.<ext>`, `<name>.2.<ext>`, ...: the number goes',
    'before the extension (before `.ndjson.gz` as a whole), files are only appended to or created',
    'exclusively, and a restart continues in the highest-numbered file. Nothing is overwritten.',
  ].join('\n'),
  config,
  build: (cfg, ctx) => {
    // Unset rotation limits are 0: no rotation by size or age.
    const maxBytes = cfg.max_file_bytes ?? 0;
    const maxAgeMs = cfg.max_file_age ?? 0;
    const idleMs = cfg.idle_timeout;
    if (idleMs <= 0) throw new ComponentConfigError('idle_timeout must be more than 0', ['idle_timeout']);
    const tpl = new PathTemplate(cfg.path, ctx.configDir, cfg.timestamp_field);
    const enc = encoder(cfg.encoding);
    const pool = new WriterPool(cfg.max_open_files, { compression: cfg.compression, maxBytes, maxAgeMs, fsync: cfg.fsync });
    // Resolving a rendered path costs more than rendering it; most batches reuse a few paths.
    const resolved = new Map<string, string | null>();
    const resolvePath = (p: string) => {
      let r = resolved.get(p);
      if (r === undefined) {
        if (resolved.size >= 4096) resolved.clear();
        resolved.set(p, (r = tpl.resolve(p)));
      }
      return r;
    };

    // One write, sweep or close at a time: the idle timer must not close a file mid-write.
    let lock: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = lock.then(fn, fn);
      lock = run.catch(() => {});
      return run;
    };
    let timer: NodeJS.Timeout | null = null;

    const write = async (events: Event[]): Promise<WriteResult | void> => {
      const now = Date.now();
      const rejected: { index: number; reason: string }[] = [];
      const groups = new Map<string, { idx: number[]; recs: string[] }>();
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const r = tpl.render(e, now);
        if (!r.ok) { rejected.push({ index: i, reason: r.reason }); continue; }
        let rec: string;
        try { rec = enc(e) + '\n'; } catch (err) { rejected.push({ index: i, reason: `cannot encode event: ${(err as Error).message}` }); continue; }
        let g = groups.get(r.path);
        if (!g) groups.set(r.path, (g = { idx: [], recs: [] }));
        g.idx.push(i);
        g.recs.push(rec);
      }
      let failed = 0;
      let firstError = '';
      for (const [p, g] of groups) {
        const abs = resolvePath(p);
        if (abs === null) {
          for (const i of g.idx) rejected.push({ index: i, reason: `path ${JSON.stringify(p)} leaves ${tpl.baseDir}` });
          continue;
        }
        try {
          const w = await pool.get(abs, now);
          await w.append(g.recs, now);
        } catch (err) {
          const reason = `cannot write ${abs}: ${(err as Error).message}`;
          ctx.log.error(`file sink: ${reason}`);
          firstError ||= reason;
          failed++;
          for (const i of g.idx) rejected.push({ index: i, reason });
          await pool.drop(abs);
        }
      }
      if (failed > 0 && failed === groups.size) throw new Error(firstError);
      if (rejected.length) return { rejected: rejected.sort((a, b) => a.index - b.index) };
    };

    /**
     * Events that are already JSON text (from a disk buffer), for a fixed path and JSON encoding:
     * the text is what `write` would produce, so it is written as is.
     */
    const NL = Buffer.from('\n');
    const writeLines = async (lines: string[], ndjson?: readonly Buffer[]): Promise<void> => {
      const now = Date.now();
      const r = tpl.render({}, now);
      const abs = r.ok ? resolvePath(r.path) : null;
      if (abs === null) throw new Error(`path ${JSON.stringify(cfg.path)} leaves ${tpl.baseDir}`);
      try {
        const w = await pool.get(abs, now);
        if (ndjson && maxBytes === 0) {
          // The buffer's bytes are already NDJSON: joining the strings and encoding them again
          // cost ~0.8 s of CPU per million events in the reference benchmark.
          const parts: Buffer[] = [];
          for (const b of ndjson) { if (b.length) parts.push(b, NL); }
          await w.appendBytes(Buffer.concat(parts), now);
        } else {
          // One string when no size limit can cut between records.
          await w.append(maxBytes === 0 ? [lines.join('\n') + '\n'] : lines.map((l) => l + '\n'), now);
        }
      } catch (err) {
        const reason = `cannot write ${abs}: ${(err as Error).message}`;
        ctx.log.error(`file sink: ${reason}`);
        await pool.drop(abs);
        throw new Error(reason);
      }
    };

    return {
      ...(tpl.isStatic && cfg.encoding === 'json' ? { writeJsonLines: (lines: string[], _ctx: unknown, ndjson?: readonly Buffer[]) => exclusive(() => writeLines(lines, ndjson)) } : {}),
      start: async () => {
        timer = setInterval(() => { void exclusive(() => pool.closeIdle(Date.now(), idleMs)).catch(() => {}); }, Math.min(idleMs, 5000));
        timer.unref();
      },
      write: (events) => exclusive(() => write(events)),
      flush: () => exclusive(() => pool.syncAll()),
      stop: async () => {
        if (timer) clearInterval(timer);
        timer = null;
        await exclusive(() => pool.closeAll());
      },
    };
  },
});
