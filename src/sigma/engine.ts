/**
 * The detection engine: every compiled rule, indexed so an event is tested only against the rules
 * that can match it. Shared by the `detect` transform and `sluice detect`.
 *
 * Two indexes, both built once:
 * - By logsource. Processing pipelines add conditions such as `EventID: 1 or 4688` or
 *   `class_uid: 1007`; a rule whose added condition requires one field to equal one of a few
 *   values is filed under those values, and an event only meets the rules filed under its own
 *   value of each such field (plus the rules filed under nothing).
 * - By literal. Most rules can only match when some substring occurs in some field
 *   (`Image|endswith: \cmd.exe`, `CommandLine|contains: -enc`); compile.ts derives those
 *   (`necessaryLiterals`). One Aho-Corasick pass per field the event has tells which literals
 *   occur, and a rule with literals becomes a candidate only when one of them did (and its
 *   logsource admits the event).
 * Both are conservative: they may let a rule through that then does not match, never the reverse
 * (property-tested in engine.test.ts against evaluating every rule).
 */
import {
  compileRule, lowerAt, necessaryLiterals, pathReader, preparedCount, preparedIds, prepareEvent, releaseEvent, SigmaCompileError, slotFor, topNameId,
  type CompiledRule, type CompileOptions, type SigmaEvent,
} from './compile.js';
import { LiteralScanner } from './literal-scan.js';
import { sigmaLiteral } from './modifiers.js';
import type { DetectionItem, RuleError, Search, SigmaFilter, SigmaRule } from './types.js';

/** Names Object.prototype has: readers of paths through them read own properties, not the snapshot (compile.ts). */
const PROTO_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

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

/** One discriminating field (its paths in every rendering) and the ids of the values rules are filed under. */
interface Discriminator {
  key: string;
  readers: Reader[];
  /** Value key -> value id (an index into SigmaEngine.valueMark and .plainOf). */
  valueIds: Map<string, number>;
  /**
   * Value as read (string, number or boolean) -> its value id, -1 for none: remembers the
   * lower-casing (or String()) and the lookup of the values events have, ~1 per event
   * (a channel name, an event id). Cleared when it reaches MEMO_MAX entries.
   */
  memo: Map<unknown, number>;
}

/** See Discriminator.memo: bounds what events with ever new values can make it hold. */
const MEMO_MAX = 4096;

interface PathScan {
  path: string;
  read: Reader;
  /** The path's lower-casing cache slot (compile.ts): scanFew's lowered text is reused by the rules. */
  slot: number;
  scanner: LiteralScanner;
  /** literal id -> rules needing it. */
  rulesOf: Int32Array[];
  /**
   * Discriminator value ids one of which the event must have for any rule of this scan to be
   * admitted (each rule's first requirement, united); null when some rule of it requires none.
   */
  gate: Int32Array | null;
}

/**
 * The lookup key of a scalar value: its text lower-cased, as a plain equality compares it (modifiers.ts:
 * numbers and booleans compare by their text, so 4688 and "4688" share a key; "04688" does not match
 * 4688 and gets no shared key). String(Infinity) is "Infinity", hence the lower-casing of numbers too.
 * An array's keys are those of its scalar elements.
 */
