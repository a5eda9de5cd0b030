/**
 * `sluice buffer inspect|verify <dir>`: look into a sink's disk buffer without changing it. Both
 * read every segment (CRC-checking every record); `verify` exits 1 when any record is corrupt.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { survey, type Survey, type SurveyProgress } from '../../engine/buffers/recovery.js';
import { table } from './dlq.js';

export interface Output { write(s: string): unknown; isTTY?: boolean }
export interface CommandIo { out: Output; err: Output }

const stdio = (): CommandIo => ({ out: process.stdout, err: process.stderr });

export function register(program: Command): void {
  const buffer = program.command('buffer').description('Look into a sink\'s disk buffer: what is waiting in it, and whether every record is intact.');
  buffer.command('inspect <dir>')
    .description('Segments, records, events and bytes waiting, the ack position, and the oldest/newest waiting record. <dir> is the buffer directory (data_dir/<sink id>/buffer) or the sink\'s directory.')
    .option('--json', 'print the full survey as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => { process.exitCode = await inspectCommand(dir, opts, stdio()); });
  buffer.command('verify <dir>')
    .description('Check every record\'s checksum. Exits 1 and lists each corrupt record (file:offset and reason), 0 when clean. Safe while Sluice runs, though a record being written may show as torn.')
    .action(async (dir: string) => { process.exitCode = await verifyCommand(dir, stdio()); });
}

/** The buffer directory: `dir` itself, or `dir/buffer` when given a sink's data directory. */
export function bufferDir(dir: string): string | null {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return null;
  const looksLikeBuffer = (d: string) => readdirSync(d).some((f) => f.endsWith('.seg') || f === 'ack');
  if (looksLikeBuffer(abs)) return abs;
  const nested = join(abs, 'buffer');
  if (existsSync(nested) && statSync(nested).isDirectory()) return nested;
  return abs;
}

export async function inspectCommand(dir: string, opts: { json?: boolean }, io: CommandIo): Promise<number> {
  const abs = bufferDir(dir);
  if (abs === null) return missing(dir, io);
  const s = await survey(abs, progress(io.err, 'inspecting'));
  if (opts.json) { io.out.write(JSON.stringify(s, null, 2) + '\n'); return 0; }
  const t = s.totals;
  const lines = [
    `disk buffer ${s.dir}`,
    `  waiting       ${count(t.pendingEvents)} events in ${count(t.pendingRecords)} records, ${human(t.pendingBytes)}`,
    `  oldest        ${time(s.oldestPendingMs)}`,
    `  newest        ${time(s.newestPendingMs)}`,
    `  ack position  ${s.ack.segment === 0 ? 'nothing consumed yet' : `segment ${s.ack.segment}, offset ${s.ack.offset}`}`,
    `  on disk       ${s.segments.length} segment${s.segments.length === 1 ? '' : 's'}, ${human(t.bytes)} (${count(t.records)} records, ${count(t.events)} events including consumed ones)`,
    `  corrupt       ${t.corruptRecords === 0 ? 'none' : `${count(t.corruptRecords)} records, ${human(t.corruptBytes)} (run \`sluice buffer verify\` for the list)`}`,
  ];
  io.out.write(lines.join('\n') + '\n');
  if (s.segments.length) {
    const rows = [['SEGMENT', 'SIZE', 'RECORDS', 'EVENTS', 'WAITING', 'CORRUPT', 'OLDEST', 'NEWEST']];
    for (const g of s.segments) rows.push([g.name, human(g.size), count(g.records), count(g.events), count(g.pendingEvents), String(g.corrupt.length), time(g.oldestMs), time(g.newestMs)]);
    io.out.write('\n' + table(rows));
  }
  return 0;
}

export async function verifyCommand(dir: string, io: CommandIo): Promise<number> {
  const abs = bufferDir(dir);
  if (abs === null) return missing(dir, io);
  const started = Date.now();
  const s: Survey = await survey(abs, progress(io.err, 'verifying'));
  const t = s.totals;
  const secs = Math.max((Date.now() - started) / 1000, 0.001);
  const checked = `${count(t.records + t.corruptRecords)} records in ${s.segments.length} segment${s.segments.length === 1 ? '' : 's'} (${human(t.bytes)}) checked in ${secs.toFixed(1)} s`;
  if (t.corruptRecords === 0) {
    io.out.write(`ok: ${checked}; no corrupt records in ${s.dir}\n`);
    return 0;
  }
  io.out.write(`${count(t.corruptRecords)} corrupt record${t.corruptRecords === 1 ? '' : 's'} (${human(t.corruptBytes)}) in ${s.dir}:\n`);
  for (const g of s.segments) {
    for (const c of g.corrupt) io.out.write(`  ${join(s.dir, g.name)}:${c.offset}  ${c.reason} (${count(c.bytes)} bytes)\n`);
  }
  io.out.write(`${checked}.\nSluice skips corrupt records when it opens the buffer (and counts them); the other ${count(t.pendingEvents)} waiting events are delivered.\n`);
  return 1;
}

function missing(dir: string, io: CommandIo): number {
  io.err.write(`error: no disk buffer directory at ${resolve(dir)}\n  hint: a sink's buffer lives in <data_dir>/<sink id>/buffer\n`);
  return 1;
}

/** A progress line on a terminal (stderr), at most every 200 ms; nothing when not a TTY. */
function progress(err: Output, verb: string): ((p: SurveyProgress) => void) | undefined {
  if (!err.isTTY) return undefined;
  const started = Date.now();
  let shown = 0;
  return (p) => {
    const now = Date.now();
    const done = p.bytesDone >= p.bytesTotal;
    if (!done && now - shown < 200) return;
    shown = now;
    const pct = p.bytesTotal ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 100;
    const rate = p.records / Math.max((now - started) / 1000, 0.001);
    err.write(`\r\x1b[2K${verb}: ${pct}% of ${human(p.bytesTotal)}, ${count(p.records)} records, ${count(Math.round(rate))} records/s`);
    if (done) err.write('\r\x1b[2K');
  };
}

function count(n: number): string { return n.toLocaleString('en-US'); }

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}
