// Timeouts and the retry policy over real sockets on 127.0.0.1: a listener that reads requests
// and never answers counts how many attempts (request heads) each kind of call sends.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MGEClient, MGENetworkError, MGETimeoutError } from '../../src/sdk/index.js';

let silent: Server;
let url: string;
let requests: string[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      for (const m of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE) (\S+) HTTP\/1\.1\r$/gm)) requests.push(`${m[1]} ${m[2]}`);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const addr = silent.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${addr.port}`;
  // The first fetch of a process loads the HTTP stack; under load that alone can outlast a
  // short timeout, and the attempt would never reach the socket to be counted.
  await fetch('data:,warm');
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** Request heads may arrive a moment after the client gave up on them. */
async function sent(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return requests;
}

const TIMEOUT = 300;
const client = () => new MGEClient(url, { timeoutMs: TIMEOUT, retries: 2, retryDelayMs: 10 });

describe('over the network', () => {
  it('times out a check after timeoutMs, with one attempt only', async () => {
    requests = [];
    const t0 = Date.now();
    const e = await client().checkCompliance('db.write').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGETimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMEOUT - 10);
    expect(await sent()).toEqual(['POST /api/v1/governance/check']);
  });

  it('retries an idempotent read, then reports the timeout', async () => {
    requests = [];
    await expect(client().rules.list()).rejects.toBeInstanceOf(MGETimeoutError);
    expect(await sent()).toEqual(Array(3).fill('GET /api/v1/rules'));
  });

  it('does not retry a server-side verify', async () => {
    requests = [];
    const decision = { decision_id: 'dec-x' } as never;
    await expect(client().verify(decision)).rejects.toBeInstanceOf(MGETimeoutError);
    expect(await sent()).toEqual(['POST /api/v1/receipts/verify']);
  });

  it('reports a refused connection as MGENetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await new MGEClient(`http://127.0.0.1:${port}`, { retries: 0 }).checkCompliance('x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGENetworkError);
  });
});
