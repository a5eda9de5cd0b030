// parse_user_agent: a small built-in classifier (not a full ua-parser database). It recognises the common
// browsers and operating systems, command-line clients, HTTP libraries, search-engine bots and the
// scanners that show up in security logs.
import { O, S, Z, def, str } from './registry.js';

type Category = 'browser' | 'cli' | 'library' | 'bot' | 'scanner' | 'unknown';
interface Rule { re: RegExp; family: string; category: Category }

// Order matters: the first match wins. Version is the first capture group when present.
const TOOLS: Rule[] = [
  { re: /sqlmap\/?([\d.]+)?/i, family: 'sqlmap', category: 'scanner' },
  { re: /nikto\/?([\d.]+)?/i, family: 'Nikto', category: 'scanner' },
  { re: /Nmap Scripting Engine|\bnmap\b/i, family: 'Nmap', category: 'scanner' },
  { re: /masscan\/?([\d.]+)?/i, family: 'masscan', category: 'scanner' },
  { re: /zgrab\/?([\d.]+)?/i, family: 'ZGrab', category: 'scanner' },
  { re: /Nuclei/i, family: 'Nuclei', category: 'scanner' },
  { re: /WPScan v?([\d.]+)?/i, family: 'WPScan', category: 'scanner' },
  { re: /(?:gobuster|dirbuster)\/?([\d.]+)?/i, family: 'DirBuster', category: 'scanner' },
  { re: /Fuzz Faster U Fool|ffuf/i, family: 'ffuf', category: 'scanner' },
  { re: /wfuzz\/?([\d.]+)?/i, family: 'Wfuzz', category: 'scanner' },
  { re: /acunetix/i, family: 'Acunetix', category: 'scanner' },
  { re: /Nessus/i, family: 'Nessus', category: 'scanner' },
  { re: /OpenVAS/i, family: 'OpenVAS', category: 'scanner' },
  { re: /WhatWeb\/?([\d.]+)?/i, family: 'WhatWeb', category: 'scanner' },
  { re: /Hydra/, family: 'Hydra', category: 'scanner' },
  { re: /\bcurl\/([\d.]+)/i, family: 'curl', category: 'cli' },
  { re: /\bWget\/([\d.]+)/i, family: 'Wget', category: 'cli' },
  { re: /HTTPie\/([\d.]+)/i, family: 'HTTPie', category: 'cli' },
  { re: /PowerShell\/([\d.]+)/i, family: 'PowerShell', category: 'cli' },
  { re: /python-requests\/([\d.]+)/i, family: 'python-requests', category: 'library' },
  { re: /Python-urllib\/([\d.]+)/i, family: 'Python-urllib', category: 'library' },
  { re: /aiohttp\/([\d.]+)/i, family: 'aiohttp', category: 'library' },
  { re: /python-httpx\/([\d.]+)/i, family: 'httpx', category: 'library' },
  { re: /Go-http-client\/([\d.]+)/i, family: 'Go-http-client', category: 'library' },
  { re: /okhttp\/([\d.]+)/i, family: 'OkHttp', category: 'library' },
  { re: /Apache-HttpClient\/([\d.]+)/i, family: 'Apache-HttpClient', category: 'library' },
  { re: /^Java\/([\d._]+)/i, family: 'Java', category: 'library' },
  { re: /axios\/([\d.]+)/i, family: 'axios', category: 'library' },
  { re: /node-fetch\/?([\d.]+)?/i, family: 'node-fetch', category: 'library' },
  { re: /libwww-perl\/([\d.]+)/i, family: 'libwww-perl', category: 'library' },
  { re: /^Ruby/i, family: 'Ruby', category: 'library' },
  { re: /Googlebot(?:-\w+)?\/([\d.]+)/i, family: 'Googlebot', category: 'bot' },
  { re: /bingbot\/([\d.]+)/i, family: 'Bingbot', category: 'bot' },
  { re: /DuckDuckBot\/?([\d.]+)?/i, family: 'DuckDuckBot', category: 'bot' },
  { re: /Baiduspider\/?([\d.]+)?/i, family: 'Baiduspider', category: 'bot' },
  { re: /YandexBot\/([\d.]+)/i, family: 'YandexBot', category: 'bot' },
  { re: /Yahoo! Slurp/i, family: 'Yahoo! Slurp', category: 'bot' },
  { re: /facebookexternalhit\/([\d.]+)/i, family: 'facebookexternalhit', category: 'bot' },
  { re: /Twitterbot\/([\d.]+)/i, family: 'Twitterbot', category: 'bot' },
  { re: /AhrefsBot\/([\d.]+)/i, family: 'AhrefsBot', category: 'bot' },
  { re: /SemrushBot\/?([\d.~a-z]+)?/i, family: 'SemrushBot', category: 'bot' },
  { re: /\b(?:bot|crawler|spider)\b/i, family: 'Other bot', category: 'bot' },
];

