#!/usr/bin/env node
// Runs the compiled CLI (no TypeScript loader at start-up); `npm run build` produces dist/.
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('vigil: error: not built yet; run `npm run build` first');
    process.exit(1);
  }
  throw err;
});
