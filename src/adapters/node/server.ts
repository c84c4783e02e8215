// Serves the HTTP app on Node with @hono/node-server. Listening and closing are promises; close
// stops accepting, lets requests in progress finish, then ends idle keep-alive connections;
// after `graceMs` it cuts every connection with no request in the app, and after
// `hardCloseMs` any connection still open.

import { getRequestListener } from '@hono/node-server';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { BadRequest, HttpProblem, InternalError, problemBody, problemResponse, RequestTimeout } from '../../http/problem.js';
import { VERIFY_PATH, verifyLimits } from '../../http/body.js';
import { ABSOLUTE_TARGET, hostProblem } from '../../http/request-url.js';
import { DEFAULT_JSON_LIMITS, jsonLimits } from '../../json/strict-parse.js';
import { rawHeader, withPreReadBody } from './body.js';

export interface NodeServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * How long close() waits before cutting connections that have no request in the app (idle,
   * or an upload not finished); one whose request the app is handling (a check being signed
   * and logged) is kept until it is answered, up to `hardCloseMs`.
   */
  graceMs?: number;
  /** When close() cuts every connection left, answered or not (default 25 s: below the 30 s a
   * container orchestrator usually waits before SIGKILL, so the stop still keeps its checkpoint). */
  hardCloseMs?: number;
  /** Bodies are read up to this many bytes (+1) before the app sees them; default 64 KiB. */
  maxBodyBytes?: number;
  /**
   * Whether a request's headers name a configured API key (absent: no keys, the open mode).
   * The verify route reads a body of up to 1 MiB; without a known key it is held to
   * `maxBodyBytes` like any other, so a client with no key cannot make the server keep 1 MiB a
   * connection (300 keyless stalled uploads: +240 MB for 30 s). The app
   * answers such a request 401 before it reads anything.
   */
  keyKnown?: (headers: NodeJS.Dict<string[]>) => boolean;
  /**
   * How long a request may take to arrive whole, headers and body (default 30 s; its headers
   * alone: 10 s at most). Past it the request is answered 408 and its connection closed.
   */
  requestTimeoutMs?: number;
  /**
   * A connection on which nothing moves for this long, either way, is closed (default 120 s):
   * a client that stops reading a streamed audit export held its connection and a 1 MiB read
   * buffer for good. Idle keep-alive connections close sooner (Node's 5 s).
   */
  stalledMs?: number;
  /**
   * Connections held at once (node/connection-cap.ts); one past it is closed as it arrives,
   * and `refused` hears of it. Default: no cap (Node's).
   */
  maxConnections?: number;
  refused?: () => void;
  /**
   * How long a connection this server has ended (a timeout's 408, a keep-alive end,
   * `Connection: close`) stays open for a client that does not close its side (default 10 s).
   * Until 11-29 such a client kept the descriptor, and its slot under the cap, until `stalledMs`
   * (about 134 s from connecting: a re-review).
   */
  endedGraceMs?: number;
  /** Hears the status of each answer the server gives without the app (no Host, bad framing), for the metrics. */
  answeredAlone?: (status: number) => void;
  /**
   * Hears, at the hard close, how many connections it cut with a request still in the app or
   * an answer not yet sent (only when there were some): decisions that may be logged but not
   * received, for the shutdown's log.
   */
  cutUnanswered?: (connections: number) => void;
}

export interface RunningServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  server: Server;
  /** Connections open now. */
  connections(): number;
  /** Stops accepting now; resolves once every connection has ended. */
  close(): Promise<void>;
}

/**
 * Whether the app routes a request target to the verify route, as its router will read it:
 * in absolute form (`http://h/api/…`), with `.`/`..` segments, percent-encoded
 * (`%76erify`). Were only the plain path given the verify route's limit here, such a chunked
 * decision over 64 KiB would be cut and answered 413 (Bun, Deno and workerd read it).
 */
