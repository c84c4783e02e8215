// Deno: the same app, served by Deno.serve, with every store in memory (nonces, rate buckets,
// audit log); use `mge serve` on Node for the durable file audit log.

import { consoleLogger } from '../http/logger.js';
import { createStandaloneApp, type StandaloneOptions } from '../http/standalone.js';

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
declare const Deno: {
  serve(opts: { hostname: string; port: number; onListen?: () => void }, handler: (req: Request) => Response | Promise<Response>): DenoServer;
};

/** @example const { url } = await serveOnDeno({ rules, secret, host: '127.0.0.1', port: 8080 }) */
export async function serveOnDeno(opts: StandaloneOptions & { host: string; port: number }): Promise<{ url: string; stop(): Promise<void> }> {
  const { app } = await createStandaloneApp({ ...opts, logger: opts.logger ?? consoleLogger() });
  const server = Deno.serve({ hostname: opts.host, port: opts.port, onListen: () => {} }, app.fetch);
  return { url: `http://${opts.host}:${server.addr.port}`, stop: () => server.shutdown() };
}
