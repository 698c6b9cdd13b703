/**
 * 国密 SM2 seals get their trusted time from an RSA or P-256 TSA: OpenSSL 3.0 here cannot
 * sign SM2 time-stamps, and RFC 3161 tokens over an SM2 signature value are ordinary tokens
 * (the imprint is SHA-256 of the signature value), so both CMS profiles carry them.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertificateFile } from '../../../src-agent/pki/cert-files.js';
import { signHash, verifyCms, type CmsProfile } from '../../../src-agent/pki/index.js';
import { TimestampService } from '../../../src-agent/service/timestamp-service.js';
import type { TokenManager } from '../../../src-agent/tokens/token-manager.js';
import { startSkfTokens, useSm2Fixtures } from '../../helpers/sm2.js';
import { opensslTokenVerify, useTsa } from '../../helpers/tsa.js';

const fx = await useSm2Fixtures();
const tsa = await useTsa('ec');
const tsaRoot = await loadCertificateFile(tsa.pki.rootPem);
const hash = createHash('sm3').update('政府采购合同（国密）').digest();

describe('SM2 CMS with an RFC 3161 time-stamp', () => {
  let manager: TokenManager;
  let certId = '';
  beforeAll(async () => {
    manager = await startSkfTokens(fx);
    await manager.login(manager.tokens()[0]?.id ?? '', Buffer.from(fx.userPin));
    certId = (await manager.certificates()).find((c) => c.der.equals(fx.signCertDer))?.id ?? '';
  });
  afterAll(async () => manager?.stop());

  it.each(['cms', 'gmt0010'] as CmsProfile[])('profile %s: the token verifies in openssl and its time is the validity time', async (profile) => {
    const { signature } = await signHash({ certificate: fx.signCertDer, chain: [fx.rootDer], hash, hashAlgorithm: 'sm3', format: 'cms', profile, sign: (m, d) => manager.sign(certId, m, d) });
    const stamped = await new TimestampService({ url: tsa.url, timeoutMs: 5_000 }, () => tsaRoot).stamp(signature);
    expect(opensslTokenVerify(stamped, tsa.pki.rootPem).out).toContain('Verification: OK');
    const r = await verifyCms({ signature: stamped, hash, hashAlgorithm: 'sm3', trustAnchors: [fx.rootDer], intermediates: [], tsaAnchors: tsaRoot });
    expect(r).toMatchObject({ valid: true, chainTrusted: true, timestamp: { valid: true }, validityTime: { source: 'timestamp' } });
  });
});
