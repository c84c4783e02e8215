// The shared corpus (test/corpus/*.yaml, format in docs/corpus.md): every case runs through the
// IR oracle and the WASM VM. Each must meet the case's expectation, and the two decisions must be
// identical except for decision_id. Checks are soft, so a failure report shows every mismatch —
// and which evaluator meets the expectation when the two disagree.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEngine, RequestError, RuleLoadError, type Engine, type EngineDecision } from '../src/engine/engine.js';
import type { Diagnostic, Violation } from '../src/ir/types.js';

const DIR = new URL('./corpus/', import.meta.url);
const DEFAULT_NOW = '2026-11-24T10:30:00.000Z';
const EVALUATORS = ['oracle', 'vm'] as const;

type Req = unknown;
type Step = { tenant?: string; at?: string; request: Req };
type ExpectedViolation = Partial<Violation> & Pick<Violation, 'rule_id' | 'clause' | 'code'>;

interface Expectation {
  approved?: boolean;
  rule_ids?: string[];
  violations?: ExpectedViolation[];
  warnings?: ExpectedViolation[];
  reasoning?: string;
  tenant?: string;
  timestamp?: string;
  audience?: string;
  load_error?: Partial<{ code: string; file: string; line: number; message: string }>;
  request_error?: true;
}

interface Case {
  note: string;
  rules: { path: string; text: string }[];
  tenant?: string;
  now?: string;
  request?: Req;
  repeat?: number;
  requests?: (Req | Step)[];
  /** `expect` applies to every request's decision, not only the last one's. */
  each?: boolean;
  expect: Expectation;
}

const CASE_KEYS = new Set(['note', 'rules', 'tenant', 'now', 'request', 'repeat', 'requests', 'each', 'expect']);
const EXPECT_KEYS = new Set([
  'approved', 'rule_ids', 'violations', 'warnings', 'reasoning', 'tenant', 'timestamp', 'audience',
  'load_error', 'request_error',
]);

function loadFile(name: string): Case[] {
  const cases = parse(readFileSync(new URL(name, DIR), 'utf8')) as Case[];
  for (const c of cases) {
    // A misspelt key would silently check nothing: refuse it.
    for (const k of Object.keys(c)) if (!CASE_KEYS.has(k)) throw new Error(`${name}: ${c.note}: unknown case key \`${k}\``);
    for (const k of Object.keys(c.expect)) if (!EXPECT_KEYS.has(k)) throw new Error(`${name}: ${c.note}: unknown expect key \`${k}\``);
  }
  return cases;
}

function steps(c: Case): Step[] {
  const tenant = c.tenant;
  if (c.requests) {
    return c.requests.map((r) =>
      r !== null && typeof r === 'object' && 'request' in r ? { ...(r as Step), tenant: (r as Step).tenant ?? tenant } : { tenant, request: r },
    );
  }
  return Array.from({ length: c.repeat ?? 1 }, () => ({ tenant, request: c.request }));
}

/** The case's clock; a step's `at` moves it (rate-limit refill). */
class Clock {
  ms: number;
  constructor(c: Case) {
    this.ms = Date.parse(c.now ?? DEFAULT_NOW);
  }
}

function build(c: Case, evaluator: (typeof EVALUATORS)[number], clock = new Clock(c)): Promise<Engine> {
  // A case with no rule source states what an engine with none decides: built as the library
  // takes it, with `allowNoRules` (without it createEngine refuses an empty list).
  return createEngine({ rules: c.rules.map((r) => ({ ...r })), evaluator, now: () => clock.ms, allowNoRules: c.rules.length === 0 });
}

/** The actual entries cut down to the keys each expected entry names, so toEqual shows a full diff. */
function project(actual: Violation[], expected: ExpectedViolation[]): Partial<Violation>[] {
  return actual.map((v, i) => {
    const keys = Object.keys(expected[i] ?? { rule_id: 0, clause: 0, code: 0, message: 0 }) as (keyof Violation)[];
    return Object.fromEntries(keys.map((k) => [k, v[k]]));
  });
}

