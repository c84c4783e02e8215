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

describe('MGE_MAX_CONNECTIONS', () => {
  it('closes connections past the cap as they arrive; those it holds are served; said in the log and the metrics', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-conn-cap-'));
    writeRules(join(root, 'rules'));
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', env: { MGE_MAX_CONNECTIONS: '6' } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idle: Socket[] = [];
    try {
      const url = await served.listening();
      const port = Number(new URL(url).port);
      expect(served.out()).toContain('mge: connections: at most 6 at once (MGE_MAX_CONNECTIONS)\n');
      expect((await send(agent, url, '/api/v1/governance/check', CHECK)).status).toBe(200); // the agent's connection: one of 6
      const opened = await Promise.all(Array.from({ length: 12 }, () => held(port, 500)));
      idle.push(...opened.map((o) => o.socket));
      expect(opened.filter((o) => o.kept)).toHaveLength(5);
      // The connections held keep being served, checks and all.
      for (let i = 0; i < 3; i++) expect((await send(agent, url, '/api/v1/governance/check', CHECK)).status).toBe(200);
      const metrics = (await send(agent, url, '/metrics')).text;
      expect(metrics).toContain('mge_connections_refused_total 7\n');
      expect(metrics).toContain('mge_connections_open 6\n');
      expect(served.out()).toMatch(/"level":"warn","msg":"connections refused: this server holds as many as it may \(MGE_MAX_CONNECTIONS\)[^"]*","max_connections":6,"refused":1\}/);
      // Let go, the slots are free again.
      for (const s of idle) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect((await held(port, 300)).kept).toBe(true);
    } finally {
      for (const s of idle) s.destroy();
      agent.destroy();
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });

  // The flood of 11-29 in small: 100 descriptors, 150 connections kept open and silent.
  it('under a flood of connections kept open, checks on a connection already open are still served past the lock\'s lease', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-conn-flood-'));
    writeRules(join(root, 'rules'));
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', openFileLimit: 100 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idle: Socket[] = [];
    try {
      const url = await served.listening();
      expect(served.out()).toContain('mge: connections: at most 50 at once (half the open-file limit; MGE_MAX_CONNECTIONS)\n');
      expect((await send(agent, url, '/api/v1/governance/check', CHECK)).status).toBe(200);
      const opened = await Promise.all(Array.from({ length: 150 }, () => held(Number(new URL(url).port), 300)));
      idle.push(...opened.map((o) => o.socket));
      // The lease is 5 s: a lock that cannot be read back for that long stops every write.
      for (let i = 0; i < 7; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        expect((await send(agent, url, '/api/v1/governance/check', CHECK)).status).toBe(200);
      }
      expect(served.out()).not.toContain('cannot be read back');
    } finally {
      for (const s of idle) s.destroy();
      agent.destroy();
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });

  it('a cap above what the descriptors allow: the lock that cannot be read back is said in the log, and when it reads again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-conn-over-'));
    writeRules(join(root, 'rules'));
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '', openFileLimit: 100, env: { MGE_MAX_CONNECTIONS: '1000' } });
    const idle: Socket[] = [];
    const logged = async (text: string): Promise<boolean> => {
      for (let waited = 0; !served.out().includes(text) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      return served.out().includes(text);
    };
    try {
      const url = await served.listening();
      const opened = await Promise.all(Array.from({ length: 150 }, () => held(Number(new URL(url).port), 300)));
      idle.push(...opened.map((o) => o.socket));
      expect(await logged('"level":"error","msg":"the data directory\'s lock cannot be read back; 5 s on, every write waits')).toBe(true);
      expect(served.out()).toContain('"code":"EMFILE"');
      for (const s of idle) s.destroy();
      expect(await logged('"level":"info","msg":"the data directory\'s lock reads back again: writes go on"')).toBe(true);
    } finally {
      for (const s of idle) s.destroy();
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });

  it('is half the open-file limit by default', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mge-conn-default-'));
    writeRules(join(root, 'rules'));
    const served = spawnServe({ rulesDir: join(root, 'rules'), dataDir: join(root, 'data'), apiKeys: '' });
    try {
      await served.listening();
      // The server is Node too, which raises its soft limit to the hard one as this process did.
      const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
      expect(served.out()).toContain(`mge: connections: at most ${Math.floor(limit / 2)} at once (half the open-file limit; MGE_MAX_CONNECTIONS)\n`);
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });
});
