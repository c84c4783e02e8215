// Rule changes racing each other: PUTs and DELETEs of one rule sent at once. The rules that
// serve, the rules kept on disk (replayed at restart) and the audit log must tell one story.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeRuleStore } from '../../src/adapters/node/rule-store.js';
import type { RuleStore } from '../../src/http/rule-store.js';
import { harness, KEYS, type Harness } from './harness.js';

let dir: string;
let store: RuleStore;
let h: Harness;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mge-rule-race-'));
  store = nodeRuleStore(dir);
  h = await harness({ ruleStore: store });
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const rule = (n: number) => JSON.stringify({ rule_id: 'raced', prohibited: [{ message: `version ${n}`, when: `action.type == "x${n}"` }] });
const put = (n: number) => h.call('PUT', '/api/v1/rules/raced', { key: KEYS.acmeAdmin, raw: rule(n), type: 'application/json' });
const del = () => h.call('DELETE', '/api/v1/rules/raced', { key: KEYS.acmeAdmin });
const serving = async () => (await h.call('GET', '/api/v1/rules/raced', { key: KEYS.acmeChecker })).status === 200
  ? ((await (await h.call('GET', '/api/v1/rules/raced', { key: KEYS.acmeChecker })).json()) as { rule: { prohibited: Array<{ message: string }> } }).rule.prohibited[0].message
  : undefined;
const kept = async () => {
  const stored = (await store.list()).filter((r) => r.ruleId === 'raced');
  return stored.length === 0 ? undefined : (JSON.parse(stored[0].text) as { prohibited: Array<{ message: string }> }).prohibited[0].message;
};

describe('concurrent rule changes', () => {
  it('many PUTs of one rule at once: no 5xx, one 201, and the kept text is the one serving', async () => {
    const statuses = (await Promise.all(Array.from({ length: 30 }, (_, i) => put(i)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(await kept()).toBe(await serving());
  });

  it('PUTs and DELETEs of one rule at once: what serves is what a restart would serve', async () => {
    for (let round = 0; round < 15; round++) {
      await put(1000 + round);
      const answers = await Promise.all([put(round), del(), put(round + 100), del()]);
      expect(answers.map((r) => r.status).filter((s) => s >= 500)).toEqual([]);
      expect(await kept(), `round ${round}`).toBe(await serving());
    }
  });
});
