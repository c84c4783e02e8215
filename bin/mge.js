#!/usr/bin/env node
// The `mge` command: runs the compiled CLI (built by `npm install` through the prepare script).
import { main } from '../dist/src/cli/main.js';

// Should the process end before main settles (nothing left to wait on), that is an error, not
// an exit 0 that reads as "approved".
process.exitCode = 2;
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`mge: ${err?.stack ?? err}`); process.exitCode = 2; },
);