function routesToVerify(url: string): boolean {
  if (url === VERIFY_PATH) return true;
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  if (path.startsWith('/') && !/[%.]|\/\//.test(path)) return path === VERIFY_PATH; // the usual request, read at once
  // As @hono/node-server makes the request's URL: an absolute form (lower-case scheme) as it
  // is, any other target after a host (so `//x/…` is a path, not an authority).
  const absolute = url.startsWith('http://') || url.startsWith('https://');
  if (!absolute && !url.startsWith('/')) return false;
  let routed: string;
  try {
    routed = new URL(absolute ? url : `http://h${url}`).pathname;
  } catch {
    return false;
  }
  try {
    return decodeURI(routed) === VERIFY_PATH;
  } catch {
    return routed === VERIFY_PATH;
  }
}

/** NodeServerOptions.endedGraceMs by default: a client reads an answer in far less. */
const ENDED_GRACE_MS = 10_000;

/** NodeServerOptions.stalledMs by default. */
const STALLED_MS = 120_000;

/** Requests the app is handling, by connection, and what waits for them to be answered. */
class RequestsInApp {
  private readonly count = new Map<Duplex, number>();
  private readonly waiting = new Map<Duplex, Array<() => void>>();

  enter(socket: Duplex, res: ServerResponse): void {
    this.count.set(socket, (this.count.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const n = (this.count.get(socket) ?? 1) - 1;
      if (n > 0) return void this.count.set(socket, n);
      this.count.delete(socket);
      const then = this.waiting.get(socket);
      this.waiting.delete(socket);
      for (const f of then ?? []) f();
    });
  }

  /** A request of `socket` is in the app, or an answer is still queued to be sent on it. */
  busy(socket: Duplex): boolean {
    return this.count.has(socket) || socket.writableLength > 0;
  }

  /** Runs `then` once every request of `socket` in the app is answered (or its connection gone); at once if none is. */
  whenAnswered(socket: Duplex, then: () => void): void {
    if (!this.count.has(socket)) return then();
    const list = this.waiting.get(socket);
    if (list === undefined) this.waiting.set(socket, [then]);
    else list.push(then);
  }
}

/**
 * Keeps `sockets` as the connections open, holding at most `maxConnections` (one past it is
 * closed as it arrives, and `refused` hears of it), and cuts one the server has ended that the
 * client keeps open past `endedGraceMs`. Counted here rather than by Node's
 * `server.maxConnections`: Bun emits its 'drop' and leaves the connection open, and Deno closes
 * it without the event.
 */
function trackConnections(server: Server, sockets: Set<Duplex>, opts: Pick<NodeServerOptions, 'maxConnections' | 'refused' | 'endedGraceMs'>): void {
  const maxConnections = opts.maxConnections ?? Infinity;
  server.on('connection', (socket: Duplex) => {
    if (sockets.size >= maxConnections) {
      socket.destroy();
      return opts.refused?.();
    }
    sockets.add(socket);
    socket.once('finish', () => {
      const cut = setTimeout(() => socket.destroy(), opts.endedGraceMs ?? ENDED_GRACE_MS);
      cut.unref();
      socket.once('close', () => clearTimeout(cut));
    });
    socket.once('close', () => sockets.delete(socket));
  });
}

/**
 * @example const running = await startNodeServer(app.fetch, { host: '127.0.0.1', port: 8080 })
 */
export function startNodeServer(fetch: (req: Request) => Response | Promise<Response>, opts: NodeServerOptions): Promise<RunningServer> {
  const alone = opts.answeredAlone ?? (() => undefined);
  // @hono/node-server refuses a request it cannot make a URL of (a Host such as `x/y`, a `\`
  // in the path, `OPTIONS *`) before the app runs, with a bare 400: ours is problem+json, counted.
  const errorHandler = (err: unknown): Response => {
    const p = err instanceof Error && err.name === 'RequestError'
      ? new BadRequest(`the request's URL cannot be read: ${err.message.charAt(0).toLowerCase()}${err.message.slice(1)}`)
      : new InternalError();
    alone(p.status);
    return problemResponse(p);
  };
  // Each route's own limit: the app answers 413 past it, from the bytes kept here (limit + 1).
  const maxBody = opts.maxBodyBytes ?? DEFAULT_JSON_LIMITS.maxBytes;
  const verifyMax = verifyLimits(jsonLimits({ maxBytes: maxBody })).maxBytes; // what the verify route reads
  const keyKnown = opts.keyKnown ?? (() => true);
  // Every value of each header (headersDistinct), as the app's web Headers sees them: Node's
  // `headers` keeps only the first `Authorization`, which the app joins with a second one.
  const bodyLimit = (req: IncomingMessage): number => (routesToVerify(req.url ?? '') && keyKnown(req.headersDistinct) ? verifyMax : maxBody);
  // Requests the app is handling, by connection: close() does not cut those at `graceMs`.
  // Cut there, a batch that took longer to sign and log was logged and never answered (2 000
  // of 6 000 decisions after a SIGTERM under load).
  const inApp = new RequestsInApp();
  const app = getRequestListener(fetch, { errorHandler });
  const tracked = (req: IncomingMessage, res: ServerResponse): unknown => {
    inApp.enter(req.socket, res);
    return app(req, res);
  };
  const listener = withPreReadBody(tracked, bodyLimit);
  const sockets = new Set<Duplex>();
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  // Node looks for requests past their time every `connectionsCheckingInterval` (30 s by
  // default, so a stalled upload held its socket for up to a minute).
  const server = createServer({ requireHostHeader: false, connectionsCheckingInterval: Math.min(5_000, requestTimeout) }, (req, res) => {
    // A request on a connection ended at shutdown (closeIdleGently) is neither answered nor
    // run: an answer written there would fail, and the error would reset what is still queued.
    if (req.socket.writableEnded) return void req.resume();
    const refused = targetProblem(req);
    if (refused !== undefined) {
      alone(400);
      return answerProblem(res, refused);
    }
    if (req.method === 'DELETE') withoutTypeOn204(res); // the app's only 204s answer DELETE
    return listener(req, res);
  });
  // A client that half-closes its side once its request is sent (some HTTP/1.0 clients,
  // `nc -N`) still gets its answer: by default Node aborts the requests in progress when the
  // client's side ends, and a decision already logged was never delivered.
  // `httpAllowHalfOpen` is Node's own switch for that, not in its typings (test/http/e2e/
  // routes.e2e.test.ts fails if it stops working).
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // A request whose headers or body never finish must not hold a socket forever.
  server.headersTimeout = Math.min(10_000, requestTimeout);
  server.requestTimeout = requestTimeout;
  // Node destroys a socket on which nothing was read or written for this long.
  server.timeout = opts.stalledMs ?? STALLED_MS;
  trackConnections(server, sockets, opts);
  // CONNECT (a proxy's method) is an event of its own, which Node answers by closing the
  // connection without a word when nobody listens: a 400 problem, as for any
  // method the server does not serve.
  // Node hands the socket over without its own 'error' and timeout handling: a client's reset
  // was an unhandled 'error' that ended the process, and such a connection
  // never timed out. Both are given back here.
  server.on('connect', (_req: IncomingMessage, socket: Duplex & { setTimeout(ms: number, cb: () => void): unknown }) => {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(opts.stalledMs ?? STALLED_MS, () => socket.destroy());
    // Node also takes away its 'drain' relay: a streamed answer still being written before the
    // CONNECT (an export) waited for a 'drain' that never came.
    socket.on('drain', () => {
      const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (pending && !pending.writableFinished) pending.emit('drain');
    });
    alone(400);
    answerAfterPending(socket, new BadRequest('CONNECT is not served here: MGE is not a proxy'), inApp);
  });
  // `Expect: 100-continue`: by default Node says "continue" to every such request, and a client
  // then sent a body the app refuses from its declared size alone (413). That request gets no
  // "continue"; its connection closes after the answer, as the client may still send the body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > bodyLimit(req)) res.shouldKeepAlive = false;
    else res.writeContinue();
    server.emit('request', req, res);
  });
  // An `Expect` other than 100-continue: Node's own answer is a bare 417 with no body;
  // the same status as problem+json, and the connection closed.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    alone(417);
    answerProblem(res, new HttpProblem(417, 'expectation-failed', 'Expectation failed', 'the only expectation this server meets is `Expect: 100-continue`'));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status = answerClientError(err, socket, inApp);
    if (status !== undefined) alone(status);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const { cutIdle, cutAll } = connectionCutters(server, sockets, inApp, opts.cutUnanswered);
      resolve({ url: `http://${host}:${port}`, port, server, connections: () => sockets.size, close: () => closeServer(server, opts.graceMs ?? 5_000, cutIdle, opts.hardCloseMs ?? 25_000, cutAll) });
    });
  });
}