const BROWSERS: { re: RegExp; family: string }[] = [
  { re: /Edg(?:e|A|iOS)?\/([\d.]+)/, family: 'Edge' },
  { re: /(?:OPR|Opera)\/([\d.]+)/, family: 'Opera' },
  { re: /SamsungBrowser\/([\d.]+)/, family: 'Samsung Internet' },
  { re: /(?:Firefox|FxiOS)\/([\d.]+)/, family: 'Firefox' },
  { re: /(?:Chrome|CriOS)\/([\d.]+)/, family: 'Chrome' },
  { re: /Version\/([\d.]+).*Safari\//, family: 'Safari' },
  { re: /MSIE ([\d.]+)/, family: 'IE' },
  { re: /Trident\/.*rv:([\d.]+)/, family: 'IE' },
];

const WINDOWS: Record<string, string> = { '10.0': '10', '6.3': '8.1', '6.2': '8', '6.1': '7', '6.0': 'Vista', '5.2': 'XP', '5.1': 'XP' };

function os(ua: string): { family: string | null; version: string | null } {
  let m: RegExpExecArray | null;
  if ((m = /Windows NT ([\d.]+)/.exec(ua))) return { family: 'Windows', version: WINDOWS[m[1]!] ?? m[1]! };
  if (/Windows/.test(ua)) return { family: 'Windows', version: null };
  if ((m = /(?:iPhone|CPU) OS ([\d_]+)/.exec(ua))) return { family: 'iOS', version: m[1]!.replace(/_/g, '.') };
  if ((m = /Mac OS X ([\d_.]+)/.exec(ua))) return { family: 'Mac OS X', version: m[1]!.replace(/_/g, '.') };
  if (/Macintosh/.test(ua)) return { family: 'Mac OS X', version: null };
  if ((m = /Android ([\d.]+)/.exec(ua))) return { family: 'Android', version: m[1]! };
  if (/CrOS/.test(ua)) return { family: 'Chrome OS', version: null };
  if (/Linux|X11/.test(ua)) return { family: 'Linux', version: null };
  return { family: null, version: null };
}

function device(ua: string, category: Category): string {
  if (category === 'bot' || category === 'scanner') return 'Spider';
  if (category !== 'browser') return 'Other';
  if (/iPad|Tablet/.test(ua) || (/Android/.test(ua) && !/Mobile/.test(ua))) return 'Tablet';
  if (/iPhone|iPod|Mobile|Android/.test(ua)) return 'Mobile';
  return 'Desktop';
}

export function parseUserAgent(ua: string): Record<string, unknown> {
  let family: string | null = null, version: string | null = null, category: Category = 'unknown';
  for (const r of TOOLS) {
    const m = r.re.exec(ua);
    if (m) { family = r.family; version = m[1] ?? null; category = r.category; break; }
  }
  if (!family && /Mozilla\/|Opera\//.test(ua)) {
    for (const b of BROWSERS) {
      const m = b.re.exec(ua);
      if (m) { family = b.family; version = m[1] ?? null; category = 'browser'; break; }
    }
  }
  return {
    browser: { family, version },
    os: os(ua),
    device: { family: device(ua, category) },
    category,
  };
}

def('parse_user_agent', [S | Z], O, (s: unknown) => parseUserAgent(str('parse_user_agent', s).slice(0, 2048)), { fresh: true });
