// What the app really answers, held to its own /openapi.json: every status a route answers is
// one its operation lists, every JSON body matches the schema listed for it, the headers those
// statuses carry are described, and the request bodies the server takes are ones the request
// schemas accept (a review, 11-27: the validate path took GET/PUT/DELETE its document and its
// `Allow` header did not name, and several answered statuses and headers were undocumented).

import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { RULE_MEDIA_TYPES } from '../../src/http/rule-format.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, KEYS, type Harness } from './harness.js';

type Obj = Record<string, unknown>;
interface Operation {
  requestBody?: { content: Record<string, { schema: Obj }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: Obj }>; headers?: Record<string, unknown> }>;
}

let h: Harness;
let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Obj; responses: Record<string, Operation['responses'][string]> } };
let ajv: Ajv2020;
const compiled = new Map<Obj, ValidateFunction>();

beforeAll(async () => {
  h = await harness();
  doc = (await (await h.call('GET', '/openapi.json')).json()) as typeof doc;
  ajv = new Ajv2020({ strict: false });
  // RFC 3339 date-time, as the receipts and decisions write it.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/);
  ajv.addSchema({ $id: 'mge', components: { schemas: closed(doc.components.schemas) } });
});

/**
 * The schemas with every object that lists its properties closed to others: a member the server
 * sends that the document does not declare is one a typed client drops (a review, 11-29: a 400's
 * `reason` and a diagnostic span's `endLine`/`endCol` were sent and not declared).
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, closed(v)]));
  if ('properties' in out && !('additionalProperties' in out)) out.unevaluatedProperties = false;
  return out;
}

/** A schema of the document, with its `#/components/…` references read against the document. */
function validator(schema: Obj): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = ajv.compile(closed(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"mge#/components/'))) as Obj);
    compiled.set(schema, v);
  }
  return v;
}

