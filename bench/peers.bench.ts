// MGE against the engines a user would pick instead, on the same workloads, in one process run.
// Usage: npm run bench:peers [-- --json] [-- --quick] [-- --no-extras]
//   --json       the last stdout line is one JSON object: {engine: {W1: {p50_ns, p99_ns, ops_per_s}, …}}
//   --quick      short timings (smoke run); RESULTS.md is not rewritten
//   --no-extras  skip cold start, sizes, memory and the signed path
//   --workloads W1,W2 / --engines mge,casbin   a subset (mge is always built: it is the reference)
// Progress goes to stderr; tables, then the JSON line, to stdout. See bench/README.md.

import { writeResultsTop } from './workloads/results-file.js';
import { cpus, loadavg } from 'node:os';
import { runExtras, type Extras, extrasMarkdown } from './coldstart.js';
import { createCasbinEngine } from './workloads/casbin.js';
import { createCedarEngine } from './workloads/cedar.js';
import {
  ENGINE_NAMES, EXTRA_ROWS, type BenchEngine, type EngineFactory, type RowName,
} from './workloads/engine.js';
import {
  calibrate, checkAgreement, describeDisagreement, formatCount, formatNs, markdownTable, resultsJson, timeDecisions,
  type PeerResults,
} from './workloads/harness.js';
import { WORKLOAD_NAMES, workload, type WorkloadName } from './workloads/index.js';
import { createJsonRulesEngine } from './workloads/json-rules-engine.js';
import { createMgeEngine, createMgeEvaluatorEngine, createMgeOracleEngine } from './workloads/mge.js';
import { createOpaEngine } from './workloads/opa.js';

const FACTORIES: Record<RowName, EngineFactory> = {
  'mge': createMgeEngine,
  'mge-evaluator': createMgeEvaluatorEngine,
  'mge-oracle': createMgeOracleEngine,
  'cedar-wasm': createCedarEngine,
  'json-rules-engine': createJsonRulesEngine,
  'casbin': createCasbinEngine,
  'opa-wasm': createOpaEngine,
};

/** Table order: MGE's rows first, then the peers. */
const ROWS: readonly RowName[] = [ENGINE_NAMES[0], ...EXTRA_ROWS, ...ENGINE_NAMES.slice(1)];

const RULE_COUNTS: Record<WorkloadName, number> = { W1: 5, W2: 100, W3: 10_000 };

const log = (line: string) => process.stderr.write(line + '\n');

interface Selection { minMs: number; workloads: readonly WorkloadName[]; engines: readonly RowName[] }

async function runPeers(sel: Selection): Promise<PeerResults> {
  const results = Object.fromEntries(ROWS.map((n) => [n, {}])) as PeerResults;
  for (const name of sel.workloads) {
    const w = workload(name);
    const engines: BenchEngine[] = [];
    for (const engineName of sel.engines) {
      const t0 = performance.now();
      const built = await FACTORIES[engineName](w);
      const slot = (results[engineName] ??= {});
      if ('skipped' in built) {
        slot.skipped = built.skipped;
        slot[name] = null;
        log(`${name} ${engineName}: skipped (${built.skipped})`);
        continue;
      }
      log(`${name} ${engineName}: built in ${(performance.now() - t0).toFixed(0)} ms`);
      engines.push(built);
    }
    const disagreements = await checkAgreement(w, engines);
    if (disagreements.length > 0) {
      for (const d of disagreements) log(`disagreement: ${describeDisagreement(d)}`);
      throw new Error(`equivalence pass failed on ${name}: ${disagreements.length} disagreement(s), first: ${describeDisagreement(disagreements[0])}`);
    }
    log(`${name}: all ${engines.length} engines agree on ${w.requests.length} requests`);
    for (const engine of engines) {
      const timing = await timeDecisions(w.requests.map((r) => engine.prepare(r)), { minMs: sel.minMs });
      (results[engine.name] ??= {})[name] = timing;
      log(`${name} ${engine.name}: p50 ${formatNs(timing.p50_ns)}, p99 ${formatNs(timing.p99_ns)}, ${formatCount(timing.ops_per_s)} ops/s`);
    }
  }
  return results;
}

/** How many times slower than `base` (row p50 / base p50). */
function ratio(results: PeerResults, row: RowName, w: WorkloadName, base: RowName = 'mge'): number | undefined {
  const b = results[base]?.[w];
  const other = results[row]?.[w];
  return b && other ? other.p50_ns / b.p50_ns : undefined;
}

const times = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(r < 10 ? 1 : 0)}×`);

function peerTables(results: PeerResults): string {
  return WORKLOAD_NAMES.map((w) => {
    const rows = ROWS.map((e) => {
      const t = results[e]?.[w];
      if (!t) return [e, '—', '—', '—', results[e]?.skipped ? 'not measured' : '—', '—'];
      return [e, formatNs(t.p50_ns), formatNs(t.p99_ns), formatCount(t.ops_per_s), times(ratio(results, e, w)), times(ratio(results, e, w, 'mge-evaluator'))];
    });
    return `### ${w} — ${formatCount(RULE_COUNTS[w])} rules, 11 requests\n\n` +
      markdownTable(['engine', 'p50', 'p99', 'ops/s', 'p50 ÷ mge p50', 'p50 ÷ mge-evaluator p50'], rows);
  }).join('\n\n');
}

