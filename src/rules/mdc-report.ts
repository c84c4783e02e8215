// Where an MDC diagnostic points, and how an error is added: shared by the reader, its front
// matter and its lint, which all index the file's lines from 0 as the split text holds them.

import type { Diagnostic, Span } from '../ir/types.js';

/** Span at 0-based line index and 0-based column offset. */
export function lineSpan(file: string, line: number, col: number, length?: number): Span {
  const s: Span = { file, line: line + 1, col: col + 1 };
  if (length !== undefined) {
    s.endLine = line + 1;
    s.endCol = col + 1 + length;
  }
  return s;
}

export function addError(diagnostics: Diagnostic[], span: Span, code: string, message: string, help?: string): void {
  diagnostics.push({ severity: 'error', code, message, span, ...(help ? { help } : {}) });
}
