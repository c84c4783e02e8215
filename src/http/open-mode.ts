// The local open mode (SPEC §7): with no API key configured every request is tenant `default`
// with every role, so such a server must not be reachable from the network. Node, Bun and Deno
// refuse to bind anything but loopback; a Worker has no bind address and is reachable by
// design, so it serves the open mode only when told it runs locally (`MGE_OPEN_MODE=local`).
// Binding loopback is not enough against a web page: its domain can be rebound to 127.0.0.1
// (DNS rebinding), and the browser then sends its requests here with that domain as Host. So
// the open mode also answers only requests addressed to a loopback name (checked in app.ts).

import { Forbidden } from './problem.js';

/** An octet of a dotted IPv4 address, 0–255 (`127.0.0.256` names no address). */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Loopback addresses a server may bind in the open mode. */
const LOOPBACK = new RegExp(`^(?:127(?:\\.${OCTET}){3}|::1|localhost)$`);

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

/** A Host header naming loopback: `localhost`, `127.x.x.x` or `[::1]`, with an optional port. */
const LOOPBACK_HOST = new RegExp(`^(?:localhost|127(?:\\.${OCTET}){3}|\\[::1\\])(?::\\d*)?$`, 'i');

/**
 * Why an open-mode request is refused for its Host, if it is: a present Host that names no
 * loopback address (a browser always sends one; a page rebound to 127.0.0.1 sends its own).
 * @example openModeHostProblem('evil.example:8080') // Forbidden
 */
export function openModeHostProblem(host: string | null | undefined): Forbidden | undefined {
  if (host === null || host === undefined || LOOPBACK_HOST.test(host)) return undefined;
  return new Forbidden(
    `no API key is configured, so this server answers only requests addressed to loopback (localhost, 127.0.0.1, [::1]), not Host \`${host.slice(0, 100)}\``
    + ' (a web page whose domain was rebound to this machine sends its own); configure MGE_API_KEYS to serve other names',
  );
}
