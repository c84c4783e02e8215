// What PUT /api/v1/rules keeps on disk for each rule of a set, and what GET shows: the JSON of
// the rule's normalized form. It must load back to the same rule, and to the same policy, or a
// restart would serve another policy than the one the set's PUT answered and logged.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createEngine, type RuleFormat } from '../../src/engine/engine.js';
import { ruleJson } from '../../src/ir/rule-json.js';
import { hasErrors, parseRuleText } from '../../src/rules/load.js';

const CORPUS = new URL('../corpus/', import.meta.url).pathname;

/** Every rule file of the corpus that loads on its own: `[path, text]`. */
function corpusSources(): Array<{ path: string; text: string; format: RuleFormat }> {
  const out = [];
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.yaml'))) {
    const cases = YAML.parse(readFileSync(join(CORPUS, file), 'utf8'), { merge: true }) as Array<{ rules?: Array<{ path?: string; text?: unknown }> }>;
    for (const c of cases) {
      for (const r of c.rules ?? []) {
        if (typeof r.text !== 'string' || typeof r.path !== 'string' || r.path.includes('/')) continue;
        const format: RuleFormat = r.path.endsWith('.json') ? 'json' : /\.ya?ml$/.test(r.path) ? 'yaml' : 'mdc';
        out.push({ path: r.path, text: r.text, format });
      }
    }
  }
  return out;
}

describe('a rule shown as JSON (GET, and the file a set PUT keeps)', () => {
  it('loads back to the same rule and the same policy version, for every corpus rule file', async () => {
    let compared = 0;
    for (const src of corpusSources()) {
      const parsed = parseRuleText(src.text, src.format, src.path);
      if (hasErrors(parsed.diagnostics) || parsed.rules.length === 0) continue;
      const shown = parsed.rules.map(ruleJson);
      const back = parseRuleText(JSON.stringify(shown), 'json', 'back.json');
      expect(back.diagnostics.filter((d) => d.severity === 'error'), src.path).toEqual([]);
      expect(back.rules.map(ruleJson), src.path).toEqual(shown);
      const original = await createEngine({ rules: [{ path: src.path, text: src.text }] }).catch(() => undefined);
      if (original === undefined) continue; // loads alone but not as a set (a tenant rule, say)
      const reloaded = await createEngine({ rules: [{ path: 'back.json', text: JSON.stringify(shown) }] });
      expect(reloaded.policy().policyVersion, src.path).toBe(original.policy().policyVersion);
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('keeps the policy version of a parameter written `-0` (JSON writes it `0`)', async () => {
    const yaml = 'rule_id: z\nconditions:\n  - { type: encryption_required, parameters: { algorithms: [AES-256], key_rotation_days: -0 } }\n';
    const original = await createEngine({ rules: [{ path: 'z.yaml', text: yaml }] });
    const shown = JSON.stringify(parseRuleText(yaml, 'yaml', 'z.yaml').rules.map(ruleJson));
    expect((await createEngine({ rules: [{ path: 'z.json', text: shown }] })).policy().policyVersion).toBe(original.policy().policyVersion);
  });
});
