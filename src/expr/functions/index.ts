// Loads every function module (each registers its functions on import).
import './strings.js';
import './parse.js';
import './syslog.js';
import './useragent.js';
import './time.js';
import './network.js';
import './encoding.js';
import './types.js';
import './collections.js';

export { lookup, registeredNames, type FnDef } from './registry.js';
