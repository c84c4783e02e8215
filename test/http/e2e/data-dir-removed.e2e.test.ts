// The data directory removed under a running `mge serve` (`rm -rf data` by mistake): the audit
// log is written back by its store, the generated receipt secret and the lock by the server
// (src/adapters/node/kept-files.ts). Until 11-28 the secret was lost with the directory, the
// next start made a new one, and every check of the tenant got 503 for good: its log was
// signed with a key nobody held any more (a review).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNodeAudit } from '../../../src/adapters/node/audit.js';
import { KEYS } from '../harness.js';
import { spawnServe, startE2E, startServe } from './server.js';

const check = (url: string) => fetch(`${url}/api/v1/governance/check`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.acmeChecker}` }, body: JSON.stringify({ action: 'x' }),
});

/** PUTs acme's API rule `id`, which denies actions of type `type`. */
const putRule = (url: string, id: string, type = id) => fetch(`${url}/api/v1/rules/${id}`, {
  method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.acmeAdmin}` },
  body: JSON.stringify({ rule_id: id, prohibited: [{ message: `no ${type}`, when: `action.type == "${type}"` }] }),
});

/**
 * Waits until `files` exist (written back by `server`) and its output holds each of `said`,
 * failing after 5 s. The log line follows the file: read from a pipe, it may come a beat later.
 */
async function writtenBack(files: string[], server: { out(): string }, said: string[] = []): Promise<void> {
  const done = () => files.every((f) => existsSync(f)) && said.every((s) => server.out().includes(s));
  for (const end = Date.now() + 5000; !done(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) throw new Error(`not written back:\n${server.out()}`);
  }
}

