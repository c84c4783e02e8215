// `mge serve` refuses to start on a configuration it cannot serve safely, and says why.

import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openNodeAudit } from '../../../src/adapters/node/audit.js';
import { SidecarConfigError, startSidecar, type SidecarConfig } from '../../../src/adapters/node/sidecar.js';
import { RuleLoadError } from '../../../src/engine/engine.js';
import { ApiKeySpecError } from '../../../src/http/api-keys.js';
import { jsonLogger, silentLogger } from '../../../src/http/logger.js';
import { WeakSecretError } from '../../../src/receipt/keys.js';
import { createSigner } from '../../../src/receipt/sign.js';
import { canonicalize } from '../../../src/receipt/jcs.js';
import type { Decision, Json } from '../../../src/ir/types.js';
import { serveCommand } from '../../../src/cli/serve.js';
import { spawnServe, writeRules, type ServeProcess } from './server.js';

function config(over: Partial<SidecarConfig>): SidecarConfig {
  const root = mkdtempSync(join(tmpdir(), 'mge-config-'));
  writeRules(join(root, 'rules'));
  return {
    rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), host: '127.0.0.1', port: 0,
    logger: silentLogger, openAudit: (d, s, { keysInDataDir }) => openNodeAudit(d, s, { dataDirKeys: keysInDataDir }), watch: false, ...over,
  };
}

