// `mge serve` as its own process, for the SIGTERM tests (the real signal path, the real exit):
// through `main`, as bin/mge.js runs it, a failed stop included.
import { main } from '../../../src/cli/main.js';

process.exitCode = 2;
main(['serve', ...process.argv.slice(2)]).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { console.error(`mge: ${(err as Error)?.stack ?? String(err)}`); process.exitCode = 2; },
);
