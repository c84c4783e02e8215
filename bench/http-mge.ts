// `mge serve` for bench/http.ts, run from source through tsx like the baseline.
import { serveCommand } from '../src/cli/serve.js';

process.exitCode = await serveCommand(process.argv.slice(2));
