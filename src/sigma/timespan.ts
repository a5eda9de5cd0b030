/**
 * Sigma timespans (`timespan: 5m` in a correlation rule): a positive whole number followed by one
 * lower-case unit letter. The specification lists s, m, h and d; `w` (seven days) is accepted too
 * because rules written for pySigma use it and its meaning is not in doubt. Months and years are
 * refused: their length varies, and a window that long is not something a live stream can keep.
 *
 * Returns a result instead of throwing so the caller can attach the rule's place to the message.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Longer than this is a typo (`5000d`), not a window: 366 days. */
export const MAX_TIMESPAN_MS = 366 * 86_400_000;

export type TimespanResult = { ok: true; ms: number } | { ok: false; message: string };

const FORM = /^([0-9]+)([a-zA-Z])$/;
const HINT = 'write a whole number and one of s, m, h, d (e.g. 30s, 5m, 1h, 1d; 90m for an hour and a half)';

export function parseTimespan(text: unknown): TimespanResult {
  if (typeof text !== 'string') {
    const shown = typeof text === 'number' ? `the number ${text}` : text === null || text === undefined ? 'nothing' : `a ${Array.isArray(text) ? 'list' : typeof text}`;
    return { ok: false, message: `expected a timespan such as 5m, found ${shown}; ${HINT}` };
  }
  const m = FORM.exec(text.trim());
  if (m === null) return { ok: false, message: `'${text}' is not a timespan; ${HINT}` };
  const [, digits, unit] = m as unknown as [string, string, string];
  if (unit === 'M' || unit === 'y' || unit === 'Y') {
    return { ok: false, message: `'${text}': months and years have no fixed length; give the window in days (e.g. 30d)` };
  }
  const per = UNIT_MS[unit];
  if (per === undefined) {
    const lower = UNIT_MS[unit.toLowerCase()] !== undefined ? `; units are lower-case: '${digits}${unit.toLowerCase()}'` : '';
    return { ok: false, message: `'${text}' has the unknown unit '${unit}'${lower || `; ${HINT}`}` };
  }
  const n = Number(digits);
  if (n === 0) return { ok: false, message: `'${text}' is an empty window; the timespan must be greater than zero` };
  const ms = n * per;
  if (ms > MAX_TIMESPAN_MS) return { ok: false, message: `'${text}' is longer than 366 days; a correlation window that long cannot be kept on a live stream` };
  return { ok: true, ms };
}

/** The shortest exact spelling of a duration in the units above (`5400000` -> `90m`), for messages. */
export function formatTimespan(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const per = UNIT_MS[unit]!;
    if (ms >= per && ms % per === 0) return `${ms / per}${unit}`;
  }
  return `${ms}ms`;
}
