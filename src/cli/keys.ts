// `mge keys create --tenant T --role R[+R]` (SPEC §7): a new random API key, printed once,
// and the hashed `MGE_API_KEYS` entry to configure, so the server never stores the key itself.
// `mge keys ed25519 [--out FILE]`: an Ed25519 signing key pair as JWK.

import { writeEd25519Jwk } from '../adapters/node/ed25519-key.js';
import { looksLikeGeneratedKey, rolesProblem } from '../http/api-keys.js';
import { TENANT_NAME_RULE, TENANT_PATTERN } from '../ir/tenant-name.js';
import { base64urlEncode } from '../receipt/base64url.js';
import { sha256Hex } from '../receipt/hash.js';
import { generateEd25519Jwk, importEd25519Public } from '../receipt/keys.js';
import { UsageError, parseArgs, stringFlag } from './args.js';
import type { CliIo } from './audit.js';

const processIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

const KEYS_USAGE = 'usage: mge keys create --tenant T --role R[+R] | mge keys ed25519 [--out FILE]';

/** `mge keys --help`. */
export const KEYS_HELP = `${KEYS_USAGE}

  keys create     prints a new API key once, and its MGE_API_KEYS entry (which stores only
                  the key's hash)
    --tenant T    the key's tenant
    --role R      checker, auditor or admin; several joined with \`+\` (checker+auditor)
  keys ed25519    makes an Ed25519 signing key (a private JWK)
    --out FILE    write the private key to FILE (mode 0600; never over an existing file) and
                  print its public JWKS; without it the private key is printed
Exit: 0 done, 2 usage error or FILE not written.`;

/** 32 random bytes: far beyond guessing, and long enough for the 16-character minimum. */
function newApiKey(): string {
  return 'mge_' + base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** The `MGE_API_KEYS` entry holding only the key's SHA-256. */
async function hashedKeyEntry(tenant: string, roles: string, key: string): Promise<string> {
  return `${tenant}:${roles}:sha256:${await sha256Hex(new TextEncoder().encode(key))}`;
}

async function create(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['tenant', 'role'] });
  const tenant = stringFlag(args, 'tenant');
  const role = stringFlag(args, 'role');
  if (args.positionals.length > 0) throw new UsageError(`\`keys create\` takes no argument \`${args.positionals[0]}\`; it needs \`--tenant T\` and \`--role R\` only`);
  if (tenant === undefined || role === undefined) throw new UsageError('`keys create` needs `--tenant T` and `--role R`');
  if (looksLikeGeneratedKey(tenant)) throw new UsageError('`--tenant` holds what looks like an API key (`mge_…`), not a tenant name');
  if (!TENANT_PATTERN.test(tenant)) throw new UsageError(`invalid tenant \`${tenant}\`: ${TENANT_NAME_RULE}`);
  const problem = rolesProblem(role);
  if (problem !== undefined) throw new UsageError(problem);
  // Tenant folders (`rules/tenants/<tenant>/`) are lower case, so that a case-insensitive file
  // system cannot mix two tenants up: such a tenant can have API rules, not file rules.
  if (tenant !== tenant.toLowerCase()) {
    io.err(`mge keys: note: tenant \`${tenant}\` has upper-case letters: it can have rules through the API, but not in a \`tenants/${tenant}/\` folder (tenant folders are lower case)\n`);
  }
  const key = newApiKey();
  io.out(`api key (shown once, give it to the client): ${key}\n`);
  io.out(`MGE_API_KEYS entry (stores only its hash):   ${await hashedKeyEntry(tenant, role, key)}\n`);
  return 0;
}

async function ed25519(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['out'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected \`${args.positionals[0]}\``);
  const jwk = await generateEd25519Jwk();
  const out = stringFlag(args, 'out');
  if (out === undefined) {
    io.out(JSON.stringify(jwk) + '\n');
    io.err('mge keys: this is a private key; keep it secret (use `--out FILE` to write it with mode 0600)\n');
    return 0;
  }
  try {
    await writeEd25519Jwk(out, jwk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      io.err(`mge keys: \`${out}\` already exists; not overwriting a key\n`);
      return 2;
    }
    io.err(`mge keys: cannot write \`${out}\`: ${(e as Error).message}\n`);
    return 2;
  }
  const pub = await importEd25519Public(jwk);
  io.out(JSON.stringify({ keys: [pub.publicJwk] }) + '\n');
  io.err(`mge keys: private key written to \`${out}\` (mode 0600); the public JWKS is above\n`);
  return 0;
}

/** `mge keys …`; returns the exit code. */
export async function keysCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'create') return await create(rest, io);
    if (sub === 'ed25519') return await ed25519(rest, io);
    throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand \`${sub}\``);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mge keys: ${e.message}\n${KEYS_USAGE}\n`);
      return 2;
    }
    throw e;
  }
}
