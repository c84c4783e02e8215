// What a deployment pays before and beside the hot path: cold start (nothing → first decision),
// the VM's wasm size, the browser/worker bundle size, memory after loading 10 000 rules, and the
// signed path (evaluate + receipt + audit append). Run alone: npm run bench:coldstart.
//
// Cold start and memory run in fresh Node processes, each importing an esbuild bundle of the
// public entry (src/index.ts) — what a worker or a server loads — so nothing is warm: not the
// module, not the wasm compilation, not V8's code cache.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { cedarPolicies } from './workloads/cedar.js';
import { formatCount, formatNs, markdownTable } from './workloads/harness.js';
import { generatedWorkload } from './workloads/index.js';
import { mgeRuleFile, type TextFormat } from './workloads/mge-text.js';
import { measureSignedPath, type SignedPath } from './workloads/signed-path.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ColdStart {
  engine: 'mge' | 'cedar-wasm';
  rules: number;
  format: string;
  runs: number;
  /** Medians over the runs, in ms. */
  import_ms: number;
  load_ms: number;
  first_ms: number;
  total_ms: number;
}

export interface Phases { rules: number; format: string; runs: number; phases: { name: string; ms: number }[] }

export interface Size { what: string; raw: number; gzip: number }

export interface Memory { rules: number; heap_mb: number; external_mb: number; rss_mb: number }

export interface Extras {
  coldStarts: ColdStart[];
  phases: Phases[];
  sizes: Size[];
  memory: Memory | undefined;
  signed: SignedPath;
  goals: { goal: string; measured: string; met: boolean | undefined }[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The child: import the engine, load the rules, decide once; prints its phase times. */
const MGE_CHILD = `
import { readFileSync } from 'node:fs';
const [bundle, rulesFile, requestFile, mode] = process.argv.slice(2);
const rules = JSON.parse(readFileSync(rulesFile, 'utf8'));
const request = JSON.parse(readFileSync(requestFile, 'utf8'));
if (mode === 'memory') globalThis.gc();
const m0 = process.memoryUsage();
const t0 = performance.now();
const mod = await import(bundle);
const t1 = performance.now();
const engine = await mod.createEngine({ rules });
const t2 = performance.now();
const decision = await engine.evaluate(request);
const t3 = performance.now();
if (mode === 'memory') globalThis.gc();
const m1 = process.memoryUsage();
console.log(JSON.stringify({
  import_ms: t1 - t0, load_ms: t2 - t1, first_ms: t3 - t2, approved: decision.approved,
  heap: m1.heapUsed - m0.heapUsed, external: m1.external - m0.external, rss: m1.rss - m0.rss, keep: !!engine,
}));
`;

const CEDAR_CHILD = `
import { readFileSync } from 'node:fs';
const [module, policyFile, callFile] = process.argv.slice(2);
const policies = readFileSync(policyFile, 'utf8');
const call = JSON.parse(readFileSync(callFile, 'utf8'));
const t0 = performance.now();
const cedar = await import(module);
const t1 = performance.now();
const parsed = cedar.preparsePolicySet('cold', { staticPolicies: policies });
if (parsed.type !== 'success') throw new Error(JSON.stringify(parsed.errors));
const t2 = performance.now();
const answer = cedar.statefulIsAuthorized({ ...call, preparsedPolicySetId: 'cold' });
const t3 = performance.now();
console.log(JSON.stringify({ import_ms: t1 - t0, load_ms: t2 - t1, first_ms: t3 - t2, approved: answer.response?.decision === 'allow' }));
`;

/** The child for the phase breakdown: the load path's steps one by one, from internal modules. */
const PHASES_CHILD = `
import { readFileSync } from 'node:fs';
const [bundle, rulesFile, requestFile] = process.argv.slice(2);
const rules = JSON.parse(readFileSync(rulesFile, 'utf8'));
const request = JSON.parse(readFileSync(requestFile, 'utf8'));
const t = [performance.now()];
const m = await import(bundle);
t.push(performance.now());
const loaded = m.loadRuleSources(rules);
t.push(performance.now());
const compiled = m.compileBundle(loaded.global);
t.push(performance.now());
await m.sha256Hex(compiled.bytes);
t.push(performance.now());
const vm = await m.loadVm();
t.push(performance.now());
const ev = await m.createBundleEvaluator(compiled, { vm });
t.push(performance.now());
ev.evaluate(request, { tenant: 'default', time: new Date().toISOString() });
t.push(performance.now());
const names = ['import', 'parse + normalize', 'compile bundle', 'sha256 of bundle', 'VM module (decode + compile wasm)', 'createBundleEvaluator (load bundle into a VM instance, index)', 'first evaluation'];
console.log(JSON.stringify(Object.fromEntries(names.map((n, i) => [n, t[i + 1] - t[i]]))));
`;

/** The internal entry points the phase child calls, bundled like the public entry. */
const PHASES_ENTRY = (root: string) => `
export { loadRuleSources } from '${root}src/rules/load.ts';
export { compileBundle } from '${root}src/compile/bundle.ts';
export { sha256Hex } from '${root}src/receipt/hash.ts';
export { loadVm } from '${root}src/engine/wasm.ts';
export { createBundleEvaluator } from '${root}src/engine/vm-evaluator.ts';
`;

interface Scratch { dir: string; bundle: string; phasesBundle: string; mgeChild: string; cedarChild: string; phasesChild: string }

/** How every bundle here is built: what a browser or a worker loads. */
const BROWSER_BUILD: BuildOptions = {
  bundle: true, format: 'esm', platform: 'browser', minify: true, logLevel: 'silent', conditions: ['worker', 'browser'],
};

/** Bundles the public entry as a worker would load it (not minified) into a scratch dir. */
async function scratch(): Promise<Scratch> {
  const dir = mkdtempSync(join(tmpdir(), 'mge-coldstart-'));
  const bundle = join(dir, 'mge.mjs');
  await build({ ...BROWSER_BUILD, entryPoints: [join(ROOT, 'src/index.ts')], minify: false, outfile: bundle });
  const phasesBundle = join(dir, 'phases.mjs');
  writeFileSync(join(dir, 'phases-entry.ts'), PHASES_ENTRY(ROOT));
  await build({ ...BROWSER_BUILD, entryPoints: [join(dir, 'phases-entry.ts')], minify: false, outfile: phasesBundle });
  const mgeChild = join(dir, 'mge-child.mjs');
  const cedarChild = join(dir, 'cedar-child.mjs');
  const phasesChild = join(dir, 'phases-child.mjs');
  writeFileSync(mgeChild, MGE_CHILD);
  writeFileSync(cedarChild, CEDAR_CHILD);
  writeFileSync(phasesChild, PHASES_CHILD);
  return { dir, bundle, phasesBundle, mgeChild, cedarChild, phasesChild };
}

function runChild(args: string[]): Record<string, number> {
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 }).trim()) as Record<string, number>;
}

