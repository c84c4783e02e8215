// An open-loop, evenly paced load for the latency phase of bench/http.ts. autocannon's
// `overallRate` releases each second's requests in a burst at the start of the second, which
// measures queueing behind the burst, not the latency at a steady rate. Here request i is sent
// at t0 + i/rate (checked every millisecond) over keep-alive connections, and its latency is
// measured from that send until the whole response is read.

import { Agent, request } from 'node:http';

export interface PacedResult {
  sent: number;
  ok: number;
  failed: number;
  /** Latencies of 200 responses in ms, sorted. */
  latencies: number[];
  seconds: number;
}

/** @example const r = await paced(url, body, 5000, 10) */
export async function paced(url: string, body: string, rate: number, seconds: number): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(url);
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let pending = 0;
  const total = Math.round(rate * seconds);
  const t0 = performance.now();

  const fire = (): void => {
    const start = performance.now();
    pending++;
    const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        pending--;
        if (res.statusCode === 200) {
          ok++;
          latencies.push(performance.now() - start);
        } else failed++;
      });
    });
    req.on('error', () => {
      pending--;
      failed++;
    });
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (sent < due) {
        sent++;
        fire();
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const deadline = performance.now() + 10_000;
  while (pending > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { sent, ok, failed, latencies, seconds: (performance.now() - t0) / 1000 };
}
