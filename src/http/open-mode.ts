// The local open mode (SPEC §7): with no API key configured every request is tenant `default`
// with every role, so such a server must not be reachable from the network. Node, Bun and Deno
// refuse to bind anything but loopback; a Worker has no bind address and is reachable by
// design, so it serves the open mode only when told it runs locally (`MGE_OPEN_MODE=local`).

/** Loopback addresses a server may bind in the open mode. */
const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

export class OpenModeError extends Error {
  override readonly name = 'OpenModeError';
}

/**
 * Throws unless `host` is loopback, when no key is configured.
 * @example refuseOpenModeOffLoopback(keys.length, '0.0.0.0') // throws OpenModeError
 */
export function refuseOpenModeOffLoopback(keyCount: number, host: string): void {
  if (keyCount === 0 && !LOOPBACK.test(host)) {
    throw new OpenModeError(`no API key is configured (MGE_API_KEYS), so the server runs in local open mode and binds to loopback only, not \`${host}\``);
  }
}
