/**
 * The OCSF schema Sluice ships, as one compiled JSON artifact (`schema/ocsf/ocsf-<version>.json`,
 * produced by `tools/ocsf/compile.ts` from the OCSF schema source). Everything the OCSF server
 * resolves at start-up (inheritance, includes, profiles, extensions, dictionary types) is already
 * resolved in the file, so loading it is one JSON.parse; see docs/decisions/0016.
 *
 * This module only reads and indexes the artifact. Validation, `derive` and `trim` live in
 * validate.ts and compile what they need from it once per class or object.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// The artifact format (format 1). tools/ocsf/compile.ts writes it; keep both sides in step.
// ---------------------------------------------------------------------------------------------

/** An attribute of a class or object, fully resolved (dictionary + inheritance + overrides). */
export interface ArtifactAttribute {
  /** Dictionary type (`string_t`, `ip_t`, `timestamp_t`...). Absent when the attribute holds an object. */
  type?: string;
  /** Object name (`user`, `network_endpoint`, `win/reg_key`) when the attribute holds an object. */
  object?: string;
  /** Absent means optional. */
  requirement?: 'required' | 'recommended';
  /** The value is an array of `type` / `object`. */
  array?: true;
  /** Enum values: id (as a string) -> caption. */
  enum?: Record<string, string>;
  /** Enum values that are deprecated: id -> "since X: message". */
  enum_deprecated?: Record<string, string>;
  /** The attribute that holds this enum's caption (`activity_id` -> `activity_name`). */
  sibling?: string;
  /**
   * The profile that adds this attribute: it is allowed only when the event lists the profile. A
   * list when several profiles add it (two extensions' profiles both add process.egid); any one of
   * them allows it.
   */
  profile?: string | string[];
  /** Deprecation note ("since 1.6.0: Use programmatic_credentials instead."). */
  deprecated?: string;
}

export interface ArtifactConstraints {
  at_least_one?: string[];
  just_one?: string[];
}

export interface ArtifactClass {
  uid: number;
  name: string;
  caption: string;
  /** Category key (`iam`, or `ext/name` for an extension's own category; `other` for base_event). */
  category: string;
  category_uid: number;
  category_name: string;
  extends?: string;
  /** The extension that defines the class (`win`). */
  extension?: string;
  profiles?: string[];
  constraints?: ArtifactConstraints;
  deprecated?: string;
  attributes: Record<string, ArtifactAttribute>;
}

export interface ArtifactObject {
  name: string;
  caption: string;
  extends?: string;
  extension?: string;
  profiles?: string[];
  constraints?: ArtifactConstraints;
  deprecated?: string;
  attributes: Record<string, ArtifactAttribute>;
}

export interface ArtifactType {
  caption: string;
  /** The primitive type underneath (`string_t` for `ip_t`); absent for the primitives themselves. */
  base?: string;
  regex?: string;
  max_len?: number;
  range?: [number, number];
  values?: unknown[];
}

export interface Artifact {
  format: 1;
  /** The OCSF schema version (`1.8.0`). */
  version: string;
  extensions: Record<string, { uid: number; caption: string; version?: string }>;
  types: Record<string, ArtifactType>;
  categories: Record<string, { uid: number; caption: string; extension?: string }>;
  profiles: Record<string, { caption: string; attributes: string[]; extension?: string }>;
  /** Attribute captions, by attribute name (extension attributes as `ext/name`). */
  dictionary: Record<string, string>;
  /** Classes keyed by class_uid (as a string). */
  classes: Record<string, ArtifactClass>;
  /** Objects keyed by name. */
  objects: Record<string, ArtifactObject>;
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** The OCSF version of the schema Sluice ships (see OCSF_VERSION in map-kit.ts). */
export const DEFAULT_OCSF_VERSION = '1.8.0';

/** A loaded schema: the artifact plus indexes. Create with loadSchema() or fromArtifact(). */
export class OcsfSchema {
  readonly version: string;
  readonly artifact: Artifact;
  private readonly byUid = new Map<number, ArtifactClass>();
  private readonly byName = new Map<string, ArtifactClass>();
  private readonly objectsByName = new Map<string, ArtifactObject>();
  /** Per-schema caches owned by validate.ts (compiled validators); kept here so they die with the schema. */
  readonly compiled = new Map<string, unknown>();

