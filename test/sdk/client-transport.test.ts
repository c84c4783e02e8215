// Unit tests of MGEClient's HTTP behaviour against a scripted fetch: error typing, timeouts,
// and the retry policy (idempotent calls only, with backoff). The end-to-end suite runs the
// same client against the real server.

import { inspect } from 'node:util';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  MGEClient, MGEConfigError, MGEHttpError, MGEInvalidRule, MGENetworkError, MGENotFound, MGEOverloaded, MGEProtocolError, ReceiptRejected,
  MGETimeoutError, MGEUnauthorized, RuleBuildError, type CheckInput,
} from '../../src/sdk/index.js';
import { computeActionHash } from '../../src/receipt/decision-hash.js';
import { RULE_LISTING } from '../../src/sdk/shapes.js';
import { Transport } from '../../src/sdk/transport.js';
import { stubFetch, type Scripted } from './stub-fetch.js';

const decision = {
  decision_id: 'dec-1', approved: true, reasoning: 'All rules passed', rule_ids: [], violations: [], warnings: [],
  tenant: 'default', policy_version: 'sha256:00', timestamp: '2026-11-25T00:00:00.000Z', action_hash: 'ab',
};

const LISTING = { tenant: 'default', policy_version: 'sha256:00', rules: [] };

function client(script: Scripted[], opts: { retries?: number; timeoutMs?: number; apiKey?: string; tenant?: string } = {}) {
  const stub = stubFetch(script);
  const c = new MGEClient('http://mge.test/', { retryDelayMs: 1, maxRetryDelayMs: 5, fetch: stub.fetch, ...opts });
  return { c, calls: stub.calls };
}

