// `mge serve` holds at most MGE_MAX_CONNECTIONS connections. Until 11-29 it held any number: a
// local client keeping 20 000 idle ones open took every file descriptor the process had, the
// data directory's lock could no longer be read back, and every check on the connections
// already open was refused (503) for as long as the client kept them.

import { request, Agent } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServe, writeRules } from './server.js';

/** A request on `agent`'s one keep-alive connection: status and body. */
function send(agent: Agent, url: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { agent, method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a connection and says, within `ms`, whether the server kept it open (true) or closed it. */
function held(port: number, ms: number): Promise<{ socket: Socket; kept: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const t = setTimeout(() => resolve({ socket, kept: true }), ms);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(t);
      resolve({ socket, kept: false });
    });
  });
}

const CHECK = JSON.stringify({ action: { type: 'db.read' } });

interface Served {
  url: string;
  port: number;
  out(): string;
  /** A keep-alive connection of its own (one socket), for requests made while the others are held. */
  agent: Agent;
  /** Sockets the test holds open; destroyed at the end. */
  idle: Socket[];
}

/** `mge serve` in open mode over the test rules, with `env` and `openFileLimit`; stopped after `work`. */
async function withServe(opts: { env?: NodeJS.ProcessEnv; openFileLimit?: number }, work: (s: Served) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'mge-conn-'));
  writeRules(join(root, 'rules'));
  const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', ...opts });
  const s = { agent: new Agent({ keepAlive: true, maxSockets: 1 }), idle: [] as Socket[], out: served.out };
  try {
    const url = await served.listening();
    await work({ ...s, url, port: Number(new URL(url).port) });
  } finally {
    for (const socket of s.idle) socket.destroy();
    s.agent.destroy();
    served.child.kill('SIGTERM');
    await served.exited;
  }
}

/** Opens `n` connections at once and keeps them; how many the server kept open. */
async function flood(s: Served, n: number, ms: number): Promise<number> {
  const opened = await Promise.all(Array.from({ length: n }, () => held(s.port, ms)));
  s.idle.push(...opened.map((o) => o.socket));
  return opened.filter((o) => o.kept).length;
}

describe('MGE_MAX_CONNECTIONS', () => {
  it('closes connections past the cap as they arrive; those it holds are served; said in the log and the metrics', async () => {
    await withServe({ env: { MGE_MAX_CONNECTIONS: '6' } }, async (s) => {
      expect(s.out()).toContain('mge: connections: at most 6 at once (MGE_MAX_CONNECTIONS)\n');
      expect((await send(s.agent, s.url, '/api/v1/governance/check', CHECK)).status).toBe(200); // the agent's connection: one of 6
      expect(await flood(s, 12, 500)).toBe(5);
      // The connections held keep being served, checks and all.
      for (let i = 0; i < 3; i++) expect((await send(s.agent, s.url, '/api/v1/governance/check', CHECK)).status).toBe(200);
      const metrics = (await send(s.agent, s.url, '/metrics')).text;
      expect(metrics).toContain('mge_connections_refused_total 7\n');
      expect(metrics).toContain('mge_connections_open 6\n');
      expect(s.out()).toMatch(/"level":"warn","msg":"connections refused: this server holds as many as it may \(MGE_MAX_CONNECTIONS\)[^"]*","max_connections":6,"refused":1\}/);
      // Let go, the slots are free again (once the server has seen them close).
      for (const socket of s.idle.splice(0)) socket.destroy();
      let kept = 0;
      for (let i = 0; i < 20 && kept === 0; i++) kept = await flood(s, 1, 300);
      expect(kept).toBe(1);
    });
  });

  // The flood of 11-29 in small: 100 descriptors, 150 connections kept open and silent.
  it('under a flood of connections kept open, checks on a connection already open are still served past the lock\'s lease', async () => {
    await withServe({ openFileLimit: 100 }, async (s) => {
      // Less two files for the one tenant (`default`) whose log the open mode opens.
      expect(s.out()).toContain('mge: connections: at most 49 at once (half the open-file limit less two files a tenant; MGE_MAX_CONNECTIONS)\n');
      expect((await send(s.agent, s.url, '/api/v1/governance/check', CHECK)).status).toBe(200);
      await flood(s, 150, 300);
      // The lease is 5 s: a lock that cannot be read back for that long stops every write.
      for (let i = 0; i < 7; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        expect((await send(s.agent, s.url, '/api/v1/governance/check', CHECK)).status).toBe(200);
      }
      expect(s.out()).not.toContain('cannot be read back');
    });
  });

  it('a cap above what the descriptors allow: the lock that cannot be read back is said in the log, and when it reads again', async () => {
    await withServe({ openFileLimit: 100, env: { MGE_MAX_CONNECTIONS: '1000' } }, async (s) => {
      const logged = async (text: string): Promise<boolean> => {
        for (let waited = 0; !s.out().includes(text) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        return s.out().includes(text);
      };
      await flood(s, 150, 300);
      expect(await logged('"level":"error","msg":"the data directory\'s lock cannot be read back; within 5 s of its last reading every write waits')).toBe(true);
      expect(s.out()).toContain('"code":"EMFILE"');
      for (const socket of s.idle.splice(0)) socket.destroy();
      expect(await logged('"level":"info","msg":"the data directory\'s lock reads back again: writes go on"')).toBe(true);
    });
  });

  // A review (11-29): 600 tenants' logs under a limit of 1 024 and half of it for connections:
  // idle connections took every descriptor left.
  it('sets two files aside for each tenant known at start, and warns when they need more than half the limit', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `t${i}:checker:key-${String(i).padStart(2, '0')}-abcdefghijklmnop`).join(',');
    await withServe({ openFileLimit: 100, env: { MGE_API_KEYS: keys } }, async (s) => {
      expect(s.out()).toContain('mge: connections: at most 20 at once (half the open-file limit less two files a tenant; MGE_MAX_CONNECTIONS)\n');
      expect(s.out()).toContain("30 tenants' audit logs need about 60 of this process's 100 open files");
    });
  });

  it('is half the open-file limit less two files a tenant by default', async () => {
    await withServe({}, async (s) => {
      // The server is Node too, which raises its soft limit to the hard one as this process did.
      const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
      expect(s.out()).toContain(`mge: connections: at most ${Math.floor((limit - 2) / 2)} at once (half the open-file limit less two files a tenant; MGE_MAX_CONNECTIONS)\n`);
    });
  });
});
