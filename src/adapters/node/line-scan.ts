// Reading a log file line by line from byte offsets: one reused buffer for a whole scan, and
// where the last complete line ends (a torn tail starts there).

import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';

export const NL = 0x0a;
/** Bytes read at a time from a log file (a scan, recovery, a write-back). */
export const CHUNK = 1 << 20;

/**
 * Complete lines of `fh` from `start` to `end` with their offsets; a tail without newline is
 * reported apart. One buffer serves the whole scan: a line cut by a read is moved to its front
 * and the next read lands after it (a fresh 1 MiB buffer and a copy per read cost a restart
 * ~1.2 µs a line in page faults: 0.7 s of 3.8 s for 586 000 entries).
 * `chunk` is the read size (tests make it small to cut lines anywhere). `utf8` says whether the
 * line's bytes are valid UTF-8: `line` is decoded with U+FFFD for bad bytes, so bytes `FF` put
 * in place of a logged U+FFFD read back as the same text; `bytes` are the line's own, valid
 * until the next line is asked for.
 */
export async function* scanLines(fh: FileHandle, start: number, end: number, chunk = CHUNK): AsyncGenerator<ScannedLine> {
  let buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunk, end - start)));
  let pos = start;
  let held = 0; // bytes at the front of buf: the start of a line not yet ended
  let heldOffset = start; // where they are in the file
  while (pos < end) {
    // A line longer than the buffer: a larger one, the held bytes carried over.
    if (held === buf.length) buf = Buffer.concat([buf], 2 * buf.length);
    const { bytesRead } = await fh.read(buf, held, Math.min(buf.length - held, end - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const data = buf.subarray(0, held + bytesRead);
    let s = 0;
    for (let i = data.indexOf(NL, held); i >= 0; i = data.indexOf(NL, s)) {
      const bytes = data.subarray(s, i);
      yield { line: data.toString('utf8', s, i), bytes, utf8: isUtf8(bytes), offset: heldOffset + s, complete: true };
      s = i + 1;
    }
    heldOffset += s;
    held = data.length - s;
    buf.copyWithin(0, s, data.length);
  }
  if (held > 0) {
    const bytes = buf.subarray(0, held);
    yield { line: buf.toString('utf8', 0, held), bytes, utf8: isUtf8(bytes), offset: heldOffset, complete: false };
  }
}

export interface ScannedLine {
  line: string;
  bytes: Uint8Array;
  utf8: boolean;
  offset: number;
  complete: boolean;
}

/** Where the last complete line of `fh` ends (0 if there is none): a torn tail starts there. */
export async function endOfLastLine(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(4096);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - buf.length);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(NL);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}
