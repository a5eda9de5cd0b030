/**
 * Canonical JSON for dedupe keys: object keys sorted, so `{a:1,b:2}` and `{b:2,a:1}` (the same
 * event from two parsers) give the same key; missing values and null are the same (`null`).
 */
import type { Segment } from '../../_shared/field-path.js';

type Obj = Record<string, unknown>;

export function canonicalJson(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'number': return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return String(v);
    case 'object': {
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonicalJson(v[i]);
        return s + ']';
      }
      if (v instanceof Date) return JSON.stringify(v);
      const keys = Object.keys(v).sort();
      let s = '{';
      let first = true;
      for (const k of keys) {
        const x = (v as Obj)[k];
        if (x === undefined) continue;
        s += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(x);
        first = false;
      }
      return s + '}';
    }
    default: return 'null';
  }
}

/** Paths to leave out, as a tree: `true` marks a removed node, a map descends into it. */
export type IgnoreTree = Map<Segment, IgnoreTree | true>;

export function ignoreTree(paths: readonly (readonly Segment[])[]): IgnoreTree {
  const root: IgnoreTree = new Map();
  for (const segs of paths) {
    let node = root;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const cur = node.get(seg);
      if (cur === true) break; // an ancestor is already ignored entirely
      if (i === segs.length - 1) { node.set(seg, true); break; }
      let next = cur;
      if (!next) node.set(seg, (next = new Map()));
      node = next;
    }
  }
  return root;
}

/** Canonical JSON of `v` without the parts named by `tree`. */
export function canonicalJsonExcept(v: unknown, tree: IgnoreTree): string {
  if (tree.size === 0 || v === null || typeof v !== 'object' || v instanceof Date) return canonicalJson(v);
  if (Array.isArray(v)) {
    let s = '[';
    let first = true;
    for (let i = 0; i < v.length; i++) {
      const sub = tree.get(i) ?? tree.get(i - v.length);
      if (sub === true) continue;
      s += (first ? '' : ',') + (sub ? canonicalJsonExcept(v[i], sub) : canonicalJson(v[i]));
      first = false;
    }
    return s + ']';
  }
  const keys = Object.keys(v).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = (v as Obj)[k];
    const sub = tree.get(k);
    if (x === undefined || sub === true) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + (sub ? canonicalJsonExcept(x, sub) : canonicalJson(x));
    first = false;
  }
  return s + '}';
}
