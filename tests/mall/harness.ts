/**
 * Starts a real assistant process (scripted PIN answers), the reference mall with its receiver, and Chromium.
 * Given 国密 fixtures, the assistant also loads their SKF soft key and both trust their SM2 root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startMall, type RunningMall } from '../../examples/mall/server.js';
import type { RunningTsa } from '../../examples/tsa/server.js';
import type { Sm2Fixtures } from '../fixtures/sm2-fixtures.js';
import { fixtureEnv, type FixtureManifest } from '../helpers/fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'artifacts', 'mall');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Assistant { port: number; url: string; stop(): Promise<void>; output(): string }

/**
 * `ca-assistant serve` as a child process; `pins` are answered in order, then every PIN dialog is cancelled.
 * `port` (default: a free one) lets a test restart the assistant where the mall's pages expect it.
 * `gm` adds the 国密 SKF soft key (`skf:` module, SKF_SOFT_DIR) and trusts its SM2 root.
 * `tsa` configures the assistant's time-stamping authority (`timestamp.url`, `timestamp.trustAnchors`).
 */
export async function startAssistant(fx: FixtureManifest, trustedOrigin: string, pins: string[], port?: number, gm?: Sm2Fixtures, tsa?: RunningTsa): Promise<Assistant> {
  const dir = mkdtempSync(join(tmpdir(), 'mall-assistant-'));
  port ??= await freePort();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    port, trustedOrigins: [trustedOrigin], modules: [fx.pinGuardModule, ...(gm ? [gm.moduleSpec] : [])], onlyConfiguredModules: true,
    trustAnchors: [fx.rootCa, ...(gm ? [gm.files.root] : [])], intermediates: [fx.intermediateCa], dataDir: join(dir, 'data'),
    ...(tsa ? { timestamp: { url: tsa.url, trustAnchors: [tsa.pki.rootPem] } } : {}),
  }));
  const args = [join(ROOT, 'bin', 'ca-assistant.mjs'), 'serve', '--config', config, '--scripted-ui-pins', pins.length ? pins.join(',') : ','];
  const env = { ...process.env, ...fixtureEnv(fx), ...(gm ? { SKF_SOFT_DIR: gm.skfDir } : {}), CA_ASSISTANT_TEST: '1' };
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`assistant did not start:\n${out}`)), 30_000);
    const check = (): void => {
      if (out.includes(`ws://127.0.0.1:${port}/`)) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`assistant exited ${code}:\n${out}`)));
  });
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Stack { mall: RunningMall; assistant: Assistant; browser: Browser; page: Page; dataDir: string; stop(): Promise<void> }

/**
 * Mall (port chosen first so the assistant can trust its origin), assistant, and a Chromium page on the mall.
 * With `gm`, the assistant serves the 国密 SKF key too and the mall and its receiver trust the SM2 root.
 * With `tsa`, the assistant time-stamps through it and the mall and its receiver require seals to carry its time-stamps (PAdES B-T).
 */
export async function startStack(fx: FixtureManifest, pins: string[], gm?: Sm2Fixtures, tsa?: RunningTsa): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mall-data-'));
  const mallPort = await freePort();
  const assistant = await startAssistant(fx, `http://127.0.0.1:${mallPort}`, pins, undefined, gm, tsa);
  const trustAnchors = [fx.rootCa, ...(gm ? [gm.files.root] : [])];
  const mall = await startMall({ port: mallPort, dataDir, assistantUrl: assistant.url, trustAnchors, intermediates: [fx.intermediateCa], ...(tsa ? { tsaAnchors: [tsa.pki.rootPem] } : {}) });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  // A clerk's PC in China: the pages show local time (北京时间).
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  page.setDefaultTimeout(20_000);
  await page.goto(`${mall.url}/`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    mall, assistant, browser, page, dataDir,
    stop: async () => {
      await browser.close();
      await mall.close();
      await assistant.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Switches the demo account through the page's user menu. */
export async function switchUser(page: Page, id: DemoUser): Promise<void> {
  await page.selectOption('#user', id);
  await page.getByRole('heading', { name: '订单管理 - 我的订单' }).waitFor();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export type DemoUser = 'supplier' | 'supplier2' | 'supplier-gm' | 'buyer';

/** Calls the mall's JSON API as a demo user (the page's cookie), for setup and for checking refusals. */
export async function mallApi(mall: RunningMall, user: DemoUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${mall.url}${path}`, {
    method,
    headers: { cookie: `mall_user=${user}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function ok(mall: RunningMall, user: DemoUser, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await mallApi(mall, user, method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path} as ${user}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Drafts, fills and sends the order's contract through the API as its supplier; returns the contract id, state 待确认. */
export async function sendDraft(mall: RunningMall, orderId: number, supplier: DemoUser = 'supplier'): Promise<number> {
  const { id } = (await ok(mall, supplier, 'POST', `/api/orders/${orderId}/contract`)) as { id: number };
  await ok(mall, supplier, 'PUT', `/api/contracts/${id}`, { fields: { deliveryPlace: '郑州市第一中学信息中心', deliveryDate: '2025年12月31日前', terms: '一、乙方按约定交付全新合格货物。\n二、质量保证期三年。' } });
  await ok(mall, supplier, 'POST', `/api/contracts/${id}/send`);
  return id;
}

/** `sendDraft`, then the buyer confirms with 线上签章 是: state 待盖章. */
export async function toPendingSeal(mall: RunningMall, orderId: number, amount: string, supplier: DemoUser = 'supplier'): Promise<number> {
  const id = await sendDraft(mall, orderId, supplier);
  await ok(mall, 'buyer', 'POST', `/api/contracts/${id}/confirm`, { paymentMethod: '国库集中支付', paymentAmount: amount, online: true });
  return id;
}

/** The message the page shows now: the error with its remedy, or the notice. */
export async function message(page: Page): Promise<string> {
  for (const id of ['#error', '#notice']) if (await page.locator(id).isVisible()) return (await page.locator(id).textContent()) ?? '';
  return '';
}

/** Opens a contract from 订单管理-我的订单 by its order number. */
export async function openContract(page: Page, orderNo: string): Promise<void> {
  await page.getByRole('button', { name: '订单管理-我的订单' }).click();
  await page.getByRole('row').filter({ hasText: orderNo }).getByRole('button', { name: '查看合同' }).click();
  await page.getByRole('heading', { name: /查看合同|起草合同/ }).waitFor();
}

/**
 * Answers the mall's confirmation (删除, 解绑, 发送, 退回…): returns its text, types `reason`
 * when given, and clicks the OK button (or 取消 with `cancel`).
 */
export async function answerAsk(page: Page, options: { reason?: string; cancel?: boolean } = {}): Promise<string> {
  const dialog = page.locator('#ask-dialog[open]');
  await dialog.waitFor();
  const text = (await dialog.locator('#ask-text').textContent()) ?? '';
  if (options.reason !== undefined) await dialog.locator('#ask-reason').fill(options.reason);
  await dialog.locator(options.cancel ? '#ask-cancel' : '#ask-ok').click();
  await dialog.waitFor({ state: 'detached' }).catch(() => undefined);
  await page.locator('#ask-dialog[open]').waitFor({ state: 'hidden' });
  return text;
}

export const contractState = (page: Page): Promise<string | null> => page.locator('#contract-state').textContent();
