// HTTP load bench (loopback only, bounded): drives `mge serve` and, in the same run, three bare
// Hono endpoints that only parse and echo JSON (http-bare.ts: as usually written, with the
// Node body pre-read MGE uses, and served exactly like mge serve), with autocannon. Prints
// req/s, p50/p99 and server CPU per request at full load, then latency at a steady 5 000
// requests/s (evenly paced open loop, http-paced.ts) for the two faster bare endpoints (the
// floor of this machine and client) and for MGE, for both audit fsync policies. All servers
// run at once and the full-load phases take turns in slices (BENCH_SLICES, default 5), so a
// shared machine's drift falls on all alike.
// First it times fdatasync on the data directory's disk (bench/disk-sync.ts): with
// fsync=always no check can be answered faster than that, whatever the server does.
//
// Every server runs the build users run: `mge serve` is `node bin/mge.js serve` (dist/, as
// `npm start`), and the bench servers import MGE from dist/ too (the npm script builds first).
// Source run through tsx is slower: its transform wraps every named closure in a `__name`
// call, which on 11-26 cost `mge serve` a quarter of its throughput.
//
//   npm run bench:http            (about 90 s; BENCH_SECONDS=N per phase, BENCH_RATE=N for the fixed-rate phases)
//   npm run bench:http -- --steps (48 s more: the pre-read echo with MGE's steps added one at a
//                                  time, http-steps-server.ts: where MGE's server CPU goes)
//
// Latencies come from autocannon's per-response times (fractional ms), not its 1 ms histogram.

import autocannon from 'autocannon';
import { paced } from './http-paced.js';
import { syncLatency, type SyncLatency } from './disk-sync.js';
import { markdownTable } from './workloads/harness.js';
import { writeResultsSection } from './workloads/results-file.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = 2;
/** Full-load phases take turns in this many slices of SECONDS / SLICES each (BENCH_SLICES). */
const SLICES = Number(process.env.BENCH_SLICES ?? 5);
const CONNECTIONS = 32;
/** The fixed rate of the latency phase (the goal is stated at 5 000/s; lower it on a machine that cannot sustain that). */
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const BODY = JSON.stringify({ action: { type: 'api.call', endpoint: '/v1/users' }, context: { agent_id: 'bench-agent', environment: 'staging' } });

interface Result {
  name: string;
  rps: number;
  /** Server CPU time per answered request (user + system, from /proc): steadier than req/s on a shared machine. */
  cpuUs: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/**
 * Starts a server: a bench script (TypeScript, through tsx) or, for `.js`, a script run by node
 * itself (`bin/mge.js`: `mge serve` exactly as `npm start` runs it).
 */
function start(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 30 s`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume(); // keep draining the logs so the server never blocks on a full pipe
        resolve({ url: m[1], child });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${out}`)));
  });
}

/** CPU milliseconds a process has used (Linux /proc; NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Load {
  rps: number;
  times: number[];
  cpuMs: number;
  non2xx: number;
  errors: number;
}

/** One stretch of full load: autocannon for `seconds`, with each 200 response's latency. */
async function load(url: string, pid: number, seconds: number): Promise<Load> {
  const times: number[] = [];
  const cpu0 = cpuMs(pid);
  const instance = autocannon({
    url, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS, duration: seconds,
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) times.push(ms);
  });
  const r = await instance;
  return { rps: r.requests.average, times, cpuMs: cpuMs(pid) - cpu0, non2xx: r.non2xx, errors: r.errors };
}

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Full load on every server, interleaved: each gets SECONDS of load in SLICES turns, servers
 * taking turns (order reversed every other round), so the drift of this shared machine falls
 * on all of them alike. req/s is the median over the slices; latencies and CPU pool them all.
 * Returns the results and, per server, its req/s in each slice (for same-slice ratios).
 */
async function interleaved(servers: Server[]): Promise<{ results: Result[]; slices: number[][] }> {
  for (const s of servers) await load(s.url, s.child.pid!, WARMUP);
  const acc = servers.map(() => ({ rps: [] as number[], times: [] as number[], cpuMs: 0, non2xx: 0, errors: 0 }));
  for (let k = 0; k < SLICES; k++) {
    const order = servers.map((_, i) => (k % 2 === 0 ? i : servers.length - 1 - i));
    for (const i of order) {
      const r = await load(servers[i].url, servers[i].child.pid!, SECONDS / SLICES);
      const a = acc[i];
      a.rps.push(r.rps);
      for (const t of r.times) a.times.push(t);
      a.cpuMs += r.cpuMs;
      a.non2xx += r.non2xx;
      a.errors += r.errors;
    }
  }
  const results = servers.map((s, i) => {
    const a = acc[i];
    a.times.sort((x, y) => x - y);
    const cpuUs = (a.cpuMs * 1000) / Math.max(1, a.times.length);
    return { name: s.name, rps: median(a.rps), cpuUs, p50: percentile(a.times, 50), p99: percentile(a.times, 99), non2xx: a.non2xx, errors: a.errors };
  });
  return { results, slices: acc.map((a) => a.rps) };
}

