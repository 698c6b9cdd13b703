/**
 * 移动签 failure paths in real Chromium, each with what the mall page and the
 * assistant's QR dialog say: QR expired and refreshed, a second phone, the
 * phone rejects, the service swaps the hash, 取消 in the assistant, the page
 * closing while the QR is shown, the service down.
 */
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MobileServiceClient } from '../../src-agent/service/mobile-client.js';
import { MobileSigning } from '../../src-agent/service/mobile-signing.js';
import { useFixtures } from '../helpers/fixtures.js';
import { answerAsk, message, openContract, switchUser, toPendingSeal } from '../mall/harness.js';
import { demoAccount, enrol, makePhone, PHONE_PIN, type Phone } from './phone.js';
import { readDialogQr, startMobileStack, SUPPLIER_PHONE, type MobileStack } from './stack.js';

const fx = await useFixtures();
let s: MobileStack;
let second: Phone;
const dialog = () => s.assistant.locator('dialog.mobile[open]');

beforeAll(async () => {
  s = await startMobileStack(fx);
  await enrol(await s.phone.open(), SUPPLIER_PHONE);
  const other = demoAccount('13800000009', '王五', '河南示例科技有限公司');
  s.service.store.seed([other]);
  second = makePhone(s.service.url);
  await enrol(await second.open(), other);
  await switchUser(s.page, 'supplier');
  await toPendingSeal(s.mall, 1, '98000.00');
  await openContract(s.page, 'DD20250001');
}, 120_000);
afterAll(async () => {
  await second?.close();
  await s?.stop();
});

async function scan(phone: Phone, qr: string): Promise<Page> {
  const page = await phone.open(qr);
  await page.getByRole('button', { name: '公采签' }).click();
  return page;
}

describe('公采签 failures', () => {
  it('the phone rejects: the dialog says 已拒绝, the page gives the reason and the remedy', async () => {
    await s.page.getByRole('button', { name: '公采签（乙方公章）' }).click();
    const phone = await scan(s.phone, await readDialogQr(s.assistant));
    await phone.getByRole('button', { name: '拒绝' }).click();
    await phone.getByText('已拒绝签章').waitFor();
    await dialog().getByText('已拒绝：已在手机上拒绝签章').waitFor();
    await expect.poll(() => message(s.page)).toBe('您已在手机上拒绝签章\n处理办法：如需签章，请重新点击【公采签】，扫码后在手机上核对信息并点击【确认签章】。');
    await expect.poll(() => dialog().count(), { timeout: 10_000 }).toBe(0);
  });

  it('取消 in the assistant: the page says 您已取消操作', async () => {
    await s.page.getByRole('button', { name: '公采签（乙方公章）' }).click();
    await readDialogQr(s.assistant);
    await dialog().getByRole('button', { name: '取消' }).click();
    await expect.poll(() => message(s.page)).toMatch(/^您已取消操作/);
    // The page hears of the cancel over its socket; the assistant window closes its dialog on its own bridge round trip.
    await expect.poll(() => dialog().count(), { timeout: 10_000 }).toBe(0);
  });

  it('a QR that expired is refreshed in the assistant and the new one signs', async () => {
    s.service.tune({ ttlMs: 1500 });
    await s.page.getByRole('button', { name: '公采签（乙方公章）' }).click();
    const first = await readDialogQr(s.assistant);
    await dialog().getByText('已过期：请点击【刷新二维码】后重新扫描').waitFor();
    await expect.poll(() => message(s.page)).toBe('二维码已过期，请在互认助手中点击【刷新二维码】后重新扫描');
    const stale = await scan(s.phone, first);
    await stale.getByText('二维码已过期，请在互认助手中点击【刷新二维码】后重新扫描').waitFor();
    s.service.tune({ ttlMs: 120_000 });
    await dialog().getByRole('button', { name: '刷新二维码' }).click();
    const fresh = await readDialogQr(s.assistant, first);
    const phone = await scan(s.phone, fresh);
    await phone.getByLabel('应用密码').fill(PHONE_PIN);
    await phone.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => message(s.page), { timeout: 30_000 }).toBe('已在乙方公章位置盖章（公采签，单位公章）');
  });

  it('a second phone is refused; the assistant names the first', async () => {
    await s.page.getByRole('button', { name: '公采签（乙方代表）' }).click();
    const qr = await readDialogQr(s.assistant);
    const first = await scan(s.phone, qr);
    await first.getByRole('heading', { name: '确认签章' }).waitFor();
    await dialog().getByText('已扫码：张三，请在手机上确认').waitFor();
    await expect.poll(() => message(s.page)).toBe('已扫码，请在手机上核对并确认签章');
    const other = await scan(second, qr);
    await other.locator('#result-error', { hasText: '该二维码已被其他手机扫描，不能重复使用' }).waitFor();
    await first.getByLabel('应用密码').fill(PHONE_PIN);
    await first.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => message(s.page), { timeout: 30_000 }).toBe('已在乙方代表位置盖章（公采签，个人签章）');
    // Free the position again for the next cases.
    await s.page.locator('[data-seal="supplier-person"] button').click();
    await answerAsk(s.page);
    await expect.poll(() => s.page.locator('[data-seal="supplier-person"]').count()).toBe(0);
  });

  it('a service that hands the phone another hash: the assistant refuses, nothing is sealed', async () => {
    s.service.tune({ tamperHash: (hash) => createHash('sha256').update(hash).digest() });
    try {
      await s.page.getByRole('button', { name: '公采签（乙方代表）' }).click();
      const phone = await scan(s.phone, await readDialogQr(s.assistant));
      const shown = await dialog().locator('.fingerprint').textContent();
      expect(await phone.locator('#c-fp').textContent()).not.toBe(shown);
      await phone.getByLabel('应用密码').fill(PHONE_PIN);
      await phone.getByRole('button', { name: '确认签章' }).click();
      await dialog().getByText(/手机签署的不是本文件的摘要/).waitFor();
      await expect.poll(() => message(s.page)).toMatch(/^手机返回的签名未通过互认助手校验，已拒绝使用\n处理办法：/);
      expect(await s.page.locator('[data-seal="supplier-person"]').count()).toBe(0);
    } finally {
      s.service.tune({ tamperHash: undefined });
    }
  });

  it('the service down: a clear reason on the page, no QR', async () => {
    const saved = s.core.mobile;
    s.core.mobile = new MobileSigning({ serviceUrl: 'http://127.0.0.1:9', trustAnchors: [s.service.caFile], sessionSeconds: 120 }, new MobileServiceClient('http://127.0.0.1:9', 1000));
    try {
      await s.page.getByRole('button', { name: '公采签（乙方代表）' }).click();
      await expect.poll(() => message(s.page)).toBe('无法连接公采易通移动签服务\n处理办法：请检查网络连接后重试；如仍失败，请稍后再试或改用 CA 锁签章。');
    } finally {
      s.core.mobile = saved;
    }
  });

  it('the mall page closing while the QR is shown closes the dialog and ends the session', async () => {
    await s.page.getByRole('button', { name: '公采签（乙方代表）' }).click();
    const qr = await readDialogQr(s.assistant);
    await s.page.close();
    await expect.poll(() => dialog().count(), { timeout: 10_000 }).toBe(0);
    const phone = await scan(s.phone, qr);
    await phone.locator('#result-error', { hasText: '该二维码已使用或已取消' }).waitFor();
  });
});