describe('requests', () => {
  it('sends the check body, the bearer key and explain as a query parameter', async () => {
    const own = { ...decision, action_hash: await computeActionHash({ type: 'db.write', table: 'users' }, { environment: 'prod' }), audience: 'exec-1' };
    const { c, calls } = client([{ status: 200, body: own }], { apiKey: 'k-123' });
    const d = await c.checkCompliance({ type: 'db.write', table: 'users' }, { environment: 'prod' }, { explain: true, audience: 'exec-1' });
    expect(d).toEqual(own);
    expect(calls).toHaveLength(1);
    expect(calls[0].method).toBe('POST');
    expect(calls[0].url).toBe('http://mge.test/api/v1/governance/check?explain=true');
    expect(calls[0].headers.get('authorization')).toBe('Bearer k-123');
    expect(calls[0].headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(calls[0].body!)).toEqual({
      action: { type: 'db.write', table: 'users' }, context: { environment: 'prod' }, audience: 'exec-1',
    });
  });

  // A review (11-29): JSON.stringify sent `amount: Infinity` as `null`, which a rule
  // `action.amount > 10000` passes; the decision's action_hash matched the null sent, so the
  // client believed it, and the caller acted with Infinity.
  it('sends nothing JSON would carry as another value: a non-finite number, an undefined array item; a cycle or a BigInt is the caller\'s error, not a network error retried', async () => {
    const { c, calls } = client([]);
    const refused = async (p: Promise<unknown>, message: RegExp) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MGEConfigError);
      expect((err as Error).message).toMatch(message);
    };
    await refused(c.checkCompliance({ type: 'payments.transfer', amount: Infinity }), /^POST \/api\/v1\/governance\/check: the body holds Infinity, which JSON cannot carry \(it would be sent as null\)/);
    await refused(c.checkCompliance('db.write', { rows: new Number(NaN) as unknown as number }), /holds a Number/);
    await refused(c.checkBatch([{ action: 'a' }, { action: 'b', context: { limits: [1, undefined as unknown as number] } }]), /holds an array item that is undefined/);
    await refused(c.verify({ ...decision } as never, { action: { type: 'pay', amount: -Infinity } }), /holds -Infinity/);
    const cyclic: Record<string, unknown> = { rule_id: 'r' };
    cyclic.self = cyclic;
    await refused(c.rules.put(cyclic as never, 'json', 'r'), /^PUT \/api\/v1\/rules\/r: the body cannot be written as JSON \(.*circular/i);
    await refused(c.checkCompliance('db.write', { big: 1n as unknown as number }), /cannot be written as JSON \(.*BigInt/);
    // A re-review (11-29): each of these was still sent as another value (null, {}, an object of
    // indexes) and judged so: refused as the canonicalizer that hashes requests refuses them.
    const odd = (v: unknown) => c.checkCompliance({ type: 'pay', v: v as string });
    await refused(odd(new Date('9999999-01-01')), /holds an invalid Date, or an object tagged `Date` that is none, which JSON cannot carry as it is/);
    await refused(odd(new Map([['admin', true]])), /holds a Map, which JSON would send as another value/);
    await refused(odd(new Float64Array([20000])), /holds a Float64Array/);
    await refused(odd(vm.runInNewContext('new Number(Infinity)')), /holds a Number/);
    await refused(odd(new (class Amount { constructor(readonly n = 1) {} })()), /holds an Amount/);
    const base = Object.assign(Object.create(null) as object, { environment: 'production' });
    await refused(odd(Object.assign(Object.create(base) as object, { user: 'bob' })), /holds an object with a prototype of its own/); // its inherited `environment` would be left out
    const ownJson = new Date(0);
    (ownJson as unknown as { toJSON: () => string }).toJSON = () => 'not-a-date';
    await refused(odd(ownJson), /holds a Date whose toJSON gives something other than its ISO string/);
    await refused(odd({ toJSON: () => new Date(0) }), /holds an object whose toJSON gives a Date, which JSON writes as \{\}/);
    await refused(odd({ toJSON: () => new Map([['admin', true]]) }), /holds a Map/); // as its toJSON made it
    await refused(odd({ [Symbol.toStringTag]: 'Date' }), /an object tagged `Date` that is none/);
    await refused(odd(vm.runInNewContext('new Date(NaN)')), /holds an invalid Date/);
    expect(calls).toHaveLength(0);
    // A plain object from another realm (an iframe's, a vm context's) is a plain object.
    const realm = client([{ status: 200, body: { ...decision, action_hash: await computeActionHash({ type: 'x', n: 1 }, undefined) } }]);
    await realm.c.checkCompliance(vm.runInNewContext('({ type: "x", n: 1 })'));
    expect(realm.calls).toHaveLength(1);
    // A Date is its ISO string and an undefined member is left out, as before.
    const at = new Date('2026-11-29T00:00:00Z');
    const own = { ...decision, action_hash: await computeActionHash({ type: 'x', at: at.toISOString() }, undefined) };
    const ok = client([{ status: 200, body: own }]);
    await ok.c.checkCompliance({ type: 'x', at: at as unknown as string, gone: undefined as unknown as string });
    expect(JSON.parse(ok.calls[0].body!)).toEqual({ action: { type: 'x', at: '2026-11-29T00:00:00.000Z' } });
  });

  it('leaves out context and the explain parameter when not given', async () => {
    const { c, calls } = client([{ status: 200, body: { ...decision, action_hash: await computeActionHash('file.read', undefined) } }]);
    await c.checkCompliance('file.read');
    expect(calls[0].url).toBe('http://mge.test/api/v1/governance/check');
    expect(JSON.parse(calls[0].body!)).toEqual({ action: 'file.read' });
    expect(calls[0].headers.get('authorization')).toBeNull();
  });

  it('sends rule text as is, with the Content-Type of its format', async () => {
    const { c, calls } = client([{ status: 200, body: { rule_ids: ['r'], policy_version: 'sha256:01' } }]);
    await c.rules.put('---\n---\n# R\n', 'mdc', 'r');
    expect(calls[0].method).toBe('PUT');
    expect(calls[0].url).toBe('http://mge.test/api/v1/rules/r');
    expect(calls[0].headers.get('content-type')).toBe('text/markdown');
    expect(calls[0].body).toBe('---\n---\n# R\n');
  });

  it('reads the rule id from the text when the PUT names none, and refuses text that does not load', async () => {
    const { c, calls } = client([{ status: 201, body: { rule_ids: ['from-text'], policy_version: 'sha256:1' } }]);
    await c.rules.put('rule_id: from-text\nprohibited: [{message: m, when: "true"}]\n', 'yaml');
    expect(calls[0].url).toBe('http://mge.test/api/v1/rules/from-text');
    const e = await c.rules.put('rule_id: Bad\n', 'yaml').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RuleBuildError);
    expect((e as RuleBuildError).diagnostics.map((d) => d.code)).toContain('invalid-rule-id');
    expect(calls).toHaveLength(1);
  });

  // A review (11-29): `delete('.')` sent `DELETE /api/v1/rules/`, the route that empties the set
  // once a proxy trims the slash; `..` climbed to `/api/v1/`.
  it('refuses an id of `.` or `..`, which a URL resolves away even percent-encoded, and sends nothing', async () => {
    const { c, calls } = client([]);
    await expect(c.rules.delete('.')).rejects.toThrow(MGEConfigError);
    await expect(c.rules.get('..')).rejects.toThrow('`..` is not a rule id: it would name another path');
    await expect(c.rules.put('rule_id: x\n', 'yaml', '.')).rejects.toThrow(MGEConfigError);
    await expect(c.audit.proof('..')).rejects.toThrow('`..` is not a decision id');
    // Nor an empty one: `DELETE /api/v1/rules/` empties the set behind a slash-trimming proxy (a re-review).
    await expect(c.rules.delete('')).rejects.toThrow('`` is not a rule id');
    await expect(c.rules.put('rule_id: x\n', 'yaml', '')).rejects.toThrow(MGEConfigError);
    expect(calls).toEqual([]);
  });

  // A review (11-29): the first DELETE removed the rule and its answer was lost; the retry's 404
  // was thrown as MGENotFound for the rule it had deleted.
  it('takes a 404 to a retried DELETE as done, and a first 404 as no such rule', async () => {
    const gone = { status: 404, body: { title: 'Not found', status: 404, detail: 'no rule `r`' } };
    const retried = client([{ networkError: 'socket hang up' }, gone]);
    await expect(retried.c.rules.delete('r')).resolves.toBeUndefined();
    expect(retried.calls.map((x) => x.method)).toEqual(['DELETE', 'DELETE']);
    await expect(client([{ hang: true }, { status: 503, body: { title: 'Busy', status: 503 } }, gone], { timeoutMs: 20 }).c.rules.delete('r')).resolves.toBeUndefined();
    await expect(client([gone]).c.rules.delete('r')).rejects.toBeInstanceOf(MGENotFound);
    // After a 429 or 503 nothing was done: the 404 is one (a re-review).
    for (const busy of [429, 503]) {
      await expect(client([{ status: busy, body: { title: 'Busy', status: busy } }, gone]).c.rules.delete('r'), String(busy)).rejects.toBeInstanceOf(MGENotFound);
    }
    // Only a removal: a read's 404 after a retry is still "not found".
    await expect(client([{ networkError: 'reset' }, gone]).c.rules.get('r')).rejects.toBeInstanceOf(MGENotFound);
  });

  it('accepts an empty 204 answer to DELETE', async () => {
    const { c, calls } = client([{ status: 204 }]);
    await expect(c.rules.delete('r')).resolves.toBeUndefined();
    expect(calls[0].method).toBe('DELETE');
  });
});

