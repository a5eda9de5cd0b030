/**
 * What an indicator is, in one place for both sides: feeds (when loading) and events (when
 * looking up) classify and normalise values with the same functions, so a value matches an
 * indicator exactly when both normalise to the same key.
 *
 * Keys:
 *   - IPv4: the address as a 32-bit number (IPv4-mapped IPv6 counts as IPv4); IPv6: 32 hex digits;
 *   - domain: lower case, without a trailing dot (`Evil.Example.COM.` -> `evil.example.com`);
 *   - URL: lower-case host, no scheme, no user info, no default port (80, 443), no fragment, path
 *     and query as written, an empty path as `/` (`HTTPS://Evil.com:443?q` -> `evil.com/?q`).
 *     Dropping the scheme makes `http://` and `https://` of one host and path the same indicator;
 *   - hashes: lower-case hex, told apart by length (MD5 32, SHA-1 40, SHA-256 64).
 */
import { parseIPv4 } from '../../../expr/values.js';
import { parseIp } from '../../../enrich/ip.js';

/** Indicator types, as stored per indicator (a Uint8Array column). */
export const T_IPV4 = 1, T_IPV6 = 2, T_CIDR = 3, T_DOMAIN = 4, T_URL = 5, T_MD5 = 6, T_SHA1 = 7, T_SHA256 = 8;
export const TYPE_NAMES: readonly string[] = ['', 'ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256'];

/** OCSF observable type_id per indicator type: IP Address 2, Hostname 1, URL String 6, Hash 8. */
export const OBSERVABLE_TYPE: readonly number[] = [0, 2, 2, 2, 1, 6, 8, 8, 8];

/** Value kinds on the event side (what a value is, before any lookup). */
export const K_NONE = 0, K_V4 = 1, K_V6 = 2, K_DOMAIN = 3, K_URL = 4, K_HASH = 5;

/** Kinds a value may be looked up as (bit per kind): all for configured fields, fewer for typed observables. */
export const ALLOW_ALL = 0b111110;
export const ALLOW_IP = (1 << K_V4) | (1 << K_V6);
export const ALLOW_HOST = ALLOW_IP | (1 << K_DOMAIN);
export const ALLOW_URL = 1 << K_URL;
export const ALLOW_HASH = 1 << K_HASH;

/**
 * Which kinds an OCSF observable's `type_id` allows: Hostname 1, IP Address 2, URL String 6, Hash 8,
 * Endpoint 20, URL 23; Unknown 0 and Other 99 are inferred from the value. Other types (user names,
 * emails, ports...) are never indicators here: a user name `a.b` is not a domain.
 */
export function allowForObservableType(typeId: unknown): number {
  switch (typeId) {
    case 1: return ALLOW_HOST;
    case 2: return ALLOW_IP;
    case 6: case 23: return ALLOW_URL;
    case 8: return ALLOW_HASH;
    case 20: return ALLOW_HOST;
    case 0: case 99: case undefined: case null: return ALLOW_ALL;
    default: return 0;
  }
}

/** Scratch results of `classify` (one value at a time; no object per value). */
export const scratch = { n: 0, hex: '', labels: 0, hashType: 0 };

/** Lower-case hex digits only? */
function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** The hash type of a value by length, or 0 when it is not 32, 40 or 64 hex digits. */
export function hashTypeOf(s: string): number {
  const n = s.length;
  const t = n === 32 ? T_MD5 : n === 40 ? T_SHA1 : n === 64 ? T_SHA256 : 0;
  return t && isHex(s) ? t : 0;
}

/**
 * A domain's key (lower case, trailing dot removed), with `scratch.labels` set; null when the value
 * is not a domain name: it needs a dot, no empty label, only letters, digits, `-`, `_` (and
 * non-ASCII, for IDNs written in Unicode), and a last label that is not all digits (`1.2.3`).
 */
export function domainKey(s: string): string | null {
  let n = s.length;
  if (n > 0 && s.charCodeAt(n - 1) === 46) n--;
  if (n < 3 || n > 253) return null;
  let labels = 1, upper = false, lastDot = -1, digitsOnly = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (i === lastDot + 1) return null;
      lastDot = i;
      labels++;
      digitsOnly = true;
      continue;
    }
    if (c >= 97 && c <= 122) { digitsOnly = false; continue; }
    if (c >= 48 && c <= 57) continue;
    if (c >= 65 && c <= 90) { upper = true; digitsOnly = false; continue; }
    if (c === 45 || c === 95 || c > 127) { digitsOnly = false; continue; }
    return null;
  }
  if (lastDot < 0 || lastDot === n - 1 || digitsOnly) return null;
  scratch.labels = labels;
  const t = n === s.length ? s : s.slice(0, n);
  return upper ? t.toLowerCase() : t;
}

/**
 * FNV-1a of s[start, end), read from the last character to the first, ASCII letters folded to
 * lower case. Read backwards, the hash of a domain passes through the hash of each of its parents
 * (`example.com`, then `evil.example.com`...), so one pass over an event's hostname gives the keys
 * of all its parents without cutting a substring for any. Folding lets a mixed-case value be
 * hashed without lower-casing it first (the comparison that confirms a hit folds too).
 */
