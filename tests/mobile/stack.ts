/**
 * The whole 移动签 stack in one process: the 公采易通 service (with a phone
 * account of the supplier's unit), the assistant (core, WebSocket API, headless
 * window) trusting the mobile CA, the reference mall and its 监管系统 trusting it
 * too, one desktop Chromium with the mall page and the assistant window, and a
 * phone (see phone.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startMall, type RunningMall } from '../../examples/mall/server.js';
import { startMobileSign, type RunningMobileSign } from '../../examples/mobile-sign/server.js';
import { startServer, type RunningServer } from '../../src-agent/api/server.js';
import { bridgeHandlers } from '../../src-agent/app/index.js';
import { parseConfig } from '../../src-agent/config.js';
import { startCore, type AgentCore } from '../../src-agent/service/agent-core.js';
import { HeadlessUi, startHeadlessUi, type RunningHeadlessUi } from '../../src-agent/ui/headless/index.js';
import { fixtureEnv, type FixtureManifest } from '../helpers/fixtures.js';
import { freePort } from '../mall/harness.js';
import { CHROMIUM } from '../ui/ui-harness.js';
import { decodeQrPng } from './fake-camera.js';
import { demoAccount, makePhone, type Phone } from './phone.js';

export const SUPPLIER_PHONE = demoAccount('13800000001', '张三', '河南示例科技有限公司');

export interface MobileStack {
  service: RunningMobileSign;
  core: AgentCore;
  api: RunningServer;
  headless: RunningHeadlessUi;
  mall: RunningMall;
  browser: Browser;
  /** The mall, as the supplier or the buyer. */
  page: Page;
  /** The assistant's window. */
  assistant: Page;
  phone: Phone;
  stop(): Promise<void>;
}

export async function startMobileStack(fx: FixtureManifest, options: { mobileUrl?: string } = {}): Promise<MobileStack> {
  const work = await mkdtemp(join(tmpdir(), 'mobile-stack-'));
  const service = await startMobileSign({ port: 0, dataDir: join(work, 'mobile'), accounts: [SUPPLIER_PHONE] });
  const mallPort = await freePort();
  const raw = {
    modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa],
    trustedOrigins: [`http://127.0.0.1:${mallPort}`], dataDir: join(work, 'agent'),
    mobileSigning: { serviceUrl: options.mobileUrl ?? service.url, trustAnchors: [service.caFile] },
  };
  await writeFile(join(work, 'config.json'), JSON.stringify(raw));
  const core = await startCore(parseConfig(JSON.stringify(raw)), { hostEnv: fixtureEnv(fx), pollIntervalMs: 200 });
  const ui = new HeadlessUi();
  const api = await startServer({ core, ui, port: 0 });
  const headless = await startHeadlessUi({ core, ui, handlers: bridgeHandlers({ core, ui, server: () => api, openFolder: async () => false }) });
  const mall = await startMall({ port: mallPort, dataDir: join(work, 'mall'), assistantUrl: `ws://127.0.0.1:${api.port}/`, trustAnchors: [fx.rootCa, service.caFile], intermediates: [fx.intermediateCa] });
  const browser = await chromium.launch(CHROMIUM);
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
  const assistant = await context.newPage();
  await assistant.goto(headless.url);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  assistant.setDefaultTimeout(20_000);
  await page.goto(`${mall.url}/`);
  const phone = makePhone(service.url);
  return {
    service, core, api, headless, mall, browser, page, assistant, phone,
    stop: async () => {
      await phone.close();
      await browser.close();
      await mall.close();
      await headless.close();
      await api.close();
      await core.stop();
      await service.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** Waits for the assistant's QR dialog to show a QR and reads it back from the image (as a camera would). */
export async function readDialogQr(assistant: Page, previous?: string): Promise<string> {
  for (;;) {
    const src = await assistant.locator('dialog.mobile[open] .qr:not(.stale) img').getAttribute('src');
    const text = src ? decodeQrPng(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64')) : null;
    if (text && text !== previous) return text;
    await assistant.waitForTimeout(100);
  }
}
