// Timing and agreement, shared by bench/peers.bench.ts and bench/engine.bench.ts.
// Timing is mitata's `measure`; nothing here asserts a time.

import { measure } from 'mitata';
import type { BenchEngine, Decide, EngineName, RowName } from './engine.js';
import type { Workload, WorkloadName } from './index.js';
import { ENGINE_NAMES } from './engine.js';

export interface Timing {
  p50_ns: number;
  p99_ns: number;
  ops_per_s: number;
}

export interface MeasureOptions {
  /** Minimum time spent measuring one function, in ms (mitata's default is 642). */
  minMs?: number;
}

/**
 * Times `decides` called in turn, one call per iteration. Functions under 65 µs are timed in
 * batches of 128 calls (mitata batching), so p50/p99 are percentiles of 128-call means; slower
 * ones call by call. ops/s is 1e9 / mean.
 */
export async function timeDecisions(decides: readonly Decide[], opts: MeasureOptions = {}): Promise<Timing> {
  let i = 0;
  const n = decides.length;
  // Warm up first (JIT, caches): mitata decides batching from one call, which must be a warm one.
  const warmUntil = performance.now() + Math.min(200, (opts.minMs ?? 642) / 3);
  for (let k = 0; k < 20_000 && (k < n || performance.now() < warmUntil); k++) await decides[k % n]();
  const stats = await measure(() => decides[i++ % n](), {
    min_cpu_time: (opts.minMs ?? 642) * 1e6,
    batch_samples: 128,
  });
  return { p50_ns: stats.p50, p99_ns: stats.p99, ops_per_s: 1e9 / stats.avg };
}

export interface Disagreement {
  workload: string;
  engine: RowName;
  request: string;
  expected: boolean;
  got: boolean | string;
}

/**
 * Runs every request of the workload through every engine and compares each decision with the
 * reference engine's (the first one, MGE) and the reference with the request's written
 * expectation. Returns every disagreement (an engine that throws disagrees with its message).
 */
export async function checkAgreement(w: Workload, engines: readonly BenchEngine[]): Promise<Disagreement[]> {
  const out: Disagreement[] = [];
  const [reference] = engines;
  for (const r of w.requests) {
    let refDecision: boolean = r.approved;
    for (const engine of engines) {
      const expected = engine === reference ? r.approved : refDecision;
      let got: boolean | string;
      try {
        got = await engine.prepare(r)();
      } catch (err) {
        got = `threw: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (engine === reference && typeof got === 'boolean') refDecision = got;
      if (got !== expected) out.push({ workload: w.name, engine: engine.name, request: r.label, expected, got });
    }
  }
  return out;
}

export function describeDisagreement(d: Disagreement): string {
  const word = (b: boolean | string) => (b === true ? 'approve' : b === false ? 'deny' : b);
  return `${d.workload}: ${d.engine} says ${word(d.got)} on \`${d.request}\`, expected ${word(d.expected)}`;
}

/** `812 ns`, `3.41 µs`, `12.5 ms`. */
export function formatNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** `1 234 567` (thin grouping, as the README writes numbers). */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** A Markdown table from a header row and body rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Per engine, per workload: its timing, or null when not measured (then `skipped` says why). */
export type EngineResult = Partial<Record<WorkloadName, Timing | null>> & { skipped?: string };
export type PeerResults = Record<EngineName, EngineResult> & Partial<Record<RowName, EngineResult>>;

/**
 * The `--json` line: one object keyed by every engine name, each with W1, W2, W3 timings
 * (`null` where not measured, and then a `skipped` reason).
 */
export function resultsJson(results: PeerResults): string {
  const round = (t: Timing | null | undefined) =>
    t ? { p50_ns: Math.round(t.p50_ns * 10) / 10, p99_ns: Math.round(t.p99_ns * 10) / 10, ops_per_s: Math.round(t.ops_per_s) } : null;
  return JSON.stringify(Object.fromEntries(ENGINE_NAMES.map((e) => {
    const r = results[e] ?? {};
    return [e, { W1: round(r.W1), W2: round(r.W2), W3: round(r.W3), ...(r.skipped ? { skipped: r.skipped } : {}) }];
  })));
}

/**
 * A fixed CPU-bound task (a 1 000-step integer loop), timed at the start and the end of a run:
 * if the two differ much, the machine's load changed while engines were being timed, and
 * ratios between rows measured far apart are less trustworthy.
 */
export async function calibrate(minMs = 200): Promise<Timing> {
  let seed = 1;
  const task = (): boolean => {
    let x = seed++;
    for (let k = 0; k < 1000; k++) x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x !== 0;
  };
  return timeDecisions([task], { minMs });
}
