import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChain, parseSignedData, signHash, verifyCms, type CmsProfile } from '../../../src-agent/pki/index.js';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import type { TokenManager } from '../../../src-agent/tokens/token-manager.js';
import { opensslAsn1, opensslSm2Verify, startSkfTokens, useSm2Fixtures } from '../../helpers/sm2.js';

const fx = await useSm2Fixtures();
const content = Buffer.from('政府采购合同（测试）：甲方 郑州国密科技有限公司');
const hash = createHash('sm3').update(content).digest();

describe('SM2 CMS over an SM3 hash, signed on the SKF key', () => {
  let manager: TokenManager;
  let certId = '';
  const sign = (profile: CmsProfile, h = hash) =>
    signHash({ certificate: fx.signCertDer, chain: [fx.rootDer], hash: h, hashAlgorithm: 'sm3', format: 'cms', profile, sign: (m, d) => manager.sign(certId, m, d) });

  beforeAll(async () => {
    manager = await startSkfTokens(fx);
    const token = manager.tokens()[0];
    await manager.login(token?.id ?? '', Buffer.from(fx.userPin));
    certId = (await manager.certificates()).find((c) => c.der.equals(fx.signCertDer))?.id ?? '';
  });
  afterAll(async () => {
    await manager?.stop();
  });

  describe.each([
    ['cms', '1.2.840.113549.1.7.2', '1.2.840.113549.1.7.1', 'SM2-with-SM3'],
    ['gmt0010', '1.2.156.10197.6.1.4.2.2', '1.2.156.10197.6.1.4.2.1', '1.2.156.10197.1.301.1'],
  ] as const)('profile %s', (profile, signedDataOid, dataOid, sigAlg) => {
    it('writes the profile\'s content types and the SM3 / SM2 algorithm identifiers (openssl asn1parse)', async () => {
      const { signature, signatureAlgorithm } = await sign(profile);
      expect(signatureAlgorithm).toBe('SM2-with-SM3');
      const asn1 = await opensslAsn1(signature);
      expect(asn1).toContain(signedDataOid === '1.2.840.113549.1.7.2' ? ':pkcs7-signedData' : `:${signedDataOid}`);
      expect(asn1).toContain(dataOid === '1.2.840.113549.1.7.1' ? ':pkcs7-data' : `:${dataOid}`);
      expect(asn1).toMatch(/OBJECT\s+:sm3\n/);
      expect(asn1).toContain(`:${sigAlg}`);
    });

    it('openssl verifies the SignerInfo signature over the signed attributes (SM2, SM3, id 1234567812345678)', async () => {
      const { signature } = await sign(profile);
      const signer = parseSignedData(signature).signers[0];
      const attrs = signer?.signedAttrsDer ?? Buffer.alloc(0);
      expect(await opensslSm2Verify(fx.signCertPem, attrs, signer?.signature ?? Buffer.alloc(0))).toBe(true);
      // messageDigest is the given SM3 hash, read back by openssl.
      expect((await opensslAsn1(attrs)).replace(/\s/g, '')).toContain(hash.toString('hex').toUpperCase());
      expect(await opensslSm2Verify(fx.signCertPem, attrs, signer?.signature ?? Buffer.alloc(0), '1234567812345679')).toBe(false);
    });

    it('verifyCms accepts it and trusts the SM2 chain', async () => {
      const { signature } = await sign(profile);
      const result = await verifyCms({ signature, hash, hashAlgorithm: 'sm3', trustAnchors: [fx.rootDer], intermediates: [] });
      expect(result.problems).toEqual([]);
      expect(result).toMatchObject({ valid: true, chainTrusted: true, signer: { keyAlgorithm: 'SM2' } });
      expect(result.chain).toHaveLength(2);
    });

    it('a tampered hash fails (DIGEST_MISMATCH)', async () => {
      const { signature } = await sign(profile);
      const tampered = Buffer.from(hash);
      tampered[5] = (tampered[5] ?? 0) ^ 0x01;
      const result = await verifyCms({ signature, hash: tampered, hashAlgorithm: 'sm3', trustAnchors: [fx.rootDer], intermediates: [] });
      expect(result.valid).toBe(false);
      expect(result.problems.map((p) => p.code)).toContain('DIGEST_MISMATCH');
    });
  });

  it('a tampered signature value fails (SIGNATURE_INVALID)', async () => {
    const { signature } = await sign('cms');
    const sig = parseSignedData(signature).signers[0]?.signature ?? Buffer.alloc(0);
    const at = signature.indexOf(sig) + sig.length - 3;
    const broken = Buffer.from(signature);
    broken[at] = (broken[at] ?? 0) ^ 0x01;
    const result = await verifyCms({ signature: broken, hash, hashAlgorithm: 'sm3', trustAnchors: [fx.rootDer], intermediates: [] });
    expect(result.valid).toBe(false);
    expect(result.problems.map((p) => p.code)).toContain('SIGNATURE_INVALID');
  });

  it('verifies the SM2 chain to the root, and not to an unrelated anchor', () => {
    expect(buildChain(fx.signCertDer, [], [fx.rootDer]).trusted).toBe(true);
    expect(buildChain(fx.signCertDer, [], [fx.encCertDer]).trusted).toBe(false);
  });

  it('refuses SM2 with a non-SM3 hash, and SM3 on the encryption certificate', async () => {
    const error = await signHash({
      certificate: fx.signCertDer, chain: [], hash: Buffer.alloc(32), hashAlgorithm: 'sha256', format: 'cms', sign: (m, d) => manager.sign(certId, m, d),
    }).catch((e: unknown) => e);
    expect(AssistantError.is(error) && error.reason).toBe('UNSUPPORTED_ALGORITHM');
    const enc = await signHash({
      certificate: fx.encCertDer, chain: [], hash, hashAlgorithm: 'sm3', format: 'cms', sign: () => Promise.reject(new Error('must not be called')),
    }).catch((e: unknown) => e);
    expect(AssistantError.is(enc) && enc.reason).toBe('CERT_UNUSABLE');
  });

  it('raw format signs the given 32 bytes as e (the caller computed SM3(Z ‖ M))', async () => {
    const { sm2Digest, sm2PublicPoint } = await import('../../../src-agent/pki/index.js');
    const { readCertParts } = await import('../../../src-agent/pki/cert-parts.js');
    const e = sm2Digest(sm2PublicPoint(readCertParts(fx.signCertDer).publicKey.spki), content);
    const { signature } = await signHash({ certificate: fx.signCertDer, chain: [], hash: e, hashAlgorithm: 'sm3', format: 'raw', sign: (m, d) => manager.sign(certId, m, d) });
    expect(await opensslSm2Verify(fx.signCertPem, content, signature)).toBe(true);
  });
});
