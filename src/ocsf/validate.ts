/**
 * OCSF event validation, `derive` and `trim`, against the compiled schema artifact (schema.ts).
 *
 * Speed: each class and each object gets a plan the first time an event needs it (attributes in a
 * Map, enum values in Maps, the type check of each attribute chosen once), kept on the schema and
 * reused. Checking an event walks the keys the event has, so sparse events cost little; a valid
 * event allocates nothing (the result is a shared, frozen empty array). See decision 0016.
 *
 * Rules follow the OCSF server's validator where it has one: profile attributes are allowed only
 * when the event lists the profile in metadata.profiles; null counts as absent; regex mismatches of
 * string subtypes are warnings, except ip_t and mac_t, which are errors here because a wrong
 * address breaks every join on it. Where this validator is stricter than the server (caption
 * attributes that disagree with their id are errors, not warnings) it says so in the reason.
 */
import { isIP } from 'node:net';
import type { ArtifactAttribute, ArtifactClass, ArtifactObject, OcsfSchema } from './schema.js';

export interface Violation {
  /** Where: `actor.user.uid`, `src_endpoint.ip`, `resources[2].type`; '' for the event itself. */
  path: string;
  reason: string;
  level: 'error' | 'warning';
}

export interface ValidateOptions {
  /** Profiles to apply in addition to the event's metadata.profiles. */
  profiles?: string[];
  /** Warn about missing recommended attributes (default true). */
  missingRecommended?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

const enum Kind { String, Integer, Long, Float, Boolean, Json, Object, OpenObject }
const enum Req { Optional = 0, Recommended = 1, Required = 2 }
const enum Str { None, Ip, Mac, RegexWarning }

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Below this, a timestamp_t is almost surely in seconds (1e11 ms is March 1973). */
const LIKELY_SECONDS = 1e11;

interface AttrPlan {
  readonly name: string;
  readonly kind: Kind;
  /** `ip_t`, `integer_t`, or the object name, for messages. */
  readonly typeName: string;
  readonly isTimestamp: boolean;
  readonly array: boolean;
  readonly req: Req;
  /** 0: not a profile attribute; else the bits of the profiles that allow it. */
  readonly profileMask: number;
  readonly profileText: string;
  readonly enumMap: Map<number | string, string> | undefined;
  readonly enumDeprecated: Map<number | string, string> | undefined;
  readonly sibling: string | undefined;
  readonly deprecated: string | undefined;
  readonly str: Str;
  readonly regex: RegExp | undefined;
  readonly maxLen: number;
  readonly rangeLo: number;
  readonly rangeHi: number;
  readonly values: readonly unknown[] | undefined;
  readonly objectName: string | undefined;
  /** Resolved on first use (objects refer to each other, often cyclically). */
  obj: EntityPlan | undefined;
  /**
   * Required and recommended attributes, and those a constraint names, are numbered within their
   * class or object so a walk notes which it saw in two local bit sets (word 0 or 1) instead of
   * reading each one back from the event afterwards; word 2: not numbered (past the 64th), read back.
   */
  rword: number;
  rbit: number;
  /** The caption attribute of this enum (`activity_name` for `activity_id`), when the entity has it. */
  siblingPlan: AttrPlan | undefined;
}

interface Constraint {
  readonly kind: 'at_least_one' | 'just_one';
  readonly names: readonly string[];
  /** The seen-bits of the plain names (see AttrPlan.rword). */
  readonly bits0: number;
  readonly bits1: number;
  /** Names checked by reading the event: paths into objects (`device.os.sp_name`), unnumbered ones. */
  readonly slow: readonly (readonly string[])[] | undefined;
}

interface EntityPlan {
  /** `class authentication (3002)` / `object user`, for messages. */
  readonly label: string;
  readonly attrs: Map<string, AttrPlan>;
  readonly required: readonly AttrPlan[];
  readonly recommended: readonly AttrPlan[];
  /** Required / recommended attributes outside any profile (always expected). */
  readonly baseRequired: number;
  readonly baseRecommended: number;
  readonly hasProfileRequirements: boolean;
  readonly constraints: readonly Constraint[];
  readonly deprecated: string | undefined;
  readonly open: boolean;
  /** Enum attributes with a caption sibling, for derive. */
  readonly captioned: readonly AttrPlan[];
  /** Whether any attribute holds an object (derive and trim descend only then). */
  readonly hasObjects: boolean;
  /** Some recommended attribute is past the 64 numbered ones: its warnings are not cached. */
  readonly uncached: boolean;
}

interface MissingEntry { seen0: number; seen1: number; mask: number; list: readonly Violation[] }

interface ClassPlan extends EntityPlan {
  /** The top of this class's tree of places (see Pos). */
  readonly root: Pos;
  readonly cls: ArtifactClass;
  readonly uid: number;
  readonly activity: AttrPlan;
  /**
   * type_name per activity_id (`Authentication: Logon`), built once: making the string per event
   * to fill and compare it was 3% of CloudTrail's map + derive + validate (measured).
   */
  readonly typeNames: ReadonlyMap<number | string, string>;
}

interface Compiled {
  readonly schema: OcsfSchema;
  readonly profileBits: Map<string, number>;
  readonly profileNames: readonly string[];
  readonly classes: Map<number, ClassPlan | null>;
  readonly objects: Map<string, EntityPlan | null>;
  readonly typeCache: Map<string, { kind: Kind; str: Str; regex?: RegExp; maxLen: number; lo: number; hi: number; values?: unknown[] }>;
  readonly metadataRequires: { version: boolean; product: boolean };
}

function compiled(schema: OcsfSchema): Compiled {
  let c = schema.compiled.get('validate') as Compiled | undefined;
  if (c) return c;
  const profileNames = Object.keys(schema.artifact.profiles).sort();
  if (profileNames.length > 31) throw new Error(`OCSF schema ${schema.version} has ${profileNames.length} profiles; the validator supports at most 31`);
  const profileBits = new Map<string, number>();
  profileNames.forEach((p, i) => profileBits.set(p, 1 << i));
  const md = schema.artifact.objects.metadata?.attributes;
  const metadataRequires = { version: md?.version?.requirement === 'required', product: md?.product?.requirement === 'required' };
  c = { schema, profileBits, profileNames, classes: new Map(), objects: new Map(), typeCache: new Map(), metadataRequires };
  schema.compiled.set('validate', c);
  return c;
}

function typeInfo(c: Compiled, type: string): { kind: Kind; str: Str; regex?: RegExp; maxLen: number; lo: number; hi: number; values?: unknown[] } {
  let t = c.typeCache.get(type);
  if (t) return t;
  const def = c.schema.artifact.types[type];
  if (!def) throw new Error(`OCSF schema ${c.schema.version}: type "${type}" is not defined; regenerate the artifact`);
  const base = def.base ?? type;
  const kind = base === 'string_t' ? Kind.String : base === 'integer_t' ? Kind.Integer : base === 'long_t' ? Kind.Long
    : base === 'float_t' ? Kind.Float : base === 'boolean_t' ? Kind.Boolean : Kind.Json;
  let str = Str.None;
  let regex: RegExp | undefined;
  if (kind === Kind.String) {
    if (type === 'ip_t') str = Str.Ip;
    else if (def.regex) {
      regex = new RegExp(def.regex);
      str = type === 'mac_t' ? Str.Mac : Str.RegexWarning;
    }
  }
  t = {
    kind, str, maxLen: def.max_len ?? Infinity,
    lo: def.range ? def.range[0] : kind === Kind.Integer ? INT32_MIN : -Infinity,
    hi: def.range ? def.range[1] : kind === Kind.Integer ? INT32_MAX : Infinity,
    ...(regex ? { regex } : {}),
    ...(def.values ? { values: def.values } : {}),
  };
  c.typeCache.set(type, t);
  return t;
}

function attrPlan(c: Compiled, name: string, a: ArtifactAttribute): AttrPlan {
  let kind: Kind;
  let t: ReturnType<typeof typeInfo> | undefined;
  if (a.object) {
    const o = c.schema.artifact.objects[a.object];
    kind = o && Object.keys(o.attributes).length === 0 ? Kind.OpenObject : Kind.Object;
  } else {
    t = typeInfo(c, a.type!);
    kind = t.kind;
  }
  let profileMask = 0;
  const profiles = a.profile === undefined ? [] : Array.isArray(a.profile) ? a.profile : [a.profile];
  for (const p of profiles) profileMask |= c.profileBits.get(p) ?? 0;
  const numeric = kind === Kind.Integer || kind === Kind.Long;
  let enumMap: Map<number | string, string> | undefined;
  let enumDeprecated: Map<number | string, string> | undefined;
  if (a.enum) {
    enumMap = new Map();
    for (const [k, v] of Object.entries(a.enum)) enumMap.set(numeric ? Number(k) : k, v);
    if (a.enum_deprecated) {
      enumDeprecated = new Map();
      for (const [k, v] of Object.entries(a.enum_deprecated)) enumDeprecated.set(numeric ? Number(k) : k, v);
    }
  }
  return {
    name,
    kind,
    typeName: a.object ?? a.type!,
    isTimestamp: a.type === 'timestamp_t',
    array: a.array === true,
    req: a.requirement === 'required' ? Req.Required : a.requirement === 'recommended' ? Req.Recommended : Req.Optional,
    profileMask,
    profileText: profiles.map((p) => `"${p}"`).join(' or '),
    enumMap,
    enumDeprecated,
    sibling: a.sibling,
    deprecated: a.deprecated,
    str: t?.str ?? Str.None,
    regex: t?.regex,
    maxLen: t?.maxLen ?? Infinity,
    rangeLo: t?.lo ?? -Infinity,
    rangeHi: t?.hi ?? Infinity,
    values: t?.values,
    objectName: a.object,
    obj: undefined,
    rword: 2,
    rbit: 0,
    siblingPlan: undefined,
  };
}

function entityPlan(c: Compiled, e: ArtifactClass | ArtifactObject, label: string): EntityPlan {
  const attrs = new Map<string, AttrPlan>();
  const required: AttrPlan[] = [];
  const recommended: AttrPlan[] = [];
  let baseRequired = 0;
  let baseRecommended = 0;
  let hasProfileRequirements = false;
  for (const [name, a] of Object.entries(e.attributes)) {
    const p = attrPlan(c, name, a);
    attrs.set(name, p);
    if (p.req === Req.Required) { required.push(p); if (p.profileMask === 0) baseRequired++; else hasProfileRequirements = true; }
    if (p.req === Req.Recommended) { recommended.push(p); if (p.profileMask === 0) baseRecommended++; else hasProfileRequirements = true; }
  }
  for (const p of attrs.values()) if (p.sibling !== undefined) p.siblingPlan = attrs.get(p.sibling);
  // Number the attributes a walk must remember: required, recommended, and those constraints name.
  const constrained = new Set<string>();
  for (const names of Object.values(e.constraints ?? {}) as (string[] | undefined)[]) for (const n of names ?? []) if (!n.includes('.')) constrained.add(n);
  let numbered = 0;
  for (const p of attrs.values()) {
    if ((p.req !== Req.Optional || constrained.has(p.name)) && numbered < 64) {
      p.rword = numbered >> 5;
      p.rbit = 1 << (numbered & 31);
      numbered++;
    }
  }
  const constraints: Constraint[] = [];
  for (const [kind, names] of Object.entries(e.constraints ?? {}) as [string, string[] | undefined][]) {
    if (!names) continue;
    let bits0 = 0;
    let bits1 = 0;
    const slow: string[][] = [];
    for (const n of names) {
      const p = n.includes('.') ? undefined : attrs.get(n);
      if (p !== undefined && p.rword === 0) bits0 |= p.rbit;
      else if (p !== undefined && p.rword === 1) bits1 |= p.rbit;
      else if (p !== undefined || n.includes('.')) slow.push(n.split('.'));
      // else: a name the class does not define (a schema bug the compiler reported): never present.
    }
    constraints.push({ kind: kind as Constraint['kind'], names, bits0, bits1, slow: slow.length ? slow : undefined });
  }
  const all = [...attrs.values()];
  return {
    label, attrs, required, recommended, baseRequired, baseRecommended, hasProfileRequirements, constraints,
    deprecated: e.deprecated,
    open: attrs.size === 0,
    captioned: all.filter((a) => a.enumMap !== undefined && a.sibling !== undefined),
    hasObjects: all.some((a) => a.kind === Kind.Object),
    uncached: recommended.some((a) => a.rword === 2),
  };
}

function classPlan(c: Compiled, uid: number): ClassPlan | undefined {
  let p = c.classes.get(uid);
  if (p !== undefined) return p ?? undefined;
  const cls = c.schema.class(uid);
  if (!cls) {
    c.classes.set(uid, null);
    return undefined;
  }
  const base = entityPlan(c, cls, `class ${cls.name} (${cls.uid})`);
  const activity = base.attrs.get('activity_id')!;
  const typeNames = new Map<number | string, string>();
  for (const [id, caption] of activity.enumMap ?? []) typeNames.set(id, `${cls.caption}: ${caption}`);
  p = { ...base, root: rootPos(), cls, uid: cls.uid, activity, typeNames };
  c.classes.set(uid, p);
  return p;
}

function objectPlan(c: Compiled, name: string): EntityPlan | undefined {
  let p = c.objects.get(name);
  if (p !== undefined) return p ?? undefined;
  const o = c.schema.object(name);
  if (!o) {
    c.objects.set(name, null);
    return undefined;
  }
  p = entityPlan(c, o, `object ${name}`);
  c.objects.set(name, p);
  return p;
}

function objOf(c: Compiled, a: AttrPlan): EntityPlan | undefined {
  return a.obj ?? (a.obj = objectPlan(c, a.objectName!));
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const NO_VIOLATIONS: readonly Violation[] = Object.freeze([]);

/** Mutable walk state, one per module: validate() is synchronous and not re-entrant. */
const st = {
  c: undefined as unknown as Compiled,
  out: undefined as Violation[] | undefined,
  mask: 0,
  warnRecommended: true,
  /** deriveAndValidate: fill caption siblings while walking. */
  fill: false,
  /** Where the walk is: a node of the tree of paths met so far (see Pos). */
  pos: undefined as unknown as Pos,
};

/**
 * A place in an event (`actor.user`, `resources[2]`), kept in a tree under each class so its path
 * string is built once, ever, not per event, and so per-place caches need no string lookups.
 * Array indexes past MAX_CACHED_INDEX and anything past MAX_POSITIONS get throw-away nodes, so odd
 * events cannot make the tree grow without bound.
 */
interface Pos {
  readonly path: string;
  readonly parent: Pos | undefined;
  kids: Map<AttrPlan | number, Pos> | undefined;
  missing: MissingEntry[] | undefined;
}

/** The place before the class is known (reports about the event itself or its class_uid). */
const TOP: Pos = { path: '', parent: undefined, kids: undefined, missing: undefined };
const MAX_CACHED_INDEX = 64;
const MAX_POSITIONS = 100_000;
let positions = 0;

function rootPos(): Pos {
  return { path: '', parent: undefined, kids: undefined, missing: undefined };
}

/** Descends into attribute `a` (or array element `i`) of the current place. */
function push(key: AttrPlan | number): void {
  const cur = st.pos;
  let next = cur.kids?.get(key);
  if (next === undefined) {
    next = { path: seg(cur.path, typeof key === 'number' ? key : key.name), parent: cur, kids: undefined, missing: undefined };
    if ((typeof key !== 'number' || key < MAX_CACHED_INDEX) && positions < MAX_POSITIONS) {
      (cur.kids ??= new Map()).set(key, next);
      positions++;
    }
  }
  st.pos = next;
}

function pop(): void {
  st.pos = st.pos.parent!;
}

function pathString(extra?: string | number): string {
  const p = st.pos.path;
  return extra === undefined ? p : seg(p, extra);
}

function seg(s: string, k: string | number): string {
  return typeof k === 'number' ? `${s}[${k}]` : s === '' ? k : `${s}.${k}`;
}

function report(level: 'error' | 'warning', extra: string | number | undefined, reason: string): void {
  (st.out ??= []).push({ path: pathString(extra), reason, level });
}

function reportPath(level: 'error' | 'warning', path: string, reason: string): void {
  (st.out ??= []).push({ path, reason, level });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string': return v.length > 60 ? `string ${JSON.stringify(v.slice(0, 57))}...` : `string ${JSON.stringify(v)}`;
    case 'number': return `number ${v}`;
    case 'boolean': return `boolean ${v}`;
    case 'object': return 'an object';
    default: return typeof v;
  }
}

function expected(a: AttrPlan): string {
  switch (a.kind) {
    case Kind.Object: case Kind.OpenObject: return `${/^[aeio]/.test(a.typeName) ? 'an' : 'a'} ${a.typeName} object`;
    case Kind.Integer: return a.typeName === 'integer_t' ? 'integer_t (an integer)' : `${a.typeName} (an integer${a.rangeHi !== INT32_MAX ? ` ${a.rangeLo}..${a.rangeHi}` : ''})`;
    case Kind.Long: return a.isTimestamp ? 'timestamp_t (integer milliseconds since the epoch)' : `${a.typeName} (an integer)`;
    case Kind.Float: return `${a.typeName} (a number)`;
    case Kind.Boolean: return `${a.typeName} (true or false)`;
    case Kind.String:
      return a.str === Str.Ip ? 'ip_t (an IPv4 or IPv6 address)' : a.str === Str.Mac ? 'mac_t (a MAC address such as 00:1a:2b:3c:4d:5e)' : a.typeName === 'string_t' ? 'string_t (a string)' : `${a.typeName} (a string)`;
    default: return a.typeName;
  }
}

/**
 * Validates an OCSF event against the schema. Returns every problem found; an empty result means
 * valid. The empty result is a shared frozen array, and violation objects may be shared between
 * results (they are frozen): do not modify them.
 */
export function validate(schema: OcsfSchema, event: unknown, opts?: ValidateOptions): readonly Violation[] {
  return run(schema, event, opts, false);
}

/**
 * derive() then validate(), in one walk of the event: what the normalize step needs, at about the
 * cost of validate() alone. Same results as calling the two in turn.
 */
export function deriveAndValidate(schema: OcsfSchema, event: Record<string, unknown>, opts?: ValidateOptions): readonly Violation[] {
  return run(schema, event, opts, true);
}

function run(schema: OcsfSchema, event: unknown, opts: ValidateOptions | undefined, fill: boolean): readonly Violation[] {
  const c = compiled(schema);
  st.c = c;
  st.out = undefined;
  st.fill = false;
  st.pos = TOP;
  st.warnRecommended = opts?.missingRecommended !== false;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    report('error', undefined, `an OCSF event must be a JSON object, got ${describe(event)}`);
    return finish();
  }
  const e = event as Record<string, unknown>;
  const uid = e.class_uid;
  if (uid === undefined || uid === null) {
    report('error', 'class_uid', 'required attribute is missing; without it the event cannot be checked further');
    return finish();
  }
  if (typeof uid !== 'number' || !Number.isInteger(uid)) {
    report('error', 'class_uid', `expected integer_t (an integer), got ${describe(uid)}; without it the event cannot be checked further`);
    return finish();
  }
  const plan = classPlan(c, uid);
  if (!plan) {
    report('error', 'class_uid', `no OCSF ${schema.version} class has class_uid ${uid}`);
    return finish();
  }
  if (fill) {
    deriveClassFields(plan, e);
    st.fill = true;
  }
  st.pos = plan.root;
  st.mask = profileMask(c, e, opts?.profiles);
  if (plan.deprecated) report('warning', 'class_uid', `class ${plan.cls.name} (${plan.uid}) is deprecated ${plan.deprecated}`);
  checkEntity(plan, e);
  st.fill = false;
  checkClassification(plan, e);
  checkMetadata(schema, e);
  return finish();
}

