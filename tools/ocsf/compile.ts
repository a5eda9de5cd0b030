/**
 * Compiles an OCSF schema source tree (the ocsf-schema repository layout: version.json,
 * dictionary.json, categories.json, objects/, events/, profiles/, extensions/) into the one JSON
 * artifact Sluice ships and validates against (format: src/ocsf/schema.ts, why: decision 0016).
 *
 *   node dist/tools/ocsf/compile.js <source-dir> [--out schema/ocsf] [--no-extensions]
 *
 * It resolves what the OCSF server resolves when it starts, following the same rules so the result
 * matches what schema.ocsf.io shows and exports:
 *  - `$include` of profiles and other files (the including item's own attributes win; a profile's
 *    attributes are tagged with the profile and its `annotations`), and `$include` inside one attribute;
 *  - extensions: their dictionary attributes and categories are scoped `ext/name` (unless
 *    `overwrite`), their classes and objects too, and an extension item whose name is its `extends`
 *    (or that has no name) patches the core item instead of defining a new one;
 *  - `extends` inheritance (attributes deep-merged, an attribute set to null removed, profiles
 *    accumulated, other keys taken from the child when it has them), then hidden items dropped
 *    (classes without a uid, objects whose name starts with `_`);
 *  - class_uid = category_uid * 1000 + uid, with an extension's categories at ext_uid * 100 + uid and
 *    its classes in core categories at (ext_uid * 100 + category_uid) * 1000 + uid;
 *  - every attribute merged onto its dictionary entry (type, enum, sibling, is_array, deprecation),
 *    types resolved to their primitive with their constraints, requirement defaulting to optional;
 *  - the synthetic `<name>_dt` attributes (datetime profile) for every timestamp attribute;
 *  - the observable type_id enum, gathered from types, dictionary attributes, objects and classes.
 * Malformed input stops the compiler with the file and what is wrong; nothing is guessed.
 */
import { existsSync, rmSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Artifact, ArtifactAttribute, ArtifactClass, ArtifactConstraints, ArtifactObject, ArtifactType } from '../../src/ocsf/schema.js';

/** A problem in the schema source; the message names the file and the fix. */
export class OcsfSourceError extends Error {
  override name = 'OcsfSourceError';
}

type Obj = Record<string, any>;

const PRIMITIVES = new Set(['boolean_t', 'float_t', 'integer_t', 'long_t', 'string_t', 'json_t']);
const REQUIREMENTS = new Set(['required', 'recommended', 'optional']);
const CONSTRAINT_KINDS = new Set(['at_least_one', 'just_one']);

interface Extension { name: string; uid: number; caption: string; version?: string; path: string }

interface Item {
  /** `authentication`, or `win/registry_key_activity` for an extension's item. */
  key: string;
  data: Obj;
  file: string;
}

export interface CompileOptions {
  /** Include the extensions found under `<source>/extensions` (default true, as the OCSF server does). */
  extensions?: boolean;
}

export interface CompileResult {
  artifact: Artifact;
  /** Things worth a look that did not stop the compile. */
  warnings: string[];
}

function fail(msg: string): never {
  throw new OcsfSourceError(msg);
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The OCSF server's deep merge: maps merge key by key (the right side wins, an empty map on either
 * side yields the other), anything else is replaced by the right side, including an explicit null.
 */
export function deepMerge(left: unknown, right: unknown): unknown {
  if (!isObj(left)) return right === undefined ? left : right;
  if (!isObj(right)) return left;
  const out: Obj = { ...left };
  for (const [k, rv] of Object.entries(right)) {
    const lv = out[k];
    if (isObj(lv) && isObj(rv)) {
      out[k] = Object.keys(lv).length === 0 ? rv : Object.keys(rv).length === 0 ? lv : deepMerge(lv, rv);
    } else {
      out[k] = rv;
    }
  }
  return out;
}

