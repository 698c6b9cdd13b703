/**
 * sign.mobile over the real WebSocket API against the real 公采易通 stand-in,
 * with a scripted assistant window (clicks) and a phone in Node. The QR
 * dialog's states, the page's request.progress events, the audit record, and
 * every refusal: expiry and refresh, a second phone, a rejection, a service that
 * hands the phone another hash, a wrong seal, the service down / slow / talking
 * nonsense, 取消 in the assistant, the page going away, bad params.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startMobileSign, type RunningMobileSign } from '../../examples/mobile-sign/server.js';
import { MobileServiceClient } from '../../src-agent/service/mobile-client.js';
import { MobileSigning } from '../../src-agent/service/mobile-signing.js';
import { useFixtures } from '../helpers/fixtures.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from '../agent/api/harness.js';
import { NodePhone } from './node-phone.js';
import { demoAccount, PHONE_PIN } from './phone.js';

const fx = await useFixtures();
const account = demoAccount();
let service: RunningMobileSign;
let h: Harness;
let phone: NodePhone;
let mobileConfig: { serviceUrl: string; trustAnchors: string[]; sessionSeconds: number };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sign-mobile-'));
  service = await startMobileSign({ port: 0, dataDir: join(dir, 'svc'), accounts: [account, demoAccount('13800000002', '王五')] });
  mobileConfig = { serviceUrl: service.url, trustAnchors: [service.caFile], sessionSeconds: 120 };
  h = await startHarness(fx, await makeConfig(fx, { mobileSigning: mobileConfig }, join(dir, 'agent')));
  phone = new NodePhone(service.url);
  await phone.enrol(account, PHONE_PIN);
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await service?.close();
});

const HASH = createHash('sha256').update('政府采购合同').digest();
const params = (extra: Record<string, unknown> = {}) => ({ hash: HASH.toString('base64'), hashAlgorithm: 'sha256', format: 'cms', sealKind: 'organization', document: { name: '政府采购合同-0012.pdf' }, ...extra });
const sessions = (): number => (service.store.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
const lastSession = () => service.store.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as { state: string; hash: string };
/** Signature records and refused-attempt records (kept apart since issue 15), oldest first. */
const audit = (): Record<string, unknown>[] => ['audit.jsonl', 'refused.jsonl']
  .flatMap((f) => { try { return readFileSync(join(h.dataDir, 'audit', f), 'utf8').trim().split('\n').filter(Boolean); } catch { return []; } })
  .map((l) => JSON.parse(l) as Record<string, unknown>)
  .sort((a, b) => String(a.time).localeCompare(String(b.time)));
