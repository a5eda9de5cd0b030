/**
 * Mixes the scenarios into one stream. Each scenario counts down to its next attack; an attack's
 * lines go to a queue that is interleaved with background traffic, so a burst of 10-30 failed
 * logins lasts a few (simulated) seconds rather than arriving in one block. Time is simulated:
 * event i happens at start + i * step, so a seed plus a start time give byte-identical output.
 */
import { Rng } from './rng.js';
import type { DemoEvent, Line, Scenario } from './scenario.js';
import { cloudtrail } from './cloudtrail.js';
import { sshd } from './sshd.js';
import { web } from './web.js';

export const scenarios = { sshd, web, cloudtrail } as const;
export type ScenarioName = keyof typeof scenarios;

/** Share of events taken from the attack queue while it is not empty. */
const QUEUE_SHARE = 0.7;

export class DemoGenerator {
  private readonly rng: Rng;
  private readonly active: { s: Scenario; untilAttack: number }[];
  private readonly mix: (readonly [Scenario, number])[];
  private queue: Line[] = [];
  private qHead = 0;
  private i = 0;

  constructor(names: readonly ScenarioName[], seed: number, private readonly startMs: number, private readonly stepMs: number) {
    this.rng = new Rng(seed);
    const unique = [...new Set(names)];
    this.active = unique.map((n) => ({ s: scenarios[n], untilAttack: this.rng.int(...scenarios[n].firstAttack) }));
    this.mix = unique.map((n) => [scenarios[n], scenarios[n].weight] as const);
  }

  next(): DemoEvent {
    const t = this.startMs + this.i * this.stepMs;
    this.i++;
    for (const a of this.active) {
      if (--a.untilAttack <= 0) {
        this.enqueue(a.s.attack(this.rng));
        a.untilAttack = this.rng.int(...a.s.attackEvery);
      }
    }
    if (this.qHead < this.queue.length && this.rng.chance(QUEUE_SHARE)) {
      const line = this.queue[this.qHead]!;
      this.queue[this.qHead++] = undefined as unknown as Line;
      return line(t);
    }
    return this.rng.weighted(this.mix).background(this.rng, t, (l) => this.enqueue([l]));
  }

  private enqueue(lines: Line[]): void {
    if (this.qHead > 1024 || (this.qHead > 0 && this.qHead === this.queue.length)) { this.queue = this.queue.slice(this.qHead); this.qHead = 0; }
    this.queue.push(...lines);
  }
}