function finish(): readonly Violation[] {
  const out = st.out;
  st.out = undefined;
  return out ?? NO_VIOLATIONS;
}

function profileMask(c: Compiled, e: Record<string, unknown>, extra: string[] | undefined): number {
  let mask = 0;
  const md = e.metadata;
  if (md !== null && typeof md === 'object' && !Array.isArray(md)) {
    const list = (md as Record<string, unknown>).profiles;
    if (Array.isArray(list)) {
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        if (typeof p !== 'string') continue; // reported by the type check of metadata.profiles
        const bit = c.profileBits.get(p);
        if (bit === undefined) reportPath('error', `metadata.profiles[${i}]`, `unknown profile "${p}"; OCSF ${c.schema.version} defines ${c.profileNames.join(', ')}`);
        else mask |= bit;
      }
    }
  }
  if (extra) {
    for (const p of extra) {
      const bit = c.profileBits.get(p);
      if (bit === undefined) reportPath('error', '', `unknown profile "${p}" in the validator options; OCSF ${c.schema.version} defines ${c.profileNames.join(', ')}`);
      else mask |= bit;
    }
  }
  return mask;
}

function checkEntity(plan: EntityPlan, o: Record<string, unknown>): void {
  const c = st.c;
  const mask = st.mask;
  let reqSeen = 0;
  let recSeen = 0;
  let seen0 = 0;
  let seen1 = 0;
  for (const k in o) {
    const v = o[k];
    if (v === undefined) continue;
    const a = plan.attrs.get(k);
    if (a === undefined) {
      if (!plan.open) report('error', k, `attribute is not defined in ${plan.label}`);
      continue;
    }
    if (v === null) continue;
    if (a.profileMask !== 0 && (a.profileMask & mask) === 0) {
      report('error', k, `attribute belongs to profile ${a.profileText}, which metadata.profiles does not list`);
      if (st.fill && a.kind === Kind.Object && typeof v === 'object') deriveValue(c, a, v); // as derive() would
      continue;
    }
    if (a.req !== Req.Optional) {
      if (a.req === Req.Required) reqSeen++;
      else recSeen++;
    }
    if (a.rword === 0) seen0 |= a.rbit;
    else if (a.rword === 1) seen1 |= a.rbit;
    if (a.deprecated !== undefined) report('warning', k, `attribute is deprecated ${a.deprecated}`);
    if (a.array) {
      if (!Array.isArray(v)) {
        report('error', k, `expected an array of ${a.kind === Kind.Object || a.kind === Kind.OpenObject ? `${a.typeName} objects` : a.typeName}, got ${describe(v)}`);
        continue;
      }
      push(a);
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === null || x === undefined) { report('error', i, `array element is ${x === null ? 'null' : 'missing'}`); continue; }
        checkValue(c, a, x, i, o, v);
      }
      pop();
    } else {
      checkValue(c, a, v, k, o, undefined);
    }
  }
  // deriveAndValidate: add the captions now that the walk is over (adding keys during for-in sends
  // V8 to its slow path), and count the ones that are required or recommended.
  if (st.fill) {
    const list = plan.captioned;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (fillCaption(a, o)) {
        const s = a.siblingPlan;
        if (s === undefined) continue;
        if (s.profileMask === 0 || (s.profileMask & mask) !== 0) {
          if (s.req === Req.Required) reqSeen++;
          else if (s.req === Req.Recommended) recSeen++;
          if (s.rword === 0) seen0 |= s.rbit;
          else if (s.rword === 1) seen1 |= s.rbit;
        } else {
          // validate() after derive() would meet this caption and say so.
          report('error', s.name, `attribute belongs to profile ${s.profileText}, which metadata.profiles does not list`);
        }
      }
    }
  }
  // Requirements: count first, look for the missing ones only when the count falls short.
  let reqExpected = plan.baseRequired;
  let recExpected = plan.baseRecommended;
  if (plan.hasProfileRequirements && mask !== 0) {
    for (const a of plan.required) if (a.profileMask !== 0 && (a.profileMask & mask) !== 0) reqExpected++;
    for (const a of plan.recommended) if (a.profileMask !== 0 && (a.profileMask & mask) !== 0) recExpected++;
  }
  if (reqSeen < reqExpected) {
    for (const a of plan.required) {
      if (!wasSeen(a, seen0, seen1, o) && (a.profileMask === 0 || (a.profileMask & mask) !== 0)) {
        report('error', a.name, a.profileMask === 0 ? 'required attribute is missing' : `required attribute is missing (required by profile ${a.profileText})`);
      }
    }
  }
  if (st.warnRecommended && recSeen < recExpected) missingRecommended(plan, o, seen0, seen1);
  const cs = plan.constraints;
  for (let i = 0; i < cs.length; i++) {
    const con = cs[i]!;
    let n = bitCount(seen0 & con.bits0) + bitCount(seen1 & con.bits1);
    if (con.slow !== undefined) {
      for (const p of con.slow) {
        if (p.length === 1) { const v = o[p[0]!]; if (v !== undefined && v !== null) n++; }
        else if (present(o, p)) n++;
      }
    }
    if (con.kind === 'at_least_one' ? n === 0 : n !== 1) {
      report('error', undefined, con.kind === 'at_least_one'
        ? `at least one of ${con.names.join(', ')} is required (constraint of ${plan.label})`
        : `exactly one of ${con.names.join(', ')} is required, found ${n} (constraint of ${plan.label})`);
    }
  }
}

