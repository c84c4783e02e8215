// A runtime that refuses the rule reader something (Deno without --allow-env: the YAML parser's
// Node build reads LOG_TOKENS) is named as such, with the flag to give, not as a bug in MGE (a
// review, 11-27: "could not read the file: Requires env access", help "a bug in MGE").

import { describe, expect, it, vi } from 'vitest';

vi.mock('yaml', async (original) => ({
  ...(await original<typeof import('yaml')>()),
  parseAllDocuments: () => {
    throw Object.assign(new Error('Requires env access to "LOG_TOKENS", run again with the --allow-env flag'), { name: 'NotCapable' });
  },
}));

const { parseRuleText } = await import('../../src/rules/load.js');

describe('a rule reader the runtime refuses', () => {
  it('says the runtime refused it, and which permission to give', () => {
    const { diagnostics } = parseRuleText('rule_id: r\n', 'yaml', 'r.yaml');
    expect(diagnostics).toEqual([expect.objectContaining({
      severity: 'error',
      code: 'runtime-permission',
      message: 'the runtime refused the rule reader: Requires env access to "LOG_TOKENS", run again with the --allow-env flag',
      help: expect.stringContaining('--allow-env=LOG_TOKENS,LOG_STREAM'),
    })]);
  });
});