describe('start-up refusals', () => {
  it('open mode binds loopback only', async () => {
    await expect(startSidecar(config({ host: '0.0.0.0' }))).rejects.toThrow(SidecarConfigError);
    await expect(startSidecar(config({ host: '0.0.0.0' }))).rejects.toThrow('binds to loopback only, not `0.0.0.0`');
  });

  it('refuses a missing rules directory, bad keys, a weak secret and rules with errors', async () => {
    await expect(startSidecar(config({ rulesDir: '/nonexistent/rules' }))).rejects.toThrow('rules directory `/nonexistent/rules` not found');
    const file = new URL(import.meta.url).pathname; // this test, a file
    await expect(startSidecar(config({ rulesDir: file }))).rejects.toThrow(`rules directory \`${file}\` is not a directory`);
    await expect(startSidecar(config({ apiKeys: 'acme:root:0123456789abcdef0123' }))).rejects.toThrow(ApiKeySpecError);
    await expect(startSidecar(config({ secret: 'short' }))).rejects.toThrow(WeakSecretError);
    await expect(startSidecar(config({ secret: 'short' }))).rejects.toThrow('MGE_SECRET_KEY: HS256 secret has 5 bytes; at least 32 are required (make one: `openssl rand -base64 48`)');
    // The data dir's secret file is named too, whatever is wrong with it (a review: nothing said where).
    const shortFile = config({});
    mkdirSync(shortFile.dataDir, { recursive: true });
    writeFileSync(join(shortFile.dataDir, 'secret.key'), 'short\n', { mode: 0o600 });
    await expect(startSidecar(shortFile)).rejects.toThrow(`\`${join(shortFile.dataDir, 'secret.key')}\`: HS256 secret has 5 bytes`);
    const dirSecret = config({});
    mkdirSync(join(dirSecret.dataDir, 'secret.key'), { recursive: true });
    await expect(startSidecar(dirSecret)).rejects.toThrow(`\`${join(dirSecret.dataDir, 'secret.key')}\` is a directory, not a file; remove it`);
    // A generated key where the tenant goes: refused without printing it (it would be the banner's tenant and a /metrics label).
    const key = 'mge_' + 'k'.repeat(43);
    const swapped = startSidecar(config({ apiKeys: `${key}:checker:acme-production-eu` }));
    await expect(swapped).rejects.toThrow('MGE_API_KEYS entry 1: the tenant field holds what looks like an API key');
    await expect(swapped).rejects.not.toThrow(key);
    const bad = mkdtempSync(join(tmpdir(), 'mge-bad-rules-'));
    writeFileSync(join(bad, 'x.yaml'), 'rule_id: x\nprohibited:\n  - message: m\n    when: "(("\n');
    await expect(startSidecar(config({ rulesDir: bad }))).rejects.toThrow(RuleLoadError);
  });

  it('refuses a link where the server keeps what it writes (two servers could write one log), not a linked key', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'mge-shared-audit-'));
    for (const [link, target] of [['audit', shared], [join('audit', 'acme'), shared], [join('audit', 'acme', 'log.jsonl'), join(shared, 'log.jsonl')], ['nonces.jsonl', join(shared, 'n')]] as const) {
      const cfg = config({});
      mkdirSync(join(cfg.dataDir, link, '..'), { recursive: true });
      symlinkSync(target, join(cfg.dataDir, link));
      await expect(startSidecar(cfg)).rejects.toThrow(`\`${join(cfg.dataDir, link)}\` is a symbolic link: the audit logs, used nonces, API rules and record of the rules in force must be the data directory's own`);
      expect(existsSync(join(cfg.dataDir, 'mge.lock'))).toBe(false); // released
    }
    const cfg = config({});
    mkdirSync(cfg.dataDir);
    writeFileSync(join(shared, 'secret.key'), 'a-secret-mounted-elsewhere-0123456789', { mode: 0o600 });
    symlinkSync(join(shared, 'secret.key'), join(cfg.dataDir, 'secret.key'));
    await (await startSidecar(cfg)).shutdown();
  });

  it('refuses a hard link there too (`ln`, a data directory cloned with `cp -al`), not a second name in the same folder, nor links in dot-entries', async () => {
    // A re-review (11-28): `ln dA/audit/default/log.jsonl dB/audit/default/` gave two servers one log.
    const first = config({});
    await (await startSidecar(first)).shutdown();
    const log = join(first.dataDir, 'audit', 'default', 'log.jsonl');
    expect(existsSync(log)).toBe(true);
    for (const name of [join('audit', 'default', 'log.jsonl'), 'nonces.jsonl']) {
      const cfg = config({});
      mkdirSync(join(cfg.dataDir, name, '..'), { recursive: true });
      const original = join(first.dataDir, name);
      if (!existsSync(original)) writeFileSync(original, '');
      linkSync(original, join(cfg.dataDir, name));
      const linked = join(cfg.dataDir, name);
      await expect(startSidecar(cfg)).rejects.toThrow(`\`${linked}\` has another name outside its folder (a hard link, or a data directory copied with \`cp -al\`?): the audit logs`);
      await expect(startSidecar(cfg)).rejects.toThrow('give it a copy of its own (`cp -p F F.own && mv F.own F`');
      await expect(startSidecar(cfg)).rejects.toThrow('a data directory copied with `cp -al` has every file so: copy it again with `cp -a`');
      expect(existsSync(join(cfg.dataDir, 'mge.lock'))).toBe(false); // released
      execFileSync('sh', ['-c', 'cp -p "$1" "$1.own" && mv "$1.own" "$1"', 'sh', linked]); // the fix the message gives
      await (await startSidecar(cfg)).shutdown();
    }
    const clone = join(first.dataDir, '..', 'clone');
    execFileSync('cp', ['-al', first.dataDir, clone]);
    await expect(startSidecar({ ...first, dataDir: clone })).rejects.toThrow('has another name outside its folder');
    await expect(startSidecar(first)).rejects.toThrow('has another name outside its folder'); // the original as well
    rmSync(clone, { recursive: true });
    // A restore cut short leaves the log's temporary second name beside it: the log's own.
    linkSync(log, `${log}.123.abcdef.tmp`);
    // A dot-entry under audit/ is no tenant's: what it is, the store does not care.
    symlinkSync(tmpdir(), join(first.dataDir, 'audit', '.notes'));
    await (await startSidecar(first)).shutdown();
  });

  it('refuses a data directory inside the rules directory (its API rules would load as file rules), also one not made yet', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-data-in-rules-'));
    writeRules(join(root, 'rules'));
    for (const dataDir of [join(root, 'rules'), join(root, 'rules', 'data'), join(root, 'rules', 'new', 'data'), join(root, 'rules', '.', 'x', '..', 'data')]) {
      await expect(startSidecar(config({ rulesDir: join(root, 'rules'), dataDir }))).rejects.toThrow(`data directory \`${dataDir}\` is inside the rules directory`);
    }
    expect(existsSync(join(root, 'rules', 'data'))).toBe(false); // refused before anything was made
    // The reader follows links: a data dir a link in the rules leads to is read as rules too.
    mkdirSync(join(root, 'elsewhere', 'data'), { recursive: true });
    symlinkSync(join(root, 'elsewhere'), join(root, 'rules', 'linked'));
    await expect(startSidecar(config({ rulesDir: join(root, 'rules'), dataDir: join(root, 'elsewhere', 'data') }))).rejects.toThrow(`(through a link, at \`${join(root, 'elsewhere')}\`)`);
    // A link to a data dir not made yet (a first start): refused too, before it is made.
    symlinkSync(join(root, 'later', 'data'), join(root, 'rules', 'pending'));
    await expect(startSidecar(config({ rulesDir: join(root, 'rules'), dataDir: join(root, 'later', 'data') }))).rejects.toThrow('(through a link, at');
    expect(existsSync(join(root, 'later'))).toBe(false); // made for the check, taken away again
    rmSync(join(root, 'rules', 'pending'));
    // Two hops, both dangling until the data dir is made: `rules/hop2 -> ../hop`, `hop -> far/data`.
    symlinkSync(join(root, 'hop'), join(root, 'rules', 'hop2'));
    symlinkSync(join(root, 'far', 'data'), join(root, 'hop'));
    await expect(startSidecar(config({ rulesDir: join(root, 'rules'), dataDir: join(root, 'far', 'data') }))).rejects.toThrow('(through a link, at');
    expect(existsSync(join(root, 'far'))).toBe(false);
    rmSync(join(root, 'rules', 'hop2'));
    // A link from the rules into the data dir's API rules: refused too.
    mkdirSync(join(root, 'kept', 'api-rules'), { recursive: true });
    symlinkSync(join(root, 'kept', 'api-rules'), join(root, 'rules', 'into'));
    await expect(startSidecar(config({ rulesDir: join(root, 'rules'), dataDir: join(root, 'kept') }))).rejects.toThrow("reaches into the data directory's API rules (through a link");
    rmSync(join(root, 'rules', 'into'));
    // Given relative and not normalized, only what was made is taken away again, never a parent.
    const cwd = process.cwd();
    process.chdir(root);
    try {
      mkdirSync(join(root, 'rules', 'keep'));
      await expect(startSidecar(config({ rulesDir: 'rules', dataDir: 'rules/keep/new/data/' }))).rejects.toThrow('is inside the rules directory');
      expect(existsSync(join(root, 'rules', 'keep'))).toBe(true);
      expect(existsSync(join(root, 'rules', 'keep', 'new'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
    // Beside the rules, or in a dot-directory the reader skips: fine.
    for (const dataDir of [join(root, 'rules-data'), join(root, 'rules', '.data')]) {
      const ok = await startSidecar(config({ rulesDir: join(root, 'rules'), dataDir }));
      await ok.shutdown();
    }
  });

  it('with Ed25519 receipts, trusts no HS256 secret but those listed as previous', async () => {
    const cfg = config({ receiptAlg: 'Ed25519' });
    mkdirSync(cfg.dataDir, { recursive: true });
    const hidden = 'a-secret-key-file-left-in-the-data-dir-000';
    writeFileSync(join(cfg.dataDir, 'secret.key'), hidden + '\n');
    const hsReceipt = await (await createSigner({ hs256Secret: hidden })).sign({
      decision_id: 'dec-x', approved: true, reasoning: 'All rules passed', rule_ids: [], violations: [], warnings: [],
      tenant: 'default', policy_version: 'sha256:00', timestamp: new Date().toISOString(), action_hash: 'ab'.repeat(32),
    });
    const verify = async (url: string) => (await (await fetch(`${url}/api/v1/receipts/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: hsReceipt }),
    })).json()) as { valid: boolean; reason?: string; approved?: boolean };
    const sidecar = await startSidecar(cfg);
    try {
      expect(await verify(sidecar.url)).toEqual({ valid: false, reason: 'unknown_kid' });
    } finally {
      await sidecar.shutdown();
    }
    const listed = await startSidecar({ ...cfg, previousSecrets: hidden });
    try {
      expect(await verify(listed.url)).toEqual({ valid: true, approved: true });
    } finally {
      await listed.shutdown();
    }
  });

  // A review (11-27): with the secret in MGE_SECRET_KEY, a `secret.key` dropped into the data
  // dir verified a forged approval appended to the log, which the server then proved and
  // signed into its next checkpoint with the real secret.
  it('with MGE_SECRET_KEY, trusts no key file dropped into the data dir to verify its log', async () => {
    const cfg = config({ secret: 'the-real-secret-kept-outside-the-data-dir-00' });
    const first = await startSidecar(cfg);
    try {
      const check = await fetch(`${first.url}/api/v1/governance/check`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: { type: 'db.write' }, context: { environment: 'production' } }),
      });
      expect(check.status).toBe(200);
    } finally {
      await first.shutdown(); // keeps a checkpoint over the one decision
    }
    const planted = 'a-secret-the-attacker-chose-and-wrote-there';
    writeFileSync(join(cfg.dataDir, 'secret.key'), planted + '\n', { mode: 0o600 });
    const log = join(cfg.dataDir, 'audit', 'default', 'log.jsonl');
    const { receipt: _r, ...real } = JSON.parse(readFileSync(log, 'utf8').trimEnd().split('\n').at(-1)!) as Decision & { receipt: unknown };
    const forged = await (await createSigner({ hs256Secret: planted })).sign({ ...real, approved: true, violations: [], decision_id: real.decision_id.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) });
    appendFileSync(log, canonicalize(forged as unknown as Json) + '\n');
    const second = await startSidecar(cfg);
    try {
      expect((await fetch(`${second.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${second.url}/api/v1/audit/checkpoint`)).status).toBe(503);
    } finally {
      await second.shutdown();
    }
  });

  // A review (11-27): with MGE_SECRET_KEY, a switch to Ed25519 and back refused the log (its
  // Ed25519 checkpoints under a key the server no longer trusts from the data dir) with no
  // way out; MGE_PREVIOUS_JWKS gives the old public keys back.
  it('with MGE_SECRET_KEY, opens after a switch to Ed25519 and back once MGE_PREVIOUS_JWKS names the old keys', async () => {
    const hs = config({ secret: 'the-real-secret-kept-outside-the-data-dir-01' });
    const check = async (url: string) => (await fetch(`${url}/api/v1/governance/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"db.read"}' })).status;
    const run = async (cfg: SidecarConfig, then?: (url: string) => Promise<void>) => {
      const sidecar = await startSidecar(cfg);
      try {
        expect(await check(sidecar.url)).toBe(200);
        await then?.(sidecar.url);
      } finally {
        await sidecar.shutdown();
      }
    };
    await run(hs);
    const jwks = join(hs.dataDir, '..', 'old-keys.json');
    // The switch gives the HS256 secret back as a previous key for its first start.
    await run({ ...hs, receiptAlg: 'Ed25519', previousSecrets: hs.secret }, async (url) => writeFileSync(jwks, await (await fetch(`${url}/api/v1/keys`)).text()));
    const refused = await startSidecar(hs);
    try {
      expect((await fetch(`${refused.url}/readyz`)).status).toBe(503);
    } finally {
      await refused.shutdown();
    }
    await run({ ...hs, previousJwks: jwks });
    await run(hs); // its checkpoint is its own now: the old keys are needed no more
  });

  it('open mode over a real socket: a request for another Host (DNS rebinding) is refused before any route', async () => {
    const sidecar = await startSidecar(config({}));
    const rule = 'rule_id: pwn\nprohibited:\n  - message: m\n    when: "false"\n';
    const raw = (host: string) => new Promise<string>((resolve) => {
      const s = connect(Number(new URL(sidecar.url).port), '127.0.0.1', () => s.write(
        `PUT /api/v1/rules/pwn HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/yaml\r\nContent-Length: ${rule.length}\r\nConnection: close\r\n\r\n${rule}`,
      ));
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('close', () => resolve(out));
    });
    try {
      const refused = await raw('rebind.attacker.example:8080');
      expect(refused).toMatch(/^HTTP\/1\.1 403 /);
      expect(refused).toContain('content-type: application/problem+json');
      expect(await (await fetch(`${sidecar.url}/api/v1/rules/pwn`)).json()).toMatchObject({ status: 404 });
      expect(await raw(`127.0.0.1:${new URL(sidecar.url).port}`)).toMatch(/^HTTP\/1\.1 201 /);
    } finally {
      await sidecar.shutdown();
    }
  });

  it('logs a log that does not open once, however often /readyz is asked', async () => {
    const lines: string[] = [];
    // A secret given: a data dir holding a log and no secret.key refuses to start.
    const cfg = config({ logger: jsonLogger((l) => lines.push(l)), secret: 'a-secret-given-in-the-environment-0000' });
    mkdirSync(join(cfg.dataDir, 'audit', 'acme'), { recursive: true });
    writeFileSync(join(cfg.dataDir, 'audit', 'acme', 'log.jsonl'), 'not json\n{"a":1}\n');
    const sidecar = await startSidecar(cfg);
    try {
      for (let i = 0; i < 5; i++) {
        expect((await fetch(`${sidecar.url}/readyz`)).status).toBe(503);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await sidecar.shutdown();
    }
    expect(lines.filter((l) => l.includes('audit log does not open'))).toHaveLength(1);
  });

  it('a FIFO in place of a file the start reads refuses the start or that tenant\'s log, naming it, instead of hanging', async () => {
    // Until 11-29 one at `secret.key` or `nonces.jsonl` hung the start without a word.
    for (const name of ['secret.key', 'nonces.jsonl', join('api-rules', 'default', 'x.json')]) {
      const cfg = config({});
      mkdirSync(join(cfg.dataDir, name, '..'), { recursive: true });
      execFileSync('mkfifo', [join(cfg.dataDir, name)]);
      await expect(startSidecar(cfg), name).rejects.toThrow(`\`${join(cfg.dataDir, name)}\` is a FIFO, not a file; remove it`);
    }
    for (const name of ['log.jsonl', 'checkpoints.jsonl']) {
      const lines: string[] = [];
      const cfg = config({ logger: jsonLogger((l) => lines.push(l)) });
      mkdirSync(join(cfg.dataDir, 'audit', 'default'), { recursive: true });
      execFileSync('mkfifo', [join(cfg.dataDir, 'audit', 'default', name)]);
      const sidecar = await startSidecar(cfg);
      try {
        const r = await fetch(`${sidecar.url}/api/v1/governance/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"x"}' });
        expect(r.status, name).toBe(503);
      } finally {
        await sidecar.shutdown();
      }
      expect(lines.join('\n'), name).toContain(`\`${join(cfg.dataDir, 'audit', 'default', name)}\` is a FIFO, not a file; remove it`);
    }
  });

  it('a start that fails to bind checkpoints what it logged: the next start has no uncovered entries to warn of', async () => {
    // A review (11-29): a port in use left the start's rule entries uncheckpointed, and the
    // next start warned of each as "a rule change after the latest checkpoint".
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    const first = config({ port });
    try {
      await expect(startSidecar(first)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      held.close();
    }
    const lines: string[] = [];
    const logger = jsonLogger((l) => lines.push(l));
    const again = await startSidecar({ ...first, port: 0, logger, openAudit: (d, s, { keysInDataDir }) => openNodeAudit(d, s, { dataDirKeys: keysInDataDir, logger }) });
    await again.shutdown();
    expect(lines.filter((l) => l.includes('"level":"warn"'))).toEqual([]);
  });

  it('logs a warning for an API key of 64 hex digits (a hash pasted without `sha256:` would be the credential)', async () => {
    const lines: string[] = [];
    const sidecar = await startSidecar(config({ logger: jsonLogger((l) => lines.push(l)), apiKeys: `acme:checker:${'0f'.repeat(32)}` }));
    await sidecar.shutdown();
    expect(lines.filter((l) => l.includes('"level":"warn"') && l.includes('its key is 64 hex digits'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('0f'.repeat(32));
  });

  it('serve exits 2 on a usage error', async () => {
    expect(await serveCommand(['--port', 'eighty'])).toBe(2);
    expect(await serveCommand(['--bogus'])).toBe(2);
  });

  it('serve says what to do about a port in use and refuses a URL as host; `[::1]` is the address ::1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-serve-msg-'));
    writeRules(join(root, 'rules'));
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as { port: number }).port;
    const errors: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (errors.push(String(chunk)), true));
    try {
      expect(await serveCommand(['--rules', join(root, 'rules'), '--data', join(root, 'data'), '--port', String(taken)])).toBe(2);
      expect(await serveCommand(['--rules', join(root, 'rules'), '--data', join(root, 'data2'), '--host', 'http://127.0.0.1'])).toBe(2);
      // Raw errors until 11-29 (an operator's review): ENOTFOUND for a host with its port, EEXIST for a file as --data.
      expect(await serveCommand(['--rules', join(root, 'rules'), '--data', join(root, 'data2'), '--host', '127.0.0.1:8080'])).toBe(2);
      expect(await serveCommand(['--rules', join(root, 'rules'), '--data', join(root, 'data2'), '--host', '[::1'])).toBe(2);
      writeFileSync(join(root, 'a-file'), '');
      expect(await serveCommand(['--rules', join(root, 'rules'), '--data', join(root, 'a-file'), '--port', '0'])).toBe(2);
      expect(await serveCommand(['--rules', join(root, 'rules'), '--data', join(root, 'a-file', 'sub'), '--port', '0'])).toBe(2);
    } finally {
      write.mockRestore();
      busy.close();
    }
    expect(errors.join('')).toContain(`address already in use 127.0.0.1:${taken}: another process (another \`mge serve\`?) listens there; stop it, or give another port (\`--port N\` or MGE_PORT)`);
    expect(errors.join('')).toContain('mge serve: host `http://127.0.0.1` is a URL; give a host name or address, e.g. `127.0.0.1` or `::1`');
    expect(errors.join('')).toContain('mge serve: host `127.0.0.1:8080` holds a port; give the port with --port or MGE_PORT');
    expect(errors.join('')).toContain('mge serve: host `[::1` is not a host name or address');
    for (const data of [join(root, 'a-file'), join(root, 'a-file', 'sub')]) {
      expect(errors.join('')).toContain(`mge serve: the data directory \`${data}\`, or a folder on its way, is a file, not a directory`);
    }
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data3'), apiKeys: '', args: ['--host', '[::1]'] });
    const url = await served.listening();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/);
  });
});

/** `mge serve` in open mode over fresh rules and data with `env` set, stopped (SIGTERM) after `work`. */
async function withServe(env: NodeJS.ProcessEnv, work: (url: string, served: ServeProcess) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'mge-serve-env-'));
  writeRules(join(root, 'rules'));
  const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', env });
  try {
    await work(await served.listening(), served);
  } finally {
    served.child.kill('SIGTERM');
    await served.exited;
  }
}

/** `mge serve` with each `[variable, value]` set exits 2, saying `<variable> \`<value>\` <why>`. */
async function refusedAtStart(cases: Array<[string, string]>, why: string): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'mge-refused-'));
  writeRules(join(root, 'rules'));
  for (const [name, value] of cases) {
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', env: { [name]: value } });
    expect(await served.exited, `${name}=${value}`).toBe(2);
    expect(served.err()).toContain(`mge serve: ${name} \`${value}\` ${why}`);
  }
}