/**
 * Why a request is refused (400) before the app runs, from its Host header and target: Node
 * would answer a missing Host with a bare 400 of its own, and the rest it lets through.
 */
function targetProblem(req: IncomingMessage): HttpProblem | undefined {
  const host = req.headers.host;
  if (host === undefined) return new BadRequest('the request has no Host header');
  // Node keeps the first of two Host headers; RFC 9112 §3.2 asks for a 400, as the app
  // answers on the other runtimes (a web Headers joins them, no host name matches that).
  if (rawHeader(req.rawHeaders, 'host').count > 1) return new BadRequest('the request has more than one Host header');
  // The app leaves the Host to this server (AppDeps.urlChecked). @hono/node-server's own
  // check compares only lengths, and `é.é.é/api/v1/audit/checkpoint?x` (each `é.` grows by
  // six as punycode) routed `GET /healthz` to the checkpoint.
  const badHost = hostProblem(host);
  if (badHost !== undefined) return badHost;
  // RFC 9110 §4.2.4: user information in a target is an error. @hono/node-server kept
  // `http://u@h/…` and failed on it once the body was read: a 500 and an error in the log;
  // the other runtimes drop it.
  const authority = ABSOLUTE_TARGET.exec(req.url ?? '')?.[1];
  if (authority?.includes('@')) return new BadRequest('the request target holds user information (`user@`), which HTTP refuses');
  // An absolute-form target names its host itself, and RFC 9112 §3.2.2 has a server go by it,
  // not by Host; the open mode's loopback check reads Host. The two must agree (else
  // `GET http://evil.example/… ` with `Host: localhost` is served as loopback).
  if (authority !== undefined && authority.toLowerCase() !== host.toLowerCase()) return new BadRequest('the request target names another host than its Host header');
  return undefined;
}

