/**
 * The online flow with a 国密 supplier, in real Chromium against a real
 * assistant process: the supplier's unit key is SM2 on the software SKF key
 * (signing + encryption certificate pair), the buyer's is RSA on SoftHSM. As
 * the manual orders it, the supplier seals first (SM3 digest, SM2 CMS with the
 * seal image), then the buyer binds the personal certificate, seals 甲方公章
 * and 甲方代表 and 确认签章; the 监管系统 verifies every signature (SM2 with
 * sm-crypto-v2, independently of the assistant) and accepts the contract.
 * A CMS with a flipped signature byte is refused by the mall, both CMS
 * profiles (RFC 5652 and GM/T 0010) are accepted, and a tampered PDF is
 * rejected by the receiver. pdfsig cannot check SM2: it is asked only about
 * what it can tell (fields, byte ranges, the RSA signatures).
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificates } from '../../examples/mall/cms/verify-cms.js';
import { verifyPdfSignatures } from '../../examples/mall/receiver/verify-pdf.js';
import { makeSm2Fixtures, type Sm2Fixtures } from '../fixtures/sm2-fixtures.js';
import { useFixtures } from '../helpers/fixtures.js';
import { ARTIFACTS, answerAsk, contractState, mallApi, message, openContract, shot, startStack, switchUser, toPendingSeal, type Stack } from './harness.js';

const fx = await useFixtures();
const gmDir = await mkdtemp(join(tmpdir(), 'mall-sm2-'));
const gm: Sm2Fixtures = await makeSm2Fixtures(gmDir);
const purchaserPin = fx.tokens.find((t) => t.key === 'purchaser')?.userPin ?? '';
const GM_ORDER = 3;
const GM_ORDER_NO = 'DD20250003';
let stack: Stack;
let contractId: number;

beforeAll(async () => {
  // One login per key: the SKF key for the supplier, then the buyer's SoftHSM token (binding, then seals).
  stack = await startStack(fx, [gm.userPin, purchaserPin], gm);
  contractId = await toPendingSeal(stack.mall, GM_ORDER, '56000.00', 'supplier-gm');
}, 90_000);
afterAll(async () => {
  await stack?.stop();
  await rm(gmDir, { recursive: true, force: true });
});

type Sdk = typeof import('../../sdk/src/index.js');
type Client = Awaited<ReturnType<Sdk['connect']>>;
type ListedCert = Awaited<ReturnType<Client['listCerts']>>[number];

/**
 * Runs `use` in the mall's page on an SDK client of its own (the page's origin is the one the
 * assistant trusts). `use` travels as source text, so it may refer to nothing but its arguments.
 */
function withClient<A, R>(use: (client: Client, arg: A) => Promise<R>, arg: A): Promise<R> {
  return stack.page.evaluate(async ({ src, arg: a }) => {
    // A dynamic import written out here would be rewritten by vitest's transform; the page must do its own.
    const load = new Function('u', 'return import(u)') as (u: string) => Promise<Sdk>;
    const sdk = await load('/sdk/ca-assistant-sdk.js');
    const { assistantUrl } = (await (await fetch('/api/session')).json()) as { assistantUrl: string };
    const client = await sdk.connect({ url: assistantUrl, client: 'sm2-flow-test' });
    try {
      return await (new Function(`return ${src}`)() as typeof use)(client, a as A);
    } finally {
      client.close();
    }
  }, { src: use.toString(), arg });
}

const listOrgCerts = (): Promise<ListedCert[]> => withClient((c) => c.listCerts({ kind: 'organization' }), null);

/** sign.hash through the SDK from the mall's page; returns the CMS (base64). */
const signOnPage = (certId: string, hash: string, profile: 'cms' | 'gmt0010'): Promise<string> =>
  withClient(async (c, a) => (await c.signHash({ certId: a.certId, hash: a.hash, hashAlgorithm: 'sm3', profile: a.profile, document: { name: '国密测试合同.pdf' } })).signature, { certId, hash, profile });

type Asn1 = forge.asn1.Asn1;
const kids = (n: Asn1 | undefined): Asn1[] => (Array.isArray(n?.value) ? (n.value as Asn1[]) : []);

