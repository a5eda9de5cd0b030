/**
 * `sluice validate` builds every component without starting it. So build() must have no side
 * effects: no listening socket, no file or directory created, no timer or connection that keeps
 * the process alive. This builds every registered definition and checks exactly that.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import type { BuildContext } from '../core/component.js';
import { checkConfig, quietLog } from '../engine/testing.js';
import { definitions } from './registry.js';

/**
 * Valid configs per `<kind>/<type>`, chosen to reach the options that could tempt a build() into
 * I/O: listen addresses, relative paths, data dirs, intervals, a CA file. Port 0 so that a
 * regression shows up here as a listening handle, not as an unrelated "address in use".
 */
const configs: Record<string, Record<string, unknown>[]> = {
  'source/demo': [{}, { rate: 0, count: 10 }],
  'source/file': [{ include: ['./logs/*.log'], read_from: 'end', multiline: { start_pattern: '^\\d' } }],
  'source/http_server': [{ address: '127.0.0.1:0', auth: { strategy: 'bearer', token: 'secret' } }],
  'source/stdin': [{}],
  'source/syslog': [{ mode: 'udp', address: '127.0.0.1:0' }, { mode: 'tcp', address: '127.0.0.1:0' }],
  'transform/dedupe': [{ fields: ['message'] }],
  'transform/detect': [{ rules: ['rules/**/*.yml'] }],
  'transform/filter': [{ condition: '.level == "error"' }],
  'transform/geoip': [{ databases: ['builtin:country', { path: './GeoLite2-City.mmdb', refresh_interval: '1m' }] }],
  'transform/http_enrich': [{ key: 'src_endpoint.ip', url: 'https://127.0.0.1:9/ip/{{ key }}', rate_limit: { per_second: 5 }, tls: { ca_file: 'ca.pem' }, headers: { Authorization: 'Bearer x' } }],
  'transform/lookup': [
    { table: { csv: { path: 'assets.csv' } }, key: { field: 'src_endpoint.ip', column: 'network', match: 'cidr' }, mappings: { owner: 'device.owner.name' } },
    { table: { postgres: { connection: 'postgres://127.0.0.1:9/test', query: 'select * from assets' } }, key: { field: 'device.hostname', column: 'host' }, mappings: { owner: 'device.owner.name' } },
    { table: { redis: { url: 'redis://127.0.0.1:9' } }, key: { field: 'user.name' }, mappings: { x: 'y' } },
  ],
  'transform/normalize': [{}, { pack: 'linux_auth', validate: 'warn' }],
  'transform/parse': [{ format: 'json' }, { format: 'regex', regex: { pattern: '(?P<word>\\w+)' } }],
  'transform/remap': [{ source: '.seen = true' }],
  'transform/route': [{ routes: { errors_only: '.level == "error"' } }],
  'transform/sample': [{ rate: 10 }],
  'transform/threat_intel': [{ feeds: { a: { path: 'feeds/ips.txt' }, b: { url: 'https://127.0.0.1:9/f.json', format: 'stix', refresh_interval: '1m' } } }],
  'transform/throttle': [{ threshold: 10, window: '1s' }],
  'sink/blackhole': [{ print_interval: '1s' }],
  'sink/console': [{}],
  'sink/elasticsearch': [{ endpoint: 'https://127.0.0.1:9', index: 'logs-{{ .host }}-%Y.%m.%d', id_field: 'event_id', auth: { strategy: 'api_key', api_key: 'secret' }, tls: { ca_file: 'ca.pem' }, compression: 'gzip' }],
  'sink/email': [{ host: '127.0.0.1', port: 9, from: 'sluice@example.com', to: ['soc@example.com'], auth: { user: 'u', password: 'p' }, tls: { ca_file: 'ca.pem' }, digest: true }],
  'sink/file': [{ path: './out/%Y-%m-%d/{{ .host }}.ndjson', max_file_age: '1h', fsync: true }],
  'sink/http': [{ uri: 'https://127.0.0.1:9/ingest', tls: { ca_file: 'ca.pem' } }],
  'sink/pagerduty': [{ routing_key: '0123456789abcdef0123456789abcdef', url: 'https://127.0.0.1:9/v2/enqueue', action_field: 'status', links: [{ href: 'https://x/{{ .id }}' }], tls: { ca_file: 'ca.pem' } }],
  'sink/slack': [{ webhook_url: 'https://127.0.0.1:9/services/T/B/x', max_per_minute: 10, tls: { ca_file: 'ca.pem' } }],
  'sink/webhook': [{ uri: 'https://127.0.0.1:9/hook', encoding: 'json_array', signature: { secret: 's' }, tls: { ca_file: 'ca.pem' } }],
};

/** Resources that mean a socket, timer, file operation or child process was started. */
const SIDE_EFFECTS = new Set([
  'TCPServerWrap', 'TCPWrap', 'TCPConnectWrap', 'UDPWrap', 'PipeServerWrap', 'Timeout', 'Immediate',
  'FSReqCallback', 'FSReqPromise', 'FileHandle', 'FSEventWrap', 'StatWatcher', 'GetAddrInfoReqWrap', 'ProcessWrap',
]);

function resourceCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (SIDE_EFFECTS.has(r)) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

function tree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
}

test('every registered component has a config here', () => {
  const keys = definitions.map((d) => `${d.kind}/${d.type}`).sort();
  assert.deepEqual(Object.keys(configs).sort(), keys, 'add a config for each new component (and drop removed ones)');
});

test('build() creates no file, directory, socket or timer', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-purity-data-'));
  const cwd = mkdtempSync(join(tmpdir(), 'sluice-purity-cwd-'));
  writeFileSync(join(cwd, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  const before = { data: tree(dataDir), cwd: tree(cwd) };
  const home = process.cwd();
  process.chdir(cwd);
  try {
    for (const def of definitions) {
      const key = `${def.kind}/${def.type}`;
      for (const [i, raw] of (configs[key] ?? []).entries()) {
        const id = `${def.kind}_${def.type}_${i}`;
        const ctx: BuildContext = { id, dataDir: join(dataDir, id), globalDataDir: dataDir, configDir: cwd, log: quietLog };
        const res0 = resourceCounts();
        await def.build(checkConfig(def, raw) as never, ctx);
        // Let deferred work (a listen after address lookup, an un-awaited mkdir) show up.
        await tick();
        await tick();
        const res1 = resourceCounts();
        const gained = [...res1].filter(([r, n]) => n > (res0.get(r) ?? 0)).map(([r, n]) => `${r} +${n - (res0.get(r) ?? 0)}`);
        if (gained.length) {
          // A leaked listener or timer would keep this test process alive forever after the
          // failure is reported; end it once the report is out.
          setTimeout(() => process.exit(1), 2000).unref();
        }
        assert.deepEqual(gained, [], `${key} (config ${i}) left active resources after build()`);
        assert.deepEqual(tree(dataDir), before.data, `${key} (config ${i}) wrote under data_dir during build()`);
        assert.deepEqual(tree(cwd), before.cwd, `${key} (config ${i}) wrote under the working directory during build()`);
      }
    }
  } finally {
    process.chdir(home);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