/** Median over slices of a's req/s ÷ b's in the same slice. */
function sliceRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

/** Latency at a steady rate (evenly paced, open loop: see http-paced.ts). */
async function pacedPhase(name: string, url: string, pid: number, rate: number): Promise<Result> {
  await paced(url, BODY, rate, WARMUP);
  const cpu0 = cpuMs(pid);
  const r = await paced(url, BODY, rate, SECONDS);
  const cpuUs = ((cpuMs(pid) - cpu0) * 1000) / Math.max(1, r.ok);
  return { name, rps: r.ok / r.seconds, cpuUs, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), non2xx: r.failed, errors: r.sent - r.ok - r.failed };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const started = new Date();
const data = mkdtempSync(join(tmpdir(), 'mge-bench-'));
const width = 36;
// Every server is up for the whole run; only the one under load uses CPU.
const servers: Server[] = [];
const up = async (name: string, script: string, args: string[], path: string, env: NodeJS.ProcessEnv = {}) => {
  const s = await start(script, args, env);
  servers.push({ name, url: s.url + path, child: s.child });
  return servers[servers.length - 1];
};
const results: Result[] = [];
let slices: number[][];
const steps: Result[] = [];
let disk: SyncLatency;
try {
  // The disk's floor for fsync=always, measured before any server is busy.
  disk = syncLatency(data);
  const bare = await up('bare Hono (c.req.json)', 'bench/http-bare.ts', [], '/echo');
  const bareNode = await up('bare Hono (MGE body path)', 'bench/http-bare.ts', ['--pre-read'], '/echo');
  const bareAsMge = await up('bare Hono (served like mge serve)', 'bench/http-bare.ts', ['--as-mge'], '/echo');
  // Both audit durability policies: `always` (default: fdatasync per group commit, an answered
  // decision survives a power cut) and `never` (written, not synced: survives a process crash).
  const mge = [];
  for (const fsync of ['always', 'never'] as const) {
    const dir = mkdtempSync(join(data, `${fsync}-`));
    mge.push(await up(`mge /check fsync=${fsync}`, 'bin/mge.js', ['serve', '--rules', 'rules', '--port', '0', '--data', dir], '/api/v1/governance/check',
      { MGE_API_KEYS: undefined, MGE_SECRET_KEY: undefined, MGE_AUDIT_FSYNC: fsync }));
  }
  const full = await interleaved([bare, bareNode, bareAsMge, ...mge]);
  slices = full.slices;
  const [r1, r2, r3, rAlways, rNever] = full.results;
  results.push(r1, r2, await pacedPhase(`bare Hono (MGE body path) @${RATE}/s`, bareNode.url, bareNode.child.pid!, RATE));
  results.push(r3, await pacedPhase(`bare Hono (served like mge serve) @${RATE}/s`, bareAsMge.url, bareAsMge.child.pid!, RATE));
  results.push(rAlways, await pacedPhase(`mge /check fsync=always @${RATE}/s`, mge[0].url, mge[0].child.pid!, RATE));
  results.push(rNever, await pacedPhase(`mge /check fsync=never @${RATE}/s`, mge[1].url, mge[1].child.pid!, RATE));
  for (const s of servers.splice(0)) await stop(s.child);

  // --steps: the pre-read echo with MGE's steps added one at a time (bench/http-steps-server.ts).
  if (process.argv.includes('--steps')) {
    for (const upto of ['parse', 'evaluate', 'sign', 'audit']) await up(`echo + steps up to ${upto}`, 'bench/http-steps-server.ts', ['--upto', upto], '/echo');
    steps.push(...(await interleaved(servers)).results);
  }
} finally {
  for (const s of servers) await stop(s.child);
  rmSync(data, { recursive: true, force: true });
}

