#!/usr/bin/env node
// The `mge` command: runs the compiled CLI (built by `npm install` through the prepare script).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`mge: ${err?.stack ?? err}`); process.exitCode = 2; },
);
