// Cedar (@cedar-policy/cedar-wasm) on the workloads, through the stateful API: the policy set
// is parsed once (`preparsePolicySet`) and every check names it (`statefulIsAuthorized`).
// Model: principal Agent::"<agent_id>", action Action::"<action.type>", resource
// Resource::"request", and the request's `action` and `context` objects as Cedar context
// records. One `permit` for everything; each MGE deny rule is a `forbid` on its action.

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { BenchEngine, EngineFactory } from './engine.js';
import type { Workload } from './index.js';
import type { RuleSpec } from './rules.js';

const str = (s: string): string => JSON.stringify(s);
const set = (xs: readonly string[]): string => `[${xs.map(str).join(', ')}]`;

/** One forbid policy per rule. Cedar has no endsWith: `like "*.ext"` is its suffix test. */
export function cedarPolicy(rule: RuleSpec): string {
  const head = `@id(${str(rule.id)})\nforbid (principal, action == Action::${str(rule.action)}, resource)`;
  switch (rule.kind) {
    case 'prod-write':
      return `${head}\nwhen { context.context.environment == ${str(rule.environment)} };`;
    case 'blocked-ext':
      return `${head}\nwhen { ${rule.extensions.map((e) => `context.action.path like "*${e}"`).join(' || ')} };`;
    case 'role-allow':
      return `${head}\nunless { ${set(rule.roles)}.contains(context.context.role) };`;
    case 'encryption':
      return `${head}\nunless { ${set(rule.algorithms)}.contains(context.context.encryption.algorithm) };`;
    case 'amount-ceiling':
      return `${head}\nwhen { context.action.amount > ${rule.ceiling} };`;
  }
}

/** The whole policy set of a workload, as Cedar text. */
export function cedarPolicies(rules: readonly RuleSpec[]): string {
  return ['@id("allow-all")\npermit (principal, action, resource);', ...rules.map(cedarPolicy)].join('\n\n');
}

export const createCedarEngine: EngineFactory = async (w: Workload): Promise<BenchEngine> => {
  const id = `mge-bench-${w.name}-${w.rules.length}`;
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: cedarPolicies(w.rules) });
  if (parsed.type !== 'success') throw new Error(`cedar: ${parsed.errors.map((e) => e.message).join('; ')}`);
  return {
    name: 'cedar-wasm',
    prepare({ request }) {
      const { type, ...actionAttrs } = request.action;
      const call: cedar.StatefulAuthorizationCall = {
        principal: { type: 'Agent', id: request.context.agent_id },
        action: { type: 'Action', id: type },
        resource: { type: 'Resource', id: 'request' },
        context: { action: actionAttrs, context: request.context },
        preparsedPolicySetId: id,
        entities: [],
      };
      return () => {
        const answer = cedar.statefulIsAuthorized(call);
        if (answer.type !== 'success') throw new Error(`cedar: ${answer.errors.map((e) => e.message).join('; ')}`);
        return answer.response.decision === 'allow';
      };
    },
  };
};
