import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { digestInfo, HASH_ALGORITHMS, parseSignedData, signHash, type HashAlgorithm } from '../../../src-agent/pki/index.js';
import { makeTestPki, tokenSigner, type TestCert, type TestPki } from './test-pki.js';

let pki: TestPki;
let dir: string;
const data = Buffer.from('政府采购合同 第 2025-001 号：甲方与乙方约定……\n');

beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'pki-cms-'));
  writeFileSync(join(dir, 'data.bin'), data);
  writeFileSync(join(dir, 'tampered.bin'), Buffer.concat([data, Buffer.from('x')]));
  writeFileSync(join(dir, 'root.pem'), pki.root.pem);
  writeFileSync(join(dir, 'root+intermediate.pem'), pki.root.pem + pki.intermediate.pem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { cwd: dir });
  return { status: r.status, out: r.stdout.toString() + r.stderr.toString() };
}

async function cmsFor(leaf: TestCert, alg: HashAlgorithm, chain: Buffer[]) {
  const hash = createHash(alg).update(data).digest();
  return signHash({ certificate: leaf.der, chain, hash, hashAlgorithm: alg, format: 'cms', sign: tokenSigner(leaf.privateKey) });
}

function opensslVerify(file: string, content: string, untrusted: boolean) {
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', file, '-content', content, '-CAfile', 'root.pem', '-purpose', 'any', '-out', '/dev/null'];
  // OpenSSL 3.0's cms has no -untrusted (and -certfile only finds signers), so a CA file
  // holding the intermediate stands in for it.
  return openssl(untrusted ? args.map((a) => (a === 'root.pem' ? 'root+intermediate.pem' : a)) : args);
}

