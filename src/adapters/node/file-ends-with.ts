// Whether a file still ends, at a given offset, with the last characters this process wrote
// there: a file copied over another in place (`cp other f`, `cat other > f`) keeps its inode
// and may keep its size, and only its content tells.

import type { FileHandle } from 'node:fs/promises';

/** How much of the text is read back (at least; whole code points). */
const TAIL_CHARS = 64;

/**
 * Whether `fh` holds, just before byte `end`, the UTF-8 bytes of the last characters of
 * `text`. A read that fails tells nothing (the file was closed meanwhile): not a change.
 * @example await endsWithText(fh, 1024, lastWrite)
 */
export async function endsWithText(fh: FileHandle, end: number, text: string): Promise<boolean> {
  let chars = text.slice(-TAIL_CHARS);
  const first = chars.charCodeAt(0);
  if (first >= 0xdc00 && first <= 0xdfff) chars = chars.slice(1); // half a pair: its bytes are not a suffix
  const want = Buffer.from(chars, 'utf8');
  if (want.length === 0 || want.length > end) return want.length === 0;
  const got = Buffer.alloc(want.length);
  try {
    const { bytesRead } = await fh.read(got, 0, want.length, end - want.length);
    return bytesRead === want.length && got.equals(want);
  } catch {
    return true;
  }
}
