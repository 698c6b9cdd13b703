/**
 * The 公采易通 stand-in alone: enrolment on an emulated phone, a session created
 * as the assistant would, scanned through the fake camera by the app's real
 * scanner, signed on the phone; the CMS checked with openssl against the mobile CA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMobileSign, type RunningMobileSign } from '../../examples/mobile-sign/server.js';
import { demoAccount, enrol, makePhone, PHONE_PIN, type Phone } from './phone.js';

const account = demoAccount();
let service: RunningMobileSign;
let phone: Phone;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mobile-sign-'));
  service = await startMobileSign({ port: 0, dataDir: join(dir, 'svc'), accounts: [account] });
  phone = makePhone(service.url);
}, 60_000);
afterAll(async () => {
  await phone?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('公采易通 phone app', () => {
  it('enrols, scans the QR through the camera, shows the fingerprint and signs a CMS over the hash', async () => {
    let page = await phone.open();
    await enrol(page, account);
    const hash = createHash('sha256').update('合同 PDF').digest();
    const created = await post('/api/v1/sessions', { origin: 'https://mall.example.gov.cn', documentName: '政府采购合同-0012.pdf', hash: hash.toString('base64'), hashAlgorithm: 'sha256', sealKind: 'organization' });
    expect(created.status).toBe(201);
    page = await phone.open(created.body.qr as string);
    await page.getByRole('button', { name: '公采签' }).click();
    await page.getByRole('heading', { name: '确认签章' }).waitFor();
    expect(await page.locator('#c-origin').textContent()).toBe('https://mall.example.gov.cn');
    expect(await page.locator('#c-fp').textContent()).toBe(hash.subarray(0, 8).toString('hex').toUpperCase().replace(/(.{4})(?=.)/g, '$1 '));
    await page.screenshot({ path: '/tmp/mobile-phone-confirm.png' });
    await page.getByLabel('应用密码').fill(PHONE_PIN);
    await page.getByRole('button', { name: '确认签章' }).click();
    await page.getByText(/已签章/).waitFor();
    const status = (await (await fetch(`${service.url}/api/v1/sessions/${created.body.sessionId as string}`)).json()) as { state: string; scannedBy: { name: string }; result: { signature: string; sealKind: string } };
    expect(status.state).toBe('signed');
    expect(status.scannedBy.name).toBe('张三');
    const p7 = join(dir, 'sig.p7s');
    const data = join(dir, 'data.bin');
    writeFileSync(p7, Buffer.from(status.result.signature, 'base64'));
    writeFileSync(data, 'x');
    // openssl: the signature verifies and chains to the mobile CA (content check left out: we signed a digest).
    const r = spawnSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', p7, '-binary', '-content', data, '-CAfile', service.caFile, '-purpose', 'any', '-no_content_verify', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(r.stderr).toContain('Verification successful');
    expect(r.status).toBe(0);
  }, 90_000);
});
