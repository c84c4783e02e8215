// `mge serve` itself on Bun and Deno: both run Node's own server stack (node:http, node:fs)
// through their Node compatibility, so there the sidecar keeps the durable file audit log,
// the generated secret and the watched rules directory, as on Node. The Bun.serve and
// Deno.serve adapters (smoke suites) keep memory stores. Here, per runtime: checks are
// answered and logged, a good rule edit reloads, SIGTERM flushes, Node's `mge audit verify`
// accepts the log, and a restart on the same data dir serves proofs of the earlier decisions;
// with MGE_REDIS_URL, rate buckets and used nonces are in Redis (ioredis through the runtime).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditCommand } from '../../src/cli/audit.js';
import type { Decision } from '../../src/ir/types.js';
import { BIN, runtimeMissing } from './launch.js';
import { ageEpoch, redisServerMissing, startRedis } from '../adapters/node/redis-server.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SERVE = join(ROOT, 'test/sdk/mge-serve.ts'); // `mge serve` from source
const KEY = 'file-audit-checker-key-0000000001';
const redisMissing = redisServerMissing();

const RUNTIMES: Array<{ name: string; bin: string; args: string[] }> = [
  { name: 'Bun', bin: BIN.bun, args: [SERVE] },
  { name: 'Deno', bin: BIN.deno, args: ['run', '-A', '--sloppy-imports', '--no-prompt', SERVE] },
];

interface Running {
  url: string;
  child: ChildProcess;
  output: () => string;
}

