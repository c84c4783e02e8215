// The `mge` command: one subcommand per file in this folder.

import { auditCommand } from './audit.js';
import { checkCommand } from './check.js';
import { keysCommand } from './keys.js';
import { lintCommand } from './lint.js';
import { serveCommand } from './serve.js';

const USAGE = `usage: mge <command> [options]

commands:
  serve [--rules DIR] [--host H] [--port N] [--data DIR]   run the HTTP sidecar
  check --rules DIR [--tenant T] [--explain] [--request FILE|-]   decide one request
  lint [--strict] PATH…                                   check rule files
  audit verify --data DIR | --export FILE [--checkpoint FILE] [--jwks FILE] [--tenant T] [--unanchored]
                                                          verify an audit log
  keys create --tenant T --role R | keys ed25519          make API keys and signing keys
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveCommand,
  check: checkCommand,
  lint: lintCommand,
  audit: auditCommand,
  keys: keysCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`mge: unknown command \`${name}\`\n${USAGE}`);
    return 2;
  }
  return command(rest);
}
