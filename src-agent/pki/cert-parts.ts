/**
 * The parts of an X.509 certificate, parsed by pkijs, with the exact bytes
 * signatures and matching need: tbsCertificate (pkijs' `tbsView`), the issuer
 * and subject Name encodings (chain matching, CMS IssuerAndSerialNumber), the
 * SubjectPublicKeyInfo. RSA, EC and SM2 keys alike.
 */
import type * as Asn1 from 'asn1js';
import type * as Pkijs from 'pkijs';
import { asn1js, bytes, childrenOf, contentOf, decode, malformed, oidOf, parseWith, pkijs, rawOf } from './asn1.js';
import { readName, type DnAttribute } from './dn.js';
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
  /** The SubjectPublicKeyInfo DER, exactly as in the certificate. */
  spki: Buffer;
  /** The subjectPublicKey BIT STRING's bytes (for EC/SM2 the point `04‖x‖y`). */
  keyBytes: Buffer;
}

/** Parsed parts of a certificate. */
export interface CertParts {
  der: Buffer;
  /** 1, 2 or 3. */
  version: number;
  /** INTEGER contents octets, exactly as encoded. */
  serialRaw: Buffer;
  issuerRaw: Buffer;
  subjectRaw: Buffer;
  issuer: DnAttribute[];
  subject: DnAttribute[];
  notBefore: Date;
  notAfter: Date;
  /** The tbsCertificate bytes the issuer signed. */
  tbs: Buffer;
  signatureAlgorithmOid: string;
  /** The signatureValue BIT STRING's bytes. */
  signatureValue: Buffer;
  publicKey: PublicKeyInfo;
  /** The extensions as pkijs parsed them (read through extensions.ts). */
  extensions: Pkijs.Extension[];
}

function rsaModulusBits(key: Pkijs.PublicKeyInfo): number {
  const n = contentOf((key.parsedKey as Pkijs.RSAPublicKey | undefined)?.modulus ?? ({} as Asn1.AsnType));
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  if (start === n.length) return 0;
  return (n.length - start - 1) * 8 + (32 - Math.clz32(n[start]!));
}

function readPublicKey(key: Pkijs.PublicKeyInfo, spki: Buffer): PublicKeyInfo {
  const oid = key.algorithm.algorithmId;
  const keyBytes = bytes(key.subjectPublicKey.valueBlock.valueHexView);
  if (oid === ALG.RSA_ENCRYPTION) return { algorithm: 'RSA', size: rsaModulusBits(key), spki, keyBytes };
  const params = key.algorithm.algorithmParams as Asn1.AsnType | undefined;
  if (oid === ALG.EC_PUBLIC_KEY && params instanceof asn1js().ObjectIdentifier) {
    const curveOid = oidOf(params, 'namedCurve');
    const curve = CURVES[curveOid];
    return { algorithm: curveOid === ALG.SM2_CURVE ? 'SM2' : 'EC', curve: curve?.name ?? curveOid, size: curve?.bits ?? 0, spki, keyBytes };
  }
  return { algorithm: 'UNKNOWN', size: 0, spki, keyBytes };
}

const validDate = (d: Date, what: string): Date => {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw malformed(what);
  return d;
};

/**
 * Certificates parsed lately, by their bytes: the same few (the token's, the
 * trust anchors, the CAs) are read again at every list, chain and signature,
 * and pkijs takes a millisecond or more per certificate.
 */
const recent = new Map<string, CertParts>();
const RECENT_MAX = 256;

/**
 * Parses a DER certificate (the result is shared: treat it as read-only).
 * @throws AssistantError BAD_REQUEST when it is not an X.509 certificate.
 */
export function readCertParts(der: Buffer): CertParts {
  const key = der.toString('base64');
  const known = recent.get(key);
  if (known) {
    recent.delete(key);
    recent.set(key, known);
    return known;
  }
  const parts = parse(Buffer.from(der));
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(key, parts);
  return parts;
}

function parse(der: Buffer): CertParts {
  const root = decode(der, 'certificate');
  const cert = parseWith('certificate', () => new (pkijs().Certificate)({ schema: root }));
  const fields = childrenOf(childrenOf(root, 'certificate')[0]!, 'tbsCertificate');
  const spkiBlock = fields[fields[0]?.idBlock.tagClass === 3 ? 6 : 5];
  if (!spkiBlock) throw malformed('certificate');
  return parseWith('certificate', () => ({
    der,
    version: cert.version + 1,
    serialRaw: contentOf(cert.serialNumber),
    issuerRaw: bytes(cert.issuer.valueBeforeDecode),
    subjectRaw: bytes(cert.subject.valueBeforeDecode),
    issuer: readName(cert.issuer),
    subject: readName(cert.subject),
    notBefore: validDate(cert.notBefore.value, 'notBefore'),
    notAfter: validDate(cert.notAfter.value, 'notAfter'),
    tbs: bytes(cert.tbsView),
    signatureAlgorithmOid: cert.signatureAlgorithm.algorithmId,
    signatureValue: bytes(cert.signatureValue.valueBlock.valueHexView),
    publicKey: readPublicKey(cert.subjectPublicKeyInfo, rawOf(spkiBlock)),
    extensions: cert.extensions ?? [],
  }));
}
