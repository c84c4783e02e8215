// An open-loop, evenly paced load for the latency phase of bench/http.ts. autocannon's
// `overallRate` releases each second's requests in a burst at the start of the second, which
// measures queueing behind the burst, not the latency at a steady rate. Here request i is due at
// t0 + i/rate, and its latency runs from that scheduled time (not from when the client got round
// to sending it) until its whole response is read: client lag and queueing count against it.
//
// The client shares the machine with the server it measures, so it must be cheap. node:http with
// an Agent and a 1 ms setInterval cost ~80 µs of CPU per request and reached p99 ≈ 400 ms at
// 5 000/s against a bare node:http echo. Here:
// - Node's timers tick in whole milliseconds, so a pacer thread sleeps (Atomics.wait, sub-ms)
//   until each request is due and writes the pre-built request bytes itself, with one write(2)
//   on the fd of an idle keep-alive socket: no message to the main thread, no extra wake-up.
// - The main thread owns the sockets and only reads: the status line, Content-Length (or the
//   chunked terminator) and the body's end; then it marks the connection idle again.
// Shared state, one slot per connection (Int32Array over a SharedArrayBuffer):
//   busy[k]  0 idle / 1 request in flight        index[k]  the request in flight on k
//   FREED    bumped (and notified) when a connection turns idle while the pacer has a backlog

import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface PacedResult {
  sent: number;
  ok: number;
  failed: number;
  /** Latencies of 200 responses in ms (from the scheduled send time), sorted. */
  latencies: number[];
  seconds: number;
}

export interface PacedOptions {
  /** Keep-alive connections, opened before the clock starts; one request in flight on each. */
  connections?: number;
}

/** Milliseconds on a clock shared by all threads of the process. */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

const FREED = 0; // shared header cells
const BACKLOG = 1;
const HEADER = 2;

// The pacer thread (plain JS, run with eval): sends request i at t0 + i/rate on an idle
// connection. With every connection busy it announces a backlog and waits for one to be freed.
const PACER = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
parentPort.once('message', ({ shared, fds, request, t0, rate, total }) => {
  const cells = new Int32Array(shared);
  const n = fds.length;
  const clock = () => Number(process.hrtime.bigint()) / 1e6;
  let next = 0; // round-robin start, so every connection is used
  const idle = () => {
    for (let j = 0; j < n; j++) {
      const k = (next + j) % n;
      if (Atomics.compareExchange(cells, ${HEADER} + k, 0, 1) === 0) return k;
    }
    return -1;
  };
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - clock();
    if (wait > 0) Atomics.wait(cells, ${BACKLOG}, 0, wait);
    let k = idle();
    while (k < 0) {
      Atomics.store(cells, ${BACKLOG}, 1);
      const freed = Atomics.load(cells, ${FREED});
      k = idle(); // a connection freed before the backlog was announced
      if (k < 0) Atomics.wait(cells, ${FREED}, freed, 50);
      Atomics.store(cells, ${BACKLOG}, 0);
      if (k < 0) k = idle();
    }
    Atomics.store(cells, ${HEADER} + n + k, i);
    for (let off = 0; off < request.length;) off += writeSync(fds[k], request, off);
    next = k + 1;
  }
});
parentPort.postMessage('ready');`;

/** The file descriptor under a connected net.Socket (libuv keeps it; the pacer only writes to it). */
function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('bench/http-paced.ts needs the socket fd (Linux / macOS)');
  return fd;
}

/** Reads responses of one connection; `done` gets each status once the whole response is in. */
function reader(socket: Socket, done: (status: number) => void): void {
  let buf: Buffer | undefined;
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    buf = buf === undefined ? chunk : Buffer.concat([buf, chunk]);
    const head = buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const headers = buf.toString('latin1', 0, head);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
    // Without Content-Length the body is chunked: complete once the zero-size chunk is in.
    const end = length ? head + 4 + Number(length[1]) : buf.indexOf('\r\n0\r\n\r\n', head) + 7;
    if ((length && buf.length < end) || end < 7) return;
    buf = end < buf.length ? buf.subarray(end) : undefined;
    done(Number(headers.slice(9, 12)));
  });
}

/** @example const r = await paced('http://127.0.0.1:8080/api/v1/governance/check', body, 5000, 10) */
export async function paced(url: string, body: string, rate: number, seconds: number, opts: PacedOptions = {}): Promise<PacedResult> {
  const target = new URL(url);
  const payload = Buffer.from(body);
  const request = Buffer.concat([
    Buffer.from(`POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`, 'latin1'),
    payload,
  ]);
  const n = opts.connections ?? 32;
  const total = Math.round(rate * seconds);
  const cells = new Int32Array(new SharedArrayBuffer(4 * (HEADER + 2 * n)));
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let answered = 0;
  let over = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const end = (): void => {
    if (over) return;
    over = true;
    failed += total - answered;
    answered = total;
    finish();
  };

  const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<Socket>((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => resolve(socket));
    socket.once('error', reject);
  })));
  let t0 = 0;
  sockets.forEach((socket, k) => {
    socket.once('close', end); // the server went away: everything unanswered has failed
    reader(socket, (status) => {
      if (status === 200) {
        ok++;
        latencies.push(now() - (t0 + (Atomics.load(cells, HEADER + n + k) * 1000) / rate));
      } else failed++;
      Atomics.store(cells, HEADER + k, 0);
      if (Atomics.load(cells, BACKLOG) === 1) {
        Atomics.add(cells, FREED, 1);
        Atomics.notify(cells, FREED);
      }
      if (++answered === total) end();
    });
  });

  const worker = new Worker(PACER, { eval: true });
  worker.once('error', end);
  await new Promise((resolve) => worker.once('message', resolve)); // its boot is not counted as lag
  t0 = now() + 1;
  worker.postMessage({ shared: cells.buffer, fds: sockets.map(fdOf), request, t0, rate, total });
  // Responses still missing 10 s after the last request was due count as failed.
  const timeout = setTimeout(end, seconds * 1000 + 10_000);
  await finished;
  const elapsed = (now() - t0) / 1000;
  clearTimeout(timeout);
  await worker.terminate();
  for (const s of sockets) {
    s.off('close', end);
    s.destroy();
  }
  latencies.sort((a, b) => a - b);
  return { sent: total, ok, failed, latencies, seconds: elapsed };
}
