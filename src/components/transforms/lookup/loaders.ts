/**
 * Where in-memory tables come from: a CSV or JSON file or URL, an SQLite query, a PostgreSQL
 * query. A loader hands rows to a callback and yields to the event loop while it goes (Slicer),
 * so a big table loads without pausing the stream. It returns 'unchanged' when the source says
 * nothing changed since the last load; `commit()` records the new version only once the table
 * built from it is in use, so a load that fails halfway is tried again in full.
 */
import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { Parser as CsvParser } from 'csv-parse';
import pg from 'pg';
import { fetchLocation, resolvePath, Slicer, type Fetched, type Location } from '../../../enrich/resource.js';
import type { FieldPath } from '../../_shared/field-path.js';

export type Rec = Record<string, unknown>;
export type OnRow = (rec: Rec) => void;

export interface Loaded {
  /** Where the rows came from, for messages. */
  source: string;
  commit(): void;
}

export interface Loader {
  /** A file whose changes trigger a reload (watched through its directory). */
  readonly watchFile?: string | undefined;
  readonly intervalMs: number;
  /** Names the source in messages before the first load. */
  readonly describe: string;
  load(onRow: OnRow): Promise<Loaded | 'unchanged'>;
}

/** CSV is parsed in slices this size: ~400 rows, a few ms of parsing between two chances to yield. */
const CSV_SLICE = 16 * 1024;
/** Work between two yields to the event loop (Slicer's default). */
const BUDGET_MS = 10;

async function tick(slicer: Slicer): Promise<void> {
  const p = slicer.tick();
  if (p) await p;
}

// ---------------------------------------------------------------------------------------------
// Files and URLs

abstract class LocationLoader implements Loader {
  readonly watchFile: string | undefined;
  readonly intervalMs: number;
  readonly describe: string;
  private prev: Fetched | null = null;

  constructor(protected readonly loc: Location, private readonly configDir: string) {
    this.watchFile = loc.path ? resolvePath(configDir, loc.path) : undefined;
    this.intervalMs = loc.refresh_interval;
    this.describe = this.watchFile ?? loc.url ?? '';
  }

  async load(onRow: OnRow): Promise<Loaded | 'unchanged'> {
    const f = await fetchLocation(this.loc, this.configDir, this.prev);
    if (f === 'unchanged') return 'unchanged';
    try {
      await this.parse(f.body, onRow, new Slicer());
    } catch (e) {
      throw new Error(`${f.source}: ${(e as Error).message}`);
    }
    return { source: f.source, commit: () => { this.prev = f; } };
  }

  protected abstract parse(body: Buffer, onRow: OnRow, slicer: Slicer): Promise<void>;
}

export interface CsvOptions { delimiter: string; header: boolean; columns?: string[] | undefined; comment?: string | undefined }

/** Cells are text; an empty cell is no value. */
export class CsvLoader extends LocationLoader {
  constructor(loc: Location, configDir: string, private readonly opts: CsvOptions) { super(loc, configDir); }

  /**
   * csv-parse's stream parser, written in slices and read back synchronously after each: one
   * `write` parses its slice on the spot, so the loader decides when to yield (a 16 KiB slice
   * parses in a few ms) instead of one synchronous parse of the whole file.
   */
  protected async parse(body: Buffer, onRow: OnRow): Promise<void> {
    const parser = new CsvParser({
      delimiter: this.opts.delimiter,
      columns: this.opts.header ? true : this.opts.columns,
      comment: this.opts.comment,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      // No `cast` option: csv-parse then builds a context object per field, which made parsing
      // ~3.7x slower (200,000 rows: 4.6 s against 1.25 s). Empty cells are dropped in cellValue().
    });
    parser.on('error', () => { /* read from parser.errored */ });
    const drain = () => {
      for (let r = parser.read() as Rec | null; r !== null; r = parser.read() as Rec | null) onRow(r);
      if (parser.errored) throw parser.errored;
    };
    // The clock is read after every slice, not every 1,024 rows as Slicer does: before the JIT
    // has warmed up, 1,024 rows took ~90 ms to parse.
    let since = performance.now();
    for (let off = 0; off < body.length; off += CSV_SLICE) {
      parser.write(body.subarray(off, off + CSV_SLICE));
      drain();
      if (performance.now() - since > BUDGET_MS) {
        await new Promise<void>((r) => setImmediate(r));
        since = performance.now();
      }
    }
    parser.end();
    drain();
  }
}

export interface JsonOptions { records?: FieldPath | undefined; lines: boolean; keyColumn?: string | undefined }

export class JsonLoader extends LocationLoader {
  constructor(loc: Location, configDir: string, private readonly opts: JsonOptions) { super(loc, configDir); }

