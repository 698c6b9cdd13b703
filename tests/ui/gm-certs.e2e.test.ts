/** The assistant window's certificate tab on a 国密 SKF key: SM2 named in Chinese, the encryption half of the pair marked as such. */
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src-agent/api/server.js';
import { parseConfig } from '../../src-agent/config.js';
import { startCore, type AgentCore } from '../../src-agent/service/agent-core.js';
import { bridgeHandlers } from '../../src-agent/app/index.js';
import { HeadlessUi, startHeadlessUi, type RunningHeadlessUi } from '../../src-agent/ui/headless/index.js';
import { useSm2Fixtures } from '../helpers/sm2.js';
import { CHROMIUM } from './ui-harness.js';

const ART = join(import.meta.dirname, '..', '..', 'artifacts', 'ui');
mkdirSync(ART, { recursive: true });
const fx = await useSm2Fixtures();

describe('certificates tab on an SKF SM2 key', () => {
  let core: AgentCore;
  let api: RunningServer;
  let headless: RunningHeadlessUi;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'ca-ui-gm-')), 'data');
    const config = parseConfig(JSON.stringify({ modules: [fx.moduleSpec], onlyConfiguredModules: true, trustAnchors: [fx.files.root], dataDir }));
    core = await startCore(config, { hostEnv: { SKF_SOFT_DIR: fx.skfDir }, pollIntervalMs: 0, logToFile: false });
    const ui = new HeadlessUi();
    api = await startServer({ core, ui, port: 0 });
    headless = await startHeadlessUi({ core, ui, handlers: bridgeHandlers({ core, ui, server: () => api, openFolder: async () => false }) });
    browser = await chromium.launch(CHROMIUM);
    page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 1000, height: 900 } })).newPage();
    await page.goto(headless.url);
    await page.waitForSelector('body[data-ready]');
  });
  afterAll(async () => {
    await browser?.close();
    await headless?.close();
    await api?.close();
    await core?.stop();
  });

  it('names the algorithm 国密 SM2, shows the seal, and marks the encryption certificate as never signing', async () => {
    await page.click('#tab-certs');
    const cards = page.locator('article.cert');
    await cards.first().waitFor();
    expect(await cards.count()).toBe(2);
    const signing = cards.filter({ has: page.locator('.seal img') });
    const signingText = await signing.innerText();
    expect(signingText).toMatch(/密钥算法\s+国密 SM2\n/);
    expect(signingText).toContain('数字签名、不可否认');
    expect(await signing.locator('.alert').count()).toBe(0);
    const encryption = cards.filter({ hasText: '加密证书' });
    expect(await encryption.count()).toBe(1);
    expect(await encryption.locator('.alert.info').innerText()).toBe('加密证书：只用于加密，不用于签名或签章；签章用同一把 CA 锁中的签名证书');
    const encryptionText = await encryption.innerText();
    expect(encryptionText).not.toContain('没有该证书的私钥');
    expect(encryptionText).toContain('密钥加密、数据加密、密钥协商');
    // No seal slot: the encryption certificate never seals.
    expect(await encryption.locator('figure.seal').count()).toBe(0);
    await page.screenshot({ path: join(ART, 'certificates-sm2.png'), fullPage: true });
  });
});
