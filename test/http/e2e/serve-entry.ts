// `mge serve` as its own process, for the SIGTERM tests (the real signal path, the real exit):
// through `main`, as bin/mge.js runs it.
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(['serve', ...process.argv.slice(2)]);
