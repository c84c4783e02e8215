import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { ruleDiff } from '../../src/http/rule-changes.js';

async function rules(text: string, extra = '') {
  const engine = await createEngine({ rules: [{ path: 'a.yaml', text }, ...(extra ? [{ path: 'b.yaml', text: extra }] : [])], evaluator: 'oracle' });
  return engine.policy().rules;
}

const A = 'rule_id: a\nprohibited:\n  - message: m\n    when: action.type == "x"\n';
const B = 'rule_id: b\nprohibited:\n  - message: m\n    when: action.type == "y"\n';

describe('ruleDiff', () => {
  it('reports added and changed rules as put, removed ones as delete, sorted by id', async () => {
    const before = await rules(A, B);
    const after = await rules(A.replace('"x"', '"z"'), 'rule_id: c\nprohibited:\n  - message: m\n    when: "true"\n');
    expect(ruleDiff(before, after, () => false)).toEqual([{ ruleId: 'a', op: 'put' }, { ruleId: 'b', op: 'delete' }, { ruleId: 'c', op: 'put' }]);
  });

  it('does not count a rule that only moved within its file', async () => {
    expect(ruleDiff(await rules(A), await rules('\n\n' + A), () => false)).toEqual([]);
  });

  it('counts a rule whose origin changed (an API rule replaced by a file rule of that id) as a put', async () => {
    const [api] = await rules(A);
    const [file] = await rules(A);
    const fromApi = (r: unknown) => r === api;
    expect(ruleDiff([api], [file], fromApi)).toEqual([{ ruleId: 'a', op: 'put' }]);
    expect(ruleDiff([file], [api], fromApi)).toEqual([{ ruleId: 'a', op: 'put' }]);
    expect(ruleDiff([api], [api], fromApi)).toEqual([]);
  });
});
