// The request URL every runtime routes alike. Deno and workerd build `req.url` by gluing the
// Host header to the path, so `GET /healthz` with `Host: x/api/v1/audit/checkpoint?` was
// routed to the checkpoint, a path proxies never saw; and they pass `.`/`..` segments (also
// as `%2e`) and `\` as sent, where Node and Bun resolve them (WHATWG URL rules) before the app
// sees the URL. Here a Host that is not `host[:port]` is a 400 (RFC 9112 §3.2), a `\` in the
// path is a 400 as on Node (Bun reads it as `/` before the app could tell), and `.`/`..`
// segments are resolved as Node and Bun resolve them.

import { BadRequest, type HttpProblem } from './problem.js';

// RFC 3986 host: an IP literal, or reg-name characters (IPv4 included), then an optional port.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]*)?$/;
// A dot segment (`/.`, `/%2e`) somewhere in the URL: worth resolving.
const UNRESOLVED = /\/(?:\.|%2e)/i;

/** Why a Host header is refused (400, RFC 9112 §3.2), or undefined when it is `host[:port]`. */
export function hostProblem(host: string): HttpProblem | undefined {
  return HOST.test(host) ? undefined : new BadRequest('the Host header is not a host name or address, with an optional port');
}

/** An absolute-form request target (`scheme://authority…`, RFC 3986 §3.1); group 1 is the authority. */
export const ABSOLUTE_TARGET = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** The request to route (itself, or one at its resolved URL), or why it is refused. */
export function checkedUrl(req: Request): Request | HttpProblem {
  const host = req.headers.get('host');
  const refused = host === null ? undefined : hostProblem(host);
  if (refused !== undefined) return refused;
  const url = req.url;
  // Bun hands an HTTP/1.0 request without Host a relative URL (`/x/api/v1/keys`), of which
  // Hono's router drops the first segment as if it were the host: a route that was not asked
  // for. Every other runtime refuses such a request, or makes the URL absolute.
  if (!url.startsWith('http://') && !url.startsWith('https://')) {
    // An absolute-form target of another scheme (or `HTTP://`, kept as sent by Deno) has a
    // Host; said as such ("no Host header" misleads).
    return new BadRequest(ABSOLUTE_TARGET.test(url) ? 'the request target is not an `http://` or `https://` URL' : 'the request has no Host header');
  }
  const query = url.indexOf('?');
  if ((query < 0 ? url : url.slice(0, query)).includes('\\')) return new BadRequest('the request path holds a `\\`');
  if (!UNRESOLVED.test(url)) return req;
  let href: string;
  try {
    href = new URL(req.url).href;
  } catch {
    return new BadRequest('the request URL cannot be read');
  }
  return href === req.url ? req : new Request(href, req);
}

/**
 * The path of an absolute request URL as sent, still percent-encoded (a problem's `instance`
 * must be a URI reference, RFC 9457 §3.1.5; Hono's `c.req.path` is decoded); a path that
 * begins `//` has its second `/` encoded, so it cannot name another host.
 * @example rawPath('http://h/api/v1/rules/a%20b?x=1') // '/api/v1/rules/a%20b'
 */
export function rawPath(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.slice(start).search(/[?#]/);
  // Deno and workerd pass `"`, `{`, `^`… as sent, where Node and Bun encode them:
  // what a URI path may not hold is encoded here, and a `%` that starts no escape.
  const path = (end < 0 ? url.slice(start) : url.slice(start, start + end)).replace(NOT_IN_URI_PATH, encodeForPath);
  // `//host/x` would read as a reference to another host (a network-path reference).
  return path.startsWith('//') ? `/%2F${path.slice(2)}` : path;
}

// RFC 3986 §3.3: a path holds unreserved, sub-delims, `:`, `@`, `/` and percent escapes.
const NOT_IN_URI_PATH = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2})/gu;

function encodeForPath(c: string): string {
  if (c === '%') return '%25';
  try {
    return encodeURIComponent(c);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: U+FFFD, as a URL parser writes it
  }
}
