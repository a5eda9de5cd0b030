/**
 * Fault: the destination answers 500 for 30 seconds, then recovers. Nothing may be lost or
 * dead-lettered, nothing duplicated (a 500 stores nothing), and the down destination must not be
 * hammered while it is down (backoff and the circuit breaker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceAsync, tmp } from '../e2e/cli.js';
import { booksFrom, deadLetters, numberedFile, pipelineYaml, receiver } from './support.js';

test('the receiver answers 500 for 30 s, then recovers: every event arrives once, none dead-lettered', async (t) => {
  const dir = tmp('sluice-fault-outage-');
  const N = 20_000;
  const input = join(dir, 'in.ndjson');
  numberedFile(input, N);
  const rx = await receiver();
  const outageMs = 30_000;
  try {
    const cfg = join(dir, 'p.yaml');
    const dataDir = join(dir, 'data');
    writeFileSync(cfg, pipelineYaml({ dataDir: dataDir, input, sinks: `
  out:
    type: http
    inputs: [in]
    uri: ${rx.url}
    retry: { attempts: 100, initial_backoff: 200ms, max_backoff: 2s }
    circuit_breaker: { failure_threshold: 5, open_for: 2s, max_open_for: 8s }
    batch: { max_events: 1000 }
    buffer: { type: disk }
` }));
    const start = Date.now();
    rx.failWith = { status: 500, until: start + outageMs };
    const run = await sluiceAsync(['run', '-c', cfg]);
    assert.equal(run.code, 0, run.stderr);
    const took = Date.now() - start;
    assert.ok(took >= outageMs, `the run cannot finish before the outage ends (took ${took} ms)`);
    assert.equal(rx.distinct(), N);
    assert.equal(rx.duplicates(), 0);
    assert.deepEqual(deadLetters(dataDir), []);
    const during = rx.times.filter((x) => x < start + outageMs).length;
    t.diagnostic(`${during} requests during the 30 s outage (${rx.statuses.get(500) ?? 0} answered 500), run took ${took} ms`);
    // Without backoff a tight loop would send thousands; with it, a few dozen at most.
    assert.ok(during <= 40, `${during} requests during the outage: the sink should back off`);
    assert.match(run.stderr, /circuit (breaker )?open/i, 'the breaker opening is logged');
    const books = booksFrom(run.stderr);
    assert.deepEqual(
      [books.get('in')!.received, books.get('in')!.delivered, books.get('out (disk buffer)')!.delivered, books.get('out (disk buffer)')!.dead_lettered],
      [N, N, N, 0],
    );
  } finally {
    await rx.close();
  }
});