function coldStartMge(s: Scratch, rules: number, format: TextFormat, runs: number): ColdStart {
  const w = generatedWorkload('W2', rules);
  const rulesFile = join(s.dir, `rules-${rules}.${format}.json`);
  const requestFile = join(s.dir, `request-${rules}.json`);
  writeFileSync(rulesFile, JSON.stringify([mgeRuleFile(w.rules, format)]));
  writeFileSync(requestFile, JSON.stringify(w.requests[1].request));
  const samples = Array.from({ length: runs }, () => runChild([s.mgeChild, pathToFileURL(s.bundle).href, rulesFile, requestFile, 'time']));
  return summarize('mge', rules, format, samples);
}

/** Where a cold start's time goes: median per phase over `runs` fresh processes. */
function coldStartPhases(s: Scratch, rules: number, format: TextFormat, runs: number): Phases {
  const w = generatedWorkload('W2', rules);
  const rulesFile = join(s.dir, `rules-phases-${rules}.${format}.json`);
  const requestFile = join(s.dir, `request-phases-${rules}.json`);
  writeFileSync(rulesFile, JSON.stringify([mgeRuleFile(w.rules, format)]));
  writeFileSync(requestFile, JSON.stringify(w.requests[1].request));
  const samples = Array.from({ length: runs }, () => runChild([s.phasesChild, pathToFileURL(s.phasesBundle).href, rulesFile, requestFile]));
  const phases = Object.keys(samples[0]).map((name) => ({ name, ms: median(samples.map((x) => x[name])) }));
  return { rules, format, runs, phases };
}

