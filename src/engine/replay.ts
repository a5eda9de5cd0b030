/**
 * Replay dead letters: send their original events back into a component (after a fix), through
 * everything downstream of it, with the same engine. Records that are handled (delivered, dropped
 * on purpose, or dead-lettered again as new records with one more attempt) leave the store.
 */
import type { Logger } from '../core/component.js';
import type { Event } from '../core/event.js';
import type { PipelineConfig } from './config/index.js';
import { DeadLetterStore, removeDeadLetters, type DeadLetter } from './dlq.js';
import { Pipeline } from './topology.js';

export interface ReplayResult { replayed: number; delivered: number; dropped: number; deadLettered: number; removed: number }

/** The component and every component reachable from its outputs. */
export function downstreamOf(cfg: PipelineConfig, id: string): Set<string> {
  const out = new Set<string>([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of cfg.components.values()) {
      if (out.has(c.id)) continue;
      if (c.inputs.some((r) => out.has(r.component))) { out.add(c.id); grew = true; }
    }
  }
  return out;
}

export async function replay(cfg: PipelineConfig, records: DeadLetter[], to: string, opts: { log: Logger; batch?: number; progress?: (done: number, total: number) => void }): Promise<ReplayResult> {
  const target = cfg.components.get(to);
  if (!target) throw new Error(`unknown component \`${to}\``);
  if (target.kind === 'source') throw new Error(`\`${to}\` is a source; replay into the transform or sink that should handle the events`);
  const pipeline = new Pipeline(cfg, { log: opts.log, ephemeral: true, only: downstreamOf(cfg, to) });
  pipeline.allowInjection([to]);
  await pipeline.start();
  const size = opts.batch ?? 500;
  for (let i = 0; i < records.length; i += size) {
    const events: Event[] = [];
    for (const r of records.slice(i, i + size)) {
      const ev = (r.event !== null && typeof r.event === 'object' && !Array.isArray(r.event) ? r.event : { message: r.event }) as Event;
      pipeline.deadLetters.priorAttempts.set(ev, r.attempts ?? 1);
      events.push(ev);
    }
    await pipeline.inject(to, events);
    opts.progress?.(Math.min(i + size, records.length), records.length);
  }
  await pipeline.finishInjection();
  const books = pipeline.accounting.of(to);
  // Every replayed event is now delivered, dropped, or a new dead letter: the old records go.
  const removed = removeDeadLetters(new DeadLetterStore(cfg.dataDir), new Set(records.map((r) => r.id)));
  return { replayed: records.length, delivered: books.delivered, dropped: books.dropped + books.unreported, deadLettered: books.deadLettered, removed };
}
