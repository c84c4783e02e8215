import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RULES_IN_FORCE_FILE, hadFileRules, startRulesRecord } from '../../src/adapters/node-rules-in-force.js';
import { createEngine } from '../../src/engine/engine.js';
import type { AuditPort } from '../../src/http/audit-port.js';
import { jsonLogger } from '../../src/http/logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mge-record-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const RULE = { path: 'a.yaml', text: 'rule_id: a\nprohibited:\n  - { message: no, when: \'action.type == "a"\' }\n' };

describe('the record of the rules in force', () => {
  it('replaces a record that does not parse, saying so, and logs nothing it cannot tell', async () => {
    await writeFile(join(dir, RULES_IN_FORCE_FILE), '{"default": {"a": "f:');
    const lines: string[] = [];
    const appended: unknown[] = [];
    const audit = { append: async (_t: string, e: unknown[]) => void appended.push(...e) } as unknown as AuditPort;
    const engine = await createEngine({ rules: [RULE] });
    await startRulesRecord({ dataDir: dir, engine, audit, tenants: ['default'], logger: jsonLogger((l) => lines.push(l)), now: Date.now });
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['the record of the rules in force does not read; it is replaced, and rules changed while the server was stopped are not logged']);
    expect(appended).toEqual([]);
    expect(Object.keys((JSON.parse(await readFile(join(dir, RULES_IN_FORCE_FILE), 'utf8')) as { default: object }).default)).toEqual(['a']);
    expect(await hadFileRules(dir)).toBe(true);
  });
});
