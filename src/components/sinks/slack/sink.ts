/**
 * The running `slack` sink: one incoming-webhook request per alert, and the `max_per_minute` cap.
 *
 * The cap counts messages in any rolling 60 seconds. When a write has more alerts than the cap
 * has room for, the sink sends alerts one by one while it can, keeps the last free message for a
 * summary of the rest ("and 37 more alerts: ..."), and those alerts are delivered when the summary
 * is. When no message is left in the window, the write waits for one (backpressure towards the
 * sources, like a destination that is slow). So the channel never gets more than the cap,
 * nothing is dropped, and no alert is acknowledged before Slack has accepted a message naming it.
 */
import type { SinkContext, SinkRuntime, WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { sleep } from '../http/retry.js';
import { DeliveryError, WriteOutcome, type Destination } from '../../_shared/webhook-delivery.js';
import type { MessageBuilder, SlackMessage } from './message.js';

const WINDOW_MS = 60_000;

export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
const realClock: Clock = { now: () => Date.now(), sleep };

/** Send times of the messages in the last minute, oldest first. */
export class MinuteWindow {
  private readonly sent: number[] = [];
  constructor(readonly max: number) {}

  private prune(now: number): void {
    let k = 0;
    while (k < this.sent.length && this.sent[k]! <= now - WINDOW_MS) k++;
    if (k) this.sent.splice(0, k);
  }

  free(now: number): number { this.prune(now); return Math.max(0, this.max - this.sent.length); }
  record(now: number): void { this.sent.push(now); }
  /** Milliseconds until the oldest message leaves the window. */
  waitMs(now: number): number { this.prune(now); return this.sent.length ? Math.max(1, this.sent[0]! + WINDOW_MS - now) : 0; }
}

export interface SlackSinkOptions {
  destination: Destination;
  messages: MessageBuilder;
  maxPerMinute: number | null;
  clock?: Clock;
}

export class SlackSink implements SinkRuntime {
  private readonly window: MinuteWindow | null;
  private readonly clock: Clock;
  private static readonly CONTENT = { 'content-type': 'application/json; charset=utf-8' };

  constructor(private readonly o: SlackSinkOptions) {
    this.window = o.maxPerMinute ? new MinuteWindow(o.maxPerMinute) : null;
    this.clock = o.clock ?? realClock;
  }

  get breaker() { return this.o.destination.breaker; }

  async start(): Promise<void> { await this.o.destination.connect(); }
  async stop(): Promise<void> { this.o.destination.close(); }

  async write(events: Event[], ctx: SinkContext): Promise<WriteResult | void> {
    const out = new WriteOutcome(events.length);
    const w = this.window;
    let i = 0;
    while (i < events.length) {
      if (out.down) { out.notSent(range(i, events.length)); break; }
      if (w) {
        const left = events.length - i;
        const free = w.free(this.clock.now());
        if (free === 0) {
          await this.clock.sleep(w.waitMs(this.clock.now()), ctx.signal);
          if (ctx.signal.aborted) {
            out.fail(range(i, events.length), new DeliveryError(`not delivered to ${this.o.destination.target}: stopped (forced) while waiting for room under max_per_minute`, false));
            break;
          }
          continue;
        }
        if (left > free && free === 1) {
          // The last message this minute stands for every alert left in the write.
          const rest = range(i, events.length);
          await this.send(() => this.o.messages.summary(events.slice(i), w.max), rest, out, ctx);
          break;
        }
      }
      await this.send(() => this.o.messages.build(events[i]!), [i], out, ctx);
      i++;
    }
    return out.result();
  }

  private async send(make: () => SlackMessage, indexes: number[], out: WriteOutcome, ctx: SinkContext): Promise<void> {
    try {
      const body = Buffer.from(JSON.stringify(make()));
      this.window?.record(this.clock.now());
      await this.o.destination.post(() => ({ body, headers: SlackSink.CONTENT }), ctx);
    } catch (e) {
      out.fail(indexes, e);
    }
  }
}

function range(from: number, to: number): number[] {
  const r: number[] = [];
  for (let i = from; i < to; i++) r.push(i);
  return r;
}
