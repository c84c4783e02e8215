// rate_limit_check through the engine with stores that answer in every way a store can:
// synchronously, with a promise, by throwing, by rejecting. A store that fails denies with
// `state_unavailable` (fail closed); the bucket names keep tenants, rules and keys apart.

import { describe, expect, it, vi } from 'vitest';
import { STORE_DEADLINE_MS } from '../../src/state/deadline.js';
import { createEngine } from '../../src/engine/engine.js';
import { MemoryRateLimiter, type RateLimiter } from '../../src/state/rate-limiter.js';

const RULES = [
  {
    path: 'rate.yaml',
    text: [
      'rule_id: rate',
      'severity: high',
      'conditions:',
      '  - type: expression',
      '    parameters: { expr: "true" }',
      '  - type: rate_limit_check',
      '    parameters: { requests_per_minute: 60, burst_limit: 5 }',
      '  - type: rate_limit_check',
      '    parameters: { requests_per_minute: 120, burst_limit: 9, key: action.target }',
    ].join('\n'),
  },
];

const REQUEST = { action: { type: 'api.call', target: 't1' }, context: { agent_id: 'agent-7' } };

/** A store that records every bucket asked for and answers with `answer`. */
function store(answer: (bucket: string) => boolean | Promise<boolean>): RateLimiter & { buckets: string[] } {
  const buckets: string[] = [];
  return {
    buckets,
    take(bucket) {
      buckets.push(bucket);
      return answer(bucket);
    },
  };
}

