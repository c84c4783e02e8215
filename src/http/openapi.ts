// The OpenAPI 3.1 description served at /openapi.json: every route of SPEC §8, its role, its
// body and responses. Error responses all share the problem+json schema.

import { SCHEMAS } from './openapi-schemas.js';
import { RULE_MEDIA_TYPES } from './rule-format.js';

type Obj = { [key: string]: unknown };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A JSON body: every route that reads one takes `application/*+json` too. */
const jsonBody = (schema: Obj) => ({ 'application/json': { schema }, 'application/*+json': { schema } });
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
    422: 'invalid rule; `diagnostics` lists why', 429: 'too much in flight (checks, or this tenant\'s)',
    503: 'a store unavailable (the audit log, the nonce store, the data directory) or shutting down; or, on Workers, not configured',
  };
  // Any route: the Node server refuses a request it cannot read (no Host, two, or one that names
  // no host; bad framing) with 400, one whose headers do not arrive in time with 408, an
  // unknown `Expect` with 417, headers over Node's limit with 431; a Worker missing a binding
  // answers every route 503. (A method a path does not take is 405: no operation answers it.)
  const out: Obj = {
    400: problem(UNREADABLE),
    408: problem('the request did not arrive in time; the connection is closed'),
    417: problem('an `Expect` other than `100-continue`'),
    431: problem('request header fields too large'),
    500: problem('internal error (nothing approved)'),
    503: problem('on Cloudflare Workers, a worker not configured (a binding missing): every route'),
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

const AUTHED = [401, 403, 503];
/** A route whose work takes an in-flight slot of its tenant's (Lifecycle.run): 429 past them. */
const SLOT = 429;
const BODY = [400, 408, 413, 415, SLOT];
/** The check routes also read `explain`. */
const CHECK_BODY = [badRequest('malformed JSON, a body of the wrong shape or past the limits (SPEC §2), or an `explain` other than `true` or `false`, or given twice'), 408, 413, 415, SLOT];
/** The audit routes' query parameters. */
const AUDIT_QUERY = badRequest('a query parameter missing, given twice, or not an integer in range (a tree size past the log, `first` above `second`)');
/** The Content-Type of /metrics, as the route sends it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * One operation. `id` is its operationId (what client generators name it); the role is given
 * as the security requirement's scope, which OpenAPI 3.1 allows for any scheme as a role name,
 * with `admin` as the alternative (an admin key holds every role: auth.ts hasRole).
 */
function op(id: string, summary: string, role: string | null, ok: Obj, extra: Obj = {}, codes: Code[] = []): Obj {
  return {
    operationId: id,
    summary: role ? `${summary} (role: ${role})` : summary,
    security: role === null ? [] : role === 'admin' ? [{ bearer: ['admin'] }, { apiKey: ['admin'] }] : [{ bearer: [role] }, { bearer: ['admin'] }, { apiKey: [role] }, { apiKey: ['admin'] }],
    ...extra,
    // Every route, open ones too, answers 403 in the open local mode to a Host that is not loopback.
    responses: { ...ok, ...errors(...(role ? AUTHED : [403]), ...codes) },
  };
}

const ok = (schema: Obj, description = 'OK') => ({ 200: { description, content: json(schema) } });
const body = (schema: Obj) => ({ requestBody: { required: true, content: jsonBody(schema) } });
const param = (name: string, where: 'path' | 'query', schema: Obj, required = where === 'path') => ({ name, in: where, required, schema });
/** An integer query parameter: the audit routes read at most 15 digits (routes/audit.ts). */
const queryInteger = (minimum: number) => ({ type: 'integer', minimum, maximum: 999_999_999_999_999 });
const explain = param('explain', 'query', { type: 'boolean' });
/**
 * Rule text by Content-Type. Every media type the rule reader takes is listed (a review, 11-29:
 * the others were named only in a `description` inside the media type objects, which OpenAPI
 * 3.1 does not allow). JSON is one rule or a list of rules: the reader takes a list wherever it
 * takes rule text (a one-rule route, a list of that one rule; a review, 11-29: the schemas said
 * `object`, and a gateway holding requests to them refused what the server takes).
 */
const ruleText = {
  requestBody: {
    required: true,
    description: 'Rule text by Content-Type: JSON (application/json, or any application/*+json), YAML or MDC (Markdown with YAML front matter).',
    content: {
      ...jsonBody({ type: ['array', 'object'] }),
      ...Object.fromEntries(Object.keys(RULE_MEDIA_TYPES).map((type) => [type, { schema: { type: 'string' } }])),
    },
  },
};
const ruleId = param('rule_id', 'path', { type: 'string' });

/**
 * GET, PUT and DELETE of one rule. `/api/v1/rules/validate` takes them too, for the rule whose
 * id is `validate` (a valid id): its path has no parameter (`idSuffix` keeps its operationIds apart).
 */
function oneRule(parameters: Obj[], whose = '', idSuffix = ''): Record<string, Obj> {
  return {
    get: op(`getRule${idSuffix}`, `One effective rule${whose}`, 'checker', ok(ref('RuleView')), { parameters }, [404]),
    put: op(`putRule${idSuffix}`, `Create (201) or replace (200) a tenant rule${whose}`, 'admin', {
      ...ok(ref('RulePutResult'), 'replaced'), 201: { description: 'created', content: json(ref('RulePutResult')) },
    }, { parameters, ...ruleText }, [badRequest('malformed JSON (a JSON rule that does not parse, with `diagnostics`), or a body that is not readable text'), 408, 409, 413, 415, 422, SLOT]),
    delete: op(`deleteRule${idSuffix}`, `Delete a tenant rule${whose}`, 'admin', { 204: { description: 'deleted' } }, { parameters }, [404, 409, SLOT]),
  };
}
const text = (type: string, headers: Obj = {}) => ({ 200: { description: 'OK', headers, content: { [type]: { schema: { type: 'string' } } } } });

/** The tag of each path, by its first segments (client generators group operations by tag). */
function tagged(paths: Record<string, Record<string, Obj>>): Record<string, Record<string, Obj>> {
  const tagOf = (path: string) => /^\/api\/v1\/(governance|receipts|rules|audit|keys)/.exec(path)?.[1].replace('governance', 'checks').replace('keys', 'receipts') ?? 'operations';
  return Object.fromEntries(Object.entries(paths).map(([path, ops]) => [path, Object.fromEntries(Object.entries(ops).map(([m, o]) => [m, { tags: [tagOf(path)], ...o }]))]));
}

/** @example app.get('/openapi.json', (c) => c.json(openApiDocument('0.1.0'))) */
export function openApiDocument(version: string): Obj {
  return {
    openapi: '3.1.0',
    info: {
      title: 'MGE governance API', version,
      description: 'Deterministic governance decisions for AI actions, signed and audited. Every GET route also answers HEAD, '
        + 'with the status and headers its GET would have, except that a HEAD of `/api/v1/audit/export` opens no export (it takes none of the '
        + 'export slots, so it is never 429). '
        + 'A method a path does not take is answered 405 (`MethodNotAllowed`, with `Allow`), an unknown path 404; both problem+json. '
        + "On Node a method name its HTTP parser does not know (`FOO`, or in lower case: `get`) is refused 400 before any route is looked up. "
        + 'The role an operation needs is the scope of its security requirement.',
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: tagged({
      '/api/v1/governance/check': { post: op('check', 'Check one action', 'checker', ok(ref('Decision'), 'the decision, approved or not'), { parameters: [explain], ...body(ref('CheckRequest')) }, CHECK_BODY) },
      '/api/v1/governance/check/batch': { post: op('checkBatch', 'Check several actions', 'checker', ok(ref('BatchResponse')), { parameters: [explain], ...body(ref('BatchRequest')) }, CHECK_BODY) },
      '/api/v1/receipts/verify': { post: op('verifyReceipt', 'Verify a receipt and consume its nonce', 'checker', ok(ref('VerifyResponse')), body(ref('VerifyRequest')), BODY) },
      '/api/v1/rules': {
        get: op('listRules', "The tenant's effective rules", 'checker', ok(ref('RuleList'))),
        put: op('replaceRules', "Replace all of the tenant's API rules with the rules of the body (one or more; none empties the set), in one swap; file rules stay", 'admin',
          ok(ref('RuleSetPutResult'), 'replaced'), { requestBody: { ...ruleText.requestBody, description: `${ruleText.requestBody.description} JSON: a list of rules, \`{"rules": [...]}\` or one rule.` } },
          [badRequest('malformed JSON (a JSON body that does not parse, with `diagnostics`), or a body that is not readable text'), 408, 409, 413, 415, 422, SLOT]),
        delete: op('deleteRules', "Delete all of the tenant's API rules (file rules stay); 204 also when there were none", 'admin', { 204: { description: 'deleted' } }, {}, [409, SLOT]),
      },
      '/api/v1/rules/validate': {
        post: op('validateRules', 'Validate rule text without loading it; rule text that does not parse (JSON too, or JSON that is no rule) is answered 200, `valid: false`, with its diagnostics', 'admin', ok(ref('ValidateResult')), ruleText,
          [badRequest('the body is not readable text (not UTF-8, a bad Content-Length)'), 408, 413, 415]),
        ...oneRule([], ' (here: the rule whose id is `validate`)', 'NamedValidate'),
      },
      '/api/v1/rules/{rule_id}': oneRule([ruleId]),
      '/api/v1/audit': {
        get: op('readAudit', "A page of the tenant's audit log", 'auditor', ok(ref('AuditPage')), {
          parameters: [param('from', 'query', queryInteger(0)), param('limit', 'query', { ...queryInteger(1), default: 100, description: 'entries per page; a larger value is cut to 1000' })],
        }, [AUDIT_QUERY]),
      },
      '/api/v1/audit/export': {
        get: op('exportAudit', 'The whole log as JSON Lines, streamed', 'auditor', text('application/jsonl', {
          'Content-Disposition': { description: '`attachment; filename="audit-<tenant>.jsonl"`', schema: { type: 'string' } },
        }), {}, [[429, 'more exports streaming than allowed (4 of the tenant\'s log, 32 in all)']]),
      },
      '/api/v1/audit/checkpoint': { get: op('auditCheckpoint', 'A signed checkpoint of the current tree', 'auditor', ok(ref('Checkpoint'))) },
      '/api/v1/audit/proof/{decision_id}': {
        get: op('inclusionProof', 'Inclusion proof for a decision', 'auditor', ok(ref('InclusionProof')), {
          parameters: [param('decision_id', 'path', { type: 'string' }), param('tree_size', 'query', queryInteger(1))],
        }, [AUDIT_QUERY, 404]),
      },
      '/api/v1/audit/consistency': {
        get: op('consistencyProof', 'Consistency proof between two tree sizes', 'auditor', ok(ref('ConsistencyProof')), {
          parameters: [param('first', 'query', queryInteger(1), true), param('second', 'query', queryInteger(1), true)],
        }, [AUDIT_QUERY]),
      },
      '/api/v1/keys': { get: op('keys', 'Public keys (JWKS) for offline receipt verification', null, ok(ref('Jwks'))) },
      '/healthz': { get: op('healthz', 'Liveness: 503 once the server can serve no more (its data directory lock lost: restart it)', null, ok({ type: 'object' }), {}, [503]) },
      '/readyz': { get: op('readyz', 'Readiness: rules loaded, stores reachable, not draining', null, ok({ type: 'object' }), {}, [503]) },
      '/metrics': { get: op('metrics', 'Prometheus metrics', null, text(METRICS_CONTENT_TYPE)) },
      '/openapi.json': { get: op('openapi', 'This document', null, ok({ type: 'object' })) },
    }),
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
