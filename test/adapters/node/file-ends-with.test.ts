import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { endsWithText } from '../../../src/adapters/node/file-ends-with.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mge-ends-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

it('reads back the last characters\' bytes at the offset, whole code points only (a window starting inside an emoji)', async () => {
  const text = `${'é'.repeat(10)}${'😀'.repeat(40)}\n`; // 81 UTF-16 units: the last 64 begin with half an emoji
  const file = join(dir, 'f');
  await writeFile(file, `head\n${text}more`);
  const fh = await open(file, 'r');
  try {
    const end = Buffer.byteLength(`head\n${text}`);
    expect(await endsWithText(fh, end, text)).toBe(true);
    expect(await endsWithText(fh, end, text.replace(/😀\n$/, '😁\n'))).toBe(false);
    expect(await endsWithText(fh, end - 1, text)).toBe(false);
    expect(await endsWithText(fh, 3, 'head')).toBe(false); // the text is longer than what precedes
    expect(await endsWithText(fh, 4, 'head')).toBe(true);
    expect(await endsWithText(fh, 0, '')).toBe(true);
  } finally {
    await fh.close();
  }
});