/** The CMS with one byte of the SignerInfo's signature value (the SM2 `s`) flipped. */
function flipSignatureByte(cms: Buffer): Buffer {
  const ci = forge.asn1.fromDer(forge.util.createBuffer(cms.toString('binary')), { decodeBitStrings: false } as unknown as boolean);
  const signedData = kids(kids(ci)[1])[0];
  const signerInfo = kids(kids(signedData).at(-1))[0];
  const signature = Buffer.from(String(kids(signerInfo).at(-1)?.value), 'binary');
  expect(signature[0]).toBe(0x30); // DER SEQUENCE { r, s }
  const at = cms.lastIndexOf(signature) + signature.length - 3;
  const out = Buffer.from(cms);
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
}

/** A JSON-RPC frame with any `result.certs` reordered so that certificates that cannot sign come first. */
function encryptionFirst(frame: string): string {
  const msg = JSON.parse(frame) as { result?: { certs?: Array<{ keyUsage: string[] }> } };
  const signs = (c: { keyUsage: string[] }): number => Number(c.keyUsage.includes('digitalSignature'));
  if (!Array.isArray(msg.result?.certs)) return frame;
  msg.result.certs.sort((x, y) => signs(x) - signs(y));
  return JSON.stringify(msg);
}

const oids = (cms: Buffer): string => execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: cms, encoding: 'utf8' });

async function contractPdf(user: 'supplier-gm' | 'buyer'): Promise<Buffer> {
  const res = await fetch(`${stack.mall.url}/api/contracts/${contractId}/pdf`, { headers: { cookie: `mall_user=${user}` } });
  return Buffer.from(await res.arrayBuffer());
}

const trust = (): { anchors: X509Certificate[]; intermediates: X509Certificate[] } => ({
  anchors: [...parseCertificates(readFileSync(fx.rootCa)), ...parseCertificates(Buffer.from(gm.rootPem))],
  intermediates: parseCertificates(readFileSync(fx.intermediateCa)),
});

