/**
 * The reference mall's failure paths in real Chromium against a real
 * assistant process on SoftHSM: the buyer sealing first, a certificate bound
 * to two accounts, a tampered PDF at the 监管系统, the assistant not running,
 * and the PIN dialog cancelled. The tests share one stack and run in order.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../helpers/fixtures.js';
import { answerAsk, contractState, mallApi, message, openContract, shot, startAssistant, startStack, switchUser, toPendingSeal, type Stack } from './harness.js';

const fx = await useFixtures();
const pinOf = (key: 'supplier' | 'purchaser'): string => fx.tokens.find((t) => t.key === key)?.userPin ?? '';
let stack: Stack;
/** Contract of order DD20250001, sealed by both parties and filed in the tamper test. */
let sealedId: number;
/** Contract of order DD20250002, left 待盖章 by the cancel and not-running tests. */
let pendingId: number;

beforeAll(async () => {
  // One login per token for the whole file; after that every PIN dialog is answered 取消.
  stack = await startStack(fx, [pinOf('supplier'), pinOf('purchaser')]);
  sealedId = await toPendingSeal(stack.mall, 1, '98000.00');
}, 90_000);
afterAll(async () => stack?.stop());

interface Filing { contractNo: string; mode: 'online'; supplierName: string; buyerName: string; pdf: string }

