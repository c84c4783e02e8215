// The smoke server for browsers: the app runs in a headless Chromium page (Debian's chromium,
// driven by playwright-core), and a loopback proxy in Node hands each HTTP request to the page
// and writes back what the app answered. The page is served from http://127.0.0.1, a secure
// context, so WebCrypto is available as on any deployed page.

import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Started } from './launch.js';

const ROOT = new URL('../../', import.meta.url).pathname;
export const CHROMIUM = process.env.MGE_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser suite cannot run here, if it cannot. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (Debian: apt-get install chromium; .ci/run does)`;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function bodyOf(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return req.method === 'GET' || req.method === 'HEAD' ? null : Buffer.concat(chunks).toString('utf8');
}

export async function startChromium(): Promise<Started> {
  const bundle = await build({
    entryPoints: [join(ROOT, 'test/runtimes/fixtures/entry-browser.ts')],
    bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'error',
  });
  const script = bundle.outputFiles[0].text;
  const site = createServer((req, res) => {
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/app.js"></script>');
  });
  const siteUrl = await listen(site);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(siteUrl);
  await page.waitForFunction(() => (globalThis as unknown as { mgeReady?: boolean }).mgeReady === true, undefined, { timeout: 60_000 })
    .catch((err: Error) => {
      throw new Error(`the app did not start in Chromium: ${pageErrors.join('; ') || err.message}`);
    });

  // The smoke cases must run in the browser, not in some fallback: the page says what it is.
  const agent = await page.evaluate(() => navigator.userAgent);
  if (!/HeadlessChrome|Chromium|Chrome\//.test(agent)) throw new Error(`not a Chromium page: ${agent}`);

  const proxy = createServer((req, res) => {
    void (async () => {
      const headers = Object.entries(req.headers).flatMap(([k, v]) => (v === undefined || k === 'host' || k === 'connection' ? [] : [[k, String(v)] as [string, string]]));
      const answer = await page.evaluate(
        ([method, path, h, body]) => (globalThis as unknown as { mgeFetch: (...a: unknown[]) => Promise<{ status: number; headers: [string, string][]; body: string }> }).mgeFetch(method, path, h, body),
        [req.method ?? 'GET', req.url ?? '/', headers, await bodyOf(req)] as const,
      );
      res.writeHead(answer.status, Object.fromEntries(answer.headers.filter(([k]) => k !== 'content-length')));
      res.end(answer.body);
    })().catch((err: unknown) => {
      res.writeHead(599, { 'content-type': 'text/plain' }).end(`browser proxy: ${String(err)}`);
    });
  });
  const url = await listen(proxy);
  return {
    url,
    async stop() {
      await close(proxy);
      await browser.close();
      await close(site);
    },
  };
}
