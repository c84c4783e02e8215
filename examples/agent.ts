// An AI agent that asks the MGE sidecar before it acts (SPEC §1).
//
//   npm start                        # the sidecar, serving ./rules on 127.0.0.1:8080
//   npx tsx examples/agent.ts        # MGE_URL and MGE_API_KEY override the defaults
//
// In your own project the import is `from 'mge/sdk'`.

import { ActionDenied, MGEClient, ReceiptRejected } from '../src/sdk/index.js';

const client = new MGEClient(process.env.MGE_URL ?? 'http://127.0.0.1:8080', {
  apiKey: process.env.MGE_API_KEY,
  timeoutMs: 5_000,
});

// 1. Ask, then act on the answer. A denial is an answer, not an error: it carries the reasons.
const context = { environment: 'production', agent_id: 'agent-7', connection: { tls: true }, client: 'orm' };
for (const action of [{ type: 'db.read', table: 'users' }, { type: 'db.write', table: 'users' }]) {
  const decision = await client.checkCompliance(action, context);
  if (decision.approved) {
    console.log(`approved ${action.type}: ${decision.reasoning} (${decision.decision_id})`);
  } else {
    console.log(`denied ${action.type}: ${decision.reasoning}`);
    for (const v of decision.violations) console.log(`  ${v.rule_id} ${v.clause} [${v.severity}] ${v.message}`);
  }
}

// 2. Guard a function: every call is described, checked, its receipt verified by the sidecar
//    (single use), and only then run. The Map stands in for the agent's real file system.
const files = new Map<string, string>();
const writeFile = client.guard(
  (path: string, _content: string) => ({ action: { type: 'file.write', path }, context: { agent_id: 'agent-7' } }),
  async (path: string, content: string) => {
    files.set(path, content);
    return content.length;
  },
);

for (const path of ['/workspace/notes.md', '/workspace/deploy.sh']) {
  try {
    const bytes = await writeFile(path, '# notes\n');
    console.log(`wrote ${bytes} bytes to ${path}`);
  } catch (e) {
    if (e instanceof ActionDenied) console.log(`refused ${path}: ${e.reasoning}`);
    else if (e instanceof ReceiptRejected) console.log(`refused ${path}: receipt ${e.reason}`);
    else throw e;
  }
}
console.log(`files written: ${[...files.keys()].join(', ') || 'none'}`);