async function postFiling(filing: Filing): Promise<{ status: number; body: { accepted: boolean; reason?: string } }> {
  const res = await fetch(`${stack.mall.receiverUrl}/filings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(filing) });
  return { status: res.status, body: (await res.json()) as { accepted: boolean; reason?: string } };
}

const pdfDigest = async (id: number): Promise<string> => {
  const res = await fetch(`${stack.mall.url}/api/contracts/${id}/pdf`, { headers: { cookie: 'mall_user=supplier' } });
  return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
};

describe('reference mall failure paths', () => {
  it('refuses the buyer sealing before the supplier (待盖章)', async () => {
    const { page, mall } = stack;
    const refused = await mallApi(mall, 'buyer', 'POST', `/api/contracts/${sealedId}/seals/prepare`, { position: 'buyer-company' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('供应商尚未完成签章，请待供应商盖章并发送后再盖章');

    await switchUser(page, 'buyer');
    await openContract(page, 'DD20250001');
    expect(await contractState(page)).toBe('待盖章');
    expect(await page.locator('#seal-wait').textContent()).toContain('待供应商盖章并发送后，您才能在甲方位置盖章');
    expect(await page.getByRole('button', { name: /签章/ }).count()).toBe(0);
    expect(await page.locator('.actions').count()).toBe(0);
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '20-buyer-waits-for-supplier');
  }, 60_000);

  it('refuses binding a certificate already bound to another account; unbind then rebind works', async () => {
    const { page, mall } = stack;
    await switchUser(page, 'supplier');
    await page.getByRole('button', { name: '首页' }).click();
    await page.getByRole('button', { name: '绑定个人证书' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('绑定成功');

    await switchUser(page, 'supplier2');
    await page.getByRole('button', { name: '首页' }).click();
    await page.getByRole('button', { name: '绑定个人证书' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('该证书已绑定账号“张三（供应商）”，账号和CA只能一对一绑定');
    expect((await mallApi(mall, 'supplier2', 'GET', '/api/binding')).body.binding).toBeNull();
    await shot(page, '21-binding-refused');

    await switchUser(page, 'supplier');
    await page.getByRole('button', { name: '首页' }).click();
    await page.getByRole('button', { name: '解绑' }).click();
    // 解绑 asks first.
    expect(await answerAsk(page)).toContain('确认解绑个人证书');
    await expect.poll(() => message(page)).toContain('已解绑个人证书');
    expect((await mallApi(mall, 'supplier', 'GET', '/api/binding')).body.binding).toBeNull();

    await switchUser(page, 'supplier2');
    await page.getByRole('button', { name: '首页' }).click();
    await page.getByRole('button', { name: '绑定个人证书' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('绑定成功');
    const { binding } = (await mallApi(mall, 'supplier2', 'GET', '/api/binding')).body as { binding: { fingerprint: string } };
    const personal = fx.tokens.find((t) => t.key === 'supplier')?.certs.find((c) => c.role === 'personal');
    expect(binding.fingerprint).toBe(personal?.fingerprintSha256);
  }, 90_000);

  it('rejects a filing whose PDF was modified after sealing, and accepts the unmodified one', async () => {
    const { page, mall } = stack;
    await switchUser(page, 'supplier');
    await openContract(page, 'DD20250001');
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => contractState(page)).toBe('供应商已盖章');
    await switchUser(page, 'buyer');
    await openContract(page, 'DD20250001');
    await page.getByRole('button', { name: '签章（甲方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="buyer-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => contractState(page), { timeout: 30_000 }).toBe('已备案');

    const pdf = Buffer.from(await (await fetch(`${mall.url}/api/contracts/${sealedId}/pdf`, { headers: { cookie: 'mall_user=buyer' } })).arrayBuffer());
    const ranges = [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map((m) => m.slice(1, 5).map(Number));
    expect(ranges).toHaveLength(2);
    const filing = (bytes: Buffer): Filing => ({ contractNo: 'HT-DD20250001', mode: 'online', supplierName: '河南示例科技有限公司', buyerName: '郑州市第一中学', pdf: bytes.toString('base64') });

    const accepted = await postFiling(filing(pdf));
    expect(accepted).toMatchObject({ status: 201, body: { accepted: true } });

    // A byte of the contract text, inside the first range of every signature.
    const early = Buffer.from(pdf);
    const at = Math.floor((ranges[0]?.[1] ?? 0) / 2);
    early[at] = (early[at] ?? 0) ^ 0x01;
    const rejected = await postFiling(filing(early));
    expect(rejected.status).toBe(422);
    expect(rejected.body.accepted).toBe(false);
    expect(rejected.body.reason).toMatch(/^第 1 个签章验证失败：.*被修改/);

    // A byte after the buyer's /Contents: only the last signature covers it.
    const late = Buffer.from(pdf);
    const [, , lastStart = 0] = ranges[1] ?? [];
    const tail = lastStart + 10;
    late[tail] = (late[tail] ?? 0) ^ 0x01;
    const rejectedLate = await postFiling(filing(late));
    expect(rejectedLate.status).toBe(422);
    expect(rejectedLate.body.reason).toMatch(/^第 2 个签章验证失败：.*被修改/);

    const { filings } = (await (await fetch(`${mall.receiverUrl}/filings`)).json()) as { filings: Array<{ status: string }> };
    expect(filings.map((f) => f.status)).toEqual(['accepted', 'accepted', 'rejected', 'rejected']);
  }, 90_000);

  it('shows USER_CANCELLED with its remedy when the PIN dialog is cancelled, and changes nothing', async () => {
    const { page, mall } = stack;
    pendingId = await toPendingSeal(mall, 2, '12500.00');
    // A fresh assistant where the pages expect it: no token logged in, no PIN left to type.
    await stack.assistant.stop();
    stack.assistant = await startAssistant(fx, mall.url, [], stack.assistant.port);
    await switchUser(page, 'supplier');
    await openContract(page, 'DD20250002');
    const before = await pdfDigest(pendingId);
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    const error = page.locator('#error[data-reason="USER_CANCELLED"]');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toBe('您已取消操作\n处理办法：如需继续，请重新点击【签章】，并在互认助手窗口中输入 CA 密码。');
    expect(await page.locator('[data-seal]').count()).toBe(0);
    expect(await contractState(page)).toBe('待盖章');
    expect((await mallApi(mall, 'supplier', 'GET', `/api/contracts/${pendingId}`)).body).toMatchObject({ state: 'pending_seal', seals: [] });
    expect(await pdfDigest(pendingId)).toBe(before);
    await shot(page, '22-pin-cancelled');
  }, 60_000);

  // Last: the SDK's launch attempt (ca-assistant://) leaves Chromium's external-protocol prompt over the tab.
  it('shows the Chinese "not running" message with what to do when the assistant is stopped', async () => {
    const { page } = stack;
    await stack.assistant.stop();
    const before = await pdfDigest(pendingId);
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    const error = page.locator('#error[data-reason="NOT_RUNNING"]');
    await error.waitFor({ timeout: 40_000 });
    expect(await error.textContent()).toBe('未连接到互认助手\n处理办法：请先启动互认助手（桌面图标“互认助手”）；如未安装，请下载安装后重试。');
    expect(await page.locator('[data-seal]').count()).toBe(0);
    expect(await pdfDigest(pendingId)).toBe(before);
    await shot(page, '23-assistant-not-running');
  }, 90_000);
});
