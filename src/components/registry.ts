/**
 * Every component definition, listed explicitly and sorted by kind then type. Adding a component
 * means adding one line here; nothing registers itself by being imported.
 */
import type { ComponentDefinition } from '../core/component.js';
import { Registry } from '../engine/registry.js';

import stdin from './sources/stdin/index.js';

import filter from './transforms/filter/index.js';

import blackhole from './sinks/blackhole/index.js';
import console from './sinks/console/index.js';

export const definitions: readonly ComponentDefinition<any, any>[] = [
  stdin,
  filter,
  blackhole, console,
];

export const registry = new Registry(definitions);
