/**
 * The reference mall's HTTP API without a browser: return reasons and 已退回,
 * attachments opened and removed, the PDF's file name, one amount format,
 * 【工具下载】 naming the installers electron-builder.yml produces, and the
 * 监管系统's readable filings page. Malformed input is refused in Chinese.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMall, type RunningMall } from '../../examples/mall/server.js';
import { mallApi, sendDraft } from './harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
const builder = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as { productName: string; nsis: { artifactName: string }; appImage: { artifactName: string } };
/** An electron-builder artifactName with its macros filled. */
const artifact = (pattern: string, arch: string, ext: string): string => pattern.replace('${productName}', builder.productName).replace('${version}', VERSION).replace('${arch}', arch).replace('${ext}', ext);
const EXE = artifact(builder.nsis.artifactName, 'x64', 'exe');

let mall: RunningMall;
const downloads = mkdtempSync(join(tmpdir(), 'mall-downloads-'));

beforeAll(async () => {
  writeFileSync(join(downloads, EXE), Buffer.from('MZ fake installer'));
  writeFileSync(join(downloads, 'secret.txt'), 'not an installer');
  mall = await startMall({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'mall-api-')), assistantUrl: 'ws://127.0.0.1:9/', trustAnchors: [], downloadsDir: downloads });
}, 60_000);
afterAll(async () => mall?.close());

type Contract = { state: string; stateLabel: string; returned: boolean; returnReason: string | null; documentName: string; attachments: Array<{ id: number; name: string; url: string }>; history: Array<{ action: string }> };
const contract = async (id: number, user: 'supplier' | 'buyer' = 'supplier'): Promise<Contract> => (await mallApi(mall, user, 'GET', `/api/contracts/${id}`)).body as unknown as Contract;

describe('退回合同到草稿 and 修改', () => {
  it('carries an optional reason to the supplier and marks the draft 已退回 until it is sent again', async () => {
    const id = await sendDraft(mall, 1);
    expect((await mallApi(mall, 'buyer', 'POST', `/api/contracts/${id}/return`, { reason: '  交货地点请写明校区  ' })).status).toBe(200);
    expect(await contract(id)).toMatchObject({ state: 'draft', stateLabel: '已退回', returned: true, returnReason: '交货地点请写明校区' });
    const { orders } = (await mallApi(mall, 'supplier', 'GET', '/api/orders')).body as { orders: Array<{ contractId: number; stateLabel: string }> };
    expect(orders.find((o) => o.contractId === id)?.stateLabel).toBe('已退回');
    expect((await contract(id)).history.at(-1)?.action).toBe('退回合同到草稿，原因：交货地点请写明校区');
    expect((await mallApi(mall, 'supplier', 'POST', `/api/contracts/${id}/send`)).status).toBe(200);
    expect(await contract(id)).toMatchObject({ stateLabel: '待确认', returned: false, returnReason: null });
    // 修改 by the buyer: 已退回 too, with or without a reason.
    expect((await mallApi(mall, 'buyer', 'PUT', `/api/contracts/${id}`, { fields: { deliveryPlace: '东校区' } })).status).toBe(200);
    expect(await contract(id)).toMatchObject({ stateLabel: '已退回', returnReason: null });
  });

  it('refuses a reason that is not text or is too long', async () => {
    const id = await sendDraft(mall, 2);
    for (const reason of [123, { a: 1 }, ['x'], 'x'.repeat(501)]) {
      const r = await mallApi(mall, 'buyer', 'POST', `/api/contracts/${id}/return`, { reason });
      expect(r.status).toBe(400);
      expect(String(r.body.error)).toMatch(/^退回原因/);
    }
    expect((await mallApi(mall, 'buyer', 'PUT', `/api/contracts/${id}`, { fields: {}, reason: 7 })).status).toBe(400);
    expect((await contract(id, 'buyer')).state).toBe('pending_confirm');
  });
});

