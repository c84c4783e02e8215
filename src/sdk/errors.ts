// The SDK's failures, one small class each, so callers branch on `instanceof` instead of parsing
// messages. Every HTTP failure carries the server's problem+json (SPEC §8, RFC 9457) as sent.

import type { Decision, Diagnostic, Violation } from '../ir/types.js';

/** An RFC 9457 problem document as the server sends it; extra members are kept. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  [member: string]: unknown;
}

/** Base class of every error the SDK throws on purpose. */
export class MGEError extends Error {
  override name = 'MGEError';
}

/**
 * The server answered with an error status. `problem` is the body it sent (or one made up from
 * the status line when the body was not problem+json).
 *
 * @example
 * try { await client.rules.get('nope') } catch (e) { if (e instanceof MGEHttpError) e.status }
 */
export class MGEHttpError extends MGEError {
  override name = 'MGEHttpError';
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string | undefined;

  constructor(readonly problem: Problem, readonly method: string, readonly url: string) {
    super(`${method} ${url}: ${problem.status} ${problem.title}${problem.detail ? ` — ${problem.detail}` : ''}`);
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.type = problem.type;
  }
}

/** 401: no API key, or one the server does not know. */
export class MGEUnauthorized extends MGEHttpError {
  override name = 'MGEUnauthorized';
}

/** 403: the key's roles or tenant do not allow this call. */
export class MGEForbidden extends MGEHttpError {
  override name = 'MGEForbidden';
}

/** 404: no such rule, decision or route. */
export class MGENotFound extends MGEHttpError {
  override name = 'MGENotFound';
}

/** 409: e.g. a global (file) rule, read-only over HTTP. */
export class MGEConflict extends MGEHttpError {
  override name = 'MGEConflict';
}

/** 422: the rule text did not load; `diagnostics` holds the loader's complaints when sent. */
export class MGEInvalidRule extends MGEHttpError {
  override name = 'MGEInvalidRule';
  get diagnostics(): Diagnostic[] {
    const d = this.problem.diagnostics;
    return Array.isArray(d) ? (d as Diagnostic[]) : [];
  }
}

/** 429: the server is overloaded; retried for idempotent calls. */
export class MGEOverloaded extends MGEHttpError {
  override name = 'MGEOverloaded';
}

const BY_STATUS: Record<number, new (p: Problem, m: string, u: string) => MGEHttpError> = {
  401: MGEUnauthorized,
  403: MGEForbidden,
  404: MGENotFound,
  409: MGEConflict,
  422: MGEInvalidRule,
  429: MGEOverloaded,
};

/**
 * The most specific error class for a problem document.
 * @example httpError({ title: 'Unauthorized', status: 401 }, 'GET', url) // an MGEUnauthorized
 */
export function httpError(problem: Problem, method: string, url: string): MGEHttpError {
  const Cls = BY_STATUS[problem.status] ?? MGEHttpError;
  return new Cls(problem, method, url);
}

/** The SDK was set up in a way that cannot work (e.g. a verifier without keys). */
export class MGEConfigError extends MGEError {
  override name = 'MGEConfigError';
}

/** The server did not answer within `timeoutMs` (per attempt). */
export class MGETimeoutError extends MGEError {
  override name = 'MGETimeoutError';
  constructor(readonly method: string, readonly url: string, readonly timeoutMs: number) {
    super(`${method} ${url}: no answer within ${timeoutMs} ms`);
  }
}

/** The request never got an HTTP answer (connection refused, DNS, reset). */
export class MGENetworkError extends MGEError {
  override name = 'MGENetworkError';
  constructor(readonly method: string, readonly url: string, override readonly cause: unknown) {
    super(`${method} ${url}: ${networkDetail(cause)}`);
  }
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:8080`: Node's fetch keeps the reason in `cause`, and "fetch failed" alone told nothing. */
function networkDetail(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  return inner instanceof Error && inner.message !== '' && inner.message !== cause.message ? `${cause.message}: ${inner.message}` : cause.message;
}

/** A success status whose body is not what the API promises (not JSON, wrong shape). */
export class MGEProtocolError extends MGEError {
  override name = 'MGEProtocolError';
  constructor(readonly method: string, readonly url: string, reason: string) {
    super(`${method} ${url}: ${reason}`);
  }
}

/**
 * MGE denied the action a guarded function was about to perform; the function did not run.
 *
 * @example
 * try { await guardedDelete('users') } catch (e) { if (e instanceof ActionDenied) log(e.violations) }
 */
export class ActionDenied extends MGEError {
  override name = 'ActionDenied';
  readonly violations: Violation[];
  readonly reasoning: string;
  constructor(readonly decision: Decision) {
    super(decision.reasoning);
    this.violations = decision.violations;
    this.reasoning = decision.reasoning;
  }
}

/** A receipt failed verification (SPEC §5 reason codes); the guarded function did not run. */
export class ReceiptRejected extends MGEError {
  override name = 'ReceiptRejected';
  constructor(readonly reason: string, readonly decision: Decision) {
    super(`receipt of \`${decision.decision_id}\` rejected: ${reason}`);
  }
}

/**
 * The RuleBuilder refused input; `diagnostics` are exactly what the rule loader reports for the
 * same rule written as a file.
 */
export class RuleBuildError extends MGEError {
  override name = 'RuleBuildError';
  constructor(readonly diagnostics: Diagnostic[], summary?: string) {
    super(summary ?? diagnostics.map((d) => d.message + (d.help ? ` (help: ${d.help})` : '')).join('; '));
  }
}
