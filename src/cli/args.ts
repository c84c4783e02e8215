// A small flag parser for the `mge` subcommands: `--name value`, `--name=value`, boolean
// flags, and positionals. Unknown or repeated flags are usage errors (exit 2), never ignored.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
}

/**
 * @example parseArgs(['--rules', 'r', '--explain'], { values: ['rules'], booleans: ['explain'] })
 */
export function parseArgs(argv: string[], spec: { values?: string[]; booleans?: string[] }): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    // Given twice, one would silently win (`--role admin --role checker` made a checker key).
    if (flags.has(name)) throw new UsageError(`\`--${name}\` is given more than once`);
    if (booleans.has(name) && eq < 0) {
      flags.set(name, true);
    } else if (values.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      // An empty value (`--rules ""`, an unset shell variable) is no value: `resolve('')` would
      // quietly make it the current directory.
      if (value === undefined || value === '') throw new UsageError(`\`--${name}\` needs a value`);
      flags.set(name, value);
    } else if (booleans.has(name)) {
      throw new UsageError(`\`--${name}\` takes no value (give \`--${name}\` alone, or leave it out)`);
    } else {
      throw new UsageError(`unknown option \`--${name}\``);
    }
  }
  return { flags, positionals };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/**
 * An environment setting without white space at either end, or undefined when it is unset or
 * blank (`MGE_RULES_DIR=` is not a directory; else `mge serve` reads it as the current one and
 * `mge check` as nothing). Trimmed for every setting alike, so `" 30 "`, `"never "` and
 * `" 19512 "` are all read, not some read and some refused.
 */
export function envSetting(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text === undefined || text === '' ? undefined : text;
}

/**
 * A credential setting whose absence chooses something weaker (open local mode, a generated
 * secret): set but empty, it is refused rather than read as unset. A secret reference that did
 * not resolve (an optional Kubernetes Secret, `${MGE_API_KEYS}` unset in a compose file) gives
 * exactly that, and read as unset, `MGE_API_KEYS=` would start a server open to every local
 * caller as admin. `unsetMeans` says what leaving it unset does.
 */
export function credentialSetting(name: string, value: string | undefined, unsetMeans: string): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${name} is set but empty (a secret or variable that did not resolve?); unset, it means ${unsetMeans}`);
  return value;
}
