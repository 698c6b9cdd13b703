/**
 * Local Network Access in real Chromium: the reference mall served as a *public* origin
 * (`--ip-address-space-overrides`), over https with a test CA (a TLS proxy in front of the mall)
 * and over http, against a real assistant. Without policy the SDK reports the browser's block
 * (not "not running"); an http page gets the https message; with the policy file written by the
 * deb's own post-install script the whole supplier seal works. 环境检测 reads the same policy.
 *
 * The policy file goes to /etc/chromium/policies/managed/ under a name unique to this run and is
 * removed afterwards (other test runs may use Chromium at the same time; CI runs as root).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMall, type RunningMall } from '../../examples/mall/server.js';
import { browserChecks } from '../../src-agent/check/browser.js';
import { linuxPolicyReader } from '../../src-agent/check/browser-policy.js';
import type { CheckContext, Outcome } from '../../src-agent/check/types.js';
import { useFixtures } from '../helpers/fixtures.js';
import { LNA_HOST, lnaChromiumArgs, makeServerCert } from './lna-harness.js';
import { answerAsk, contractState, freePort, message, openContract, shot, startAssistant, switchUser, toPendingSeal, type Assistant } from './harness.js';

const fx = await useFixtures();
const HOST = LNA_HOST;
const MANAGED = '/etc/chromium/policies/managed';
const work = mkdtempSync(join(tmpdir(), 'lna-e2e-'));
const policyFile = join(MANAGED, `ca-assistant-e2e-${process.pid}-${Date.now()}.json`);
let mall: RunningMall;
let proxy: Server;
let assistant: Assistant;
let httpsOrigin = '';
let httpOrigin = '';
let spki = '';
let orderNo = '';

/** TLS in front of the mall, as a mall behind a reverse proxy is deployed. */
async function startTlsProxy(port: number, target: string, tls: { key: Buffer; cert: Buffer }): Promise<Server> {
  const upstream = new URL(target);
  const server = createHttpsServer(tls, (req, res) => {
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}

async function launch(): Promise<{ browser: Browser; page: Page }> {
  const ports = [new URL(httpsOrigin).port, new URL(httpOrigin).port];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: lnaChromiumArgs(spki, ports),
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
  page.setDefaultTimeout(20_000);
  return { browser, page };
}

/** 环境检测's local-network results for the mall's public origin, reading the real policy folders. */
async function lnaCheck(): Promise<Outcome | undefined> {
  const out: Outcome[] = [];
  const ctx = { core: { config: { trustedOrigins: [httpsOrigin] } }, options: { browserPolicies: linuxPolicyReader('/') }, emit: (o: Outcome) => out.push(o) } as unknown as CheckContext;
  await browserChecks.run(ctx);
  return out.find((o) => o.id === 'browser.lna.chromium');
}

beforeAll(async () => {
  const tls = makeServerCert(work);
  spki = tls.spki;
  const mallPort = await freePort();
  const proxyPort = await freePort();
  httpsOrigin = `https://${HOST}:${proxyPort}`;
  httpOrigin = `http://${HOST}:${mallPort}`;
  assistant = await startAssistant(fx, httpsOrigin, ['12345678', '87654321']);
  mall = await startMall({ port: mallPort, dataDir: join(work, 'mall'), assistantUrl: assistant.url, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa], publicOrigins: [httpsOrigin] });
  proxy = await startTlsProxy(proxyPort, mall.url, tls);
  await toPendingSeal(mall, 1, '98000.00');
  orderNo = await firstOrderNo();
}, 120_000);

afterAll(async () => {
  rmSync(policyFile, { force: true });
  await new Promise((r) => proxy?.close(r));
  await mall?.close();
  await assistant?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function firstOrderNo(): Promise<string> {
  const res = await fetch(`${mall.url}/api/orders`, { headers: { cookie: 'mall_user=supplier' } });
  const { orders } = (await res.json()) as { orders: { id: number; orderNo: string }[] };
  return orders.find((o) => o.id === 1)?.orderNo ?? '';
}

describe('Local Network Access: the mall as a public origin', () => {
  it('without policy the SDK reports the browser block with its remedy, and 环境检测 says the policy is missing', async () => {
    const { browser, page } = await launch();
    try {
      await page.goto(`${httpsOrigin}/`);
      expect(await page.evaluate(() => isSecureContext)).toBe(true);
      await switchUser(page, 'supplier');
      await openContract(page, orderNo);
      await page.getByRole('button', { name: '签章（乙方公章）' }).click();
      await expect.poll(() => page.locator('#error').getAttribute('data-reason'), { timeout: 30_000 }).toBe('BLOCKED_BY_BROWSER');
      const text = await message(page);
      expect(text).toContain('浏览器阻止了本网站连接互认助手');
      expect(text).toContain('处理办法：请点击地址栏左侧的锁形图标');
      expect(text).not.toContain('未连接到互认助手');
      await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
      await shot(page, '40-lna-blocked');
    } finally {
      await browser.close();
    }
    const check = await lnaCheck();
    expect(check?.status).toBe('warn');
    expect(check?.detailZh).toContain(httpsOrigin);
    expect(check?.remedyZh).toContain('本地网络访问');
  }, 90_000);

  it('an http page on a public address gets the https message (Chromium refuses it without asking)', async () => {
    const { browser, page } = await launch();
    try {
      await page.goto(`${httpOrigin}/`);
      expect(await page.evaluate(() => isSecureContext)).toBe(false);
      await switchUser(page, 'supplier');
      await openContract(page, orderNo);
      await page.getByRole('button', { name: '签章（乙方公章）' }).click();
      await expect.poll(() => page.locator('#error').getAttribute('data-reason'), { timeout: 30_000 }).toBe('INSECURE_CONTEXT');
      expect(await message(page)).toContain('处理办法：请商城网站的技术人员改用 https 提供本页面');
      await shot(page, '41-lna-insecure');
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('with the policy the deb post-install writes, the whole supplier seal works through the public origin', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const script = join(work, 'after-install.sh');
    writeFileSync(script, readFileSync(new URL('../../installers/linux/after-install.sh', import.meta.url), 'utf8')
      .replace(/\${([a-zA-Z]+)}/g, (_m, n: string) => ({ executable: 'ca-assistant', sanitizedProductName: '互认助手' } as Record<string, string>)[n] ?? ''));
    const r = spawnSync('bash', [script, 'configure'], { env: { PATH: process.env.PATH ?? '', DESTDIR: root, CA_TRUSTED_ORIGINS: httpsOrigin }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    mkdirSync(MANAGED, { recursive: true });
    copyFileSync(join(root, 'etc/chromium/policies/managed/ca-assistant.json'), policyFile);
    try {
      const check = await lnaCheck();
      expect(check?.status).toBe('ok');
      expect(check?.data).toMatchObject({ origins: [{ origin: httpsOrigin, allowed: true, policies: ['LocalNetworkAccessAllowedForUrls', 'LoopbackNetworkAllowedForUrls'] }] });

      const { browser, page } = await launch();
      try {
        await page.goto(`${httpsOrigin}/`);
        await switchUser(page, 'supplier');
        await page.getByRole('button', { name: '首页' }).click();
        await page.getByRole('button', { name: '绑定个人证书' }).click();
        await expect.poll(() => message(page), { timeout: 30_000 }).toContain('绑定成功');
        await openContract(page, orderNo);
        await page.getByRole('button', { name: '签章（乙方公章）' }).click();
        await expect.poll(() => page.locator('[data-seal="supplier-company"]').count(), { timeout: 30_000 }).toBe(1);
        await page.getByRole('button', { name: '个人签章（乙方代表）' }).click();
        await expect.poll(() => page.locator('[data-seal="supplier-person"]').count(), { timeout: 30_000 }).toBe(1);
        await page.getByRole('button', { name: '发送' }).click();
        await answerAsk(page);
        await expect.poll(() => contractState(page)).toBe('供应商已盖章');
        await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
        await shot(page, '42-lna-policy-sealed');
      } finally {
        await browser.close();
      }
    } finally {
      rmSync(policyFile, { force: true });
    }
  }, 180_000);
});
