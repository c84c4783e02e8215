// Shared inputs for receipt tests: a fixed decision, clock and keys, so results are reproducible.
import type { Decision, Json } from '../../src/ir/types.js';
import type { Ed25519PrivateJwk } from '../../src/receipt/keys.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const T0 = Date.parse('2026-11-24T10:30:00.000Z');

// RFC 8032 TEST 1 key, so the Ed25519 vectors are reproducible by anyone.
export const ED_JWK: Ed25519PrivateJwk = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};

export const ACTION = { type: 'db.write', table: 'users' };
export const CONTEXT = { environment: 'production', agent_id: 'agent-7' };

export function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    decision_id: 'dec-01JD0000000000000000000000',
    approved: false,
    reasoning: 'Denied by db-access-control: Direct database modifications in production',
    rule_ids: ['db-access-control', 'security-baseline'],
    violations: [{
      rule_id: 'db-access-control', clause: 'prohibited[0]', code: 'prohibited',
      message: 'Direct database modifications in production', effect: 'deny', severity: 'high',
    }],
    warnings: [],
    tenant: 'default',
    policy_version: 'sha256:' + 'ab'.repeat(32),
    timestamp: '2026-11-24T10:30:00.000Z',
    action_hash: '',
    ...overrides,
  };
}

/** Deterministic "random" bytes for reproducible nonces. */
export function counterBytes(start = 0): (n: number) => Uint8Array {
  let c = start;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (c + i) & 0xff;
    c += 1;
    return out;
  };
}

/** SPEC §5's decision as signed, by its definition: every member except `receipt` and `explanation`. */
export function signedBody(decision: object): Json {
  const { receipt: _r, explanation: _e, ...body } = decision as Record<string, unknown>;
  return body as Json;
}
