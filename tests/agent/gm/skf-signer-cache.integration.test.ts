/** The SKF provider keeps a signing container open between signatures, and checks its certificate again when it must. */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertParts } from '../../../src-agent/pki/cert-parts.js';
import { sm2Digest, sm2PublicPoint } from '../../../src-agent/pki/index.js';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { loadVendorTable, resolveModules } from '../../../src-agent/tokens/registry.js';
import { TokenManager } from '../../../src-agent/tokens/token-manager.js';
import { opensslSm2Verify, useSm2Fixtures } from '../../helpers/sm2.js';

const fx = await useSm2Fixtures();
const message = Buffer.from('采购合同摘要');
const e = sm2Digest(sm2PublicPoint(readCertParts(fx.signCertDer).publicKey.spki), message);

describe('SkfModule signing containers', () => {
  let manager: TokenManager;
  let certId = '';
  const tokenId = (): string => manager.tokens()[0]?.id ?? '';
  const calls = async (): Promise<string[]> => (await manager.trace()).map((t) => t.fn);

  beforeAll(async () => {
    const vendors = loadVendorTable();
    manager = await TokenManager.start({
      modules: resolveModules([fx.moduleSpec], vendors, true), vendors, env: { SKF_SOFT_DIR: fx.skfDir }, pollIntervalMs: 0, trace: true,
    });
    await manager.login(tokenId(), Buffer.from(fx.userPin));
    certId = (await manager.certificates()).find((c) => c.der.equals(fx.signCertDer))?.id ?? '';
  });
  afterAll(async () => {
    await manager?.stop();
  });

  it('opens the container and reads its certificate for the first signature only', async () => {
    await calls();
    const first = await manager.sign(certId, 'SM2_SM3', e);
    expect(await calls()).toEqual(expect.arrayContaining(['SKF_OpenContainer', 'SKF_ExportCertificate', 'SKF_ECCSignData']));
    const second = await manager.sign(certId, 'SM2_SM3', e);
    expect(await calls()).toEqual(['SKF_ECCSignData']);
    expect(await opensslSm2Verify(fx.signCertPem, message, first)).toBe(true);
    expect(await opensslSm2Verify(fx.signCertPem, message, second)).toBe(true);
  });

  it('after logout the container is closed; a certificate changed on the key meanwhile is re-read at login, and the old one never signs (CERT_NOT_FOUND)', async () => {
    await manager.logout(tokenId());
    expect(await calls()).toContain('SKF_CloseContainer');
    // The CA's tool wrote another certificate into the container.
    const conDir = join(fx.skfDir, fx.device, fx.application, 'containers', fx.container);
    await copyFile(join(conDir, 'sign.cer'), join(conDir, 'sign.cer.orig'));
    await copyFile(join(conDir, 'enc.cer'), join(conDir, 'sign.cer'));
    try {
      await manager.login(tokenId(), Buffer.from(fx.userPin));
      const error = await manager.sign(certId, 'SM2_SM3', e).then(() => undefined, (err: unknown) => err);
      expect(AssistantError.is(error) && error.reason).toBe('CERT_NOT_FOUND');
    } finally {
      await copyFile(join(conDir, 'sign.cer.orig'), join(conDir, 'sign.cer'));
    }
    // Restored and logged in again: listed again, the certificate's container opens afresh and signs.
    await manager.logout(tokenId());
    await manager.login(tokenId(), Buffer.from(fx.userPin));
    expect(await opensslSm2Verify(fx.signCertPem, message, await manager.sign(certId, 'SM2_SM3', e))).toBe(true);
  });
});