  constructor(artifact: Artifact) {
    if (!artifact || typeof artifact !== 'object' || artifact.format !== 1 || typeof artifact.version !== 'string' || !artifact.classes || !artifact.objects) {
      throw new Error('OCSF schema artifact is not in the expected format (format 1); regenerate it with `npm run ocsf:compile`');
    }
    this.version = artifact.version;
    this.artifact = artifact;
    for (const c of Object.values(artifact.classes)) {
      this.byUid.set(c.uid, c);
      this.byName.set(c.name, c);
      if (c.extension) this.byName.set(`${c.extension}/${c.name}`, c);
    }
    for (const [name, o] of Object.entries(artifact.objects)) this.objectsByName.set(name, o);
  }

  /** A class by class_uid (3002) or name (`authentication`, `win/registry_key_activity`). */
  class(uidOrName: number | string): ArtifactClass | undefined {
    return typeof uidOrName === 'number' ? this.byUid.get(uidOrName) : this.byName.get(uidOrName);
  }

  /** All classes, in class_uid order. */
  classes(): ArtifactClass[] {
    return [...this.byUid.values()].sort((a, b) => a.uid - b.uid);
  }

  /** An object by name (`user`, `network_endpoint`). */
  object(name: string): ArtifactObject | undefined {
    return this.objectsByName.get(name);
  }

  /** All object names, sorted. */
  objectNames(): string[] {
    return [...this.objectsByName.keys()].sort();
  }

  /** A dictionary type (`ip_t`). */
  type(name: string): ArtifactType | undefined {
    return this.artifact.types[name];
  }

  /** The attribute of a class (by uid or name) or of an object (by name: pass `{ object: 'user' }`). */
  attribute(owner: number | string | { object: string }, attribute: string): ArtifactAttribute | undefined {
    const o = typeof owner === 'object' ? this.object(owner.object) : this.class(owner);
    return o?.attributes[attribute];
  }

  /** Caption of an enum value (`enumCaption(3002, 'activity_id', 1)` -> "Logon"). */
  enumCaption(owner: number | string | { object: string }, attribute: string, id: number | string): string | undefined {
    const e = this.attribute(owner, attribute)?.enum;
    return e ? e[String(id)] : undefined;
  }

  /** Id of an enum caption (`enumValue(3002, 'activity_id', 'Logon')` -> 1); case-sensitive, as OCSF captions are. */
  enumValue(owner: number | string | { object: string }, attribute: string, caption: string): number | string | undefined {
    const e = this.attribute(owner, attribute)?.enum;
    if (!e) return undefined;
    for (const [k, v] of Object.entries(e)) if (v === caption) return /^-?\d+$/.test(k) ? Number(k) : k;
    return undefined;
  }
}

const cache = new Map<string, OcsfSchema>();

/** The artifact file for a version, relative to the package (dist/src/ocsf/ -> schema/ocsf/). */
export function artifactPath(version: string = DEFAULT_OCSF_VERSION): string {
  const file = `ocsf-${version}.json`;
  const direct = fileURLToPath(new URL(`../../../schema/ocsf/${file}`, import.meta.url));
  if (existsSync(direct)) return direct;
  // Compiled elsewhere than dist/ (a scratch outDir): look up the tree for the package's schema/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, 'schema', 'ocsf', file);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return direct;
}

/**
 * The shipped OCSF schema for a version, read once and cached (synchronous: it is needed while a
 * pipeline is being built). Throws when that version is not shipped.
 */
export function loadSchema(version: string = DEFAULT_OCSF_VERSION): OcsfSchema {
  const hit = cache.get(version);
  if (hit) return hit;
  const path = artifactPath(version);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`OCSF schema ${version} is not shipped with Sluice (no ${path}); the shipped version is ${DEFAULT_OCSF_VERSION}. ` +
      'To add another, compile its OCSF schema source with `npm run ocsf:compile -- <source-dir>` (see schema/ocsf/README.md)');
  }
  let artifact: Artifact;
  try {
    artifact = JSON.parse(text) as Artifact;
  } catch (e) {
    throw new Error(`OCSF schema artifact ${path} is not valid JSON (${(e as Error).message}); regenerate it with \`npm run ocsf:compile\``);
  }
  if (artifact.version !== version) {
    throw new Error(`OCSF schema artifact ${path} holds version ${String(artifact.version)}, not ${version}; regenerate it with \`npm run ocsf:compile\``);
  }
  const schema = new OcsfSchema(artifact);
  cache.set(version, schema);
  return schema;
}

/** A schema from an artifact already in memory (tests, or a schema compiled on the fly). */
export function fromArtifact(artifact: Artifact): OcsfSchema {
  return new OcsfSchema(artifact);
}
