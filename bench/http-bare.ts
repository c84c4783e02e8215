// The baselines for bench/http.ts: a bare Hono endpoint that only parses a JSON body and echoes
// it. Whatever MGE adds (strict parse, limits, evaluation, signing, audit) is measured against
// these.
//   (default)     Hono as usually written on @hono/node-server: `c.json(await c.req.json())`,
//                 the body read through the web Request's stream.
//   --pre-read    the same echo served the way `mge serve` serves its app (startNodeServer:
//                 Node's stream reads the body first, the handler takes the bytes from the
//                 bindings), so the only difference left to MGE is its own per-request work.
//   --as-mge      that, and each request waits for the check phase of the event loop's turn
//                 as `mge serve`'s checks do (src/adapters/node/check-turn.ts): the same server
//                 machinery as mge serve, around an echo.

import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { nodeCheckTurn } from '../dist/src/adapters/node/check-turn.js';
import { preReadBodyOf } from '../dist/src/adapters/node/body.js';
import { startNodeServer } from '../dist/src/adapters/node/server.js';

const preRead = process.argv.includes('--pre-read') || process.argv.includes('--as-mge');
// --as-mge: also wait for the turn's check phase as `mge serve` does (src/adapters/node/check-turn.ts).
const turn = process.argv.includes('--as-mge') ? nodeCheckTurn() : undefined;
const decoder = new TextDecoder();
const app = new Hono();
const echoPreRead = (c: Context) => c.json(JSON.parse(decoder.decode(preReadBodyOf(c.env)?.bytes)));
if (turn) app.post('/echo', async (c) => (await turn(), echoPreRead(c)));
else if (preRead) app.post('/echo', echoPreRead);
else app.post('/echo', async (c) => c.json(await c.req.json()));

const listening = (port: number): void => void process.stdout.write(`bare: listening on http://127.0.0.1:${port}\n`);
if (preRead) {
  const running = await startNodeServer(app.fetch, { host: '127.0.0.1', port: 0 });
  listening(running.port);
  process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
} else {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => listening(info.port));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
