// An execution layer that checks MGE receipts offline before it executes anything (SPEC §5):
// no call to MGE per action, only its public Ed25519 keys, fetched once from /api/v1/keys.
//
//   MGE_RECEIPT_ALG=Ed25519 npm start       # a sidecar that signs receipts with Ed25519
//   MGE_URL=http://127.0.0.1:8080 npx tsx examples/verify-offline.ts < requests.jsonl
//
// MGE_TENANT names the tenant whose decisions this executor accepts (default: `default`, the
// open mode's): one sidecar's key signs every tenant's receipts, so another tenant's approval
// would verify too.
//
// Each input line is what an agent hands over: {"decision": {...}, "action": ..., "context": ...},
// the decision as received from MGE and the action it asks to have executed. To make a line:
//
//   curl -s localhost:8080/api/v1/governance/check -H 'content-type: application/json' \
//     -d '{"action":{"type":"file.read","path":"/workspace/notes.txt"}}' | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d))
//     .on("end", () => console.log(JSON.stringify({ decision: JSON.parse(s), action: { type: "file.read", path: "/workspace/notes.txt" } })))' > requests.jsonl
//
// A line without its action is refused: a receipt checked against no action proves what MGE
// decided, for whatever action was asked about.
// Set EXECUTOR_ID to
// refuse receipts bound to another executor. A sidecar that signs with HS256 publishes no public
// key; then set MGE_SECRET_KEY (the same trust domain: whoever verifies could also sign).
//
// In your own project the import is `from 'mge/sdk'`.

import { createInterface } from 'node:readline';
import { MemoryNonceStore, MGEClient, verifyReceipt, type Action, type Context, type Decision, type Jwks } from '../src/sdk/index.js';

const secret = process.env.MGE_SECRET_KEY;
const tenant = process.env.MGE_TENANT || 'default';
let jwks: Jwks | undefined;
if (!secret) {
  jwks = await new MGEClient(process.env.MGE_URL ?? 'http://127.0.0.1:8080').keys();
  // An HS256 sidecar publishes no key: nothing could be verified.
  if (jwks.keys.length === 0) {
    console.error('the sidecar publishes no public key (it signs with HS256): start it with MGE_RECEIPT_ALG=Ed25519, or set MGE_SECRET_KEY here');
    process.exit(2);
  }
  console.log(`trusting ${jwks.keys.length} Ed25519 key(s): ${jwks.keys.map((k) => (k as { kid?: string }).kid).join(', ')}`);
}
// Seen nonces: each receipt authorizes one execution. Use a shared store with several executors.
const nonceStore = new MemoryNonceStore();

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  // Any line is judged and answered, and the next one read: a line that is not JSON, or not an
  // object (`null`), ended the loop with a stack trace (a review, 11-29).
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    console.log('refused: the line is not JSON');
    continue;
  }
  const { decision, action, context } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { decision?: Decision; action?: Action; context?: Context };
  if (typeof decision !== 'object' || decision === null) {
    console.log('refused: the line holds no decision');
    continue;
  }
  if (action === undefined) {
    console.log(`refused ${decision.decision_id}: the line names no action to check the receipt against`);
    continue;
  }
  const check = await verifyReceipt(decision, { tenant, secret, jwks, nonceStore, audience: process.env.EXECUTOR_ID, action, context });
  if (!check.valid) {
    console.log(`refused ${decision.decision_id}: receipt ${check.reason}`);
  } else if (check.approved !== true) {
    // A genuine receipt of a denial is still a denial (as read from the copy that was verified).
    console.log(`refused ${decision.decision_id}: ${decision.reasoning}`);
  } else {
    console.log(`executing ${decision.decision_id}: ${JSON.stringify(action)}`);
  }
}
