/**
 * Verifies a detached CMS SignedData (PDF `adbe.pkcs7.detached`, or the
 * assistant's auth.challenge proof) against the signed content: messageDigest
 * equals its digest, the signature over the signed attributes verifies with
 * the signer certificate, and the certificate chains to a configured root.
 * RSA/ECDSA with SHA-2, and 国密 SM2 with SM3 in both the RFC 5652 and the
 * GM/T 0010 encodings. The mall and the supervision receiver are not the
 * assistant: they parse CMS with pkijs (on asn1js, the libraries the
 * assistant uses too) and check with node:crypto, and SM2 with sm-crypto-v2
 * (./sm2.ts).
 */
import { X509Certificate, createHash, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { GM_OID, certSignedBy, sm2PublicKey, verifySm2 } from './sm2.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

/** Digest algorithms a signature may use (node:crypto names). */
export type DigestName = 'sha256' | 'sha384' | 'sha512' | 'sm3';
const DIGESTS: Record<string, DigestName> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512', [GM_OID.sm3]: 'sm3' };
/** SignedData / encapsulated content types: RFC 5652's, or GM/T 0010's. */
const SIGNED_DATA = [OID.signedData, GM_OID.signedData];
const DATA = [OID.data, GM_OID.data];
/** SignerInfo.signatureAlgorithm for SM2: SM2-with-SM3 (RFC 5652 style) or sm2-1 (GM/T 0010). */
const SM2_SIGNATURES: readonly string[] = [GM_OID.sm2WithSm3, GM_OID.sm2Sign];

/**
 * What a detached signature signs: a digest the caller computed with a known
 * algorithm (the CMS must use the same), or the content's bytes, hashed here
 * with the algorithm the CMS names (a PDF's two byte ranges).
 */
export type SignedContent = { digest: Buffer; algorithm: DigestName } | { parts: Buffer[] };

/** `SM2` for 国密 keys, else node's key type in capitals (`RSA`, `EC`). */
export function keyAlgorithmOf(cert: X509Certificate): string {
  if (sm2PublicKey(cert)) return 'SM2';
  try {
    return (cert.publicKey.asymmetricKeyType ?? 'unknown').toUpperCase();
  } catch {
    return 'UNKNOWN'; // a key type node cannot load
  }
}

/** The digest a mall asks the assistant to sign with for this certificate: SM3 for SM2 keys (the assistant refuses others), SHA-256 otherwise. */
export function digestFor(cert: X509Certificate): 'sha256' | 'sm3' {
  return sm2PublicKey(cert) ? 'sm3' : 'sha256';
}

export interface TrustStore {
  anchors: X509Certificate[];
  intermediates: X509Certificate[];
}

export interface CmsVerification {
  /** Digest, signature and chain all good. */
  valid: boolean;
  signer: X509Certificate | undefined;
  /** From the signer certificate's key: `SM2`, `RSA`, `EC`. */
  keyAlgorithm: string | undefined;
  digestAlgorithm: DigestName | undefined;
  signingTime: Date | undefined;
  chainTrusted: boolean;
  /** Chinese, one per failed check. */
  problems: string[];
}

/** An OCTET STRING's value (primitive or BER constructed), or empty for anything else. */
const octets = (block: unknown): Buffer => (block instanceof asn1js.OctetString ? Buffer.from(block.getValue()) : Buffer.alloc(0));
const normSerial = (hex: string): string => hex.toUpperCase().replace(/^(00)+(?=.)/, '');

/** Reads PEM or DER certificate files' contents into X509Certificate objects (PEM bundles allowed). */
export function parseCertificates(data: Buffer): X509Certificate[] {
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return [new X509Certificate(data)];
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
}

/** Walks issuer links from `leaf` to a trust anchor; problems in Chinese. */
export function checkChain(leaf: X509Certificate, extra: X509Certificate[], trust: TrustStore, at: Date): { trusted: boolean; problems: string[] } {
  const problems: string[] = [];
  const pool = [...trust.intermediates, ...extra];
  let cert = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) problems.push(`证书“${cert.subject.replace(/\n/g, ', ')}”在签名时不在有效期内`);
    const anchor = trust.anchors.find((a) => a.fingerprint256 === cert.fingerprint256 || (cert.checkIssued(a) && certSignedBy(cert, a)));
    if (anchor) return { trusted: problems.length === 0, problems };
    const issuer = pool.find((c) => c.fingerprint256 !== cert.fingerprint256 && cert.checkIssued(c) && certSignedBy(cert, c));
    if (!issuer) break;
    cert = issuer;
  }
  problems.push('证书链无法验证到受信任的根证书');
  return { trusted: false, problems };
}