function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Missing recommended attributes: a realistic event misses dozens, so the warnings for one object
 * at one path are built once and reused (frozen) while the same attributes are missing there.
 */
function missingRecommended(plan: EntityPlan, o: Record<string, unknown>, seen0: number, seen1: number): void {
  const mask = st.mask;
  const out = (st.out ??= []);
  if (plan.uncached) {
    for (const a of plan.recommended) {
      if (!wasSeen(a, seen0, seen1, o) && (a.profileMask === 0 || (a.profileMask & mask) !== 0)) report('warning', a.name, 'recommended attribute is missing');
    }
    return;
  }
  const pos = st.pos;
  const prefix = pos.path;
  const entries = (pos.missing ??= []);
  let hit: MissingEntry | undefined;
  for (let i = 0; i < entries.length; i++) {
    const x = entries[i]!;
    if (x.seen0 === seen0 && x.seen1 === seen1 && x.mask === mask) { hit = x; break; }
  }
  if (hit === undefined) {
    const list: Violation[] = [];
    for (const a of plan.recommended) {
      if (!wasSeen(a, seen0, seen1, o) && (a.profileMask === 0 || (a.profileMask & mask) !== 0)) {
        list.push(Object.freeze({ path: seg(prefix, a.name), reason: 'recommended attribute is missing', level: 'warning' as const }));
      }
    }
    hit = { seen0, seen1, mask, list };
    if (entries.length >= 8) entries.shift(); // a few shapes per path are the norm; more just rotate
    entries.push(hit);
  }
  const list = hit.list;
  for (let i = 0; i < list.length; i++) out.push(list[i]!);
}