describe('reference mall online flow with a 国密 SM2 supplier', () => {
  it('lists the SM2 signing and encryption certificates, with keyUsage telling them apart', async () => {
    await switchUser(stack.page, 'supplier-gm');
    const mine = (await listOrgCerts()).filter((c) => c.subject.includes('O=郑州国密科技有限公司'));
    expect(mine).toHaveLength(2);
    expect(mine.map((c) => c.keyAlgorithm)).toEqual(['SM2', 'SM2']);
    const signing = mine.find((c) => Buffer.from(c.der, 'base64').equals(gm.signCertDer));
    const encryption = mine.find((c) => Buffer.from(c.der, 'base64').equals(gm.encCertDer));
    expect(signing?.keyUsage).toEqual(expect.arrayContaining(['digitalSignature', 'nonRepudiation']));
    expect(encryption?.keyUsage).not.toContain('digitalSignature');
    expect(encryption?.keyUsage).not.toContain('nonRepudiation');
  });

  it('hands out an SM3 hash for the SM2 certificate, refuses a flipped signature byte, accepts both CMS profiles', async () => {
    const { mall } = stack;
    const cert = (await listOrgCerts()).find((c) => Buffer.from(c.der, 'base64').equals(gm.signCertDer)) as ListedCert;
    const prepare = async (): Promise<{ pendingId: string; hash: string; hashAlgorithm: string; keyAlgorithm: string }> => {
      const r = await mallApi(mall, 'supplier-gm', 'POST', `/api/contracts/${contractId}/seals/prepare`, {
        position: 'supplier-company', certificate: gm.signCertDer.toString('base64'), image: gm.sealPng.toString('base64'), widthMm: 40, heightMm: 40,
      });
      expect(r.status).toBe(200);
      return r.body as { pendingId: string; hash: string; hashAlgorithm: string; keyAlgorithm: string };
    };
    const before = await contractPdf('supplier-gm');
    const prep = await prepare();
    expect(prep).toMatchObject({ hashAlgorithm: 'sm3', keyAlgorithm: 'SM2' });

    const pending = await signOnPage(cert.id, prep.hash, 'cms');
    const cms = Buffer.from(pending, 'base64');
    expect(oids(cms)).toMatch(/:sm3\n/);
    const flipped = await mallApi(mall, 'supplier-gm', 'POST', `/api/contracts/${contractId}/seals/complete`, { pendingId: prep.pendingId, signature: flipSignatureByte(cms).toString('base64') });
    expect(flipped.status).toBe(400);
    expect(flipped.body.error).toBe('签名验证失败：签名值验证失败');
    expect(await contractPdf('supplier-gm')).toEqual(before);

    // GM/T 0010 content types and sm2-1 as signature algorithm: accepted and embedded.
    const gmCms = Buffer.from(await signOnPage(cert.id, prep.hash, 'gmt0010'), 'base64');
    const asn1 = oids(gmCms);
    expect(asn1).toContain(':1.2.156.10197.6.1.4.2.2');
    expect(asn1).toContain(':1.2.156.10197.1.301.1');
    const done = await mallApi(mall, 'supplier-gm', 'POST', `/api/contracts/${contractId}/seals/complete`, { pendingId: prep.pendingId, signature: gmCms.toString('base64') });
    expect(done.status).toBe(200);
    expect((done.body.seals as Array<{ keyAlgorithm: string }>)[0]?.keyAlgorithm).toBe('SM2');

    // The receiver's verifier reads the GM/T 0010 seal the same way: SM2 over SM3 of the byte range, chained to the SM2 root.
    const sealed = await contractPdf('supplier-gm');
    const [check] = verifyPdfSignatures(sealed, trust());
    expect(check).toMatchObject({ valid: true, keyAlgorithm: 'SM2', digestAlgorithm: 'sm3', organization: gm.org.name, coversWholeDocument: true, problems: [] });
    // The hash the mall handed out is SM3 over the byte range, computed here independently.
    const [a = 0, b = 0, c = 0, d = 0] = (/\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]/.exec(sealed.toString('latin1')) ?? []).slice(1).map(Number);
    expect(createHash('sm3').update(sealed.subarray(a, b)).update(sealed.subarray(c, c + d)).digest('base64')).toBe(prep.hash);
    // A signature by an SM2 key the mall does not trust: the chain check names it.
    const untrusted = verifyPdfSignatures(sealed, { anchors: parseCertificates(readFileSync(fx.rootCa)), intermediates: [] })[0];
    expect(untrusted?.valid).toBe(false);
    expect(untrusted?.problems).toContain('证书链无法验证到受信任的根证书');
  }, 60_000);

  it('seals through the page with the SM2 signing certificate and says 国密SM2 where it lists the certificate', async () => {
    const { page } = stack;
    // The worst order for the page: every certs.list reply lists the encryption certificate before its signing twin.
    await page.routeWebSocket((url) => url.port === String(stack.assistant.port), (ws) => {
      const server = ws.connectToServer();
      server.onMessage((frame) => ws.send(typeof frame === 'string' ? encryptionFirst(frame) : frame));
    });
    const listed = (await listOrgCerts()).filter((c) => c.subject.includes('O=郑州国密科技有限公司'));
    expect(Buffer.from(listed[0]?.der ?? '', 'base64').equals(gm.encCertDer)).toBe(true);
    await openContract(page, GM_ORDER_NO);
    // Re-seal through the page (重盖): delete the API-made seal, then 签章 picks the signing certificate and SM3.
    await page.locator('[data-seal="supplier-company"] button').click();
    await answerAsk(page);
    await expect.poll(() => message(page)).toContain('已删除签章');
    await page.getByRole('button', { name: '签章（乙方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="supplier-company"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await message(page)).toBe('已在乙方公章位置盖章（国密SM2证书）');
    expect(await page.locator('[data-seal="supplier-company"]').textContent()).toContain('乙方公章：郑州国密科技有限公司（国密SM2证书）');
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '30-sm2-supplier-sealed');
    await page.getByRole('button', { name: '发送' }).click();
    await answerAsk(page);
    await expect.poll(() => contractState(page)).toBe('供应商已盖章');
  }, 60_000);

  it('lets the RSA buyer bind, seal and confirm; the 监管系统 accepts the mixed SM2 + RSA contract', async () => {
    const { page, mall } = stack;
    await switchUser(page, 'buyer');
    await page.getByRole('button', { name: '首页' }).click();
    await page.getByRole('button', { name: '绑定个人证书' }).click();
    await expect.poll(() => message(page), { timeout: 30_000 }).toContain('绑定成功');
    await openContract(page, GM_ORDER_NO);
    await page.getByRole('button', { name: '签章（甲方公章）' }).click();
    await expect.poll(() => page.locator('[data-seal="buyer-company"]').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: '个人签章（甲方代表）' }).click();
    await expect.poll(() => page.locator('[data-seal="buyer-person"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('[data-seal="buyer-company"]').textContent()).toContain('（RSA证书）');
    expect(await page.locator('[data-seal="buyer-person"]').textContent()).toContain('（ECC证书）');
    await page.getByRole('button', { name: '确认签章' }).click();
    await expect.poll(() => contractState(page), { timeout: 30_000 }).toBe('已备案');
    expect(await page.locator('[data-seal="supplier-company"]').textContent()).toContain('（国密SM2证书）');
    await page.locator('img.preview').evaluate((img: HTMLImageElement) => img.decode());
    await shot(page, '31-sm2-filed');

    const { filings } = (await (await fetch(`${mall.receiverUrl}/filings`)).json()) as {
      filings: Array<{ id: number; status: string; signatures: Array<{ organization: string; keyAlgorithm: string; digestAlgorithm: string; valid: boolean }> }>;
    };
    expect(filings).toHaveLength(1);
    expect(filings[0]?.status).toBe('accepted');
    expect(filings[0]?.signatures.map((s) => [s.organization, s.keyAlgorithm, s.digestAlgorithm, s.valid])).toEqual([
      [gm.org.name, 'SM2', 'sm3', true],
      ['郑州市第一中学', 'RSA', 'sha256', true],
      ['郑州市第一中学', 'EC', 'sha256', true], // 李四's personal certificate is ECDSA P-256
    ]);
    const pdf = Buffer.from(await (await fetch(`${mall.receiverUrl}/filings/${filings[0]?.id}/pdf`)).arrayBuffer());
    // The supplier's seal is the signing certificate, never its encryption twin.
    const checks = verifyPdfSignatures(pdf, trust());
    expect(checks[0]?.fingerprintSha256).toBe(createHash('sha256').update(gm.signCertDer).digest('hex'));

    // pdfsig (poppler/NSS) knows no SM2: it lists the three signatures and their ranges, and validates the RSA ones only.
    const file = join(ARTIFACTS, 'sm2-final-contract.pdf');
    writeFileSync(file, pdf);
    const report = execFileSync('pdfsig', [file], { encoding: 'utf8' });
    writeFileSync(join(ARTIFACTS, 'sm2-final-contract.pdfsig.txt'), report);
    const sections = report.split(/Signature #\d+:/).slice(1);
    expect(sections).toHaveLength(3);
    expect(sections[0]).toContain('乙方公章');
    expect(sections[0]).toContain(`Signer Certificate Common Name: ${gm.org.name}`);
    expect(sections[0]).toContain('Signing Hash Algorithm: unknown');
    expect(sections[0]).toMatch(/Signature Validation: (?!Signature is Valid)/);
    expect(sections[1]).toContain('甲方公章');
    expect(sections[1]).toContain('Signature Validation: Signature is Valid.');
    expect(sections[2]).toContain('甲方代表');
    expect(sections[2]).toContain('Signature Validation: Signature is Valid.');
    expect(sections[2]).toContain('Total document signed');
    for (const [i, s] of sections.entries()) {
      const range = /Signed Ranges: \[(\d+) - (\d+)\], \[(\d+) - (\d+)\]/.exec(s);
      expect(range, `signature ${i + 1} ranges`).not.toBeNull();
      expect(Number(range?.[1])).toBe(0);
    }
  }, 120_000);

  it('rejects the contract at the 监管系统 when a byte of it is changed after sealing', async () => {
    const { mall } = stack;
    const pdf = await contractPdf('buyer');
    const firstRangeEnd = Number(/\/ByteRange \[0 (\d+)/.exec(pdf.toString('latin1'))?.[1]);
    const tampered = Buffer.from(pdf);
    const at = Math.floor(firstRangeEnd / 2);
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    const res = await fetch(`${mall.receiverUrl}/filings`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contractNo: `HT-${GM_ORDER_NO}`, mode: 'online', supplierName: gm.org.name, buyerName: '郑州市第一中学', pdf: tampered.toString('base64') }),
    });
    const body = (await res.json()) as { accepted: boolean; reason: string };
    expect(res.status).toBe(422);
    expect(body.accepted).toBe(false);
    expect(body.reason).toMatch(/^第 1 个签章验证失败：文档摘要与签名不符：签名后文档被修改过/);
    // The untouched file still passes: the rejection is the tampering, not the SM2 seal.
    expect(verifyPdfSignatures(pdf, trust()).every((c) => c.valid)).toBe(true);
  });
});