  protected async parse(body: Buffer, onRow: OnRow, slicer: Slicer): Promise<void> {
    if (this.opts.lines) {
      const text = body.toString('utf8');
      let at = 0, line = 0;
      while (at < text.length) {
        let nl = text.indexOf('\n', at);
        if (nl < 0) nl = text.length;
        line++;
        const s = text.slice(at, nl).trim();
        at = nl + 1;
        if (!s) continue;
        let rec: unknown;
        try { rec = JSON.parse(s); } catch (e) { throw new Error(`line ${line}: ${(e as Error).message}`); }
        if (isRecord(rec)) onRow(rec);
        else throw new Error(`line ${line}: expected a JSON object, found ${describe(rec)}`);
        await tick(slicer);
      }
      return;
    }
    // One JSON document: JSON.parse cannot be sliced. Large tables belong in `lines: true`, CSV or a database.
    let doc: unknown = JSON.parse(body.toString('utf8'));
    if (this.opts.records) {
      doc = this.opts.records.get(doc as Rec);
      if (doc === undefined) throw new Error(`no \`${this.opts.records.text}\` in the document`);
    }
    if (Array.isArray(doc)) {
      for (let i = 0; i < doc.length; i++) {
        const rec = doc[i] as unknown;
        if (!isRecord(rec)) throw new Error(`record ${i}: expected a JSON object, found ${describe(rec)}`);
        onRow(rec);
        await tick(slicer);
      }
      return;
    }
    if (isRecord(doc)) {
      // An object of objects: each property is a row whose key is the property name.
      const col = this.opts.keyColumn;
      if (!col) throw new Error('the records are an object keyed by name, which needs a single key column');
      for (const name of Object.keys(doc)) {
        const v = doc[name];
        if (!isRecord(v)) throw new Error(`record ${JSON.stringify(name)}: expected a JSON object, found ${describe(v)}`);
        onRow(Object.hasOwn(v, col) ? v : { [col]: name, ...v });
        await tick(slicer);
      }
      return;
    }
    throw new Error(`expected a list of records or an object of records, found ${describe(doc)}`);
  }
}

function isRecord(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

// ---------------------------------------------------------------------------------------------
// SQLite

export interface SqliteOptions { path: string; query: string; refresh_interval: number }

/**
 * Runs the query on a read-only connection opened for each load. The database counts as
 * unchanged while neither it nor its write-ahead log changed size or mtime, so the interval
 * re-check costs two stat calls.
 */
export class SqliteLoader implements Loader {
  readonly watchFile: string;
  readonly intervalMs: number;
  readonly describe: string;
  private prev: string | null = null;

  constructor(private readonly opts: SqliteOptions, configDir: string) {
    this.watchFile = resolvePath(configDir, opts.path);
    this.intervalMs = opts.refresh_interval;
    this.describe = this.watchFile;
  }

  async load(onRow: OnRow): Promise<Loaded | 'unchanged'> {
    const file = this.watchFile;
    let st;
    try { st = await stat(file); } catch (e) { throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    const wal = await stat(`${file}-wal`).catch(() => null);
    const version = `${st.mtimeMs}:${st.size}:${wal ? `${wal.mtimeMs}:${wal.size}` : ''}`;
    if (version === this.prev) return 'unchanged';
    let db: Database.Database;
    try { db = new Database(file, { readonly: true, fileMustExist: true }); } catch (e) { throw new Error(`cannot open ${file}: ${(e as Error).message}`); }
    try {
      let stmt: Database.Statement;
      try { stmt = db.prepare(this.opts.query); } catch (e) { throw new Error(`${file}: query failed: ${(e as Error).message}`); }
      if (!stmt.reader) throw new Error(`${file}: the query returns no rows (use a SELECT)`);
      const slicer = new Slicer();
      // Iterated (not .all()) so that a yield can come between any two rows.
      for (const row of stmt.iterate() as IterableIterator<Rec>) {
        onRow(row);
        await tick(slicer);
      }
    } finally {
      db.close();
    }
    return { source: file, commit: () => { this.prev = version; } };
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresOptions { connection: string; query: string; refresh_interval: number; statement_timeout: number; connect_timeout: number }

/** One connection per load: tables reload every few minutes, and nothing is held open between. */
export class PostgresLoader implements Loader {
  readonly intervalMs: number;
  readonly describe: string;

  constructor(private readonly opts: PostgresOptions) {
    this.intervalMs = opts.refresh_interval;
    this.describe = `postgres ${displayConnection(opts.connection)}`;
  }

  async load(onRow: OnRow): Promise<Loaded | 'unchanged'> {
    const client = new pg.Client({
      connectionString: this.opts.connection,
      connectionTimeoutMillis: this.opts.connect_timeout,
      statement_timeout: this.opts.statement_timeout,
      // The server enforces statement_timeout; this bounds a server that stopped answering.
      query_timeout: this.opts.statement_timeout + 5000,
      application_name: 'sluice lookup',
    });
    client.on('error', () => { /* reported by the pending call */ });
    try {
      try { await client.connect(); } catch (e) { throw new Error(`${this.describe}: cannot connect: ${errorText(e)}`); }
      let res: pg.QueryResult<Rec>;
      try { res = await client.query<Rec>(this.opts.query); } catch (e) { throw new Error(`${this.describe}: query failed: ${errorText(e)}`); }
      const slicer = new Slicer();
      for (const row of res.rows) {
        onRow(row);
        await tick(slicer);
      }
    } finally {
      await client.end().catch(() => {});
    }
    return { source: this.describe, commit: () => {} };
  }
}

/** host:port/database of a connection string, without credentials. */
export function displayConnection(cs: string): string {
  try {
    const u = new URL(cs);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch { return '(connection string)'; }
}

function errorText(e: unknown): string {
  const err = e as Error & { errors?: Error[] };
  // Connection refused on every address comes as an AggregateError with an empty message.
  if (!err.message && err.errors?.length) return err.errors.map((x) => x.message).join('; ');
  return err.message || String(e);
}