function wasSeen(a: AttrPlan, seen0: number, seen1: number, o: Record<string, unknown>): boolean {
  if (a.rword === 0) return (seen0 & a.rbit) !== 0;
  if (a.rword === 1) return (seen1 & a.rbit) !== 0;
  const v = o[a.name];
  return v !== undefined && v !== null && (a.profileMask === 0 || (a.profileMask & st.mask) !== 0);
}

/** Sets the caption sibling of enum attribute `a` when it is absent; true when it did. */
function fillCaption(a: AttrPlan, o: Record<string, unknown>): boolean {
  const v = o[a.name];
  if (v === undefined || v === null) return false;
  const sib = a.sibling!;
  const cur = o[sib];
  if (cur !== undefined && cur !== null) return false;
  const em = a.enumMap!;
  if (a.array) {
    if (!Array.isArray(v) || v.length === 0) return false;
    const caps: string[] = [];
    for (const x of v) {
      const cap = em.get(x as number | string);
      if (cap === undefined) return false;
      caps.push(cap);
    }
    o[sib] = caps;
    return true;
  }
  const cap = em.get(v as number | string);
  if (cap === undefined) return false;
  o[sib] = cap;
  return true;
}

function present(o: Record<string, unknown>, path: readonly string[]): boolean {
  let v: unknown = o;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    v = (v as Record<string, unknown>)[k];
  }
  return v !== undefined && v !== null;
}