/** Starts `mge serve` again on `<root>/rules` and `data`, runs `work` once it is ready (its logs open), then stops it. */
async function restarted(root: string, data: string, work: (url: string, out: () => string) => Promise<void>): Promise<void> {
  const second = spawnServe({ rulesDir: join(root, 'rules'), dataDir: data });
  try {
    const url = await second.listening();
    // Ready once its logs are open (they open after it listens): the log signed with the kept key.
    for (const end = Date.now() + 5000; (await fetch(`${url}/readyz`)).status !== 200;) {
      if (Date.now() > end) throw new Error(`not ready:\n${second.out()}${second.err()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await work(url, second.out);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}

describe('a data directory removed while the server runs', () => {
  it('gets its secret and lock back, and the next start opens the log it left', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-rmdata-'));
    const data = join(root, 'data');
    const first = await startServe(root);
    expect((await check(first.url)).status).toBe(200);
    const secret = readFileSync(join(data, 'secret.key'), 'utf8');
    const lock = readFileSync(join(data, 'mge.lock'), 'utf8');
    rmSync(data, { recursive: true, force: true });
    const said = '"msg":"the receipt secret was removed from the data directory while the server ran; written back"';
    await writtenBack([join(data, 'secret.key'), join(data, 'mge.lock')], first, [said]);
    expect(readFileSync(join(data, 'secret.key'), 'utf8')).toBe(secret);
    expect(readFileSync(join(data, 'mge.lock'), 'utf8')).toBe(lock);
    expect(first.out()).toContain(said);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.out() + first.err()).toBe(0);

    await restarted(root, data, async (url, out) => {
      expect((await check(url)).status).toBe(200);
      expect(out()).not.toContain('does not hold');
    });
  }, 60_000);

  // A review (11-29): the nonces file was written back only at the next verification or at the
  // stop; removed, then a crash, and a receipt verified before it verified again.
  it('gets the used nonces back within a second: a receipt verified before a crash stays used after it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-rmnonces-'));
    const data = join(root, 'data');
    const first = await startServe(root);
    const decision: unknown = await (await check(first.url)).json();
    const verify = async (url: string) => (await fetch(`${url}/api/v1/receipts/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.acmeChecker}` }, body: JSON.stringify({ decision }),
    })).json();
    expect(await verify(first.url)).toEqual({ valid: true, approved: true });
    rmSync(join(data, 'nonces.jsonl'));
    await writtenBack([join(data, 'nonces.jsonl')], first, ['"msg":"the used nonces file was removed, moved away, cut short or overwritten while the server ran; written back"']);
    first.child.kill('SIGKILL');
    await first.exited;
    await restarted(root, data, async (url) => {
      expect(await verify(url)).toEqual({ valid: false, reason: 'replayed' });
    });
  }, 60_000);

  // A fault-injection review (11-29): `rm -rf data/api-rules` while stopped, and the next start
  // served without the tenant's API deny rule, saying so only in an info line.
  it('a start that finds a tenant\'s API rules folder gone, after a run that served API rules, is refused; an empty folder starts without them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-rmapirules-'));
    const data = join(root, 'data');
    const first = await startServe(root);
    expect((await putRule(first.url, 'no-x', 'x')).status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const said = `the data directory \`${data}\` keeps no folder of API rules for tenant \`acme\`, but the last run served rules put through the API for it: removed by a cleanup? put it back from a backup; to start without them, make it empty (\`mkdir -p ${join(data, 'api-rules', 'acme')}\`)`;
    for (const cleanup of [() => rmSync(join(data, 'api-rules', 'acme'), { recursive: true }), () => rmSync(join(data, 'api-rules'), { recursive: true })]) {
      cleanup(); // `rm -rf data/api-rules/*`, then the whole folder
      const refused = spawnServe({ rulesDir: join(root, 'rules'), dataDir: data });
      expect(await refused.exited).toBe(2);
      expect(refused.err()).toContain(said);
    }
    mkdirSync(join(data, 'api-rules', 'acme'), { recursive: true });
    await restarted(root, data, async (url) => {
      const d = (await (await check(url)).json()) as { approved: boolean };
      expect(d.approved).toBe(true);
    });
  }, 60_000);

  // A review (11-28): `api-rules/` and the record of the rules in force were not written back,
  // so the next start served without the tenant's API rule (a denied check approved) and could
  // not tell, and the log still named the rule in force.
  it('gets the API rules and the record of the rules in force back: the next start serves them as before', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-rmdata-rules-'));
    const data = join(root, 'data');
    const first = await startServe(root);
    expect((await putRule(first.url, 'no-x', 'x')).status).toBe(201);
    const decided = async (url: string) => ((await (await check(url)).json()) as { approved: boolean; policy_version: string });
    const before = await decided(first.url);
    expect(before.approved).toBe(false);
    rmSync(data, { recursive: true, force: true });
    const said = '"msg":"API rule `no-x` of tenant `acme` was removed from the data directory while the server ran; written back"';
    await writtenBack([join(data, 'api-rules', 'acme', 'no-x.json'), join(data, 'rules-in-force.json')], first, [said]);
    expect(first.out()).toContain(said);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.out() + first.err()).toBe(0);

    await restarted(root, data, async (url, out) => {
      expect(await decided(url)).toMatchObject({ approved: false, policy_version: before.policy_version });
      expect(out()).not.toContain('rules in force at start not logged');
      expect(out()).not.toContain('rules found changed at start');
    });
  }, 60_000);

  // A re-review (11-28): a PUT right after `api-rules/` was removed made the tenant's folder
  // again, and the write-back, which then looked for the folder only, wrote nothing back.
  it('writes back the API rules a PUT just after their removal did not put again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-rmdata-put-'));
    const data = join(root, 'data');
    const first = await startServe(root);
    expect((await putRule(first.url, 'no-x')).status).toBe(201);
    rmSync(join(data, 'api-rules'), { recursive: true, force: true });
    expect((await putRule(first.url, 'no-y')).status).toBe(201);
    await writtenBack([join(data, 'api-rules', 'acme', 'no-x.json'), join(data, 'api-rules', 'acme', 'no-y.json')], first);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.out() + first.err()).toBe(0);
    await restarted(root, data, async (url, out) => {
      const listed = (await (await fetch(`${url}/api/v1/rules`, { headers: { authorization: `Bearer ${KEYS.acmeAdmin}` } })).json()) as { rules: Array<{ rule: { rule_id: string } }> };
      expect(listed.rules.map((r) => r.rule.rule_id)).toEqual(expect.arrayContaining(['no-x', 'no-y']));
      expect(out()).not.toContain('rules found changed at start');
    });
  }, 60_000);

  it('removed just before a stop, the secret is written back by the stop itself (a re-review: the log came back, its key not)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-rmdata-stop-'));
    const data = join(root, 'data');
    const first = await startServe(root);
    expect((await check(first.url)).status).toBe(200);
    const secret = readFileSync(join(data, 'secret.key'), 'utf8');
    rmSync(data, { recursive: true, force: true });
    first.child.kill('SIGTERM');
    await first.exited;
    expect(readFileSync(join(data, 'secret.key'), 'utf8')).toBe(secret);
    expect(existsSync(join(data, 'audit', 'acme', 'log.jsonl'))).toBe(true);
    expect(existsSync(join(data, 'mge.lock'))).toBe(false); // released after the last look
  }, 60_000);

  it('a server whose lock another process took refuses every write from then on, and keeps no checkpoint', async () => {
    // What a server paused past the lock's staleness meets when it runs again (a re-review:
    // both served one log, and verify found it broken).
    const e = await startE2E();
    try {
      const checkNow = () => e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"x"}' });
      expect((await checkNow()).status).toBe(200);
      const cps = join(e.dataDir, 'audit', 'acme', 'checkpoints.jsonl');
      const kept = existsSync(cps) ? readFileSync(cps, 'utf8') : '';
      writeFileSync(join(e.dataDir, 'mge.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now' }) + '\n');
      for (const end = Date.now() + 5000; !e.logs.some((l) => JSON.parse(l).msg.startsWith('another process took this server')); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end) throw new Error('not told');
      }
      expect((await checkNow()).status).toBe(503);
      expect((await e.fetch('/readyz')).status).toBe(503);
      expect((await e.fetch('/api/v1/rules/x', { method: 'PUT', key: KEYS.acmeAdmin, body: '{"rule_id":"x","prohibited":[{"when":"true"}]}' })).status).toBe(503);
      expect((await e.fetch('/api/v1/audit/checkpoint', { key: KEYS.acmeAuditor })).status).toBe(503); // no checkpoint line either
      await e.sidecar.shutdown();
      expect(existsSync(cps) ? readFileSync(cps, 'utf8') : '').toBe(kept); // the log is the other's to checkpoint
      expect(readFileSync(join(e.dataDir, 'mge.lock'), 'utf8')).toContain('elsewhere'); // and its lock left alone
    } finally {
      await e.stop();
    }
  }, 60_000);

  it('a lock taken while the server was still starting is told once it serves (a re-review)', async () => {
    let dataDir = '';
    const e = await startE2E({
      openAudit: async (dir, signer, { keysInDataDir }) => {
        dataDir = dir;
        writeFileSync(join(dir, 'mge.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now' }) + '\n');
        await new Promise((r) => setTimeout(r, 1500)); // a beat finds it, before the handler is there
        return openNodeAudit(dir, signer, { dataDirKeys: keysInDataDir });
      },
    });
    try {
      expect(e.logs.some((l) => JSON.parse(l).msg.startsWith('another process took this server'))).toBe(true);
      expect((await e.fetch('/readyz')).status).toBe(503);
      expect((await e.fetch('/api/v1/governance/check', { key: KEYS.acmeChecker, body: '{"action":"x"}' })).status).toBe(503);
      expect(readFileSync(join(dataDir, 'mge.lock'), 'utf8')).toContain('elsewhere');
    } finally {
      await e.stop();
    }
  }, 60_000);
});
