// Source positions for pieces of an expression: `origin` is where the expression's first
// character sits in its file (an MDC code span, a YAML scalar), and offsets inside the text are
// added to it, counting newlines, so a diagnostic points at the exact character in the file.

import type { Span } from '../ir/types.js';

/** Gives the span of `text[start, end)` in its file. */
export interface Placer {
  span(start: number, end: number): Span;
}

export class Locator implements Placer {
  private readonly lineStarts: number[] = [0];

  constructor(private readonly origin: Span, text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  private point(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    if (lo === 0) return { line: this.origin.line, col: this.origin.col + offset };
    return { line: this.origin.line + lo, col: offset - this.lineStarts[lo] + 1 };
  }

  /** The span of `text[start, end)`. */
  span(start: number, end: number): Span {
    const a = this.point(start);
    const b = this.point(end);
    return { file: this.origin.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  }
}