/**
 * One value (or array element) of attribute `a`. `at` is the key or index to report at; `owner`
 * is the object holding the attribute (for its caption sibling), `arr` the array when an element.
 */
function checkValue(c: Compiled, a: AttrPlan, v: unknown, at: string | number, owner: Record<string, unknown>, arr: unknown[] | undefined): void {
  switch (a.kind) {
    case Kind.String: {
      if (typeof v !== 'string') { report('error', at, `expected ${expected(a)}, got ${describe(v)}`); return; }
      if (v.length > a.maxLen) { report('error', at, `${a.typeName} is at most ${a.maxLen} characters, got ${v.length}`); return; }
      if (a.str !== Str.None) {
        if (a.str === Str.Ip) {
          if (isIP(v) === 0) report('error', at, `expected ${expected(a)}, got ${describe(v)}`);
        } else if (!a.regex!.test(v)) {
          if (a.str === Str.Mac) report('error', at, `expected ${expected(a)}, got ${describe(v)}`);
          else report('warning', at, `${describe(v)} does not match the ${a.typeName} format /${a.regex!.source}/`);
        }
      }
      break;
    }
    case Kind.Integer:
    case Kind.Long: {
      if (typeof v !== 'number' || !Number.isInteger(v)) { report('error', at, `expected ${expected(a)}, got ${describe(v)}`); return; }
      if (v < a.rangeLo || v > a.rangeHi) {
        report('error', at, a.kind === Kind.Integer && a.rangeHi === INT32_MAX ? `integer_t is a 32-bit integer, got ${v}; use a long_t attribute for larger values` : `${a.typeName} must be ${a.rangeLo}..${a.rangeHi}, got ${v}`);
        return;
      }
      if (a.isTimestamp && v > 0 && v < LIKELY_SECONDS) report('warning', at, `timestamp ${v} is before 1973 as milliseconds; OCSF timestamps are milliseconds since the epoch (seconds multiplied by 1000?)`);
      break;
    }
    case Kind.Float:
      if (typeof v !== 'number' || !Number.isFinite(v)) { report('error', at, `expected ${expected(a)}, got ${describe(v)}`); return; }
      break;
    case Kind.Boolean:
      if (typeof v !== 'boolean') { report('error', at, `expected ${expected(a)}, got ${describe(v)}`); return; }
      return;
    case Kind.Json:
      return;
    case Kind.Object:
    case Kind.OpenObject: {
      if (typeof v !== 'object' || Array.isArray(v)) { report('error', at, `expected ${expected(a)}, got ${describe(v)}`); return; }
      if (a.kind === Kind.OpenObject) return;
      const plan = objOf(c, a);
      if (!plan) return;
      push(arr === undefined ? a : (at as number));
      if (plan.deprecated) report('warning', undefined, `object ${a.objectName} is deprecated ${plan.deprecated}`);
      checkEntity(plan, v as Record<string, unknown>);
      pop();
      return;
    }
  }
  if (a.values !== undefined && !a.values.includes(v)) report('error', at, `${describe(v)} is not one of the values ${a.typeName} allows (${a.values.map((x) => JSON.stringify(x)).join(', ')})`);
  const em = a.enumMap;
  if (em === undefined) return;
  const caption = em.get(v as number | string);
  if (caption === undefined) {
    report('error', at, unknownEnum(a, v));
    return;
  }
  if (a.enumDeprecated !== undefined) {
    const d = a.enumDeprecated.get(v as number | string);
    if (d !== undefined) report('warning', at, `${a.name} ${String(v)} (${caption}) is deprecated ${d}`);
  }
  const sib = a.sibling;
  if (sib === undefined || v === 99) return;
  let s = owner[sib];
  if (arr !== undefined) {
    if (!Array.isArray(s)) return; // a scalar where an array belongs is reported by the sibling's own type check
    s = s[at as number];
  }
  if (s !== undefined && s !== null && s !== caption) {
    const reason = `${JSON.stringify(s)} does not match ${a.name}${arr !== undefined ? `[${at}]` : ''} ${String(v)} (${JSON.stringify(caption)}); the caption must match its id unless the id is 99 (Other)`;
    if (arr === undefined) report('error', sib, reason);
    else {
      // Elements are checked from the array's place; the sibling array is beside it.
      reportPath('error', seg(seg(st.pos.parent!.path, sib), at), reason);
    }
  }
}

