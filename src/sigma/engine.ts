/**
 * The detection engine: every compiled rule, indexed so an event is tested only against the rules
 * that can match it. Shared by the `detect` transform and `sluice detect`.
 *
 * Two indexes, both built once:
 * - By logsource. Processing pipelines add conditions such as `EventID: 1 or 4688` or
 *   `class_uid: 1007`; a rule whose added condition requires one field to equal one of a few
 *   values is filed under those values, and an event only meets the rules filed under its own
 *   value of that field (plus the rules filed under nothing).
 * - By literal. Most rules can only match when some substring occurs in some field
 *   (`Image|endswith: \cmd.exe`, `CommandLine|contains: -enc`); compile.ts derives those
 *   (`necessaryLiterals`). One Aho-Corasick pass per field tells which literals occur, and a rule
 *   with literals is evaluated only when one of them did.
 * Both are conservative: they may let a rule through that then does not match, never the reverse
 * (property-tested in engine.test.ts against evaluating every rule).
 */
import { compileRule, necessaryLiterals, pathReader, prepareEvent, releaseEvent, SigmaCompileError, type CompiledRule, type CompileOptions, type SigmaEvent } from './compile.js';
import { LiteralScanner } from './literal-scan.js';
import { sigmaLiteral } from './modifiers.js';
import type { DetectionItem, RuleError, Search, SigmaFilter, SigmaRule } from './types.js';

export interface EngineRule {
  /** Position in `engine.rules`. */
  index: number;
  rule: SigmaRule;
  compiled: CompiledRule;
}

export interface EngineStats {
  rules: number;
  /** Rules filed under a logsource value (the rest are tried on every event). */
  indexed: number;
  /** Rules with prefilter literals. */
  withLiterals: number;
  literals: number;
  /** Bytes of the literal automata. */
  automataBytes: number;
}

type Reader = (e: SigmaEvent) => unknown;

/** One discriminating field (its paths in every rendering) and the rules filed by its values. */
interface Discriminator {
  key: string;
  readers: Reader[];
  byValue: Map<string, number[]>;
}

interface PathScan {
  path: string;
  read: Reader;
  scanner: LiteralScanner;
  /** literal id -> rules needing it. */
  rulesOf: Int32Array[];
}

/**
 * The lookup keys of a value: its text lower-cased, as a plain equality compares it (modifiers.ts:
 * numbers and booleans compare by their text, so 4688 and "4688" share a key; "04688" does not match
 * 4688 and gets no shared key). String(Infinity) is "Infinity", hence the lower-casing of numbers too.
 */
function keysOf(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v.toLowerCase());
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v).toLowerCase());
  else if (Array.isArray(v)) {
    for (const x of v) if (!Array.isArray(x)) keysOf(x, out);
  }
}

/** An item that requires a field to equal one of its values: no modifiers, no wildcards, not null. */
function equalityItem(item: DetectionItem): { key: string; paths: string[]; values: string[] } | null {
  // Any modifier changes what "equal" means (`cased` included: the index is case-insensitive).
  if (item.field === null || item.modifiers.length > 0) return null;
  const values: string[] = [];
  for (const v of item.values) {
    if (typeof v === 'number' || typeof v === 'boolean') values.push(String(v).toLowerCase());
    else if (typeof v === 'string') {
      // The value as matched: escapes undone (`C:\\x` is `C:\x`); a wildcard is not an equality.
      const lit = sigmaLiteral(v);
      if (lit === null || lit === '') return null;
      values.push(lit.toLowerCase());
    } else return null;
  }
  if (values.length === 0) return null;
  const paths = item.paths ?? [item.field];
  return { key: paths.join('\u0000'), paths, values };
}

/** Fields a search requires to equal given values: in every group, an equality item on the same paths. */
function requiredEqualities(s: Search): Map<string, { paths: string[]; values: Set<string> }> {
  let acc: Map<string, { paths: string[]; values: Set<string> }> | null = null;
  for (const g of s.groups) {
    const here = new Map<string, { paths: string[]; values: Set<string> }>();
    for (const item of g) {
      const q = equalityItem(item);
      if (q === null) continue;
      // Two equality items on one field in one group: either set is required; keep the smaller.
      const prev = here.get(q.key);
      if (prev === undefined || prev.values.size > q.values.length) here.set(q.key, { paths: q.paths, values: new Set(q.values) });
    }
    if (acc === null) { acc = here; continue; }
    const next = new Map<string, { paths: string[]; values: Set<string> }>();
    for (const [k, a] of acc) {
      const b = here.get(k);
      if (b !== undefined) next.set(k, { paths: a.paths, values: new Set([...a.values, ...b.values]) });
    }
    acc = next;
  }
  return acc ?? new Map();
}

