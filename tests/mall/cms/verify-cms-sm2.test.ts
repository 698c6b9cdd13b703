/**
 * The mall's SM2 verifier (examples/mall/cms/sm2.ts, verify-cms.ts) against
 * signatures, certificates and CMS made with the `openssl` CLI and node-forge's
 * ASN.1 writer: nothing here comes from the assistant.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { GM_OID, certSignedBy, sm2PublicKey, verifySm2 } from '../../../examples/mall/cms/sm2.js';
import { checkChain, digestFor, keyAlgorithmOf, verifyDetachedCms, type TrustStore } from '../../../examples/mall/cms/verify-cms.js';
import { makeSm2Fixtures, SM2_ID } from '../../fixtures/sm2-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mall-sm2-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fx = await makeSm2Fixtures(join(dir, 'a'));
// A second PKI whose root has the same name as the first one's, and a different key.
const impostor = await makeSm2Fixtures(join(dir, 'b'));
const root = new X509Certificate(fx.rootPem);
const leaf = new X509Certificate(fx.signCertPem);
const trust: TrustStore = { anchors: [root], intermediates: [] };

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', ...(input ? { input } : {}) });
}

/** SM2 signature (DER) over `message` by the fixture's signing key, made by openssl: SM3 with Z for `id`. */
function opensslSign(message: Buffer, id = SM2_ID): Buffer {
  writeFileSync(join(dir, 'msg.bin'), message);
  openssl(['pkeyutl', '-sign', '-inkey', fx.files.signKey, '-rawin', '-in', 'msg.bin', '-digest', 'sm3', '-pkeyopt', `distid:${id}`, '-out', 'sig.der']);
  return readFileSync(join(dir, 'sig.der'));
}

const flip = (b: Buffer, at: number): Buffer => {
  const out = Buffer.from(b);
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
};

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const oid = (o: string): Asn1 => asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const seq = (...v: Asn1[]): Asn1 => asn1.create(U, asn1.Type.SEQUENCE, true, v);
const set = (...v: Asn1[]): Asn1 => asn1.create(U, asn1.Type.SET, true, v);
const int = (n: number): Asn1 => asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const octets = (b: Buffer): Asn1 => asn1.create(U, asn1.Type.OCTETSTRING, false, b.toString('binary'));
const ctx0 = (v: Asn1[]): Asn1 => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, v);
const toDer = (n: Asn1): Buffer => Buffer.from(asn1.toDer(n).getBytes(), 'binary');
const fromDer = (b: Buffer): Asn1 => asn1.fromDer(forge.util.createBuffer(b.toString('binary')), { decodeBitStrings: false } as unknown as boolean);

interface CmsSpec { profile: 'cms' | 'gmt0010'; digestOid?: string; signatureOid?: string; digest: Buffer }

/** A detached SignedData over `digest`, signed by openssl with the fixture's SM2 key. */
function sm2Cms(spec: CmsSpec): Buffer {
  const gm = spec.profile === 'gmt0010';
  const dataOid = gm ? GM_OID.data : '1.2.840.113549.1.7.1';
  const digestAlg = seq(oid(spec.digestOid ?? GM_OID.sm3));
  const attrs = [
    seq(oid('1.2.840.113549.1.9.3'), set(oid(dataOid))),
    seq(oid('1.2.840.113549.1.9.5'), set(asn1.create(U, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(new Date())))),
    seq(oid('1.2.840.113549.1.9.4'), set(octets(spec.digest))),
  ];
  const signature = opensslSign(toDer(set(...attrs)));
  const cert = fromDer(fx.signCertDer);
  const tbs = (cert.value as Asn1[])[0]?.value as Asn1[];
  const [serial, issuer] = [tbs[1] as Asn1, tbs[3] as Asn1];
  const signerInfo = seq(int(1), seq(issuer, serial), digestAlg, ctx0(attrs), seq(oid(spec.signatureOid ?? (gm ? GM_OID.sm2Sign : GM_OID.sm2WithSm3))), octets(signature));
  const signedData = seq(int(1), set(seq(oid(spec.digestOid ?? GM_OID.sm3))), seq(oid(dataOid)), ctx0([cert]), set(signerInfo));
  return toDer(seq(oid(gm ? GM_OID.signedData : '1.2.840.113549.1.7.2'), ctx0([signedData])));
}

const content = Buffer.from('政府采购合同 HT-DD20250003（国密）');
const sm3 = createHash('sm3').update(content).digest();

