// Compile errors: a rule set the compiler cannot turn into a bundle (a limit, an invalid
// pattern that validation should have caught). The engine turns them into load errors.

/** A rule set that cannot be compiled; `ruleId` names the rule at fault when there is one. */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(
    message: string,
    readonly ruleId?: string,
  ) {
    super(ruleId === undefined ? message : `rule \`${ruleId}\`: ${message}`);
  }
}
