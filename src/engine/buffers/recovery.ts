/**
 * Reading a disk buffer's directory: the persisted ack position, the segment list, recovery at
 * open (scan and validate everything not yet consumed, delete what is), and the read-only survey
 * behind `sluice buffer inspect|verify`.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/component.js';
import { parseSegmentName, scanSegment, type CorruptSpan } from './segment.js';

export const ACK_FILE = 'ack';

/** Everything before `offset` in segment `segment`, and every earlier segment, is consumed. */
export interface Position { segment: number; offset: number }

export interface SegmentFile { id: number; name: string; path: string; size: number }

/** Segment files in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const out: SegmentFile[] = [];
  for (const name of await readdir(dir)) {
    const id = parseSegmentName(name);
    if (id === null) continue;
    const path = join(dir, name);
    out.push({ id, name, path, size: (await stat(path)).size });
  }
  return out.sort((a, b) => a.id - b.id);
}

/**
 * The persisted ack position. A missing file means nothing was consumed yet. An unreadable one
 * (it is written by rename, so this takes a damaged disk) falls back to the start: redelivering
 * is allowed, losing is not.
 */
export async function readAck(dir: string, log?: Logger): Promise<Position> {
  let text: string;
  try {
    text = await readFile(join(dir, ACK_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { segment: 0, offset: 0 };
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<Position>;
    if (Number.isSafeInteger(v.segment) && Number.isSafeInteger(v.offset) && v.segment! >= 0 && v.offset! >= 0) return { segment: v.segment!, offset: v.offset! };
  } catch { /* reported below */ }
  log?.warn(`disk buffer ack file ${join(dir, ACK_FILE)} is unreadable; every record still on disk will be delivered again`);
  return { segment: 0, offset: 0 };
}

export function ackFileText(p: Position): string {
  return JSON.stringify({ version: 1, segment: p.segment, offset: p.offset }) + '\n';
}

// ---- recovery at open ---------------------------------------------------------------------------

export interface RecoveredSegment { id: number; path: string; size: number; corrupt: CorruptSpan[] }

export interface RecoveryReport {
  /** Valid records (and their events and bytes) found not yet consumed. */
  records: number;
  events: number;
  bytes: number;
  /** Corrupt spans skipped (a torn tail after a crash, damaged bytes), each counted as one record. */
  corruptRecords: number;
  corruptBytes: number;
  /** Events in corrupt records whose header survived (a lower bound on the events lost). */
  corruptEvents: number;
  /** Each corrupt span, with its file, for reports and dead letters. */
  corrupt: (CorruptSpan & { file: string })[];
  /** Segment files holding unconsumed data. */
  segments: number;
}

export interface Recovery {
  ack: Position;
  segments: RecoveredSegment[];
  report: RecoveryReport;
  /** The highest segment number ever used here (files or ack position); new segments go above. */
  lastSegmentId: number;
}

/**
 * Recover the state of a buffer directory: delete segments the ack position says are consumed,
 * then scan the rest from the ack position, validating every record's header and payload CRC.
 * Corrupt spans are logged and remembered so the reader skips them without counting them twice.
 */
export async function recover(dir: string, log?: Logger): Promise<Recovery> {
  const ack = await readAck(dir, log);
  await unlink(join(dir, `${ACK_FILE}.tmp`)).catch(() => undefined);
  const files = await listSegments(dir);
  const report: RecoveryReport = { records: 0, events: 0, bytes: 0, corruptRecords: 0, corruptBytes: 0, corruptEvents: 0, corrupt: [], segments: 0 };
  const segments: RecoveredSegment[] = [];
  let lastSegmentId = ack.segment;
  for (const f of files) {
    lastSegmentId = Math.max(lastSegmentId, f.id);
    const start = f.id === ack.segment ? ack.offset : 0;
    if (f.id < ack.segment || start >= f.size) {
      await unlink(f.path);
      continue;
    }
    const buf = await readFile(f.path);
    const corrupt: CorruptSpan[] = [];
    let records = 0;
    scanSegment(buf, {
      record(r) { records++; report.records++; report.events += r.count; report.bytes += r.bytes; },
      corrupt(c) { corrupt.push(c); report.corruptRecords++; report.corruptBytes += c.bytes; report.corruptEvents += c.events ?? 0; },
    }, start);
    for (const c of corrupt) {
      report.corrupt.push({ file: f.path, ...c });
      log?.warn(`disk buffer: skipped a corrupt record at ${f.path}:${c.offset} (${c.bytes} bytes${c.events !== undefined ? `, ${c.events} events` : ''}): ${c.reason}`, { file: f.path, offset: c.offset, bytes: c.bytes, events: c.events, reason: c.reason });
    }
    if (records === 0 && corrupt.length === 0) {
      await unlink(f.path);
      continue;
    }
    report.segments++;
    segments.push({ id: f.id, path: f.path, size: f.size, corrupt });
  }
  return { ack, segments, report, lastSegmentId };
}

// ---- survey (read-only; `sluice buffer inspect` and `verify`) -----------------------------------

export interface SegmentSurvey {
  name: string;
  size: number;
  records: number;
  events: number;
  /** Records (and events) after the ack position: what a restart would deliver. */
  pendingRecords: number;
  pendingEvents: number;
  pendingBytes: number;
  oldestMs: number | null;
  newestMs: number | null;
  corrupt: CorruptSpan[];
}

export interface Survey {
  dir: string;
  ack: Position;
  segments: SegmentSurvey[];
  totals: { bytes: number; records: number; events: number; pendingRecords: number; pendingEvents: number; pendingBytes: number; corruptRecords: number; corruptBytes: number };
  /** Append time of the oldest and newest pending (unconsumed) record. */
  oldestPendingMs: number | null;
  newestPendingMs: number | null;
}

export interface SurveyProgress { bytesDone: number; bytesTotal: number; records: number }

/**
 * Scan every record of every segment (consumed or not) without changing anything. Progress is
 * reported after each segment; segments are read one at a time, so memory stays at one segment.
 */
export async function survey(dir: string, onProgress?: (p: SurveyProgress) => void): Promise<Survey> {
  const ack = await readAck(dir);
  const files = await listSegments(dir);
  const bytesTotal = files.reduce((n, f) => n + f.size, 0);
  const totals = { bytes: bytesTotal, records: 0, events: 0, pendingRecords: 0, pendingEvents: 0, pendingBytes: 0, corruptRecords: 0, corruptBytes: 0 };
  const segments: SegmentSurvey[] = [];
  let oldestPendingMs: number | null = null, newestPendingMs: number | null = null;
  let bytesDone = 0;
  for (const f of files) {
    let buf: Buffer;
    try {
      buf = await readFile(f.path);
    } catch (e) {
      // Deleted between the listing and now: the buffer is in use and consumed it.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    const s: SegmentSurvey = { name: f.name, size: buf.length, records: 0, events: 0, pendingRecords: 0, pendingEvents: 0, pendingBytes: 0, oldestMs: null, newestMs: null, corrupt: [] };
    const pendingFrom = f.id < ack.segment ? Infinity : f.id === ack.segment ? ack.offset : 0;
    scanSegment(buf, {
      record(r) {
        s.records++; s.events += r.count;
        s.oldestMs ??= r.timeMs;
        s.newestMs = r.timeMs;
        if (r.offset < pendingFrom) return;
        s.pendingRecords++; s.pendingEvents += r.count; s.pendingBytes += r.bytes;
        oldestPendingMs ??= r.timeMs;
        newestPendingMs = r.timeMs;
      },
      corrupt(c) { s.corrupt.push(c); },
    });
    segments.push(s);
    totals.records += s.records; totals.events += s.events;
    totals.pendingRecords += s.pendingRecords; totals.pendingEvents += s.pendingEvents; totals.pendingBytes += s.pendingBytes;
    totals.corruptRecords += s.corrupt.length;
    for (const c of s.corrupt) totals.corruptBytes += c.bytes;
    bytesDone += f.size;
    onProgress?.({ bytesDone, bytesTotal, records: totals.records });
  }
  return { dir, ack, segments, totals, oldestPendingMs, newestPendingMs };
}
