// The baseline for bench/http.ts: a bare Hono endpoint on @hono/node-server that only parses a
// JSON body and echoes it. Whatever MGE adds (strict parse, limits, evaluation, signing, audit)
// is measured against this.

import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/echo', async (c) => c.json(await c.req.json()));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`bare: listening on http://127.0.0.1:${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
