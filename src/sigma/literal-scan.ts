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
  /** ASCII char code -> the class of its lower case (scanAnyCase). */
  private readonly fold: Uint8Array | Uint16Array;
  private readonly classes: number;
  /**
   * Row-major transitions. An entry is the next state's row offset (state x classes), or its bitwise
   * complement when literals end in that state: the common step is one read and no multiply, and a
   * hit is a sign test (measured 6.3 -> 4.2 ns per character against state numbers and a read of
   * the output table per step, 400 literals, a 111-character command line, 2-core VM).
   */
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
    const fold = cls instanceof Uint8Array ? new Uint8Array(128) : new Uint16Array(128);
    for (let c = 0; c < 128; c++) fold[c] = cls[c >= 65 && c <= 90 ? c + 32 : c]!;
    this.fold = fold;

    // The trie is built in the table it becomes: row s holds state s's trie edges (0: none; the
    // root is no one's child), then, breadth-first, each row is completed with its failure state's
    // transitions. No per-node Map: the 312 automata of the SigmaHQ corpus through the windows
    // pipeline (106,000 states) took 456 ms to build cold (120 ms warm) with a Map per trie node,
    // 197 ms (70 ms) this way.
    let bound = 1;
    for (const l of cut) bound += l.length;
    const trie = new Int32Array(bound * classes);
    const ends: Array<number[] | undefined> = [];
    let n = 1;
    for (let id = 0; id < cut.length; id++) {
      const l = cut[id]!;
      let s = 0;
      for (let i = 0; i < l.length; i++) {
        const at = s * classes + cls[l.charCodeAt(i)]!;
        let t = trie[at]!;
        if (t === 0) trie[at] = t = n++;
        s = t;
      }
      (ends[s] ??= []).push(id);
    }
    this.states = n;
    const dfa = trie.slice(0, n * classes);
    const fail = new Int32Array(n);
    const queue = new Int32Array(n);
    const outStart = new Int32Array(n).fill(-1);
    const outs: number[] = [];
    let tail = 0;
    // Breadth-first: a state's failure state is shallower, so its row is complete before it is read.
    queue[tail++] = 0;
    for (let qi = 0; qi < tail; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      const row = s * classes, frow = f * classes;
      for (let k = 0; k < classes; k++) {
        const c = dfa[row + k]!;
        const via = s === 0 ? 0 : dfa[frow + k]!;
        if (c === 0) dfa[row + k] = via; // class 0 (a character in no literal) has no edges: it restarts
        else { fail[c] = via; queue[tail++] = c; }
      }
      // Literals ending here: its own, then its failure state's (suffixes).
      const own = ends[s];
      const inherited = s === 0 ? -1 : outStart[f]!;
      if (own === undefined && inherited < 0) continue;
      outStart[s] = outs.length;
      const count = (own?.length ?? 0) + (inherited < 0 ? 0 : outs[inherited]!);
      outs.push(count);
      if (own !== undefined) for (const id of own) outs.push(id);
      if (inherited >= 0) for (let j = inherited + 1, e = inherited + 1 + outs[inherited]!; j < e; j++) outs.push(outs[j]!);
    }
    // State numbers -> row offsets, complemented where literals end (see `dfa`).
    for (let i = 0; i < dfa.length; i++) {
      const t = dfa[i]!;
      dfa[i] = outStart[t]! >= 0 ? ~(t * classes) : t * classes;
    }
    this.dfa = dfa;
    this.outStart = outStart;
    this.outs = Int32Array.from(outs);
  }

  /** Bytes held by the tables. */
  get bytes(): number {
    return this.dfa.byteLength + this.outStart.byteLength + this.outs.byteLength + this.cls.byteLength + this.fold.byteLength;
  }

  /**
   * Calls `hit(literalId)` for every literal occurring in `text` (lower-case it first). A literal
   * may be reported more than once.
   */
  scan(text: string, hit: (id: number) => void): void {
    const dfa = this.dfa, cls = this.cls, top = cls.length;
    this.hitsAtRoot(hit);
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const t = dfa[s + (c < top ? cls[c]! : 0)]!;
      if (t >= 0) { s = t; continue; }
      s = ~t;
      this.hits(s, hit);
    }
  }

  /**
   * scan(text.toLowerCase(), hit) without lower-casing ASCII text: upper-case ASCII letters step
   * as their lower case (toLowerCase changes nothing else in ASCII). At the first other character
   * it starts over on the lower-cased text, so what was found before may be reported twice.
   * Saves the toLowerCase copy of every scanned field (~50 ns a field on the OTRF Windows events).
   */
  scanAnyCase(text: string, hit: (id: number) => void): void {
    const dfa = this.dfa, fold = this.fold;
    this.hitsAtRoot(hit);
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) { this.scan(text.toLowerCase(), hit); return; }
      const t = dfa[s + fold[c]!]!;
      if (t >= 0) { s = t; continue; }
      s = ~t;
      this.hits(s, hit);
    }
  }

  /** An empty literal ends at the root, before any character (and so also occurs in ""). */
  private hitsAtRoot(hit: (id: number) => void): void {
    const o0 = this.outStart[0]!;
    if (o0 >= 0) for (let j = o0 + 1; j <= o0 + this.outs[o0]!; j++) hit(this.outs[j]!);
  }

  /** Reports the literals ending in the state at row offset `row`. */
  private hits(row: number, hit: (id: number) => void): void {
    const outs = this.outs;
    const o = this.outStart[(row / this.classes) | 0]!;
    const end = o + 1 + outs[o]!;
    for (let j = o + 1; j < end; j++) hit(outs[j]!);
  }
}
