// `new Date(ms).toISOString()` costs about half a microsecond, and a busy signer asks for the
// same millisecond many times over: each cache keeps its last answer.

/**
 * The times an ISO timestamp carries as SPEC §2 writes it (four-digit years, 0000–9999): past
 * them `toISOString` writes `+058875-…`, which compares below "2026" as text.
 */
const ISO_MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z (Date.UTC reads year 0 as 1900)
const ISO_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A clock reading `ms` in whole milliseconds, when it (and `spanMs` after it: a receipt's life)
 * can be written as such a timestamp; undefined otherwise, for the caller to name its clock.
 * @example wholeIsoMs(Date.now() + 0.5) // Date.now(), floored
 */
export function wholeIsoMs(ms: unknown, spanMs = 0): number | undefined {
  return typeof ms === 'number' && ms >= ISO_MIN_MS && ms + spanMs <= ISO_MAX_MS ? Math.floor(ms) : undefined;
}

/** @example const issued = new IsoTimeCache(); issued.format(Date.now()) // "2026-11-25T19:21:24.123Z" */
export class IsoTimeCache {
  private ms = NaN;
  private text = '';

  format(ms: number): string {
    if (ms !== this.ms) {
      this.text = new Date(ms).toISOString();
      this.ms = ms;
    }
    return this.text;
  }
}
