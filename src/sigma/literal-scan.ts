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

/**
 * Up to this many literals, `few` is set and a text is searched by String#includes per literal
 * (on text lower-cased once) rather than by the automaton: a DFA step is a dependent table read,
 * ~3 ns per character, while includes runs ~0.4 ns per character per literal (SigmaHQ's Sysmon
 * CallTrace fields, ~590 characters: 2 literals 1,890 -> 640 ns, 4 literals 2,240 -> 1,330 ns,
 * 8 literals 1,370 -> 2,280 ns, so not beyond 4).
 */
export const FEW_LITERALS = 4;

export class LiteralScanner {
  /** char code -> class (0: in no literal). */
  private readonly cls: Uint16Array;
  /** ASCII char code -> the class of its lower case (scanAnyCase). */
  private readonly fold: Uint16Array;
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
  /** The literals (cut), when there are at most FEW_LITERALS of them: scan with scanFew. */
  readonly few: readonly string[] | null;
  /** Per literal id: the whole literal when it was cut (any() verifies it), else null. */
  private readonly whole: (string | null)[];

  /** `literals[i]` are lower-case already; match ids are indexes into `literals`. */
  constructor(literals: readonly string[]) {
    const cut = literals.map((l) => (l.length > MAX_LITERAL ? l.slice(0, MAX_LITERAL) : l));
    let maxCode = 0;
    for (const l of cut) for (let i = 0; i < l.length; i++) maxCode = Math.max(maxCode, l.charCodeAt(i));
    // Always Uint16Array (256 entries when every literal is Latin-1): with Uint8Array for some
    // scanners and Uint16Array for others this constructor and the scan loops were polymorphic and
    // deoptimized ("wrong map") while the SigmaHQ corpus loaded; measured with the sizing below.
    const cls = new Uint16Array(maxCode < 255 ? 256 : 65_536);
    let classes = 1;
    for (const l of cut) {
      for (let i = 0; i < l.length; i++) {
        const c = l.charCodeAt(i);
        if (cls[c] === 0) cls[c] = classes++;
      }
    }
    this.few = cut.length <= FEW_LITERALS ? cut : null;
    this.whole = literals.map((l) => (l.length > MAX_LITERAL ? l : null));
    this.cls = cls;
    this.classes = classes;
    const fold = new Uint16Array(128);
    for (let c = 0; c < 128; c++) fold[c] = cls[c >= 65 && c <= 90 ? c + 32 : c]!;
    this.fold = fold;

    // The trie is built in the table it becomes: row s holds state s's trie edges (0: none; the
    // root is no one's child), then, breadth-first, each row is completed with its failure state's
    // transitions. No per-node Map: the 312 automata of the SigmaHQ corpus through the windows
    // pipeline (106,000 states) took 456 ms to build cold (120 ms warm) with a Map per trie node,
    // 197 ms (70 ms) this way.
    // The exact number of states (distinct prefixes: in sorted order, each literal adds its
    // characters beyond the prefix it shares with the one before), so the table is allocated once
    // at its final size. Allocating for every literal character (1.6x the states on SigmaHQ's
    // literals) and copying out the used rows spent most of the build in page faults on fresh
    // memory: the SigmaHQ corpus's 112 automata built cold in a fresh process, with the array
    // type above, 339 -> 302 ms CPU (mean of 6 runs each, interleaved; system time 81 -> 60 ms).
    const sorted = cut.slice().sort();
    let states = 1;
    for (let j = 0; j < sorted.length; j++) {
      const l = sorted[j]!, prev = j === 0 ? '' : sorted[j - 1]!;
      const m = Math.min(prev.length, l.length);
      let k = 0;
      while (k < m && prev.charCodeAt(k) === l.charCodeAt(k)) k++;
      states += l.length - k;
    }
    const trie = new Int32Array(states * classes);
    // Literals ending in each state, as linked lists in typed arrays (an array of arrays indexed
    // by state went holey/dictionary-mode and deoptimized this constructor, which is run cold).
    const endHead = new Int32Array(states).fill(-1);
    const endNext = new Int32Array(cut.length);
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
      endNext[id] = endHead[s]!;
      endHead[s] = id;
    }
    this.states = n;
    const dfa = trie;
    const fail = new Int32Array(n);
    const queue = new Int32Array(n);
    const outStart = new Int32Array(n).fill(-1);
    const outs: number[] = [];
    let tail = 0;
    // Breadth-first: a state's failure state is shallower, so its row is complete before it is read.
    // The root's children fail to the root (class 0 and missing edges stay 0: restart).
    for (let k = 0; k < classes; k++) { const c = dfa[k]!; if (c !== 0) queue[tail++] = c; }
    if (endHead[0]! >= 0) { outStart[0] = 0; let count = 0; outs.push(0); for (let id = endHead[0]!; id >= 0; id = endNext[id]!) { outs.push(id); count++; } outs[0] = count; }
    for (let qi = 0; qi < tail; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      const row = s * classes, frow = f * classes;
      for (let k = 0; k < classes; k++) {
        const c = dfa[row + k]!;
        const via = dfa[frow + k]!;
        if (c === 0) dfa[row + k] = via; // class 0 (a character in no literal) has no edges: it restarts
        else { fail[c] = via; queue[tail++] = c; }
      }
      // Literals ending here: its own, then its failure state's (suffixes).
      const inherited = outStart[f]!;
      if (endHead[s]! < 0 && inherited < 0) continue;
      const at = outs.length;
      outStart[s] = at;
      outs.push(0);
      let count = 0;
      for (let id = endHead[s]!; id >= 0; id = endNext[id]!) { outs.push(id); count++; }
      if (inherited >= 0) for (let j = inherited + 1, e = inherited + 1 + outs[inherited]!; j < e; j++) { outs.push(outs[j]!); count++; }
      outs[at] = count;
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

  /**
   * Whether some literal occurs in `text` as it is (no case folding), the whole literal: cut ones
   * are verified where their first MAX_LITERAL characters end.
   */
  any(text: string): boolean {
    const dfa = this.dfa, cls = this.cls, top = cls.length, outs = this.outs, whole = this.whole;
    if (this.outStart[0]! >= 0) return true;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const t = dfa[s + (c < top ? cls[c]! : 0)]!;
      if (t >= 0) { s = t; continue; }
      s = ~t;
      const o = this.outStart[(s / this.classes) | 0]!;
      for (let j = o + 1, end = o + 1 + outs[o]!; j < end; j++) {
        const w = whole[outs[j]!];
        if (w === null || text.startsWith(w!, i + 1 - MAX_LITERAL)) return true;
      }
    }
    return false;
  }

  /** As scan(low, hit), for a scanner with `few` literals: one includes per literal. */
  scanFew(low: string, hit: (id: number) => void): void {
    const few = this.few!;
    for (let i = 0; i < few.length; i++) if (low.includes(few[i]!)) hit(i);
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
