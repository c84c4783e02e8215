// Cloudflare Workers (workerd): the same app as a module worker. Workers refuse to compile
// wasm from bytes, so the VM comes in as a precompiled module import; rules are bundled with
// the worker. There is no file system: nonces, rate buckets and the audit log are in memory,
// per isolate (see docs/http.md for what that means for audit durability).

import type { RuleSource } from '../engine/engine.js';
import { createStandaloneApp } from '../http/standalone.js';
import { consoleLogger } from '../http/logger.js';
import { NotConfigured, problemResponse } from '../http/problem.js';
import { rawPath } from '../http/request-url.js';

/** Bindings read from the worker's environment (secrets and vars). */
export interface WorkerEnv {
  MGE_SECRET_KEY?: string;
  MGE_API_KEYS?: string;
  /** `local`: serve the open mode (no keys) — for a worker run on your own machine only. */
  MGE_OPEN_MODE?: string;
}

/** A binding the worker needs is missing: named in the 503 (it tells nothing of any value). */
class UnboundError extends Error {}

/**
 * @example
 * import wasm from './mge.wasm';
 * export default createWorker({ rules, wasm });
 */
export function createWorker(opts: { rules: RuleSource[]; wasm: WebAssembly.Module }) {
  let app: Promise<(req: Request) => Response | Promise<Response>> | undefined;
  let reported = false;
  return {
    async fetch(req: Request, env: WorkerEnv): Promise<Response> {
      // Built on the first request: secrets are only available through `env` at request time.
      app ??= (async () => {
        if (!env.MGE_SECRET_KEY) throw new UnboundError('MGE_SECRET_KEY is not bound; refusing to start without a signing secret');
        // A deployed worker is reachable from anywhere: no keys means open mode (every role)
        // only when the operator says the worker runs locally.
        if (!env.MGE_API_KEYS?.trim() && env.MGE_OPEN_MODE !== 'local') {
          throw new UnboundError('MGE_API_KEYS is not bound; a Worker is reachable from the network, so it does not serve the open mode (bind MGE_OPEN_MODE=local to allow it on your own machine)');
        }
        const logger = consoleLogger();
        // Open mode allowed above (MGE_OPEN_MODE=local): a blank binding is no keys.
        const apiKeys = env.MGE_API_KEYS?.trim() ? env.MGE_API_KEYS : undefined;
        const built = await createStandaloneApp({ rules: opts.rules, wasm: opts.wasm, secret: env.MGE_SECRET_KEY, ...(apiKeys !== undefined ? { apiKeys } : {}), logger });
        return built.app.fetch;
      })();
      let fetch: (req: Request) => Response | Promise<Response>;
      try {
        fetch = await app;
      } catch (err) {
        // Fail closed, as problem+json: a misconfigured worker answers every request 503. A
        // missing binding is named; what a bound value holds (a key list, rules) is told to the
        // worker's log only: every caller, authenticated or not, gets this answer.
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof UnboundError) return problemResponse(new NotConfigured(`the worker is not configured: ${message}`), rawPath(req.url));
        if (!reported) console.error(`mge worker: the configuration does not load: ${message}`);
        reported = true;
        return problemResponse(new NotConfigured('the worker\'s configuration does not load; its log says why'), rawPath(req.url));
      }
      return fetch(req);
    },
  };
}
