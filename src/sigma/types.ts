/**
 * The Sigma rule model shared by the parser, processing pipelines, the compiler, the plain
 * interpreter and the correlation engine. It is the rule as written, after YAML, before any
 * compiling: pipelines rewrite it (field names, added conditions) and the compiler turns it into
 * closures once.
 */

/** A value in a detection: YAML scalars as written (strings keep their wildcards and escapes). */
export type SigmaValue = string | number | boolean | null;

/** Where a rule, a detection item or an error is, for messages (`rules/x.yml:12:5`). */
export interface Place {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

/**
 * One field test, or one keyword list: `CommandLine|contains|all: [a, b]` is
 * { field: 'CommandLine', modifiers: ['contains', 'all'], values: ['a', 'b'] }. Values are ORed
 * unless the modifiers say `all`. `field: null` is a keyword (full-text) search.
 */
export interface DetectionItem {
  field: string | null;
  /** Lower-cased, in the order written. */
  modifiers: string[];
  values: SigmaValue[];
  /**
   * Event paths to test instead of `field` (set by processing pipelines: one Sigma field can map
   * to several renderings, e.g. `Event.EventData.Image` and `winlog.event_data.Image`). The item
   * matches when it matches on any of them. Absent: `[field]`.
   */
  paths?: string[];
  /**
   * For `|fieldref` items: the event paths of each referenced field, by the field name written
   * as the value (set by the same field-name transformations that set `paths`). Absent: the
   * value itself is the path.
   */
  refPaths?: Record<string, string[]>;
  place?: Place;
}

/**
 * A search identifier's definition: OR over groups, AND within a group. A map is one group; a
 * list of maps is several groups; a list of plain values is one group with one keyword item.
 */
export interface Search {
  groups: DetectionItem[][];
}

export interface Logsource {
  category?: string;
  product?: string;
  service?: string;
  definition?: string;
}

interface Documented {
  file: string;
  /** Where the YAML document starts. */
  place: Place;
  id?: string;
  /** Sigma 2.x `name`: how correlation rules may refer to a rule besides its id. */
  name?: string;
  title: string;
  description?: string;
  status?: string;
  level?: string;
  author?: string;
  date?: string;
  modified?: string;
  references: string[];
  tags: string[];
  falsepositives: string[];
  /** The whole YAML document as parsed, for anything the model does not name. */
  raw: Record<string, unknown>;
}

export interface SigmaRule extends Documented {
  type: 'rule';
  logsource: Logsource;
  /** Search identifiers (`selection`, `filter_main_*`, `keywords`). */
  detection: Record<string, Search>;
  /** The condition(s); several conditions are ORed (Sigma 1 style lists). */
  condition: string[];
  /**
   * Searches every match must also satisfy (ANDed with the condition): added by processing
   * pipelines for the logsource (`EventID: 1`, `class_uid: 1007`) and by Sigma filters (negated).
   */
  conditions: Array<{ search: Search; negate: boolean; origin: string }>;
  fields: string[];
}

/** A Sigma filter (meta-rule): adds `and not <its condition>` to the rules it names. */
export interface SigmaFilter extends Documented {
  type: 'filter';
  logsource: Logsource;
  /** Ids or names of the rules it applies to. */
  rules: string[];
  detection: Record<string, Search>;
  condition: string[];
}

/** A correlation rule: its `correlation` section is interpreted by src/sigma/correlation.ts. */
export interface SigmaCorrelation extends Documented {
  type: 'correlation';
  correlation: Record<string, unknown>;
}

export type SigmaDocument = SigmaRule | SigmaFilter | SigmaCorrelation;

/** A rule that could not be read or compiled: where and why. Never thrown at the pipeline. */
export interface RuleError {
  file: string;
  place?: Place;
  /** The rule's id or title when known. */
  rule?: string;
  message: string;
}

/** A parsed condition. `of` is `1 of sel_*`, `all of them`, `2 of selection*`. */
export type Condition =
  | { op: 'and' | 'or'; args: Condition[] }
  | { op: 'not'; arg: Condition }
  | { op: 'ref'; name: string }
  | { op: 'of'; quantifier: 'all' | number; pattern: string };