describe('signHash', () => {
  describe('format cms', () => {
    for (const leafName of ['orgLeaf', 'personalEcLeaf'] as const) {
      for (const alg of ['sha256', 'sha384', 'sha512'] as const) {
        it(`${leafName} ${alg}: openssl cms -verify accepts it and rejects changed content`, async () => {
          const leaf = pki[leafName];
          const result = await cmsFor(leaf, alg, [pki.intermediate.der, pki.intermediate.der, leaf.der]);
          const isRsa = leafName === 'orgLeaf';
          expect(result.signatureAlgorithm).toBe(isRsa ? HASH_ALGORITHMS[alg].rsaSignatureName : HASH_ALGORITHMS[alg].ecdsaSignatureName);
          expect(result.certificate.equals(leaf.der)).toBe(true);
          const file = `${leafName}-${alg}.p7s`;
          writeFileSync(join(dir, file), result.signature);
          const ok = opensslVerify(file, 'data.bin', false);
          expect(ok.out).toContain('Verification successful');
          expect(ok.status).toBe(0);
          expect(opensslVerify(file, 'tampered.bin', false).status).not.toBe(0);
        });
      }
    }

    it('embeds signer and chain once each, in order, and needs the intermediate from elsewhere without the chain', async () => {
      const result = await cmsFor(pki.orgLeaf, 'sha256', []);
      writeFileSync(join(dir, 'nochain.p7s'), result.signature);
      expect(opensslVerify('nochain.p7s', 'data.bin', false).status).not.toBe(0);
      expect(opensslVerify('nochain.p7s', 'data.bin', true).status).toBe(0);
      const withChain = await cmsFor(pki.orgLeaf, 'sha256', [pki.intermediate.der, pki.orgLeaf.der, pki.intermediate.der]);
      writeFileSync(join(dir, 'chain.p7s'), withChain.signature);
      const certs = parseSignedData(withChain.signature).certificates;
      expect(certs.map((c) => c.toString('hex'))).toEqual([pki.orgLeaf.der.toString('hex'), pki.intermediate.der.toString('hex')]);
      expect(opensslVerify('chain.p7s', 'data.bin', false).status).toBe(0);
    });

    it('carries contentType, signingTime, messageDigest and signingCertificateV2', async () => {
      const hash = createHash('sha256').update(data).digest();
      const result = await signHash({
        certificate: pki.orgLeaf.der, chain: [], hash, hashAlgorithm: 'sha256', format: 'cms',
        sign: tokenSigner(pki.orgLeaf.privateKey), signingTime: new Date('2025-03-04T05:06:07Z'),
      });
      writeFileSync(join(dir, 'attrs.p7s'), result.signature);
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'attrs.p7s']).out;
      expect(printed).toContain('id-smime-aa-signingCertificateV2');
      expect(printed).toContain('contentType');
      expect(printed).toContain('signingTime');
      expect(printed).toMatch(/UTCTIME:\s*Mar\s+4 05:06:07 2025 GMT/);
      expect(printed).toContain('messageDigest');
      expect(printed.replace(/[\s:-]/g, '').toLowerCase()).toContain(hash.toString('hex').slice(0, 16));
      expect(printed).toContain('rsaEncryption');
    });

    it('uses GeneralizedTime for a signingTime from 2050 on', async () => {
      const result = await signHash({
        certificate: pki.orgLeaf.der, chain: [], hash: Buffer.alloc(32, 1), hashAlgorithm: 'sha256', format: 'cms',
        sign: tokenSigner(pki.orgLeaf.privateKey), signingTime: new Date('2051-01-01T00:00:00Z'),
      });
      expect(result.signature.includes(Buffer.from('20510101000000Z'))).toBe(true);
    });
  });

  describe('format raw', () => {
    it('RSA: PKCS#1 v1.5 over the DigestInfo', async () => {
      const hash = createHash('sha384').update(data).digest();
      const seen: Buffer[] = [];
      const result = await signHash({
        certificate: pki.orgLeaf.der, chain: [], hash, hashAlgorithm: 'sha384', format: 'raw',
        sign: async (mechanism, input) => {
          expect(mechanism).toBe('RSA_PKCS');
          seen.push(input);
          return tokenSigner(pki.orgLeaf.privateKey)(mechanism, input);
        },
      });
      expect(seen[0]!.equals(digestInfo(hash, HASH_ALGORITHMS.sha384))).toBe(true);
      const { verify, X509Certificate } = await import('node:crypto');
      expect(verify('sha384', data, new X509Certificate(pki.orgLeaf.der).publicKey, result.signature)).toBe(true);
      expect(result.signatureAlgorithm).toBe('sha384WithRSAEncryption');
    });

    it('EC: ECDSA over the hash, DER signature returned as is', async () => {
      const hash = createHash('sha256').update(data).digest();
      const result = await signHash({
        certificate: pki.personalEcLeaf.der, chain: [], hash, hashAlgorithm: 'sha256', format: 'raw',
        sign: tokenSigner(pki.personalEcLeaf.privateKey),
      });
      const { verify, X509Certificate } = await import('node:crypto');
      expect(result.signature[0]).toBe(0x30);
      expect(verify('sha256', data, new X509Certificate(pki.personalEcLeaf.der).publicKey, result.signature)).toBe(true);
      expect(result.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    });
  });

  describe('refusals (sign is never called)', () => {
    async function reasonOf(input: Partial<Parameters<typeof signHash>[0]>) {
      const calls = { count: 0 };
      try {
        await signHash({
          certificate: pki.orgLeaf.der, chain: [], hash: Buffer.alloc(32), hashAlgorithm: 'sha256', format: 'cms',
          sign: tokenSigner(pki.orgLeaf.privateKey, calls), ...input,
        });
      } catch (error) {
        expect(calls.count).toBe(0);
        expect(AssistantError.is(error)).toBe(true);
        return { reason: (error as AssistantError).reason, message: (error as AssistantError).message };
      }
      throw new Error('signHash did not throw');
    }

    it('wrong hash length → BAD_REQUEST', async () => {
      const r = await reasonOf({ hash: Buffer.alloc(20) });
      expect(r.reason).toBe('BAD_REQUEST');
      expect(r.message).toBe('a sha256 hash is 32 bytes, got 20');
    });
    it('sm3 with an RSA certificate → UNSUPPORTED_ALGORITHM', async () => {
      expect((await reasonOf({ hashAlgorithm: 'sm3' })).reason).toBe('UNSUPPORTED_ALGORITHM');
    });
    it('expired certificate → CERT_EXPIRED', async () => {
      const r = await reasonOf({ certificate: pki.expiredLeaf.der });
      expect(r.reason).toBe('CERT_EXPIRED');
      expect(r.message).toMatch(/expired/);
    });
    it('not yet valid → CERT_EXPIRED', async () => {
      const r = await reasonOf({ now: new Date(Date.now() - 20 * 365 * 86400_000) });
      expect(r.reason).toBe('CERT_EXPIRED');
      expect(r.message).toMatch(/not yet valid/);
    });
    it('keyUsage keyCertSign only → CERT_UNUSABLE', async () => {
      expect((await reasonOf({ certificate: pki.certSignOnlyLeaf.der })).reason).toBe('CERT_UNUSABLE');
    });
    it('garbage certificate → BAD_REQUEST', async () => {
      expect((await reasonOf({ certificate: Buffer.from('not a cert') })).reason).toBe('BAD_REQUEST');
    });
  });
});
