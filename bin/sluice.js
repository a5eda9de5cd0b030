#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/src/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    console.error('sluice is not built yet: run `npm run build` (npm install does it) and try again.');
    process.exit(1);
  }
  throw e;
});