/**
 * How a stop ends connections. `cutIdle`, at the grace: an idle connection is ended (see
 * closeIdleGently), one still uploading a request is cut, one with a request in the app is
 * left alone. `cutAll`, at the hard close: every connection, with a count of the requests cut
 * unanswered told to `cutUnanswered`.
 */
function connectionCutters(server: Server, sockets: Set<Duplex>, inApp: RequestsInApp, cutUnanswered: ((n: number) => void) | undefined): { cutIdle: () => void; cutAll: () => void } {
  const idleNow = closeIdleGently(server, inApp);
  const cutIdle = (): void => {
    const idle = idleNow?.();
    for (const socket of sockets) {
      if (inApp.busy(socket)) continue;
      if (idle?.has(socket) === true) {
        if (!socket.writableEnded) socket.end();
      } else {
        socket.destroy();
      }
    }
  };
  const cutAll = (): void => {
    let unanswered = 0;
    for (const socket of sockets) if (inApp.busy(socket)) unanswered++;
    server.closeAllConnections();
    // Also those Node's HTTP server no longer tracks (one it handed to the 'connect'
    // handler, left half open by its client): server.close() waited for them for good, and
    // the stop never ended.
    for (const socket of sockets) socket.destroy();
    if (unanswered > 0) cutUnanswered?.(unanswered);
  };
  return { cutIdle, cutAll };
}

/**
 * Closes idle connections at shutdown without losing an answer. Node counts a connection idle
 * once its response is ended, and `closeIdleConnections` (which `server.close()` calls too)
 * destroyed it: an answer still queued in Node for a slow reader was lost (7 479 of 13 200
 * batch decisions once), and so was one already in the kernel's send buffer when the client
 * sent another byte, which a closed socket answers with a reset that discards it (a keep-alive
 * client's next check after SIGTERM). So a connection with a request in
 * the app or bytes queued is left alone, and an idle one is ended (FIN after what is queued),
 * not destroyed: it closes when the client closes it, or at the hard close. Node's list of
 * connections is internal: without it, Node's own method runs. Returns the idle sockets' lookup.
 */
