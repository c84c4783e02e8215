// Reads a JSON Lines body (the audit export, SPEC §6) one entry at a time, so an export of any
// size streams through constant memory instead of being buffered whole.

import { MGENetworkError, MGEProtocolError, MGETimeoutError } from './errors.js';
import type { Shape } from './shapes.js';
import { withinDeadline } from '../state/deadline.js';

/**
 * Yields each non-empty line of `body`, parsed as JSON; a line without `shape` is an
 * MGEProtocolError (until 11-29 `null` threw a raw TypeError and `{"hello": 1}` was yielded
 * as an entry; a review).
 * @example for await (const entry of jsonLines(res.body!, 'GET', url, AUDIT_ENTRY)) console.log(entry)
 */
export async function* jsonLines<T>(body: ReadableStream<Uint8Array>, method: string, url: string, shape: Shape, idleMs = Infinity): AsyncGenerator<T> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let lineNo = 0;
  const parse = (line: string): T => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new MGEProtocolError(method, url, `line ${lineNo} of the export is not JSON`);
    }
    if (!shape.is(value)) throw new MGEProtocolError(method, url, `line ${lineNo} of the export is not ${shape.what}: \`${line.slice(0, 80)}\``);
    return value as T;
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        // A server that stops sending mid-export is given up on after `idleMs` with nothing
        // new (until 11-29 it was waited for for ever, whatever timeoutMs said; a review).
        const next = reader.read();
        chunk = idleMs === Infinity ? await next : await withinDeadline(next, idleMs, () => new MGETimeoutError(method, url, idleMs));
      } catch (e) {
        if (e instanceof MGETimeoutError) throw e;
        // The connection broke mid-export: the caller has the entries so far and a typed error.
        throw new MGENetworkError(method, url, e);
      }
      const { done, value } = chunk;
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        lineNo++;
        if (line) yield parse(line);
      }
      if (done) break;
    }
    lineNo++;
    if (buffered.trim()) yield parse(buffered.trim());
  } finally {
    // Stops the download when the caller breaks out of the loop early.
    await reader.cancel().catch(() => {});
  }
}
