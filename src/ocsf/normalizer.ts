/**
 * One event through OCSF normalization: choose the pack (named, or the first that recognises the
 * event), map, fill derived fields, validate. Shared by the `normalize` transform and
 * `sluice ocsf map`, so both give the same answer for the same input.
 */
import type { Event } from '../core/event.js';
import type { MapContext, OcsfEvent, Pack } from './pack.js';
import { detectPack, packNamed, packs } from './packs.js';
import { loadSchema, type OcsfSchema } from './schema.js';
import { derive, deriveAndValidate, type Violation } from './validate.js';

export type ValidateMode = 'strict' | 'warn' | 'off';

export type Outcome =
  | { ok: true; pack: Pack; event: OcsfEvent; violations: readonly Violation[] }
  | { ok: false; pack: Pack | null; code: 'ocsf_unmapped' | 'ocsf_invalid'; reason: string; event?: OcsfEvent };

export interface NormalizerOptions {
  /** A pack name, or 'auto'. */
  pack?: string;
  /** With 'auto': only these packs. */
  packs?: string[];
  validate?: ValidateMode;
  /** Count warnings as violations too. */
  warnings?: boolean;
  productVersion: string;
  schema?: OcsfSchema;
}

export class UnknownPackError extends Error {
  constructor(readonly pack: string) { super(`unknown pack \`${pack}\`; packs: ${packs.map((p) => p.name).join(', ')}`); }
}

export function describeViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.path || '(event)'}: ${v.reason}`).join('; ');
}

export class Normalizer {
  readonly schema: OcsfSchema;
  readonly named: Pack | null;
  readonly candidates: readonly Pack[];
  private readonly mode: ValidateMode;
  private readonly warnings: boolean;
  private readonly ctx: MapContext & { now: number };

  constructor(o: NormalizerOptions) {
    const want = o.pack ?? 'auto';
    if (want !== 'auto') {
      const p = packNamed(want);
      if (!p) throw new UnknownPackError(want);
      this.named = p;
      this.candidates = [p];
    } else {
      this.named = null;
      this.candidates = o.packs ? o.packs.map((n) => { const p = packNamed(n); if (!p) throw new UnknownPackError(n); return p; }) : packs;
    }
    this.schema = o.schema ?? loadSchema();
    this.mode = o.validate ?? 'strict';
    this.warnings = o.warnings ?? false;
    this.ctx = { productVersion: o.productVersion, now: Date.now() };
  }

  /** Normalize one source event into zero or more outcomes (a report can hold many findings). */
  run(e: Event, now = Date.now()): Outcome[] {
    this.ctx.now = now;
    const pack = this.named ?? detectPack(e, this.candidates);
    if (!pack) return [{ ok: false, pack: null, code: 'ocsf_unmapped', reason: `no pack recognises this event (tried ${this.candidates.map((p) => p.name).join(', ')}); name one with \`pack\`` }];
    let r;
    try { r = pack.map(e, this.ctx); } catch (err) {
      r = { ok: false as const, reason: `pack ${pack.name} failed: ${(err as Error).message}` };
    }
    if (!r.ok) return [{ ok: false, pack, code: 'ocsf_unmapped', reason: r.reason.startsWith(`${pack.name}: `) ? r.reason : `${pack.name}: ${r.reason}` }];
    const out: Outcome[] = [];
    for (const ev of r.events) {
      if (this.mode === 'off') { derive(this.schema, ev); out.push({ ok: true, pack, event: ev, violations: [] }); continue; }
      // One pass, and missing-recommended warnings only built when they count.
      const all = deriveAndValidate(this.schema, ev, { missingRecommended: this.warnings });
      const bad = this.warnings ? all : all.filter((v) => v.level === 'error');
      if (bad.length && this.mode === 'strict') out.push({ ok: false, pack, code: 'ocsf_invalid', reason: `${pack.name}: not valid OCSF: ${describeViolations(bad)}`, event: ev });
      else out.push({ ok: true, pack, event: ev, violations: bad });
    }
    return out;
  }
}