function serve(bin: string, args: string[], rules: string, data: string, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(bin, [...args, '--rules', rules, '--data', data, '--port', '0'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MGE_API_KEYS: `files:checker+auditor:${KEY}`, MGE_SECRET_KEY: undefined, MGE_AUDIT_FSYNC: 'always', ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening within 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, output: () => out });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${out}`));
    });
  });
}

/** SIGTERM, and the exit code once the process has flushed and gone. */
function terminate(r: Running): Promise<number | null> {
  return new Promise((resolve) => {
    r.child.once('exit', (code) => resolve(code));
    r.child.kill('SIGTERM');
  });
}

async function verifyLog(data: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await auditCommand(['verify', '--data', data], { out: (s) => (out += s), err: (s) => (out += s) });
  return { code, out };
}

for (const rt of RUNTIMES) {
  const missing = runtimeMissing(rt.bin);
  if (missing !== undefined) console.warn(`\n!!! mge serve on ${rt.name} SKIPPED: ${missing} !!!\n`);
  describe.skipIf(missing !== undefined)(`mge serve on ${rt.name}, file audit log${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `mge-serve-${rt.name.toLowerCase()}-`));
    const rules = join(dir, 'rules');
    const data = join(dir, 'data');
    const running: Running[] = [];
    afterAll(() => {
      for (const r of running) r.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    const ask = (r: Running, path: string, body?: unknown) =>
      fetch(r.url + path, {
        method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const check = async (r: Running, body: unknown) => (await (await ask(r, '/api/v1/governance/check', body)).json()) as Decision;

    it('logs every answered check durably, reloads a rule edit, and restarts on the same log', async () => {
      mkdirSync(rules);
      writeFileSync(join(rules, 'writes.yaml'), 'rule_id: no-prod-writes\nprohibited:\n  - message: no production writes\n    when: action.type == "db.write" && context.environment == "production"\n');

      const first = await serve(rt.bin, rt.args, rules, data);
      running.push(first);
      const denied = await check(first, { action: 'db.write', context: { environment: 'production' } });
      expect(denied).toMatchObject({ approved: false, tenant: 'files' });
      const approved = await check(first, { action: 'api.call' });
      expect(approved.approved).toBe(true);

      // A good edit of the watched directory is picked up without a restart.
      writeFileSync(join(rules, 'calls.yaml'), 'rule_id: no-calls\nprohibited:\n  - message: no calls\n    when: action.type == "api.call"\n');
      let reloaded: Decision | undefined;
      for (let i = 0; i < 100 && !(reloaded && !reloaded.approved); i++) {
        await new Promise((r) => setTimeout(r, 100));
        reloaded = await check(first, { action: 'api.call' });
      }
      expect(reloaded?.approved).toBe(false);
      expect(reloaded?.violations.map((v) => v.rule_id)).toEqual(['no-calls']);

      expect(await terminate(first)).toBe(0);
      expect(first.output()).toContain('stopped; audit log flushed');
      const log = readFileSync(join(data, 'audit/files/log.jsonl'), 'utf8');
      for (const d of [denied, approved, reloaded!]) expect(log).toContain(`"decision_id":"${d.decision_id}"`);
      const verified = await verifyLog(data);
      expect(verified.out).toMatch(/tenant `files`: ok/);
      expect(verified.code).toBe(0);

      // Same data dir: the generated secret and the log are taken up again.
      const second = await serve(rt.bin, rt.args, rules, data);
      running.push(second);
      const proof = await ask(second, `/api/v1/audit/proof/${denied.decision_id}`);
      expect(proof.status).toBe(200);
      const after = await check(second, { action: 'db.read' });
      expect(after.approved).toBe(true);
      expect(await terminate(second)).toBe(0);
      const again = await verifyLog(data);
      expect(again.code).toBe(0);
      expect(readFileSync(join(data, 'audit/files/log.jsonl'), 'utf8')).toContain(`"decision_id":"${after.decision_id}"`);
    }, 180_000);

    // Bun emits Node's 'drop' event but leaves the connection open, Deno closes it without the
    // event: the server counts connections itself (node/server.ts).
    it('holds at most MGE_MAX_CONNECTIONS connections: the others get no answer, and are counted', async () => {
      const capped = join(dir, 'capped');
      mkdirSync(capped);
      writeFileSync(join(capped, 'any.yaml'), 'rule_id: any\nprohibited:\n  - message: no\n    when: action.type == "never"\n');
      const r = await serve(rt.bin, rt.args, capped, join(dir, 'data-capped'), { MGE_MAX_CONNECTIONS: '3' });
      running.push(r);
      expect(r.output()).toContain('mge: connections: at most 3 at once (MGE_MAX_CONNECTIONS)');
      const port = Number(new URL(r.url).port);
      // Six at once, each asking once it is open; three are answered, three closed unanswered.
      const sockets: Socket[] = [];
      const answers = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        socket.on('data', (c: Buffer) => resolve(c.toString().slice(0, 15)));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(''));
        setTimeout(() => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 300);
      })));
      for (const s of sockets) s.destroy();
      expect(answers.filter((a) => a === 'HTTP/1.1 200 OK')).toHaveLength(3);
      expect(answers.filter((a) => a === '')).toHaveLength(3);
      // Once the server has seen the three let go: a request sooner may find it full, and is refused too.
      let metrics = '';
      let refusedToo = 0;
      for (let i = 0; i < 50 && metrics === ''; i++) {
        await new Promise((done) => setTimeout(done, 100));
        metrics = await ask(r, '/metrics').then((res) => res.text(), () => (refusedToo++, ''));
      }
      expect(metrics).toContain(`mge_connections_refused_total ${3 + refusedToo}\n`);
      expect(await terminate(r)).toBe(0);
    }, 120_000);

    // The Redis client runs through the runtime's Node compatibility too.
    it.skipIf(redisMissing !== undefined)('keeps rate buckets and used nonces in Redis with MGE_REDIS_URL, and stops cleanly', async () => {
      const redis = await startRedis();
      await ageEpoch(redis.port); // a store up for a while: receipts verify at once
      try {
        const limited = join(dir, 'limited');
        mkdirSync(limited);
        writeFileSync(join(limited, 'rate.yaml'), 'rule_id: one-call\nconditions:\n  - type: rate_limit_check\n    parameters: { requests_per_minute: 1, burst_limit: 1 }\n');
        const r = await serve(rt.bin, rt.args, limited, join(dir, 'data-redis'), { MGE_REDIS_URL: redis.url });
        running.push(r);
        expect(r.output()).toContain(`shared state: rate limits and used nonces in Redis at ${redis.url}`);
        const first = await check(r, { action: 'api.call', context: { agent_id: 'a' } });
        expect(first.approved).toBe(true);
        const second = await check(r, { action: 'api.call', context: { agent_id: 'a' } });
        expect(second.violations.map((v) => v.code)).toEqual(['rate_limited']);
        const verify = async () => (await ask(r, '/api/v1/receipts/verify', { decision: first })).json();
        expect(await verify()).toEqual({ valid: true, approved: true });
        expect(await verify()).toEqual({ valid: false, reason: 'replayed' });
        expect(await terminate(r)).toBe(0); // the Redis connection does not hold the process
      } finally {
        await redis.stop();
      }
    }, 120_000);
  });
}