export function hashKey(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = end - 1; i >= start; i--) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    h = Math.imul(h ^ c, 16777619);
  }
  return h;
}

/**
 * A domain scanned by `scanDomain`: per number of labels k, the hash and start of the parent with
 * k labels; parents of `wideAt` labels or more hold a character above 0xff.
 */
export const dom = { labels: 0, end: 0, wideAt: 128, hash: new Int32Array(128), start: new Int32Array(128) };

/**
 * Check that s[start, end) is a domain name (the rules of `domainKey`; a trailing dot is dropped)
 * and fill `dom` with the hash and start of every parent, in one backward pass, allocating
 * nothing. Returns false when it is not a domain. Domains of more than 127 labels are not.
 */
export function scanDomain(s: string, start: number, end: number): boolean {
  if (end > start && s.charCodeAt(end - 1) === 46) end--;
  const n = end - start;
  if (n < 3 || n > 253) return false;
  let h = 0x811c9dc5;
  let labels = 1, labelLen = 0, tldDigits = true, wideAt = 128;
  const hash = dom.hash, st = dom.start;
  for (let i = end - 1; i >= start; i--) {
    let c = s.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0 || labels >= 127) return false;
      hash[labels] = h;
      st[labels] = i + 1;
      labels++;
      labelLen = 0;
    } else {
      if (c >= 65 && c <= 90) c |= 0x20;
      else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c > 127)) return false;
      if (c > 0xff && wideAt === 128) wideAt = labels;
      if (labels === 1 && !(c >= 48 && c <= 57)) tldDigits = false;
      labelLen++;
    }
    h = Math.imul(h ^ c, 16777619);
  }
  if (labels < 2 || labelLen === 0 || tldDigits) return false;
  hash[labels] = h;
  st[labels] = start;
  dom.labels = labels;
  dom.end = end;
  dom.wideAt = wideAt;
  return true;
}

/** Where the host of the last `urlKey` starts and ends in its key (for the host lookup). */
export const urlHost = { start: 0, end: 0, query: -1 };
/**
 * A URL's key (see the file comment), or null when it has no host. `urlHost` gives the host's
 * place in the key and where the query starts (-1: none).
 */
export function urlKey(s: string): string | null {
  let at = s.indexOf('://');
  let port = '';
  if (at >= 0) {
    const scheme = s.slice(0, at).toLowerCase();
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) return null;
    port = scheme === 'http' ? ':80' : scheme === 'https' ? ':443' : '';
    at += 3;
  } else at = 0;
  let end = at;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35) break; // / ? #
    end++;
  }
  let auth = s.slice(at, end);
  const atSign = auth.lastIndexOf('@');
  if (atSign >= 0) auth = auth.slice(atSign + 1);
  // The host ends at the port colon (an IPv6 literal keeps its brackets and colons).
  let hostEnd = auth.length;
  const close = auth.lastIndexOf(']');
  const colon = auth.lastIndexOf(':');
  if (colon > close) hostEnd = colon;
  let host = auth.slice(0, hostEnd).toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (!host) return null;
  let portText = auth.slice(hostEnd);
  if (portText === ':' || portText === port || (!port && at === 0 && (portText === ':80' || portText === ':443'))) portText = '';
  let hash = s.indexOf('#', end);
  if (hash < 0) hash = s.length;
  let rest = s.slice(end, hash);
  if (rest === '' || rest.charCodeAt(0) === 63) rest = '/' + rest;
  urlHost.start = 0;
  urlHost.end = host.length;
  const q = rest.indexOf('?');
  const key = host + portText + rest;
  urlHost.query = q < 0 ? -1 : host.length + portText.length + q;
  return key;
}

/** An IPv6 literal in a URL host (`[2001:db8::1]`) without its brackets. */
export function unbracket(host: string): string {
  return host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93 ? host.slice(1, -1) : host;
}

/**
 * What an event value is: K_V4 (scratch.n), K_V6 (scratch.hex), K_URL, K_HASH (scratch.hashType;
 * the value as it is, any case), K_DOMAIN (`dom` filled by scanDomain), or K_NONE. `allow` limits
 * the kinds (an observable typed as an IP address is only looked up as one).
 */
export function classify(v: string, allow: number): number {
  const n = v.length;
  if (n < 3 || n > 4096) return K_NONE;
  const c0 = v.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && n <= 15 && (allow & (1 << K_V4))) {
    const ip = parseIPv4(v);
    if (ip >= 0) { scratch.n = ip; return K_V4; }
  }
  if (v.indexOf(':') >= 0) {
    if (v.indexOf('://') > 0) return allow & (1 << K_URL) ? K_URL : K_NONE;
    if (!(allow & (1 << K_V6))) return K_NONE;
    const p = parseIp(v);
    if (!p) return K_NONE;
    if (p.v === 4) { scratch.n = p.n; return K_V4; }
    scratch.hex = p.hex;
    return K_V6;
  }
  if (allow & (1 << K_HASH)) {
    const t = hashTypeOf(v);
    if (t) { scratch.hashType = t; return K_HASH; }
  }
  if ((allow & (1 << K_DOMAIN)) && scanDomain(v, 0, n)) return K_DOMAIN;
  return K_NONE;
}
