/**
 * Apache combined log lines: ordinary shop traffic, health probes, and scanner bursts (nikto,
 * sqlmap, directory brute force) that produce runs of 404s, SQL injection and path traversal.
 */
import { apacheTime, type DemoEvent, type Line, type Scenario } from './scenario.js';

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
];
const BOTS = ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'curl/8.5.0'];

/** [method, path, status, bytes range, weight] */
const PAGES: readonly (readonly [string, string, number, [number, number], number])[] = [
  ['GET', '/', 200, [4000, 9000], 8],
  ['GET', '/products', 200, [12000, 30000], 6],
  ['GET', '/products/{id}', 200, [5000, 15000], 8],
  ['GET', '/static/app.{hash}.js', 200, [80000, 250000], 5],
  ['GET', '/static/style.{hash}.css', 304, [0, 0], 4],
  ['GET', '/api/v1/cart', 200, [200, 2000], 4],
  ['POST', '/api/v1/orders', 201, [300, 900], 2],
  ['POST', '/login', 302, [0, 0], 2],
  ['POST', '/login', 401, [120, 180], 0.5],
  ['GET', '/favicon.ico', 404, [196, 196], 1],
  ['GET', '/api/v1/search?q={term}', 200, [1000, 8000], 3],
];
const PAGE_WEIGHTS = PAGES.map((p) => [p, p[4]] as const);
const TERMS = ['shoes', 'red+jacket', 'gift+card', 'usb-c', 'tent'];

const SCANNERS = {
  nikto: 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:{test})',
  sqlmap: 'sqlmap/1.8.4#stable (https://sqlmap.org)',
  gobuster: 'gobuster/3.6',
};
const PROBE_PATHS = [
  '/wp-login.php', '/wp-admin/', '/xmlrpc.php', '/.env', '/.git/config', '/phpmyadmin/', '/admin/', '/server-status',
  '/config.php.bak', '/backup.zip', '/.aws/credentials', '/cgi-bin/test.cgi', '/actuator/env', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
];
const TRAVERSALS = ['/../../../../etc/passwd', '/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd', '/static/..%2f..%2f..%2fetc%2fshadow', '/download?file=../../../../etc/passwd'];
const SQLI = ["1'", '1%27%20OR%20%271%27%3D%271', '1%20AND%201%3D1--%20', '1%20UNION%20ALL%20SELECT%20NULL%2CNULL%2Cversion()--%20', "1'%20AND%20SLEEP(5)--%20"];

function apache(t: number, ip: string, method: string, path: string, status: number, bytes: number, referer: string, ua: string): DemoEvent {
  return {
    message: `${ip} - - ${apacheTime(t)} "${method} ${path} HTTP/1.1" ${status} ${status === 304 || bytes === 0 ? '-' : bytes} "${referer}" "${ua}"`,
    source_type: 'apache',
    timestamp: new Date(t).toISOString(),
  };
}

export const web: Scenario = {
  weight: 5,
  firstAttack: [60, 200],
  attackEvery: [300, 800],

  background(rng, t) {
    if (rng.chance(0.08)) return apache(t, '10.0.0.5', 'GET', '/healthz', 200, 2, '-', 'kube-probe/1.29');
    // Shoppers come from anywhere on the internet; some from the documentation ranges, so the
    // sample threat feed's credential-stuffing address turns up among them now and then.
    const ip = rng.chance(0.6) ? rng.publicIp() : rng.ip24(rng.pick(['192.0.2', '198.51.100']));
    const [method, template, status, [lo, hi]] = rng.weighted(PAGE_WEIGHTS);
    const path = template
      .replace('{id}', String(rng.int(1000, 9999)))
      .replace('{hash}', rng.chars(8, '0123456789abcdef'))
      .replace('{term}', rng.pick(TERMS));
    const ua = rng.chance(0.9) ? rng.pick(BROWSERS) : rng.pick(BOTS);
    const referer = rng.chance(0.6) ? `https://shop.example.com${rng.pick(['/', '/products', '/cart'])}` : '-';
    return apache(t, ip, method, path, status, rng.int(lo, hi), referer, ua);
  },

  attack(rng) {
    const ip = rng.ip24('203.0.113');
    const tool = rng.pick(['nikto', 'sqlmap', 'gobuster'] as const);
    const n = rng.int(20, 60);
    const lines: Line[] = [];
    for (let i = 0; i < n; i++) {
      let method = 'GET';
      let path: string;
      let status = 404;
      let bytes = 196;
      let ua = SCANNERS[tool];
      if (tool === 'sqlmap') {
        path = `/products?id=${rng.pick(SQLI)}`;
        status = rng.weighted([[200, 3], [500, 2], [400, 1]] as const);
        bytes = status === 200 ? rng.int(5000, 15000) : rng.int(300, 800);
      } else {
        path = rng.chance(0.2) ? rng.pick(TRAVERSALS) : rng.pick(PROBE_PATHS);
        if (path.startsWith('/../')) { status = 400; bytes = 226; }
        else if (path === '/server-status' || path === '/.git/config') { status = 403; bytes = 199; }
        else if (path === '/xmlrpc.php' || path === '/wp-login.php') method = rng.pick(['GET', 'POST']);
        if (tool === 'nikto') ua = ua.replace('{test}', String(rng.int(1, 9999)).padStart(6, '0'));
      }
      const [m, p, s, b, u] = [method, path, status, bytes, ua];
      lines.push((t) => apache(t, ip, m, p, s, b, '-', u));
    }
    return lines;
  },
};
