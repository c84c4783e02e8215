// Creating a small file that must never be seen half written (the secret, the data dir's lock):
// the bytes go to a temporary file, are synced, and are linked in under the name at once. A
// link fails when the name exists, as an exclusive create would, so whoever reads the name
// reads the whole text or nothing.

import { randomBytes } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';

/**
 * Writes `text` to `file` only if no file has that name. False if the name was taken.
 * @example if (!(await writeNewFile('data/mge.lock', owner, 0o644))) … // someone holds it
 */
export async function writeNewFile(file: string, text: string, mode: number): Promise<boolean> {
  // Unique per call: two writers in one process must not share (and unlink) one temporary file.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