function coldStartCedar(s: Scratch, rules: number, runs: number): ColdStart {
  const w = generatedWorkload('W2', rules);
  const policyFile = join(s.dir, `cedar-${rules}.cedar`);
  const callFile = join(s.dir, `cedar-call-${rules}.json`);
  writeFileSync(policyFile, cedarPolicies(w.rules));
  const { request } = w.requests[1];
  const { type, ...attrs } = request.action;
  writeFileSync(callFile, JSON.stringify({
    principal: { type: 'Agent', id: request.context.agent_id }, action: { type: 'Action', id: type },
    resource: { type: 'Resource', id: 'request' }, context: { action: attrs, context: request.context }, entities: [],
  }));
  const cedarModule = pathToFileURL(createRequire(import.meta.url).resolve('@cedar-policy/cedar-wasm/nodejs')).href;
  const samples = Array.from({ length: runs }, () => runChild([s.cedarChild, cedarModule, policyFile, callFile]));
  return summarize('cedar-wasm', rules, 'cedar text', samples);
}

function summarize(engine: ColdStart['engine'], rules: number, format: string, samples: Record<string, number>[]): ColdStart {
  const pick = (k: string) => median(samples.map((x) => x[k]));
  return {
    engine, rules, format, runs: samples.length,
    import_ms: pick('import_ms'), load_ms: pick('load_ms'), first_ms: pick('first_ms'),
    total_ms: median(samples.map((x) => x.import_ms + x.load_ms + x.first_ms)),
  };
}

function memoryAfterLoading(s: Scratch, rules: number): Memory {
  const w = generatedWorkload('W3', rules);
  const rulesFile = join(s.dir, `rules-mem-${rules}.json`);
  const requestFile = join(s.dir, `request-mem-${rules}.json`);
  writeFileSync(rulesFile, JSON.stringify([mgeRuleFile(w.rules, 'yaml')]));
  writeFileSync(requestFile, JSON.stringify(w.requests[1].request));
  const r = runChild(['--expose-gc', s.mgeChild, pathToFileURL(s.bundle).href, rulesFile, requestFile, 'memory']);
  const mb = (b: number) => b / (1 << 20);
  return { rules, heap_mb: mb(r.heap), external_mb: mb(r.external), rss_mb: mb(r.rss) };
}

const gz = (b: Uint8Array): number => gzipSync(b, { level: 9 }).length;