function unknownEnum(a: AttrPlan, v: unknown): string {
  const keys = [...a.enumMap!.keys()];
  const list = keys.length <= 20 ? keys.map((k) => `${String(k)} ${a.enumMap!.get(k)}`).join(', ') : `${keys.slice(0, 20).join(', ')}, ...`;
  return `${describe(v)} is not a defined ${a.name} value (defined: ${list})`;
}

/** category_uid, class_name, type_uid, type_name: derived fields must agree with class_uid and activity_id. */
function checkClassification(plan: ClassPlan, e: Record<string, unknown>): void {
  const cls = plan.cls;
  const cat = e.category_uid;
  // category_uid and class_name are checked as enums with one value; their messages are made
  // more useful here, so the generic ones are replaced.
  if (typeof cat === 'number' && Number.isInteger(cat) && cat !== cls.category_uid) {
    replaceAt('category_uid', `category_uid is ${cat}, but class ${cls.name} (${cls.uid}) is in category ${cls.category_uid} (${cls.category_name})`);
  }
  const act = e.activity_id;
  const tuid = e.type_uid;
  if (typeof act === 'number' && Number.isInteger(act) && typeof tuid === 'number' && Number.isInteger(tuid)) {
    const want = cls.uid * 100 + act;
    if (tuid !== want) report('error', 'type_uid', `type_uid is ${tuid}, expected ${want} (class_uid ${cls.uid} * 100 + activity_id ${act})`);
  }
  const tname = e.type_name;
  if (typeof act === 'number' && tname !== undefined && tname !== null) {
    const want = plan.typeNames.get(act);
    if (want !== undefined) {
      if (tname !== want) report('error', 'type_name', `${JSON.stringify(tname)} does not match class_uid ${cls.uid} and activity_id ${act}; expected ${JSON.stringify(want)}`);
    }
  }
}

