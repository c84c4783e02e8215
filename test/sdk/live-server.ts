// The real MGE server for the SDK's end-to-end tests: the production engine (WASM VM), signer,
// nonce store, audit log and Hono app, served by the Node adapter on 127.0.0.1 with a random
// port. Only the stores are in memory; everything the SDK talks to is the shipped code.

import { AuditLogs } from '../../src/audit/logs.js';
import { MemoryAuditStoreFactory } from '../../src/audit/memory-store.js';
import { startNodeServer } from '../../src/adapters/node/server.js';
import { createEngine, type RuleSource } from '../../src/engine/engine.js';
import { parseApiKeys } from '../../src/http/api-keys.js';
import { createApp } from '../../src/http/app.js';
import { auditPort } from '../../src/http/audit-port.js';
import { generateEd25519Jwk } from '../../src/receipt/keys.js';
import { createSigner } from '../../src/receipt/sign.js';
import { MemoryNonceStore } from '../../src/state/nonce-store.js';

export const SECRET = 'sdk-e2e-secret-0123456789-abcdefghijklmnop';
export const CHECKER_KEY = 'sdk-checker-key-000000000000001';
export const ADMIN_KEY = 'sdk-admin-key-0000000000000000002';
export const AUDITOR_KEY = 'sdk-auditor-key-000000000000003';

export const RULES: RuleSource[] = [
  {
    path: 'db-access-control.mdc',
    text: [
      '---',
      'category: data_governance',
      'applies_to: { actions: ["db.*"] }',
      '---',
      '# Database Access Control',
      '**Rule ID:** `db-access-control`',
      '## Prohibited',
      '- Direct database modifications in production `action.type == "db.write" && context.environment == "production"`',
      '',
    ].join('\n'),
  },
  {
    path: 'no-exe.yaml',
    text: 'rule_id: no-exe\napplies_to: { actions: ["file.*"] }\nconditions:\n  - type: file_access_control\n    parameters: { blocked_extensions: [".exe"] }\n',
  },
];

export interface LiveServer {
  url: string;
  /** The algorithm receipts are signed with (the HS256 secret is accepted either way). */
  alg: 'HS256' | 'Ed25519';
  close(): Promise<void>;
}

/**
 * @example const server = await startLiveServer({ alg: 'Ed25519', withKeys: true })
 */
export async function startLiveServer(opts: { alg?: 'HS256' | 'Ed25519'; withKeys?: boolean; rules?: RuleSource[] } = {}): Promise<LiveServer> {
  const alg = opts.alg ?? 'HS256';
  const engine = await createEngine({ rules: opts.rules ?? RULES });
  const signer = await createSigner({
    hs256Secret: SECRET,
    ...(alg === 'Ed25519' ? { ed25519: { privateJwk: await generateEd25519Jwk() }, alg: 'Ed25519' as const } : {}),
  });
  const audit = auditPort(new AuditLogs(new MemoryAuditStoreFactory()), signer);
  const keySpec = `default:checker:${CHECKER_KEY},default:admin:${ADMIN_KEY},default:auditor:${AUDITOR_KEY}`;
  const app = createApp({
    engine, signer, audit, nonceStore: new MemoryNonceStore(),
    keys: opts.withKeys ? await parseApiKeys(keySpec) : [],
  });
  const running = await startNodeServer(app.fetch, { host: '127.0.0.1', port: 0, graceMs: 500 });
  return {
    url: running.url,
    alg,
    async close() {
      await running.close();
      await audit.close();
    },
  };
}
