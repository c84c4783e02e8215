// MGE's version, for `mge --version` and /openapi.json's `info.version` in every runtime (a
// Worker or a browser has no package.json to read). Kept equal to package.json's `version`:
// test/cli/help.test.ts and test/http/workers-adapter.test.ts fail when the two differ.

export const MGE_VERSION = '0.1.0';