describe('credentials set but empty', () => {
  it('MGE_API_KEYS or MGE_SECRET_KEY set but empty is refused, not read as unset (open mode, a generated secret)', async () => {
    // A secret reference that did not resolve gives an empty variable: until 11-28 that
    // started the open local mode, every local caller tenant `default` with all roles.
    const root = mkdtempSync(join(tmpdir(), 'mge-empty-'));
    writeRules(join(root, 'rules'));
    for (const [name, value, means] of [['MGE_API_KEYS', '', 'the open local mode'], ['MGE_API_KEYS', ' ', 'the open local mode'], ['MGE_SECRET_KEY', '', 'the secret kept in the data directory']]) {
      const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), env: { [name]: value } });
      expect(await served.exited, `${name}=${value}`).toBe(2);
      expect(served.err()).toContain(`mge serve: ${name} is set but empty (a secret or variable that did not resolve?); unset, it means ${means}`);
      expect(served.out()).not.toContain('listening');
    }
    // With Ed25519 receipts MGE_SECRET_KEY is not read, empty or not.
    await withServe({ MGE_RECEIPT_ALG: 'Ed25519', MGE_SECRET_KEY: '' }, async (url) => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    });
  });

  it('any other setting empty or blank is its default (until 11-29 a blank MGE_RECEIPT_ALG or MGE_AUDIT_FSYNC stopped the start); a typo stops it', async () => {
    await withServe({ MGE_RECEIPT_ALG: '  ', MGE_AUDIT_FSYNC: ' ', MGE_RECEIPT_TTL_SECONDS: ' ', MGE_CLOCK_SKEW_SECONDS: '' }, async (url, served) => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(served.out()).toMatch(/mge: receipts: HS256, key id \S+, valid 60 s, verify skew 5 s; audit log fsync: always\n/);
    });
    // White space around a value is dropped for every setting alike (until 11-29 `" 30 "` was read, `"never "` refused).
    await withServe({ MGE_RECEIPT_ALG: 'Ed25519 ', MGE_AUDIT_FSYNC: ' never', MGE_RECEIPT_TTL_SECONDS: ' 30 ', MGE_HOST: ' 127.0.0.1 ' }, async (url, served) => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(served.out()).toMatch(/mge: receipts: Ed25519, key id \S+, valid 30 s, verify skew 5 s; audit log fsync: never\n/);
    });
    await refusedAtStart([['MGE_RECEIPT_ALG', 'ed25519']], 'is not HS256 or Ed25519');
    await refusedAtStart([['MGE_AUDIT_FSYNC', 'Never']], 'is not always or never');
  });
});

