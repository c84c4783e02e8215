// Reads a JSON Lines body (the audit export, SPEC §6) one entry at a time, so an export of any
// size streams through constant memory instead of being buffered whole.

import { MGENetworkError, MGEProtocolError } from './errors.js';

/**
 * Yields each non-empty line of `body`, parsed as JSON.
 * @example for await (const entry of jsonLines(res.body!, 'GET', url)) console.log(entry)
 */
export async function* jsonLines<T>(body: ReadableStream<Uint8Array>, method: string, url: string): AsyncGenerator<T> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let lineNo = 0;
  const parse = (line: string): T => {
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new MGEProtocolError(method, url, `line ${lineNo} of the export is not JSON`);
    }
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
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