const until = async (what: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('sign.mobile', () => {
  it('signs with the 单位公章 on the phone: QR dialog, progress to the page, verified CMS, seal image, audit, notice', async () => {
    const page = await Client.open(h.server.port, MALL);
    const dialogOpened = h.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params());
    const dialog = await dialogOpened;
    expect(dialog.request).toMatchObject({ origin: MALL, documentName: '政府采购合同-0012.pdf', sealKind: 'organization' });
    expect(dialog.request.fingerprint).toBe(HASH.subarray(0, 8).toString('hex').toUpperCase().replace(/(.{4})(?=.)/g, '$1 '));
    await until(() => dialog.qrs.length === 1);
    const scanned = await phone.scan(dialog.qrs[0]!.text);
    expect(scanned.fingerprint).toBe(dialog.request.fingerprint);
    await until(() => dialog.states.some((s) => s.kind === 'scanned'));
    expect(dialog.states).toContainEqual({ kind: 'scanned', name: '张三' });
    await phone.sign(dialog.qrs[0]!.text, scanned, PHONE_PIN);
    const r = await reply;
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({ format: 'cms', signatureAlgorithm: 'ecdsa-with-SHA256', sealKind: 'organization', seal: { mime: 'image/png', widthMm: 42 } });
    expect(Buffer.from(String((r.result?.seal as { image: string }).image), 'base64').equals(account.seals.organization.image)).toBe(true);
    expect(dialog.states.at(-1)).toEqual({ kind: 'signed' });
    expect(page.events.filter((e) => e.method === 'request.progress').map((e) => e.params)).toEqual([
      { id: 1, state: 'waiting-mobile-scan' },
      { id: 1, state: 'waiting-mobile-confirm' },
    ]);
    expect(audit().at(-1)).toMatchObject({ origin: MALL, method: 'sign.mobile', certId: 'mobile:organization', hash: HASH.toString('hex'), result: 'ok', documentName: '政府采购合同-0012.pdf' });
    expect(String(audit().at(-1)?.certFingerprintSha256)).toMatch(/^[0-9a-f]{64}$/);
    expect(h.ui.notices.at(-1)).toMatchObject({ kind: 'signed', origin: MALL, certSubject: expect.stringContaining('某某科技有限公司') });
    page.close();
  });

  it('after the QR expires, 刷新二维码 shows a new one that the phone signs', async () => {
    service.tune({ ttlMs: 1200 });
    onTestFinished(() => service.tune({ ttlMs: 120_000 }));
    const page = await Client.open(h.server.port, MALL);
    const opened = h.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params({ sealKind: 'personal' }));
    const dialog = await opened;
    await until(() => dialog.states.some((s) => s.kind === 'expired'));
    // The event crosses the WebSocket after the dialog changed.
    await until(() => page.events.some((e) => (e.params as { state?: string }).state === 'mobile-qr-expired'));
    expect(page.events.filter((e) => e.method === 'request.progress').map((e) => (e.params as { state: string }).state)).toEqual(['waiting-mobile-scan', 'mobile-qr-expired']);
    await expect(phone.scan(dialog.qrs[0]!.text)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    service.tune({ ttlMs: 120_000 });
    dialog.click('refresh');
    await until(() => dialog.qrs.length === 2);
    expect(dialog.qrs[1]!.text).not.toBe(dialog.qrs[0]!.text);
    const scanned = await phone.scan(dialog.qrs[1]!.text);
    await phone.sign(dialog.qrs[1]!.text, scanned, PHONE_PIN);
    expect((await reply).result).toMatchObject({ sealKind: 'personal' });
    page.close();
  });

  it('a second phone scanning the same QR is refused; the first one signs', async () => {
    const other = new NodePhone(service.url);
    await other.enrol(demoAccount('13800000002', '王五'), PHONE_PIN);
    const page = await Client.open(h.server.port, MALL);
    const opened = h.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params());
    const dialog = await opened;
    await until(() => dialog.qrs.length === 1);
    const qr = dialog.qrs[0]!.text;
    const scanned = await phone.scan(qr);
    await expect(other.scan(qr)).rejects.toMatchObject({ code: 'SESSION_TAKEN', message: '该二维码已被其他手机扫描，不能重复使用' });
    await phone.sign(qr, scanned, PHONE_PIN);
    expect((await reply).error).toBeUndefined();
    // The assistant may poll too late to see 'scanned' at all; it never names the second phone's user.
    expect(dialog.states.filter((s) => s.kind === 'scanned' && s.name !== '张三')).toEqual([]);
    page.close();
  });

  it('the phone rejects: MOBILE_REJECTED, shown in the dialog, audited', async () => {
    const page = await Client.open(h.server.port, MALL);
    const opened = h.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params());
    const dialog = await opened;
    await until(() => dialog.qrs.length === 1);
    await phone.scan(dialog.qrs[0]!.text);
    await phone.reject(dialog.qrs[0]!.text);
    const r = await reply;
    expect(reasonOf(r)).toBe('MOBILE_REJECTED');
    expect(r.error?.message).toBe('您已在手机上拒绝签章');
    expect(dialog.states.at(-1)).toEqual({ kind: 'rejected' });
    expect(audit().at(-1)).toMatchObject({ method: 'sign.mobile', result: 'MOBILE_REJECTED' });
    page.close();
  });

  it('refuses a signature over another hash than requested (the service swapped it)', async () => {
    service.tune({ tamperHash: (hash) => createHash('sha256').update(hash).digest() });
    try {
      const page = await Client.open(h.server.port, MALL);
      const opened = h.ui.nextMobileDialog();
      const reply = page.call('sign.mobile', params());
      const dialog = await opened;
      await until(() => dialog.qrs.length === 1);
      const scanned = await phone.scan(dialog.qrs[0]!.text);
      expect(scanned.fingerprint).not.toBe(dialog.request.fingerprint);
      await phone.sign(dialog.qrs[0]!.text, scanned, PHONE_PIN);
      const r = await reply;
      expect(reasonOf(r)).toBe('MOBILE_SIGNATURE_INVALID');
      expect(r.error?.data.detailZh).toBe('手机签署的不是本文件的摘要（签名中的摘要与互认助手请求的不一致）');
      expect(r.result).toBeUndefined();
      expect(dialog.states.at(-1)).toMatchObject({ kind: 'failed', textZh: expect.stringContaining('手机签署的不是本文件的摘要') });
      expect(audit().at(-1)).toMatchObject({ method: 'sign.mobile', result: 'MOBILE_SIGNATURE_INVALID' });
      page.close();
    } finally {
      service.tune({ tamperHash: undefined });
    }
  });

  it('refuses a 个人签章 where the 单位公章 was asked for', async () => {
    const page = await Client.open(h.server.port, MALL);
    const opened = h.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params());
    const dialog = await opened;
    await until(() => dialog.qrs.length === 1);
    const scanned = await phone.scan(dialog.qrs[0]!.text);
    await phone.sign(dialog.qrs[0]!.text, scanned, PHONE_PIN, 'personal');
    expect(reasonOf(await reply)).toBe('MOBILE_WRONG_SEAL_KIND');
    page.close();
  });

  it('取消 in the assistant ends the request USER_CANCELLED and the session at the service', async () => {
    const page = await Client.open(h.server.port, MALL);
    const opened = h.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params());
    const dialog = await opened;
    await until(() => dialog.qrs.length === 1);
    dialog.click('cancel');
    expect(reasonOf(await reply)).toBe('USER_CANCELLED');
    await until(() => lastSession().state === 'cancelled');
    await expect(phone.scan(dialog.qrs[0]!.text)).rejects.toMatchObject({ code: 'SESSION_USED' });
    page.close();
  });

  it('the page going away closes the dialog and cancels the session', async () => {
    const page = await Client.open(h.server.port, MALL);
    const opened = h.ui.nextMobileDialog();
    void page.call('sign.mobile', params()).catch(() => undefined);
    const dialog = await opened;
    await until(() => dialog.qrs.length === 1);
    page.close();
    await until(() => !dialog.open && lastSession().state === 'cancelled');
    await until(() => audit().at(-1)?.result === 'USER_CANCELLED');
  });

  it.each([
    ['down', async () => ({ url: 'http://127.0.0.1:9', close: async () => undefined }), 'MOBILE_SERVICE_UNAVAILABLE', '无法连接移动签服务'],
    ['slow', () => fakeService((_q, _s) => undefined), 'MOBILE_SERVICE_UNAVAILABLE', '移动签服务响应超时'],
    ['not JSON', () => fakeService((_q, res) => res.end('<html>')), 'MOBILE_SERVICE_ERROR', '移动签服务的应答格式不正确'],
    ['a wrong shape', () => fakeService((_q, res) => res.end(JSON.stringify({ sessionId: 1, qr: null }))), 'MOBILE_SERVICE_ERROR', '移动签服务的应答格式不正确'],
    ['a 500', () => fakeService((_q, res) => { res.statusCode = 500; res.end('{}'); }), 'MOBILE_SERVICE_UNAVAILABLE', '移动签服务暂时不可用（500）'],
    ['too much', () => fakeService((_q, res) => res.end('x'.repeat(5 * 1024 * 1024))), 'MOBILE_SERVICE_ERROR', '移动签服务的应答格式不正确'],
  ])('a service that is %s: a clear reason, never INTERNAL, and no QR', async (_what, start, reason, detail) => {
    const fake = await start();
    const saved = h.core.mobile;
    h.core.mobile = new MobileSigning({ ...mobileConfig, serviceUrl: fake.url }, new MobileServiceClient(fake.url, 500));
    try {
      const page = await Client.open(h.server.port, MALL);
      const r = await page.call('sign.mobile', params());
      expect(reasonOf(r)).toBe(reason);
      expect(r.error?.data.detailZh).toBe(detail);
      expect(h.ui.mobileDialogs.at(-1)?.qrs).toEqual([]);
      page.close();
    } finally {
      h.core.mobile = saved;
      await fake.close();
    }
  });

  it('without mobileSigning in the config: MOBILE_NOT_CONFIGURED (audited)', async () => {
    const saved = h.core.mobile;
    delete h.core.mobile;
    try {
      const page = await Client.open(h.server.port, MALL);
      const r = await page.call('sign.mobile', params());
      expect(reasonOf(r)).toBe('MOBILE_NOT_CONFIGURED');
      expect(audit().at(-1)).toMatchObject({ method: 'sign.mobile', result: 'MOBILE_NOT_CONFIGURED' });
      page.close();
    } finally {
      h.core.mobile = saved;
    }
  });

  it.each([
    ['sm3', { hashAlgorithm: 'sm3' }],
    ['raw format', { format: 'raw' }],
    ['a certId', { certId: 'tk-1.abc' }],
    ['an unknown seal kind', { sealKind: 'unknown' }],
    ['no seal kind', { sealKind: undefined }],
    ['a hash of the wrong length', { hash: Buffer.alloc(20).toString('base64') }],
    ['a hash that is not base64', { hash: '!!!!' }],
    ['a document name with bidi controls', { document: { name: '合同\u202egpj.pdf' } }],
    ['an extra field', { serviceUrl: 'http://evil.example' }],
  ])('refuses %s with BAD_REQUEST, opening nothing', async (_what, extra) => {
    const before = { sessions: sessions(), dialogs: h.ui.mobileDialogs.length };
    const page = await Client.open(h.server.port, MALL);
    const r = await page.call('sign.mobile', JSON.parse(JSON.stringify(params(extra))));
    expect(reasonOf(r)).toBe('BAD_REQUEST');
    expect({ sessions: sessions(), dialogs: h.ui.mobileDialogs.length }).toEqual(before);
    page.close();
  });
});

async function fakeService(handle: (req: unknown, res: import('node:http').ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