describe('receipt TTL and clock skew (SPEC §5: configurable)', () => {
  it('MGE_RECEIPT_TTL_SECONDS sets how long a receipt is valid, MGE_CLOCK_SKEW_SECONDS what verify allows past it', async () => {
    await withServe({ MGE_RECEIPT_TTL_SECONDS: '1.5', MGE_CLOCK_SKEW_SECONDS: '0' }, async (url, served) => {
      const res = await fetch(`${url}/api/v1/governance/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: { type: 'db.read' } }) });
      const d = (await res.json()) as Decision & { receipt: { issued_at: string; expires_at: string; kid: string } };
      // The start line says what was tuned, and the key id a replica beside it must show too.
      expect(served.out()).toContain(`mge: receipts: HS256, key id ${d.receipt.kid}, valid 1.5 s, verify skew 0 s; audit log fsync: always\n`);
      expect(Date.parse(d.receipt.expires_at) - Date.parse(d.receipt.issued_at)).toBe(1500);
      // Past its expiry with no skew allowed (the default 5 s would still take it).
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(d.receipt.expires_at) + 50 - Date.now())));
      const verify = await fetch(`${url}/api/v1/receipts/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: d }) });
      expect(await verify.json()).toMatchObject({ valid: false, reason: 'expired' });
    });
  });

  it('refuses a TTL or skew that is not a number of seconds in range, naming it', async () => {
    await refusedAtStart([['MGE_RECEIPT_TTL_SECONDS', '0'], ['MGE_RECEIPT_TTL_SECONDS', '3601'], ['MGE_RECEIPT_TTL_SECONDS', '1m'], ['MGE_CLOCK_SKEW_SECONDS', '-1'], ['MGE_CLOCK_SKEW_SECONDS', '0.0001']], 'is not a number of seconds from');
  });
});