describe('examples/mall/cms/sm2', () => {
  describe('sm2PublicKey', () => {
    it('reads the uncompressed point of an SM2 certificate, the same one openssl prints', () => {
      const point = sm2PublicKey(leaf);
      const spki = openssl(['x509', '-in', fx.files.signCert, '-pubkey', '-noout']);
      const der = openssl(['pkey', '-pubin', '-outform', 'DER'], spki);
      expect(point?.toString('hex')).toBe(der.subarray(der.length - 65).toString('hex'));
      expect(keyAlgorithmOf(leaf)).toBe('SM2');
      expect(digestFor(leaf)).toBe('sm3');
    });

    it('says undefined for an RSA certificate, which signs SHA-256', () => {
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rsa', '-keyout', 'rsa.key', '-out', 'rsa.pem', '-days', '1']);
      const rsa = new X509Certificate(readFileSync(join(dir, 'rsa.pem')));
      expect(sm2PublicKey(rsa)).toBeUndefined();
      expect(keyAlgorithmOf(rsa)).toBe('RSA');
      expect(digestFor(rsa)).toBe('sha256');
    });
  });

  describe('verifySm2', () => {
    const key = sm2PublicKey(leaf) as Buffer;

    it('accepts an openssl SM2 signature with the default id 1234567812345678', () => {
      expect(verifySm2(content, opensslSign(content), key)).toBe(true);
    });

    it('rejects another id, a changed message, a flipped signature byte and garbage, without throwing', () => {
      const sig = opensslSign(content);
      expect(verifySm2(content, opensslSign(content, '1234567812345679'), key)).toBe(false);
      expect(verifySm2(flip(content, 3), sig, key)).toBe(false);
      expect(verifySm2(content, flip(sig, sig.length - 3), key)).toBe(false);
      expect(verifySm2(content, Buffer.from('3000', 'hex'), key)).toBe(false);
      expect(verifySm2(content, sig, Buffer.alloc(65, 4))).toBe(false);
    });
  });

  describe('certSignedBy', () => {
    it('verifies the SM2-with-SM3 signature the root put on the certificate', () => {
      expect(certSignedBy(leaf, root)).toBe(true);
      expect(checkChain(leaf, [], trust, new Date())).toEqual({ trusted: true, problems: [] });
    });

    it('refuses a root with the same name but another key', () => {
      const other = new X509Certificate(impostor.rootPem);
      expect(other.subject).toBe(root.subject);
      expect(certSignedBy(leaf, other)).toBe(false);
      expect(checkChain(leaf, [], { anchors: [other], intermediates: [] }, new Date()).trusted).toBe(false);
    });

    it('refuses a certificate whose signature was changed, though its names and key ids still match the root', () => {
      const tampered = new X509Certificate(flip(fx.signCertDer, fx.signCertDer.length - 3));
      expect(tampered.checkIssued(root)).toBe(true);
      expect(certSignedBy(tampered, root)).toBe(false);
      expect(checkChain(tampered, [], trust, new Date())).toEqual({ trusted: false, problems: ['证书链无法验证到受信任的根证书'] });
    });
  });
});

describe('verifyDetachedCms with SM2', () => {
  it.each(['cms', 'gmt0010'] as const)('accepts the %s profile: SM2 over the signed attributes, SM3 messageDigest, chain to the SM2 root', (profile) => {
    const cms = sm2Cms({ profile, digest: sm3 });
    const byDigest = verifyDetachedCms(cms, { digest: sm3, algorithm: 'sm3' }, trust);
    expect(byDigest.problems).toEqual([]);
    expect(byDigest).toMatchObject({ valid: true, chainTrusted: true, keyAlgorithm: 'SM2', digestAlgorithm: 'sm3' });
    expect(byDigest.signer?.fingerprint256).toBe(leaf.fingerprint256);
    expect(verifyDetachedCms(cms, { parts: [content.subarray(0, 5), content.subarray(5)] }, trust).valid).toBe(true);
  });

  it('refuses changed content, a flipped signature byte, and an untrusted root', () => {
    const cms = sm2Cms({ profile: 'cms', digest: sm3 });
    expect(verifyDetachedCms(cms, { parts: [flip(content, 0)] }, trust).problems).toEqual(['文档摘要与签名不符：签名后文档被修改过']);
    // The SignerInfo's signature value is the last thing in the SignedData: this byte is in SM2's `s`.
    expect(verifyDetachedCms(flip(cms, cms.length - 3), { digest: sm3, algorithm: 'sm3' }, trust).problems).toEqual(['签名值验证失败']);
    const elsewhere = verifyDetachedCms(cms, { digest: sm3, algorithm: 'sm3' }, { anchors: [new X509Certificate(impostor.rootPem)], intermediates: [] });
    expect(elsewhere.problems).toEqual(['证书链无法验证到受信任的根证书']);
  });

  it('refuses SM2 with a SHA-256 digest algorithm, and a digest of another algorithm than the mall asked for', () => {
    const sha256 = createHash('sha256').update(content).digest();
    const withSha = verifyDetachedCms(sm2Cms({ profile: 'cms', digest: sha256, digestOid: '2.16.840.1.101.3.4.2.1' }), { digest: sha256, algorithm: 'sha256' }, trust);
    expect(withSha.valid).toBe(false);
    expect(withSha.problems).toContain('国密SM2证书的签名须使用SM2/SM3算法');
    const asked = verifyDetachedCms(sm2Cms({ profile: 'cms', digest: sm3 }), { digest: sm3, algorithm: 'sha256' }, trust);
    expect(asked.problems).toEqual(['签名的摘要算法（sm3）与商城计算的摘要算法（sha256）不一致']);
  });

  it('refuses a content type that is neither RFC 5652 nor GM/T 0010 SignedData', () => {
    const cms = sm2Cms({ profile: 'cms', digest: sm3 });
    const node = fromDer(cms);
    (node.value as Asn1[])[0] = oid('1.2.840.113549.1.7.1');
    expect(verifyDetachedCms(toDer(node), { digest: sm3, algorithm: 'sm3' }, trust).problems).toEqual(['签名数据不是 CMS SignedData（内容类型不受支持）']);
  });
});
