/**
 * The request of a lookup: `url`, `headers` and `body` with `{{ key }}` in them.
 *
 * `{{ key }}` is the only placeholder. A request that depends on the key alone is what makes the
 * cache and the coalescing of identical keys sound: two events with the same key would otherwise
 * share an answer to different questions. The key is encoded for where it goes: percent-encoded
 * in the URL and in headers, escaped as JSON string content in the body. It may not appear in
 * the scheme, host or port: event data must never choose where a request (and its credentials)
 * goes.
 */
import { ComponentConfigError } from '../../../core/component.js';
import type { Path } from '../../../core/schema.js';

const PLACEHOLDER = /\{\{\s*key\s*\}\}/g;
const HINT = 'write {{ key }}: the key (the value of the `key` option) is the only placeholder';

/** Literal text around the placeholders: `parts[0] key parts[1] key ... parts[n]`. */
export class KeyText {
  readonly constant: boolean;
  constructor(readonly parts: readonly string[]) { this.constant = parts.length === 1; }

  /** The text with `encoded` (the key, already encoded for this place) in each placeholder. */
  render(encoded: string): string {
    const p = this.parts;
    if (p.length === 1) return p[0]!;
    let out = p[0]!;
    for (let i = 1; i < p.length; i++) out += encoded + p[i]!;
    return out;
  }
}

/** Split `src` at its `{{ key }}` placeholders; any other `{{` is an error at `path`. */
export function compileKeyText(src: string, path: Path): KeyText {
  const parts = src.split(PLACEHOLDER);
  for (const p of parts) {
    const at = p.indexOf('{{');
    if (at >= 0) {
      const end = p.indexOf('}}', at);
      const inner = end < 0 ? p.slice(at) : p.slice(at, end + 2);
      throw new ComponentConfigError(`unsupported placeholder ${JSON.stringify(inner)} in ${path.join('.')}`, path, HINT);
    }
  }
  return new KeyText(parts);
}

/** The key percent-encoded for a URL path, query or header; null when it is not valid text (a lone surrogate). */
export function encodeKeyForUrl(key: string): string | null {
  let enc: string;
  try { enc = encodeURIComponent(key); } catch { return null; }
  // `.` and `..` as a path segment would be read as "this" and "parent" directory by servers
  // that normalize paths: encode the dots of a key made only of dots.
  if (enc.length <= 2 && /^\.+$/.test(enc)) enc = enc.replace(/\./g, '%2E');
  return enc;
}

/** The key as the content of a JSON string (without the quotes). */
export function encodeKeyForJson(key: string): string {
  const j = JSON.stringify(key);
  return j.slice(1, -1);
}

export interface CompiledUrl {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** `host[:port]`: names the provider by default. */
  host: string;
  /** The path and query, templated. */
  path: KeyText;
  /** `Authorization: Basic ...` from credentials written in the URL, else null. */
  basicAuth: string | null;
  /** The URL for messages: scheme, host and the path up to the first placeholder; no query or credentials. */
  display: string;
}

/** Check and split the `url` option. Everything up to the path is fixed; `{{ key }}` goes in the path or query. */
export function compileUrl(src: string, path: Path): CompiledUrl {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(src);
  if (!m) throw new ComponentConfigError(`invalid URL ${JSON.stringify(src)}`, path, 'write a full URL such as https://api.example.com/v1/ip/{{ key }}');
  const authority = m[2]!;
  if (authority.includes('{{')) throw new ComponentConfigError('{{ key }} may appear only in the URL\'s path or query, not in its host', path, 'event data must not choose which server receives the request');
  let rest = m[3]!;
  if (rest.includes('#')) throw new ComponentConfigError('the URL has a fragment (#...), which is never sent to the server', path);
  if (rest === '' || rest[0] === '?') rest = `/${rest}`;
  let base: URL;
  try { base = new URL(`${m[1]!.toLowerCase()}://${authority}/`); } catch {
    throw new ComponentConfigError(`invalid URL ${JSON.stringify(src)}`, path, 'write a full URL such as https://api.example.com/v1/ip/{{ key }}');
  }
  const text = compileKeyText(rest, path);
  for (const part of text.parts) {
    // http.request refuses paths with spaces or control characters; say so now, not per request.
    if (/[^\x21-\x7e]/.test(part)) throw new ComponentConfigError(`the URL's path or query contains a space or a character that must be percent-encoded: ${JSON.stringify(part)}`, path, 'percent-encode it (a space is %20)');
  }
  const basicAuth = base.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
    : null;
  const protocol = base.protocol as 'http:' | 'https:';
  const port = base.port ? Number(base.port) : protocol === 'https:' ? 443 : 80;
  const firstPart = text.parts[0]!;
  const q = firstPart.indexOf('?');
  return {
    protocol,
    // URL keeps IPv6 literals in brackets; http.request wants them bare.
    hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    host: base.host,
    path: text,
    basicAuth,
    display: `${protocol}//${base.host}${q >= 0 ? firstPart.slice(0, q) : firstPart}`,
  };
}

/**
 * The `body` option: a map or list sent as JSON, with `{{ key }}` in its strings. It is encoded
 * once at build; each request only splices the key (escaped as JSON string content) into the
 * text, so a key with quotes or backslashes cannot change the JSON's structure.
 */
export function compileBody(body: unknown, path: Path): KeyText {
  if (body === null || typeof body !== 'object') {
    throw new ComponentConfigError('`body` must be a map or a list (it is sent as JSON)', path, 'write the JSON body as YAML: body: { ip: "{{ key }}" }');
  }
  // JSON.stringify escapes neither braces nor the word key, so the placeholders survive it.
  return compileKeyText(JSON.stringify(body), path);
}
