/** The mall's 公采签 endpoints with bad input: clear Chinese errors, no seal, no change to the PDF. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMall, type RunningMall } from '../../examples/mall/server.js';
import { useFixtures } from '../helpers/fixtures.js';
import { mallApi, toPendingSeal } from '../mall/harness.js';
import { renderSealPng } from '../fixtures/seal-image.js';

const fx = await useFixtures();
let mall: RunningMall;
let dir: string;
let id: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mall-mobile-'));
  mall = await startMall({ port: 0, dataDir: dir, assistantUrl: 'ws://127.0.0.1:1/', trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa] });
  id = await toPendingSeal(mall, 1, '98000.00');
}, 60_000);
afterAll(async () => {
  await mall?.close();
  rmSync(dir, { recursive: true, force: true });
});

const png = renderSealPng('河南示例科技有限公司').toString('base64');
const pdfLength = async (): Promise<number> => (await mallApi(mall, 'supplier', 'GET', `/api/contracts/${id}`)).body.pdfLength as number;

describe('mall 公采签 endpoints', () => {
  it.each([
    ['a bad position', 'supplier', { position: 'everywhere', image: png }, 400, '签章位置无效'],
    ["the buyer's position", 'supplier', { position: 'buyer-company', image: png }, 403, '不能在甲方公章位置盖章'],
    ['a buyer before the supplier', 'buyer', { position: 'buyer-company', image: png }, 409, '供应商尚未完成签章'],
    ['no image', 'supplier', { position: 'supplier-company' }, 400, '印章图片须为 PNG'],
    ['a JPEG', 'supplier', { position: 'supplier-company', image: Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64') }, 400, '印章图片须为 PNG'],
  ] as const)('prepare-mobile refuses %s', async (_what, user, body, status, text) => {
    const before = await pdfLength();
    const r = await mallApi(mall, user, 'POST', `/api/contracts/${id}/seals/prepare-mobile`, body);
    expect(r.status).toBe(status);
    expect(String(r.body.error)).toContain(text);
    expect(await pdfLength()).toBe(before);
  });

  it('complete-mobile refuses an unknown pending seal and a signature that is not a CMS over the hash', async () => {
    const before = await pdfLength();
    expect((await mallApi(mall, 'supplier', 'POST', `/api/contracts/${id}/seals/complete-mobile`, { pendingId: 'nope', signature: 'AAAA' })).body.error).toBe('签章请求已失效，请重新签章');
    const prep = await mallApi(mall, 'supplier', 'POST', `/api/contracts/${id}/seals/prepare-mobile`, { position: 'supplier-company', image: png });
    expect(prep.body).toMatchObject({ hashAlgorithm: 'sha256', sealKind: 'organization' });
    // A phone's pending seal completed with something that is not a CMS over its hash.
    const r = await mallApi(mall, 'supplier', 'POST', `/api/contracts/${id}/seals/complete-mobile`, { pendingId: prep.body.pendingId, signature: Buffer.from('not a cms').toString('base64') });
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toMatch(/^签名验证失败/);
    expect(await pdfLength()).toBe(before);
    expect((await mallApi(mall, 'supplier', 'GET', `/api/contracts/${id}`)).body.seals).toEqual([]);
  });
});
