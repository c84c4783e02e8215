// The decision timestamp: ISO 8601 text of the check's millisecond. Building it costs about as
// much as the VM evaluation, and every check within one millisecond shares it.

let lastMs = NaN;
let lastText = '';

/**
 * `new Date(ms).toISOString()`, built once per millisecond.
 *
 * @example isoTime(0) // '1970-01-01T00:00:00.000Z'
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
