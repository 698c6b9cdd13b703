/**
 * 移动签 end to end in real Chromium: the supplier seals with 公采签 (单位公章, then
 * 个人签章; one delete and re-seal) by scanning the assistant's QR with the phone
 * app's real scanner (fake camera fed with the QR read back from the dialog),
 * sends; the buyer seals with the SoftHSM key (PIN in the assistant window),
 * 确认签章; the 监管系统 accepts the filing; pdfsig finds every signature valid.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../helpers/fixtures.js';
import { answerAsk, mallApi, message, openContract, switchUser, toPendingSeal } from '../mall/harness.js';
import { enrol, PHONE_PIN } from './phone.js';
import { readDialogQr, startMobileStack, SUPPLIER_PHONE, type MobileStack } from './stack.js';

const fx = await useFixtures();
const SHOTS = mkdtempSync(join(tmpdir(), 'mobile-shots-'));
let s: MobileStack;

beforeAll(async () => {
  s = await startMobileStack(fx);
  await enrol(await s.phone.open(), SUPPLIER_PHONE);
}, 120_000);
afterAll(async () => s?.stop());

/** Scans the dialog's QR with the phone and confirms there with the seal preselected. */
async function scanAndConfirm(qr: string, shot?: string): Promise<Page> {
  const phone = await s.phone.open(qr);
  await phone.getByRole('button', { name: '公采签' }).click();
  await phone.getByRole('heading', { name: '确认签章' }).waitFor();
  if (shot) await phone.screenshot({ path: join(SHOTS, shot) });
  await phone.getByLabel('应用密码').fill(PHONE_PIN);
  await phone.getByRole('button', { name: '确认签章' }).click();
  await phone.locator('#home-message').waitFor();
  return phone;
}

async function mobileSeal(button: string, shot?: string): Promise<void> {
  await s.page.getByRole('button', { name: button }).click();
  const qr = await readDialogQr(s.assistant);
  await expect.poll(() => message(s.page)).toBe('请使用公采易通扫描互认助手中的二维码');
  if (shot) await s.assistant.screenshot({ path: join(SHOTS, shot) });
  const dialog = await s.assistant.locator('dialog.mobile[open]').innerText();
  expect(dialog).toContain('摘要指纹');
  const phone = await scanAndConfirm(qr, shot ? 'phone-confirm.png' : undefined);
  expect(await phone.locator('#home-message').textContent()).toMatch(/^已签章/);
}

describe('公采签 in the mall', () => {
  it('supplier by phone, buyer by USB key, filed, every PDF signature valid', async () => {
    const { page } = s;
    await switchUser(page, 'supplier');
    const orderNo = 'DD20250001';
    await toPendingSeal(s.mall, 1, '98000.00');
    await openContract(page, orderNo);
    await mobileSeal('公采签（乙方公章）', 'qr-dialog.png');
    await expect.poll(() => message(page), { timeout: 30_000 }).toBe('已在乙方公章位置盖章（公采签，单位公章）');
    await mobileSeal('公采签（乙方代表）');
    await expect.poll(() => message(page), { timeout: 30_000 }).toBe('已在乙方代表位置盖章（公采签，个人签章）');
    await page.locator('[data-seal="supplier-person"] button').click();
    await answerAsk(page);
    await expect.poll(() => page.locator('[data-seal="supplier-person"]').count()).toBe(0);
    await mobileSeal('公采签（乙方代表）');
    await expect.poll(() => page.locator('[data-seal="supplier-person"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('#seals').innerText()).toContain('乙方公章：河南示例科技有限公司');
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => page.locator('#contract-state').textContent()).toBe('供应商已盖章');

    await switchUser(page, 'buyer');
    await openContract(page, orderNo);
    await page.getByRole('button', { name: '签章（甲方公章）' }).click();
    const input = s.assistant.locator('dialog.pin[open] #pin-input:not([disabled])');
    await input.fill('87654321');
    await input.press('Enter');
    await expect.poll(() => page.locator('[data-seal="buyer-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => page.locator('#contract-state').textContent(), { timeout: 30_000 }).toBe('已备案');

    const contracts = (await mallApi(s.mall, 'buyer', 'GET', '/api/contracts?state=filed')).body.contracts as { id: number }[];
    const pdf = Buffer.from(await (await fetch(`${s.mall.url}/api/contracts/${contracts[0]!.id}/pdf`, { headers: { cookie: 'mall_user=buyer' } })).arrayBuffer());
    const file = join(SHOTS, 'sealed.pdf');
    writeFileSync(file, pdf);
    const report = execFileSync('pdfsig', [file], { encoding: 'utf8' });
    expect(report.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(3);
    expect(report).not.toMatch(/Signature Validation: (?!Signature is Valid)/);
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, join(SHOTS, 'sealed')]);
  }, 240_000);
});
