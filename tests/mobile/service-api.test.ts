/**
 * The 公采易通 stand-in's HTTP API with bad input: every endpoint answers a
 * clear Chinese error with a stable code, and nothing changes (sessions,
 * enrolments). Also the session rules: one-time, first phone wins, expiry.
 */
import { createHash, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMobileSign, type RunningMobileSign } from '../../examples/mobile-sign/server.js';
import { demoAccount } from './phone.js';

const account = demoAccount();
let service: RunningMobileSign;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mobile-api-'));
  service = await startMobileSign({ port: 0, dataDir: join(dir, 'svc'), accounts: [account], ttlMs: 1500 });
});
afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${service.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const count = (table: string): number => (service.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const HASH = createHash('sha256').update('doc').digest('base64');
const session = { origin: 'https://mall.example.gov.cn', documentName: '合同.pdf', hash: HASH, hashAlgorithm: 'sha256', sealKind: 'organization' };
const spki = async (): Promise<string> => {
  const k = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return Buffer.from(await webcrypto.subtle.exportKey('spki', k.publicKey)).toString('base64');
};
const device = (n: number): string => `device-${String(n).padStart(20, '0')}`;

describe('mobile signing service API', () => {
  it.each([
    ['not JSON', undefined, '{'],
    ['an array', [], undefined],
    ['unknown field', { ...session, extra: 1 }, undefined],
    ['short hash', { ...session, hash: 'AAAA' }, undefined],
    ['sha384 length with sha256', { ...session, hash: Buffer.alloc(48).toString('base64') }, undefined],
    ['sm3 (phones sign P-256)', { ...session, hashAlgorithm: 'sm3' }, undefined],
    ['origin with a path', { ...session, origin: 'https://mall.example.gov.cn/x' }, undefined],
    ['control characters in the name', { ...session, documentName: '合同\u202e.pdf' }, undefined],
    ['a bad seal kind', { ...session, sealKind: 'both' }, undefined],
  ])('POST /api/v1/sessions refuses %s', async (_what, body, raw) => {
    const before = count('sessions');
    const r = await call('POST', '/api/v1/sessions', body, raw);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
    expect(String(r.body.error)).toMatch(/^请求数据/);
    expect(count('sessions')).toBe(before);
  });

  it('refuses bodies over 64 KiB', async () => {
    const r = await fetch(`${service.url}/api/v1/sessions`, { method: 'POST', body: 'x'.repeat(70 * 1024) }).catch(() => undefined);
    expect(r === undefined || r.status === 413).toBe(true);
  });

  it('refuses bad enrolments without enrolling anything', async () => {
    const keys = { organization: await spki(), personal: await spki() };
    const good = { account: account.account, enrolCode: account.enrolCode, pin: '123456', deviceId: device(1), keys };
    for (const [body, code] of [
      [{ ...good, enrolCode: 'wrong' }, 'ENROL_REFUSED'],
      [{ ...good, account: 'nobody' }, 'ENROL_REFUSED'],
      [{ ...good, pin: '12ab56' }, 'BAD_REQUEST'],
      [{ ...good, deviceId: 'short' }, 'BAD_REQUEST'],
      [{ ...good, keys: { organization: Buffer.alloc(60, 1).toString('base64'), personal: keys.personal } }, 'BAD_KEY'],
    ] as const) {
      const r = await call('POST', '/api/v1/enrol', body);
      expect(r.body.code).toBe(code);
      expect(count('devices')).toBe(0);
      expect(count('certificates')).toBe(0);
    }
    expect((await call('POST', '/api/v1/enrol', good)).status).toBe(200);
    expect((await call('POST', '/api/v1/enrol', good)).body.code).toBe('DEVICE_ENROLLED');
    const second = { ...good, deviceId: device(2), keys: { organization: await spki(), personal: await spki() } };
    expect((await call('POST', '/api/v1/enrol', second)).status).toBe(200);
  });

  it('binds a session to the first phone, refuses a second one, unknown phones and bad answers', async () => {
    const { body: s } = await call('POST', '/api/v1/sessions', session);
    expect((await call('POST', '/api/v1/scan', { qr: s.qr, deviceId: device(9) })).body.code).toBe('DEVICE_UNKNOWN');
    const first = await call('POST', '/api/v1/scan', { qr: s.qr, deviceId: device(1) });
    expect(first.status).toBe(200);
    expect(first.body.hash).toBe(HASH);
    const second = await call('POST', '/api/v1/scan', { qr: s.qr, deviceId: device(2) });
    expect(second).toMatchObject({ status: 409, body: { code: 'SESSION_TAKEN', error: '该二维码已被其他手机扫描，不能重复使用' } });
    expect((await call('POST', '/api/v1/answer', { qr: s.qr, deviceId: device(2), decision: 'reject' })).body.code).toBe('SESSION_TAKEN');
    expect((await call('POST', '/api/v1/answer', { qr: s.qr, deviceId: device(1), decision: 'sign', pin: '123456', sealKind: 'organization' })).body.code).toBe('BAD_REQUEST');
    expect((await call('POST', '/api/v1/answer', { qr: s.qr, deviceId: device(1), decision: 'sign', pin: '000000', sealKind: 'organization', signature: 'A'.repeat(200) })).body.code).toBe('PIN_INCORRECT');
    expect((await call('GET', `/api/v1/sessions/${s.sessionId as string}`)).body).toMatchObject({ state: 'scanned', scannedBy: { name: '张三' } });
    expect((await call('POST', '/api/v1/answer', { qr: s.qr, deviceId: device(1), decision: 'reject' })).body.state).toBe('rejected');
    expect((await call('POST', '/api/v1/scan', { qr: s.qr, deviceId: device(1) })).body.code).toBe('SESSION_USED');
    expect((await call('GET', `/api/v1/sessions/${s.sessionId as string}`)).body.state).toBe('rejected');
  });

  it('expires sessions, cancels them, and knows no other ids', async () => {
    const { body: s } = await call('POST', '/api/v1/sessions', session);
    await new Promise((r) => setTimeout(r, 1700));
    expect((await call('POST', '/api/v1/scan', { qr: s.qr, deviceId: device(1) })).body.code).toBe('SESSION_EXPIRED');
    expect((await call('GET', `/api/v1/sessions/${s.sessionId as string}`)).body.state).toBe('expired');
    const { body: c } = await call('POST', '/api/v1/sessions', session);
    expect((await call('DELETE', `/api/v1/sessions/${c.sessionId as string}`)).body.state).toBe('cancelled');
    expect((await call('POST', '/api/v1/scan', { qr: c.qr, deviceId: device(1) })).body.code).toBe('SESSION_USED');
    expect((await call('GET', '/api/v1/sessions/nope')).body.code).toBe('SESSION_NOT_FOUND');
    expect((await call('GET', '/api/v1/sessions/../../x')).status).toBe(404);
    expect((await call('POST', '/api/v1/scan', { qr: 'gcyt-sign:unknown', deviceId: device(1) })).body.code).toBe('SESSION_NOT_FOUND');
    expect((await call('PUT', '/api/v1/enrol', {})).body.code).toBe('NOT_FOUND');
  });
});