function closeIdleGently(server: Server, inApp: RequestsInApp): (() => Set<Duplex>) | undefined {
  const kConnections = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
  const connections = kConnections === undefined ? undefined : (server as unknown as Record<symbol, { idle?: () => Array<{ socket: Duplex & { _httpMessage?: ServerResponse | null } }> }>)[kConnections];
  if (typeof connections?.idle !== 'function') return undefined;
  server.closeIdleConnections = function closeIdleConnections(): void {
    for (const { socket } of connections.idle!()) {
      if (socket._httpMessage && !socket._httpMessage.writableEnded) continue; // Node's own rule
      if (!inApp.busy(socket) && !socket.writableEnded) socket.end();
    }
  };
  return () => new Set(connections.idle!().map((c) => c.socket));
}

function closeServer(server: Server, graceMs: number, cutIdle: () => void, hardCloseMs: number, cutAll: () => void): Promise<void> {
  return new Promise((resolve) => {
    let pastGrace = false;
    const cut = setTimeout(() => {
      pastGrace = true;
      cutIdle();
    }, graceMs);
    const hard = setTimeout(cutAll, Math.max(graceMs, hardCloseMs));
    // A keep-alive connection turns idle only once its last response is written; sweep until
    // every one has, rather than waiting for the client to hang up. Past the grace, one whose
    // request left the app (answered) is cut too, whatever it sends next.
    const sweep = setInterval(() => {
      server.closeIdleConnections();
      if (pastGrace) cutIdle();
    }, 25);
    server.close(() => {
      clearTimeout(cut);
      clearTimeout(hard);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * @hono/node-server gives every response a Content-Type, `text/plain` when it has none; a 204
 * has no content to describe (RFC 9110 §15.3.5), so the header is dropped there.
 */
function withoutTypeOn204(res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    if (status === 204) {
      const headers = rest.find((r) => typeof r === 'object' && r !== null && !Array.isArray(r)) as Record<string, unknown> | undefined;
      if (headers) delete headers['content-type'];
      this.removeHeader('content-type');
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];
}

function answerProblem(res: ServerResponse, p: HttpProblem): void {
  const body = problemBody(p);
  res.writeHead(p.status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
}

/** Answers `p` on a socket Node's HTTP machinery has let go of, and closes it. */
function answerOnSocket(socket: Duplex, p: HttpProblem): void {
  if (!socket.writable) return void socket.destroy();
  const body = problemBody(p);
  // RFC 9110 §6.6.1: an origin server with a clock sends Date, on errors too (a review, 11-29).
  socket.end(`HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? p.title}\r\ndate: ${new Date().toUTCString()}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * Requests Node's parser refuses (bad framing, oversized headers) get problem+json too, then
 * the socket closes. Returns the status answered, if any.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, inApp: RequestsInApp): number | undefined {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return undefined;
  }
  const p = err.code === 'HPE_HEADER_OVERFLOW'
    ? new HttpProblem(431, 'request-header-fields-too-large', 'Request header fields too large', 'the request headers are too large') // RFC 6585 §5
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new RequestTimeout()
      : new BadRequest('malformed HTTP request');
  answerAfterPending(socket, p, inApp);
  return p.status;
}

/**
 * Answers `p` on `socket` once every request before it on the connection is answered (bad
 * bytes, or a CONNECT, after complete requests): their answers (decisions already logged) go
 * out first, then this one if the connection still takes it. Written at once, it closed the
 * connection before them; waiting for the first pipelined one only, the third and later were
 * logged and never answered. A request whose body never arrived whole (cut off by the
 * client's FIN, a bad chunk, a stalled upload) is not in the app and never will be: it is not
 * waited for (waiting held the socket and the body read so far for good: 1 000 such requests
 * stopped a server). A whole request whose body's end Node has not delivered yet is not in the
 * app yet either: the response Node attached to the socket (`_httpMessage`, not in its typings) tells.
 */
function answerAfterPending(socket: Duplex, p: HttpProblem, inApp: RequestsInApp): void {
  const afterAll = (): void => inApp.whenAnswered(socket, () => {
    if (!socket.destroyed && socket.writable) answerOnSocket(socket, p);
  });
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (pending && !pending.writableFinished && (pending.headersSent || pending.req?.complete)) pending.once('close', afterAll);
  else afterAll();
}
