/**
 * sign.mobile with `timestamp: true`: the phone's verified CMS gets an RFC 3161
 * signature time-stamp from the assistant's TSA (openssl ts behind HTTP), like
 * sign.hash; without a TSA the request is refused before the QR dialog opens.
 */
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMobileSign, type RunningMobileSign } from '../../examples/mobile-sign/server.js';
import { useFixtures } from '../helpers/fixtures.js';
import { opensslTokenVerify, useTsa } from '../helpers/tsa.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from '../agent/api/harness.js';
import { NodePhone } from './node-phone.js';
import { demoAccount, PHONE_PIN } from './phone.js';

const fx = await useFixtures();
const tsa = await useTsa('ec');
const account = demoAccount();
let service: RunningMobileSign;
let withTsa: Harness;
let withoutTsa: Harness;
let phone: NodePhone;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sign-mobile-ts-'));
  service = await startMobileSign({ port: 0, dataDir: join(dir, 'svc'), accounts: [account] });
  const mobileSigning = { serviceUrl: service.url, trustAnchors: [service.caFile], sessionSeconds: 120 };
  withTsa = await startHarness(fx, await makeConfig(fx, { mobileSigning, timestamp: { url: tsa.url, trustAnchors: [tsa.pki.rootPem] } }, join(dir, 'a')));
  withoutTsa = await startHarness(fx, await makeConfig(fx, { mobileSigning }, join(dir, 'b')));
  phone = new NodePhone(service.url);
  await phone.enrol(account, PHONE_PIN);
}, 60_000);
afterAll(async () => {
  await withTsa?.stop();
  await withoutTsa?.stop();
  await service?.close();
});

const HASH = createHash('sha256').update('政府采购合同（公采签，可信时间）').digest();
const params = { hash: HASH.toString('base64'), hashAlgorithm: 'sha256', format: 'cms', sealKind: 'organization', document: { name: '政府采购合同.pdf' }, timestamp: true };

describe('sign.mobile with timestamp: true', () => {
  it('returns the phone\'s CMS with a time-stamp openssl accepts; verify.cms judges it at the trusted time', async () => {
    const page = await Client.open(withTsa.server.port, MALL);
    const opened = withTsa.ui.nextMobileDialog();
    const reply = page.call('sign.mobile', params);
    const dialog = await opened;
    const deadline = Date.now() + 10_000;
    while (dialog.qrs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const scanned = await phone.scan(dialog.qrs[0]!.text);
    await phone.sign(dialog.qrs[0]!.text, scanned, PHONE_PIN);
    const r = await reply;
    expect(r.error).toBeUndefined();
    const cms = Buffer.from(String(r.result?.signature), 'base64');
    expect(opensslTokenVerify(cms, tsa.pki.rootPem).out).toContain('Verification: OK');
    const v = await page.call('verify.cms', { signature: r.result?.signature, hash: params.hash, hashAlgorithm: 'sha256' });
    expect(v.result).toMatchObject({ valid: true, timestamp: { valid: true }, validityTime: { source: 'timestamp' } });
    page.close();
  });

  it('without a configured TSA it is TIMESTAMP_NOT_CONFIGURED before any QR dialog', async () => {
    const page = await Client.open(withoutTsa.server.port, MALL);
    const reply = await page.call('sign.mobile', params);
    expect(reasonOf(reply)).toBe('TIMESTAMP_NOT_CONFIGURED');
    expect(withoutTsa.ui.mobileDialogs).toHaveLength(0);
    page.close();
  });

  it('refuses a non-boolean timestamp as BAD_REQUEST', async () => {
    const page = await Client.open(withoutTsa.server.port, MALL);
    expect(reasonOf(await page.call('sign.mobile', { ...params, timestamp: 'yes' }))).toBe('BAD_REQUEST');
    page.close();
  });
});
