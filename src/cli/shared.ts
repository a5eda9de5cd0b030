/** Helpers shared by CLI commands: config loading with readable errors, exit codes, colours. */
import { existsSync } from 'node:fs';
import { registry } from '../components/registry.js';
import { exitCodes } from '../core/errors.js';
import { ConfigError, formatProblem, validateConfig, type PipelineConfig } from '../engine/config/index.js';

export const tty = process.stdout.isTTY === true;
export const color = (code: string, text: string, stream: NodeJS.WriteStream = process.stderr) => (stream.isTTY && !process.env.NO_COLOR ? `\x1b[${code}m${text}\x1b[0m` : text);

export function configPaths(given: string[] | undefined): string[] {
  if (given && given.length) return given;
  for (const f of ['sluice.yaml', 'sluice.yml', 'sluice.json']) if (existsSync(f)) return [f];
  fail('no config given and no sluice.yaml here', 'pass one with -c <file|dir> (e.g. sluice run -c examples/quickstart.yaml)', exitCodes.config);
}

/** Load and validate; on problems print them all and exit 78. */
export function loadOrExit(paths: string[]): PipelineConfig {
  try {
    return validateConfig(paths, registry);
  } catch (e) {
    if (e instanceof ConfigError) exitWithConfigError(e);
    throw e;
  }
}

export function exitWithConfigError(e: ConfigError): never {
  for (const p of e.problems) process.stderr.write(colorize(formatProblem(p)) + '\n\n');
  const n = e.problems.length;
  // Start-up failures (an enrichment's database, feed or table cannot load) pass `sluice validate`,
  // which builds without loading: point at the data, not at validate.
  if (e.problems.every((p) => p.message.includes(') could not start: '))) {
    process.stderr.write(color('31', `${n} component${n === 1 ? '' : 's'} could not start.`) + ' Fix the file, URL or server each message names and run again.\n');
  } else {
    process.stderr.write(color('31', `${n} problem${n === 1 ? '' : 's'} in the config.`) + ' Fix them and run `sluice validate -c <config>` again.\n');
  }
  process.exit(exitCodes.config);
}

function colorize(text: string): string {
  return text.replace(/error:/, color('1;31', 'error:')).replace(/hint:/, color('36', 'hint:'));
}

export function fail(message: string, hint?: string, code: number = exitCodes.failure): never {
  process.stderr.write(`${color('1;31', 'error:')} ${message}\n${hint ? `  ${color('36', 'hint:')} ${hint}\n` : ''}`);
  process.exit(code);
}

/** API base URL and headers from flags, the config or the default. */
export function apiTarget(opts: { api?: string; token?: string; config?: string[] }): { base: string; headers: Record<string, string> } {
  let address = opts.api;
  let token = opts.token ?? process.env.SLUICE_API_TOKEN;
  if (!address && opts.config?.length) {
    const cfg = loadOrExit(opts.config);
    if (!cfg.api) fail('the config has no `api` section', 'add `api: { address: 127.0.0.1:8686 }` to the config, or pass --api host:port');
    address = cfg.api.address;
    token ??= cfg.api.token;
  }
  address ??= '127.0.0.1:8686';
  const base = address.startsWith('http') ? address : `http://${address}`;
  return { base, headers: token ? { authorization: `Bearer ${token}` } : {} };
}

export async function apiGet(target: { base: string; headers: Record<string, string> }, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  try {
    const res = await fetch(target.base + path, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? target.headers : { ...target.headers, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (res.status === 401) fail(`the API at ${target.base} wants a token`, 'pass --token or set SLUICE_API_TOKEN');
    return res;
  } catch (e) {
    fail(`cannot reach the Sluice API at ${target.base} (${(e as Error).cause ? String((e as { cause: Error }).cause.message) : (e as Error).message})`, 'is `sluice run` running with `api:` in its config? pass --api host:port or -c <config>');
  }
}
