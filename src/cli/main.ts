// The `mge` command: one subcommand per file in this folder.

import { MGE_VERSION } from '../version.js';
import { AUDIT_HELP, auditCommand } from './audit.js';
import { CHECK_HELP, checkCommand } from './check.js';
import { KEYS_HELP, keysCommand } from './keys.js';
import { LINT_HELP, lintCommand } from './lint.js';
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
  /** What `mge <command> --help` prints: its usage, options and exit codes. */
  help: string;
}

const COMMANDS: Record<string, Command> = {
  serve: { run: serveCommand, help: SERVE_USAGE },
  check: { run: checkCommand, help: CHECK_HELP },
  lint: { run: lintCommand, help: LINT_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  keys: { run: keysCommand, help: KEYS_HELP },
};

/** This package's version (src/version.ts, kept equal to package.json's). */
function version(): string {
  return MGE_VERSION;
}

/** How long a stopped `mge serve` waits for its last log lines to be read before it exits anyway. */
const SERVE_EXIT_GRACE_MS = 3000;

export async function main(argv: string[]): Promise<number> {
  const [name] = argv;
  if (name === 'serve') {
    // `serve` says on stderr when stdout fails (its logs stop, checks go on).
    let code = 2;
    try {
      return (code = await runCommand(argv));
    } finally {
      // Stopped (a failed stop too), audit log closed: log lines still queued for a stdout
      // nobody reads would keep the process alive for ever (still running 80 s after SIGTERM).
      // They get a moment to leave, then the process ends anyway.
      setTimeout(() => process.exit(code), SERVE_EXIT_GRACE_MS).unref();
    }
  }
  // A reader that goes away early (`mge check … | head -1`) fails the next write with EPIPE;
  // unheard, that error ended the process with a stack trace and exit 1, "denied" to `check`.
  // What was left to print is dropped; the exit code is still the answer.
  // Any other failed write (a full disk: `mge check … > out.json`) is an error, exit 2 (dropped
  // as well, `check` would exit 0 with nothing written).
  let failed: NodeJS.ErrnoException | undefined;
  const heard = (err: NodeJS.ErrnoException): void => void (failed ??= err);
  process.stdout.on('error', heard);
  // Nothing can be said where stderr fails (`2>/dev/full`); unheard, its error ended the
  // process with exit 1, "denied" to `check`. The exit code still tells.
  if (!process.stderr.listeners('error').includes(ignore)) process.stderr.on('error', ignore);
  const code = await runCommand(argv);
  // An empty write's callback runs once every earlier write has left or failed (a slow pipe
  // holds them; a failed one is reported a tick later). Waiting on 'drain' instead, which
  // comes only after a write that filled the buffer, let the process end with no exit code
  // set: 0, for a denied `check`.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.stdout.off('error', heard);
  if (failed === undefined || failed.code === 'EPIPE') return code;
  process.stderr.write(`mge ${name}: the output could not be written: ${failed.message}\n`);
  return 2;
}

const ignore = (): void => {};

async function runCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // Asked for, the usage is the answer (stdout, 0); with no command it is a usage error.
  if (name === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    // `mge help check`: that command's help, as `mge check --help` gives it. Anything else
    // after `help` is a usage error, as after any command (until 11-29 it printed the usage, exit 0).
    const [topic, ...extra] = name === 'help' ? rest : [];
    const about = topic !== undefined && Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
    if (topic !== undefined && (about === undefined || extra.length > 0)) {
      process.stderr.write(`mge help: ${about === undefined ? `unknown command \`${topic}\`` : `unexpected argument \`${extra[0]}\``}\n${USAGE}`);
      return 2;
    }
    process.stdout.write(about !== undefined ? about.help + '\n' : USAGE);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`mge ${version()}\n`);
    return 0;
  }
  // Own names only: `mge constructor` found Object's and crashed.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`mge: unknown ${name.startsWith('-') ? 'option' : 'command'} \`${name}\`\n${USAGE}`);
    return 2;
  }
  // `mge audit verify --help` too: help anywhere after the command, but not after `--` (where
  // `mge lint -- -h` names a file).
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(command.help + '\n');
    return 0;
  }
  return command.run(rest);
}