/** Replaces the generic violation at a top-level path with a clearer reason (only on a violation). */
function replaceAt(path: string, reason: string): void {
  const out = st.out;
  if (out) {
    for (const v of out) {
      if (v.path === path && v.level === 'error') { v.reason = reason; return; }
    }
  }
  (st.out ??= []).push({ path, reason, level: 'error' });
}

function checkMetadata(schema: OcsfSchema, e: Record<string, unknown>): void {
  const md = e.metadata;
  if (md === null || typeof md !== 'object' || Array.isArray(md)) return; // missing / wrong type already reported
  const m = md as Record<string, unknown>;
  const version = m.version;
  if (typeof version === 'string' && version !== schema.version) {
    report('error', 'metadata.version', `is ${JSON.stringify(version)}, but the event is checked against OCSF ${schema.version}; set metadata.version to "${schema.version}"`);
  }
  // Both are required by the 1.8.0 metadata object already; kept explicit so a schema that relaxes
  // them still gets events that say what produced them and in which OCSF version.
  const req = st.c.metadataRequires;
  if (!req.version && (version === undefined || version === null)) report('error', 'metadata.version', 'required attribute is missing');
  if (!req.product && (m.product === undefined || m.product === null)) report('error', 'metadata.product', 'required attribute is missing');
}

// ---------------------------------------------------------------------------------------------
// derive
// ---------------------------------------------------------------------------------------------

/**
 * Fills, in place, what OCSF derives from ids: category_uid, category_name, class_name, type_uid,
 * type_name, and the caption sibling of every enum id present in the event and its objects
 * (activity_name, severity, status, auth_protocol, `type` from `type_id`...). Values already present
 * are left alone (the validator reports disagreements); unknown ids get no caption.
 */
export function derive(schema: OcsfSchema, event: Record<string, unknown>): void {
  const c = compiled(schema);
  const uid = event.class_uid;
  if (typeof uid !== 'number') return;
  const plan = classPlan(c, uid);
  if (!plan) return;
  deriveClassFields(plan, event);
  deriveEntity(c, plan, event);
}