describe('rate_limit_check through the engine', () => {
  it('takes one token per condition, from buckets named by tenant, rule, condition and key', async () => {
    const s = store(() => true);
    const engine = await createEngine({ rules: RULES, rateLimiter: s });
    expect((await engine.evaluate(REQUEST, { tenant: 'acme' })).approved).toBe(true);
    expect((await engine.evaluate(REQUEST, { tenant: 'globex' })).approved).toBe(true);
    // Named by which rate_limit_check of the rule it is (0, 1), not by its index among all conditions.
    expect(s.buckets).toEqual([
      'acme\u0000rate\u00000\u0000"agent-7"',
      'acme\u0000rate\u00001\u0000"t1"',
      'globex\u0000rate\u00000\u0000"agent-7"',
      'globex\u0000rate\u00001\u0000"t1"',
    ]);
  });

  // A review (11-27): a condition of another type added before a rate limit named a new bucket,
  // which started full: three more approvals after the burst was spent.
  it('keeps a bucket when a rule gains a condition of another type before its rate limit', async () => {
    const limited = 'rule_id: rl\nconditions:\n  - type: rate_limit_check\n    parameters: { requests_per_minute: 1, burst_limit: 3 }\n';
    const engine = await createEngine({ rules: [{ path: 'rl.yaml', text: limited }], now: () => 1_000_000 });
    const approvals = async () => {
      let n = 0;
      for (let i = 0; i < 6; i++) if ((await engine.evaluate(REQUEST)).approved) n++;
      return n;
    };
    expect(await approvals()).toBe(3);
    const widened = limited.replace('conditions:\n', 'conditions:\n  - type: expression\n    parameters: { expr: "true" }\n');
    await engine.reloadFiles([{ path: 'rl.yaml', text: widened }]);
    expect(await approvals()).toBe(0);
  });

  it('denies with rate_limited for the condition whose bucket is empty, sync or async', async () => {
    // The third: a thenable that is not a Promise, answering later (a review, 11-27: it was read as approved).
    const later = (b: string) => ({ then: (ok: (v: boolean) => void) => void setTimeout(() => ok(!b.includes('"t1"')), 5) }) as unknown as Promise<boolean>;
    for (const answer of [(b: string) => !b.includes('"t1"'), (b: string) => Promise.resolve(!b.includes('"t1"')), later]) {
      const engine = await createEngine({ rules: RULES, rateLimiter: store(answer) });
      const d = await engine.evaluate(REQUEST);
      expect(d.approved).toBe(false);
      expect(d.violations).toEqual([
        { rule_id: 'rate', clause: 'conditions[2]', code: 'rate_limited', message: 'rate limit exceeded: 120 requests per minute, burst 9', effect: 'deny', severity: 'high' },
      ]);
      expect(d.reasoning).toBe('Denied by rate: rate limit exceeded: 120 requests per minute, burst 9');
    }
  });

  it('denies with state_unavailable when the store throws, rejects or answers nonsense (fail closed)', async () => {
    const failing: Array<(b: string) => boolean | Promise<boolean>> = [
      () => {
        throw new Error('connection refused');
      },
      () => Promise.reject(new Error('timeout')),
      () => undefined as unknown as boolean,
      // A review (11-27): a promise of anything but a boolean approved.
      ...[1, 'false', '0', {}, null].map((v) => () => Promise.resolve(v) as unknown as Promise<boolean>),
    ];
    for (const answer of failing) {
      const engine = await createEngine({ rules: RULES, rateLimiter: store(answer) });
      const d = await engine.evaluate(REQUEST);
      expect(d.approved).toBe(false);
      expect(d.violations.map((v) => [v.clause, v.code, v.message])).toEqual([
        ['conditions[1]', 'state_unavailable', 'rate limit store unavailable: denied (fail closed)'],
        ['conditions[2]', 'state_unavailable', 'rate limit store unavailable: denied (fail closed)'],
      ]);
    }
  });

  // A review (11-27): under a warn rule the store's failure was a warning, and the check was
  // approved ("All rules passed") with a warning saying "denied (fail closed)".
  it('denies when the store fails under a warn rule too; an empty bucket there stays a warning', async () => {
    const warnRules = [{ path: 'w.yaml', text: RULES[0].text.replace('severity: high', 'severity: high\neffect: warn') }];
    for (const evaluator of ['vm', 'oracle'] as const) {
      const failing = await createEngine({ rules: warnRules, evaluator, rateLimiter: store(() => { throw new Error('down'); }) });
      const d = await failing.evaluate(REQUEST);
      expect(d.approved).toBe(false);
      expect(d.reasoning).toBe('Denied by rate: rate limit store unavailable: denied (fail closed) (and 1 more violation)');
      expect(d.violations.map((v) => [v.code, v.effect])).toEqual([['state_unavailable', 'deny'], ['state_unavailable', 'deny']]);
      expect(d.warnings).toEqual([]);
      const empty = await createEngine({ rules: warnRules, evaluator, rateLimiter: store(() => false) });
      const limited = await empty.evaluate(REQUEST);
      expect(limited.approved).toBe(true);
      expect(limited.warnings.map((v) => [v.code, v.effect])).toEqual([['rate_limited', 'warn'], ['rate_limited', 'warn']]);
    }
  });

  it('denies with state_unavailable when the store does not answer within STORE_DEADLINE_MS', async () => {
    vi.useFakeTimers();
    try {
      const engine = await createEngine({ rules: RULES, rateLimiter: store(() => new Promise<boolean>(() => undefined)) });
      const decided = engine.evaluate(REQUEST);
      await vi.advanceTimersByTimeAsync(STORE_DEADLINE_MS);
      const d = await decided;
      expect(d.approved).toBe(false);
      expect(d.violations.map((v) => v.code)).toEqual(['state_unavailable', 'state_unavailable']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes no token for a rule the request is out of scope of', async () => {
    const s = store(() => true);
    const scoped = [{ path: 's.yaml', text: 'rule_id: s\napplies_to: { actions: ["db.*"] }\nconditions:\n  - type: rate_limit_check\n    parameters: { requests_per_minute: 1 }' }];
    const engine = await createEngine({ rules: scoped, rateLimiter: s });
    expect((await engine.evaluate(REQUEST)).rule_ids).toEqual([]);
    expect(s.buckets).toEqual([]);
  });

  it("with the memory store, one tenant's full store leaves another tenant's checks their tokens", async () => {
    // Burst 1 and no refill: every new agent id is a bucket that never empties out of the store.
    const slow = [{ path: 'slow.yaml', text: 'rule_id: slow\nconditions:\n  - type: rate_limit_check\n    parameters: { requests_per_minute: 0.000001, burst_limit: 1, key: context.agent_id }' }];
    const engine = await createEngine({ rules: slow, rateLimiter: new MemoryRateLimiter(2) });
    const ask = (tenant: string, agent: string) => engine.evaluate({ action: 'x', context: { agent_id: agent } }, { tenant });
    expect((await ask('acme', 'a1')).approved).toBe(true);
    expect((await ask('acme', 'a2')).approved).toBe(true);
    expect((await ask('acme', 'a3')).violations.map((v) => v.code)).toEqual(['state_unavailable']);
    expect((await ask('beta', 'b1')).approved).toBe(true);
    expect((await ask('beta', 'b1')).violations.map((v) => v.code)).toEqual(['rate_limited']);
  });
});

describe('rate limits across a rule change', () => {
  it('the engine tells the limiter the limits it swaps in: a sweep cannot refill a bucket after an edit', async () => {
    const rule = (rpm: number, burst: number) => JSON.stringify({ rule_id: 'lim', applies_to: { actions: ['api.*'] }, conditions: [{ type: 'rate_limit_check', parameters: { requests_per_minute: rpm, burst_limit: burst, key: 'context.agent_id' } }] });
    const other = { path: 'other.yaml', text: 'rule_id: other\napplies_to: { actions: ["job.*"] }\nconditions:\n  - type: rate_limit_check\n    parameters: { requests_per_minute: 60, burst_limit: 5, key: context.agent_id }\n' };
    let now = 1_000_000;
    const engine = await createEngine({ rules: [other], now: () => now, rateLimiter: new MemoryRateLimiter() });
    expect((await engine.putRule('acme', { text: rule(6000, 100), format: 'json' })).ok).toBe(true);
    const check = async (type: string, agent: string) => (await engine.evaluate({ action: { type }, context: { agent_id: agent } }, { tenant: 'acme' })).approved;
    for (let i = 0; i < 100; i++) expect(await check('api.call', 'bot')).toBe(true);
    expect((await engine.putRule('acme', { text: rule(1, 5), format: 'json' })).ok).toBe(true); // lowered; `bot` idle
    now += 2500;
    for (let i = 0; i < 10_001; i++) await check('job.run', `agent-${i}`); // new buckets: a sweep
    expect([await check('api.call', 'bot'), await check('api.call', 'bot')]).toEqual([false, false]);
  });
});
