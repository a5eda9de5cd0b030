/**
 * Fault: a bulk API answers 200 with some items failed (local implementation of the Elasticsearch
 * _bulk API). Items refused for a while (429 es_rejected_execution_exception) must be retried
 * alone and stored once; items refused for good (400 mapper_parsing_exception) must be
 * dead-lettered with the cluster's reason; nothing else may be lost or stored twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceAsync, tmp } from '../e2e/cli.js';
import { BulkApi } from '../../src/components/sinks/elasticsearch/test-kit.js';
import { booksFrom, deadLetters, numberedFile, pipelineYaml } from './support.js';

test('bulk response with some items failed: 429 items retried alone, 400 items dead-lettered (local implementation of the Elasticsearch _bulk API)', async () => {
  const dir = tmp('sluice-fault-bulk-');
  const N = 20_000;
  const input = join(dir, 'in.ndjson');
  numberedFile(input, N);
  const es = await new BulkApi().start();
  const busyIds = new Set<number>();
  const badIds = new Set<number>();
  for (let i = 0; i < N; i++) { if (i % 97 === 3) busyIds.add(i); else if (i % 1000 === 500) badIds.add(i); }
  es.failItem = (doc, seenBefore) => {
    const i = doc.i as number;
    // Busy for the first two tries of each such document, then accepted.
    if (busyIds.has(i) && seenBefore < 2) return { status: 429, type: 'es_rejected_execution_exception', reason: `rejected execution of primary operation [doc ${i}] on EsThreadPoolExecutor[name = node-1/write]` };
    if (badIds.has(i)) return { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse field [msg] of type [long] in document with id '${i}'` };
    return null;
  };
  try {
    const dataDir = join(dir, 'data');
    const cfg = join(dir, 'p.yaml');
    writeFileSync(cfg, pipelineYaml({ dataDir: dataDir, input, sinks: `
  es:
    type: elasticsearch
    inputs: [in]
    endpoint: ${es.url}
    index: events
    id_field: i
    retry: { attempts: 5, initial_backoff: 20ms, max_backoff: 100ms }
    batch: { max_events: 1000 }
    buffer: { type: disk }
` }));
    const run = await sluiceAsync(['run', '-c', cfg]);
    assert.equal(run.code, 0, run.stderr);
    const stored = es.docs('events').map((d) => d.i as number);
    assert.equal(new Set(stored).size, stored.length, 'no document stored twice');
    assert.equal(stored.length, N - badIds.size, 'everything but the refused items is stored');
    for (const i of busyIds) assert.ok(stored.includes(i), `busy item ${i} was retried and stored`);

    const dead = deadLetters(dataDir);
    assert.deepEqual(dead.map((d) => (d.event as { i: number }).i).sort((a, b) => a - b), [...badIds]);
    assert.ok(dead.every((d) => d.error_code === 'rejected' && /mapper_parsing_exception: failed to parse field \[msg\].*\(HTTP 400\)/.test(d.reason)), dead[0]?.reason);

    // Only the refused items were sent again: every extra document line is a retry of a busy item.
    const sent = es.requests.reduce((k, r) => k + r.docs.length, 0);
    assert.equal(sent, N + 2 * busyIds.size, 'retries carry only the refused items');
    const books = booksFrom(run.stderr).get('es (disk buffer)')!;
    assert.deepEqual([books.received, books.delivered, books.dead_lettered, books.in_flight, books.balanced], [N, N - badIds.size, badIds.size, 0, true]);
  } finally {
    await es.close();
  }
});
