import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizePath } from '../../src/builtins/path.js';

const ok = (p: string) => ({ ok: true, path: p });

describe('normalizePath', () => {
  it('turns backslashes into slashes and drops empty and `.` segments', () => {
    expect(normalizePath('a\\b\\c.txt')).toEqual(ok('a/b/c.txt'));
    expect(normalizePath('a//b///c')).toEqual(ok('a/b/c'));
    expect(normalizePath('./a/./b/.')).toEqual(ok('a/b'));
    expect(normalizePath('a/b/')).toEqual(ok('a/b'));
    expect(normalizePath('')).toEqual(ok(''));
    expect(normalizePath('.')).toEqual(ok(''));
  });

  // A review (11-29): `\\?\C:\Windows\x.dll` was `/?/C:/Windows/x.dll`, outside a `C:/Windows/**` deny scope.
  it('drops a Win32 namespace prefix (`\\\\?\\`, `\\\\.\\`) before a drive or `UNC\\`', () => {
    expect(normalizePath('\\\\?\\C:\\Windows\\x.dll')).toEqual(ok('C:/Windows/x.dll'));
    expect(normalizePath('\\\\.\\C:\\Windows\\x.dll')).toEqual(ok('C:/Windows/x.dll'));
    expect(normalizePath('//?/C:/Windows/x.dll')).toEqual(ok('C:/Windows/x.dll'));
    expect(normalizePath('\\??\\C:\\Windows\\x.dll')).toEqual(ok('C:/Windows/x.dll')); // the NT namespace (a re-review)
    expect(normalizePath('/??/C:/a')).toEqual(ok('C:/a')); // all its segments kept: the VM's shortcut took it as normal (CI, 11-29)
    // A drive with nothing after it is the volume device, not its root folder (a re-review: `C:`
    // was inside `allowed_paths: ["C:/**"]`): matched as written.
    expect(normalizePath('\\\\?\\C:')).toEqual(ok('/?/C:'));
    expect(normalizePath('\\\\.\\C:')).toEqual(ok('/C:'));
    expect(normalizePath('\\\\?\\UNC\\srv\\share\\x')).toEqual(ok('/srv/share/x'));
    expect(normalizePath('\\\\?\\unc\\srv\\share\\x')).toEqual(ok('/srv/share/x'));
    // Other names in those namespaces (volumes, devices) are matched as written.
    expect(normalizePath('\\\\?\\Volume{1}\\x')).toEqual(ok('/?/Volume{1}/x'));
    expect(normalizePath('\\\\.\\PhysicalDrive0')).toEqual(ok('/PhysicalDrive0'));
    expect(normalizePath('\\\\?\\C:x')).toEqual(ok('/?/C:x'));
  });

  it('keeps a leading slash', () => {
    expect(normalizePath('/etc//passwd')).toEqual(ok('/etc/passwd'));
    expect(normalizePath('\\\\server\\share')).toEqual(ok('/server/share'));
    expect(normalizePath('/')).toEqual(ok('/'));
  });

  it('resolves `..`, and refuses a path that escapes its root', () => {
    expect(normalizePath('a/b/../c')).toEqual(ok('a/c'));
    expect(normalizePath('a/../../x')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('../etc/passwd')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('/..')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('src\\..\\..\\secrets')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('a/..')).toEqual(ok(''));
    // A Windows drive is a root: `C:\..\Windows` is not `Windows` (a review, 11-28).
    expect(normalizePath('C:\\..\\Windows\\x.dll')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('c:/..')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('C:\\Windows\\..\\Windows\\x.dll')).toEqual(ok('C:/Windows/x.dll'));
    expect(normalizePath('C:/x/..')).toEqual(ok('C:'));
    expect(normalizePath('a/C:/..')).toEqual(ok('a')); // only a first segment is a drive
    expect(normalizePath('/C:/..')).toEqual(ok('/'));
    // So is a UNC share, server and share: `\\srv\share\..\x` is not `/srv/x` (a re-review, 11-28).
    expect(normalizePath('\\\\srv\\share\\..\\secret.txt')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('//srv/..')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('\\\\srv\\share\\a\\..\\b')).toEqual(ok('/srv/share/b'));
    expect(normalizePath('\\\\?\\C:\\..\\x')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('\\\\?\\UNC\\srv\\share\\..\\x')).toEqual({ ok: false, detail: 'path escapes its root' });
    expect(normalizePath('...')).toEqual(ok('...'));
  });

  it('refuses control characters (C0, DEL, C1) before anything else', () => {
    for (const c of ['\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f']) {
      expect(normalizePath(`a${c}b`)).toEqual({ ok: false, detail: 'path contains a control character' });
    }
    expect(normalizePath('../\u0000')).toEqual({ ok: false, detail: 'path contains a control character' });
    expect(normalizePath('a\u00a0b')).toEqual(ok('a\u00a0b'));
  });

  it('is idempotent and leaves no `.`, `..`, empty segment or backslash', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '/', '\\', '.', '..'), { maxLength: 12 }).map((a) => a.join('')), (p) => {
        const r = normalizePath(p);
        if (!r.ok) return;
        expect(normalizePath(r.path)).toEqual(r);
        expect(r.path.includes('\\')).toBe(false);
        const segs = r.path.split('/').slice(r.path.startsWith('/') ? 1 : 0);
        if (r.path !== '' && r.path !== '/') for (const s of segs) expect(['', '.', '..']).not.toContain(s);
      }),
      { numRuns: 1000 },
    );
  });
});
