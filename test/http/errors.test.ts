import { beforeAll, describe, expect, it } from 'vitest';
import { rawPath } from '../../src/http/request-url.js';
import { harness, KEYS, problem, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});

const CHECK = '/api/v1/governance/check';

describe('request limits and strict JSON (SPEC §2)', () => {
  const cases: Array<[string, string, number, string]> = [
    ['a 65 KiB body', `{"action":"x","context":{"s":"${'a'.repeat(65 * 1024)}"}}`, 413, 'larger than 65536 bytes'],
    ['nesting depth 33', `{"action":"x","context":${'{"a":'.repeat(32)}1${'}'.repeat(32)}}`, 400, 'deeper than 32'],
    ['duplicate keys', '{"action":"x","action":"y"}', 400, 'duplicate key `action`'],
    ['an array of 1025 items', `{"action":"x","context":{"a":[${Array(1025).fill(0).join(',')}]}}`, 400, '1024'],
    ['an unsafe integer', '{"action":"x","context":{"n":9007199254740993}}', 400, '9007199254740993'],
    // by value, however written (docs/trust.md, Strict input)
    ['a whole number beyond 2^53 written as a float', '{"action":"x","context":{"n":1E30}}', 400, 'integer outside ±(2^53−1) at `request.context.n`'],
    ['a large float (every double that large is whole)', '{"action":"x","context":{"n":-2.5e300}}', 400, 'integer outside ±(2^53−1) at `request.context.n`: two parties could read it differently (every number this large is whole, however written; send it as a string)'],
    ['a number beyond a double', '{"action":"x","context":{"n":1e400}}', 400, 'beyond the range of a 64-bit float'],
    ['a lone surrogate', '{"action":"x","context":{"s":"\\udc00"}}', 400, 'surrogate'],
    ['malformed JSON', '{"action":', 400, 'malformed JSON'],
    ['an empty body', '', 400, 'malformed JSON'],
  ];
  for (const [name, raw, status, detail] of cases) {
    it(`refuses ${name} with ${status}`, async () => {
      const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, raw });
      expect(res.status).toBe(status);
      expect((await problem(res)).detail).toContain(detail);
    });
  }

  it('accepts fractions and safe whole numbers, however written', async () => {
    const raw = '{"action":"x","context":{"a":1.5e3,"b":1e-7,"c":0.1,"d":9007199254740991,"e":-9007199254740991.0}}';
    expect((await h.call('POST', CHECK, { key: KEYS.acmeChecker, raw })).status).toBe(200);
  });

  it('accepts nesting depth 32 exactly', async () => {
    // The body is depth 1; `context` and its 30 nested objects are depths 2..32.
    const raw = `{"action":"x","context":${'{"a":'.repeat(31)}1${'}'.repeat(31)}}`;
    expect((await h.call('POST', CHECK, { key: KEYS.acmeChecker, raw })).status).toBe(200);
  });

  it('holds a request inside a batch to the same depth limit as alone', async () => {
    // `{"requests": [...]}` adds two levels; they do not count against the request's 32.
    const nested = (levels: number) => `{"action":"x","context":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`;
    const ok = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, raw: `{"requests":[${nested(31)}]}` });
    expect(ok.status).toBe(200);
    const deep = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, raw: `{"requests":[${nested(31)},${nested(32)}]}` });
    expect(deep.status).toBe(400);
    expect((await problem(deep)).detail).toBe('malformed JSON: a request in the batch is nested deeper than 32');
    // the wrapper itself cannot be used to nest deeper: the limit is the request's, plus two
    const wrapped = await h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, raw: `{"requests":[[${nested(31)}]]}` });
    expect(wrapped.status).toBe(400);
    expect((await problem(wrapped)).detail).toContain('nested deeper than 32');
  });

  it('refuses a body that is not declared JSON with 415', async () => {
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, raw: '{"action":"x"}', type: 'text/plain' });
    expect(res.status).toBe(415);
    expect((await problem(res)).type).toBe('urn:mge:problem:unsupported-media-type');
  });

  it('reads `__proto__` as plain data', async () => {
    const res = await h.call('POST', CHECK, { key: KEYS.acmeChecker, raw: '{"action":{"type":"x","__proto__":{"admin":true}}}' });
    expect(res.status).toBe(200);
  });
});

