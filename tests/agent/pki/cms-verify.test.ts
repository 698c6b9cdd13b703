import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { parseCertificate, signHash, verifyCms, type HashAlgorithm } from '../../../src-agent/pki/index.js';
import { makeTestPki, tokenSigner, type TestCert, type TestPki } from './test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

const DAY = 86400_000;
const hashOf = (text: string, alg: HashAlgorithm = 'sha256') => createHash(alg).update(text).digest();

async function sign(leaf: TestCert, hash: Buffer, opts: { chain?: Buffer[]; alg?: HashAlgorithm; signingTime?: Date; now?: Date } = {}) {
  const r = await signHash({
    certificate: leaf.der, chain: opts.chain ?? [pki.intermediate.der], hash, hashAlgorithm: opts.alg ?? 'sha256', format: 'cms',
    sign: tokenSigner(leaf.privateKey), ...(opts.signingTime ? { signingTime: opts.signingTime } : {}), ...(opts.now ? { now: opts.now } : {}),
  });
  return r.signature;
}

describe('verifyCms', () => {
  it('accepts a valid RSA signature with a trusted chain', async () => {
    const hash = hashOf('合同');
    const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);
    const r = await verifyCms({ signature: await sign(pki.orgLeaf, hash, { signingTime }), hash, hashAlgorithm: 'sha256',
      trustAnchors: [pki.root.der], intermediates: [] });
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.chainTrusted).toBe(true);
    expect(r.chain).toHaveLength(3);
    expect(r.chain[2]!.equals(pki.root.der)).toBe(true);
    expect(r.signer?.subject).toContain('CN=北京某某科技有限公司');
    expect(r.signer?.kind).toBe('organization');
    expect(r.signingTime).toBe(signingTime.toISOString());
  });

  it('accepts a valid EC sha512 signature, completing the chain from intermediates', async () => {
    const hash = hashOf('合同', 'sha512');
    const r = await verifyCms({ signature: await sign(pki.personalEcLeaf, hash, { alg: 'sha512', chain: [] }), hash, hashAlgorithm: 'sha512',
      trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der] });
    expect(r.problems).toEqual([]);
    expect(r.valid && r.chainTrusted).toBe(true);
    expect(r.signer?.keyAlgorithm).toBe('EC');
  });

  it('reports DIGEST_MISMATCH for another document', async () => {
    const r = await verifyCms({ signature: await sign(pki.orgLeaf, hashOf('合同')), hash: hashOf('篡改后的合同'), hashAlgorithm: 'sha256',
      trustAnchors: [pki.root.der], intermediates: [] });
    expect(r.valid).toBe(false);
    expect(r.problems.map((p) => p.code)).toEqual(['DIGEST_MISMATCH']);
    expect(r.problems[0]!.zh).toContain('文件可能已被修改');
  });

  it('reports DIGEST_ALGORITHM_MISMATCH when asked about another algorithm', async () => {
    const r = await verifyCms({ signature: await sign(pki.orgLeaf, hashOf('合同')), hash: hashOf('合同', 'sha384'), hashAlgorithm: 'sha384',
      trustAnchors: [pki.root.der], intermediates: [] });
    expect(r.valid).toBe(false);
    expect(r.problems.map((p) => p.code)).toContain('DIGEST_ALGORITHM_MISMATCH');
  });

  it('reports SIGNATURE_INVALID when the signature value is altered', async () => {
    const hash = hashOf('合同');
    const sig = Buffer.from(await sign(pki.personalEcLeaf, hash));
    // The ECDSA signature is the last element: flip a bit in its final byte.
    sig[sig.length - 1]! ^= 0x01;
    const r = await verifyCms({ signature: sig, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [] });
    expect(r.valid).toBe(false);
    expect(r.problems.map((p) => p.code)).toContain('SIGNATURE_INVALID');
  });

  it('reports CHAIN_UNTRUSTED naming the missing issuer', async () => {
    const hash = hashOf('合同');
    const r = await verifyCms({ signature: await sign(pki.orgLeaf, hash, { chain: [] }), hash, hashAlgorithm: 'sha256',
      trustAnchors: [pki.root.der], intermediates: [] });
    expect(r.valid).toBe(true);
    expect(r.chainTrusted).toBe(false);
    expect(r.problems).toEqual([{
      code: 'CHAIN_UNTRUSTED',
      zh: '签名者证书链无法追溯到受信任的根证书（缺少“互认测试二级CA”）',
      en: 'The certificate chain does not reach a trusted root (missing "互认测试二级CA")',
    }]);
  });

  it('reports CHAIN_UNTRUSTED for a root that is not an anchor', async () => {
    const hash = hashOf('合同');
    const r = await verifyCms({ signature: await sign(pki.orgLeaf, hash, { chain: [pki.intermediate.der, pki.root.der] }), hash,
      hashAlgorithm: 'sha256', trustAnchors: [pki.otherRoot.der], intermediates: [] });
    expect(r.chainTrusted).toBe(false);
    expect(r.chain).toHaveLength(3);
    expect(r.problems.map((p) => p.zh)).toEqual(['签名者证书链的根证书“互认测试根CA”不受信任']);
  });

  it('reports CERT_EXPIRED_AT_SIGNING, apart from CERT_EXPIRED now, when the signer had expired at its claimed signingTime', async () => {
    const hash = hashOf('合同');
    const expiredAt = Date.parse(parseCertificate(pki.expiredLeaf.der).notAfter);
    const sig = await sign(pki.expiredLeaf, hash, { now: new Date(expiredAt - 30 * DAY), signingTime: new Date(Date.now() - 10 * DAY) });
    const r = await verifyCms({ signature: sig, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [] });
    expect(r.valid).toBe(false);
    expect(r.chainTrusted).toBe(true);
    expect(r.problems.map((p) => p.code)).toEqual(['CERT_EXPIRED', 'CERT_EXPIRED_AT_SIGNING']);
    expect(r.problems[1]!.zh).toMatch(/^签名时（.*）证书“李四”不在有效期内/);
    expect(r.validityTime.source).toBe('now');
  });

  it('judges validity at the time of verification, not at the signer\'s own claimed signingTime', async () => {
    const hash = hashOf('合同');
    const when = new Date(Date.now() - 2 * 365 * DAY);
    const sig = await sign(pki.expiredLeaf, hash, { now: when, signingTime: when });
    const now = new Date();
    const r = await verifyCms({ signature: sig, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [], now });
    expect(r.problems.map((p) => p.code)).toEqual(['CERT_EXPIRED']);
    expect(r.valid).toBe(false);
    expect(r.validityTime).toEqual({ time: now.toISOString(), source: 'now' });
    expect(r.signers).toHaveLength(1);
    expect(r.signers[0]!.validityTime.source).toBe('now');
  });

  it('judges validity at signingTime only when asked, and says so', async () => {
    const hash = hashOf('合同');
    const when = new Date(Math.floor((Date.now() - 2 * 365 * DAY) / 1000) * 1000);
    const sig = await sign(pki.expiredLeaf, hash, { now: when, signingTime: when });
    const r = await verifyCms({ signature: sig, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [], validityAt: 'signingTime' });
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.validityTime).toEqual({ time: when.toISOString(), source: 'signingTime' });
  });

  it('verifies CMS made by openssl, including streamed BER with indefinite lengths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pki-verify-'));
    try {
      const data = Buffer.from('由其他软件签名的合同');
      writeFileSync(join(dir, 'data.bin'), data);
      for (const leaf of [pki.orgLeaf, pki.personalEcLeaf]) {
        writeFileSync(join(dir, 'leaf.pem'), leaf.pem);
        writeFileSync(join(dir, 'key.pem'), leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
        const r = spawnSync('openssl', ['cms', '-sign', '-binary', '-stream', '-outform', 'DER', '-in', 'data.bin',
          '-signer', 'leaf.pem', '-inkey', 'key.pem', '-md', 'sha384'], { cwd: dir });
        expect(r.status).toBe(0);
        expect(r.stdout.subarray(0, 2).toString('hex')).toBe('3080');
        const v = await verifyCms({ signature: r.stdout, hash: createHash('sha384').update(data).digest(), hashAlgorithm: 'sha384',
          trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der] });
        expect(v.problems).toEqual([]);
        expect(v.valid && v.chainTrusted).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns MALFORMED for garbage without throwing', async () => {
    const inputs = [Buffer.from('garbage'), Buffer.alloc(0), Buffer.from([0x30, 0x80]), Buffer.from('3003020101', 'hex'), pki.root.der];
    for (const signature of inputs) {
      const r = await verifyCms({ signature, hash: hashOf('x'), hashAlgorithm: 'sha256', trustAnchors: [], intermediates: [] });
      expect(r.valid).toBe(false);
      expect(r.signer).toBeNull();
      expect(r.problems.map((p) => p.code)).toEqual(['MALFORMED']);
    }
  });

  it('returns MALFORMED for a truncated or bit-flipped CMS without throwing', async () => {
    const hash = hashOf('合同');
    const sig = await sign(pki.orgLeaf, hash);
    for (let i = 0; i < sig.length; i += 97) {
      const broken = Buffer.from(sig);
      broken[i]! ^= 0xff;
      const r = await verifyCms({ signature: broken, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [] });
      expect(typeof r.valid).toBe('boolean');
      expect(r.valid && r.chainTrusted && r.problems.length === 0).toBe(false);
    }
    const r = await verifyCms({ signature: sig.subarray(0, sig.length - 10), hash, hashAlgorithm: 'sha256', trustAnchors: [], intermediates: [] });
    expect(r.problems.map((p) => p.code)).toEqual(['MALFORMED']);
  });

  it('rejects with BAD_REQUEST for a hash of the wrong length (a request error, not a signature problem)', async () => {
    const call = () => verifyCms({ signature: Buffer.alloc(1), hash: Buffer.alloc(31), hashAlgorithm: 'sha256', trustAnchors: [], intermediates: [] });
    await expect(call()).rejects.toThrow(AssistantError);
    await expect(call()).rejects.toThrow('a sha256 hash is 32 bytes, got 31');
  });
});
