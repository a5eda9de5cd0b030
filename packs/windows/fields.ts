/**
 * Readers for Windows event fields and builders for the OCSF objects the Security and Sysmon
 * mappings share (user, process, file, hashes). Windows writes "-" for an empty value and the
 * NULL SID (S-1-0-0) for "no account"; both count as absent here, and only here: the original
 * values stay in `unmapped.EventData`.
 */
import { compact } from '../../src/ocsf/map-kit.js';

export type Rec = Record<string, unknown>;

export const NULL_SID = 'S-1-0-0';

/** A field as a string; undefined when absent, empty or Windows' "-" placeholder. */
export function str(d: Rec, k: string): string | undefined {
  const v = d[k];
  if (typeof v === 'string') return v === '' || v === '-' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A number written in decimal ("1234") or hex ("0x4d2"), or already a number; else undefined. */
export function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t.length === 0 || t.length > 18) return undefined;
  let n: number;
  if (t.charCodeAt(0) === 48 && (t.charCodeAt(1) === 120 || t.charCodeAt(1) === 88)) {
    if (!isHex(t, 2)) return undefined;
    n = parseInt(t.slice(2), 16);
  } else {
    if (!isDigits(t)) return undefined;
    n = Number(t);
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

export function int(d: Rec, k: string): number | undefined {
  return toInt(d[k]);
}

function isHex(t: string, from: number): boolean {
  if (t.length <= from) return false;
  for (let i = from; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isDigits(t: string): boolean {
  for (let i = 0; i < t.length; i++) { const c = t.charCodeAt(i); if (c < 48 || c > 57) return false; }
  return true;
}

/** "true"/"false" (as Sysmon writes booleans) or a boolean; else undefined. */
export function bool(d: Rec, k: string): boolean | undefined {
  const v = d[k];
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  return undefined;
}

/** A GUID without braces, for OCSF uuid_t; undefined for the all-zero GUID Windows writes for "none". */
export function guid(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const g = v.charCodeAt(0) === 123 && v.charCodeAt(v.length - 1) === 125 ? v.slice(1, -1) : v;
  return g === '00000000-0000-0000-0000-000000000000' ? undefined : g;
}

/** OCSF user from a SID, account name and domain; undefined when there is neither SID nor name. */
export function user(sid: string | undefined, name: string | undefined, domain: string | undefined): Rec | undefined {
  const uid = sid === NULL_SID ? undefined : sid;
  if (uid === undefined && name === undefined) return undefined;
  return compact({ name, uid, domain });
}

/** OCSF user from "DOMAIN\name" (Sysmon's User fields). */
export function domainUser(v: string | undefined): Rec | undefined {
  if (v === undefined) return undefined;
  const i = v.indexOf('\\');
  return i === -1 ? { name: v } : compact({ name: v.slice(i + 1), domain: v.slice(0, i) });
}

/** The last component of a Windows (or POSIX) path. */
export function basename(path: string): string {
  let i = path.length - 1;
  while (i >= 0) {
    const c = path.charCodeAt(i);
    if (c === 92 || c === 47) break;
    i--;
  }
  const name = path.slice(i + 1);
  return name === '' ? path : name;
}

export const FILE_REGULAR = 1, FILE_BLOCK_DEVICE = 4, FILE_NAMED_PIPE = 6, FILE_EXECUTABLE = 8;

/** OCSF file from a full path. */
export function file(path: string | undefined, typeId: number, extra?: Rec): Rec | undefined {
  if (path === undefined) return undefined;
  const name = basename(path);
  const f: Rec = { name, path, type_id: typeId };
  const ext = extension(name);
  if (ext !== undefined) f.ext = ext;
  if (extra) for (const k in extra) { const v = extra[k]; if (v !== undefined && v !== null && v !== '') f[k] = v; }
  return f;
}

/** "exe" from "svchost.exe"; "docm" from "invoice.docm:Zone.Identifier" (an alternate data stream). */
function extension(name: string): string | undefined {
  const colon = name.indexOf(':');
  const base = colon === -1 ? name : name.slice(0, colon);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || dot === base.length - 1 ? undefined : base.slice(dot + 1);
}

/** OCSF process from a pid (decimal or hex), an image path and more. */
export function proc(pid: number | undefined, image: string | undefined, extra?: Rec): Rec | undefined {
  const p: Rec = {};
  if (pid !== undefined) p.pid = pid;
  if (image !== undefined) { p.name = basename(image); p.file = file(image, FILE_EXECUTABLE); }
  if (extra) for (const k in extra) { const v = extra[k]; if (v !== undefined && v !== null && v !== '') p[k] = v; }
  return p.pid === undefined && p.uid === undefined && p.file === undefined ? undefined : p;
}

/** Sysmon's "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." as OCSF fingerprints. */
export function hashes(v: string | undefined): Rec[] | undefined {
  if (v === undefined) return undefined;
  const out: Rec[] = [];
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const alg = part.slice(0, eq).trim().toUpperCase();
    const value = part.slice(eq + 1).trim();
    if (value === '') continue;
    const id = HASH_IDS.get(alg);
    out.push(id === undefined ? { algorithm_id: 99, algorithm: alg, value } : { algorithm_id: id, value });
  }
  return out.length ? out : undefined;
}

const HASH_IDS: ReadonlyMap<string, number> = new Map([['MD5', 1], ['SHA1', 2], ['SHA256', 3], ['SHA384', 9], ['SHA512', 4], ['IMPHASH', 18]]);

/** Windows mandatory integrity label SIDs (4688's MandatoryLabel) -> OCSF process integrity_id. */
export const INTEGRITY_SIDS: ReadonlyMap<string, number> = new Map([
  ['S-1-16-0', 1], ['S-1-16-4096', 2], ['S-1-16-8192', 3], ['S-1-16-12288', 4], ['S-1-16-16384', 5], ['S-1-16-20480', 6],
]);

/** Sysmon's IntegrityLevel names -> OCSF process integrity_id. */
export const INTEGRITY_NAMES: ReadonlyMap<string, number> = new Map([
  ['Untrusted', 1], ['Low', 2], ['Medium', 3], ['High', 4], ['System', 5], ['Protected', 6],
]);

/** `integrity_id` (and `integrity` when it is not one of OCSF's levels). */
export function integrity(name: string | undefined, table: ReadonlyMap<string, number>): Rec {
  if (name === undefined) return {};
  const id = table.get(name);
  return id === undefined ? { integrity_id: 99, integrity: name } : { integrity_id: id };
}

/**
 * A Sysmon UtcTime ("2024-03-10 12:34:56.789", UTC without a zone) as epoch milliseconds. Parsed by
 * hand: Date.parse reads that form as local time.
 */
export function sysmonTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length < 19 || v.length > 23 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return undefined;
  const sep = v.charCodeAt(10);
  if (sep !== 32 && sep !== 84) return undefined;
  const y = digits(v, 0, 4), mo = digits(v, 5, 7), d = digits(v, 8, 10), h = digits(v, 11, 13), mi = digits(v, 14, 16), s = digits(v, 17, 19);
  let ms = 0;
  if (v.length > 19) {
    if (v.charCodeAt(19) !== 46 || v.length === 20) return undefined;
    const frac = digits(v, 20, v.length);
    ms = frac * 10 ** (3 - (v.length - 20));
  }
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || ms < 0) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** The decimal number in v[from, to), or -1 when a character is not a digit. */
function digits(v: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
