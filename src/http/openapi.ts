// The OpenAPI 3.1 description served at /openapi.json: every route of SPEC §8, its role, its
// body and responses. Error responses all share the problem+json schema.

import { SCHEMAS } from './openapi-schemas.js';
import { RULE_MEDIA_TYPES } from './rule-format.js';

type Obj = { [key: string]: unknown };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Obj) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

/** A status a route can fail with, or one with the route's own description. */
type Code = number | [number, string];

/** Why any route may answer 400 (the Node server, before the app). */
const UNREADABLE = 'the request cannot be read: its Host (none, two, or one that names no host), its URL or its framing';
/** A 400 of the route's own, with the reason any route has. */
const badRequest = (why: string): Code => [400, `${why}; or ${UNREADABLE}`];

/** The statuses a route can fail with (SPEC §8), as problem+json responses. */
function errors(...codes: Code[]): Obj {
  const text: Record<number, string> = {
    400: `malformed JSON, or a body of the wrong shape or past the limits (SPEC §2); or ${UNREADABLE}`, 401: 'no or unknown API key', 403: 'role or tenant not allowed; in the open local mode, a Host that names no loopback address', 404: 'not found',
    408: 'the request or its body did not arrive in time; the connection is closed', 409: 'global (file) rule: read-only over HTTP; or every rule is (the in-memory servers of Bun, Deno and Workers)',
    413: 'body larger than the limit', 415: 'unsupported Content-Type or Content-Encoding',
    422: 'invalid rule; `diagnostics` lists why', 429: 'server overloaded', 503: 'store unavailable or shutting down',
  };
  // Any route: the Node server refuses a request it cannot read (no Host, two, or one that names
  // no host; bad framing) with 400, one whose headers do not arrive in time with 408, an
  // unknown `Expect` with 417, headers over Node's limit with 431; a wrong method is 405.
  const out: Obj = {
    400: problem(UNREADABLE),
    405: { $ref: '#/components/responses/MethodNotAllowed' },
    408: problem('the request did not arrive in time; the connection is closed'),
    417: problem('an `Expect` other than `100-continue`'),
    431: problem('request header fields too large'),
    500: problem('internal error (nothing approved)'),
  };
  for (const c of codes) {
    if (typeof c === 'number') out[c] = problem(text[c]);
    else out[c[0]] = problem(c[1]);
  }
  // The headers these statuses carry (RFC 9110 §11.6.1, §10.2.3).
  const header = (status: number, name: string, description: string) => {
    if (out[status] !== undefined) out[status] = { ...(out[status] as Obj), headers: { [name]: { description, schema: { type: 'string' } } } };
  };
  header(401, 'WWW-Authenticate', '`Bearer realm="mge"`');
  header(429, 'Retry-After', 'seconds to wait');
  header(503, 'Retry-After', 'seconds to wait');
  return out;
}

const AUTHED = [401, 403, 429, 503];
const BODY = [400, 408, 413, 415];
/** The check routes also read `explain`. */
const CHECK_BODY = [badRequest('malformed JSON, a body of the wrong shape or past the limits (SPEC §2), or an `explain` other than `true` or `false`, or given twice'), 408, 413, 415];
/** The audit routes' query parameters. */
const AUDIT_QUERY = badRequest('a query parameter missing, given twice, or not an integer in range (a tree size past the log, `first` above `second`)');
/** The Content-Type of /metrics, as the route sends it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function op(summary: string, role: string | null, ok: Obj, extra: Obj = {}, codes: Code[] = []): Obj {
  return {
    summary: role ? `${summary} (role: ${role})` : summary,
    ...(role ? {} : { security: [] }),
    ...extra,
    // Every route, open ones too, answers 403 in the open local mode to a Host that is not loopback.
    responses: { ...ok, ...errors(...(role ? AUTHED : [403]), ...codes) },
  };
}

const ok = (schema: Obj, description = 'OK') => ({ 200: { description, content: json(schema) } });
const body = (schema: Obj) => ({ requestBody: { required: true, content: json(schema) } });
const param = (name: string, where: 'path' | 'query', schema: Obj, required = where === 'path') => ({ name, in: where, required, schema });
/** An integer query parameter: the audit routes read at most 15 digits (routes/audit.ts). */
const queryInteger = (minimum: number) => ({ type: 'integer', minimum, maximum: 999_999_999_999_999 });
const explain = param('explain', 'query', { type: 'boolean' });
// Every media type the rule reader takes is listed (a review, 11-29: the others were named
// only in a `description` inside the media type objects, which OpenAPI 3.1 does not allow).
const ruleText = {
  requestBody: {
    required: true,
    description: 'Rule text by Content-Type: JSON (application/json, or any application/*+json), YAML or MDC (Markdown with YAML front matter).',
    content: {
      'application/json': { schema: { type: 'object' } },
      ...Object.fromEntries(Object.keys(RULE_MEDIA_TYPES).map((type) => [type, { schema: { type: 'string' } }])),
    },
  },
};
/** A whole set: JSON as a list of rules, `{"rules": [...]}` or one rule; YAML or MDC as for one. */
const ruleSetText = { requestBody: { ...ruleText.requestBody, content: { ...ruleText.requestBody.content, 'application/json': { schema: { type: ['array', 'object'] } } } } };
const ruleId = param('rule_id', 'path', { type: 'string' });

/**
 * GET, PUT and DELETE of one rule. `/api/v1/rules/validate` takes them too, for the rule whose
 * id is `validate` (a valid id): its path has no parameter.
 */
