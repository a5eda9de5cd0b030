// Network functions: CIDR membership, private ranges, IP version and Community ID flow hashing.
import { createHash } from 'node:crypto';
import { Cidr, CidrSet, cidrFrom, parseIPv4, parseIPv6 } from '../values.js';
import { A, B, C, N, S, Z, def, fail, wrongType } from './registry.js';

def('ip_in_cidr', [S | Z, C | S | A], B, (ip: unknown, net: unknown) => {
  if (ip === null) return false;
  if (typeof ip !== 'string') throw wrongType('ip_in_cidr', 'an IP address string', ip);
  if (net instanceof CidrSet) return net.contains(ip);
  if (Array.isArray(net)) return net.some((n) => cidrFrom(n, 'ip_in_cidr').contains(ip));
  return cidrFrom(net, 'ip_in_cidr').contains(ip);
});

const PRIVATE = new CidrSet([
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', // RFC 1918
  '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10', // loopback, link-local, CGNAT (RFC 6598)
  '::1/128', 'fc00::/7', 'fe80::/10', // IPv6 loopback, unique local (RFC 4193), link-local
].map((t) => Cidr.parse(t)!));

def('is_private_ip', [S | Z], B, (ip: unknown) => {
  if (ip === null) return false;
  if (typeof ip !== 'string') throw wrongType('is_private_ip', 'an IP address string', ip);
  return PRIVATE.contains(ip);
});

def('ip_version', [S | Z], N | Z, (ip: unknown) => {
  if (ip === null) return null;
  if (typeof ip !== 'string') throw wrongType('ip_version', 'an IP address string', ip);
  if (parseIPv4(ip) >= 0) return 4;
  return parseIPv6(ip) ? 6 : null;
});

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmp6: 58, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, gre: 47, esp: 50 };
// ICMP message types paired as request/response (Zeek's mapping, used by the Community ID spec).
const ICMP4_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIRS: Record<number, number> = {
  128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144,
};

function ipBytes(ip: unknown, which: string): Buffer {
  if (typeof ip !== 'string') throw wrongType('community_id', `the ${which} IP as a string`, ip);
  const v4 = parseIPv4(ip);
  if (v4 >= 0) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v4);
    return b;
  }
  const g = parseIPv6(ip);
  if (!g) throw fail('community_id', `invalid ${which} IP ${JSON.stringify(ip)}`);
  const b = Buffer.alloc(16);
  g.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

function port(v: unknown, which: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
    throw fail('community_id', `the ${which} must be an integer between 0 and 65535, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Community ID v1 (corelight/community-id-spec): "1:" + base64(sha1(seed(2) . saddr . daddr . proto(1) . 0(1) . sport(2) . dport(2))),
 * big-endian, endpoints ordered so the smaller (address, port) comes first. For ICMP/ICMPv6 the ports are
 * the message type and the paired type (or the code for one-way messages, which are never reordered).
 */
export function communityId(sip: unknown, dip: unknown, sport: unknown, dport: unknown, proto: unknown, seed: unknown = 0): string {
  let p: number;
  if (typeof proto === 'string') {
    const k = PROTOS[proto.toLowerCase()];
    if (k === undefined) throw fail('community_id', `unknown protocol ${JSON.stringify(proto)}`);
    p = k;
  } else if (typeof proto === 'number' && Number.isInteger(proto) && proto >= 0 && proto <= 255) p = proto;
  else throw fail('community_id', `the protocol must be a number 0-255 or a name, got ${JSON.stringify(proto)}`);
  const s = seed === null || seed === undefined ? 0 : seed;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 65535) throw fail('community_id', 'the seed must be an integer 0-65535');
  let a = ipBytes(sip, 'source'), b = ipBytes(dip, 'destination');
  if (a.length !== b.length) throw fail('community_id', 'source and destination IPs must be the same version');
  const hasPorts = p === 6 || p === 17 || p === 132 || p === 1 || p === 58;
  let sp = 0, dp = 0, oneWay = false;
  if (hasPorts) {
    sp = port(sport, p === 1 || p === 58 ? 'ICMP type' : 'source port');
    dp = port(dport, p === 1 || p === 58 ? 'ICMP code' : 'destination port');
    if (p === 1 || p === 58) {
      const pair = (p === 1 ? ICMP4_PAIRS : ICMP6_PAIRS)[sp];
      if (pair === undefined) oneWay = true;
      else dp = pair;
    }
  }
  const c = Buffer.compare(a, b);
  if (!oneWay && (c > 0 || (c === 0 && hasPorts && sp > dp))) {
    [a, b] = [b, a];
    [sp, dp] = [dp, sp];
  }
  const head = Buffer.alloc(2);
  head.writeUInt16BE(s);
  const mid = Buffer.from([p, 0]);
  const h = createHash('sha1').update(head).update(a).update(b).update(mid);
  if (hasPorts) {
    const ports = Buffer.alloc(4);
    ports.writeUInt16BE(sp, 0);
    ports.writeUInt16BE(dp, 2);
    h.update(ports);
  }
  return `1:${h.digest('base64')}`;
}

def('community_id', [S, S, N | Z, N | Z, N | S, N], S, communityId, { min: 5, max: 6, fallible: true });