function keyOf(v: string | number | boolean): string {
  return typeof v === 'string' ? v.toLowerCase() : String(v).toLowerCase();
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
  /** Rules without literals filed under no value: candidates for every event. */
  private readonly always: number[] = [];
  /** Value id -> the rules without literals filed under it. */
  private readonly plainOf: number[][] = [];
  /** Value id -> the event number when the event being matched had it. */
  private valueMark = new Uint32Array(0);
  /**
   * Per rule with literals: what its logsource requires of the discriminators, as runs of
   * [count, value id...] (one run per discriminator: the event must have one of those values);
   * null when it requires nothing of them.
   */
  private readonly admits: (Int32Array | null)[] = [];
  /** Whether some rule with literals needs no discriminator value (so no event can be dismissed early). */
  private literalsUnfiled = false;
  private readonly scans: PathScan[] = [];
  /**
   * Snapshot id (compile.ts, topNameId) of an event top-level key (the whole flat path or its
   * first segment) -> the scans that read it.
   */
  private readonly scansByTop: (number[] | undefined)[] = [];
  /** Scans whose reader does not read the prepared snapshot (paths through prototype names). */
  private readonly scanAlways: number[] = [];
  /** Per scan: the event number when it was last queued. */
  private readonly scanQueued: Uint32Array;
  private readonly toScan: Int32Array;
  /** Per rule: whether it has prefilter literals, and the event number when one was last seen. */
  private readonly needs: Uint8Array;
  private readonly seen: Uint32Array;
  /** Per rule: the event number when it was last added as a candidate (dedupes candidates). */
  private readonly queued: Uint32Array;
  private epoch = 0;
  private readonly candidates: Int32Array;
  private candCount = 0;
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
    this.candidates = new Int32Array(n);

    // Literal index first: which rules have literals decides how they are filed below.
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

    // Logsource index. Every field some rule requires to equal given values is a candidate
    // discriminator; the ones read per event are each rule's most widely shared one, plus any
    // required by at least 1/16 of the rules. A rule with literals is checked against all of its
    // discriminators when a literal of it occurs: with the windows pipeline, SigmaHQ's Sysmon rules
    // all require Channel (one value for ~1,500 rules) but also EventID, which splits them ~20 ways
    // (OTRF Windows events, all 2,399 rules: 28 -> 19 µs per event against Channel alone).
    const perRule = this.rules.map((r) => {
      const m = new Map<string, { paths: string[]; values: Set<string> }>();
      for (const c of r.rule.conditions) {
        if (c.negate) continue;
        // Conditions all hold on a match, so each field required by one is required by the rule.
        for (const [k, v] of requiredEqualities(c.search)) m.set(k, v);
      }
      return m;
    });
    const popularity = new Map<string, number>();
    for (const m of perRule) for (const k of m.keys()) popularity.set(k, (popularity.get(k) ?? 0) + 1);
    const chosen = new Set<string>();
    for (const [k, p] of popularity) if (p * 16 >= n) chosen.add(k);
    const bestOf = perRule.map((m) => {
      let bestKey: string | undefined;
      for (const k of m.keys()) if (bestKey === undefined || popularity.get(k)! > popularity.get(bestKey)!) bestKey = k;
      if (bestKey !== undefined) chosen.add(bestKey);
      return bestKey;
    });
    const byKey = new Map<string, Discriminator>();
    const valueId = (key: string, paths: string[], v: string): number => {
      let d = byKey.get(key);
      if (d === undefined) {
        d = { key, readers: paths.map(pathReader), valueIds: new Map(), memo: new Map() };
        byKey.set(key, d);
        this.discriminators.push(d);
      }
      let id = d.valueIds.get(v);
      if (id === undefined) {
        id = this.plainOf.length;
        d.valueIds.set(v, id);
        this.plainOf.push([]);
      }
      return id;
    };
    let indexed = 0;
    perRule.forEach((m, i) => {
      const best = bestOf[i];
      if (best !== undefined) indexed++;
      if (this.needs[i] !== 1) {
        // Without literals: queued from the value it is filed under, as before.
        this.admits.push(null);
        if (best === undefined) { this.always.push(i); return; }
        const q = m.get(best)!;
        for (const v of q.values) this.plainOf[valueId(best, q.paths, v)]!.push(i);
        return;
      }
      const runs: number[] = [];
      for (const [k, q] of m) {
        if (!chosen.has(k)) continue;
        runs.push(q.values.size);
        for (const v of q.values) runs.push(valueId(k, q.paths, v));
      }
      if (runs.length === 0) this.literalsUnfiled = true;
      this.admits.push(runs.length === 0 ? null : Int32Array.from(runs));
    });
    this.valueMark = new Uint32Array(this.plainOf.length);

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
      const si = this.scans.length;
      const rulesOf = names.map((l) => Int32Array.from(lits.get(l)!));
      this.scans.push({ path, read: pathReader(path), slot: slotFor(path), scanner, rulesOf, gate: this.gateOf(rulesOf) });
      // A reader finds a value only under the whole path as one flat key or under its first
      // segment (compile.ts, pathReader); names Object.prototype has are read another way.
      const parts = path.split('.');
      if (parts.some((x) => PROTO_KEYS.has(x)) || PROTO_KEYS.has(path)) { this.scanAlways.push(si); continue; }
      for (const top of new Set([path, parts[0]!])) {
        const id = topNameId(top);
        let list = this.scansByTop[id];
        if (list === undefined) this.scansByTop[id] = list = [];
        list.push(si);
      }
    }
    this.scanQueued = new Uint32Array(this.scans.length);
    this.toScan = new Int32Array(this.scans.length);
    // A rule becomes a candidate when one of its literals occurs and its logsource admits the
    // event, rather than being queued from its logsource and dropped when no literal occurred: a
    // Sysmon event queued all ~1,600 Sysmon rules of SigmaHQ's Windows set to keep ~45, and
    // pushing and filtering them was ~40% of matching. With the two tricks below (OTRF Windows
    // events, all 2,399 rules, old and new engine timed in one process): 65 -> 20 µs per event.
    this.markHit = (id: number) => {
      const list = this.currentScan!.rulesOf[id]!;
      const epoch = this.epoch, seen = this.seen;
      for (let j = 0; j < list.length; j++) {
        const r = list[j]!;
        if (seen[r] === epoch) continue;
        seen[r] = epoch;
        const req = this.admits[r]!;
        if (req === null || this.admitted(req)) this.candidates[this.candCount++] = r;
      }
    };
    this.stats = { rules: n, indexed, withLiterals, literals, automataBytes: bytes };
  }

  /**
   * A scan's gate: a rule it serves is admitted only if the event has one of the values of the
   * rule's first requirement, so the scan is needed only when the event has one of the union.
   */
  private gateOf(rulesOf: readonly Int32Array[]): Int32Array | null {
    const ids = new Set<number>();
    for (const list of rulesOf) {
      for (let j = 0; j < list.length; j++) {
        const req = this.admits[list[j]!]!;
        if (req === null) return null;
        for (let k = 1; k <= req[0]!; k++) ids.add(req[k]!);
      }
    }
    return Int32Array.from(ids);
  }

  /** Whether the event being matched has one of the discriminator values in `gate`. */
  private opens(gate: Int32Array): boolean {
    const mark = this.valueMark, epoch = this.epoch;
    for (let i = 0; i < gate.length; i++) if (mark[gate[i]!] === epoch) return true;
    return false;
  }

  /** Whether the event being matched has, for each discriminator in `req`, one of the values listed. */
  private admitted(req: Int32Array): boolean {
    const mark = this.valueMark, epoch = this.epoch;
    for (let i = 0; i < req.length;) {
      const end = i + 1 + req[i]!;
      let ok = false;
      for (let j = i + 1; j < end; j++) if (mark[req[j]!] === epoch) { ok = true; break; }
      if (!ok) return false;
      i = end;
    }
    return true;
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
    if (epoch === 0xffffffff) {
      this.seen.fill(0); this.queued.fill(0); this.valueMark.fill(0); this.scanQueued.fill(0);
      this.epoch = 1;
    }
    const cand = this.candidates;
    this.candCount = 0;
    const always = this.always;
    for (let i = 0; i < always.length; i++) this.candidates[this.candCount++] = always[i]!;
    // The event's discriminator values: mark them, and queue the rules without literals filed under them.
    let anyValue = false;
    const ds = this.discriminators;
    for (let di = 0; di < ds.length; di++) {
      const d = ds[di]!;
      for (let ri = 0; ri < d.readers.length; ri++) {
        const v = d.readers[ri]!(e);
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) {
          for (const x of v) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') anyValue = this.markValue(d, x) || anyValue;
        } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
          anyValue = this.markValue(d, v) || anyValue;
        }
      }
    }
    // No rule with literals can be admitted: nothing to scan for.
    if (anyValue || this.literalsUnfiled) this.scanPresent(e);
    const count = this.candCount;
    if (count === 0) return 0;
    // Candidates arrive in scan order; `out` is in rule order. A typed array sorts numerically
    // without a comparator call per comparison.
    if (count > 1) cand.subarray(0, count).sort();
    for (let i = 0; i < count; i++) {
      const er = this.rules[cand[i]!]!;
      if (er.compiled.match(e)) out.push(er);
    }
    return out.length;
  }

  /**
   * Marks the discriminator value `v` (by keyOf) has, if rules are filed under
   * it, and queues the rules without literals filed there. Through the memo: lower-casing each
   * event's channel and event id (a fresh copy of each) and looking the copies up took 358 ns per
   * OTRF Windows event, the memo 57 ns (best of 8 interleaved rounds), of ~2.8 µs with 100 rules.
   */
  private markValue(d: Discriminator, v: string | number | boolean): boolean {
    let id = d.memo.get(v);
    if (id === undefined) {
      if (d.memo.size >= MEMO_MAX) d.memo.clear();
      id = d.valueIds.get(keyOf(v)) ?? -1;
      d.memo.set(v, id);
    }
    if (id < 0) return false;
    const epoch = this.epoch;
    this.valueMark[id] = epoch;
    const list = this.plainOf[id]!, queued = this.queued, cand = this.candidates;
    for (let j = 0; j < list.length; j++) {
      const r = list[j]!;
      if (queued[r] !== epoch) { queued[r] = epoch; cand[this.candCount++] = r; }
    }
    return true;
  }

  /**
   * Scans each path's text once, reading only the paths the event can have: those whose flat key
   * or first segment is one of its own top-level keys. Of the ~360 paths the windows pipeline gives
   * SigmaHQ's rules, an event in one rendering has about a third; calling every reader was ~17% of
   * matching (OTRF Windows events, all 2,399 rules: 32 -> 19 µs per event; 1,000 rules: 17 -> 9).
   */
  private scanPresent(e: SigmaEvent): void {
    const epoch = this.epoch, queued = this.scanQueued, todo = this.toScan;
    let count = 0;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      for (let si = 0; si < this.scans.length; si++) todo[count++] = si;
    } else {
      // The event's top-level keys as prepareEvent saw them (those some reader reads), rather than
      // a second for...in with a Map lookup per key (OTRF Windows events, both walks: 530 -> 356
      // ns per event, best of 8 interleaved rounds).
      const ids = preparedIds(), n = preparedCount(), byTop = this.scansByTop;
      for (let i = 0; i < n; i++) {
        const list = byTop[ids[i]!];
        if (list === undefined) continue;
        for (let j = 0; j < list.length; j++) {
          const si = list[j]!;
          if (queued[si] !== epoch) { queued[si] = epoch; todo[count++] = si; }
        }
      }
      for (let j = 0; j < this.scanAlways.length; j++) todo[count++] = this.scanAlways[j]!;
    }
    for (let t = 0; t < count; t++) {
      const sc = this.scans[todo[t]!]!;
      // Only scans some rule of which this event's log source admits: with 100 SigmaHQ Windows
      // rules, scanning fields (CommandLine, Message...) for rules of other event ids was ~55% of
      // matching (OTRF Windows events, back to back: 100 rules 5.9 -> 3.1 µs per event, 0.42 ->
      // 0.29x the JSON floor; all 2,399 rules 28.7 -> 18.2 µs, 2.07 -> 1.72x).
      if (sc.gate !== null && !this.opens(sc.gate)) continue;
      const v = sc.read(e);
      if (v === undefined || v === null) continue;
      this.currentScan = sc;
      this.scanValue(sc, v);
    }
  }

  private scanValue(sc: PathScan, v: unknown): void {
    // scanAnyCase: as scan(v.toLowerCase()), without the copy for ASCII text. scanFew (few
    // literals) needs the copy, which the rules then tested on this field find in the cache.
    if (typeof v === 'string') {
      if (sc.scanner.few !== null) sc.scanner.scanFew(lowerAt(sc.slot, v), this.markHit);
      else sc.scanner.scanAnyCase(v, this.markHit);
    }
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
