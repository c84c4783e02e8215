// Serves the HTTP app on Node with @hono/node-server. Listening and closing are promises; close
// stops accepting, lets requests in progress finish, then ends idle keep-alive connections and,
// after `graceMs`, any connection still open.

import { getRequestListener } from '@hono/node-server';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { BadRequest } from '../http/problem.js';
import { withPreReadBody } from './node-body.js';

export interface NodeServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** How long close() waits for open connections before cutting them. */
  graceMs?: number;
  /** Bodies are read up to this many bytes (+1) before the app sees them; default 64 KiB. */
  maxBodyBytes?: number;
}

export interface RunningServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  server: Server;
  /** Stops accepting now; resolves once every connection has ended. */
  close(): Promise<void>;
}

/**
 * @example const running = await startNodeServer(app.fetch, { host: '127.0.0.1', port: 8080 })
 */
export function startNodeServer(fetch: (req: Request) => Response | Promise<Response>, opts: NodeServerOptions): Promise<RunningServer> {
  const server = createServer(withPreReadBody(getRequestListener(fetch), opts.maxBodyBytes ?? 64 * 1024));
  // A request whose headers never finish must not hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolve({ url: `http://${host}:${port}`, port, server, close: () => closeServer(server, opts.graceMs ?? 5_000) });
    });
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    // A keep-alive connection turns idle only once its last response is written; sweep until
    // every one has, rather than waiting for the client to hang up.
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    server.close(() => {
      clearTimeout(cut);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Requests Node's parser refuses (bad framing, no Host) get problem+json too, then the socket closes. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const p = new BadRequest(err.code === 'HPE_HEADER_OVERFLOW' ? 'the request headers are too large' : 'malformed HTTP request');
  const body = JSON.stringify({ type: `urn:mge:problem:${p.slug}`, title: p.title, status: p.status, detail: p.detail });
  socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
