// Bun: the same app, served by Bun.serve. Bun has a file system, but this adapter keeps every
// store in memory (nonces, rate buckets, audit log) so it behaves like the other web runtimes;
// use `mge serve` on Node for the durable file audit log.

import { consoleLogger } from '../http/logger.js';
import { createStandaloneApp, type StandaloneOptions } from '../http/standalone.js';

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
declare const Bun: { serve(opts: { fetch: (req: Request) => Response | Promise<Response>; hostname: string; port: number; idleTimeout?: number }): BunServer };

/**
 * Seconds Bun lets a request take without finishing (its default, 10, cut off a slow upload
 * still arriving, with no answer): past the app's own 30 s body deadline, so the
 * app answers 408 first. Idle keep-alive connections are held as long.
 */
const IDLE_TIMEOUT_S = 35;

/** @example const { url } = await serveOnBun({ rules, secret, host: '127.0.0.1', port: 8080 }) */
export async function serveOnBun(opts: StandaloneOptions & { host: string; port: number }): Promise<{ url: string; stop(): Promise<void> }> {
  const { app } = await createStandaloneApp({ ...opts, logger: opts.logger ?? consoleLogger() });
  const server = Bun.serve({ fetch: app.fetch, hostname: opts.host, port: opts.port, idleTimeout: IDLE_TIMEOUT_S });
  return { url: `http://${opts.host}:${server.port}`, stop: async () => void (await server.stop()) };
}
