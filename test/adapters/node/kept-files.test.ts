// Files the next start needs (src/adapters/node/kept-files.ts): removed while the server runs,
// written back whole, and said; never written over a file put there meanwhile.

import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keepFiles } from '../../../src/adapters/node/kept-files.js';
import type { LogFields } from '../../../src/http/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'mge-kept-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const until = async (what: string, done: () => boolean): Promise<void> => {
  for (const end = Date.now() + 3000; !done(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error(`not done: ${what}`);
  }
};

describe('keepFiles', () => {
  it('writes a removed file back whole, with its mode, directory and all, and says so', async () => {
    const lines: Array<{ level: string; msg: string; fields?: LogFields }> = [];
    const logger = { info() {}, warn: (msg: string, fields?: LogFields) => lines.push({ level: 'warn', msg, fields }), error: (msg: string, fields?: LogFields) => lines.push({ level: 'error', msg, fields }) };
    const key = join(dir, 'data', 'secret.key');
    const kept = keepFiles([{ path: key, what: 'the receipt secret', text: 'abc\n', mode: 0o600 }], logger, 20);
    try {
      // The whole directory was gone. The line is said once the file is synced, a moment after
      // it appears: waited for too (under load the test once looked in between).
      await until('written back and said', () => existsSync(key) && lines.length > 0);
      expect(readFileSync(key, 'utf8')).toBe('abc\n');
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(lines).toEqual([{ level: 'warn', msg: 'the receipt secret was removed from the data directory while the server ran; written back', fields: { file: key } }]);
      // A file put in its place is left as it is.
      unlinkSync(key);
      writeFileSync(key, 'given by hand\n');
      await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(key, 'utf8')).toBe('given by hand\n');
      expect(lines).toHaveLength(1);
      // Removed just before the stop: the stop's last look writes it back.
      unlinkSync(key);
    } finally {
      await kept.stop();
    }
    expect(readFileSync(key, 'utf8')).toBe('abc\n');
    unlinkSync(key);
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(key)).toBe(false); // stopped: nothing more is written
  });
});
