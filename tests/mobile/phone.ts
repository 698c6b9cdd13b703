/**
 * The phone in tests: Chromium emulating a phone (Playwright device descriptor),
 * with a persistent profile (the app's IndexedDB keys survive between scans) and
 * a fake camera that shows the QR text given (a new browser per scan: Chromium
 * reads the capture file once, at launch).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, devices, type BrowserContext, type Page } from 'playwright-core';
import { renderSealPng } from '../fixtures/seal-image.js';
import type { AccountSeed } from '../../examples/mobile-sign/store.js';
import { writeQrY4m } from './fake-camera.js';

export const PHONE_PIN = '135790';

/** A demo account with a 单位公章 and a 个人签章 (seal images drawn like the fixtures' seals). */
export function demoAccount(account = '13800000001', name = '张三', org = '某某科技有限公司'): AccountSeed {
  return {
    account, enrolCode: 'GCYT-2468', name, org, uscc: '91110000MA01ABCD2X', idCard: '110101199003071234',
    seals: {
      organization: { mime: 'image/png', image: renderSealPng(org), widthMm: 42, heightMm: 42 },
      personal: { mime: 'image/png', image: renderSealPng(name, { sizePx: 240, diameterMm: 20 }), widthMm: 20, heightMm: 20 },
    },
  };
}

export interface Phone {
  /** Opens the app with the camera showing `qr` (or a blank feed); the page is ready at 首页 or 激活. */
  open(qr?: string): Promise<Page>;
  close(): Promise<void>;
}

export function makePhone(appUrl: string, device = 'Pixel 7'): Phone {
  const profile = mkdtempSync(join(tmpdir(), 'phone-profile-'));
  const feed = join(profile, 'camera.y4m');
  let context: BrowserContext | undefined;
  return {
    async open(qr = 'no code here') {
      await context?.close();
      writeQrY4m(feed, qr);
      const descriptor = devices[device];
      if (!descriptor) throw new Error(`no device ${device}`);
      context = await chromium.launchPersistentContext(profile + '/chrome', {
        ...descriptor,
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        locale: 'zh-CN',
        permissions: ['camera'],
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${feed}`],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(20_000);
      await page.goto(`${appUrl}/`);
      await page.locator('#enrol, #scan').first().waitFor();
      return page;
    },
    async close() {
      await context?.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Activates the app on this phone for `account` (激活 screen). */
export async function enrol(page: Page, account: AccountSeed, pin = PHONE_PIN): Promise<void> {
  await page.getByLabel('账号').fill(account.account);
  await page.getByLabel('激活码').fill(account.enrolCode);
  await page.getByLabel('设置应用密码（6 位数字）').fill(pin);
  await page.getByRole('button', { name: '激活' }).click();
  await page.getByText('激活成功').waitFor();
}