/** Verifies `cms` (DER) over `content`; never throws for bad input, returns problems instead. */
export function verifyDetachedCms(cms: Buffer, content: SignedContent, trust: TrustStore, now = new Date()): CmsVerification {
  const fail = (problem: string): CmsVerification => ({
    valid: false, signer: undefined, keyAlgorithm: undefined, digestAlgorithm: undefined, signingTime: undefined, chainTrusted: false, problems: [problem],
  });
  let contentInfo: pkijs.ContentInfo;
  let signedData: pkijs.SignedData;
  try {
    const decoded = asn1js.fromBER(cms);
    // A PDF signature's /Contents placeholder pads the DER with zero bytes; anything else after it is not a CMS.
    if (decoded.offset === -1 || cms.subarray(decoded.offset).some((byte) => byte !== 0)) return fail('签名数据不是有效的 CMS 结构');
    contentInfo = new pkijs.ContentInfo({ schema: decoded.result });
    if (!SIGNED_DATA.includes(contentInfo.contentType)) return fail('签名数据不是 CMS SignedData（内容类型不受支持）');
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    if (!DATA.includes(signedData.encapContentInfo.eContentType)) return fail('签名数据的原文内容类型不受支持');
  } catch {
    return fail('签名数据不是有效的 CMS 结构');
  }
  // Certificates by their exact bytes, as they are in the CMS.
  const certs: X509Certificate[] = [];
  const fields = (contentInfo.content as asn1js.Sequence).valueBlock.value;
  const certSet = fields.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  for (const c of certSet?.valueBlock.value ?? []) {
    try {
      certs.push(new X509Certificate(Buffer.from((c as asn1js.AsnType).valueBeforeDecodeView)));
    } catch {
      // Attribute certificates and other choices are not signer candidates.
    }
  }
  const si = signedData.signerInfos[0];
  if (!si) return fail('签名中没有签名人信息');
  const sid = si.sid as unknown;
  const serial = sid instanceof pkijs.IssuerAndSerialNumber ? normSerial(Buffer.from(sid.serialNumber.valueBlock.valueHexView).toString('hex')) : '';
  const signer = certs.find((c) => normSerial(c.serialNumber) === serial) ?? certs[0];
  if (!signer) return fail('签名中没有签名人证书');
  const digestName = DIGESTS[si.digestAlgorithm.algorithmId];
  const attrs = si.signedAttrs;
  const signatureAlgorithm = si.signatureAlgorithm.algorithmId;
  const signature = octets(si.signature);
  if (!digestName || !attrs) return fail('签名缺少签名属性或摘要算法不受支持');
  const sm2Key = sm2PublicKey(signer);
  const keyAlgorithm = keyAlgorithmOf(signer);
  const problems: string[] = [];
  if (sm2Key && (digestName !== 'sm3' || !SM2_SIGNATURES.includes(signatureAlgorithm))) {
    problems.push('国密SM2证书的签名须使用SM2/SM3算法');
  }
  if ('algorithm' in content && content.algorithm !== digestName) problems.push(`签名的摘要算法（${digestName}）与商城计算的摘要算法（${content.algorithm}）不一致`);
  const digest = 'digest' in content ? content.digest : content.parts.reduce((h, part) => h.update(part), createHash(digestName)).digest();
  let messageDigest: Buffer | undefined;
  let signingTime: Date | undefined;
  for (const attr of attrs.attributes) {
    const value = attr.values[0] as unknown;
    if (attr.type === OID.messageDigest) messageDigest = octets(value);
    if (attr.type === OID.signingTime && (value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime)) signingTime = value.toDate();
  }
  if (!messageDigest || !messageDigest.equals(digest)) problems.push('文档摘要与签名不符：签名后文档被修改过');
  const signedAttrs = Buffer.from(attrs.encodedValue);
  signedAttrs[0] = 0x31; // the signature covers the attributes as a SET, not as the [0] IMPLICIT field
  let sigOk = false;
  try {
    sigOk = sm2Key ? verifySm2(signedAttrs, signature, sm2Key) : verify(digestName, signedAttrs, signer.publicKey, signature);
  } catch {
    sigOk = false;
  }
  if (!sigOk) problems.push('签名值验证失败');
  const chain = checkChain(signer, certs, trust, signingTime ?? now);
  problems.push(...chain.problems);
  return { valid: problems.length === 0, signer, keyAlgorithm, digestAlgorithm: digestName, signingTime, chainTrusted: chain.trusted, problems };
}

/** One RDN value (`O`, `CN`, `serialNumber`…) of a certificate subject. */
export function subjectField(cert: X509Certificate, key: string): string | undefined {
  return cert.subject.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
}
