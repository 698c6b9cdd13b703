/** Certificate details for lists, dialogs, checks and reports. */
import { createHash } from 'node:crypto';
import { classifySubject, type CertKind } from './cert-kind.js';
import { readCertParts, type KeyAlgorithm } from './cert-parts.js';
import { formatName, type DnAttribute } from './dn.js';
import { readExtensions, type CertExtensions, type KeyUsage } from './extensions.js';
import { SIGNATURE_ALGORITHM_NAMES } from './oids.js';

/** Everything the assistant shows about a certificate: its fields and its extensions. */
export interface CertDetails extends Omit<CertExtensions, 'keyUsage' | 'unknownCritical'> {
  version: number;
  /** RFC 4514 order, most specific first: `CN=…, O=…, C=CN`. */
  subject: string;
  subjectAttributes: DnAttribute[];
  issuer: string;
  issuerAttributes: DnAttribute[];
  /** Lower-case hex, without the sign-padding zero byte. */
  serialNumber: string;
  /** ISO 8601, UTC. */
  notBefore: string;
  notAfter: string;
  /** Empty when the certificate has no KeyUsage extension; see `keyUsagePresent`. */
  keyUsage: KeyUsage[];
  keyUsagePresent: boolean;
  keyAlgorithm: KeyAlgorithm;
  /** Named curve for EC/SM2 keys (`P-256`, `SM2`). */
  keyCurve?: string;
  /** RSA modulus bits or curve bits. */
  keySize: number;
  /** Name of the CA's signature algorithm (`sha256WithRSAEncryption`) or its OID. */
  signatureAlgorithm: string;
  /** SHA-256 over the DER, lower-case hex without separators. */
  fingerprintSha256: string;
  kind: CertKind;
  /** Subject and issuer names are byte-identical (a root or other self-issued certificate). */
  selfIssued: boolean;
  /** SubjectPublicKeyInfo as PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
}

/** PEM-armours DER with the given label, 64 characters a line. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** SHA-256 fingerprint of a DER certificate, lower-case hex. */
export function fingerprintSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Parses a DER X.509 certificate (RSA, EC or SM2 key; UTF8String, BMPString
 * or PrintableString names).
 * @throws AssistantError BAD_REQUEST when the bytes are not a certificate.
 */
export function parseCertificate(der: Buffer): CertDetails {
  const parts = readCertParts(der);
  const subjectAttributes = parts.subject;
  const issuerAttributes = parts.issuer;
  const ext = readExtensions(parts.extensions);
  const key = parts.publicKey;
  const details: CertDetails = {
    version: parts.version,
    subject: formatName(subjectAttributes),
    subjectAttributes,
    issuer: formatName(issuerAttributes),
    issuerAttributes,
    serialNumber: serialHex(parts.serialRaw),
    notBefore: parts.notBefore.toISOString(),
    notAfter: parts.notAfter.toISOString(),
    keyUsage: ext.keyUsage ?? [],
    keyUsagePresent: ext.keyUsage !== undefined,
    extKeyUsage: ext.extKeyUsage,
    keyAlgorithm: key.algorithm,
    keySize: key.size,
    signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[parts.signatureAlgorithmOid] ?? parts.signatureAlgorithmOid,
    fingerprintSha256: fingerprintSha256(der),
    crlDistributionPoints: ext.crlDistributionPoints,
    ocspUrls: ext.ocspUrls,
    caIssuersUrls: ext.caIssuersUrls,
    policies: ext.policies,
    kind: classifySubject(subjectAttributes),
    selfIssued: parts.subjectRaw.equals(parts.issuerRaw),
    publicKeyPem: toPem(key.spki, 'PUBLIC KEY'),
  };
  if (key.curve !== undefined) details.keyCurve = key.curve;
  if (ext.subjectKeyIdentifier !== undefined) details.subjectKeyIdentifier = ext.subjectKeyIdentifier;
  if (ext.authorityKeyIdentifier !== undefined) details.authorityKeyIdentifier = ext.authorityKeyIdentifier;
  if (ext.basicConstraints !== undefined) details.basicConstraints = ext.basicConstraints;
  return details;
}

/** Serial INTEGER contents as hex, dropping the zero byte that only keeps it positive. */
export function serialHex(raw: Buffer): string {
  const bytes = raw.length > 1 && raw[0] === 0 ? raw.subarray(1) : raw;
  return bytes.toString('hex');
}

/** The short form used on the wire (`certs.list`) and in verification results. */
export interface CertSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  kind: CertKind;
  keyAlgorithm: KeyAlgorithm;
  keyUsage: KeyUsage[];
  fingerprintSha256: string;
}

/** Picks the summary fields from full details. */
export function summarizeCertificate(d: CertDetails): CertSummary {
  return {
    subject: d.subject,
    issuer: d.issuer,
    serialNumber: d.serialNumber,
    notBefore: d.notBefore,
    notAfter: d.notAfter,
    kind: d.kind,
    keyAlgorithm: d.keyAlgorithm,
    keyUsage: d.keyUsage,
    fingerprintSha256: d.fingerprintSha256,
  };
}

/** Certificate validity at `at`: `valid`, `expired` or `notYetValid`. */
export function validityAt(d: Pick<CertDetails, 'notBefore' | 'notAfter'>, at: Date): 'valid' | 'expired' | 'notYetValid' {
  if (at.getTime() < Date.parse(d.notBefore)) return 'notYetValid';
  if (at.getTime() > Date.parse(d.notAfter)) return 'expired';
  return 'valid';
}
