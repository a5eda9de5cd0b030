/**
 * The pipelines that ship with Sluice (sigma/pipelines/*.yml) and the loader for `--pipeline`:
 * a built-in name, or the path of a pySigma-style pipeline file.
 *
 * The YAML files live outside dist/ so users can read (and copy) them; they are found relative to
 * this module, which runs from dist/src/sigma/. Built-ins are parsed once per process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePipeline, PipelineError, type Pipeline } from './pipeline.js';

export const BUILTIN_PIPELINES = {
  windows: 'SigmaHQ Windows rules on raw Windows events: flat (NXLog, OTRF), Event.System/EventData (event XML as JSON), winlogbeat',
  ocsf: 'SigmaHQ Windows, Linux and cloud rules on events normalized to OCSF 1.8.0 by Sluice\'s packs',
  linux: 'SigmaHQ Linux rules on syslog as Sluice parses it, auditd key=value records and Sysmon for Linux',
  cloud: 'SigmaHQ cloud rules on raw AWS CloudTrail, Okta, GitHub audit, Kubernetes audit, Azure, GCP and M365 events',
} as const;

export type BuiltinPipelineName = keyof typeof BUILTIN_PIPELINES;

const DIR = new URL('../../../sigma/pipelines/', import.meta.url);
const cache = new Map<string, Pipeline>();

export function isBuiltinPipeline(name: string): name is BuiltinPipelineName {
  return Object.hasOwn(BUILTIN_PIPELINES, name);
}

/** Where a built-in pipeline's YAML file is. */
export function builtinPipelinePath(name: BuiltinPipelineName): string {
  return fileURLToPath(new URL(`${name}.yml`, DIR));
}

/**
 * A built-in pipeline by name (`windows`), or a pipeline file by path. A name that is neither a
 * built-in nor an existing file is an error that lists the built-ins. Throws PipelineError.
 */
export function loadPipeline(pathOrName: string): Pipeline {
  if (isBuiltinPipeline(pathOrName)) {
    let p = cache.get(pathOrName);
    if (!p) {
      const file = builtinPipelinePath(pathOrName);
      p = parsePipeline(readFileSync(file, 'utf8'), file);
      cache.set(pathOrName, p);
    }
    return p;
  }
  let text: string;
  try {
    text = readFileSync(pathOrName, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const looksLikeName = !/[\\/.]/.test(pathOrName);
    throw new PipelineError([{
      place: { file: pathOrName, line: 1, col: 1 },
      message: looksLikeName
        ? `"${pathOrName}" is not a built-in pipeline and no such file exists`
        : `cannot read the pipeline file: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      hint: `built-in pipelines: ${Object.keys(BUILTIN_PIPELINES).join(', ')}; or give the path of a pipeline YAML file`,
    }]);
  }
  return parsePipeline(text, pathOrName);
}
