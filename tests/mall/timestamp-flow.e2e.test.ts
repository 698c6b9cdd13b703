/**
 * PAdES B-T in the reference mall, in real Chromium against a real assistant and a
 * real TSA (openssl ts behind HTTP): every seal carries an RFC 3161 time-stamp, the
 * page shows each seal's trusted time, pdfsig and openssl accept the PDF and the
 * tokens, the 监管系统 records the trusted times and refuses a filing whose time-stamp
 * does not verify, and the mall refuses a seal without one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../helpers/fixtures.js';
import { opensslTokenVerify, useTsa } from '../helpers/tsa.js';
import { ARTIFACTS, answerAsk, contractState, mallApi, openContract, shot, startStack, switchUser, toPendingSeal, type Stack } from './harness.js';

const fx = await useFixtures();
const tsa = await useTsa('rsa');
const pinOf = (key: 'supplier' | 'purchaser'): string => fx.tokens.find((t) => t.key === key)?.userPin ?? '';
const work = mkdtempSync(join(tmpdir(), 'mall-ts-'));
let stack: Stack;
let second: number;

/** One JSON-RPC call to the assistant as the mall's page would make it (events before the reply are skipped). */
function rpc(url: string, origin: string, method: string, params: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })));
    ws.on('message', (d) => {
      const frame = JSON.parse(d.toString()) as { id?: number; result?: Record<string, unknown>; error?: unknown };
      if (frame.id !== 1) return;
      ws.close();
      if (frame.result) resolve(frame.result);
      else reject(new Error(JSON.stringify(frame.error)));
    });
    ws.on('error', reject);
  });
}

beforeAll(async () => {
  stack = await startStack(fx, [pinOf('supplier'), pinOf('supplier'), pinOf('purchaser'), pinOf('supplier')], undefined, tsa);
  await toPendingSeal(stack.mall, 1, '98000.00');
  second = await toPendingSeal(stack.mall, 2, '5000.00');
}, 90_000);
afterAll(async () => stack?.stop());

/** Every /Contents CMS of a PDF, in file order. */
function signaturesOf(pdf: Buffer): Buffer[] {
  const text = pdf.toString('latin1');
  return [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((m) => Buffer.from(text.slice(Number(m[2]) + 1, Number(m[3]) - 1), 'hex'));
}

describe('reference mall with trusted time-stamps (PAdES B-T)', () => {
  it('seals with time-stamps, shows each trusted time, and files with the trusted times recorded', async () => {
    const { page, mall } = stack;
    await switchUser(page, 'supplier');
    await openContract(page, 'DD20250001');
    const before = tsa.answered();
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-company"] [data-trusted-time]').count(), { timeout: 30_000 }).toBe(1);
    expect(tsa.answered()).toBe(before + 1);
    expect(await page.locator('[data-seal="supplier-company"] [data-trusted-time]').textContent()).toMatch(/可信时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '30-sealed-with-trusted-time');
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => contractState(page)).toBe('供应商已盖章');

    await switchUser(page, 'buyer');
    await openContract(page, 'DD20250001');
    await page.getByRole('button', { name: '签章（甲方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="buyer-company"] [data-trusted-time]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => contractState(page), { timeout: 30_000 }).toBe('已备案');

    const { filings } = (await (await fetch(`${mall.receiverUrl}/filings`)).json()) as { filings: Array<{ id: number; status: string; signatures: Array<{ trustedTime?: string; timestampValid?: boolean }> }> };
    const filing = filings.at(-1)!;
    expect(filing.status).toBe('accepted');
    expect(filing.signatures).toHaveLength(2);
    for (const s of filing.signatures) {
      expect(s.timestampValid).toBe(true);
      expect(Math.abs(Date.parse(s.trustedTime ?? '') - Date.now())).toBeLessThan(5 * 60_000);
    }
    const pdf = Buffer.from(await (await fetch(`${mall.receiverUrl}/filings/${filing.id}/pdf`)).arrayBuffer());
    const file = join(ARTIFACTS, 'timestamped-contract.pdf');
    writeFileSync(file, pdf);
    const report = execFileSync('pdfsig', [file], { encoding: 'utf8' });
    writeFileSync(join(ARTIFACTS, 'timestamped-contract.pdfsig.txt'), report);
    expect(report.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(2);

    // Each seal's token verifies in openssl over the digest of its SignerInfo's signature value.
    for (const [i, cms] of signaturesOf(pdf).entries()) {
      const der = Buffer.from(cms.subarray(0, 2 + (cms[1]! & 0x80 ? (cms[1]! & 0x7f) + cms.readUIntBE(2, cms[1]! & 0x7f) : cms[1]!)));
      writeFileSync(join(work, `seal-${i}.p7s`), der);
      expect(opensslTokenVerify(der, tsa.pki.rootPem).out).toContain('Verification: OK');
    }
    writeFileSync(join(work, 'filed.pdf'), pdf);
  }, 180_000);

  it('the 监管系统 refuses a filing whose time-stamp was altered', async () => {
    const pdf = Buffer.from(await (await fetch(`${stack.mall.receiverUrl}/filings/1/pdf`)).arrayBuffer());
    // Flip one hex digit inside the last seal's time-stamp token (its TSA signature at the token's end):
    // the seal's own CMS signature and the PDF's byte ranges stay intact, and no later seal covers it.
    const text = pdf.toString('latin1');
    const m = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].at(-1)!;
    const hex = text.slice(Number(m[2]) + 1, Number(m[3]) - 1);
    const derLength = hex.replace(/(00)+$/, '').length;
    const at = Number(m[2]) + 1 + derLength - 20;
    const tampered = Buffer.from(pdf);
    tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30;
    const res = await fetch(`${stack.mall.receiverUrl}/filings`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contractNo: 'HT-DD20250001', mode: 'online', supplierName: '河南示例科技有限公司', buyerName: '郑州市第一中学', pdf: tampered.toString('base64') }),
    });
    const body = (await res.json()) as { accepted: boolean; reason: string };
    expect(res.status).toBe(422);
    expect(body.reason).toBe('第 2 个签章的可信时间戳验证失败：可信时间戳与签章不符或已被篡改');
  });

  it('the mall refuses a seal whose CMS carries no time-stamp', async () => {
    const { mall, assistant } = stack;
    await switchUser(stack.page, 'supplier');
    const certs = (await rpc(assistant.url, mall.url, 'certs.list', {})).certs as Array<{ id: string; der: string; subject: string; notAfter: string }>;
    const org = certs.find((c) => c.subject.includes('CN=河南示例科技有限公司') && c.subject.includes('O=河南示例科技有限公司') && Date.parse(c.notAfter) > Date.now())!;
    // A 1×1 PNG: the mall only needs a PNG for the appearance.
    const image = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const prep = await mallApi(mall, 'supplier', 'POST', `/api/contracts/${second}/seals/prepare`, { position: 'supplier-company', certificate: org.der, image });
    expect(prep.status).toBe(200);
    expect(prep.body.timestamp).toBe(true);
    const { signature } = await rpc(assistant.url, mall.url, 'sign.hash', { certId: org.id, hash: prep.body.hash, hashAlgorithm: 'sha256', format: 'cms' });
    const done = await mallApi(mall, 'supplier', 'POST', `/api/contracts/${second}/seals/complete`, { pendingId: prep.body.pendingId, signature });
    expect(done.status).toBe(400);
    expect(done.body.error).toBe('签章须带有效的可信时间戳：签章没有可信时间戳');
  }, 60_000);
});