function checkDecision(d: EngineDecision, e: Expectation, c: Case, req: unknown, label: string): void {
  expect.soft(d.approved, `${label}: approved`).toBe(e.approved);
  if (e.rule_ids) expect.soft(d.rule_ids, `${label}: rule_ids`).toEqual(e.rule_ids);
  const violations = e.violations ?? [];
  const warnings = e.warnings ?? [];
  expect.soft(project(d.violations, violations), `${label}: violations`).toEqual(violations);
  expect.soft(project(d.warnings, warnings), `${label}: warnings`).toEqual(warnings);
  if (e.reasoning !== undefined) expect.soft(d.reasoning, `${label}: reasoning`).toBe(e.reasoning);
  // SPEC §4: approved iff no deny rule is violated; every entry carries its list's effect.
  expect.soft(d.approved, `${label}: approved iff no violations`).toBe(d.violations.length === 0);
  if (d.approved) expect.soft(d.reasoning, `${label}: approval reasoning`).toBe('All rules passed');
  expect.soft(d.tenant, `${label}: tenant`).toBe(e.tenant ?? lastTenant(c) ?? 'default');
  const at = steps(c).at(-1)?.at ?? c.now ?? DEFAULT_NOW;
  expect.soft(d.timestamp, `${label}: timestamp`).toBe(e.timestamp ?? new Date(Date.parse(at)).toISOString());
  if (e.audience !== undefined) expect.soft(d.audience, `${label}: audience`).toBe(e.audience);
  // SPEC §4/§5 shapes.
  expect.soft(d.decision_id, `${label}: decision_id`).toMatch(/^dec-/);
  expect.soft(d.policy_version, `${label}: policy_version`).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect.soft(d.action_hash, `${label}: action_hash`).toBe(expectedActionHash(req));
}

/**
 * RFC 8785 for the values a corpus request holds (keys sorted by UTF-16 code units; numbers and
 * strings as ECMAScript's JSON.stringify writes them).
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** SPEC §5: H(C({action, context})) over the values as received (context absent → {}). */
function expectedActionHash(req: unknown): string {
  const r = req as { action: unknown; context?: unknown };
  return createHash('sha256').update(canonical({ action: r.action, context: r.context ?? {} }), 'utf8').digest('hex');
}

function lastTenant(c: Case): string | undefined {
  const all = steps(c);
  return all[all.length - 1].tenant;
}

function matchesLoadError(d: Diagnostic, want: NonNullable<Expectation['load_error']>): boolean {
  return d.severity === 'error'
    && (want.code === undefined || d.code === want.code)
    && (want.file === undefined || d.span.file === want.file)
    && (want.line === undefined || d.span.line === want.line)
    && (want.message === undefined || d.message === want.message);
}

async function runCase(c: Case): Promise<void> {
  const e = c.expect;
  if (e.load_error) {
    for (const evaluator of EVALUATORS) {
      const err = await build(c, evaluator).then(() => undefined, (x: unknown) => x);
      expect(err, `${evaluator}: createEngine must throw RuleLoadError`).toBeInstanceOf(RuleLoadError);
      const ds = (err as RuleLoadError).diagnostics;
      expect(ds.some((d) => matchesLoadError(d, e.load_error!)), `${evaluator}: no error diagnostic like ${JSON.stringify(e.load_error)} in ${JSON.stringify(ds)}`).toBe(true);
    }
    return;
  }

  const clock = new Clock(c);
  const engines = await Promise.all(EVALUATORS.map((k) => build(c, k, clock)));
  const plan = steps(c);
  let last: EngineDecision[] = [];
  let lastRequest: unknown;
  for (const [i, step] of plan.entries()) {
    if (step.at !== undefined) clock.ms = Date.parse(step.at);
    const results = await Promise.all(engines.map((engine) =>
      engine.evaluate(structuredClone(step.request), { tenant: step.tenant }).then((d) => d, (x: unknown) => x as Error)));
    if (e.request_error) {
      results.forEach((r, k) => expect(r, `${EVALUATORS[k]}: evaluate must throw RequestError`).toBeInstanceOf(RequestError));
      return;
    }
    results.forEach((r, k) => {
      if (r instanceof Error) throw new Error(`${EVALUATORS[k]}: evaluate threw ${r.name}: ${r.message}`);
    });
    const [oracle, vm] = results as EngineDecision[];
    // The two paths must agree on everything but the decision id, at every step.
    const { decision_id: _o, ...o } = oracle;
    const { decision_id: _v, ...v } = vm;
    expect.soft(v, `step ${i}: vm decision differs from the oracle's`).toEqual(o);
    last = [oracle, vm];
    lastRequest = step.request;
    if (c.each === true && i < plan.length - 1) last.forEach((d, k) => checkDecision(d, e, c, step.request, `${EVALUATORS[k]}, request ${i}`));
  }
  last.forEach((d, k) => checkDecision(d, e, c, lastRequest, EVALUATORS[k]));
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('corpus', () => {
  it('holds at least 80 cases with unique notes', () => {
    const notes = files.flatMap((f) => loadFile(f).map((c) => c.note));
    expect(notes.length).toBeGreaterThanOrEqual(80);
    expect(new Set(notes).size).toBe(notes.length);
  });

  for (const file of files) {
    describe(file, () => {
      it.each(loadFile(file))('$note', runCase);
    });
  }
});
