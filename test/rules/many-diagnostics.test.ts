// A rule file with more diagnostics than a call can take arguments: they were gathered with
// `push(...list)`, which threw "Maximum call stack size exceeded" past about 125 000, and
// `mge lint` said the file "cannot be read" (a review, 11-28). Every one is now kept.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../src/audit/memory-store.js';
import { lintCommand } from '../../src/cli/lint.js';
import { loadRuleSources, parseRuleText } from '../../src/rules/load.js';

const N = 150_000;
const manyBadRules = 'rules:\n' + '  - 1\n'.repeat(N);

afterEach(() => vi.restoreAllMocks());

describe('150 000 diagnostics', () => {
  it('are all kept by the loader, for YAML and for MDC front matter', () => {
    const loaded = loadRuleSources([{ path: 'many.yaml', text: manyBadRules }]);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(N);
    const mdc = parseRuleText(`---\nrule_id: x\n${'a: 1\n'.repeat(N)}---\n- body\n`, 'mdc', 'x.mdc');
    expect(mdc.diagnostics.filter((d) => d.code === 'duplicate-key')).toHaveLength(N - 1);
    // A ```yaml conditions block of as many items (a re-review, 11-28): one diagnostic each.
    const block = parseRuleText(`# T\n\n**Rule ID:** \`t\`\n\n\`\`\`yaml conditions\n${'- 1\n'.repeat(N)}\`\`\`\n`, 'mdc', 't.md');
    expect(block.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(N);
  });

  it('are all printed by mge lint, which exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-many-'));
    try {
      writeFileSync(join(dir, 'many.yaml'), manyBadRules);
      let out = '';
      let err = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
      expect(await lintCommand([dir])).toBe(1);
      vi.restoreAllMocks();
      expect(err).not.toContain('cannot read');
      expect(err).toMatch(new RegExp(`^${N} errors`));
      expect(out).toContain(`many.yaml:${N + 1}:5: error: a rule must be a map of its fields`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an in-memory audit log starts from that many lines', () => {
    const lines = Array.from({ length: N }, (_, i) => `{"n":${i}}`);
    expect(new MemoryAuditStore(lines).lines).toHaveLength(N);
  });
});