function oneRule(parameters: Obj[], whose = ''): Obj {
  return {
    get: op(`One effective rule${whose}`, 'checker', ok(ref('RuleView')), { parameters }, [404]),
    put: op(`Create (201) or replace (200) a tenant rule${whose}`, 'admin', {
      ...ok(ref('RulePutResult'), 'replaced'), 201: { description: 'created', content: json(ref('RulePutResult')) },
    }, { parameters, ...ruleText }, [badRequest('malformed JSON (a JSON rule that does not parse, with `diagnostics`), or a body that is not readable text'), 408, 409, 413, 415, 422]),
    delete: op(`Delete a tenant rule${whose}`, 'admin', { 204: { description: 'deleted' } }, { parameters }, [404, 409]),
  };
}
const text = (type: string) => ({ 200: { description: 'OK', content: { [type]: { schema: { type: 'string' } } } } });

/** @example app.get('/openapi.json', (c) => c.json(openApiDocument('0.1.0'))) */
export function openApiDocument(version: string): Obj {
  return {
    openapi: '3.1.0',
    info: {
      title: 'MGE governance API', version,
      description: 'Deterministic governance decisions for AI actions, signed and audited. Every GET route also answers HEAD. '
        + 'A method a path does not take is answered 405 (`MethodNotAllowed`, with `Allow`), an unknown path 404; both problem+json. '
        + "On Node a method name its HTTP parser does not know (`FOO`, or in lower case: `get`) is refused 400 before any route is looked up.",
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/api/v1/governance/check': { post: op('Check one action', 'checker', ok(ref('Decision'), 'the decision, approved or not'), { parameters: [explain], ...body(ref('CheckRequest')) }, CHECK_BODY) },
      '/api/v1/governance/check/batch': { post: op('Check several actions', 'checker', ok(ref('BatchResponse')), { parameters: [explain], ...body(ref('BatchRequest')) }, CHECK_BODY) },
      '/api/v1/receipts/verify': { post: op('Verify a receipt and consume its nonce', 'checker', ok(ref('VerifyResponse')), body(ref('VerifyRequest')), BODY) },
      '/api/v1/rules': {
        get: op("The tenant's effective rules", 'checker', ok(ref('RuleList'))),
        put: op("Replace all of the tenant's API rules with the rules of the body (one or more; none empties the set), in one swap; file rules stay", 'admin',
          ok(ref('RuleSetPutResult'), 'replaced'), ruleSetText,
          [badRequest('malformed JSON (a JSON body that does not parse, with `diagnostics`), or a body that is not readable text'), 408, 409, 413, 415, 422]),
        delete: op("Delete all of the tenant's API rules (file rules stay); 204 also when there were none", 'admin', { 204: { description: 'deleted' } }, {}, [409]),
      },
      '/api/v1/rules/validate': {
        post: op('Validate rule text without loading it; rule text that does not parse (JSON too) is answered 200, `valid: false`, with its diagnostics', 'admin', ok(ref('ValidateResult')), ruleText,
          [badRequest('the body is not readable text (not UTF-8, a bad Content-Length)'), 408, 413, 415]),
        ...oneRule([], ' (here: the rule whose id is `validate`)'),
      },
      '/api/v1/rules/{rule_id}': oneRule([ruleId]),
      '/api/v1/audit': {
        get: op("A page of the tenant's audit log", 'auditor', ok(ref('AuditPage')), {
          parameters: [param('from', 'query', queryInteger(0)), param('limit', 'query', { ...queryInteger(1), default: 100, description: 'entries per page; a larger value is cut to 1000' })],
        }, [AUDIT_QUERY]),
      },
      '/api/v1/audit/export': { get: op('The whole log as JSON Lines, streamed', 'auditor', text('application/jsonl')) },
      '/api/v1/audit/checkpoint': { get: op('A signed checkpoint of the current tree', 'auditor', ok(ref('Checkpoint'))) },
      '/api/v1/audit/proof/{decision_id}': {
        get: op('Inclusion proof for a decision', 'auditor', ok(ref('InclusionProof')), {
          parameters: [param('decision_id', 'path', { type: 'string' }), param('tree_size', 'query', queryInteger(1))],
        }, [AUDIT_QUERY, 404]),
      },
      '/api/v1/audit/consistency': {
        get: op('Consistency proof between two tree sizes', 'auditor', ok(ref('ConsistencyProof')), {
          parameters: [param('first', 'query', queryInteger(1), true), param('second', 'query', queryInteger(1), true)],
        }, [AUDIT_QUERY]),
      },
      '/api/v1/keys': { get: op('Public keys (JWKS) for offline receipt verification', null, ok(ref('Jwks'))) },
      '/healthz': { get: op('Liveness: 503 once the server can serve no more (its data directory lock lost: restart it)', null, ok({ type: 'object' }), {}, [503]) },
      '/readyz': { get: op('Readiness: rules loaded, stores reachable, not draining', null, ok({ type: 'object' }), {}, [503]) },
      '/metrics': { get: op('Prometheus metrics', null, text(METRICS_CONTENT_TYPE)) },
      '/openapi.json': { get: op('This document', null, ok({ type: 'object' })) },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: SCHEMAS,
      responses: { MethodNotAllowed: { ...problem('the path does not take this method; `Allow` lists those it takes'), headers: { Allow: { schema: { type: 'string' } } } } },
    },
  };
}
