// `new Date(ms).toISOString()` costs about half a microsecond, and a busy signer asks for the
// same millisecond many times over: each cache keeps its last answer.

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