/** derive() inside the value of object attribute `a` (an object or an array of them). */
function deriveValue(c: Compiled, a: AttrPlan, v: object): void {
  const p = objOf(c, a);
  if (!p) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object' && !Array.isArray(x)) deriveEntity(c, p, x as Record<string, unknown>);
    }
  } else {
    deriveEntity(c, p, v as Record<string, unknown>);
  }
}

/** category_uid, category_name, class_name, type_uid, type_name (the rest comes from the enums). */
function deriveClassFields(plan: ClassPlan, event: Record<string, unknown>): void {
  const cls = plan.cls;
  if (event.category_uid === undefined || event.category_uid === null) event.category_uid = cls.category_uid;
  if ((event.category_name === undefined || event.category_name === null) && event.category_uid === cls.category_uid) event.category_name = cls.category_name;
  if (event.class_name === undefined || event.class_name === null) event.class_name = cls.caption;
  const act = event.activity_id;
  if (typeof act === 'number' && Number.isInteger(act)) {
    if (event.type_uid === undefined || event.type_uid === null) event.type_uid = cls.uid * 100 + act;
    if (event.type_name === undefined || event.type_name === null) {
      const tn = plan.typeNames.get(act);
      if (tn !== undefined) event.type_name = tn;
    }
  }
}

function deriveEntity(c: Compiled, plan: EntityPlan, o: Record<string, unknown>): void {
  // Objects first, walking the keys the event has; nothing is added to `o` during this walk (adding
  // keys while for-in runs sends V8 to its slow path for the rest of the loop).
  if (plan.hasObjects) {
    for (const k in o) {
      const v = o[k];
      if (v === null || typeof v !== 'object') continue;
      const a = plan.attrs.get(k);
      if (a !== undefined && a.kind === Kind.Object) deriveValue(c, a, v);
    }
  }
  // Then the captions, from the (short) list of enum attributes that have a caption sibling.
  const list = plan.captioned;
  for (let i = 0; i < list.length; i++) fillCaption(list[i]!, o);
}

// ---------------------------------------------------------------------------------------------
// trim
// ---------------------------------------------------------------------------------------------

/**
 * Removes, in place, attributes that are empty (null, '', [], {} — after trimming what is inside)
 * and not required: with keep 'recommended' only empty optional attributes go, with keep 'required'
 * empty recommended ones too. Required attributes stay even when empty (the validator reports
 * them); attributes the class does not define are left for the validator; the contents of
 * `unmapped` and other free-form attributes are not touched.
 */
export function trim(schema: OcsfSchema, event: Record<string, unknown>, keep: 'required' | 'recommended'): void {
  const c = compiled(schema);
  const uid = event.class_uid;
  if (typeof uid !== 'number') return;
  const plan = classPlan(c, uid);
  if (!plan) return;
  trimEntity(c, plan, event, keep === 'required' ? Req.Required : Req.Recommended);
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    for (const _ in v as object) return false;
    return true;
  }
  return false;
}

function trimEntity(c: Compiled, plan: EntityPlan, o: Record<string, unknown>, keepFrom: Req): void {
  for (const k of Object.keys(o)) {
    const a = plan.attrs.get(k);
    if (a === undefined) continue;
    let v = o[k];
    if (a.kind === Kind.Object && v !== null && typeof v === 'object') {
      const p = objOf(c, a);
      if (p) {
        if (Array.isArray(v)) {
          for (const x of v) if (x !== null && typeof x === 'object' && !Array.isArray(x)) trimEntity(c, p, x as Record<string, unknown>, keepFrom);
          // Elements left empty carry nothing; a required attribute keeps its (then empty) array.
          v = v.filter((x) => !isEmpty(x));
          if ((v as unknown[]).length !== (o[k] as unknown[]).length) o[k] = v;
        } else {
          trimEntity(c, p, v as Record<string, unknown>, keepFrom);
        }
      }
    }
    if (a.req < keepFrom && isEmpty(o[k])) delete o[k];
  }
}

// ---------------------------------------------------------------------------------------------
// Enum helpers
// ---------------------------------------------------------------------------------------------

function enumAttr(schema: OcsfSchema, owner: number | string, attribute: string): AttrPlan | undefined {
  const c = compiled(schema);
  const plan = typeof owner === 'number' ? classPlan(c, owner) : objectPlan(c, owner) ?? (schema.class(owner) ? classPlan(c, schema.class(owner)!.uid) : undefined);
  return plan?.attrs.get(attribute);
}

/**
 * The caption of an enum id: `enumName(schema, 3002, 'activity_id', 1)` -> "Logon",
 * `enumName(schema, 'user', 'type_id', 2)` -> "Admin". A number names a class (class_uid), a
 * string an object (or a class by name). Undefined when the attribute or the id is not defined.
 */
export function enumName(schema: OcsfSchema, owner: number | string, attribute: string, id: number | string): string | undefined {
  return enumAttr(schema, owner, attribute)?.enumMap?.get(id);
}

/** The id of an enum caption (exact, as OCSF captions are): `enumId(schema, 3002, 'activity_id', 'Logon')` -> 1. */
export function enumId(schema: OcsfSchema, owner: number | string, attribute: string, caption: string): number | string | undefined {
  const em = enumAttr(schema, owner, attribute)?.enumMap;
  if (!em) return undefined;
  for (const [k, v] of em) if (v === caption) return k;
  return undefined;
}
