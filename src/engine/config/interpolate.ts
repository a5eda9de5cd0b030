/**
 * `${VAR}`, `${VAR:-default}` and `$${...}` (a literal `${...}`) in config strings. Interpolation
 * happens on parsed scalar values, not on raw text, so an environment value can never inject YAML
 * structure, and positions stay exact. Values stay strings: the option's schema reads `"7"` as 7
 * where it wants a number (`count: ${N}`), and a string option keeps `${ROUTING_KEY}` = `0123` as
 * written, leading zero and all. A scalar that is entirely one `${...}` and resolves to an empty
 * string leaves the option unset (`count: ${N:-}`).
 */
import type { Path } from '../../core/schema.js';

export interface InterpolationIssue { path: Path; message: string; hint: string }

const pattern = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?)(?::-([^}]*))?\}/g;

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: Path, issues: InterpolationIssue[]): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path, issues);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], issues));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, [...path, k], issues);
    return out;
  }
  return value;
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, path: Path, issues: InterpolationIssue[]): unknown {
  if (!text.includes('${')) return text;
  let whole = false;
  const out = text.replace(pattern, (match, escaped: string, name: string, def: string | undefined, offset: number) => {
    if (escaped) return match.slice(1);
    // `${secret:NAME}` reads the secret from the environment variable NAME.
    const varName = name.startsWith('secret:') ? name.slice(7) : name;
    const v = env[varName];
    if (match.length === text.length && offset === 0) whole = true;
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    if (v === '') return v;
    issues.push({ path, message: `environment variable ${varName} is not set`, hint: `export ${varName}=... before starting, or give a default: \${${varName}:-value}` });
    return '';
  });
  // `count: ${N:-}` with N unset means the option is not set at all.
  if (whole && out === '') return undefined;
  return out;
}
