/**
 * Every component definition, listed explicitly and sorted by kind then type. Adding a component
 * means adding one line here; nothing registers itself by being imported.
 */
import type { ComponentDefinition } from '../core/component.js';
import { Registry } from '../engine/registry.js';

import demo from './sources/demo/index.js';
import fileSource from './sources/file/index.js';
import httpServer from './sources/http_server/index.js';
import stdin from './sources/stdin/index.js';
import syslog from './sources/syslog/index.js';

import dedupe from './transforms/dedupe/index.js';
import detect from './transforms/detect/index.js';
import filter from './transforms/filter/index.js';
import geoip from './transforms/geoip/index.js';
import httpEnrich from './transforms/http_enrich/index.js';
import lookup from './transforms/lookup/index.js';
import normalize from './transforms/normalize/index.js';
import parse from './transforms/parse/index.js';
import remap from './transforms/remap/index.js';
import route from './transforms/route/index.js';
import sample from './transforms/sample/index.js';
import threatIntel from './transforms/threat_intel/index.js';
import throttle from './transforms/throttle/index.js';

import blackhole from './sinks/blackhole/index.js';
import console from './sinks/console/index.js';
import elasticsearch from './sinks/elasticsearch/index.js';
import fileSink from './sinks/file/index.js';
import http from './sinks/http/index.js';
import email from './sinks/email/index.js';
import pagerduty from './sinks/pagerduty/index.js';
import slack from './sinks/slack/index.js';
import webhook from './sinks/webhook/index.js';

export const definitions: readonly ComponentDefinition<any, any>[] = [
  demo, fileSource, httpServer, stdin, syslog,
  dedupe, detect, filter, geoip, httpEnrich, lookup, normalize, parse, remap, route, sample, threatIntel, throttle,
  blackhole, console, elasticsearch, email, fileSink, http, pagerduty, slack, webhook,
];

export const registry = new Registry(definitions);
