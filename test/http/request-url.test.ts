// src/http/request-url.ts on URLs as Deno and workerd hand them over: built from the Host
// header and the path as sent (Node's fetch would resolve them before a test could).

import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../src/http/problem.js';
import { checkedUrl } from '../../src/http/request-url.js';

/** A request as such a runtime builds it: `url` as given, not resolved. */
function sent(url: string, host = 'mge.test'): Request {
  return { url, headers: new Headers({ host }), method: 'GET' } as unknown as Request;
}

describe('checkedUrl', () => {
  it('refuses a Host that is not host[:port], and a backslash in the path', () => {
    for (const host of ['x/api/v1/keys?', 'user@x', 'x y', 'x#y']) {
      expect(checkedUrl(sent(`http://${host}/healthz`, host)), host).toBeInstanceOf(HttpProblem);
    }
    expect((checkedUrl(sent('http://mge.test/api\\v1\\keys')) as HttpProblem).detail).toBe('the request path holds a `\\`');
    for (const host of ['localhost', 'mge.test:8080', '[::1]:8080', '127.0.0.1', 'a_b.example']) {
      const req = sent(`http://${host}/healthz`, host);
      expect(checkedUrl(req), host).toBe(req);
    }
    const query = sent('http://mge.test/healthz?p=a\\b');
    expect(checkedUrl(query)).toBe(query); // a backslash in the query is the query's business
  });

  it('refuses a relative URL (Bun: HTTP/1.0 without Host), which Hono would route without its first segment', () => {
    const relative = { url: '/anything/api/v1/keys', headers: new Headers(), method: 'GET' } as unknown as Request;
    expect((checkedUrl(relative) as HttpProblem).detail).toBe('the request has no Host header');
    // An absolute-form target of another scheme, as Deno keeps it, has a Host: said as what it is.
    for (const url of ['HTTP://mge.test/api/v1/rules', 'ftp://mge.test/api/v1/rules']) {
      expect((checkedUrl(sent(url)) as HttpProblem).detail, url).toBe('the request target is not an `http://` or `https://` URL');
    }
  });

  it('resolves dot segments as Node and Bun do, and leaves other URLs as they are', () => {
    expect((checkedUrl(sent('http://mge.test/api/v1/x/../../../healthz')) as Request).url).toBe('http://mge.test/healthz');
    expect((checkedUrl(sent('http://mge.test/api/v1/rules/%2e%2e')) as Request).url).toBe('http://mge.test/api/v1/');
    const plain = sent('http://mge.test/api/v1/rules/a.b');
    expect(checkedUrl(plain)).toBe(plain);
  });
});
