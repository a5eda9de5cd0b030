// Encoding and hashing. Hash inputs are UTF-8 strings; digests are lowercase hex.
import { createHash, createHmac } from 'node:crypto';
import { S, Z, def, fail, str } from './registry.js';

const SN = S | Z;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

def('base64', [SN, S], SN, (s: unknown, charset?: unknown) => {
  if (s === null) return null;
  const cs = charset === undefined || charset === null ? 'standard' : str('base64', charset, '"standard" or "url"');
  if (cs !== 'standard' && cs !== 'url') throw fail('base64', `unknown charset ${JSON.stringify(cs)} ("standard" or "url")`);
  return Buffer.from(str('base64', s), 'utf8').toString(cs === 'url' ? 'base64url' : 'base64');
}, { min: 1 });

def('decode_base64', [SN], SN, (s: unknown) => {
  if (s === null) return null;
  const text = str('decode_base64', s).trim();
  const url = !B64.test(text);
  if ((url && !B64URL.test(text)) || (!url && text.replace(/=+$/, '').length % 4 === 1)) {
    throw fail('decode_base64', 'invalid base64 input');
  }
  const buf = Buffer.from(text, url ? 'base64url' : 'base64');
  // Invalid UTF-8 would silently become U+FFFD: refuse instead, the data is probably binary.
  const out = new TextDecoder('utf-8', { fatal: true });
  try {
    return out.decode(buf);
  } catch {
    throw fail('decode_base64', 'the decoded bytes are not valid UTF-8');
  }
}, { fallible: true });

def('hex', [SN], SN, (s: unknown) => (s === null ? null : Buffer.from(str('hex', s), 'utf8').toString('hex')));

def('decode_hex', [SN], SN, (s: unknown) => {
  if (s === null) return null;
  const t = str('decode_hex', s);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(t)) throw fail('decode_hex', 'invalid hex input');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(t, 'hex'));
  } catch {
    throw fail('decode_hex', 'the decoded bytes are not valid UTF-8');
  }
}, { fallible: true });

for (const algo of ['md5', 'sha1', 'sha256', 'sha512'] as const) {
  def(algo, [SN], SN, (s: unknown) => (s === null ? null : createHash(algo).update(str(algo, s), 'utf8').digest('hex')));
}

def('hmac_sha256', [SN, S], SN, (s: unknown, key: unknown) => {
  if (s === null) return null;
  return createHmac('sha256', str('hmac_sha256', key, 'a string key')).update(str('hmac_sha256', s), 'utf8').digest('hex');
});

def('url_encode', [SN], SN, (s: unknown) => (s === null ? null : encodeURIComponent(str('url_encode', s))));
def('url_decode', [SN], SN, (s: unknown) => {
  if (s === null) return null;
  try {
    return decodeURIComponent(str('url_decode', s).replace(/\+/g, ' '));
  } catch {
    throw fail('url_decode', 'invalid percent-encoding');
  }
}, { fallible: true });
