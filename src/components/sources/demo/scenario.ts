/** What every demo scenario provides, and time formats shared by them. */
import type { Rng } from './rng.js';

export type SourceType = 'sshd' | 'apache' | 'cloudtrail';

export interface DemoEvent {
  /** The raw log line (for CloudTrail, one record as JSON), as a collector would receive it. */
  message: string;
  source_type: SourceType;
  /** When the line was "written", ISO 8601. */
  timestamp: string;
}

/** A line rendered at the (simulated) time it is emitted. Bursts queue these. */
export type Line = (t: number) => DemoEvent;

export interface Scenario {
  /** Share of the background traffic (before bursts). */
  weight: number;
  /** Events before the first attack and between attacks, drawn uniformly from [min, max]. */
  firstAttack: [number, number];
  attackEvery: [number, number];
  /** One ordinary line; `then` queues follow-up lines (a login's session opening...). */
  background(rng: Rng, t: number, then: (l: Line) => void): DemoEvent;
  /** An attack: lines emitted over the next events, interleaved with background traffic. */
  attack(rng: Rng): Line[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Memoize a per-second formatter: consecutive events mostly fall in the same second, and
 * formatting dates was 9% of the CloudTrail generator's time.
 */
function perSecond(format: (t: number) => string): (t: number) => string {
  let sec = NaN;
  let text = '';
  return (t) => {
    const s = Math.floor(t / 1000);
    if (s !== sec) { sec = s; text = format(s * 1000); }
    return text;
  };
}

/** RFC 3164 timestamp: `Nov  3 10:00:01` (day padded with a space), UTC. */
export const syslogTime = perSecond((t) => {
  const d = new Date(t);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
});

/** Apache `%t`: `[23/Nov/2024:10:00:01 +0000]`. */
export const apacheTime = perSecond((t) => {
  const d = new Date(t);
  return `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000]`;
});

/** CloudTrail `eventTime`: seconds precision, `Z`. */
export const isoSeconds = perSecond((t) => new Date(t).toISOString().replace('.000Z', 'Z'));
