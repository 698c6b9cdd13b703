/**
 * Re-measures the table in docs/mall-integration.md: which pages may open `ws://127.0.0.1:PORT`
 * in Chromium under each managed policy. Pages are served on ports marked public; a plain ws
 * server counts the upgrades that reached it. Policy files go to /etc/chromium/policies/managed
 * under a name unique to this run and are removed after each case.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { LNA_HOST, lnaChromiumArgs, makeServerCert } from './lna-harness.js';

const work = mkdtempSync(join(tmpdir(), 'lna-table-'));
const policyFile = `/etc/chromium/policies/managed/ca-assistant-table-${process.pid}-${Date.now()}.json`;
let wss: WebSocketServer;
let upgrades = 0;
const servers: HttpServer[] = [];
const pages = { https: '', http: '', httpLoopbackPublic: '', loopback: '' };
let spki = '';
const publicPorts: number[] = [];

const PAGE = (wsPort: number): string => `<!doctype html><title>lna</title><script>
window.probe = () => new Promise((resolve) => {
  const ws = new WebSocket('ws://127.0.0.1:${wsPort}/');
  ws.onopen = () => { ws.close(); resolve('open'); };
  ws.onerror = () => resolve('blocked');
});</script>`;

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.on('listening', r));
  wss.on('connection', () => upgrades++);
  const html = PAGE((wss.address() as AddressInfo).port);
  const handler = (_q: unknown, s: import('node:http').ServerResponse): void => void s.writeHead(200, { 'content-type': 'text/html' }).end(html);
  const tls = makeServerCert(work);
  spki = tls.spki;
  const httpsPort = await listen(createHttpsServer(tls, handler));
  const httpPort = await listen(createHttpServer(handler));
  const loopbackPort = await listen(createHttpServer(handler));
  publicPorts.push(httpsPort, httpPort);
  pages.https = `https://${LNA_HOST}:${httpsPort}`;
  pages.http = `http://${LNA_HOST}:${httpPort}`;
  pages.httpLoopbackPublic = `http://127.0.0.1:${httpPort}`;
  pages.loopback = `http://127.0.0.1:${loopbackPort}`;
});

afterAll(async () => {
  rmSync(policyFile, { force: true });
  for (const s of servers) s.close();
  wss?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Opens each page in a fresh Chromium under `policy` and returns what the WebSocket did, and whether the server saw it. */
async function measure(policy: Record<string, string[]> | null): Promise<Record<keyof typeof pages, string>> {
  if (policy) {
    mkdirSync('/etc/chromium/policies/managed', { recursive: true });
    writeFileSync(policyFile, JSON.stringify(policy));
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: lnaChromiumArgs(spki, publicPorts) });
  try {
    const out = {} as Record<keyof typeof pages, string>;
    for (const [name, url] of Object.entries(pages) as [keyof typeof pages, string][]) {
      const page = await browser.newPage();
      const before = upgrades;
      await page.goto(`${url}/`);
      const result = await page.evaluate(() => (window as unknown as { probe(): Promise<string> }).probe());
      out[name] = `${result}${upgrades > before ? '' : ', no upgrade'}`;
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
    rmSync(policyFile, { force: true });
  }
}

const all = (): string[] => [pages.https, pages.http, pages.httpLoopbackPublic];

describe('Chromium Local Network Access, public pages → ws://127.0.0.1', () => {
  it('without policy: every public page is blocked before the server; a loopback page opens', async () => {
    expect(await measure(null)).toEqual({ https: 'blocked, no upgrade', http: 'blocked, no upgrade', httpLoopbackPublic: 'blocked, no upgrade', loopback: 'open' });
  }, 90_000);

  it.each(['LocalNetworkAccessAllowedForUrls', 'LoopbackNetworkAllowedForUrls'])('%s opens secure public pages; an http page on a host name stays blocked', async (name) => {
    expect(await measure({ [name]: all() })).toEqual({ https: 'open', http: 'blocked, no upgrade', httpLoopbackPublic: 'open', loopback: 'open' });
  }, 90_000);
});
