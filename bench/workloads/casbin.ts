// casbin on the workloads, with `enforceSync`. An ABAC model: a policy row per MGE rule
// (action, kind, argument, eft=deny), one matcher written in casbin's expression language plus
// two small custom functions (list membership and suffix), and deny-override effect: a request
// is approved when no deny row matches.

import { newEnforcer, newModelFromString } from 'casbin';
import type { BenchEngine, EngineFactory } from './engine.js';
import type { Workload } from './index.js';
import type { RuleSpec } from './rules.js';

export const CASBIN_MODEL = `
[request_definition]
r = act, a, c

[policy_definition]
p = act, kind, arg, eft

[policy_effect]
e = !some(where (p.eft == deny))

[matchers]
m = r.act == p.act && ( \
  (p.kind == "env" && r.c.environment == p.arg) || \
  (p.kind == "ext" && endsWithAny(r.a.path, p.arg)) || \
  (p.kind == "role" && !inList(r.c.role, p.arg)) || \
  (p.kind == "alg" && !inList(r.c.encryption.algorithm, p.arg)) || \
  (p.kind == "max" && r.a.amount > toNumber(p.arg)) )
`;

/** The policy row of one spec; lists are `|`-joined (casbin policy fields are strings). */
export function casbinRow(rule: RuleSpec): string[] {
  switch (rule.kind) {
    case 'prod-write': return [rule.action, 'env', rule.environment, 'deny'];
    case 'blocked-ext': return [rule.action, 'ext', rule.extensions.join('|'), 'deny'];
    case 'role-allow': return [rule.action, 'role', rule.roles.join('|'), 'deny'];
    case 'encryption': return [rule.action, 'alg', rule.algorithms.join('|'), 'deny'];
    case 'amount-ceiling': return [rule.action, 'max', String(rule.ceiling), 'deny'];
  }
}

export const createCasbinEngine: EngineFactory = async (w: Workload): Promise<BenchEngine> => {
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL));
  await enforcer.addFunction('endsWithAny', (s: unknown, exts: string) =>
    typeof s === 'string' && exts.split('|').some((e) => s.endsWith(e)));
  await enforcer.addFunction('inList', (x: unknown, list: string) => list.split('|').includes(String(x)));
  await enforcer.addFunction('toNumber', (s: string) => Number(s));
  await enforcer.addPolicies(w.rules.map(casbinRow));
  return {
    name: 'casbin',
    prepare({ request }) {
      const { action, context } = request;
      return () => enforcer.enforceSync(action.type, action, context);
    },
  };
};