/** build/mge.wasm, and the core and SDK bundled for a browser or worker (minified ESM). */
async function sizes(): Promise<Size[]> {
  const out: Size[] = [];
  const wasmPath = join(ROOT, 'build/mge.wasm');
  if (existsSync(wasmPath)) {
    const wasm = readFileSync(wasmPath);
    out.push({ what: 'build/mge.wasm (the VM)', raw: wasm.length, gzip: gz(wasm) });
  }
  const entries: [string, string][] = [
    ['core bundle: src/index.ts (engine + embedded wasm), browser ESM, minified', 'src/index.ts'],
    ['worker bundle: src/adapters/workers.ts (HTTP app), minified', 'src/adapters/workers.ts'],
    ['SDK bundle: src/sdk/index.ts, browser ESM, minified', 'src/sdk/index.ts'],
  ];
  for (const [what, entry] of entries) {
    if (!existsSync(join(ROOT, entry))) continue;
    try {
      const r = await build({ ...BROWSER_BUILD, entryPoints: [join(ROOT, entry)], write: false });
      const bytes = r.outputFiles?.[0]?.contents ?? new Uint8Array();
      out.push({ what, raw: bytes.length, gzip: gz(bytes) });
    } catch (err) {
      out.push({ what: `${what} — does not bundle for the browser: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, raw: NaN, gzip: NaN });
    }
  }
  return out;
}

export interface ExtrasOptions {
  quick: boolean;
  log: (line: string) => void;
}

export async function runExtras(opts: ExtrasOptions): Promise<Extras> {
  const s = await scratch();
  try {
    const coldStarts: ColdStart[] = [];
    const small = opts.quick ? 3 : 9;
    const large = opts.quick ? 1 : 3;
    for (const [rules, runs] of [[100, small], [10_000, large]] as const) {
      for (const format of ['yaml', 'json'] as const) {
        const c = coldStartMge(s, rules, format, runs);
        opts.log(`cold start mge ${rules} rules (${format}): ${c.total_ms.toFixed(1)} ms`);
        coldStarts.push(c);
      }
      const c = coldStartCedar(s, rules, runs);
      opts.log(`cold start cedar-wasm ${rules} rules: ${c.total_ms.toFixed(1)} ms`);
      coldStarts.push(c);
    }
    const phases: Phases[] = [];
    for (const [rules, runs] of [[100, small], [10_000, 1]] as const) {
      for (const format of ['yaml', 'json'] as const) phases.push(coldStartPhases(s, rules, format, runs));
    }
    const size = await sizes();
    const memory = memoryAfterLoading(s, 10_000);
    opts.log(`memory after 10 000 rules: heap +${memory.heap_mb.toFixed(1)} MB`);
    const signed = await measureSignedPath({ minMs: opts.quick ? 60 : 642 });
    opts.log(`signed path: ${signed.rows.map((r) => `${r.what}: p50 ${formatNs(r.p50_ns)}`).join('; ')}`);
    return { coldStarts, phases, sizes: size, memory, signed, goals: extrasGoals(coldStarts, size) };
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
}

function extrasGoals(cs: ColdStart[], sizes: Size[]): Extras['goals'] {
  const c100 = cs.find((c) => c.engine === 'mge' && c.rules === 100 && c.format === 'yaml');
  const wasm = sizes.find((s) => s.what.startsWith('build/mge.wasm'));
  return [
    {
      goal: 'cold start ≤ 5 ms for 100 rules (import + load + first decision)',
      measured: c100 ? `${c100.total_ms.toFixed(2)} ms (import ${c100.import_ms.toFixed(2)}, load ${c100.load_ms.toFixed(2)}, first ${c100.first_ms.toFixed(2)})` : 'not measured',
      met: c100 ? c100.total_ms <= 5 : undefined,
    },
    {
      goal: 'wasm ≤ 30 KB gzipped',
      measured: wasm ? `${(wasm.gzip / 1024).toFixed(1)} KB gzipped (${(wasm.raw / 1024).toFixed(1)} KB raw)` : 'build/mge.wasm missing: run npm run build:wasm',
      met: wasm ? wasm.gzip <= 30 * 1024 : undefined,
    },
  ];
}

const kb = (b: number) => (Number.isNaN(b) ? '—' : `${(b / 1024).toFixed(1)} KB`);

export function extrasMarkdown(x: Extras): string {
  const cold = markdownTable(
    ['engine', 'rules', 'rule text', 'runs', 'import', 'load + compile', 'first decision', 'total (median)'],
    x.coldStarts.map((c) => [c.engine, String(c.rules), c.format, String(c.runs), `${c.import_ms.toFixed(2)} ms`, `${c.load_ms.toFixed(2)} ms`, `${c.first_ms.toFixed(2)} ms`, `**${c.total_ms.toFixed(2)} ms**`]),
  );
  const phaseNames = x.phases[0]?.phases.map((p) => p.name) ?? [];
  const phases = markdownTable(
    ['phase', ...x.phases.map((p) => `${p.rules} rules, ${p.format}`)],
    phaseNames.map((name) => [name, ...x.phases.map((p) => `${(p.phases.find((q) => q.name === name)?.ms ?? NaN).toFixed(2)} ms`)]),
  );
  const size = markdownTable(['artifact', 'raw', 'gzip -9'], x.sizes.map((s) => [s.what, kb(s.raw), kb(s.gzip)]));
  const mem = x.memory
    ? markdownTable(['rules', 'V8 heap', 'external (wasm memory, buffers)', 'RSS'], [[String(x.memory.rules), `+${x.memory.heap_mb.toFixed(1)} MB`, `+${x.memory.external_mb.toFixed(1)} MB`, `+${x.memory.rss_mb.toFixed(1)} MB`]])
    : 'not measured';
  const signed = markdownTable(['path', 'p50', 'p99', 'ops/s'], x.signed.rows.map((r) => [r.what, formatNs(r.p50_ns), formatNs(r.p99_ns), formatCount(r.ops_per_s)]));
  return [
    '## Cold start (fresh process: nothing → first decision)', '', cold, '',
    'import: evaluating the bundled module (Cedar: its wasm instantiation); load + compile: parse, validate,',
    'compile the rules and instantiate the VM (Cedar: `preparsePolicySet`); first decision: one check.', '',
    '### Where MGE\'s cold start goes (fresh process per run, median; the steps of createEngine, called one by one)', '', phases, '',
    '## Sizes', '', size, '',
    '## Memory after loading 10 000 rules (fresh process, after GC, delta from before import)', '', mem, '',
    '## Signed path (W1 request, memory audit store)', '', signed, '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  runExtras({ quick, log: (l) => process.stderr.write(l + '\n') }).then((x) => {
    process.stdout.write(extrasMarkdown(x) + '\n' + markdownTable(['goal', 'measured', 'met'], x.goals.map((g) => [g.goal, g.measured, g.met === undefined ? '—' : g.met ? 'yes' : '**no**'])) + '\n');
  }, (err: unknown) => {
    process.stderr.write(`bench:coldstart aborted: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
