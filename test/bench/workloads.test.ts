// The benchmark workloads must mean the same thing in every engine's language: a workload bug
// (a Cedar policy that forbids too little, a casbin row that never matches) would make the
// peer bench compare different work. Small sizes only; nothing here is timed for a verdict.

import { describe, expect, it } from 'vitest';
import { createCasbinEngine } from '../../bench/workloads/casbin.js';
import { createCedarEngine } from '../../bench/workloads/cedar.js';
import { ENGINE_NAMES, type BenchEngine, type EngineFactory } from '../../bench/workloads/engine.js';
import { checkAgreement, describeDisagreement, resultsJson, timeDecisions, type PeerResults } from '../../bench/workloads/harness.js';
import { generatedWorkload, workload, type Workload } from '../../bench/workloads/index.js';
import { createJsonRulesEngine } from '../../bench/workloads/json-rules-engine.js';
import { createMgeEngine, createMgeEvaluatorEngine, createMgeOracleEngine } from '../../bench/workloads/mge.js';
import { mgeRuleFile } from '../../bench/workloads/mge-text.js';
import { createOpaEngine, regoData } from '../../bench/workloads/opa.js';
import { generatedRules } from '../../bench/workloads/rules.js';

const FACTORIES: EngineFactory[] = [
  createMgeEngine, createMgeEvaluatorEngine, createMgeOracleEngine, createCedarEngine, createJsonRulesEngine, createCasbinEngine, createOpaEngine,
];

async function engines(w: Workload): Promise<BenchEngine[]> {
  const built = await Promise.all(FACTORIES.map((f) => f(w)));
  return built.filter((e): e is BenchEngine => !('skipped' in e));
}

describe('bench workloads', () => {
  for (const w of [workload('W1'), workload('W2'), generatedWorkload('W3', 250)]) {
    it(`every engine gives MGE's decision, and MGE the written one, on ${w.name} (${w.rules.length} rules)`, async () => {
      const all = await engines(w);
      expect(all.map((e) => e.name).slice(0, 6)).toEqual(['mge', 'mge-evaluator', 'mge-oracle', 'cedar-wasm', 'json-rules-engine', 'casbin']);
      const disagreements = await checkAgreement(w, all);
      expect(disagreements.map(describeDisagreement)).toEqual([]);
    });
  }

  it('request sets mix approvals and denials, each request governed by one rule at most', () => {
    for (const w of [workload('W1'), workload('W2')]) {
      expect(w.requests).toHaveLength(11);
      expect(w.requests.filter((r) => r.approved)).toHaveLength(6);
      for (const r of w.requests) {
        expect(w.rules.filter((rule) => rule.action === r.request.action.type).length).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the equivalence pass names an engine that disagrees', async () => {
    const w = workload('W1');
    const [mge] = await engines(w);
    const liar: BenchEngine = { name: 'casbin', prepare: () => () => true };
    const found = await checkAgreement(w, [mge, liar]);
    expect(found.length).toBe(5);
    expect(describeDisagreement(found[0])).toMatch(/^W1: casbin says approve on `deny .*`, expected deny$/);
  });

  it('MGE rule text is the same policy in YAML and JSON', () => {
    const rules = generatedRules(10);
    expect(mgeRuleFile(rules, 'yaml').text).toContain('rule_id: prod-write-0');
    expect(JSON.parse(mgeRuleFile(rules, 'json').text).rules).toHaveLength(10);
    expect(Object.keys(regoData(rules).rules)).toHaveLength(10);
  });

  it('the --json line parses, with every engine key and W1..W3 timings', async () => {
    const w = workload('W1');
    const [mge] = await engines(w);
    const timing = await timeDecisions(w.requests.map((r) => mge.prepare(r)), { minMs: 5 });
    const results = Object.fromEntries(ENGINE_NAMES.map((e) => [e, {}])) as PeerResults;
    results.mge = { W1: timing, W2: timing, W3: timing };
    results['opa-wasm'] = { W1: null, W2: null, W3: null, skipped: 'no opa binary' };
    const parsed = JSON.parse(resultsJson(results)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed)).toEqual(['mge', 'mge-oracle', 'cedar-wasm', 'json-rules-engine', 'casbin', 'opa-wasm']);
    const w1 = parsed.mge.W1 as { p50_ns: number; p99_ns: number; ops_per_s: number };
    expect(w1.p50_ns).toBeGreaterThan(0);
    expect(w1.p99_ns).toBeGreaterThanOrEqual(w1.p50_ns);
    expect(w1.ops_per_s).toBeGreaterThan(0);
    expect(parsed['opa-wasm']).toEqual({ W1: null, W2: null, W3: null, skipped: 'no opa binary' });
  });
});
