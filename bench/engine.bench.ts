// evaluate() p50 at 5, 100, 1 000 and 10 000 rules (each request governed by one rule), VM
// against the oracle, in one run. Three levels, so a regression can be placed:
//   evaluator  — the compiled policy's evaluate(request, env): extraction + one VM call (or the
//                IR walk), what the issue's targets are about;
//   engine     — Engine.evaluate(): shape check, evaluator, decision, action_hash (SHA-256), id.
// Usage: npm run bench:engine [-- --quick]. Prints a table and writes its section of RESULTS.md.

import { nodeCryptoBackend } from '../dist/src/adapters/node/crypto.js';
import { decide } from '../dist/src/engine/decision.js';
import { newDecisionId } from '../dist/src/engine/decision-id.js';
import { IsoTimeCache } from '../dist/src/receipt/iso-time.js';
import type { Engine } from '../dist/src/engine/engine.js';
import { validateRequest } from '../dist/src/engine/request.js';
import { computeActionHash } from '../dist/src/receipt/decision-hash.js';
import type { Decide } from './workloads/engine.js';
import { formatNs, markdownTable, timeDecisions, type Timing } from './workloads/harness.js';
import { writeResultsSection } from './workloads/results-file.js';
import { generatedWorkload, type Workload } from './workloads/index.js';
import { mgeEngineFor } from './workloads/mge.js';

const SIZES = [5, 100, 1_000, 10_000] as const;
const TARGET_NS: Record<number, number | undefined> = { 5: 1_000, 100: 1_500, 10_000: 1_500 };
const ENV = { tenant: 'default', time: '2026-11-25T12:00:00.000Z' };

const log = (line: string) => process.stderr.write(line + '\n');

function evaluatorDecides(engine: Engine, w: Workload): Decide[] {
  const { evaluator } = engine.policy();
  return w.requests.map(({ request }) => () => evaluator.evaluate(request, ENV).violated.length === 0);
}

function engineDecides(engine: Engine, w: Workload): Decide[] {
  return w.requests.map(({ request }) => async () => (await engine.evaluate(request)).approved);
}

interface Row { rules: number; vm: Timing; oracle: Timing; engineVm: Timing; engineOracle: Timing }

async function measureSize(n: number, minMs: number, quiet = false): Promise<Row> {
  const w = generatedWorkload('W2', n);
  const vm = await mgeEngineFor(w, 'vm');
  const oracle = await mgeEngineFor(w, 'oracle');
  for (const r of w.requests) {
    const a = (await vm.evaluate(r.request)).approved;
    const b = (await oracle.evaluate(r.request)).approved;
    if (a !== r.approved || b !== r.approved) throw new Error(`${n} rules: \`${r.label}\`: vm ${a}, oracle ${b}, expected ${r.approved}`);
  }
  const row: Row = {
    rules: n,
    vm: await timeDecisions(evaluatorDecides(vm, w), { minMs }),
    oracle: await timeDecisions(evaluatorDecides(oracle, w), { minMs }),
    engineVm: await timeDecisions(engineDecides(vm, w), { minMs }),
    engineOracle: await timeDecisions(engineDecides(oracle, w), { minMs }),
  };
  if (!quiet) log(`${n} rules: evaluator vm ${formatNs(row.vm.p50_ns)}, oracle ${formatNs(row.oracle.p50_ns)}; engine vm ${formatNs(row.engineVm.p50_ns)}, oracle ${formatNs(row.engineOracle.p50_ns)}`);
  return row;
}

interface Step { step: string; timing: Timing }

/**
 * Where Engine.evaluate's time goes at 5 rules: each step it takes, timed alone on the same
 * requests (node:crypto for the hash, as mge serve does).
 */
async function breakdown(minMs: number): Promise<Step[]> {
  const w = generatedWorkload('W1', 5);
  const engine = await mgeEngineFor(w, 'vm');
  const policy = engine.policy();
  const validated = w.requests.map(({ request }) => validateRequest(request));
  const outcomes = validated.map((v) => policy.evaluator.evaluate(v.request, ENV));
  const each = (f: (i: number) => unknown): Decide[] => w.requests.map((_, i) => () => (f(i), true));
  const timestamps = new IsoTimeCache();
  const steps: [string, Decide[]][] = [
    ['validateRequest (shape, limits, strict JSON)', each((i) => validateRequest(w.requests[i].request))],
    ['evaluator.evaluate (extract fields, one VM call, read outcome)', each((i) => policy.evaluator.evaluate(validated[i].request, ENV))],
    ['decide (verdict, ordering, reasoning)', each((i) => decide(outcomes[i].applicable, outcomes[i].violated, policy.rulesById))],
    ['newDecisionId', each(() => newDecisionId(Date.now()))],
    ['timestamp (toISOString, once per millisecond)', each(() => timestamps.format(Date.now()))],
    ['computeActionHash (RFC 8785 + SHA-256, node:crypto)', w.requests.map((_, i) => async () => (await computeActionHash(validated[i].rawAction, validated[i].rawContext, nodeCryptoBackend), true))],
    ['Engine.evaluate (all of it)', engineDecides(engine, w)],
  ];
  const out: Step[] = [];
  for (const [step, decides] of steps) out.push({ step, timing: await timeDecisions(decides, { minMs }) });
  log(`breakdown: ${out.map((x) => `${x.step.split(' ')[0]} ${formatNs(x.timing.p50_ns)}`).join(', ')}`);
  return out;
}

function report(rows: Row[], steps: Step[], started: Date, quick: boolean): string {
  const table = markdownTable(
    ['rules', 'evaluator VM p50 (p99)', 'evaluator oracle p50 (p99)', 'oracle ÷ VM', 'Engine.evaluate VM p50', 'Engine.evaluate oracle p50', 'target (evaluator VM p50)'],
    rows.map((r) => {
      const target = TARGET_NS[r.rules];
      return [
        String(r.rules),
        `${formatNs(r.vm.p50_ns)} (${formatNs(r.vm.p99_ns)})`,
        `${formatNs(r.oracle.p50_ns)} (${formatNs(r.oracle.p99_ns)})`,
        `${(r.oracle.p50_ns / r.vm.p50_ns).toFixed(1)}×`,
        formatNs(r.engineVm.p50_ns),
        formatNs(r.engineOracle.p50_ns),
        target === undefined ? '—' : `≤ ${formatNs(target)}: ${r.vm.p50_ns <= target ? 'met' : '**not met**'}`,
      ];
    }),
  );
  return [
    '## Engine: evaluate() by rule count (VM vs oracle)',
    '',
    `\`npm run bench:engine${quick ? ' -- --quick' : ''}\`, ${started.toISOString()}. Each request is governed by one rule; 11 requests in turn.`,
    '',
    table,
    '',
    '### Where Engine.evaluate goes (5 rules; each step timed alone, p50)',
    '',
    markdownTable(['step', 'p50', 'p99'], steps.map((x) => [x.step, formatNs(x.timing.p50_ns), formatNs(x.timing.p99_ns)])),
  ].join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const started = new Date();
  // A discarded round first: with --quick (20 ms of warm-up per timing) whichever size came first
  // read ~1.4x slower than the same size measured later in the run (code and heap still settling).
  await measureSize(SIZES[0], 300, true);
  const rows: Row[] = [];
  for (const n of SIZES) rows.push(await measureSize(n, quick ? 60 : 642));
  const steps = await breakdown(quick ? 60 : 642);
  const section = report(rows, steps, started, quick);
  process.stdout.write(section + '\n');
  if (!quick) writeResultsSection('engine-bench', section);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:engine aborted: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