describe('request limits (SPEC §2: configurable)', () => {
  it('MGE_MAX_BODY_BYTES, MGE_MAX_DEPTH, MGE_MAX_STRING_BYTES and MGE_MAX_ARRAY_ITEMS hold the HTTP body and the request alike', async () => {
    const env = { MGE_MAX_BODY_BYTES: '131072', MGE_MAX_DEPTH: '4', MGE_MAX_STRING_BYTES: '16', MGE_MAX_ARRAY_ITEMS: '300', MGE_AUDIT_FSYNC: 'never', MGE_SECRET_KEY: 'a-secret-of-more-than-32-bytes-for-the-test\n' };
    await withServe(env, async (url, served) => {
      expect(served.out()).toMatch(/; audit log fsync: never; request limits: body bytes 131072, depth 4, string bytes 16, array items 300\n/);
      // stderr is its own pipe: its lines may be read a moment after stdout's `listening on`.
      for (let waited = 0; !served.err().includes('MGE_SECRET_KEY begins') && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(served.err()).toContain('mge: warning: MGE_SECRET_KEY begins or ends with white space');
      const check = async (body: unknown) => {
        const res = await fetch(`${url}/api/v1/governance/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, text: await res.text() };
      };
      // 300 items of 15 bytes: ~100 KB, past the default 64 KiB body, within this one.
      const wide = { action: { type: 'db.read' }, context: { items: Array.from({ length: 300 }, () => ({ k: 'x'.repeat(15), pad: 'y'.repeat(15), more: 'z'.repeat(15), n: 'w'.repeat(15), m: 'v'.repeat(15), o: 'u'.repeat(15), p: 't'.repeat(15), q: 's'.repeat(15), r: 'q'.repeat(15), s: 'p'.repeat(15) })) } };
      expect(JSON.stringify(wide).length).toBeGreaterThan(64 * 1024);
      expect((await check(wide)).status).toBe(200);
      expect(await check({ action: { type: 'db.read' }, context: { s: 'x'.repeat(17) } })).toMatchObject({ status: 400, text: expect.stringContaining('16') });
      expect((await check({ action: { type: 'db.read' }, context: { a: { b: { c: {} } } } })).status).toBe(400); // depth 5: the top level is 1
      expect((await check({ action: { type: 'db.read' }, context: { a: Array(301).fill(1) } })).status).toBe(400);
      expect((await check({ action: { type: 'db.read' }, context: { s: Array.from({ length: 9000 }, () => 'abcdefghijklmno') } })).status).toBe(413);
    });
  });

  // A review (11-28): a read-only data directory printed a raw `EROFS … mge.lock.<pid>.<hex>.tmp`.
  it('names a data directory it cannot write, and why it must be writable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-unwritable-'));
    writeRules(join(root, 'rules'));
    // Not even root may make a directory in /sys/kernel (sysfs): EPERM, as a read-only volume gives EROFS.
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: '/sys/kernel/mge-data', apiKeys: '' });
    expect(await served.exited).toBe(2);
    expect(served.err()).toContain("mge serve: the data directory `/sys/kernel/mge-data` cannot be written (EPERM: operation not permitted, mkdir '/sys/kernel/mge-data'); it keeps the audit log");
  });

  it('refuses a limit that is not a whole number in range, naming it', async () => {
    await refusedAtStart([['MGE_MAX_BODY_BYTES', '100'], ['MGE_MAX_BODY_BYTES', '64k'], ['MGE_MAX_DEPTH', '129'], ['MGE_MAX_STRING_BYTES', '0'], ['MGE_MAX_ARRAY_ITEMS', '1.5'], ['MGE_MAX_CONNECTIONS', '0'], ['MGE_MAX_CONNECTIONS', '10k']], 'is not a whole number from');
  });
});

describe('what `mge serve` says it keeps in the data dir', () => {
  it('names the Ed25519 signing key, not a receipt secret, with MGE_RECEIPT_ALG=Ed25519', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-ed-line-'));
    writeRules(join(root, 'rules'));
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', env: { MGE_RECEIPT_ALG: 'Ed25519' } });
    await served.listening();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.out()).toContain(`mge: data: ${join(root, 'data')} (audit log, Ed25519 signing key)\n`);
  });

  it('warns of a signing secret file others can read (put there by hand under umask 022)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-open-secret-'));
    writeRules(join(root, 'rules'));
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data', 'secret.key'), 'x'.repeat(48) + '\n', { mode: 0o644 });
    chmodSync(join(root, 'data', 'secret.key'), 0o644);
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '' });
    await served.listening();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    const file = join(root, 'data', 'secret.key');
    expect(served.err()).toContain(`mge: warning: \`${file}\` is open to its group or other users (mode 0644); it signs receipts: \`chmod 600 ${file}\`\n`);
  });

  it('counts the keys and names their tenants, and warns of a key tenant named as a rules tenant in another case', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-keys-line-'));
    writeRules(join(root, 'rules'));
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: 'Acme:checker:0123456789abcdef0123,globex:admin:abcdef0123456789abcd' });
    await served.listening();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.out()).toContain('mge: mode: API keys (MGE_API_KEYS: 2 keys; tenants Acme, globex)\n');
    expect(served.err()).toContain("mge: warning: MGE_API_KEYS: tenant `Acme` has no rules of its own, but tenant `acme` has: tenant names are exact (case too), so `Acme`'s checks get the global rules only\n");
    expect(served.err()).not.toContain('globex');
  });

  it('says at start what lint warns of (a clause never enforced), on stderr, and counts it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-warn-line-'));
    writeRules(join(root, 'rules'));
    writeFileSync(join(root, 'rules', 'README.md'), '---\nrule_id: zr\n---\n## Prohibited\n- m `true`\n');
    writeFileSync(join(root, 'rules', 'dot.mdc'), '---\nrule_id: dot\n---\n## Prohibited\n- No prod writes `context.environment == "production"`.\n- No drops `action.type == "db.drop"`\n');
    // Given relative (spawnServe runs in the repository), it is named as given, as lint names it.
    const given = relative(new URL('../../../', import.meta.url).pathname, join(root, 'rules'));
    const served = spawnServe({ rulesDir: given, dataDir: join(root, 'data'), apiKeys: '' });
    await served.listening();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.err().split('\n').filter((l) => l.includes('dot.mdc:5:3'))).toEqual([`${given}/dot.mdc:5:3: warning: clause \`No prod writes \`context.environment == "production"\`.\` has no expression and is never enforced`]);
    // The reader's own finding names the file from the directory as given too, not resolved.
    expect(served.err()).toContain(`${given}/README.md:2:1: warning: \`${given}/README.md\` reads as a rule`);
    expect(served.out()).toMatch(/mge: rules: .* \(\d+ rules, 2 warnings on stderr; watched;/);
  });
});
