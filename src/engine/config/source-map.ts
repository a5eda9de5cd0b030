/**
 * Reads YAML or JSON config files into plain values while remembering where every key and value
 * came from, so validation can report file:line:col for any path.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node } from 'yaml';
import type { Path, Position } from '../../core/schema.js';

export interface Located { key?: Position; value: Position }

export class SourceMap {
  private readonly map = new Map<string, Located>();
  readonly lines = new Map<string, string[]>();

  static key(path: Path): string { return path.join('\u0000'); }

  set(path: Path, loc: Located): void { this.map.set(SourceMap.key(path), loc); }

  /** Position of a path's value, or of its nearest ancestor that has one. */
  valueOf(path: Path): Position | undefined {
    for (let n = path.length; n >= 0; n--) {
      const l = this.map.get(SourceMap.key(path.slice(0, n)));
      if (l) return l.value;
    }
    return undefined;
  }

  /** Position of a path's key; for a missing key (a missing required field), its parent's key. */
  keyOf(path: Path): Position | undefined {
    for (let n = path.length; n >= 0; n--) {
      const l = this.map.get(SourceMap.key(path.slice(0, n)));
      if (l) return l.key ?? l.value;
    }
    return undefined;
  }

  /** Copy the entries of `other` under `prefix`. */
  absorb(other: SourceMap): void {
    for (const [k, v] of other.map) this.map.set(k, v);
    for (const [f, l] of other.lines) this.lines.set(f, l);
  }

  line(file: string | undefined, line: number): string | undefined {
    return file ? this.lines.get(file)?.[line - 1] : undefined;
  }
}

export class ConfigSyntaxError extends Error {
  constructor(message: string, readonly position: Position) { super(message); }
}

/** Parse one file; returns the plain value and a SourceMap of every path in it. */
export function readConfigFile(file: string, text = readFileSync(file, 'utf8')): { value: unknown; map: SourceMap } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const map = new SourceMap();
  map.lines.set(file, text.split('\n'));
  const pos = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigSyntaxError(`invalid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]}`, pos(e.pos[0]));
  }
  const walk = (node: Node | null | undefined, path: Path): void => {
    if (!node) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as Node | null;
        const valNode = pair.value as Node | null;
        const child = [...path, k];
        const keyPos = keyNode?.range ? pos(keyNode.range[0]) : undefined;
        const valPos = valNode?.range ? pos(valNode.range[0]) : keyPos;
        if (valPos) map.set(child, { key: keyPos, value: valPos });
        walk(valNode, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const n = item as Node | null;
        if (n?.range) map.set([...path, i], { value: pos(n.range[0]) });
        walk(n, [...path, i]);
      });
    }
  };
  if (doc.contents?.range) map.set([], { value: pos(doc.contents.range[0]) });
  walk(doc.contents as Node, []);
  return { value: doc.toJS({ maxAliasCount: 1000 }), map };
}