/** The operation that serves `method path`: a fixed path before a templated one, as OpenAPI reads them. */
function operation(method: string, path: string): Operation {
  const bare = path.split('?')[0];
  const matches = Object.keys(doc.paths).filter((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
  const fixed = matches.find((p) => !p.includes('{')) ?? matches[0];
  // Every GET route answers HEAD too (the document's description says so).
  const op = fixed === undefined ? undefined : doc.paths[fixed][method === 'HEAD' ? 'get' : method.toLowerCase()];
  if (op === undefined) throw new Error(`${method} ${path}: no operation in /openapi.json`);
  return op;
}

/** Sends the request, and holds request and response to the document. Returns the response. */
async function conforms(method: string, path: string, opts: Parameters<Harness['call']>[2] = {}, accepted = true): Promise<Response> {
  const op = operation(method, path);
  if (opts.body !== undefined) {
    const schema = op.requestBody?.content['application/json']?.schema;
    expect(schema, `${method} ${path}: request schema`).toBeDefined();
    const valid = validator(schema!)(opts.body);
    expect(valid, `${method} ${path}: the request schema ${accepted ? 'accepts' : 'refuses'} ${JSON.stringify(opts.body)} ${JSON.stringify(validator(schema!).errors)}`).toBe(accepted);
  }
  const res = await h.call(method, path, opts);
  // A media type the server takes (anything but 415) is one the operation lists (`*+json` by its range).
  if (opts.raw !== undefined && opts.type !== undefined && res.status !== 415) {
    const type = opts.type.split(';')[0];
    const listed = /^application\/[^/]+\+json$/.test(type) ? 'application/*+json' : type;
    expect(Object.keys(op.requestBody?.content ?? {}), `${method} ${path}: request content type`).toContain(listed);
  }
  let described = op.responses[String(res.status)];
  expect(described, `${method} ${path}: status ${res.status} is not in the document`).toBeDefined();
  if (described.$ref !== undefined) described = doc.components.responses[described.$ref.split('/').pop()!];
  for (const name of ['allow', 'www-authenticate', 'retry-after', 'content-disposition']) {
    if (res.headers.has(name)) {
      expect(Object.keys(described.headers ?? {}).map((k) => k.toLowerCase()), `${method} ${path} ${res.status}: header ${name}`).toContain(name);
    }
  }
  const header = res.headers.get('content-type') ?? '';
  if (res.status !== 204 && method !== 'HEAD') {
    // Listed as sent (`/metrics` names its parameters) or as the bare media type.
    const type = [header, header.split(';')[0]].find((t) => described.content?.[t] !== undefined);
    expect(type, `${method} ${path} ${res.status}: content type ${header} not in ${Object.keys(described.content ?? {})}`).toBeDefined();
    const schema = described.content![type!].schema;
    if (type!.endsWith('json')) {
      const body: unknown = await res.clone().json();
      const v = validator(schema);
      expect(v(body), `${method} ${path} ${res.status}: ${JSON.stringify(v.errors)}\n${JSON.stringify(body)}`).toBe(true);
    }
  }
  return res;
}

describe('/openapi.json describes what the app answers', () => {
  const checker = { key: KEYS.acmeChecker };
  const admin = { key: KEYS.acmeAdmin };
  const auditor = { key: KEYS.acmeAuditor };

  it('checks, batches and verification', async () => {
    const denied = await conforms('POST', '/api/v1/governance/check', { ...checker, body: { action: 'db.write', context: { environment: 'production' } } });
    const decision = (await denied.json()) as Obj;
    await conforms('POST', '/api/v1/governance/check?explain=true', { ...checker, body: { action: { type: 'db.read', table: 't' }, audience: 'exec-1' } });
    await conforms('POST', '/api/v1/governance/check', { ...checker, raw: '{"action":' });
    await conforms('POST', '/api/v1/governance/check', { body: { action: 'db.read' } }); // 401
    await conforms('POST', '/api/v1/governance/check', { ...auditor, body: { action: 'db.read' } }); // 403
    await conforms('POST', '/api/v1/governance/check', { ...checker, raw: `{"action":"${'a'.repeat(70_000)}"}` }); // 413
    await conforms('POST', '/api/v1/governance/check', { ...checker, raw: '{"action":"db.read"}', type: 'text/plain' }); // 415
    expect((await conforms('POST', '/api/v1/governance/check', { ...checker, raw: '{"action":"db.read"}', type: 'application/vnd.agent+json' })).status).toBe(200);
    const dup = await conforms('POST', '/api/v1/governance/check', { ...checker, raw: '{"action":"a","action":"b"}' });
    expect(await dup.json()).toMatchObject({ status: 400, reason: 'duplicate_key' });
    await conforms('POST', '/api/v1/governance/check', { ...checker, body: { action: 'db.read', extra: 1 } }, false); // 400
    await conforms('POST', '/api/v1/governance/check/batch', { ...checker, body: { requests: [{ action: 'db.read' }, { action: 'api.call' }] } });
    await conforms('POST', '/api/v1/governance/check/batch', { ...checker, body: { requests: {} } }, false);
    const action = 'db.write'; // as the check sent it: action_hash covers the action as given
    const context = { environment: 'production' };
    const verified = await conforms('POST', '/api/v1/receipts/verify', { ...checker, body: { decision, action, context } });
    expect(await verified.json()).toEqual({ valid: true, approved: false });
    const replayed = await conforms('POST', '/api/v1/receipts/verify', { ...checker, body: { decision, action, context } });
    expect(await replayed.json()).toMatchObject({ valid: false, reason: 'replayed' });
    expect((await conforms('POST', '/api/v1/receipts/verify', { ...checker, body: { decision, context } }, false)).status).toBe(400);
  });

  it('rules, the rule whose id is `validate` included', async () => {
    await conforms('GET', '/api/v1/rules', checker);
    await conforms('GET', '/api/v1/rules/no-prod-writes', checker);
    await conforms('GET', '/api/v1/rules/none-such', checker);
    const rule = (id: string) => ({ rule_id: id, prohibited: [{ message: 'no z', when: 'action.type == "z"' }] });
    expect((await conforms('PUT', '/api/v1/rules/mine', { ...admin, body: rule('mine') })).status).toBe(201);
    expect((await conforms('PUT', '/api/v1/rules/mine', { ...admin, body: rule('mine') })).status).toBe(200);
    expect((await conforms('PUT', '/api/v1/rules/mine', { ...admin, body: { rule_id: 'mine', prohibited: [{ message: 'm', when: 'action.' }] } })).status).toBe(422);
    expect((await conforms('PUT', '/api/v1/rules/no-prod-writes', { ...admin, body: rule('no-prod-writes') })).status).toBe(409);
    expect((await conforms('DELETE', '/api/v1/rules/mine', admin)).status).toBe(204);
    expect((await conforms('DELETE', '/api/v1/rules/mine', admin)).status).toBe(404);
    expect((await conforms('POST', '/api/v1/rules/validate', { ...admin, body: rule('v') })).status).toBe(200);
    // JSON rule text may be a list wherever rule text is taken (a review: the schemas said `object`).
    const listed = await conforms('POST', '/api/v1/rules/validate', { ...admin, body: [rule('v1'), rule('v2')] });
    expect(await listed.json()).toMatchObject({ valid: true, rule_ids: ['v1', 'v2'] });
    expect((await conforms('PUT', '/api/v1/rules/listed', { ...admin, body: [rule('listed')] })).status).toBe(201);
    // A duplicate id's diagnostic names the other place, span and all (a re-review: `related`
    // carried endLine/endCol the document did not declare).
    const twice = await conforms('POST', '/api/v1/rules/validate', { ...admin, body: [rule('same'), rule('same')] });
    expect(await twice.json()).toMatchObject({ valid: false, diagnostics: [{ code: 'duplicate-rule-id', related: expect.objectContaining({ endCol: expect.any(Number) }) }] });
    expect((await conforms('DELETE', '/api/v1/rules/listed', admin)).status).toBe(204);
    expect((await conforms('PUT', '/api/v1/rules/validate', { ...admin, body: rule('validate') })).status).toBe(201);
    expect((await conforms('GET', '/api/v1/rules/validate', checker)).status).toBe(200);
    expect((await conforms('DELETE', '/api/v1/rules/validate', admin)).status).toBe(204);
    // The whole set at once.
    expect((await conforms('PUT', '/api/v1/rules', { ...admin, body: [rule('one'), rule('two')] })).status).toBe(200);
    expect((await conforms('PUT', '/api/v1/rules', { ...admin, body: [rule('one'), rule('no-prod-writes')] })).status).toBe(409);
    expect((await conforms('PUT', '/api/v1/rules', { ...admin, body: [{ rule_id: 'x', prohibited: [{ message: 'm', when: 'action.' }] }] })).status).toBe(422);
    expect((await conforms('DELETE', '/api/v1/rules', admin)).status).toBe(204);
    expect((await h.call('PATCH', '/api/v1/rules', admin)).headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    // A method the path does not take: 405, whose `Allow` names every method that reaches it.
    const other = await h.call('PATCH', '/api/v1/rules/validate', admin);
    expect(other.status).toBe(405);
    expect(other.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE, POST');
    expect(Object.keys(doc.components.responses.MethodNotAllowed.headers ?? {})).toContain('Allow');
  });

  it('audit, keys and operations', async () => {
    const checked = await h.call('POST', '/api/v1/governance/check', { ...checker, body: { action: 'db.read' } });
    const { decision_id } = (await checked.json()) as { decision_id: string };
    await conforms('GET', '/api/v1/audit?from=0&limit=2', auditor);
    await conforms('GET', '/api/v1/audit?limit=zero', auditor);
    await conforms('GET', '/api/v1/audit', checker); // 403
    await conforms('GET', '/api/v1/audit/export', auditor);
    await conforms('GET', '/api/v1/audit/checkpoint', auditor);
    await conforms('GET', `/api/v1/audit/proof/${decision_id}`, auditor);
    await conforms('GET', '/api/v1/audit/proof/dec_none', auditor);
    await conforms('GET', '/api/v1/audit/consistency?first=1&second=2', auditor);
    await conforms('GET', '/api/v1/audit/consistency?first=2', auditor);
    for (const path of ['/api/v1/keys', '/healthz', '/readyz', '/metrics', '/openapi.json']) await conforms('GET', path);
    await conforms('HEAD', '/healthz');
    const notReady = await harness({ ready: () => false });
    const res = await notReady.call('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(Object.keys(operation('GET', '/readyz').responses['503'].headers ?? {})).toContain('Retry-After');
  });

  // A review (11-29): a `description` inside three media type objects made the document invalid
  // OpenAPI 3.1, and the other YAML and MDC types the server takes were named only there.
  it('is a valid OpenAPI 3.1 document, listing every media type a rule body is taken as', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result, JSON.stringify(result.errors)).toMatchObject({ valid: true });
    for (const type of Object.keys(RULE_MEDIA_TYPES)) {
      const yaml = RULE_MEDIA_TYPES[type] === 'yaml';
      const text = yaml ? 'rule_id: sent-as\nprohibited:\n  - message: no z\n    when: action.type == "z"\n' : '---\nrule_id: sent-as\n---\n# Sent as\n## Prohibited\n- no z: `action.type == "z"`\n';
      expect((await conforms('POST', '/api/v1/rules/validate', { key: KEYS.acmeAdmin, raw: text, type })).status, type).toBe(200);
    }
    expect((await conforms('POST', '/api/v1/rules/validate', { key: KEYS.acmeAdmin, raw: 'x', type: 'text/plain' }, false)).status).toBe(415);
  });

  const TAKE_A_SLOT = ['check', 'checkBatch', 'verifyReceipt', 'replaceRules', 'deleteRules', 'putRule', 'deleteRule', 'putRuleNamedValidate', 'deleteRuleNamedValidate', 'exportAudit'];
  it('names each operation once, with its role as the scope of its security requirement, and lists 429 only where work takes a slot', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Operation & { operationId?: string; summary: string; security: Array<Record<string, string[]>>; tags?: string[] } })));
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of ops) {
      const role = /\(role: (\w+)\)$/.exec(op.summary)?.[1];
      // An admin key holds every role (a re-review: a gateway enforcing the scopes refused it).
      const roles = role === undefined ? [] : role === 'admin' ? ['admin'] : [role, 'admin'];
      expect(op.security, `${method} ${path}`).toEqual([...roles.map((r) => ({ bearer: [r] })), ...roles.map((r) => ({ apiKey: [r] }))]);
      expect(op.tags?.length, `${method} ${path}: tags`).toBe(1);
      // Only the methods a path does not take answer 405: no operation does.
      expect(op.responses['405'], `${method} ${path}`).toBeUndefined();
      // Reads and validation take no in-flight slot (Lifecycle.run); the export has a cap of its own.
      expect(op.responses['429'] !== undefined, `${method} ${path}: 429`).toBe(TAKE_A_SLOT.includes(op.operationId!));
    }
  });

  it('says why each route answers 400: its query parameters, its body, `explain` (a review: the audit routes, which take no body, said "malformed JSON")', () => {
    const why = (method: string, path: string) => (operation(method, path).responses['400'] as { description: string }).description;
    for (const path of ['/api/v1/audit', '/api/v1/audit/proof/{decision_id}', '/api/v1/audit/consistency']) {
      expect(why('GET', path), path).toContain('query parameter');
      expect(why('GET', path), path).not.toContain('JSON');
    }
    for (const path of ['/api/v1/governance/check', '/api/v1/governance/check/batch']) expect(why('POST', path), path).toContain('`explain`');
    // Every 400 keeps the reason any route has (the Node server's, before the app).
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const r = op.responses['400'] as { description: string } | undefined;
        if (r !== undefined) expect(r.description, `${method} ${path}`).toContain('its URL or its framing');
      }
    }
  });
});
