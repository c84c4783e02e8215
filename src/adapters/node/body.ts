// Reads a request body with Node's own streams before the web Request is built. @hono/node-server
// then wraps the bytes (`rawBody`) instead of converting the socket stream to a web stream,
// which costs more than the rest of reading a small JSON body. At most `maxBytes + 1` bytes are
// kept: the app still sees "more than the limit" and answers 413, and Node discards the rest.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PreReadBody } from '../../http/body.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * `maxBytes`: the body limit of the request's route (the verify route takes a whole decision).
 * @example createServer(withPreReadBody(getRequestListener(app.fetch), () => 64 * 1024))
 */
export function withPreReadBody(listener: Listener, maxBytesFor: (req: IncomingMessage) => number): Listener {
  return (req, res) => {
    const maxBytes = maxBytesFor(req);
    const declared = Number(req.headers['content-length'] ?? NaN);
    // Nothing to read, or a declared size the app refuses from the header alone.
    if (req.method === 'GET' || req.method === 'HEAD' || declared > maxBytes || declared === 0) return listener(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let handed = false;
    const hand = (): void => {
      if (handed) return;
      handed = true;
      req.off('data', onData);
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.concat(chunks, Math.min(size, maxBytes + 1));
      if (size > maxBytes) (req as IncomingMessage & { rawBodyCutAt?: number }).rawBodyCutAt = maxBytes;
      void listener(req, res);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        req.pause(); // the app answers 413; Node drops the rest of the body after the response
        hand();
      }
    };
    req.on('data', onData);
    req.once('end', hand);
    // A client that goes away mid-body gets no answer; nothing was evaluated.
    req.once('error', () => res.destroy());
  };
}

type Incoming = Partial<Pick<IncomingMessage, 'headers' | 'rawHeaders'>> & { rawBody?: unknown; rawBodyCutAt?: unknown };

/**
 * The bytes withPreReadBody kept and the request's Content-Type (from Node's own header object,
 * so the app never builds a web Headers for it), from the bindings @hono/node-server passes as
 * `c.env`.
 */
export function preReadBodyOf(env: unknown): PreReadBody | undefined {
  const incoming = (env as { incoming?: Incoming } | undefined)?.incoming;
  if (!(incoming?.rawBody instanceof Uint8Array)) return undefined;
  const cutAt = incoming.rawBodyCutAt;
  return {
    bytes: incoming.rawBody, contentType: contentTypeOf(incoming), contentEncoding: incoming.headers?.['content-encoding'],
    transferEncoding: incoming.headers?.['transfer-encoding'], ...(typeof cutAt === 'number' ? { cutAt } : {}),
  };
}

/**
 * Node keeps only the first of repeated Content-Type headers; a web Headers (Bun, Deno,
 * Workers, and this server's other requests) joins them with ", ", which no JSON type
 * matches (415). Joined here too, so every runtime answers such a request alike.
 */
function contentTypeOf(incoming: Incoming): string | undefined {
  const first = incoming.headers?.['content-type'];
  const raw = incoming.rawHeaders;
  if (first === undefined || raw === undefined) return first;
  const all = rawHeader(raw, 'content-type');
  return all.count > 1 ? all.joined : first;
}

/**
 * Every line of header `name` (lower case) in Node's `rawHeaders`, as a web Headers joins them
 * (", "), and how many there were: Node's own header object keeps only the first of some.
 */
export function rawHeader(raw: readonly string[], name: string): { count: number; joined: string | undefined } {
  let joined: string | undefined;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== name.length || raw[i].toLowerCase() !== name) continue;
    joined = count++ === 0 ? raw[i + 1] : `${joined}, ${raw[i + 1]}`;
  }
  return { count, joined };
}

/**
 * The Host header from Node's own header object in the bindings (`c.env`), so the open mode's
 * Host check builds no web Headers; undefined when absent or not on Node (the app then reads
 * the Request's).
 */
export function requestHostOf(env: unknown): string | undefined {
  return (env as { incoming?: Incoming } | undefined)?.incoming?.headers?.host;
}
