import { describe, expect, it } from 'vitest';
import { blockedExtension } from '../../src/ir/messages.js';

describe('blockedExtension', () => {
  it('finds the blocked extension past trailing dots and spaces, and in NTFS stream names', () => {
    expect(blockedExtension('/workspace/run.exe', ['.exe'])).toBe('.exe');
    expect(blockedExtension('/workspace/run.EXE. . ', ['.exe'])).toBe('.exe');
    expect(blockedExtension('C:\\work\\evil.exe::$DATA', ['.exe'])).toBe('.exe');
    expect(blockedExtension('/workspace/notes.txt', ['.exe'])).toBeUndefined();
    expect(blockedExtension('/workspace/.exe.txt', ['.exe'])).toBeUndefined();
  });

  it('stays linear on a long run of dots inside a name a checker sends', () => {
    // A review (11-28): an unanchored `[. ]+$` was tried from every dot of the run (36 ms a
    // check at 8 000 dots; here it would take ~20 s). The bound only catches the square.
    const t0 = performance.now();
    expect(blockedExtension(`/workspace/a${'.'.repeat(200_000)}a.exe`, ['.exe'])).toBe('.exe');
    expect(blockedExtension(`/workspace/a${'. '.repeat(100_000)}a`, ['.exe'])).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
