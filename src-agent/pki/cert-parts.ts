/**
 * The raw pieces of an X.509 certificate, located without re-encoding:
 * exact issuer/subject Name bytes (for chain matching and CMS
 * IssuerAndSerialNumber), the SubjectPublicKeyInfo, the extensions element.
 * Works for RSA, EC and SM2 keys alike (forge's certificate parser only knows RSA).
 */
import { TAG, TAG_CLASS, childrenOf, expectUniversal, isTag, malformed, parseDer, type DerNode } from './der.js';
import { readAlgorithm, readBitString, readOid, readSmallInt, readTime } from './der-values.js';
import { ALG, CURVES } from './oids.js';

/** Public key algorithm family as the assistant names it. */
export type KeyAlgorithm = 'RSA' | 'EC' | 'SM2' | 'UNKNOWN';

/** What SubjectPublicKeyInfo says about the key. */
export interface PublicKeyInfo {
  algorithm: KeyAlgorithm;
  /** Named curve for EC/SM2 keys, e.g. `P-256` (or the OID when unknown). */
  curve?: string;
  /** RSA modulus bits or curve size in bits; 0 when unknown. */
  size: number;
  /** The SubjectPublicKeyInfo DER. */
  spki: Buffer;
}

/** Raw, located parts of a certificate. */
export interface CertParts {
  der: Buffer;
  version: number;
  /** INTEGER contents octets, exactly as encoded. */
  serialRaw: Buffer;
  issuerRaw: Buffer;
  subjectRaw: Buffer;
  issuer: DerNode;
  subject: DerNode;
  notBefore: Date;
  notAfter: Date;
  signatureAlgorithmOid: string;
  publicKey: PublicKeyInfo;
  /** The `[3]` element of the TBSCertificate, if any. */
  extensions?: DerNode;
}

function rsaModulusBits(keyBits: Buffer): number {
  const [modulus] = childrenOf(parseDer(keyBits, 'RSAPublicKey'), 'RSAPublicKey');
  const n = expectUniversal(modulus, TAG.INTEGER, 'RSA modulus').content;
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  if (start === n.length) return 0;
  return (n.length - start - 1) * 8 + (32 - Math.clz32(n[start]!));
}

function readPublicKey(spki: DerNode): PublicKeyInfo {
  const [algNode, keyNode] = childrenOf(expectUniversal(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
  const { oid, params } = readAlgorithm(algNode, 'SubjectPublicKeyInfo algorithm');
  const { bytes } = readBitString(keyNode, 'subjectPublicKey');
  if (oid === ALG.RSA_ENCRYPTION) return { algorithm: 'RSA', size: rsaModulusBits(bytes), spki: spki.raw };
  if (oid === ALG.EC_PUBLIC_KEY && isTag(params, TAG_CLASS.UNIVERSAL, TAG.OID)) {
    const curveOid = readOid(params, 'namedCurve');
    const curve = CURVES[curveOid];
    return {
      algorithm: curveOid === ALG.SM2_CURVE ? 'SM2' : 'EC',
      curve: curve?.name ?? curveOid,
      size: curve?.bits ?? 0,
      spki: spki.raw,
    };
  }
  return { algorithm: 'UNKNOWN', size: 0, spki: spki.raw };
}

/**
 * Locates the parts of a DER certificate.
 * @throws AssistantError BAD_REQUEST when it is not an X.509 certificate.
 */
export function readCertParts(der: Buffer): CertParts {
  const cert = expectUniversal(parseDer(der, 'certificate'), TAG.SEQUENCE, 'certificate');
  const [tbs, sigAlg] = childrenOf(cert, 'certificate');
  const fields = childrenOf(expectUniversal(tbs, TAG.SEQUENCE, 'tbsCertificate'), 'tbsCertificate');
  let i = 0;
  let version = 1;
  if (isTag(fields[0], TAG_CLASS.CONTEXT, 0)) {
    version = readSmallInt(childrenOf(fields[0], 'version')[0], 'version') + 1;
    i = 1;
  }
  const serial = expectUniversal(fields[i], TAG.INTEGER, 'serialNumber');
  const issuer = expectUniversal(fields[i + 2], TAG.SEQUENCE, 'issuer');
  const validity = childrenOf(expectUniversal(fields[i + 3], TAG.SEQUENCE, 'validity'), 'validity');
  const subject = expectUniversal(fields[i + 4], TAG.SEQUENCE, 'subject');
  const spki = fields[i + 5];
  if (!spki) throw malformed('certificate');
  const extensions = fields.slice(i + 6).find((n) => isTag(n, TAG_CLASS.CONTEXT, 3));
  const parts: CertParts = {
    der,
    version,
    serialRaw: serial.content,
    issuerRaw: issuer.raw,
    subjectRaw: subject.raw,
    issuer,
    subject,
    notBefore: readTime(validity[0], 'notBefore'),
    notAfter: readTime(validity[1], 'notAfter'),
    signatureAlgorithmOid: readAlgorithm(sigAlg, 'signatureAlgorithm').oid,
    publicKey: readPublicKey(spki),
  };
  if (extensions) parts.extensions = extensions;
  return parts;
}