describe('routing errors are problem+json', () => {
  it('404 for an unknown path', async () => {
    const res = await h.call('GET', '/nope');
    expect(res.status).toBe(404);
    expect(await problem(res)).toEqual({ type: 'urn:mge:problem:not-found', title: 'Not found', status: 404, detail: 'no route `GET /nope`', instance: '/nope' });
  });

  it('names the path as sent, still percent-encoded, in `instance` (a URI reference, RFC 9457 §3.1.5)', async () => {
    const res = await h.call('GET', '/api/v1/rules/a%20b%0D%0A%3Cx%3E', { key: KEYS.acmeChecker });
    expect(res.status).toBe(404);
    expect((await problem(res)).instance).toBe('/api/v1/rules/a%20b%0D%0A%3Cx%3E');
    expect((await problem(await h.call('GET', '/n%20pe?x=%20'))).instance).toBe('/n%20pe');
    expect((await problem(await h.call('GET', '//evil.example/x'))).instance).toBe('/%2Fevil.example/x'); // not a network-path reference
  });

  // Deno and workerd hand the app `"`, `{`, `^`… as sent (a review, 11-27: `instance` was then
  // no URI reference); Node and Bun encode them first.
  it('encodes in `instance` what a URI path may not hold, as the runtime passed it', () => {
    expect(rawPath('http://h/api/v1/rules/a"b{c}^d|e`f<g> h')).toBe('/api/v1/rules/a%22b%7Bc%7D%5Ed%7Ce%60f%3Cg%3E%20h');
    expect(rawPath('http://h/r/%zz%4x%41/é/\ud800')).toBe('/r/%25zz%254x%41/%C3%A9/%EF%BF%BD');
    expect(rawPath("http://h/r/a-b._~!$&'()*+,;=:@/%2F")).toBe("/r/a-b._~!$&'()*+,;=:@/%2F"); // already a path: kept
  });

  it('405 with Allow for a wrong method', async () => {
    const res = await h.call('GET', CHECK, { key: KEYS.acmeChecker });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    await problem(res);
  });

  it('names HEAD in Allow where GET is allowed, and answers it', async () => {
    const res = await h.call('POST', '/healthz');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect((await h.call('HEAD', '/healthz')).status).toBe(200);
  });

  it('405 and 404 on routes with a parameter', async () => {
    const wrong = await h.call('POST', '/api/v1/rules/some-rule', { key: KEYS.acmeAdmin, raw: '{}' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    expect((await problem(wrong)).detail).toBe('`POST` is not allowed on `/api/v1/rules/some-rule`');
    expect((await h.call('GET', '/api/v1/audit/proof/dec-1/x', { key: KEYS.acmeAdmin })).status).toBe(404);
    expect((await h.call('DELETE', '/api/v1/rules/', { key: KEYS.acmeAdmin })).status).toBe(404);
    // a static route beside a parameter route keeps its own methods
    const validate = await h.call('GET', '/api/v1/rules/validate', { key: KEYS.acmeAdmin });
    expect(validate.status).not.toBe(405);
  });

  it("is routed by Hono's RegExpRouter (no catch-all route forces the slower fallback)", async () => {
    await h.call('GET', '/healthz');
    expect((h.app.router as unknown as { activeRouter: { name: string } }).activeRouter.name).toBe('RegExpRouter');
  });

  it('keeps a limit given as undefined at its default (never switched off)', async () => {
    const open = await harness({ limits: { maxBytes: undefined, maxDepth: undefined } });
    const res = await open.call('POST', CHECK, { key: KEYS.acmeChecker, raw: `{"action":"x","context":{"s":"${'a'.repeat(65 * 1024)}"}}` });
    expect(res.status).toBe(413);
  });
});
