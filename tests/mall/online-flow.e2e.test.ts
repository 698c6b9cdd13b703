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
import { ARTIFACTS, answerAsk, shot, startStack, switchUser, type Stack } from './harness.js';

const fx = await useFixtures();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(fx, ['12345678', '87654321']);
}, 90_000);
afterAll(async () => stack?.stop());

async function openContract(stackPage: Stack['page']): Promise<void> {
  await stackPage.getByRole('button', { name: '查看合同' }).first().click();
  await stackPage.getByRole('heading', { name: /查看合同|起草合同/ }).waitFor();
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
    // The manual names the draft page 起草合同.
    await page.getByRole('heading', { name: /起草合同/ }).waitFor();
    await page.fill('#f-deliveryPlace', '郑州市第一中学信息中心');
    await page.fill('#f-deliveryDate', '2025年12月31日前');
    await page.fill('#f-terms', '一、乙方按约定时间、地点交付全新合格货物。\n二、质量保证期三年，保修期内免费上门维修。');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => message(page)).toContain('已保存');
    await page.getByRole('button', { name: '发送' }).click();
    // 发送 asks first; 取消 changes nothing.
    expect(await answerAsk(page, { cancel: true })).toContain('发送后不能再修改');
    expect(await state(stack)).toBe('草稿');
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => state(stack)).toBe('待确认');

    await switchUser(page, 'buyer');
    await openContract(page);
    await shot(page, '02-buyer-pending-confirm');
    await page.getByRole('button', { name: '退回合同到草稿' }).click();
    await answerAsk(page, { reason: '交货地点请写明校区' });
    await expect.poll(() => message(page)).toContain('已退回合同到草稿');

    // The supplier sees it 已退回, with the buyer's reason.
    await switchUser(page, 'supplier');
    expect(await page.getByRole('row').filter({ hasText: 'DD20250001' }).textContent()).toContain('已退回');
    await openContract(page);
    expect(await state(stack)).toBe('已退回');
    expect(await page.locator('#returned').textContent()).toContain('交货地点请写明校区');
    await shot(page, '02b-supplier-returned');
    await page.fill('#f-terms', '一、乙方按约定时间、地点交付全新合格货物。\n二、质量保证期三年。\n三、验收合格后 30 日内付款。');
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => state(stack)).toBe('待确认');

    await switchUser(page, 'buyer');
    await openContract(page);
    await page.getByRole('button', { name: '修改' }).click();
    await page.fill('#f-deliveryPlace', '郑州市第一中学（东校区）信息中心');
    await page.getByRole('button', { name: '保存修改' }).click();
    await answerAsk(page, { reason: '已改为东校区' });
    await expect.poll(() => message(page)).toContain('合同变为草稿');

    await switchUser(page, 'supplier');
    await openContract(page);
    expect(await page.locator('#returned').textContent()).toContain('已改为东校区');
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => state(stack)).toBe('待确认');
    expect(await page.locator('#returned').count()).toBe(0);

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

    // Supplier: 个人签章 before binding says to bind on 首页, with the link there; bind (first PIN), then seal.
    await switchUser(page, 'supplier');
    await openContract(page);
    await page.getByRole('button', { name: '个人签章（乙方代表）' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('请先在【首页】绑定个人证书');
    await shot(page, '03b-person-seal-unbound');
    await page.locator('#error-action').click();
    await page.getByRole('button', { name: '绑定个人证书' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('绑定成功');
    await shot(page, '04-personal-cert-bound');
    await page.getByRole('button', { name: '订单管理-我的订单' }).click();
    await openContract(page);
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '个人签章（乙方代表）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-person"]').count(), { timeout: 30_000 }).toBe(1);
    // Deleting 乙方公章 would take 乙方代表 with it (incremental revisions): the question says so; 取消 keeps both.
    await page.locator('[data-seal="supplier-company"] button').click();
    await page.locator('#ask-dialog[open]').waitFor();
    await shot(page, '05a-delete-seal-question');
    expect(await answerAsk(page, { cancel: true })).toContain('将同时删除其后加盖的：乙方代表');
    expect(await page.locator('[data-seal]').count()).toBe(2);
    await page.locator('[data-seal="supplier-person"] button').click();
    await answerAsk(page);
    await expect.poll(() => message(page)).toContain('已删除签章');
    expect(await page.locator('[data-seal="supplier-person"]').count()).toBe(0);
    await page.getByRole('button', { name: '个人签章（乙方代表）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-person"]').count(), { timeout: 30_000 }).toBe(1);
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '05-supplier-sealed');
    // The PDF downloads under the name the assistant's dialog showed.
    const disposition = await page.evaluate(async (href) => (await fetch(href)).headers.get('content-disposition'), (await page.locator('#pdf-link').getAttribute('href')) ?? '');
    expect(decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(disposition ?? '')?.[1] ?? '')).toBe('政府采购合同（HT-DD20250001）.pdf');
    await page.getByRole('button', { name: '发送' }).click();
    expect(await answerAsk(page)).toContain('发送后无法更改');
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

    // 【操作指南】→【工具下载】 names the installers the build produces.
    await page.getByRole('button', { name: '操作指南' }).click();
    expect(await page.locator('#downloads').innerText()).toMatch(/互认助手-\d+\.\d+\.\d+-setup-x64\.exe/);
    await shot(page, '06a-guide-downloads');

    // The 监管系统's page for people: Chinese, readable; the JSON stays for programs.
    await page.goto(`${stack.mall.receiverUrl}/filings`);
    expect(await page.locator('h1').textContent()).toContain('合同备案记录');
    expect(await page.locator('body').innerText()).toMatch(/HT-DD20250001[\s\S]*已备案/);
    await shot(page, '07-receiver-filings');
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
