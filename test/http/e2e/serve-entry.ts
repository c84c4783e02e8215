// `mge serve` as its own process, for the SIGTERM test (the real signal path, the real exit).
import { serveCommand } from '../../../src/cli/serve.js';

process.exitCode = await serveCommand(process.argv.slice(2));
