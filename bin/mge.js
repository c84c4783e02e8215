#!/usr/bin/env node
// The `mge` command: runs the compiled CLI (built by `npm install` through the prepare script).

// Should the process end before main settles (nothing left to wait on), that is an error, not
// an exit 0 that reads as "approved".
process.exitCode = 2;
// `mge serve`: Node's SIGUSR1 opens its inspector to every local user (src/cli/serve.ts,
// ignoreStraySignals): held off from the first moment, not only once the CLI has loaded.
if (process.argv[2] === 'serve') for (const signal of ['SIGUSR1', 'SIGUSR2']) process.on(signal, () => {});
// Loaded here, not imported above: a CLI that cannot be loaded (not built, or out of file
// descriptors) ends with exit 2 and a line saying so, not Node's exit 1, which `mge check`
// uses for "denied" (a review, 11-28).
import('../dist/src/cli/main.js').then(
  ({ main }) => main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(`mge: ${err?.stack ?? err}`); process.exitCode = 2; },
  ),
  (err) => {
    const hint = err?.code === 'ERR_MODULE_NOT_FOUND' ? ' (is it built? run `npm install`, or `npm run build`)' : '';
    console.error(`mge: the command could not be loaded${hint}: ${err?.message ?? err}`);
    process.exitCode = 2;
  },
);