export class SigmaEngine {
  readonly rules: EngineRule[] = [];
  private readonly discriminators: Discriminator[] = [];
  private readonly always: number[] = [];
  private readonly scans: PathScan[] = [];
  /** Per rule: whether it has prefilter literals, and the event number when one was last seen. */
  private readonly needs: Uint8Array;
  private readonly seen: Uint32Array;
  /** Per rule: the event number when it was last added as a candidate (dedupes candidates). */
  private readonly queued: Uint32Array;
  private epoch = 0;
  private readonly keys: string[] = [];
  private readonly candidates: number[] = [];
  private readonly markHit: (id: number) => void;
  private currentScan: PathScan | undefined;
  readonly stats: EngineStats;

  /**
   * Compiles `rules` (already through their processing pipelines) with the filters that name
   * them. A rule that does not compile is reported in `errors` and left out.
   */
  constructor(rules: readonly SigmaRule[], filters: readonly SigmaFilter[] = [], opts: CompileOptions = {}, errors: RuleError[] = []) {
    for (const rule of rules) {
      try {
        this.rules.push({ index: this.rules.length, rule, compiled: compileRule(rule, filters, opts) });
      } catch (e) {
        if (e instanceof SigmaCompileError) errors.push(...e.errors);
        else errors.push({ file: rule.file, place: rule.place, rule: rule.id ?? rule.title, message: `cannot compile: ${(e as Error).message}` });
      }
    }
    const n = this.rules.length;
    this.needs = new Uint8Array(n);
    this.seen = new Uint32Array(n);
    this.queued = new Uint32Array(n);

    // Logsource index: each rule goes under the most widely shared discriminating field it has.
    const perRule = this.rules.map((r) => {
      const m = new Map<string, { paths: string[]; values: Set<string> }>();
      for (const c of r.rule.conditions) {
        if (c.negate) continue;
        for (const [k, v] of requiredEqualities(c.search)) m.set(k, v);
      }
      return m;
    });
    const popularity = new Map<string, number>();
    for (const m of perRule) for (const k of m.keys()) popularity.set(k, (popularity.get(k) ?? 0) + 1);
    const byKey = new Map<string, Discriminator>();
    let indexed = 0;
    perRule.forEach((m, i) => {
      let bestKey: string | undefined;
      for (const k of m.keys()) if (bestKey === undefined || popularity.get(k)! > popularity.get(bestKey)!) bestKey = k;
      if (bestKey === undefined) { this.always.push(i); return; }
      const q = m.get(bestKey)!;
      let d = byKey.get(bestKey);
      if (d === undefined) {
        d = { key: bestKey, readers: q.paths.map(pathReader), byValue: new Map() };
        byKey.set(bestKey, d);
        this.discriminators.push(d);
      }
      for (const v of q.values) {
        let list = d.byValue.get(v);
        if (list === undefined) d.byValue.set(v, (list = []));
        list.push(i);
      }
      indexed++;
    });

    // Literal index: per event path, one automaton over the literals rules need there.
    const perPath = new Map<string, { lits: Map<string, number[]> }>();
    let withLiterals = 0;
    this.rules.forEach((r, i) => {
      let need: ReturnType<typeof necessaryLiterals>;
      try { need = necessaryLiterals(r.rule, opts); } catch { need = null; }
      if (need === null || need.length === 0) return;
      this.needs[i] = 1;
      withLiterals++;
      for (const { path, literals } of need) {
        let p = perPath.get(path);
        if (p === undefined) perPath.set(path, (p = { lits: new Map() }));
        for (const l of literals) {
          let list = p.lits.get(l);
          if (list === undefined) p.lits.set(l, (list = []));
          list.push(i);
        }
      }
    });
    let literals = 0, bytes = 0;
    // Paths with the same literals share one automaton: a pipeline maps each field to several
    // renderings (the windows pipeline: X, Event.EventData.X, winlog.event_data.X), which need the
    // same literals. For SigmaHQ's 2,409 Windows rules that builds 112 automata instead of 361
    // (43 MB -> 14 MB).
    const built = new Map<string, LiteralScanner>();
    for (const [path, { lits }] of perPath) {
      const names = [...lits.keys()];
      const same = names.join('\u0000');
      let scanner = built.get(same);
      if (scanner === undefined) {
        built.set(same, (scanner = new LiteralScanner(names)));
        bytes += scanner.bytes;
      }
      literals += names.length;
      this.scans.push({ path, read: pathReader(path), scanner, rulesOf: names.map((l) => Int32Array.from(lits.get(l)!)) });
    }
    this.markHit = (id: number) => {
      const list = this.currentScan!.rulesOf[id]!;
      for (let j = 0; j < list.length; j++) this.seen[list[j]!] = this.epoch;
    };
    this.stats = { rules: n, indexed, withLiterals, literals, automataBytes: bytes };
  }

