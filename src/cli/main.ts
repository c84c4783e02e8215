// The `mge` command: one subcommand per file in this folder.

import { mgePackageVersion } from '../adapters/node-package-version.js';
import { AUDIT_USAGE, auditCommand } from './audit.js';
import { CHECK_USAGE, checkCommand } from './check.js';
import { KEYS_USAGE, keysCommand } from './keys.js';
import { LINT_USAGE, lintCommand } from './lint.js';
import { SERVE_USAGE, serveCommand } from './serve.js';

const USAGE = `usage: mge <command> [options]   (mge <command> --help: its options; mge --version)

commands:
  serve [--rules DIR] [--host H] [--port N] [--data DIR]   run the HTTP sidecar
  check [--rules DIR] [--tenant T] [--explain] [--request FILE|-]   decide one request
  lint [--strict] PATH…                                   check rule files
  audit verify --data DIR | --export FILE [--checkpoint FILE] [--jwks FILE] [--tenant T] [--unanchored]
                                                          verify an audit log
  keys create --tenant T --role R[+R] | keys ed25519 [--out FILE]
                                                          make API keys and signing keys
`;

interface Command {
  run: (argv: string[]) => Promise<number>;
  usage: string;
}

const COMMANDS: Record<string, Command> = {
  serve: { run: serveCommand, usage: SERVE_USAGE },
  check: { run: checkCommand, usage: CHECK_USAGE },
  lint: { run: lintCommand, usage: LINT_USAGE },
  audit: { run: auditCommand, usage: AUDIT_USAGE },
  keys: { run: keysCommand, usage: KEYS_USAGE },
};

/** This package's version: the nearest package.json of `mge` above this code (src/ or dist/src/). */
function version(): string {
  return mgePackageVersion() ?? 'unknown';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // A reader that goes away early (`mge check … | head -1`) fails the next write with EPIPE;
  // unheard, that error ended the process with a stack trace and exit 1, "denied" to `check`
  // (a review, 11-27). What was left to print is dropped; the exit code is still the answer.
  // `serve` says so on stderr (its logs stop, checks go on).
  if (name !== 'serve') process.stdout.on('error', () => {});
  // Asked for, the usage is the answer (stdout, 0); with no command it is a usage error.
  if (name === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`mge ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`mge: unknown command \`${name}\`\n${USAGE}`);
    return 2;
  }
  // `mge audit verify --help` too: help anywhere after the command, but not after `--` (where
  // `mge lint -- -h` names a file).
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  return command.run(rest);
}
