// `mge serve` refuses to start on a configuration it cannot serve safely, and says why.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNodeAudit } from '../../../src/adapters/node-audit.js';
import { SidecarConfigError, startSidecar, type SidecarConfig } from '../../../src/adapters/node-sidecar.js';
import { RuleLoadError } from '../../../src/engine/engine.js';
import { ApiKeySpecError } from '../../../src/http/api-keys.js';
import { silentLogger } from '../../../src/http/logger.js';
import { WeakSecretError } from '../../../src/receipt/keys.js';
import { serveCommand } from '../../../src/cli/serve.js';
import { writeRules } from './server.js';

function config(over: Partial<SidecarConfig>): SidecarConfig {
  const root = mkdtempSync(join(tmpdir(), 'mge-config-'));
  writeRules(join(root, 'rules'));
  return {
    rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), host: '127.0.0.1', port: 0,
    logger: silentLogger, openAudit: (d, s) => openNodeAudit(d, s), watch: false, ...over,
  };
}

describe('start-up refusals', () => {
  it('open mode binds loopback only', async () => {
    await expect(startSidecar(config({ host: '0.0.0.0' }))).rejects.toThrow(SidecarConfigError);
    await expect(startSidecar(config({ host: '0.0.0.0' }))).rejects.toThrow('binds to loopback only, not `0.0.0.0`');
  });

  it('refuses a missing rules directory, bad keys, a weak secret and rules with errors', async () => {
    await expect(startSidecar(config({ rulesDir: '/nonexistent/rules' }))).rejects.toThrow('rules directory `/nonexistent/rules` not found');
    await expect(startSidecar(config({ apiKeys: 'acme:root:0123456789abcdef0123' }))).rejects.toThrow(ApiKeySpecError);
    await expect(startSidecar(config({ secret: 'short' }))).rejects.toThrow(WeakSecretError);
    const bad = mkdtempSync(join(tmpdir(), 'mge-bad-rules-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(bad, 'x.yaml'), 'rule_id: x\nprohibited:\n  - message: m\n    when: "(("\n');
    await expect(startSidecar(config({ rulesDir: bad }))).rejects.toThrow(RuleLoadError);
  });

  it('serve exits 2 on a usage error', async () => {
    expect(await serveCommand(['--port', 'eighty'])).toBe(2);
    expect(await serveCommand(['--bogus'])).toBe(2);
  });
});
