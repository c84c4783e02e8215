// A copy of a string that shares no memory with it. V8 keeps a substring of 13 or more
// characters as a view into its source, and the strict JSON parser's strings are such views of
// the whole request body: a nonce the verify route kept held its whole body (up to 1 MiB) for
// as long as the nonce was remembered (enough to run `mge serve` out of memory).
// Stores that keep a string from a request past the request keep a detached copy.

/** Code units copied per String.fromCharCode call (well under any engine's argument limit). */
const CHUNK = 4096;

/** `s`, copied into a string of its own. */
export function detached(s: string): string {
  let out = '';
  for (let start = 0; start < s.length; start += CHUNK) {
    const end = Math.min(s.length, start + CHUNK);
    const codes = new Array<number>(end - start);
    for (let i = start; i < end; i++) codes[i - start] = s.charCodeAt(i);
    out += String.fromCharCode(...codes);
  }
  return out;
}
