/**
 * The manual's offline path in real Chromium: the buyer uploads the scanned
 * offline-sealed contract, confirms with payment and answers 线上签章? 否;
 * the contract is filed with the 监管系统 at once (with the attachment's
 * bytes), state 已备案, and nothing is sealed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../helpers/fixtures.js';
import { answerAsk, contractState, message, openContract, sendDraft, shot, startStack, switchUser, type Stack } from './harness.js';

const fx = await useFixtures();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack(fx, []);
}, 90_000);
afterAll(async () => stack?.stop());

/** A one-page PDF standing in for the scan of the contract both parties sealed on paper. */
function scannedContractPdf(): Buffer {
  const content = 'BT /F1 18 Tf 72 720 Td (Scanned contract HT-DD20250001, sealed offline) Tj ET';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

describe('reference mall offline contract flow (线上签章 否)', () => {
  it('files the confirmed contract with its uploaded scan at once, without sealing', async () => {
    const { page, mall } = stack;
    await sendDraft(mall, 1);
    const scan = scannedContractPdf();

    await switchUser(page, 'buyer');
    await openContract(page, 'DD20250001');
    expect(await contractState(page)).toBe('待确认');
    await page.getByRole('button', { name: '上传附件' }).click();
    await expect.poll(() => message(page)).toContain('请选择要上传的附件');
    await page.setInputFiles('#attachment', { name: '线下盖章合同扫描件.pdf', mimeType: 'application/pdf', buffer: scan });
    expect(await page.locator('#attachment-name').textContent()).toBe('线下盖章合同扫描件.pdf');
    await shot(page, '10-offline-attachment-chosen');
    await page.getByRole('button', { name: '上传附件' }).click();
    await expect.poll(() => message(page)).toContain('已上传附件：线下盖章合同扫描件.pdf');
    // The uploaded attachment opens (a download of the same bytes) and can be removed before 确认.
    const link = page.locator('#attachments a', { hasText: '线下盖章合同扫描件.pdf' });
    await expect.poll(() => link.count()).toBe(1);
    const opened = await page.evaluate(async (href) => Array.from(new Uint8Array(await (await fetch(href)).arrayBuffer())), (await link.getAttribute('href')) ?? '');
    expect(Buffer.from(opened).equals(scan)).toBe(true);
    await shot(page, '11-offline-attachment-uploaded');
    await page.locator('#attachments [data-delete-attachment]').click();
    expect(await answerAsk(page)).toContain('确认删除附件“线下盖章合同扫描件.pdf”');
    await expect.poll(() => message(page)).toContain('已删除附件：线下盖章合同扫描件.pdf');
    expect(await page.locator('#attachments').count()).toBe(0);
    await page.setInputFiles('#attachment', { name: '线下盖章合同扫描件.pdf', mimeType: 'application/pdf', buffer: scan });
    await page.getByRole('button', { name: '上传附件' }).click();
    await expect.poll(() => page.locator('#attachments a').count()).toBe(1);

    await page.getByRole('button', { name: '确认', exact: true }).click();
    await page.selectOption('#payment-method', '银行转账');
    await page.fill('#payment-amount', '98000');
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByRole('button', { name: '否', exact: true }).click();
    await expect.poll(() => contractState(page), { timeout: 30_000 }).toBe('已备案');
    expect(await message(page)).toContain('已推送监管系统备案');
    await expect.poll(() => page.locator('#filing').textContent()).toMatch(/备案号 \d+/);
    expect(await page.locator('#seals, [data-seal], [data-action]').count()).toBe(0);
    expect(await page.locator('.actions').count()).toBe(0);
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '12-offline-filed');

    const { filings } = (await (await fetch(`${mall.receiverUrl}/filings`)).json()) as {
      filings: Array<{ id: number; contractNo: string; mode: string; status: string; signatures: unknown[]; attachments: Array<{ name: string; mime: string; size: number }> }>;
    };
    expect(filings).toHaveLength(1);
    const [filing] = filings;
    expect(filing).toMatchObject({ contractNo: 'HT-DD20250001', mode: 'offline', status: 'accepted', signatures: [] });
    expect(filing?.attachments).toEqual([{ name: '线下盖章合同扫描件.pdf', mime: 'application/pdf', size: scan.length }]);
    const stored = Buffer.from(await (await fetch(`${mall.receiverUrl}/filings/${filing?.id}/attachments/0`)).arrayBuffer());
    expect(stored.equals(scan)).toBe(true);
    const pdf = Buffer.from(await (await fetch(`${mall.receiverUrl}/filings/${filing?.id}/pdf`)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.includes('/ByteRange')).toBe(false);
  }, 120_000);
});
