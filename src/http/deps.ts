// What the HTTP app is built from. Everything stateful is injected, so the same app runs on
// every runtime (each adapter picks stores) and tests can hand in fakes that fail on purpose.

import type { Engine } from '../engine/engine.js';
import type { JsonLimits } from '../json/strict-parse.js';
import type { CryptoBackend } from '../receipt/backend.js';
import type { Signer } from '../receipt/sign.js';
import type { NonceStore } from '../state/nonce-store.js';
import type { ApiKey } from './api-keys.js';
import type { AuditPort } from './audit-port.js';
import type { PreReadBody } from './body.js';
import type { Principal } from './auth.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger, LogFields, RepeatedError } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import type { RuleStore } from './rule-store.js';

export interface AppDeps {
  engine: Engine;
  signer: Signer;
  nonceStore: NonceStore;
  audit: AuditPort;
  /** Keeps rules added over HTTP across restarts; without one they live in memory only. */
  ruleStore?: RuleStore;
  /**
   * Why no rule can be changed over HTTP on this server, if none can: PUT and DELETE of rules
   * then answer 409 with it (the standalone app of Bun, Deno and Workers: src/http/standalone.ts).
   */
  rulesReadOnly?: string;
  /** Told once a tenant's API rule change is logged and serving (the Node sidecar keeps its record of the rules in force). */
  rulesChanged?: (tenant: string) => Promise<void> | void;
  /** Configured API keys; empty means local open mode (SPEC §7). */
  keys: readonly ApiKey[];
  logger?: Logger;
  /** Hashes presented API keys; WebCrypto by default, node:crypto on Node (no thread-pool hop). */
  crypto?: CryptoBackend;
  /** Epoch milliseconds; the receipt clock is the signer's own. */
  now?: () => number;
  lifecycle?: Lifecycle;
  metrics?: ServerMetrics;
  limits?: Partial<JsonLimits>;
  /** Receipt verification clock-skew allowance, default 5 s. */
  skewMs?: number;
  /** Reported in /openapi.json. */
  version?: string;
  /**
   * The body an adapter already read for this request, from its bindings (`c.env`); the Node
   * adapter reads bodies with Node streams, capped at the limit + 1, and hands them here with
   * the request's Content-Type.
   */
  preReadBody?: (env: unknown) => PreReadBody | undefined;
  /**
   * The request's Host header from the adapter's bindings (`c.env`), where that is cheaper than
   * the web Headers (Node); undefined: read from the Request. Only the open mode reads it.
   */
  requestHost?: (env: unknown) => string | undefined;
  /** Extra readiness condition (e.g. the audit store opened); /readyz also fails while draining. */
  ready?: () => boolean;
  /**
   * Why this server can serve no more until it is restarted (its data directory's lock taken
   * by another process), or undefined while it can: /healthz fails then, so a liveness probe
   * restarts it instead of leaving it answering 503 for good.
   */
  dead?: () => string | undefined;
  /**
   * Resolves when a check or a receipt verification may start its work. Absent, at once. The
   * Node adapter defers them to the end of the event loop's I/O phase, so those of one turn
   * run back to back and their answers leave together (src/adapters/node/check-turn.ts).
   */
  checkTurn?: () => Promise<void> | undefined;
  /**
   * The server already refuses a Host that is not a host and resolves `.`/`..` segments before
   * the app sees the URL (the Node adapter does): the app then skips its own check
   * (src/http/request-url.ts), which would cost a web Headers object per request there.
   */
  urlChecked?: boolean;
}

/** The resolved dependencies the routes see: every optional one filled in. */
export interface AppContext extends Required<Omit<AppDeps, 'limits' | 'skewMs' | 'ruleStore' | 'checkTurn' | 'urlChecked' | 'requestHost' | 'rulesChanged' | 'rulesReadOnly' | 'dead'>> {
  rulesReadOnly: AppDeps['rulesReadOnly'];
  dead: AppDeps['dead'];
  checkTurn: AppDeps['checkTurn'];
  rulesChanged: AppDeps['rulesChanged'];
  /** For errors every request may hit (a failed audit store): a line per kind per 10 s. */
  logRepeated: RepeatedError;
  /**
   * For refused credentials (401, 403): a line each, up to a rate per `key` (logger.ts
   * rateLimitedWarnEach): every 401 shares one, each refused key id has its own.
   */
  logRefused: (key: string, msg: string, fields: LogFields) => void;
  limits: JsonLimits;
  skewMs: number | undefined;
  ruleStore: RuleStore | undefined;
}

/** Hono's per-request variables: the authenticated caller. */
export type HttpEnv = { Variables: { principal: Principal } };