function stripHtml(s: string): string {
  return s.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

function deprecation(d: unknown, where: string): string | undefined {
  if (d === undefined || d === null) return undefined;
  if (!isObj(d)) fail(`${where}: "@deprecated" must be an object with "since" and "message"`);
  const since = typeof d.since === 'string' ? d.since : '?';
  const message = typeof d.message === 'string' ? stripHtml(d.message) : '';
  return `since ${since}${message ? `: ${message}` : ''}`;
}

class Compiler {
  readonly warnings: string[] = [];
  private readonly includeCache = new Map<string, Obj>();
  /** Profiles by name (`cloud`, `linux/linux_users`): caption and attribute names. */
  readonly profiles = new Map<string, { caption: string; attributes: string[]; extension?: string }>();
  private readonly rel: (p: string) => string;

  constructor(readonly home: string) {
    this.rel = (p) => relative(home, p) || p;
  }

  json(path: string): Obj {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      fail(code === 'ENOENT' ? `${this.rel(path)} does not exist (is ${this.home} an OCSF schema source tree?)` : `cannot read ${this.rel(path)}: ${(e as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      fail(`${this.rel(path)} is not valid JSON: ${(e as Error).message}`);
    }
    if (!isObj(data)) fail(`${this.rel(path)} must hold a JSON object`);
    return data;
  }

  /** Every .json file under a directory, sorted so the output never depends on directory order. */
  jsonFiles(dir: string): string[] {
    if (!existsSync(dir)) return [];
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const f of readdirSync(d).sort()) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (f.endsWith('.json')) out.push(p);
      }
    };
    walk(dir);
    return out;
  }

  // ---- includes ------------------------------------------------------------------------------

  private includedFile(file: string, ext: Extension | undefined, where: string): Obj {
    if (typeof file !== 'string' || file === '') fail(`${where}: "$include" must name a file (or a list of files)`);
    let path: string | undefined;
    let scope: string | undefined;
    if (ext && existsSync(join(ext.path, file))) {
      path = join(ext.path, file);
      scope = ext.name;
    } else if (existsSync(join(this.home, file))) {
      path = join(this.home, file);
    } else {
      fail(`${where}: "$include": ${file} not found in ${ext ? `${this.rel(ext.path)} or ` : ''}the schema directory`);
    }
    const hit = this.includeCache.get(path);
    if (hit) return hit;
    const data = this.json(path);
    if (data.meta === 'profile') this.registerProfile(data, scope, path);
    const name = data.meta === 'profile' ? (scope ? `${scope}/${data.name}` : String(data.name)) : undefined;
    if (data.attributes !== undefined && !isObj(data.attributes)) fail(`${this.rel(path)}: "attributes" must be an object`);
    if (name !== undefined || data.annotations !== undefined) {
      const annotations = data.annotations ?? {};
      if (!isObj(annotations)) fail(`${this.rel(path)}: "annotations" must be an object`);
      const attrs: Obj = {};
      for (const [k, a] of Object.entries((data.attributes ?? {}) as Obj)) {
        if (!isObj(a)) fail(`${this.rel(path)}: attribute "${k}" must be an object`);
        attrs[k] = deepMerge(annotations, name !== undefined ? { ...a, profile: name } : a);
      }
      data.attributes = attrs;
    }
    this.includeCache.set(path, data);
    return data;
  }

  registerProfile(data: Obj, scope: string | undefined, path: string): void {
    if (typeof data.name !== 'string' || data.name === '') fail(`${this.rel(path)}: a profile needs a "name"`);
    if (data.attributes !== undefined && !isObj(data.attributes)) fail(`${this.rel(path)}: "attributes" must be an object`);
    const name = scope ? `${scope}/${data.name}` : data.name;
    if (!this.profiles.has(name)) {
      this.profiles.set(name, {
        caption: typeof data.caption === 'string' ? data.caption : name,
        attributes: Object.keys(data.attributes ?? {}).filter((k) => k !== '$include').sort(),
        ...(scope ? { extension: scope } : {}),
      });
    }
  }

  /** Resolves `$include` at the item level (profiles, shared attribute sets) and inside attributes. */
  resolveIncludes(data: Obj, ext: Extension | undefined, path: string): Obj {
    const where = this.rel(path);
    if (data.attributes === undefined || data.attributes === null) return data;
    if (!isObj(data.attributes)) fail(`${where}: "attributes" must be an object`);
    const inc = data.attributes.$include;
    if (inc !== undefined) {
      const files = typeof inc === 'string' ? [inc] : Array.isArray(inc) ? inc : fail(`${where}: "$include" must be a file name or a list of them`);
      for (const f of files) {
        const included = this.includedFile(f as string, ext, where);
        const own = { ...data.attributes };
        delete own.$include;
        data.attributes = deepMerge(included.attributes ?? {}, own) as Obj;
      }
    }
    const attrs: Obj = {};
    for (const [k, a] of Object.entries(data.attributes as Obj)) {
      if (a === null) { attrs[k] = null; continue; }
      if (!isObj(a)) fail(`${where}: attribute "${k}" must be an object (or null to remove an inherited one)`);
      if (a.$include !== undefined) {
        const included = this.includedFile(a.$include as string, ext, `${where}: attribute "${k}"`);
        const own = { ...a };
        delete own.$include;
        attrs[k] = deepMerge(included, own);
      } else {
        attrs[k] = a;
      }
    }
    data.attributes = attrs;
    return data;
  }

  // ---- reading items -----------------------------------------------------------------------

  readItems(dir: string, ext: Extension | undefined, into: Map<string, Item>, kind: 'class' | 'object'): void {
    for (const file of this.jsonFiles(dir)) {
      const data = this.resolveIncludes(this.json(file), ext, file);
      const where = this.rel(file);
      if (data.name !== undefined && (typeof data.name !== 'string' || data.name === '')) fail(`${where}: "name" must be a non-empty string`);
      if (data.extends !== undefined && typeof data.extends !== 'string') fail(`${where}: "extends" must be a string`);
      if (!ext && !data.name) fail(`${where}: the ${kind} has no "name"`);
      if (ext && !data.name && !data.extends) fail(`${where}: an extension ${kind} needs a "name" or an "extends"`);
      if (data.attributes === undefined) data.attributes = {};
      if (kind === 'class' && data.uid !== undefined && !Number.isInteger(data.uid)) fail(`${where}: "uid" must be an integer`);
      const key = ext ? `${ext.name}/${(data.name ?? data.extends) as string}` : (data.name as string);
      if (into.has(key)) fail(`${where}: ${kind} "${key}" is already defined by ${this.rel(into.get(key)!.file)}`);
      if (ext) { data.extension = ext.name; data.extension_id = ext.uid; }
      // Remember where each attribute was defined: an extension's attributes resolve against the
      // extension's dictionary first (`win/reg_key`), then the core one.
      for (const a of Object.values(data.attributes as Obj)) if (isObj(a) && ext) a._ext = ext.name;
      into.set(key, { key, data, file });
    }
  }

  findExtensions(): Extension[] {
    const root = join(this.home, 'extensions');
    if (!existsSync(root)) return [];
    const found: Extension[] = [];
    const walk = (d: string): void => {
      const f = join(d, 'extension.json');
      if (existsSync(f)) {
        const e = this.json(f);
        if (typeof e.name !== 'string' || !/^[a-z0-9_]+$/.test(e.name)) fail(`${this.rel(f)}: "name" must be a lowercase identifier`);
        if (!Number.isInteger(e.uid) || e.uid < 0) fail(`${this.rel(f)}: "uid" must be a non-negative integer`);
        if (found.some((x) => x.name === e.name)) fail(`${this.rel(f)}: extension name "${e.name}" is used twice`);
        if (found.some((x) => x.uid === e.uid)) fail(`${this.rel(f)}: extension uid ${e.uid} is used twice`);
        found.push({ name: e.name, uid: e.uid, caption: typeof e.caption === 'string' ? e.caption : e.name, ...(typeof e.version === 'string' ? { version: e.version } : {}), path: d });
        return;
      }
      for (const x of readdirSync(d).sort()) {
        const p = join(d, x);
        if (statSync(p).isDirectory()) walk(p);
      }
    };
    walk(root);
    return found;
  }

  // ---- the whole compile -------------------------------------------------------------------

  run(opts: CompileOptions): Artifact {
    const home = this.home;
    if (!existsSync(home) || !statSync(home).isDirectory()) fail(`${home} is not a directory; pass the root of an OCSF schema source tree (the folder holding dictionary.json)`);
    const versionFile = this.json(join(home, 'version.json'));
    const version = versionFile.version;
    if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) fail(`version.json: "version" must be a semantic version such as 1.8.0`);

    const extensions = opts.extensions === false ? [] : this.findExtensions();

    // Categories and dictionary, with the extensions' merged in.
    const categoriesFile = this.json(join(home, 'categories.json'));
    if (!isObj(categoriesFile.attributes)) fail('categories.json: "attributes" must be an object of categories');
    const categories = new Map<string, { uid: number; caption: string; extension?: string }>();
    for (const [k, c] of Object.entries(categoriesFile.attributes as Obj)) {
      if (!isObj(c) || !Number.isInteger(c.uid)) fail(`categories.json: category "${k}" needs an integer "uid"`);
      categories.set(k, { uid: c.uid, caption: typeof c.caption === 'string' ? c.caption : k });
    }
    const dictFile = this.json(join(home, 'dictionary.json'));
    if (!isObj(dictFile.attributes)) fail('dictionary.json: "attributes" must be an object');
    if (!isObj(dictFile.types) || !isObj(dictFile.types.attributes)) fail('dictionary.json: "types.attributes" must be an object of data types');
    const dict: Obj = { ...dictFile.attributes };
    let typesSrc: Obj = dictFile.types.attributes;
    for (const ext of extensions) {
      const cf = join(ext.path, 'categories.json');
      if (existsSync(cf)) {
        const c = this.json(cf);
        for (const [k, v] of Object.entries((c.attributes ?? {}) as Obj)) {
          if (!isObj(v) || !Number.isInteger(v.uid)) fail(`${this.rel(cf)}: category "${k}" needs an integer "uid"`);
          if (v.overwrite === true && categories.has(k)) { categories.set(k, { ...categories.get(k)!, ...(typeof v.caption === 'string' ? { caption: v.caption } : {}) }); continue; }
          categories.set(`${ext.name}/${k}`, { uid: v.uid < 100 ? ext.uid * 100 + v.uid : v.uid, caption: typeof v.caption === 'string' ? v.caption : k, extension: ext.name });
        }
      }
      const df = join(ext.path, 'dictionary.json');
      if (existsSync(df)) {
        const d = this.json(df);
        if (d.attributes !== undefined && !isObj(d.attributes)) fail(`${this.rel(df)}: "attributes" must be an object`);
        for (const [k, v] of Object.entries((d.attributes ?? {}) as Obj)) {
          if (!isObj(v)) fail(`${this.rel(df)}: attribute "${k}" must be an object`);
          if (v.overwrite === true && dict[k]) dict[k] = { ...dict[k], ...v };
          else dict[`${ext.name}/${k}`] = { ...v, extension: ext.name };
        }
        if (isObj(d.types) && isObj(d.types.attributes)) typesSrc = deepMerge(typesSrc, d.types.attributes) as Obj;
      }
    }

    const types = this.compileTypes(typesSrc);

    // Profiles: every profile file, included or not, so metadata.profiles can be checked.
    for (const f of this.jsonFiles(join(home, 'profiles'))) this.includedFile(relative(home, f), undefined, 'profiles/');
    for (const ext of extensions) {
      for (const f of this.jsonFiles(join(ext.path, 'profiles'))) this.includedFile(relative(ext.path, f), ext, `${this.rel(ext.path)}/profiles/`);
    }

    // Classes and objects as written, includes resolved.
    const rawClasses = new Map<string, Item>();
    this.readItems(join(home, 'events'), undefined, rawClasses, 'class');
    for (const ext of extensions) this.readItems(join(ext.path, 'events'), ext, rawClasses, 'class');
    const rawObjects = new Map<string, Item>();
    this.readItems(join(home, 'objects'), undefined, rawObjects, 'object');
    for (const ext of extensions) this.readItems(join(ext.path, 'objects'), ext, rawObjects, 'object');
    if (!rawClasses.has('base_event')) fail('events/base_event.json is missing: every OCSF schema defines the base event');

    const observableIds = this.observables(rawClasses, rawObjects, dict, typesSrc);

    const classes = this.resolveExtends(this.patch(rawClasses, 'class'), 'class');
    const objects = this.resolveExtends(this.patch(rawObjects, 'object'), 'object');

    // Merge the observable type ids into the observable object's type_id enum.
    const observable = objects.get('observable');
    if (observable && isObj(observable.data.attributes.type_id)) {
      const a = observable.data.attributes.type_id;
      a.enum = { ...(a.enum ?? {}), ...observableIds };
    }

    // Resolve object types in the dictionary (`type: "user"` -> object user; `win/reg_key`).
    const objectKey = (type: string, ext: string | undefined): string | undefined => {
      if (ext && objects.has(`${ext}/${type}`)) return `${ext}/${type}`;
      return objects.has(type) ? type : undefined;
    };

    const out: Artifact = {
      format: 1,
      version,
      extensions: Object.fromEntries(extensions.map((e) => [e.name, { uid: e.uid, caption: e.caption, ...(e.version ? { version: e.version } : {}) }])),
      types,
      categories: Object.fromEntries([...categories.entries()].sort((a, b) => a[1].uid - b[1].uid)),
      profiles: {},
      dictionary: {},
      classes: {},
      objects: {},
    };

    const attributesOf = (item: Item, kind: string): { attrs: Record<string, ArtifactAttribute>; hasDatetime: boolean } => {
      const attrs: Record<string, ArtifactAttribute> = {};
      let hasDatetime = false;
      const src = item.data.attributes as Obj;
      for (const name of Object.keys(src).sort()) {
        const a = src[name] as Obj;
        const where = `${kind} "${item.key}" (${this.rel(item.file)}), attribute "${name}"`;
        const base = (a._ext && dict[`${a._ext}/${name}`]) || dict[name];
        if (!isObj(base)) fail(`${where}: not defined in the dictionary; add it to dictionary.json`);
        const m = deepMerge(base, a) as Obj;
        const r = this.attribute(m, where, types, objectKey, (base.extension as string | undefined) ?? a._ext);
        attrs[name] = r;
        if (base.type === 'timestamp_t') {
          // The OCSF server adds a `<name>_dt` RFC 3339 twin of every timestamp, in the datetime profile.
          const dt: ArtifactAttribute = { type: 'datetime_t', profile: 'datetime' };
          if (r.array) dt.array = true;
          if (r.deprecated) dt.deprecated = r.deprecated;
          attrs[`${name}_dt`] = dt;
          hasDatetime = true;
          if (!this.profiles.has('datetime')) this.profiles.set('datetime', { caption: 'Date/Time', attributes: [] });
        }
      }
      return { attrs, hasDatetime };
    };

    // Classes.
    const usedUids = new Map<number, string>();
    const classEntries: ArtifactClass[] = [];
    for (const item of classes.values()) {
      const d = item.data;
      if (item.key !== 'base_event' && d.uid === undefined) continue; // hidden: a category's base
      const where = `class "${item.key}" (${this.rel(item.file)})`;
      const catKey = typeof d.category === 'string' ? d.category : undefined;
      let category: { key: string; uid: number; caption: string } | undefined;
      if (catKey !== undefined) {
        const scoped = d.extension ? categories.get(`${d.extension}/${catKey}`) : undefined;
        const c = scoped ?? categories.get(catKey);
        if (c) category = { key: scoped ? `${d.extension}/${catKey}` : catKey, uid: c.uid, caption: c.caption };
      }
      if (!category && item.key !== 'base_event') {
        fail(`${where}: category ${catKey === undefined ? 'is missing' : `"${catKey}" is not in categories.json`}`);
      }
      const catUid = category?.uid ?? 0;
      const ownUid = (d.uid ?? 0) as number;
      if (ownUid < 0 || ownUid > 999) fail(`${where}: "uid" must be 0..999 (it is the class number within its category)`);
      const extUid = d.extension_id as number | undefined;
      const uid = extUid === undefined ? catUid * 1000 + ownUid : (catUid < 100 ? extUid * 100 + catUid : catUid) * 1000 + ownUid;
      if (usedUids.has(uid)) fail(`${where}: class_uid ${uid} is also the class_uid of "${usedUids.get(uid)}"`);
      usedUids.set(uid, item.key);
      const caption = typeof d.caption === 'string' ? d.caption : fail(`${where}: "caption" is missing`);
      const { attrs, hasDatetime } = attributesOf(item, 'class');
      for (const need of ['class_uid', 'activity_id', 'category_uid', 'type_uid', 'severity_id', 'metadata', 'time']) {
        if (!attrs[need]) fail(`${where}: has no "${need}" attribute (does it extend base_event?)`);
      }
      attrs.class_uid = { ...attrs.class_uid!, enum: { [uid]: caption } };
      let categoryName: string;
      if (category) {
        attrs.category_uid = { ...attrs.category_uid!, enum: { [category.uid]: category.caption } };
        categoryName = category.caption;
      } else {
        categoryName = attrs.category_uid!.enum?.['0'] ?? 'Uncategorized';
        attrs.category_uid = { ...attrs.category_uid!, enum: { 0: categoryName } };
      }
      if (!attrs.activity_id!.enum) fail(`${where}: "activity_id" has no enum`);
      const profiles = this.profileList(d.profiles, where, hasDatetime);
      const c: ArtifactClass = {
        uid,
        name: d.name as string,
        caption,
        category: category?.key ?? (catKey ?? 'other'),
        category_uid: catUid,
        category_name: categoryName,
        ...(d.extends ? { extends: d.extends as string } : {}),
        ...(d.extension ? { extension: d.extension as string } : {}),
        ...(profiles.length ? { profiles } : {}),
        ...this.constraints(d.constraints, attrs, where),
        ...(d['@deprecated'] ? { deprecated: deprecation(d['@deprecated'], where)! } : {}),
        attributes: attrs,
      };
      classEntries.push(c);
    }
    for (const c of classEntries.sort((a, b) => a.uid - b.uid)) out.classes[String(c.uid)] = c;

    // Objects.
    for (const key of [...objects.keys()].sort()) {
      const item = objects.get(key)!;
      if (basename(key).startsWith('_')) continue; // hidden: a base such as _entity
      const d = item.data;
      const where = `object "${key}" (${this.rel(item.file)})`;
      const { attrs, hasDatetime } = attributesOf(item, 'object');
      const profiles = this.profileList(d.profiles, where, hasDatetime);
      const o: ArtifactObject = {
        name: key,
        caption: typeof d.caption === 'string' ? d.caption : fail(`${where}: "caption" is missing`),
        ...(d.extends ? { extends: d.extends as string } : {}),
        ...(d.extension ? { extension: d.extension as string } : {}),
        ...(profiles.length ? { profiles } : {}),
        ...this.constraints(d.constraints, attrs, where),
        ...(d['@deprecated'] ? { deprecated: deprecation(d['@deprecated'], where)! } : {}),
        attributes: attrs,
      };
      out.objects[key] = o;
    }
    // Every object an attribute refers to must exist (it was checked when resolving the type, but
    // a hidden object is not shipped).
    for (const [owner, entity] of [...Object.values(out.classes).map((c) => [`class ${c.name}`, c] as const), ...Object.entries(out.objects).map(([k, o]) => [`object ${k}`, o] as const)]) {
      for (const [n, a] of Object.entries(entity.attributes)) {
        if (a.object && !out.objects[a.object]) fail(`${owner}: attribute "${n}" holds object "${a.object}", which is hidden (its name starts with "_"); use a concrete object`);
      }
    }

    for (const [owner, entity] of [...Object.values(out.classes).map((c) => [`class ${c.name}`, c] as const), ...Object.entries(out.objects).map(([k, o]) => [`object ${k}`, o] as const)]) {
      for (const list of Object.values(entity.constraints ?? {})) {
        for (const path of list as string[]) {
          let attrs: Record<string, ArtifactAttribute> | undefined = entity.attributes;
          for (const seg of path.split('.')) {
            const a: ArtifactAttribute | undefined = attrs?.[seg];
            if (!a) { this.warnings.push(`${owner}: constraint names "${path}", which is not an attribute ("${seg}" does not exist there); it is kept but can never be satisfied by that name`); break; }
            attrs = a.object ? out.objects[a.object]?.attributes : undefined;
          }
        }
      }
    }

    for (const name of [...this.profiles.keys()].sort()) out.profiles[name] = this.profiles.get(name)!;
    for (const name of Object.keys(dict).sort()) {
      const c = (dict[name] as Obj).caption;
      if (typeof c === 'string') out.dictionary[name] = c;
    }
    return out;
  }

  private compileTypes(src: Obj): Record<string, ArtifactType> {
    const out: Record<string, ArtifactType> = {};
    const chain = (name: string, seen: string[]): Obj[] => {
      const t = src[name];
      if (!isObj(t)) fail(`dictionary.json: type "${seen[seen.length - 1] ?? name}" is based on "${name}", which is not defined in "types"`);
      if (seen.includes(name)) fail(`dictionary.json: type "${name}" is based on itself (${[...seen, name].join(' -> ')})`);
      return typeof t.type === 'string' ? [t, ...chain(t.type, [...seen, name])] : [t];
    };
    for (const name of Object.keys(src).sort()) {
      const ts = chain(name, []);
      const root = ts.length > 1 ? (ts[ts.length - 2]!.type as string) : name;
      if (!PRIMITIVES.has(root)) fail(`dictionary.json: type "${name}" rests on "${root}", which is not one of the primitive types ${[...PRIMITIVES].join(', ')}`);
      const own = ts[0]!;
      const t: ArtifactType = { caption: typeof own.caption === 'string' ? own.caption : name };
      if (root !== name) t.base = root;
      // A constraint of the type itself, else of the nearest super type (the OCSF validator's rule).
      const pick = (k: string): unknown => ts.find((x) => x[k] !== undefined && x[k] !== null)?.[k];
      const regex = pick('regex');
      if (regex !== undefined) {
        if (typeof regex !== 'string') fail(`dictionary.json: type "${name}": "regex" must be a string`);
        try { new RegExp(regex); } catch (e) { fail(`dictionary.json: type "${name}": "regex" is not a valid regular expression: ${(e as Error).message}`); }
        t.regex = regex;
      }
      const maxLen = pick('max_len');
      if (maxLen !== undefined) {
        if (!Number.isInteger(maxLen)) fail(`dictionary.json: type "${name}": "max_len" must be an integer`);
        t.max_len = maxLen as number;
      }
      const range = pick('range');
      if (range !== undefined) {
        if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number')) fail(`dictionary.json: type "${name}": "range" must be [low, high]`);
        t.range = range as [number, number];
      }
      const values = pick('values');
      if (values !== undefined) {
        if (!Array.isArray(values)) fail(`dictionary.json: type "${name}": "values" must be an array`);
        // boolean_t lists [false, true]: that says nothing beyond the type itself.
        if (!(root === 'boolean_t' && values.length === 2)) t.values = values;
      }
      out[name] = t;
    }
    return out;
  }

  private attribute(m: Obj, where: string, types: Record<string, ArtifactType>, objectKey: (t: string, ext: string | undefined) => string | undefined, ext: string | undefined): ArtifactAttribute {
    const r: ArtifactAttribute = {};
    const type = m.type;
    if (typeof type !== 'string' || type === '') fail(`${where}: has no "type" (in the dictionary or the item)`);
    if (types[type]) {
      r.type = type;
    } else {
      const key = objectKey(type, ext);
      if (!key) fail(`${where}: type "${type}" is neither a dictionary type nor an object`);
      r.object = key;
    }
    const req = m.requirement ?? 'optional';
    if (!REQUIREMENTS.has(req)) fail(`${where}: "requirement" must be required, recommended or optional, not ${JSON.stringify(req)}`);
    if (req !== 'optional') r.requirement = req;
    if (m.is_array === true) r.array = true;
    if (m.enum !== undefined && m.enum !== null) {
      if (!isObj(m.enum)) fail(`${where}: "enum" must be an object of values`);
      const e: Record<string, string> = {};
      const dep: Record<string, string> = {};
      const keys = Object.keys(m.enum).sort((a, b) => (/^-?\d+$/.test(a) && /^-?\d+$/.test(b) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
      for (const k of keys) {
        const v = m.enum[k];
        if (!isObj(v) || typeof v.caption !== 'string') fail(`${where}: enum value ${k} needs a "caption"`);
        e[k] = v.caption;
        const d = deprecation(v['@deprecated'], `${where}: enum value ${k}`);
        if (d) dep[k] = d;
      }
      if (r.type && (r.type === 'integer_t' || types[r.type]?.base === 'integer_t' || r.type === 'long_t')) {
        for (const k of keys) if (!/^-?\d+$/.test(k)) fail(`${where}: enum value "${k}" is not an integer, but the attribute is ${r.type}`);
      }
      r.enum = e;
      if (Object.keys(dep).length) r.enum_deprecated = dep;
    }
    if (typeof m.sibling === 'string' && m.sibling !== '') r.sibling = m.sibling;
    if (typeof m.profile === 'string' && m.profile !== '') r.profile = m.profile;
    else if (Array.isArray(m.profile) && m.profile.length) r.profile = m.profile.length === 1 ? m.profile[0] : m.profile;
    const d = deprecation(m['@deprecated'], where);
    if (d) r.deprecated = d;
    return r;
  }

  private constraints(c: unknown, attrs: Record<string, ArtifactAttribute>, where: string): { constraints?: ArtifactConstraints } {
    if (c === undefined || c === null) return {};
    if (!isObj(c)) fail(`${where}: "constraints" must be an object`);
    const out: ArtifactConstraints = {};
    for (const [k, v] of Object.entries(c)) {
      if (!CONSTRAINT_KINDS.has(k)) fail(`${where}: unknown constraint "${k}" (known: ${[...CONSTRAINT_KINDS].join(', ')})`);
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) fail(`${where}: constraint "${k}" must be a non-empty list of attribute names`);
      // A name may be a path into an object (`device.os.sp_name`); paths are checked once every
      // object is compiled. A name that resolves to nothing is a schema bug (1.8.0's
      // event_log_activity names `log_file`); it can never be present, so it is kept and reported.
      out[k as keyof ArtifactConstraints] = v as string[];
    }
    return Object.keys(out).length ? { constraints: out } : {};
  }

  private profileList(p: unknown, where: string, hasDatetime: boolean): string[] {
    if (p !== undefined && p !== null && (!Array.isArray(p) || !p.every((x) => typeof x === 'string'))) fail(`${where}: "profiles" must be a list of profile names`);
    const list = [...new Set([...((p as string[] | undefined) ?? []), ...(hasDatetime ? ['datetime'] : [])])];
    for (const name of list) if (!this.profiles.has(name)) fail(`${where}: lists profile "${name}", which no profiles/*.json defines`);
    return list;
  }

  /** Extension items that patch a core item (same name, or no name) are merged into it. */
  private patch(items: Map<string, Item>, kind: string): Map<string, Item> {
    const acc = new Map<string, Item>();
    for (const item of items.values()) {
      const d = item.data;
      const isPatch = typeof d.extends === 'string' && (!d.name || d.name === d.extends || d.name === basename(d.extends));
      if (!isPatch) {
        if (!acc.has(item.key)) acc.set(item.key, item);
        continue;
      }
      const baseKey = d.extends as string;
      const base = acc.get(baseKey) ?? items.get(baseKey);
      if (!base) fail(`${this.rel(item.file)}: ${kind} patches "${baseKey}", which is not defined`);
      const b = { ...base.data };
      const profiles = [...new Set([...((b.profiles as string[] | undefined) ?? []), ...((d.profiles as string[] | undefined) ?? [])])];
      if (profiles.length) b.profiles = profiles;
      const merged = deepMerge(b.attributes ?? {}, d.attributes ?? {}) as Obj;
      // Two extensions may add the same attribute through their own profiles (linux/linux_users and
      // macos/macos_users both add process.egid). The OCSF server keeps whichever patch it applied
      // last, which depends on directory order; here the attribute belongs to both profiles.
      for (const [k, a] of Object.entries((d.attributes ?? {}) as Obj)) {
        const before = (b.attributes as Obj | undefined)?.[k];
        if (isObj(a) && isObj(before) && before.profile && a.profile && before.profile !== a.profile && isObj(merged[k])) {
          merged[k] = { ...merged[k], profile: [...new Set([...[before.profile].flat(), ...[a.profile].flat()])].sort() };
        }
      }
      b.attributes = merged;
      for (const k of ['observable', 'observables', 'references', 'associations']) if (d[k] !== undefined && d[k] !== null) b[k] = d[k];
      if (Object.hasOwn(d, 'constraints')) {
        if (isObj(d.constraints) && Object.keys(d.constraints).length) b.constraints = d.constraints;
        else delete b.constraints;
      }
      acc.set(baseKey, { key: baseKey, data: b, file: base.file });
    }
    return acc;
  }

  private resolveExtends(items: Map<string, Item>, kind: string): Map<string, Item> {
    const done = new Map<string, Item>();
    const resolveOne = (item: Item, trail: string[]): Item => {
      const hit = done.get(item.key);
      if (hit) return hit;
      const d = item.data;
      if (typeof d.extends !== 'string') {
        const attrs: Obj = {};
        for (const [k, v] of Object.entries(d.attributes as Obj)) if (v !== null) attrs[k] = v;
        const r = { ...item, data: { ...d, attributes: attrs } };
        done.set(item.key, r);
        return r;
      }
      if (trail.includes(item.key)) fail(`${this.rel(item.file)}: ${kind} inheritance loops: ${[...trail, item.key].join(' -> ')}`);
      const ext = d.extension as string | undefined;
      const parent = items.get(d.extends) ?? (ext ? items.get(`${ext}/${d.extends}`) : undefined);
      if (!parent) fail(`${this.rel(item.file)}: ${kind} "${item.key}" extends "${d.extends}", which is not defined`);
      const base = resolveOne(parent, [...trail, item.key]).data;
      const merged: Obj = { ...base };
      for (const [k, v] of Object.entries(d)) {
        if (k === 'profiles') {
          merged.profiles = [...new Set([...((base.profiles as string[] | undefined) ?? []), ...((v as string[] | null) ?? [])])];
        } else if (v !== null || !Object.hasOwn(base, k)) {
          merged[k] = v;
        }
      }
      const attrs: Obj = {};
      for (const [k, v] of Object.entries(deepMerge(base.attributes ?? {}, d.attributes ?? {}) as Obj)) if (v !== null) attrs[k] = v;
      merged.attributes = attrs;
      const r = { ...item, data: merged };
      done.set(item.key, r);
      return r;
    };
    const out = new Map<string, Item>();
    for (const item of items.values()) out.set(item.key, resolveOne(item, []));
    return out;
  }

  /** The observable type_id values, gathered the way the OCSF server does (collisions are errors). */
  private observables(classes: Map<string, Item>, objects: Map<string, Item>, dict: Obj, types: Obj): Record<string, { caption: string }> {
    const ids = new Map<number, string>();
    const add = (id: unknown, caption: string, where: string): void => {
      if (!Number.isInteger(id)) fail(`${where}: "observable" must be an integer type_id`);
      const prev = ids.get(id as number);
      if (prev !== undefined) fail(`${where}: observable type_id ${String(id)} is also used by "${prev}"`);
      ids.set(id as number, caption);
    };
    const captionOf = (items: Map<string, Item>, item: Item | undefined, depth = 0): string => {
      if (!item || depth > 20) return item?.key ?? '?';
      const d = item.data;
      const isPatch = typeof d.extends === 'string' && (!d.name || d.name === d.extends || d.name === basename(d.extends));
      const parent = (): Item | undefined => items.get(d.extends) ?? (d.extension ? items.get(`${d.extension}/${d.extends}`) : undefined);
      if (isPatch) return captionOf(items, parent(), depth + 1);
      if (typeof d.caption === 'string') return d.caption;
      if (typeof d.extends === 'string') return captionOf(items, parent(), depth + 1);
      return item.key;
    };
    for (const item of classes.values()) {
      const caption = captionOf(classes, item);
      for (const [k, a] of Object.entries(item.data.attributes as Obj)) {
        if (isObj(a) && a.observable !== undefined) add(a.observable, `${caption} Class: ${k}`, `${this.rel(item.file)}: attribute "${k}"`);
      }
      if (isObj(item.data.observables)) {
        for (const [path, id] of Object.entries(item.data.observables)) add(id, `${caption} Class: ${path}`, `${this.rel(item.file)}: observables "${path}"`);
      }
    }
    for (const item of objects.values()) {
      const caption = captionOf(objects, item);
      if (item.data.observable !== undefined) add(item.data.observable, caption, this.rel(item.file));
      for (const [k, a] of Object.entries(item.data.attributes as Obj)) {
        if (isObj(a) && a.observable !== undefined) add(a.observable, `${caption} Object: ${k}`, `${this.rel(item.file)}: attribute "${k}"`);
      }
    }
    for (const [k, t] of Object.entries(types)) if (isObj(t) && t.observable !== undefined) add(t.observable, typeof t.caption === 'string' ? t.caption : k, `dictionary.json: type "${k}"`);
    for (const [k, a] of Object.entries(dict)) if (isObj(a) && a.observable !== undefined) add(a.observable, typeof a.caption === 'string' ? a.caption : k, `dictionary: attribute "${k}"`);
    const out: Record<string, { caption: string }> = {};
    for (const [id, caption] of [...ids.entries()].sort((a, b) => a[0] - b[0])) out[String(id)] = { caption };
    return out;
  }
}

/** Compiles a source tree into the artifact (in memory). Throws OcsfSourceError on malformed input. */
export function compileSchema(sourceDir: string, opts: CompileOptions = {}): CompileResult {
  const c = new Compiler(resolve(sourceDir));
  const artifact = c.run(opts);
  return { artifact, warnings: c.warnings };
}

/** Compiles and writes `<out>/ocsf-<version>.json`, and copies the schema's LICENSE and NOTICE next to it. */
export function compileToDir(sourceDir: string, outDir: string, opts: CompileOptions = {}): { file: string; bytes: number; artifact: Artifact; warnings: string[] } {
  const { artifact, warnings } = compileSchema(sourceDir, opts);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `ocsf-${artifact.version}.json`);
  const text = `${JSON.stringify(artifact)}\n`;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  for (const f of ['LICENSE', 'NOTICE']) {
    const src = join(resolve(sourceDir), f);
    // Written fresh (not copied) so the copy does not inherit a read-only mode from the source tree.
    if (existsSync(src)) { rmSync(join(outDir, f), { force: true }); writeFileSync(join(outDir, f), readFileSync(src)); }
    else warnings.push(`${f} not found in ${sourceDir}: the schema's license terms were not copied next to the artifact`);
  }
  return { file, bytes: Buffer.byteLength(text), artifact, warnings };
}

const USAGE = 'usage: node dist/tools/ocsf/compile.js <ocsf-schema-source-dir> [--out schema/ocsf] [--no-extensions]';

export function main(argv: string[]): number {
  let source: string | undefined;
  let out = 'schema/ocsf';
  let extensions = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') {
      const v = argv[++i];
      if (!v) { console.error(`--out needs a directory\n${USAGE}`); return 64; }
      out = v;
    } else if (a.startsWith('--out=')) out = a.slice(6);
    else if (a === '--no-extensions') extensions = false;
    else if (a === '-h' || a === '--help') { console.log(USAGE); return 0; }
    else if (a.startsWith('-')) { console.error(`unknown option ${a}\n${USAGE}`); return 64; }
    else if (source === undefined) source = a;
    else { console.error(`one source directory only (got ${source} and ${a})\n${USAGE}`); return 64; }
  }
  if (!source) { console.error(USAGE); return 64; }
  try {
    const r = compileToDir(source, out, { extensions });
    for (const w of r.warnings) console.error(`warning: ${w}`);
    const a = r.artifact;
    console.log(`OCSF ${a.version}: ${Object.keys(a.classes).length} classes, ${Object.keys(a.objects).length} objects, ${Object.keys(a.profiles).length} profiles, ` +
      `${Object.keys(a.extensions).length} extensions -> ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB)`);
    return 0;
  } catch (e) {
    if (e instanceof OcsfSourceError) {
      console.error(`ocsf compile: ${e.message}`);
      return 65;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
