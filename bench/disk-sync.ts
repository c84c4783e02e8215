// The disk's own floor for `MGE_AUDIT_FSYNC=always`: how long fdatasync takes on the data
// directory's disk, for appends the size of a few audit lines. With fsync=always every check
// waits for at least one such sync (group commit: a check queued while a sync runs waits for
// that one and its own), so no server can answer faster than this; bench/http.ts prints it
// beside the latency phases, with the CPU one sync costs (on 11-27's VM ~145 µs of kernel
// time: with fsync=always a check pays that divided by the lines of its group).

import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SyncLatency {
  /** fdatasync calls timed. */
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU time (user + system) per append and sync, µs: what a group commit divides among its checks. */
  cpuUs: number;
}

/** Times `n` appends of `bytes` bytes, each followed by fdatasync, in a scratch file in `dir` (ms). */
export function syncLatency(dir: string, n = 2000, bytes = 3000): SyncLatency {
  const file = join(dir, 'sync-probe.tmp');
  const fd = openSync(file, 'a');
  const line = Buffer.alloc(bytes, 'x');
  line[bytes - 1] = 0x0a;
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  try {
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      writeSync(fd, line);
      fdatasyncSync(fd);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  const used = process.cpuUsage(cpu);
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(n - 1, Math.floor(p * n))];
  return { n, p50: at(0.5), p99: at(0.99), max: ms[n - 1], cpuUs: (used.user + used.system) / n };
}