describe('typed errors', () => {
  it('turns a 401 problem into MGEUnauthorized carrying status, title and detail', async () => {
    const { c } = client([{ status: 401, body: { type: 'urn:mge:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'unknown API key' } }]);
    const err = await c.checkCompliance('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MGEUnauthorized);
    expect(err).toBeInstanceOf(MGEHttpError);
    const e = err as MGEUnauthorized;
    expect([e.status, e.title, e.detail, e.type]).toEqual([401, 'Unauthorized', 'unknown API key', 'urn:mge:problem:unauthorized']);
    expect(e.message).toBe('POST http://mge.test/api/v1/governance/check: 401 Unauthorized — unknown API key');
  });

  it('exposes the diagnostics of a 422', async () => {
    const diag = { severity: 'error', code: 'unknown-field', message: 'unknown field `catgory`', span: { file: 'r.yaml', line: 2, col: 1 } };
    const { c } = client([{ status: 422, body: { title: 'Invalid rule', status: 422, diagnostics: [diag] } }]);
    const e = (await c.rules.put('x', 'yaml', 'r').catch((x: unknown) => x)) as MGEInvalidRule;
    expect(e).toBeInstanceOf(MGEInvalidRule);
    expect(e.diagnostics).toEqual([diag]);
  });

  it('makes up a problem from the status line when the body is not JSON', async () => {
    const { c } = client([{ status: 404, body: 'no such thing' }]);
    const e = (await c.rules.get('x').catch((x: unknown) => x)) as MGENotFound;
    expect(e).toBeInstanceOf(MGENotFound);
    expect([e.status, e.detail]).toEqual([404, 'no such thing']);
  });

  // A review (11-27): a 302 turned a check into a GET to wherever it pointed, and the JWKS was
  // fetched from there.
  it('follows no redirect: a 3xx is a protocol error naming where it pointed, not retried', async () => {
    const { c, calls } = client([{ status: 302, headers: { location: 'http://evil.test/keys' } }]);
    const e = await c.keys().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGEProtocolError);
    expect(String((e as Error).message)).toContain('redirect to `http://evil.test/keys`, which is not followed');
    expect(calls).toHaveLength(1);
    expect(calls[0].redirect).toBe('manual');
    // As a browser hands a manual redirect over: an opaque response, status 0.
    const opaque = new MGEClient('http://mge.test', { fetch: async () => Object.defineProperty(new Response(null, { status: 200 }), 'type', { value: 'opaqueredirect' }) });
    await expect(opaque.checkCompliance('x')).rejects.toThrow('the server answered with a redirect, which is not followed');
  });

  it('refuses a success response that is not JSON', async () => {
    const { c } = client([{ status: 200, body: '<html>' }]);
    await expect(c.checkCompliance('x')).rejects.toBeInstanceOf(MGEProtocolError);
  });

  // An executor review (11-27): a batch answered in another order was believed.
  it('takes a batch only when each decision is its own request\'s (action_hash of the request as sent)', async () => {
    // A Date and an undefined member, as plain JavaScript may hold them (not in CheckInput's types).
    const requests = [{ action: 'db.read' }, { action: { type: 'db.write', at: new Date(0) }, context: { env: 'prod', gone: undefined } }] as unknown as CheckInput[];
    const hashes = [await computeActionHash('db.read', undefined), await computeActionHash({ type: 'db.write', at: '1970-01-01T00:00:00.000Z' }, { env: 'prod' })];
    const [a, b] = hashes.map((h, i) => ({ ...decision, decision_id: `dec-${i}`, action_hash: h }));
    expect((await client([{ status: 200, body: { decisions: [a, b] } }]).c.checkBatch(requests)).map((d) => d.decision_id)).toEqual(['dec-0', 'dec-1']);
    const swapped = client([{ status: 200, body: { decisions: [b, a] } }], { retries: 0 }).c.checkBatch(requests);
    await expect(swapped).rejects.toThrow('decision 0 is not the decision of request 0');
    // One action for two executors: action_hash alike, the audiences tell them apart (a review, 11-28).
    const forTwo = [{ action: 'db.read', audience: 'exec-1' }, { action: 'db.read', audience: 'exec-2' }];
    const [one, two] = forTwo.map((r, i) => ({ ...a, decision_id: `dec-${i}`, audience: r.audience }));
    expect((await client([{ status: 200, body: { decisions: [one, two] } }]).c.checkBatch(forTwo)).map((d) => d.audience)).toEqual(['exec-1', 'exec-2']);
    await expect(client([{ status: 200, body: { decisions: [two, one] } }], { retries: 0 }).c.checkBatch(forTwo)).rejects.toThrow('decision 0 is not the decision of request 0 (its audience is `exec-2`, not `exec-1`)');
  });

  it('takes a single check\'s decision only when it is that request\'s (a proxy\'s answer for another action was believed)', async () => {
    const forRead = { ...decision, action_hash: await computeActionHash({ type: 'file.read', path: 'a.md' }, undefined) };
    const e = await client([{ status: 200, body: forRead }], { retries: 0 }).c.checkCompliance({ type: 'db.drop' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGEProtocolError);
    expect(String((e as Error).message)).toContain("the decision is not this request's (its action_hash is another action's)");
    // The whole URL, as every other error of the client names it (a review, 11-29: the path alone).
    expect(String((e as Error).message)).toMatch(/^POST http:\/\/mge\.test\/api\/v1\/governance\/check: /);
    const dropHash = await computeActionHash({ type: 'db.drop' }, undefined);
    const noAudience = client([{ status: 200, body: { ...decision, action_hash: dropHash } }], { retries: 0 }).c.checkCompliance({ type: 'db.drop' }, undefined, { audience: 'exec-1' });
    await expect(noAudience).rejects.toThrow('its audience is none, not `exec-1`');
  });

  // A review (11-28): a proxy holding another tenant's key could answer with that tenant's
  // decision for the same action; a client told its tenant refuses it.
  it('refuses a decision of another tenant when told its own, in a check and a batch', async () => {
    const own = { ...decision, action_hash: await computeActionHash({ type: 'db.drop' }, undefined) };
    expect((await client([{ status: 200, body: own }], { tenant: 'default' }).c.checkCompliance({ type: 'db.drop' })).tenant).toBe('default');
    const other = { ...own, tenant: 'globex' };
    await expect(client([{ status: 200, body: other }], { retries: 0, tenant: 'default' }).c.checkCompliance({ type: 'db.drop' })).rejects.toThrow("the decision is not this request's (it is tenant `globex`'s, not `default`'s)");
    await expect(client([{ status: 200, body: { decisions: [other] } }], { retries: 0, tenant: 'default' }).c.checkBatch([{ action: { type: 'db.drop' } }])).rejects.toThrow("decision 0 is not the decision of request 0 (it is tenant `globex`'s");
    // Not told: any tenant's, as before.
    expect((await client([{ status: 200, body: other }]).c.checkCompliance({ type: 'db.drop' })).tenant).toBe('globex');
    for (const tenant of ['', 7]) expect(() => new MGEClient('http://mge.test/', { tenant } as never)).toThrow(MGEConfigError);
  });

  it('refuses a success response whose JSON is not what the API promises', async () => {
    const cases: Array<[string, (c: MGEClient) => Promise<unknown>, unknown]> = [
      ['check {}', (c) => c.checkCompliance('x'), {}],
      ['check null', (c) => c.checkCompliance('x'), null],
      ['check, approved not a boolean', (c) => c.checkCompliance('x'), { ...decision, approved: 'yes' }],
      ['batch {}', (c) => c.checkBatch([{ action: 'a' }]), {}],
      ['batch, too few decisions', (c) => c.checkBatch([{ action: 'a' }, { action: 'b' }]), { decisions: [decision] }],
      // Decisions whose action_hash is not their request's (the fixture's is no request's).
      ['batch, a decision of another request', (c) => c.checkBatch([{ action: 'a' }]), { decisions: [decision] }],
      ['verify {}', (c) => c.verify(decision as never), {}],
      ['verify, valid not a boolean', (c) => c.verify(decision as never), { valid: 'yes' }],
      ['verify, valid with a reason', (c) => c.verify(decision as never), { valid: true, reason: 'expired' }],
      ['verify, invalid without one', (c) => c.verify(decision as never), { valid: false }],
      ['keys {}', (c) => c.keys(), {}],
      ['keys, keys not a list', (c) => c.keys(), { keys: 'x' }],
      ['rules list {}', (c) => c.rules.list(), {}],
      ['checkpoint {}', (c) => c.audit.checkpoint(), {}],
    ];
    for (const [name, call, body] of cases) {
      const { c } = client([{ status: 200, body }], { retries: 0 });
      await expect(call(c), name).rejects.toBeInstanceOf(MGEProtocolError);
    }
  });

  it('guard: runs the action only on a verdict of literally true', async () => {
    let ran = 0;
    const forX = { ...decision, action_hash: await computeActionHash('x', undefined), receipt: {} };
    const { c } = client([{ status: 200, body: forX }, { status: 200, body: { valid: 'yes' } }], { retries: 0 });
    const guarded = c.guard(() => ({ action: 'x' }), () => ++ran);
    await expect(guarded()).rejects.toBeInstanceOf(MGEProtocolError);
    const custom = client([{ status: 200, body: forX }], { retries: 0 }).c;
    const odd = custom.guard(() => ({ action: 'x' }), () => ++ran, { verify: async () => ({ valid: 'yes' }) as never });
    await expect(odd()).rejects.toBeInstanceOf(ReceiptRejected);
    expect(ran).toBe(0);
  });

  it('reports a call with no answer in time as MGETimeoutError', async () => {
    const { c, calls } = client([{ hang: true }], { timeoutMs: 30 });
    const e = (await c.checkCompliance('x').catch((x: unknown) => x)) as MGETimeoutError;
    expect(e).toBeInstanceOf(MGETimeoutError);
    expect(e.timeoutMs).toBe(30);
    expect(calls).toHaveLength(1);
  });

  it('reports a refused connection as MGENetworkError', async () => {
    const { c } = client([{ networkError: 'connect ECONNREFUSED' }]);
    const e = (await c.checkCompliance('x').catch((x: unknown) => x)) as MGENetworkError;
    expect(e).toBeInstanceOf(MGENetworkError);
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('names the reason Node\'s fetch keeps in `cause` (its message is only "fetch failed")', async () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    const c = new MGEClient('http://127.0.0.1:1', { retries: 0, fetch: () => Promise.reject(refused) });
    const e = (await c.checkCompliance('x').catch((x: unknown) => x)) as MGENetworkError;
    expect(e.message).toBe('POST http://127.0.0.1:1/api/v1/governance/check: fetch failed: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('refuses a base URL without an http(s) scheme when the client is made, not at its first call', () => {
    for (const bad of ['localhost:8080', '127.0.0.1:8080', 'ftp://x', 'mge-service']) {
      expect(() => new MGEClient(bad)).toThrow(MGEConfigError);
      expect(() => new MGEClient(bad)).toThrow(`base URL \`${bad}\` is not an http(s) URL: write it with its scheme, e.g. \`http://127.0.0.1:8080\``);
    }
    for (const good of ['http://127.0.0.1:8080', 'https://mge.example/', '/mge', './mge', '../mge', '.', '..', '']) expect(() => new MGEClient(good)).not.toThrow();
  });

  it('takes a URL object as fetch does, and says what the first argument is when it is neither (plain JavaScript)', async () => {
    const urls: string[] = [];
    const fetch = async (input: RequestInfo | URL) => {
      urls.push(String(input));
      return new Response('{"keys":[]}', { headers: { 'content-type': 'application/json' } });
    };
    await new MGEClient(new URL('http://127.0.0.1:8080/mge/'), { fetch }).keys();
    expect(urls).toEqual(['http://127.0.0.1:8080/mge/api/v1/keys']);
    for (const bad of [{ baseUrl: 'http://127.0.0.1:8080' }, undefined, null, 8080]) {
      const make = () => new MGEClient(bad as unknown as string);
      expect(make).toThrow(MGEConfigError);
      expect(make).toThrow('the base URL is the first argument, a string or a URL');
    }
  });

  it('refuses NaN, infinite or negative timing options when the client is made (NaN retries retried forever)', () => {
    const url = 'http://127.0.0.1:8080';
    for (const [name, value] of [['retries', NaN], ['timeoutMs', NaN], ['timeoutMs', 0], ['retryDelayMs', -1], ['maxRetryDelayMs', Infinity]] as const) {
      expect(() => new MGEClient(url, { [name]: value }), `${name} ${value}`).toThrow(MGEConfigError);
    }
    expect(() => new MGEClient(url, { retries: -1, timeoutMs: 1, retryDelayMs: 0 })).not.toThrow(); // -1: one attempt, as before
    // Past what a timer takes (Node fires it after 1 ms), and a string from the environment.
    expect(() => new MGEClient(url, { timeoutMs: 2 ** 31 })).toThrow(MGEConfigError);
    expect(() => new MGEClient(url, { retries: '3' as unknown as number })).toThrow('got the string `3` (convert it with Number())');
    expect(() => new MGEClient(url, { retries: null as unknown as number, timeoutMs: null as unknown as number })).not.toThrow(); // null: the default, as before
  });

  it('refuses an API key a header cannot carry, without repeating it (fetch\'s own error quoted it)', () => {
    for (const apiKey of ['mge_s3cr3t-key\nmge_other', 'mge_s3cr3t-key\r\nX: 1', 'mge_s3cr3t\u0000', 'mge_s3cr3t key', 'mge_s3cr3t\u00e9']) {
      const make = () => new MGEClient('http://127.0.0.1:8080', { apiKey });
      expect(make, JSON.stringify(apiKey)).toThrow(MGEConfigError);
      expect(make, JSON.stringify(apiKey)).toThrow('an HTTP header cannot carry');
      expect(make, JSON.stringify(apiKey)).not.toThrow('s3cr3t');
    }
    expect(() => new MGEClient('http://127.0.0.1:8080', { apiKey: 42 as unknown as string })).toThrow('`apiKey` is a string');
    for (const apiKey of ['mge_AbC-_09', '', undefined]) expect(() => new MGEClient('http://127.0.0.1:8080', { apiKey })).not.toThrow();
  });

  it('times out a call whose fetch (given in the options) ignores its abort signal', async () => {
    const never = (): Promise<Response> => new Promise(() => undefined);
    const c = new MGEClient('http://127.0.0.1:8080', { fetch: never, timeoutMs: 30, retries: 0 });
    await expect(c.keys()).rejects.toBeInstanceOf(MGETimeoutError);
    // A body that never ends is cut off by the same timeout.
    const stalled = async (): Promise<Response> => new Response(new ReadableStream({ start: () => undefined }), { headers: { 'content-type': 'application/json' } });
    const s = new MGEClient('http://127.0.0.1:8080', { fetch: stalled, timeoutMs: 30, retries: 0 });
    await expect(s.keys()).rejects.toBeInstanceOf(MGETimeoutError);
  });

  it('refuses credentials in the base URL, without repeating them (fetch would refuse every call, quoting them)', () => {
    for (const url of ['http://user:s3cr3t-pass@127.0.0.1:8080', 'admin:s3cr3t-pass@mge.internal:8080', 'http://user:s3cr3t-pass@exa mple.com', 'http://user:s3cr3t-pass@host:99999', '//user:s3cr3t-pass@host']) {
      const make = () => new MGEClient(url);
      expect(make, url).toThrow('give the key as `apiKey`');
      expect(make, url).not.toThrow('s3cr3t');
    }
    // `//host` names another host: not a path on the page's own origin.
    expect(() => new MGEClient('//mge.example')).toThrow('names a host without a scheme');
    expect(() => new MGEClient('http://127.0.0.1:8080/path@v1')).not.toThrow(); // an `@` in the path is no credential
  });

  it('works through a deep Proxy (a reactive store wraps what it holds)', async () => {
    const { c, calls } = client([{ status: 200, body: { keys: [] } }], { apiKey: 'a-key-of-sixteen-chars' });
    const deep = <T extends object>(o: T): T => new Proxy(o, { get: (t, k) => { const v = Reflect.get(t, k); return typeof v === 'object' && v !== null ? deep(v) : v; } });
    await deep(c).keys();
    expect(calls[0].headers.get('authorization')).toBe('Bearer a-key-of-sixteen-chars');
  });

  it('keeps its API key out of what the client shows (console.log, JSON.stringify)', () => {
    const key = 'mge_secret-key-for-the-test-0123456789abcd';
    const c = new MGEClient('http://127.0.0.1:8080', { apiKey: key });
    expect(JSON.stringify(c)).not.toContain(key);
    expect(inspect(c, { depth: 10 })).not.toContain(key);
  });
});

describe('retries', () => {
  const overloaded: Scripted = { status: 503, body: { title: 'Service unavailable', status: 503 } };

  it('retries an idempotent call after 503, timeouts and network errors, then succeeds', async () => {
    const { c, calls } = client([overloaded, { hang: true }, { networkError: 'reset' }, { status: 200, body: LISTING }], {
      retries: 3, timeoutMs: 30,
    });
    await expect(c.rules.list()).resolves.toEqual(LISTING);
    expect(calls).toHaveLength(4);
  });

  it('gives up after `retries` extra attempts and throws the last failure', async () => {
    const { c, calls } = client([overloaded], { retries: 2 });
    const e = (await c.audit.checkpoint().catch((x: unknown) => x)) as MGEHttpError;
    expect(e.status).toBe(503);
    expect(calls).toHaveLength(3);
  });

  it('never retries a check: it is audited and takes rate-limit tokens', async () => {
    const { c, calls } = client([overloaded, { status: 200, body: decision }], { retries: 5 });
    await expect(c.checkCompliance('x')).rejects.toBeInstanceOf(MGEHttpError);
    expect(calls).toHaveLength(1);
  });

  it('never retries a server-side verify: it consumes the nonce', async () => {
    const { c, calls } = client([{ hang: true }, { status: 200, body: { valid: true } }], { retries: 5, timeoutMs: 20 });
    await expect(c.verify(decision)).rejects.toBeInstanceOf(MGETimeoutError);
    expect(calls).toHaveLength(1);
  });

  it('never retries a batch check', async () => {
    const { c, calls } = client([{ networkError: 'reset' }, { status: 200, body: { decisions: [] } }], { retries: 5 });
    await expect(c.checkBatch([{ action: 'x' }])).rejects.toBeInstanceOf(MGENetworkError);
    expect(calls).toHaveLength(1);
  });

  it('does not retry client errors', async () => {
    const { c, calls } = client([{ status: 400, body: { title: 'Bad request', status: 400 } }], { retries: 5 });
    await expect(c.rules.list()).rejects.toBeInstanceOf(MGEHttpError);
    expect(calls).toHaveLength(1);
  });

  it('waits at least Retry-After (capped) before the next attempt', async () => {
    const stub = stubFetch([{ status: 429, body: { title: 'Too many', status: 429 }, headers: { 'retry-after': '30' } }, { status: 200, body: LISTING }]);
    const c = new MGEClient('http://mge.test', { fetch: stub.fetch, retryDelayMs: 1, maxRetryDelayMs: 150 });
    const t0 = Date.now();
    await c.rules.list();
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(5000); // the cap, not the 30 s asked for
  });

  it('throws MGEOverloaded for a 429 that outlasts the retries', async () => {
    const { c } = client([{ status: 429, body: { title: 'Too many requests', status: 429 } }], { retries: 1 });
    await expect(c.rules.list()).rejects.toBeInstanceOf(MGEOverloaded);
  });
});

describe('cancellation', () => {
  it('rejects with the signal reason when the caller aborts a check in flight', async () => {
    const { c, calls } = client([{ hang: true }], { timeoutMs: 5_000 });
    const ctl = new AbortController();
    const pending = c.checkCompliance('x', undefined, { signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('user gave up')), 20);
    await expect(pending).rejects.toThrow('user gave up');
    expect(calls).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { c, calls } = client([{ status: 200, body: decision }]);
    await expect(c.verify(decision, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toHaveLength(0);
  });

  it('stops retrying when aborted during a backoff', async () => {
    const stub = stubFetch([{ status: 503, body: { title: 'Unavailable', status: 503 } }]);
    const t = new Transport('http://mge.test', { fetch: stub.fetch, retries: 5, retryDelayMs: 10_000, maxRetryDelayMs: 10_000 });
    const ctl = new AbortController();
    const pending = t.json({ method: 'GET', path: '/api/v1/rules', idempotent: true, signal: ctl.signal }, RULE_LISTING);
    setTimeout(() => ctl.abort(new Error('stop')), 30);
    const t0 = Date.now();
    await expect(pending).rejects.toThrow('stop');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(stub.calls).toHaveLength(1);
  });
});

describe('audit export', () => {
  it('streams JSON lines split across chunks, decisions only unless asked', async () => {
    const lines = [decision, { kind: 'rule_change', rule_id: 'r', op: 'put', policy_version: 'sha256:1', by: 'k', timestamp: 't' }, { ...decision, decision_id: 'dec-2' }]
      .map((e) => JSON.stringify(e) + '\n').join('');
    const bytes = new TextEncoder().encode(lines);
    const chunked = () => new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 7) ctl.enqueue(bytes.slice(i, i + 7));
        ctl.close();
      },
    });
    const fetch = async () => new Response(chunked(), { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
    const c = new MGEClient('http://mge.test', { fetch });
    const ids: string[] = [];
    for await (const d of c.audit.export()) ids.push(d.decision_id);
    expect(ids).toEqual(['dec-1', 'dec-2']);
    const kinds: string[] = [];
    for await (const e of c.audit.export({ includeRuleChanges: true })) kinds.push('kind' in e ? e.kind : 'decision');
    expect(kinds).toEqual(['decision', 'rule_change', 'decision']);
  });

  // A review (11-29): a server that sent one line and then nothing held the export for ever.
  it('gives up on an export that stalls for timeoutMs between chunks, after the entries read', async () => {
    const line = JSON.stringify({ decision_id: 'dec-1', approved: true, reasoning: 'r', rule_ids: [], violations: [], warnings: [] }) + '\n';
    const stalls = () => new ReadableStream<Uint8Array>({ start: (ctl) => ctl.enqueue(new TextEncoder().encode(line)) }); // never closed
    const c = new MGEClient('http://mge.test', { fetch: async () => new Response(stalls(), { status: 200 }), timeoutMs: 100 });
    const ids: string[] = [];
    const e = await (async () => {
      for await (const d of c.audit.export()) ids.push(d.decision_id);
    })().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGETimeoutError);
    expect(ids).toEqual(['dec-1']);
  });
});
