/**
 * The manual's whole online flow in real Chromium against a real assistant
 * process on SoftHSM: draft, send, return, edit, resend, confirm with
 * payment, supplier company + personal seal (after binding; one delete and
 * re-seal), send, buyer seal, 确认签章, filing accepted; pdfsig checks the PDF.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../helpers/fixtures.js';
import { ARTIFACTS, shot, startStack, switchUser, type Stack } from './harness.js';

const fx = await useFixtures();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(fx, ['12345678', '87654321']);
}, 90_000);
afterAll(async () => stack?.stop());

async function openContract(stackPage: Stack['page']): Promise<void> {
  await stackPage.getByRole('button', { name: '查看合同' }).first().click();
  await stackPage.getByRole('heading', { name: /查看合同/ }).waitFor();
}

/** The message the page shows now: the notice, or the error with its remedy. */
async function message(page: Stack['page']): Promise<string> {
  for (const id of ['#error', '#notice']) if (await page.locator(id).isVisible()) return (await page.locator(id).textContent()) ?? '';
  return '';
}

const state = (s: Stack): Promise<string | null> => s.page.locator('#contract-state').textContent();

describe('reference mall online contract flow', () => {
  it('goes from 起草合同 to 监管系统备案 with three valid PDF signatures', async () => {
    const { page } = stack;
    await switchUser(page, 'supplier');
    await shot(page, '01-orders');
    await page.getByRole('button', { name: '起草合同' }).first().click();
    await page.fill('#f-deliveryPlace', '郑州市第一中学信息中心');
    await page.fill('#f-deliveryDate', '2025年12月31日前');
    await page.fill('#f-terms', '一、乙方按约定时间、地点交付全新合格货物。\n二、质量保证期三年，保修期内免费上门维修。');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => message(page)).toContain('已保存');
    await page.getByRole('button', { name: '发送' }).click();
    await expect.poll(() => state(stack)).toBe('待确认');

    await switchUser(page, 'buyer');
    await openContract(page);
    await shot(page, '02-buyer-pending-confirm');
    await page.getByRole('button', { name: '退回合同到草稿' }).click();
    await expect.poll(() => message(page)).toContain('已退回合同到草稿');

    await switchUser(page, 'supplier');
    await openContract(page);
    await page.fill('#f-terms', '一、乙方按约定时间、地点交付全新合格货物。\n二、质量保证期三年。\n三、验收合格后 30 日内付款。');
    await page.getByRole('button', { name: '发送' }).click();
    await expect.poll(() => state(stack)).toBe('待确认');

    await switchUser(page, 'buyer');
    await openContract(page);
    await page.getByRole('button', { name: '修改' }).click();
    await page.fill('#f-deliveryPlace', '郑州市第一中学（东校区）信息中心');
    await page.getByRole('button', { name: '保存修改' }).click();
    await expect.poll(() => message(page)).toContain('合同变为草稿');

    await switchUser(page, 'supplier');
    await openContract(page);
    await page.getByRole('button', { name: '发送' }).click();
    await expect.poll(() => state(stack)).toBe('待确认');

    await switchUser(page, 'buyer');
    await openContract(page);
    await page.getByRole('button', { name: '确认', exact: true }).click();
    await page.fill('#payment-amount', '120000');
    await page.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.locator('#confirm-error').textContent()).toContain('请选择支付方式');
    await page.selectOption('#payment-method', '国库集中支付');
    await page.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.locator('#confirm-error').textContent()).toContain('支付金额不能超过合同金额');
    await page.fill('#payment-amount', '98000.00');
    await page.getByRole('button', { name: '确定' }).click();
    await shot(page, '03-confirm-online-question');
    await page.getByRole('button', { name: '是', exact: true }).click();
    await expect.poll(() => state(stack)).toBe('待盖章');
    expect(await page.getByRole('button', { name: '修改' }).count()).toBe(0);

    // Supplier: bind the personal certificate (first PIN), then seal.
    await switchUser(page, 'supplier');
    await page.getByRole('button', { name: '首页' }).click();
    await page.getByRole('button', { name: '绑定个人证书' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('绑定成功');
    await shot(page, '04-personal-cert-bound');
    await page.getByRole('button', { name: '订单管理-我的订单' }).click();
    await openContract(page);
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '个人签章（乙方代表）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-person"]').count(), { timeout: 30_000 }).toBe(1);
    await page.locator('[data-seal="supplier-person"] button').click();
    await expect.poll(() => message(page)).toContain('已删除签章');
    expect(await page.locator('[data-seal="supplier-person"]').count()).toBe(0);
    await page.getByRole('button', { name: '个人签章（乙方代表）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-person"]').count(), { timeout: 30_000 }).toBe(1);
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '05-supplier-sealed');
    await page.getByRole('button', { name: '发送' }).click();
    await expect.poll(() => state(stack)).toBe('供应商已盖章');
    expect(await page.locator('[data-delete-seal]').count()).toBe(0);

    await switchUser(page, 'buyer');
    await page.getByRole('button', { name: '合同管理' }).click();
    await page.getByRole('button', { name: '供应商已盖章' }).click();
    await openContract(page);
    await page.getByRole('button', { name: '签章（甲方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="buyer-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => state(stack), { timeout: 30_000 }).toBe('已备案');
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '06-filed');

    const { filings } = (await (await fetch(`${stack.mall.receiverUrl}/filings`)).json()) as { filings: Array<{ id: number; status: string; signatures: unknown[] }> };
    expect(filings).toHaveLength(1);
    expect(filings[0]).toMatchObject({ status: 'accepted' });
    expect(filings[0]?.signatures).toHaveLength(3);
    const pdf = Buffer.from(await (await fetch(`${stack.mall.receiverUrl}/filings/${filings[0]?.id}/pdf`)).arrayBuffer());
    const file = join(ARTIFACTS, 'final-contract.pdf');
    writeFileSync(file, pdf);
    const report = execFileSync('pdfsig', [file], { encoding: 'utf8' });
    writeFileSync(join(ARTIFACTS, 'final-contract.pdfsig.txt'), report);
    expect(report.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(3);
    expect(report).not.toMatch(/Signature Validation: (?!Signature is Valid)/);
    const last = report.split(/Signature #\d+:/).at(-1) ?? '';
    expect(last).toContain('Total document signed');
    expect(report).toContain('乙方公章');
    expect(report).toContain('甲方公章');
  }, 240_000);
});
