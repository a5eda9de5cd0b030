/**
 * The floor every benchmark reports against, measured in the same run on the same events: per
 * second, how many of these JSON texts a bare loop can JSON.parse, add one field to and
 * JSON.stringify (the least any JSON pipeline does per event).
 */
export function jsonFloorPerS(texts: readonly string[], n: number): number {
  let sink = 0;
  const go = (count: number) => {
    for (let i = 0; i < count; i++) {
      const e = JSON.parse(texts[i % texts.length]!) as Record<string, unknown>;
      e.processed = true;
      sink += JSON.stringify(e).length;
    }
  };
  go(2000);
  const t0 = process.hrtime.bigint();
  go(n);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink < 0) console.log(sink);
  return n / secs;
}
