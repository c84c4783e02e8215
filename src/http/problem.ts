// RFC 9457 problem details: every failure the HTTP API reports (SPEC §8) is one of these.
// Handlers throw a named subclass; the app's error handler turns it into the response, so no
// route builds an error body by hand and every status carries the same shape.

import type { Json } from '../ir/types.js';

const TYPE_BASE = 'urn:mge:problem:';

/** A failure with an HTTP status; `slug` becomes the problem `type` (`urn:mge:problem:<slug>`). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    /** Extension members (RFC 9457 §3.2), e.g. `diagnostics` for an invalid rule. */
    readonly extensions: { [key: string]: Json } = {},
    readonly headers: { [name: string]: string } = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class BadRequest extends HttpProblem {
  constructor(detail: string, extensions?: { [key: string]: Json }) {
    super(400, 'bad-request', 'Bad request', detail, extensions);
  }
}

export class Unauthorized extends HttpProblem {
  constructor(detail: string) {
    super(401, 'unauthorized', 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer realm="mge"' });
  }
}

export class Forbidden extends HttpProblem {
  constructor(
    detail: string,
    /** The key refused, for the server's log line (never in the answer): which client to fix. */
    readonly by?: { tenant: string; keyId: string },
  ) {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

export class NotFound extends HttpProblem {
  constructor(detail: string) {
    super(404, 'not-found', 'Not found', detail);
  }
}

export class MethodNotAllowed extends HttpProblem {
  constructor(detail: string, allow: string) {
    super(405, 'method-not-allowed', 'Method not allowed', detail, {}, { allow });
  }
}

export class Conflict extends HttpProblem {
  constructor(detail: string) {
    super(409, 'conflict', 'Conflict', detail);
  }
}

/** A request that did not arrive whole in time (a stalled upload holds a connection). */
export class RequestTimeout extends HttpProblem {
  constructor(detail = 'the request did not arrive whole in time') {
    // The rest of the body may still come: the connection is not reused (RFC 9110 §15.5.9).
    super(408, 'request-timeout', 'Request timeout', detail, {}, { connection: 'close' });
  }
}

export class PayloadTooLarge extends HttpProblem {
  constructor(detail: string) {
    super(413, 'payload-too-large', 'Payload too large', detail);
  }
}

export class UnsupportedMediaType extends HttpProblem {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported media type', detail);
  }
}

export class InvalidRule extends HttpProblem {
  constructor(detail: string, diagnostics: Json[]) {
    super(422, 'invalid-rule', 'Invalid rule', detail, { diagnostics });
  }
}

export class Overloaded extends HttpProblem {
  constructor(detail: string, retryAfterSeconds = 1) {
    super(429, 'overloaded', 'Server overloaded', detail, {}, { 'retry-after': String(retryAfterSeconds) });
  }
}

export class InternalError extends HttpProblem {
  constructor(detail = 'internal error; nothing was approved') {
    super(500, 'internal', 'Internal server error', detail);
  }
}

export class StoreUnavailable extends HttpProblem {
  /** `retryAfterSeconds`: when the store is tried again (a failed audit log: its reopen). */
  constructor(detail: string, retryAfterSeconds = 1) {
    super(503, 'store-unavailable', 'Store unavailable', detail, {}, { 'retry-after': String(retryAfterSeconds) });
  }
}

/**
 * The server cannot serve as deployed (a Worker with a binding missing or not loading): 503,
 * with no Retry-After, since retrying soon changes nothing until it is deployed again.
 */
export class NotConfigured extends HttpProblem {
  constructor(detail: string) {
    super(503, 'not-configured', 'Not configured', detail);
  }
}

export class ShuttingDown extends HttpProblem {
  constructor() {
    super(503, 'shutting-down', 'Shutting down', 'the server is shutting down; retry on another instance', {}, { 'retry-after': '1', connection: 'close' });
  }
}

/**
 * The problem+json body for `p` (also written by the Node adapter for requests that never reach
 * the app).
 */
export function problemBody(p: HttpProblem, instance?: string): string {
  const body: { [key: string]: Json } = {
    type: TYPE_BASE + p.slug,
    title: p.title,
    status: p.status,
    detail: p.detail,
    ...p.extensions,
  };
  if (instance !== undefined) body.instance = instance;
  return JSON.stringify(body);
}

/**
 * The problem+json response for `p`.
 * @example problemResponse(new NotFound('no rule `x`')) // 404, application/problem+json
 */
export function problemResponse(p: HttpProblem, instance?: string): Response {
  return new Response(problemBody(p, instance), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...p.headers },
  });
}
