import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sm2Digest, sm2PublicPoint } from '../../../src-agent/pki/index.js';
import { readCertParts } from '../../../src-agent/pki/cert-parts.js';
import type { TokenManager } from '../../../src-agent/tokens/token-manager.js';
import { opensslSm2Verify, startSkfTokens, useSm2Fixtures } from '../../helpers/sm2.js';
import { errorOf } from '../../helpers/errors.js';

const fx = await useSm2Fixtures();

describe('SKF provider through TokenManager (skf-soft)', () => {
  let manager: TokenManager;
  const tokenId = (): string => manager.tokens()[0]?.id ?? '';
  beforeAll(async () => {
    manager = await startSkfTokens(fx);
  });
  afterAll(async () => {
    await manager?.stop();
  });

  describe('#tokens', () => {
    it('shows the SKF device like a PKCS#11 token, with the exact retry count', () => {
      const tokens = manager.tokens();
      expect(tokens).toHaveLength(1);
      expect(tokens[0]).toMatchObject({
        label: '国密测试USBKey', manufacturer: 'skf-soft 测试厂商', model: 'SKF', serial: 'SKF0000000001', module: fx.moduleSpec, loggedIn: false,
      });
      expect(tokens[0]?.pin).toMatchObject({ locked: false, finalTry: false, countLow: false, retriesLeft: fx.maxRetries });
    });

    it('reports the module as loaded', () => {
      expect(manager.modules()).toEqual([expect.objectContaining({ path: fx.moduleSpec, loaded: true })]);
    });
  });

  describe('#certificates', () => {
    it('lists the dual pair: the signing certificate with a key, the encryption one without, before login', async () => {
      const certs = await manager.certificates();
      expect(certs.map((c) => c.label).sort()).toEqual(['org-sm2（加密）', 'org-sm2（签名）']);
      const sign = certs.find((c) => c.der.equals(fx.signCertDer));
      const enc = certs.find((c) => c.der.equals(fx.encCertDer));
      expect(sign?.hasPrivateKey).toBe(true);
      expect(enc?.hasPrivateKey).toBe(false);
    });

    it('offers the seal file as the signing certificate\'s seal image', async () => {
      const sign = (await manager.certificates()).find((c) => c.der.equals(fx.signCertDer));
      const data = await manager.dataObjects(tokenId());
      expect(data.find((d) => d.label === `seal:${sign?.ckaId}`)?.value.equals(fx.sealPng)).toBe(true);
    });
  });

  describe('#login', () => {
    it('a wrong PIN says PIN_INCORRECT with the retries left, and the token shows the count', async () => {
      const error = await errorOf(manager.login(tokenId(), Buffer.from('00000000')));
      expect(error.reason).toBe('PIN_INCORRECT');
      expect(error.details.retriesLeft).toBe(fx.maxRetries - 1);
      expect(manager.tokens()[0]?.pin).toMatchObject({ retriesLeft: fx.maxRetries - 1, countLow: true, locked: false });
      expect((await readFile(fx.retriesFile, 'utf8')).trim()).toBe(`${fx.maxRetries - 1} ${fx.maxRetries}`);
    });

    it('the right PIN logs in and resets the counter', async () => {
      await manager.login(tokenId(), Buffer.from(fx.userPin));
      expect(manager.tokens()[0]).toMatchObject({ loggedIn: true, pin: { retriesLeft: fx.maxRetries, countLow: false } });
    });
  });

  describe('#sign', () => {
    it('SM2_SM3 signs e = SM3(Z ‖ M); openssl verifies it over M with the default id', async () => {
      const sign = (await manager.certificates()).find((c) => c.der.equals(fx.signCertDer));
      const message = Buffer.from('采购合同摘要');
      const e = sm2Digest(sm2PublicPoint(readCertParts(fx.signCertDer).publicKey.spki), message);
      const signature = await manager.sign(sign?.id ?? '', 'SM2_SM3', e);
      expect(signature[0]).toBe(0x30);
      expect(await opensslSm2Verify(fx.signCertPem, message, signature)).toBe(true);
      expect(await opensslSm2Verify(fx.signCertPem, Buffer.from('采购合同摘要!'), signature)).toBe(false);
    });

    it('the encryption certificate never signs (CERT_UNUSABLE)', async () => {
      const enc = (await manager.certificates()).find((c) => c.der.equals(fx.encCertDer));
      const error = await errorOf(manager.sign(enc?.id ?? '', 'SM2_SM3', Buffer.alloc(32, 1)));
      expect(error.reason).toBe('CERT_UNUSABLE');
    });

    it('refuses mechanisms an SM2 container cannot do (UNSUPPORTED_ALGORITHM)', async () => {
      const sign = (await manager.certificates()).find((c) => c.der.equals(fx.signCertDer));
      expect((await errorOf(manager.sign(sign?.id ?? '', 'ECDSA', Buffer.alloc(32, 1)))).reason).toBe('UNSUPPORTED_ALGORITHM');
    });
  });

  describe('#logout and lockout', () => {
    it('locks after the last wrong try (PIN_LOCKED, retriesLeft 0), and never tries a locked PIN', async () => {
      await manager.logout(tokenId());
      await writeFile(fx.retriesFile, `1 ${fx.maxRetries}\n`);
      await manager.refresh();
      expect(manager.tokens()[0]?.pin).toMatchObject({ finalTry: true, retriesLeft: 1 });
      const error = await errorOf(manager.login(tokenId(), Buffer.from('00000000')));
      expect(error.reason).toBe('PIN_LOCKED');
      expect(error.details.retriesLeft).toBe(0);
      expect(manager.tokens()[0]?.pin).toMatchObject({ locked: true, retriesLeft: 0 });
      const again = await errorOf(manager.login(tokenId(), Buffer.from(fx.userPin)));
      expect(again.reason).toBe('PIN_LOCKED');
      expect((await readFile(fx.retriesFile, 'utf8')).trim()).toBe(`0 ${fx.maxRetries}`);
    });
  });
});
