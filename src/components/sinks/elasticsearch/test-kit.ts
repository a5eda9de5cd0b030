/**
 * A local implementation of the Elasticsearch _bulk API for tests: a real HTTP server on
 * 127.0.0.1 that parses the NDJSON action and document lines, stores documents per index with the
 * documented `create`/`index` semantics (409 version_conflict_engine_exception for a `create` of an
 * existing `_id`), answers with the documented response body (`errors`, `items[i].<action>.status`,
 * `.error.type`, `.error.reason`), honours `filter_path`, and can be scripted to refuse given items
 * or whole requests. Used by the sink's unit tests and the fault-injection suite.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Doc = Record<string, unknown>;
export interface ItemError { status: number; type: string; reason: string }
export interface SeenRequest {
  url: URL;
  headers: IncomingMessage['headers'];
  /** The body as sent (still compressed when gzip). */
  raw: Buffer;
  /** Parsed action lines, in order. */
  actions: Record<string, { _index?: string; _id?: string }>[];
  docs: Doc[];
  at: number;
}
export type Canned = { status: number; body: string; headers?: Record<string, string> };

const INDEX_NAME_FORBIDDEN = /[\\/*?"<>|,#: A-Z]/;

/** The _bulk API, kept small: index and create, one node, documents kept in memory. */
export class BulkApi {
  readonly indices = new Map<string, Map<string, Doc>>();
  readonly requests: SeenRequest[] = [];
  /** Answer request n (0-based) with this instead of processing it. */
  failRequest: (n: number) => Canned | null = () => null;
  /** Process request n, store its documents, then answer with this (an answer lost on the way). */
  loseAnswer: (n: number) => Canned | null = () => null;
  /** Refuse one item: the document and how many times this same document was seen before. */
  failItem: (doc: Doc, seenBefore: number) => ItemError | null = () => null;
  /** The Authorization header every request must carry, when set. */
  requiredAuth: string | null = null;
  private seen = new Map<string, number>();
  private nextId = 1;
  private srv!: Server;
  url = '';

  async start(): Promise<this> {
    this.srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((r) => this.srv.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.srv.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.srv.closeAllConnections();
    await new Promise((r) => this.srv.close(r));
  }

  docs(index: string): Doc[] { return [...(this.indices.get(index)?.values() ?? [])]; }
  count(): number { let n = 0; for (const m of this.indices.values()) n += m.size; return n; }

  private handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    const seen: SeenRequest = { url, headers: req.headers, raw, actions: [], docs: [], at: Date.now() };
    const n = this.requests.length;
    this.requests.push(seen);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const filter = url.searchParams.get('filter_path');
      const out = filter && status < 300 ? filterPath(body, filter) : body;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(out));
    };
    const error = (status: number, type: string, reason: string, headers: Record<string, string> = {}) =>
      reply(status, { error: { root_cause: [{ type, reason }], type, reason }, status }, headers);

    if (req.method !== 'POST' && req.method !== 'PUT') return error(405, 'illegal_argument_exception', `Incorrect HTTP method for uri [${url.pathname}] and method [${req.method}], allowed: [POST, PUT]`);
    const m = /^(?:\/([^/_][^/]*))?\/_bulk$/.exec(url.pathname);
    if (!m) return error(404, 'index_not_found_exception', `no such index [${url.pathname}]`);
    if (this.requiredAuth !== null && req.headers.authorization !== this.requiredAuth) {
      return error(401, 'security_exception', `unable to authenticate user for REST request [${url.pathname}]`, { 'www-authenticate': 'Basic realm="security" charset="UTF-8", ApiKey' });
    }
    const canned = this.failRequest(n);
    if (canned) { res.writeHead(canned.status, canned.headers ?? {}).end(canned.body); return; }
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/(x-ndjson|json)\b/.test(type)) return reply(406, { error: `Content-Type header [${type}] is not supported`, status: 406 });
    let text: string;
    try { text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'); } catch {
      return error(400, 'parse_exception', 'failed to decompress the request body');
    }
    if (!text.endsWith('\n')) return error(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');

    const lines = text.slice(0, -1).split('\n');
    const items: Record<string, unknown>[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      let actionLine: Record<string, { _index?: string; _id?: string }>;
      try { actionLine = JSON.parse(lines[i]!); } catch { return error(400, 'x_content_parse_exception', `[1:1] Malformed action/metadata line [${i + 1}]`); }
      const keys = Object.keys(actionLine);
      if (keys.length !== 1 || (keys[0] !== 'index' && keys[0] !== 'create')) {
        return error(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected one of [create, index] but found [${keys[0]}]`);
      }
      const action = keys[0]!;
      const meta = actionLine[action]!;
      seen.actions.push(actionLine);
      const index = meta._index ?? m[1];
      if (!index) return error(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
      if (lines[i + 1] === undefined) return error(400, 'illegal_argument_exception', `The bulk request must be terminated by a newline [\\n]`);
      const item = (status: number, extra: Record<string, unknown>) => { items.push({ [action]: { _index: index, status, ...extra } }); if (status >= 300) errors = true; };
      let doc: Doc;
      try { doc = JSON.parse(lines[i + 1]!); } catch {
        item(400, { _id: meta._id ?? null, error: { type: 'document_parsing_exception', reason: '[1:2] failed to parse' } });
        continue;
      }
      seen.docs.push(doc);
      const key = JSON.stringify(doc);
      const before = this.seen.get(key) ?? 0;
      this.seen.set(key, before + 1);
      const scripted = this.failItem(doc, before);
      if (scripted) { item(scripted.status, { _id: meta._id ?? null, error: { type: scripted.type, reason: scripted.reason, index } }); continue; }
      if (INDEX_NAME_FORBIDDEN.test(index) || /^[-_+]/.test(index)) {
        item(400, { _id: meta._id ?? null, error: { type: 'invalid_index_name_exception', reason: `Invalid index name [${index}]`, index } });
        continue;
      }
      let store = this.indices.get(index);
      if (!store) this.indices.set(index, (store = new Map()));
      const id = meta._id ?? `gen-${this.nextId++}`;
      if (store.has(id)) {
        if (action === 'create') {
          item(409, { _id: id, error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])`, index } });
          continue;
        }
        store.set(id, doc);
        item(200, { _id: id, _version: 2, result: 'updated', _shards: { total: 1, successful: 1, failed: 0 } });
      } else {
        store.set(id, doc);
        item(201, { _id: id, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 } });
      }
    }
    const lost = this.loseAnswer(n);
    if (lost) { res.writeHead(lost.status, lost.headers ?? {}).end(lost.body); return; }
    reply(200, { took: 3, errors, items });
  }
}

/** `filter_path` as documented: comma-separated dotted paths, `*` matching any one key; empty objects drop out. */
function filterPath(value: unknown, spec: string): unknown {
  const paths = spec.split(',').map((p) => p.trim().split('.'));
  const walk = (v: unknown, ps: string[][]): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, ps)).filter((x) => x !== undefined);
    if (v === null || typeof v !== 'object') return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const match = ps.filter((p) => p[0] === '*' || p[0] === k);
      if (!match.length) continue;
      if (match.some((p) => p.length === 1)) { out[k] = x; continue; }
      const r = walk(x, match.map((p) => p.slice(1)));
      if (r !== undefined && !(typeof r === 'object' && r !== null && !Array.isArray(r) && Object.keys(r).length === 0)) out[k] = r;
    }
    return Object.keys(out).length ? out : undefined;
  };
  return walk(value, paths) ?? {};
}
