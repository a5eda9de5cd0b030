/**
 * A pack turns one source's events (CloudTrail records, Zeek conn lines, sshd syslog lines...)
 * into OCSF events. Packs are code, compiled with the project: a mapping is a plain function over
 * an already-parsed event, so nothing is interpreted per event. `MappedFields` tracks which
 * source fields a mapping used, so everything else can be kept under OCSF's `unmapped`.
 */
import type { Event } from '../core/event.js';

/** One OCSF event (a plain JSON object with at least class_uid, activity_id, time, metadata). */
export type OcsfEvent = Record<string, unknown>;

export type MapResult =
  | { ok: true; events: OcsfEvent[] }
  /** The event is this source's, but cannot become valid OCSF; `reason` says precisely why. */
  | { ok: false; reason: string };

export interface MapContext {
  /** Sluice's version, for metadata.product.version. */
  readonly productVersion: string;
  /** Milliseconds since the epoch: for events without a time of their own (rare; say so in `unmapped`). */
  readonly now: number;
}

/** A row of the class mapping table in docs/ocsf.md. */
export interface PackClass {
  class_uid: number;
  class_name: string;
  /** Which source events become this class (e.g. "ConsoleLogin events", "sshd Accepted/Failed lines"). */
  from: string;
}

export interface Pack {
  /** Stable id used in config (`normalize.pack`) and `sluice ocsf map --pack`: `aws_cloudtrail`. */
  name: string;
  /** Human title: "AWS CloudTrail". */
  title: string;
  /** The classes this pack produces, for docs and `sluice ocsf packs`. */
  classes: PackClass[];
  /**
   * Whether an already-parsed event looks like this source's. Cheap (a few property checks): it
   * runs for every event when the pack is not named in the config. Must not throw.
   */
  detect(e: Event): boolean;
  /** Map one source event to OCSF. Must not throw on bad input: return { ok: false, reason }. */
  map(e: Event, ctx: MapContext): MapResult;
}
