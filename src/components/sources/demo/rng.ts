/**
 * A small seeded random generator (mulberry32): the same seed gives the same demo stream, so
 * benchmarks and docs can show identical data. Not for anything secret.
 */

import { formatV4, specialRange } from '../../../enrich/ip.js';
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number { return min + Math.floor(this.next() * (max - min + 1)); }

  chance(p: number): boolean { return this.next() < p; }

  pick<T>(items: readonly T[]): T { return items[Math.floor(this.next() * items.length)]!; }

  /** Pick by weight: `[[item, weight], ...]`. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) { if ((r -= w) < 0) return item; }
    return items[items.length - 1]![0];
  }

  /** Characters from an alphabet, e.g. for key ids and fingerprints. */
  chars(n: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** An RFC 4122 version 4 UUID built from this generator (so it follows the seed). */
  uuid(): string {
    const a = this.hex8(), b = this.hex8(), c = this.hex8(), d = this.hex8();
    const variant = '89ab'[Math.floor(this.next() * 4)]!;
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
  }

  /** Eight random hex digits. */
  private hex8(): string { return Math.floor(this.next() * 4294967296).toString(16).padStart(8, '0'); }

  /**
   * A random global unicast IPv4 address: never private, reserved or documentation space, so
   * GeoIP has something to say about it. Random, so it stands for no one in particular.
   */
  publicIp(): string {
    for (;;) {
      const n = this.int(0x01000000, 0xdfffffff);
      if (specialRange({ v: 4, n }) === null) return formatV4(n);
    }
  }

  /** An address inside a /24 given as `a.b.c`, avoiding .0 and .255. */
  ip24(prefix: string): string { return `${prefix}.${this.int(1, 254)}`; }

  /** An ephemeral client port. */
  port(): number { return this.int(32768, 60999); }
}

export const HEX = '0123456789abcdef';
export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