/** The sentences the main README may quote, straight from this run's numbers. */
function headline(results: PeerResults): string {
  const lines: string[] = [];
  for (const w of WORKLOAD_NAMES) {
    const t = results.mge?.[w];
    if (!t) continue;
    const peers = (['cedar-wasm', 'json-rules-engine', 'casbin', 'opa-wasm'] as const)
      .flatMap((p) => { const r = ratio(results, p, w); return r === undefined ? [] : [`${p} ${times(r)}`]; });
    const ev = results['mge-evaluator']?.[w];
    lines.push(`- ${w} (${formatCount(RULE_COUNTS[w])} rules): a full MGE decision takes ${formatNs(t.p50_ns)} p50, ${formatNs(t.p99_ns)} p99 ` +
      `(${formatCount(t.ops_per_s)} decisions/s on one core, one at a time)` +
      (ev ? `; the VM evaluation alone ${formatNs(ev.p50_ns)} p50` : '') +
      (peers.length ? `. Same requests, time ÷ MGE's: ${peers.join(', ')}.` : '.'));
  }
  return lines.join('\n');
}

interface Goal { goal: string; measured: string; met: boolean | undefined }

function goals(results: PeerResults, extras: Extras | undefined): Goal[] {
  const out: Goal[] = [];
  for (const peer of ['cedar-wasm', 'json-rules-engine'] as const) {
    for (const w of ['W1', 'W2'] as const) {
      const r = ratio(results, peer, w);
      const re = ratio(results, peer, w, 'mge-evaluator');
      out.push({
        goal: `MGE p50 ≥ 50× faster than ${peer} at ${w}`,
        measured: r === undefined ? 'not measured' : `${times(r)} (Engine.evaluate); ${times(re)} (VM evaluator alone)`,
        met: r === undefined ? undefined : r >= 50,
      });
    }
  }
  for (const row of ['mge', 'mge-evaluator'] as const) {
    const w2 = results[row]?.W2, w3 = results[row]?.W3;
    out.push({
      goal: `${row} W3 p50 ≤ 1.5 × W2 p50`,
      measured: w2 && w3 ? `${(w3.p50_ns / w2.p50_ns).toFixed(2)}× (${formatNs(w3.p50_ns)} vs ${formatNs(w2.p50_ns)})` : 'not measured',
      met: w2 && w3 ? w3.p50_ns <= 1.5 * w2.p50_ns : undefined,
    });
  }
  const opa = WORKLOAD_NAMES.map((w) => ratio(results, 'opa-wasm', w));
  out.push({
    goal: 'ratio to opa-wasm (if measurable)',
    measured: opa.every((r) => r === undefined) ? `not measured: ${results['opa-wasm']?.skipped ?? 'no result'}` : WORKLOAD_NAMES.map((w, i) => `${w} ${times(opa[i])}`).join(', '),
    met: undefined,
  });
  if (extras) out.push(...extras.goals);
  return out;
}

function goalsTable(gs: Goal[]): string {
  return markdownTable(['goal', 'measured', 'met'], gs.map((g) => [g.goal, g.measured, g.met === undefined ? '—' : g.met ? 'yes' : '**no**']));
}

/** The 1-minute load average, where the platform has one. */
function loadLine(): string {
  const [one] = loadavg();
  return one > 0 ? `; load average ${one.toFixed(2)} on ${cpus().length} cores at the end` : '';
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The values of `--name a,b` on the command line, or `all` when absent. */
function listArg<T extends string>(name: string, all: readonly T[]): readonly T[] {
  const argv = process.argv;
  const at = argv.indexOf(name);
  if (at < 0) return all;
  const wanted = (argv[at + 1] ?? '').split(',');
  const unknown = wanted.filter((x) => !all.includes(x as T));
  if (unknown.length > 0) throw new Error(`unknown value(s) for ${name}: ${unknown.join(', ')}; expected some of ${all.join(', ')}`);
  return all.filter((x) => wanted.includes(x));
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const quick = args.has('--quick');
  const started = new Date();
  const engines = listArg<RowName>('--engines', ROWS);
  const calibrationBefore = await calibrate();
  const results = await runPeers({
    minMs: quick ? 60 : 642,
    workloads: listArg('--workloads', WORKLOAD_NAMES),
    engines: engines.includes('mge') ? engines : ['mge', ...engines],
  });
  const partial = engines.length < ROWS.length || listArg('--workloads', WORKLOAD_NAMES).length < WORKLOAD_NAMES.length;
  const calibrationAfter = await calibrate();
  const extras = args.has('--no-extras') ? undefined : await runExtras({ quick, log });
  const tables = peerTables(results);
  const elapsed = (Date.now() - started.getTime()) / 1000;
  const seconds = elapsed.toFixed(0);
  const goalText = goalsTable([
    ...goals(results, extras),
    { goal: 'npm run bench:peers completes in under 5 minutes', measured: `${seconds} s${partial || args.has('--no-extras') ? ' (partial run)' : ''}`, met: partial || quick ? undefined : elapsed < 300 },
  ]);
  const report = [
    `# Benchmark results`,
    ``,
    `Generated by \`npm run bench:peers${quick ? ' -- --quick' : ''}\` on ${started.toISOString()} (${seconds} s), ${machine()}.`,
    `All engines timed in one process run, on the same requests; compare ratios, not absolute times`,
    `(the machine is shared). How to read this: bench/README.md.`,
    `Calibration (a fixed 1 000-step integer loop) p50: ${formatNs(calibrationBefore.p50_ns)} before the engines, ${formatNs(calibrationAfter.p50_ns)} after${loadLine()}.`,
    ``,
    `## Headline`,
    ``,
    headline(results),
    ``,
    `## Decisions per engine`,
    ``,
    tables,
    ``,
    ...(extras ? [extrasMarkdown(extras), ``] : []),
    `## Goals`,
    ``,
    goalText,
    ``,
  ].join('\n');
  process.stdout.write(report);
  if (!quick && !partial) writeResultsTop(report);
  if (args.has('--json')) {
    process.stdout.write('\n' + resultsJson(results) + '\n');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:peers aborted: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
