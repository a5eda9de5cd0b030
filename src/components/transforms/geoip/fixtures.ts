/**
 * GeoIP2-shaped test databases built with the MMDB writer: records laid out like MaxMind's City,
 * Country, ASN and Anonymous IP databases (the fields Sluice reads, and the names in several
 * languages that make real records big), for unit tests and benchmarks.
 */
import { MmdbWriter, mmdb, type MmdbValue } from './mmdb-writer.js';

export interface CityFixture {
  country: string;
  countryName: string;
  continent: string;
  continentName: string;
  city?: string;
  region?: string;
  regionName?: string;
  postal?: string;
  lat?: number;
  long?: number;
  timeZone?: string;
}

// Shared objects for repeated parts (as a real database points at one copy): the writer then
// encodes each once, which keeps building a 100,000-network database to a few seconds.
const shared = new Map<string, MmdbValue>();
const once = (key: string, make: () => MmdbValue): MmdbValue => {
  let v = shared.get(key);
  if (v === undefined) shared.set(key, (v = make()));
  return v;
};
const names = (en: string) => once(`names:${en}`, () => ({ de: en, en, es: en, fr: en, ja: en, 'pt-BR': en, ru: en, 'zh-CN': en }));

/** A GeoIP2-City record (a Country record when `city` and the rest are left out). */
export function cityRecord(f: CityFixture, geonameId = 1): MmdbValue {
  const country = once(`country:${f.country}`, () => ({ geoname_id: 100 + f.country.charCodeAt(0), iso_code: f.country, names: names(f.countryName) }));
  const rec: Record<string, MmdbValue> = {
    continent: once(`continent:${f.continent}`, () => ({ code: f.continent, geoname_id: 6255148, names: names(f.continentName) })),
    country,
    registered_country: country,
  };
  if (f.city) rec.city = { geoname_id: geonameId, names: names(f.city) };
  if (f.lat !== undefined && f.long !== undefined) {
    rec.location = { accuracy_radius: mmdb.uint16(50), latitude: mmdb.double(f.lat), longitude: mmdb.double(f.long), ...(f.timeZone ? { time_zone: f.timeZone } : {}) };
  }
  if (f.postal) rec.postal = { code: f.postal };
  if (f.region) rec.subdivisions = once(`region:${f.country}-${f.region}`, () => [{ geoname_id: 200 + f.region!.charCodeAt(0), iso_code: f.region!, names: names(f.regionName ?? f.region!) }]);
  return rec;
}

export const LONDON: CityFixture = { country: 'GB', countryName: 'United Kingdom', continent: 'EU', continentName: 'Europe', city: 'London', region: 'ENG', regionName: 'England', postal: 'SW1A', lat: 51.5142, long: -0.0931, timeZone: 'Europe/London' };
export const MILTON: CityFixture = { country: 'US', countryName: 'United States', continent: 'NA', continentName: 'North America', city: 'Milton', region: 'WA', regionName: 'Washington', postal: '98354', lat: 47.2513, long: -122.3149, timeZone: 'America/Los_Angeles' };
export const TOKYO: CityFixture = { country: 'JP', countryName: 'Japan', continent: 'AS', continentName: 'Asia', city: 'Tokyo', region: '13', regionName: 'Tokyo', lat: 35.6893, long: 139.6899, timeZone: 'Asia/Tokyo' };

/** A small City database: London at 81.2.69.0/24, Milton at 216.160.83.56/29, Tokyo at 2001:218::/32. */
export function smallCityDb(opts: { recordSize?: 24 | 28 | 32; databaseType?: string; london?: CityFixture } = {}): Buffer {
  return new MmdbWriter({ ipVersion: 6, recordSize: opts.recordSize ?? 28, databaseType: opts.databaseType ?? 'GeoIP2-City', languages: ['de', 'en', 'es', 'fr', 'ja', 'pt-BR', 'ru', 'zh-CN'], pointers: true })
    .insert('81.2.69.0/24', cityRecord(opts.london ?? LONDON, 2643743))
    .insert('216.160.83.56/29', cityRecord(MILTON, 5803556))
    .insert('2001:218::/32', cityRecord(TOKYO, 1850147))
    .build();
}

export function smallCountryDb(): Buffer {
  const strip = (f: CityFixture): CityFixture => ({ country: f.country, countryName: f.countryName, continent: f.continent, continentName: f.continentName });
  return new MmdbWriter({ ipVersion: 6, databaseType: 'GeoLite2-Country', languages: ['en'] })
    .insert('81.2.69.0/24', cityRecord(strip(LONDON)))
    .insert('216.160.83.56/29', cityRecord(strip(MILTON)))
    .build();
}

export function smallAsnDb(): Buffer {
  return new MmdbWriter({ ipVersion: 6, databaseType: 'GeoLite2-ASN' })
    .insert('81.2.69.0/24', { autonomous_system_number: 20712, autonomous_system_organization: 'Andrews & Arnold Ltd' })
    .insert('2001:218::/32', { autonomous_system_number: 2914, autonomous_system_organization: 'NTT America, Inc.' })
    .build();
}

export function smallAnonymousDb(): Buffer {
  return new MmdbWriter({ ipVersion: 6, databaseType: 'GeoIP2-Anonymous-IP' })
    .insert('81.2.69.0/25', { is_anonymous: true, is_anonymous_vpn: true })
    .insert('216.160.83.56/30', { is_anonymous: true, is_public_proxy: true, is_tor_exit_node: true })
    .build();
}

/**
 * A City-like database of `n` networks spread over the IPv4 space (and n/10 IPv6 networks), each
 * with its own record, for benchmarks: the shape and record size of GeoLite2-City, the network
 * count of a mid-sized one. Returns the database and sample addresses inside its networks.
 */
export function syntheticCityDb(n: number, seed = 1): { db: Buffer; ips: string[] } {
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
  const w = new MmdbWriter({ ipVersion: 6, recordSize: 28, databaseType: 'GeoIP2-City', languages: ['de', 'en', 'es', 'fr', 'ja', 'pt-BR', 'ru', 'zh-CN'], pointers: true });
  const ips: string[] = [];
  const countries = [LONDON, MILTON, TOKYO];
  // Disjoint /24s at a regular stride through 1.0.0.0 - 223.255.255.255.
  const stride = Math.floor((223 * 2 ** 24) / 256 / n);
  for (let i = 0; i < n; i++) {
    const base = (2 ** 24 + i * stride * 256) >>> 0;
    const a = base >>> 24, b = (base >>> 16) & 255, c = (base >>> 8) & 255;
    const f = countries[i % 3]!;
    w.insert(`${a}.${b}.${c}.0/24`, cityRecord({ ...f, city: `${f.city} ${i}`, postal: String(10000 + i), lat: f.lat! + rnd(), long: f.long! + rnd() }, i));
    if (ips.length < 10_000) ips.push(`${a}.${b}.${c}.${1 + Math.floor(rnd() * 254)}`);
  }
  for (let i = 0; i < n / 10; i++) {
    const hex = (0x2400 + (i >> 8)).toString(16) + ':' + (i & 255).toString(16);
    w.insert(`${hex}::/32`, cityRecord({ ...TOKYO, city: `Tokyo ${i}` }, n + i));
    if (i < 1000) ips.push(`${hex}::${(1 + i).toString(16)}`);
  }
  return { db: w.build(), ips };
}
