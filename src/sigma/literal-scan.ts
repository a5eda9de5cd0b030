/**
 * Multi-literal search (Aho-Corasick) for the detection prefilter: one pass over a field's text
 * tells which of thousands of rule literals occur in it, so the engine evaluates only the rules
 * that can match. Hand-written: the npm Aho-Corasick packages report matches as arrays of strings
 * per call (allocation per event) and none reports into a caller's mark array (decision 0017).
 *
 * The automaton is a full DFA over an alphabet of character classes: every character that occurs
 * in some literal has its own class, every other character is class 0 (it can only reset the
 * search). A step is one typed-array read; with ~60 classes a DFA of 50,000 states is 12 MB
 * (Int32Array), so literals are cut to their first MAX_LITERAL characters: a prefix of a needed
 * literal is needed too, so the prefilter stays correct (it may let through more rules, which the
 * compiled rules then reject).
 */

/** Longer literals are cut to this many characters (see above). */
export const MAX_LITERAL = 16;

export class LiteralScanner {
  /** char code -> class (0: in no literal). */
  private readonly cls: Uint8Array | Uint16Array;
  private readonly classes: number;
  private readonly dfa: Int32Array;
  /** Per state: first index into `outs` of the literal ids ending there (suffixes included), or -1. */
  private readonly outStart: Int32Array;
  private readonly outs: Int32Array;
  readonly states: number;

  /** `literals[i]` are lower-case already; match ids are indexes into `literals`. */
  constructor(literals: readonly string[]) {
    const cut = literals.map((l) => (l.length > MAX_LITERAL ? l.slice(0, MAX_LITERAL) : l));
    let maxCode = 0;
    for (const l of cut) for (let i = 0; i < l.length; i++) maxCode = Math.max(maxCode, l.charCodeAt(i));
    const cls = maxCode < 255 ? new Uint8Array(256) : new Uint16Array(65_536);
    let classes = 1;
    for (const l of cut) {
      for (let i = 0; i < l.length; i++) {
        const c = l.charCodeAt(i);
        if (cls[c] === 0) cls[c] = classes++;
      }
    }
    this.cls = cls;
    this.classes = classes;

    // The trie, with per-node child maps while building.
    const children: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    cut.forEach((l, id) => {
      let s = 0;
      for (let i = 0; i < l.length; i++) {
        const k = cls[l.charCodeAt(i)]!;
        let n = children[s]!.get(k);
        if (n === undefined) {
          n = children.length;
          children.push(new Map());
          ends.push([]);
          children[s]!.set(k, n);
        }
        s = n;
      }
      ends[s]!.push(id);
    });
    const n = children.length;
    this.states = n;
    const dfa = new Int32Array(n * classes);
    const fail = new Int32Array(n);
    // Breadth-first: a state's failure state is shallower, so its row is complete before it is copied.
    const queue: number[] = [];
    for (const [k, c] of children[0]!) { dfa[k] = c; fail[c] = 0; queue.push(c); }
    const outLists: number[][] = ends.map((e) => e.slice());
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      for (const id of outLists[f]!) outLists[s]!.push(id);
      const row = s * classes, frow = f * classes;
      for (let k = 0; k < classes; k++) dfa[row + k] = dfa[frow + k]!;
      for (const [k, c] of children[s]!) {
        fail[c] = dfa[frow + k]!;
        dfa[row + k] = c;
        queue.push(c);
      }
    }
    for (let s = 0; s < n; s++) dfa[s * classes] = 0; // class 0 (a character in no literal) restarts
    this.dfa = dfa;
    const outStart = new Int32Array(n).fill(-1);
    const outs: number[] = [];
    for (let s = 0; s < n; s++) {
      const l = outLists[s]!;
      if (l.length === 0) continue;
      outStart[s] = outs.length;
      outs.push(l.length, ...l);
    }
    this.outStart = outStart;
    this.outs = Int32Array.from(outs);
  }

  /** Bytes held by the tables. */
  get bytes(): number {
    return this.dfa.byteLength + this.outStart.byteLength + this.outs.byteLength + this.cls.byteLength;
  }

  /**
   * Calls `hit(literalId)` for every literal occurring in `text` (lower-case it first). A literal
   * may be reported more than once.
   */
  scan(text: string, hit: (id: number) => void): void {
    const dfa = this.dfa, cls = this.cls, k = this.classes, outStart = this.outStart, outs = this.outs;
    const top = cls.length;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      s = dfa[s * k + (c < top ? cls[c]! : 0)]!;
      const o = outStart[s]!;
      if (o >= 0) {
        const end = o + 1 + outs[o]!;
        for (let j = o + 1; j < end; j++) hit(outs[j]!);
      }
    }
  }
}
