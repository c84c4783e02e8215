// The HS256 secret `mge serve` keeps in its data directory (src/adapters/node-secret.ts).

import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateSecret, SECRET_FILE } from '../../src/adapters/node-secret.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mge-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateSecret', () => {
  it('generates one on first start, mode 0600, and reads the same one afterwards', async () => {
    const first = await loadOrCreateSecret(undefined, dir);
    expect(first.source).toBe('generated');
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSecret(undefined, dir)).toEqual({ secret: first.secret, source: 'data-dir' });
    expect(readdirSync(dir)).toEqual([SECRET_FILE]); // no temporary file left behind
  });

  it('prefers MGE_SECRET_KEY', async () => {
    expect(await loadOrCreateSecret('from-the-environment', dir)).toEqual({ secret: 'from-the-environment', source: 'env' });
  });

  it('replaces an empty or blank file (left by a start that ran out of disk) instead of spinning', async () => {
    for (const left of ['', '\n  \n']) {
      writeFileSync(join(dir, SECRET_FILE), left);
      const r = await loadOrCreateSecret(undefined, dir);
      expect(r.source).toBe('generated');
      expect(readFileSync(join(dir, SECRET_FILE), 'utf8')).toBe(r.secret + '\n');
    }
  });

  it('names the file when it cannot be written', async () => {
    const missing = join(dir, 'no-such-dir');
    await expect(loadOrCreateSecret(undefined, missing)).rejects.toThrow(`cannot keep the generated secret in \`${join(missing, SECRET_FILE)}\``);
  });
});