describe('attachments, amounts and the PDF name', () => {
  let id: number;
  beforeAll(async () => {
    // Order 2's contract, left 待确认 by the test above.
    const { contracts } = (await mallApi(mall, 'buyer', 'GET', '/api/contracts?state=pending_confirm')).body as { contracts: Array<{ id: number }> };
    id = contracts[0]?.id ?? 0;
  });

  it('opens an uploaded attachment as a download, never as a mall page, and removes it', async () => {
    const data = Buffer.from('<html><script>alert(1)</script></html>');
    expect((await mallApi(mall, 'buyer', 'POST', `/api/contracts/${id}/attachments`, { name: '线下合同扫描件.html', mime: 'text/html', data: data.toString('base64') })).status).toBe(200);
    const [a] = (await contract(id, 'buyer')).attachments;
    expect(a?.url).toBe(`/api/contracts/${id}/attachments/${a?.id}`);
    const res = await fetch(`${mall.url}${a?.url}`, { headers: { cookie: 'mall_user=buyer' } });
    expect(Buffer.from(await res.arrayBuffer())).toEqual(data);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    // Another company's account sees nothing of it.
    expect((await fetch(`${mall.url}${a?.url}`, { headers: { cookie: 'mall_user=supplier-gm' } })).status).toBe(404);
    expect((await mallApi(mall, 'supplier', 'DELETE', a?.url ?? '')).status).toBe(403);
    expect((await mallApi(mall, 'buyer', 'DELETE', `/api/contracts/${id}/attachments/999999`)).status).toBe(404);
    expect((await mallApi(mall, 'buyer', 'DELETE', a?.url ?? '')).body).toMatchObject({ removed: '线下合同扫描件.html' });
    expect((await contract(id, 'buyer')).attachments).toEqual([]);
    expect((await fetch(`${mall.url}${a?.url}`, { headers: { cookie: 'mall_user=buyer' } })).status).toBe(404);
  });

  it('writes amounts one way and names the PDF as the assistant\'s dialog does', async () => {
    const tooMuch = await mallApi(mall, 'buyer', 'POST', `/api/contracts/${id}/confirm`, { paymentMethod: '国库集中支付', paymentAmount: '999999', online: true });
    expect(tooMuch.body.error).toBe('支付金额不能超过合同金额 12,500.00 元');
    expect((await mallApi(mall, 'buyer', 'POST', `/api/contracts/${id}/confirm`, { paymentMethod: '国库集中支付', paymentAmount: '12500', online: true })).status).toBe(200);
    const c = await contract(id, 'buyer');
    expect(c.history.at(-1)?.action).toContain('国库集中支付 12,500.00 元');
    expect(c.documentName).toBe('政府采购合同（HT-DD20250002）.pdf');
    const res = await fetch(`${mall.url}/api/contracts/${id}/pdf`, { headers: { cookie: 'mall_user=buyer' } });
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? '')).toBe(c.documentName);
    expect(disposition).toMatch(/filename="contract-HT-DD20250002\.pdf"/);
  });
});

describe('【操作指南】→【工具下载】', () => {
  it('lists the installers under the names electron-builder.yml gives them, serving those present', async () => {
    const { version, installers } = (await mallApi(mall, 'supplier', 'GET', '/api/downloads')).body as { version: string; installers: Array<{ file: string; available: boolean; url: string; size?: number }> };
    expect(version).toBe(VERSION);
    expect(installers.map((i) => i.file)).toEqual([EXE, `ca-assistant_${VERSION}_amd64.deb`, artifact(builder.appImage.artifactName, 'x86_64', 'AppImage')]);
    expect(installers.map((i) => i.available)).toEqual([true, false, false]);
    const exe = await fetch(`${mall.url}${installers[0]?.url}`);
    expect(Buffer.from(await exe.arrayBuffer()).toString()).toBe('MZ fake installer');
    expect((await fetch(`${mall.url}${installers[1]?.url}`)).status).toBe(404);
  });

  it('serves nothing but the listed names', async () => {
    for (const path of ['/downloads/secret.txt', '/downloads/..%2F..%2Fpackage.json', '/downloads/%E0%A4%A', `/downloads/${encodeURIComponent(`../${EXE}`)}`]) {
      const res = await fetch(`${mall.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(/下载/);
    }
  });
});

describe('监管系统 filings page', () => {
  it('shows people a Chinese page (escaped) and programs the JSON', async () => {
    const { id } = (await mallApi(mall, 'supplier-gm', 'POST', '/api/orders/3/contract')).body as { id: number };
    const hostile = '<img src=x onerror=alert(1)>';
    await mallApi(mall, 'supplier-gm', 'PUT', `/api/contracts/${id}`, { fields: { contractNo: hostile, deliveryPlace: '郑州', deliveryDate: '2025年12月31日前', terms: '一、交付。' } });
    await mallApi(mall, 'supplier-gm', 'POST', `/api/contracts/${id}/send`);
    expect((await mallApi(mall, 'buyer', 'POST', `/api/contracts/${id}/confirm`, { paymentMethod: '银行转账', paymentAmount: '100', online: false })).status).toBe(200);
    const html = await (await fetch(`${mall.receiverUrl}/filings`, { headers: { accept: 'text/html,application/xhtml+xml' } })).text();
    expect(html).toContain('合同备案记录');
    expect(html).toMatch(/线下盖章[\s\S]*已备案/);
    expect(html).not.toContain(hostile);
    expect(html).toContain('&#60;img src=x');
    expect(html).not.toMatch(/contractNo|receivedAt/);
    expect(html).toContain('href="/filings?format=json"');
    const json = (await (await fetch(`${mall.receiverUrl}/filings?format=json`, { headers: { accept: 'text/html' } })).json()) as { filings: Array<{ contractNo: string; status: string }> };
    expect(json.filings.at(-1)).toMatchObject({ contractNo: hostile, status: 'accepted' });
    expect(((await (await fetch(`${mall.receiverUrl}/filings`)).json()) as { filings: unknown[] }).filings.length).toBe(json.filings.length);
  });
});