console.log(`\n${'phase'.padEnd(width)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'non-2xx'.padStart(8)} ${'errors'.padStart(7)} ${'CPU µs/req'.padStart(11)}`);
for (const r of [...results, ...steps]) {
  console.log(`${r.name.padEnd(width)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(3).padStart(8)} ${r.p99.toFixed(3).padStart(8)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)} ${r.cpuUs.toFixed(1).padStart(11)}`);
}
const [bare1, bare2, bare2Paced, bare3, bare3Paced, always, always5k, never, never5k] = results;
// Ratios are taken slice by slice (servers loaded one after another within a slice), then the median.
const [sBare1, sBare2, sBare3, sAlways, sNever] = slices!;
const ratios = {
  always: sliceRatio(sAlways, sBare1), never: sliceRatio(sNever, sBare1),
  alwaysVsPreRead: sliceRatio(sAlways, sBare2), neverVsPreRead: sliceRatio(sNever, sBare2),
  alwaysVsAsMge: sliceRatio(sAlways, sBare3), neverVsAsMge: sliceRatio(sNever, sBare3),
};
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
console.log(`\nmge / bare throughput (goal ≥ 75 %), against bare Hono as usually written: fsync=always ${pct(ratios.always)}, fsync=never ${pct(ratios.never)}`);
console.log(`                                  against bare Hono with MGE's body path: fsync=always ${pct(ratios.alwaysVsPreRead)}, fsync=never ${pct(ratios.neverVsPreRead)}`);
console.log(`                                against bare Hono served like mge serve: fsync=always ${pct(ratios.alwaysVsAsMge)}, fsync=never ${pct(ratios.neverVsAsMge)}`);
console.log(`server CPU per request: bare ${bare1.cpuUs.toFixed(1)} µs, bare with MGE's body path ${bare2.cpuUs.toFixed(1)} µs, served like mge serve ${bare3.cpuUs.toFixed(1)} µs, mge fsync=always ${always.cpuUs.toFixed(1)} µs, fsync=never ${never.cpuUs.toFixed(1)} µs`);
console.log(`p99 at ${RATE}/s (goal ≤ 1 ms at 5000/s): fsync=always ${always5k.p99.toFixed(3)} ms, fsync=never ${never5k.p99.toFixed(3)} ms (bare endpoints: ${bare2Paced.p99.toFixed(3)} ms, served like mge serve ${bare3Paced.p99.toFixed(3)} ms)`);
const diskLine = `fdatasync on the data directory's disk (3 KB appends, back to back, ${disk!.n} times): p50 ${disk!.p50.toFixed(3)} ms, p99 ${disk!.p99.toFixed(3)} ms, max ${disk!.max.toFixed(3)} ms, ${disk!.cpuUs.toFixed(0)} µs of CPU each; with fsync=always every check waits for at least one`;
console.log(diskLine);
console.log(JSON.stringify({ bench: 'http', disk: disk!, connections: CONNECTIONS, seconds: SECONDS, slices: SLICES, rate: RATE, results, slicesRps: slices!, ratios }));

// The full-length run's table goes into bench/RESULTS.md (a shortened one only prints).
if (SECONDS >= 10) {
  const n = (x: number, d: number) => x.toFixed(d);
  writeResultsSection('http-bench', [
    '## HTTP: `mge serve` against a bare Hono echo',
    '',
    `\`npm run bench:http\`, ${started.toISOString()} (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores at the end). autocannon,`,
    `${CONNECTIONS} connections, ${SECONDS} s of full load per server, in ${SLICES} slices taken in turns (req/s: the median slice; ratios: the`,
    `median of same-slice ratios); the @${RATE}/s phases use the paced client (bench/http-paced.ts),`,
    "latency from each request's scheduled send to its full response. Server CPU is user + system per answered request.",
    '',
    markdownTable(['phase', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'server CPU µs/req'],
      [...results, ...steps].map((r) => [r.name, n(r.rps, 0), n(r.p50, 3), n(r.p99, 3), String(r.non2xx), String(r.errors), n(r.cpuUs, 1)])),
    '',
    `MGE ÷ bare throughput (issue #4 goal ≥ 75 %): against bare Hono as usually written ${pct(ratios.always)} (fsync=always) and ${pct(ratios.never)} (never);`,
    `against the bare echo served through MGE's own Node body path ${pct(ratios.alwaysVsPreRead)} and ${pct(ratios.neverVsPreRead)};`,
    `against the echo served exactly like mge serve (that body path, and each turn's requests after its I/O phase) ${pct(ratios.alwaysVsAsMge)} and ${pct(ratios.neverVsAsMge)}.`,
    `p99 at ${RATE}/s (goal ≤ 1 ms at 5 000/s): ${n(always5k.p99, 3)} ms (always), ${n(never5k.p99, 3)} ms (never); the bare endpoints, same client: ${n(bare2Paced.p99, 3)} ms and ${n(bare3Paced.p99, 3)} ms.`,
    `The disk's floor for fsync=always (bench/disk-sync.ts): ${diskLine}.`,
  ].join('\n'));
}
