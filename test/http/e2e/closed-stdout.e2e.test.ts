// `mge serve` whose stdout goes away (the log reader behind a pipe exits): writes to it fail
// with EPIPE. The structured logs are the operator's, not the audit trail, so the server says so
// once on stderr and keeps answering checks, and a SIGTERM still drains and exits 0.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/ir/types.js';
import { KEYS } from '../harness.js';
import { startServe } from './server.js';

describe('a closed stdout', () => {
  it('keeps the server answering, and shutdown still drains', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-stdout-'));
    const { child, url, exited, err } = await startServe(root);
    let gone = false;
    void exited.then(() => (gone = true));

    // Close our end of the pipe: the server's next log line meets EPIPE.
    child.stdout.destroy();
    const call = (path: string, key: string, body: string, method = 'POST', type = 'application/json') =>
      fetch(url + path, { method, headers: { 'content-type': type, authorization: `Bearer ${key}` }, body });
    // A rule change is logged (info), so this request makes the server write to the closed pipe.
    const put = await call('/api/v1/rules/closed-stdout', KEYS.acmeAdmin, 'rule_id: closed-stdout\nprohibited:\n  - message: no\n    when: action.type == "x"\n', 'PUT', 'application/yaml');
    expect(put.status).toBe(201);
    // The failed write is reported on a later tick; give it time to take the process down if it would.
    await new Promise((r) => setTimeout(r, 300));
    const answered: Decision[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call('/api/v1/governance/check', KEYS.acmeChecker, JSON.stringify({ action: `after.${i}` }));
      expect(res.status).toBe(200);
      answered.push((await res.json()) as Decision);
    }
    expect(gone).toBe(false);

    child.kill('SIGTERM');
    expect(await exited, err()).toBe(0);
    expect(err()).toContain('mge: stdout is closed');
    const logged = readFileSync(join(root, 'data', 'audit', 'acme', 'log.jsonl'), 'utf8');
    for (const d of answered) expect(logged).toContain(d.decision_id);
  }, 30_000);
});
