/**
 * PIN and consent always reach the user in the headless mode: a dialog with no
 * window connected has one opened, a window that connects later shows every
 * pending dialog, and a window left open across a restart says so plainly.
 * Real Chromium, real core on SoftHSM.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src-agent/config.js';
import { startCore, type AgentCore } from '../../src-agent/service/agent-core.js';
import { bridgeHandlers } from '../../src-agent/app/index.js';
import { HeadlessUi, startHeadlessUi, type HeadlessUiOptions } from '../../src-agent/ui/headless/index.js';
import type { PinRequest } from '../../src-agent/ui/port.js';
import { fixtureEnv, useFixtures } from '../helpers/fixtures.js';
import { CHROMIUM } from './ui-harness.js';

vi.setConfig({ testTimeout: 60_000 });

const fx = await useFixtures();
let core: AgentCore;
let browser: Browser;

const request = (label: string): PinRequest => ({
  origin: 'https://mall.example.gov.cn',
  token: { id: `t-${label}`, label, manufacturer: 'SoftHSM', serial: label },
  pin: { minLength: 4, maxLength: 16, protectedAuthPath: false, countLow: false, finalTry: false, locked: false, toBeChanged: false },
  attempt: 1,
});

/** The headless UI over the core, its bridge handlers with no API server. */
const start = (ui: HeadlessUi, extra: Partial<HeadlessUiOptions> = {}) =>
  startHeadlessUi({ core, ui, handlers: bridgeHandlers({ core, ui, server: () => undefined, openFolder: async () => false }), ...extra });

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ca-headless-window-'));
  const config = parseConfig(JSON.stringify({ modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], dataDir }));
  core = await startCore(config, { hostEnv: fixtureEnv(fx), pollIntervalMs: 200 });
  browser = await chromium.launch(CHROMIUM);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await core?.stop();
});

describe('a dialog with no assistant window', () => {
  it('asks for a window once, shows every pending dialog in a window that connects later, and asks no more while one is connected', async () => {
    const ui = new HeadlessUi();
    const opened: number[] = [];
    const headless = await start(ui, { whenNoWindow: () => opened.push(Date.now()), noWindowReopenMs: 0 });
    try {
      const first = ui.askPin(request('供应商'));
      const second = ui.askPin(request('采购人'));
      expect(opened).toHaveLength(2); // no window yet: each dialog asks (the interval is 0 here; 30 s by default)
      const page = await (await browser.newContext()).newPage();
      await page.goto(headless.url);
      const dialog = page.locator('dialog.pin[open]');
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain('供应商');
      await page.locator('dialog.pin[open] button', { hasText: '取消' }).click();
      expect(await first).toEqual({ kind: 'cancel' });
      // The second, asked before the window existed, comes next.
      await vi.waitFor(async () => expect(await dialog.innerText()).toContain('采购人'));
      const third = ui.askPin(request('第三把'));
      expect(opened).toHaveLength(2); // a window is connected: nothing to open
      await page.locator('dialog.pin[open] button', { hasText: '取消' }).click();
      expect(await second).toEqual({ kind: 'cancel' });
      ui.cancelAll();
      expect(await third).toEqual({ kind: 'cancel' });
      await page.context().close();
    } finally {
      await headless.close();
    }
  });

  it('waits NO_WINDOW_REOPEN_MS before asking again by default', async () => {
    const ui = new HeadlessUi();
    const opened: number[] = [];
    const headless = await start(ui, { whenNoWindow: () => opened.push(1) });
    try {
      void ui.askPin(request('a'));
      void ui.askPin(request('b'));
      void ui.askConsent({ origin: 'https://x.example.cn', method: 'certs.list' });
      expect(opened).toEqual([1]);
    } finally {
      ui.cancelAll();
      await headless.close();
    }
  });
});

describe('a window left open across a restart', () => {
  it('says the assistant is gone, then that it restarted, instead of showing 运行中', async () => {
    const a = await start(new HeadlessUi());
    const page = await (await browser.newContext()).newPage();
    await page.goto(a.url);
    await page.waitForSelector('body[data-ready]');
    expect(await page.locator('#connection-banner').isHidden()).toBe(true);
    const port = a.port;
    await a.close();
    await vi.waitFor(async () => expect(await page.locator('#connection-banner').innerText()).toContain('连接已断开'), { timeout: 15_000 });
    // A new run on the same port: it refuses the old window's session.
    const b = await start(new HeadlessUi(), { port });
    try {
      await vi.waitFor(async () => expect(await page.locator('#connection-banner').innerText()).toContain('互认助手已重新启动，此窗口已失效'), { timeout: 20_000 });
      expect(await page.evaluate(() => document.body.classList.contains('stale'))).toBe(true);
      if (process.env.CA_SHOTS_DIR) await page.screenshot({ path: join(process.env.CA_SHOTS_DIR, 'headless-restarted.png') });
    } finally {
      await page.context().close();
      await b.close();
    }
  });
});
