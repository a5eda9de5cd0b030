/**
 * Shared pieces of the fault-injection suite: an HTTP receiver whose behaviour the test scripts
 * (fail for a while, answer slowly), input files with numbered events, and readers for what a
 * finished `sluice run` reports (its books, its dead letters).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { sluiceSync } from '../e2e/cli.js';

export interface Receiver {
  url: string;
  /** How many times each event number arrived in an accepted request. */
  seen: Map<number, number>;
  /** Requests answered, by status. */
  statuses: Map<number, number>;
  /** Time of each request (ms since epoch), to check a down destination is not hammered. */
  times: number[];
  /** Answer this status (with no storing) until `until` (ms since epoch); 200 otherwise. */
  failWith: { status: number; until: number } | null;
  /** Delay before answering each request. */
  delayMs: number;
  distinct(): number;
  duplicates(): number;
  close(): Promise<void>;
}

/** A real HTTP server taking NDJSON (plain or gzip) of events carrying a numeric `i`. */
export async function receiver(opts: { delayMs?: number } = {}): Promise<Receiver> {
  const r: Receiver = {
    url: '', seen: new Map(), statuses: new Map(), times: [], failWith: null, delayMs: opts.delayMs ?? 0,
    distinct: () => r.seen.size,
    duplicates: () => { let d = 0; for (const c of r.seen.values()) d += c - 1; return d; },
    close: async () => { srv.closeAllConnections(); await new Promise<void>((res) => srv.close(() => res())); },
  };
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.times.push(Date.now());
      const answer = (status: number) => {
        r.statuses.set(status, (r.statuses.get(status) ?? 0) + 1);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'receiver failing on purpose');
      };
      const reply = () => {
        if (r.failWith && Date.now() < r.failWith.until) { answer(r.failWith.status); return; }
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        for (const line of body.toString('utf8').split('\n')) {
          if (!line) continue;
          const i = (JSON.parse(line) as { i: number }).i;
          r.seen.set(i, (r.seen.get(i) ?? 0) + 1);
        }
        answer(200);
      };
      if (r.delayMs) setTimeout(reply, r.delayMs); else reply();
    });
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  r.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/ingest`;
  return r;
}

/** Write `n` NDJSON events `{"i":k,...}` padded to about 200 bytes each. */
export function numberedFile(path: string, n: number): void {
  const pad = 'x'.repeat(160);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`{"i":${i},"msg":"event ${i}","pad":"${pad}"}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

export interface Books { source: string; received: number; created: number; delivered: number; dropped: number; unreported: number; dead_lettered: number; in_flight: number; balanced: boolean }

/** The per-source books a finished `sluice run` logs (JSON log lines on a non-terminal stderr). */
export function booksFrom(stderr: string): Map<string, Books> {
  const out = new Map<string, Books>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as { msg?: string; books?: Books };
      if (rec.books && rec.msg?.startsWith('books ')) out.set(rec.books.source, rec.books);
    } catch { /* not a log record */ }
  }
  return out;
}

export interface DeadLetter { reason: string; error_code: string; component_id: string; event: unknown }

/** Every dead letter under a data_dir, as `sluice dlq list --json` prints them. */
export function deadLetters(dataDir: string): DeadLetter[] {
  const r = sluiceSync(['dlq', 'list', '--json', '--limit', '100000000', '--data-dir', dataDir]);
  if (r.code !== 0) throw new Error(`sluice dlq list failed (${r.code}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as DeadLetter);
}

/** A running Sluice's books for one source, from its API (undefined until the API answers). */
export async function liveBooks(port: number, source = 'in'): Promise<Books | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/stats`);
    return ((await r.json()) as { sources: Books[] }).sources.find((b) => b.source === source);
  } catch { return undefined; }
}

/**
 * The pipeline every fault test runs: the numbered file read to its end by a `file` source `in`,
 * into the sinks given (YAML under `sinks:`), optionally with the API on `apiPort`.
 */
export function pipelineYaml(o: { dataDir: string; input: string; apiPort?: number; sinks: string }): string {
  return `
data_dir: ${o.dataDir}
${o.apiPort !== undefined ? `api: { address: 127.0.0.1:${o.apiPort} }\n` : ''}sources:
  in: { type: file, include: [${o.input}], stop_at_eof: true, decoding: json, file_key: "" }
sinks:
${o.sinks.replace(/^\n/, '')}`;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
