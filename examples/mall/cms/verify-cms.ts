/**
 * Verifies a detached CMS SignedData (PDF `adbe.pkcs7.detached`, or the
 * assistant's auth.challenge proof) against the signed content: messageDigest
 * equals its digest, the signature over the signed attributes verifies with
 * the signer certificate, and the certificate chains to a configured root.
 * RSA/ECDSA with SHA-2, and 国密 SM2 with SM3 in both the RFC 5652 and the
 * GM/T 0010 encodings. The mall and the supervision receiver are not the
 * assistant: they parse CMS with node-forge's ASN.1 reader and check with
 * node:crypto, and SM2 with sm-crypto-v2 (./sm2.ts).
 */
import { X509Certificate, createHash, verify } from 'node:crypto';
import forge from 'node-forge';
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

type Asn1 = forge.asn1.Asn1;
const children = (node: Asn1 | undefined): Asn1[] => (Array.isArray(node?.value) ? (node.value as Asn1[]) : []);
const bytes = (node: Asn1 | undefined): Buffer => Buffer.from(typeof node?.value === 'string' ? node.value : '', 'binary');
const der = (node: Asn1): Buffer => Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
const oidOf = (node: Asn1 | undefined): string => forge.asn1.derToOid(forge.util.createBuffer(typeof node?.value === 'string' ? node.value : ''));
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
  let signedData: Asn1[];
  try {
    // @types/node-forge types the second argument as a boolean only; node-forge also takes this options object.
    // BIT STRINGs stay opaque so certificates re-encode byte for byte.
    const contentInfo = forge.asn1.fromDer(forge.util.createBuffer(cms.toString('binary')), { strict: false, parseAllBytes: false, decodeBitStrings: false } as unknown as boolean);
    if (!SIGNED_DATA.includes(oidOf(children(contentInfo)[0]))) return fail('签名数据不是 CMS SignedData（内容类型不受支持）');
    signedData = children(children(children(contentInfo)[1])[0]);
    if (!DATA.includes(oidOf(children(signedData[2])[0]))) return fail('签名数据的原文内容类型不受支持');
  } catch {
    return fail('签名数据不是有效的 CMS 结构');
  }
  const certs: X509Certificate[] = [];
  const certSet = signedData.find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 0);
  for (const c of children(certSet)) {
    try {
      certs.push(new X509Certificate(der(c)));
    } catch {
      // Attribute certificates and other choices are not signer candidates.
    }
  }
  const signerInfo = children(signedData[signedData.length - 1])[0];
  const si = children(signerInfo);
  const sid = si[1];
  const serial = normSerial(forge.util.bytesToHex(typeof children(sid)[1]?.value === 'string' ? (children(sid)[1]?.value as string) : ''));
  const signer = certs.find((c) => normSerial(c.serialNumber) === serial) ?? certs[0];
  if (!signer) return fail('签名中没有签名人证书');
  const digestName = DIGESTS[oidOf(children(si[2])[0])];
  const attrsNode = si.find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 0);
  const signatureAlgorithm = oidOf(children(si[si.indexOf(attrsNode as Asn1) + 1])[0]);
  const signature = bytes(si[si.indexOf(attrsNode as Asn1) + 2]);
  if (!digestName || !attrsNode) return fail('签名缺少签名属性或摘要算法不受支持');
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
  for (const attr of children(attrsNode)) {
    const [type, values] = children(attr);
    const oid = oidOf(type);
    const value = children(values)[0];
    if (oid === OID.messageDigest) messageDigest = bytes(value);
    if (oid === OID.signingTime && typeof value?.value === 'string') {
      signingTime = value.type === forge.asn1.Type.UTCTIME ? forge.asn1.utcTimeToDate(value.value) : forge.asn1.generalizedTimeToDate(value.value);
    }
  }
  if (!messageDigest || !messageDigest.equals(digest)) problems.push('文档摘要与签名不符：签名后文档被修改过');
  const signedAttrs = der(attrsNode);
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
