// `mge <command> --help` prints that command's usage and exits 0; `mge --version` the package's.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '..', '..');

/** Runs `mge …` in process; what it wrote to stdout and stderr, and its exit code. */
async function mge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  // As a stream does, the callback runs once the chunk is written (main waits for it).
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest: unknown[]) => {
    stdout += String(chunk);
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('mge help and version', () => {
  it.each([
    [['serve', '--help'], 'usage: mge serve'],
    [['check', '-h'], 'usage: mge check'],
    [['lint', '--help'], 'usage: mge lint'],
    [['audit', '--help'], 'usage: mge audit verify'],
    [['audit', 'verify', '--data', 'x', '--help'], 'usage: mge audit verify'],
    [['keys', 'create', '--help'], 'usage: mge keys create'],
  ])('mge %j prints its usage and exits 0', async (args, usage) => {
    const r = await mge(args);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.startsWith(usage)).toBe(true);
  });

  it.each([
    ['check', ['--rules DIR', '--tenant T', '--explain', '--request FILE', 'Exit: 0 approved, 1 denied, 2 error']],
    ['lint', ['--strict', 'file:line:col: error|warning: message', 'Exit: 0 no errors, 1 errors']],
    ['audit', ['--data DIR', '--export FILE', '--checkpoint FILE', '--jwks FILE', '--tenant T', '--unanchored', 'MGE_PREVIOUS_SECRET_KEYS']],
    ['keys', ['keys create', '--tenant T', '--role R', 'keys ed25519', '--out FILE']],
  ])('mge %s --help explains each option and the exit codes, not only the usage line', async (command, words) => {
    const { stdout } = await mge([command, '--help']);
    for (const w of words) expect(stdout).toContain(w);
    expect(stdout.split('\n').length).toBeGreaterThan(5);
  });

  it('names the environment mge serve reads', async () => {
    const { stdout } = await mge(['serve', '--help']);
    for (const name of ['MGE_API_KEYS', 'MGE_SECRET_KEY', 'MGE_AUDIT_FSYNC', 'MGE_RECEIPT_ALG', 'MGE_RULES_DIR']) expect(stdout).toContain(name);
  });

  it('prints its usage on stdout when asked, on stderr (exit 2) when no command is given', async () => {
    expect(await mge(['--help'])).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^usage: mge <command>/) });
    expect(await mge([])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^usage: mge <command>/) });
    // A review (11-27): `mge help check` printed the top-level usage; `mge --foo` was an "unknown command".
    expect(await mge(['help', 'check'])).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^usage: mge check [^\n]*\n\nDecides one check request/) });
    // A review (11-28): exit 0 read as "within the rate limit"; only the README said otherwise.
    expect((await mge(['help', 'check'])).stdout).toContain('a `rate_limit_check` never denies here');
    expect(await mge(['--foo'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^mge: unknown option `--foo`\nusage: mge <command>/) });
    expect(await mge(['frob'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mge: unknown command `frob`\n/) });
    // Object's own names are no commands (`mge constructor` crashed; `mge help constructor` printed "undefined").
    expect(await mge(['constructor'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mge: unknown command `constructor`\n/) });
    // A review (11-29): `mge help nosuch` and `mge help check extra` printed the usage, exit 0.
    expect(await mge(['help', '__proto__'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^mge help: unknown command `__proto__`\nusage: mge <command>/) });
    expect(await mge(['help', 'nosuch'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^mge help: unknown command `nosuch`\n/) });
    expect(await mge(['help', 'check', 'extra'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^mge help: unexpected argument `extra`\n/) });
    expect(await mge(['help'])).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^usage: mge <command>/) });
  });

  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await mge(['--version'])).toEqual({ code: 0, stdout: `mge ${version}\n`, stderr: '' });
  });

  it('takes -h after `--` as a path, not a request for help', async () => {
    const r = await mge(['lint', '--', '-h']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read `-h`');
  });

  it('says a boolean flag takes no value, in lint as in the other commands', async () => {
    const r = await mge(['lint', '--strict=1', 'rules']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`--strict` takes no value');
  });

  it('prints the usage with a usage error', async () => {
    const r = await mge(['check', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option `--nope`');
    expect(r.stderr).toContain('usage: mge check');
  });
});