  /**
   * The rules `e` matches, in rule order, written to `out` (cleared first); returns the count.
   * Synchronous and not re-entrant.
   */
  match(e: SigmaEvent, out: EngineRule[]): number {
    // Field reads of the event come from a snapshot of its top-level fields (compile.ts,
    // prepareEvent: ~80 ns -> ~1 ns per read on events of many shapes).
    prepareEvent(e);
    try {
      return this.matchPrepared(e, out);
    } finally {
      releaseEvent();
    }
  }

  private matchPrepared(e: SigmaEvent, out: EngineRule[]): number {
    out.length = 0;
    if (this.rules.length === 0) return 0;
    const epoch = ++this.epoch;
    if (epoch === 0xffffffff) { this.seen.fill(0); this.queued.fill(0); this.epoch = 1; }
    const cand = this.candidates;
    cand.length = 0;
    const always = this.always;
    for (let i = 0; i < always.length; i++) { cand.push(always[i]!); this.queued[always[i]!] = this.epoch; }
    const keys = this.keys;
    for (const d of this.discriminators) {
      keys.length = 0;
      for (const read of d.readers) {
        const v = read(e);
        if (v !== undefined && v !== null) keysOf(v, keys);
      }
      for (const k of keys) {
        const list = d.byValue.get(k);
        if (list === undefined) continue;
        for (let j = 0; j < list.length; j++) {
          const r = list[j]!;
          if (this.queued[r] !== this.epoch) { this.queued[r] = this.epoch; cand.push(r); }
        }
      }
    }
    if (cand.length === 0) return 0;
    // Literals: scan each path's text once.
    for (let si = 0; si < this.scans.length; si++) {
      const sc = this.scans[si]!;
      const v = sc.read(e);
      if (v === undefined || v === null) continue;
      this.currentScan = sc;
      this.scanValue(sc, v);
    }
    // Drop the candidates whose literals did not occur before sorting: sorting all of them (1,600
    // for a Sysmon event with the SigmaHQ Windows rules, of which ~45 pass) took ~40 µs per event
    // (OTRF events, all Windows rules: 175 -> 135 µs per event).
    let kept = 0;
    for (let i = 0; i < cand.length; i++) {
      const r = cand[i]!;
      if (this.needs[r] !== 1 || this.seen[r] === this.epoch) cand[kept++] = r;
    }
    cand.length = kept;
    cand.sort((a, b) => a - b);
    for (let i = 0; i < cand.length; i++) {
      const er = this.rules[cand[i]!]!;
      if (er.compiled.match(e)) out.push(er);
    }
    return out.length;
  }

  private scanValue(sc: PathScan, v: unknown): void {
    // scanAnyCase: as scan(v.toLowerCase()), without the copy for ASCII text.
    if (typeof v === 'string') sc.scanner.scanAnyCase(v, this.markHit);
    else if (typeof v === 'number' || typeof v === 'boolean') sc.scanner.scanAnyCase(String(v), this.markHit);
    else if (Array.isArray(v)) for (const x of v) if (!Array.isArray(x) && x !== null && typeof x !== 'object') this.scanValue(sc, x);
  }

  /** Every rule, evaluated without the indexes (for tests and `--no-index` comparisons). */
  matchAll(e: SigmaEvent, out: EngineRule[]): number {
    out.length = 0;
    prepareEvent(e);
    try {
      for (const r of this.rules) if (r.compiled.match(e)) out.push(r);
    } finally {
      releaseEvent();
    }
    return out.length;
  }
}
