/**
 * Per-source event accounting: the proof that nothing is lost silently. For every source,
 *   received + created = delivered + dropped + dead_lettered + in_flight
 * where `created` counts extra copies (fan-out to several consumers, an event matching several
 * routes, a transform emitting more than it got) and `dropped` counts events dropped on purpose
 * (filters, sampling, outputs nobody reads) plus any a component failed to report (kept apart as
 * `unreported` so a defect shows). Error events are counted once, when they enter an `errors`
 * output; where they go afterwards (a user's error sink, the dead-letter store) does not change
 * the books.
 */
export class SourceAccount {
  received = 0;
  created = 0;
  delivered = 0;
  dropped = 0;
  unreported = 0;
  deadLettered = 0;
  inFlight = 0;
  constructor(readonly source: string) {}

  get balanced(): boolean {
    return this.received + this.created === this.delivered + this.dropped + this.unreported + this.deadLettered + this.inFlight;
  }

  toJSON() {
    return {
      source: this.source, received: this.received, created: this.created, delivered: this.delivered,
      dropped: this.dropped, unreported: this.unreported, dead_lettered: this.deadLettered, in_flight: this.inFlight,
      balanced: this.balanced,
    };
  }
}

export class Accounting {
  private readonly accounts = new Map<string, SourceAccount>();

  of(source: string): SourceAccount {
    let a = this.accounts.get(source);
    if (!a) this.accounts.set(source, (a = new SourceAccount(source)));
    return a;
  }

  all(): SourceAccount[] { return [...this.accounts.values()].sort((a, b) => a.source.localeCompare(b.source)); }
}
