// `mge serve` from source, for tests that need the real sidecar process: what bin/mge.js runs
// from dist/ after a build, without needing the build.

import { main } from '../../src/cli/main.js';

process.exitCode = await main(['serve', ...process.argv.slice(2)]);
