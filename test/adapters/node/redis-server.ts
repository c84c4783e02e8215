// A private redis-server for the tests of the shared state (node/redis-state.ts): its own port,
// nothing kept on disk, so a test can stop, pause or misconfigure it without touching any
// other Redis on the machine. `.ci/run` installs redis-server when it is missing.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Why no private Redis can be started here, or undefined if one can. */
export function redisServerMissing(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error !== undefined || r.status !== 0 ? 'no `redis-server` on PATH (Debian: apt-get install redis-server)' : undefined;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** The server process now (a restart makes a new one). */
  child: ChildProcess;
  /** Stops the server and starts an empty one on the same port (a restart without persistence). */
  restart(): Promise<void>;
  /** Pauses the server (SIGSTOP): connected, but no answer ever comes. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function spawnRedis(port: number, policy: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', policy], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

/** @example const redis = await startRedis(); … await redis.stop() */
export async function startRedis(policy = 'noeviction'): Promise<PrivateRedis> {
  const port = await freePort();
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`, port, child: await spawnRedis(port, policy),
    restart: async () => {
      await kill(redis.child);
      redis.child = await spawnRedis(port, policy);
    },
    pause: () => void redis.child.kill('SIGSTOP'),
    resume: () => void redis.child.kill('SIGCONT'),
    stop: () => kill(redis.child),
  };
  return redis;
}

/**
 * Makes the store's epoch (node/redis-state.ts) look `byMs` old, as if the store had been up
 * that long: receipts then verify at once, not only a minute (the clock margin) after it began.
 */
export async function ageEpoch(port: number, byMs = 120_000): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(port, '127.0.0.1');
  try {
    const run = /^run_id:(\S+)/m.exec(await client.info('server'))![1];
    const evicted = /^evicted_keys:(\d+)/m.exec(await client.info('stats'))![1];
    await client.set('mge:epoch', `${run} ${Date.now() - byMs} ${evicted}`);
  } finally {
    client.disconnect();
  }
}
