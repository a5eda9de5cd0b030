/** The running `pagerduty` sink: one Events API v2 request per alert, in order. */
import type { SinkContext, SinkRuntime, WriteResult } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { WriteOutcome, type Destination } from '../../_shared/webhook-delivery.js';
import { buildEvent, type EventOptions } from './event.js';

const CONTENT = { 'content-type': 'application/json' };

export class PagerDutySink implements SinkRuntime {
  constructor(private readonly destination: Destination, private readonly event: EventOptions) {}

  get breaker() { return this.destination.breaker; }

  async start(): Promise<void> { await this.destination.connect(); }
  async stop(): Promise<void> { this.destination.close(); }

  // One request per alert, in order: a resolve must not overtake the trigger it closes.
  async write(events: Event[], ctx: SinkContext): Promise<WriteResult | void> {
    const out = new WriteOutcome(events.length);
    for (let i = 0; i < events.length; i++) {
      if (out.down) { out.notSent([i]); continue; }
      let built: ReturnType<typeof buildEvent>;
      try { built = buildEvent(events[i]!, this.event); } catch (e) { out.refuse([i], `could not make a PagerDuty event: ${(e as Error).message}`); continue; }
      if (!built.ok) { out.refuse([i], built.reason); continue; }
      const body = built.body;
      try {
        await this.destination.post(() => ({ body, headers: CONTENT }), ctx);
      } catch (e) {
        out.fail([i], e);
      }
    }
    return out.result();
  }
}
