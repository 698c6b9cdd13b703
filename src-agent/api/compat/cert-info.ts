/** SOF_GetCertInfo and SOF_GetCertInfoByOid over the PKI layer's certificate parser. */
import { certValueByOid, dnValue, parseCertificate, type CertDetails } from '../../pki/index.js';
import { AssistantError } from '../../protocol/errors.js';
import { SGD_CERT } from './gmt0020.js';

/** Largest base64 certificate accepted, characters (a certificate is a few KiB). */
const MAX_CERT_BASE64 = 64 * 1024;

/** The DER of a base64 (or PEM) certificate a page sends. @throws AssistantError BAD_REQUEST. */
export function certFromBase64(text: string): Buffer {
  if (text.length > MAX_CERT_BASE64) throw new AssistantError('BAD_REQUEST', 'certificate too long');
  const b64 = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (b64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new AssistantError('BAD_REQUEST', 'certificate is not base64');
  return Buffer.from(b64, 'base64');
}

/** `YYYYMMDDHHMMSS` in the computer's local time, as the incumbent clients print validity. */
export function compactLocalTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function spkiBase64(details: CertDetails): string {
  return details.publicKeyPem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
}

const INFO: Record<number, (d: CertDetails) => string | undefined> = {
  [SGD_CERT.VERSION]: (d) => `V${d.version}`,
  [SGD_CERT.SERIAL]: (d) => d.serialNumber,
  [SGD_CERT.ISSUER]: (d) => d.issuer,
  [SGD_CERT.VALID_TIME]: (d) => `${compactLocalTime(d.notBefore)};${compactLocalTime(d.notAfter)}`,
  [SGD_CERT.SUBJECT]: (d) => d.subject,
  [SGD_CERT.DER_PUBLIC_KEY]: spkiBase64,
  [SGD_CERT.NOT_BEFORE]: (d) => compactLocalTime(d.notBefore),
  [SGD_CERT.EXT_AUTHORITY_KEY_IDENTIFIER]: (d) => d.authorityKeyIdentifier,
  [SGD_CERT.EXT_SUBJECT_KEY_IDENTIFIER]: (d) => d.subjectKeyIdentifier,
  [SGD_CERT.EXT_KEY_USAGE]: (d) => (d.keyUsagePresent ? d.keyUsage.join(',') : undefined),
  [SGD_CERT.EXT_CERTIFICATE_POLICIES]: (d) => d.policies.join(',') || undefined,
  [SGD_CERT.EXT_BASIC_CONSTRAINTS]: (d) => (d.basicConstraints ? `CA=${d.basicConstraints.ca ? 'TRUE' : 'FALSE'}` : undefined),
  [SGD_CERT.EXT_EXT_KEY_USAGE]: (d) => d.extKeyUsage.join(',') || undefined,
  [SGD_CERT.EXT_CRL_DISTRIBUTION_POINTS]: (d) => d.crlDistributionPoints.join(',') || undefined,
  [SGD_CERT.ISSUER_CN]: (d) => dnValue(d.issuerAttributes, 'CN'),
  [SGD_CERT.ISSUER_O]: (d) => dnValue(d.issuerAttributes, 'O'),
  [SGD_CERT.ISSUER_OU]: (d) => dnValue(d.issuerAttributes, 'OU'),
  [SGD_CERT.SUBJECT_CN]: (d) => dnValue(d.subjectAttributes, 'CN'),
  [SGD_CERT.SUBJECT_O]: (d) => dnValue(d.subjectAttributes, 'O'),
  [SGD_CERT.SUBJECT_OU]: (d) => dnValue(d.subjectAttributes, 'OU'),
  [SGD_CERT.SUBJECT_EMAIL]: (d) => dnValue(d.subjectAttributes, 'emailAddress') ?? dnValue(d.subjectAttributes, 'E'),
  [SGD_CERT.NOTBEFORE_TIME]: (d) => compactLocalTime(d.notBefore),
  [SGD_CERT.NOTAFTER_TIME]: (d) => compactLocalTime(d.notAfter),
};

/** The GM/T 0020 types SOF_GetCertInfo answers. */
export const CERT_INFO_TYPES: readonly number[] = Object.keys(INFO).map(Number);

/**
 * SOF_GetCertInfo: one field of a certificate by its GM/T 0020 type.
 * @throws AssistantError BAD_REQUEST (not a certificate), UNSUPPORTED_ALGORITHM (a type not answered), CERT_NOT_FOUND (the field is absent).
 */
export function certInfo(certBase64: string, type: number): string {
  const details = parseCertificate(certFromBase64(certBase64));
  const field = INFO[type];
  if (!field) throw new AssistantError('UNSUPPORTED_ALGORITHM', `SOF_GetCertInfo type ${type} not supported`);
  const value = field(details);
  if (value === undefined) throw new AssistantError('CERT_NOT_FOUND', `certificate has no field of type ${type}`);
  return value;
}

/**
 * SOF_GetCertInfoByOid: a subject attribute or private extension by OID.
 * @throws AssistantError BAD_REQUEST (not a certificate or not an OID), CERT_NOT_FOUND (absent).
 */
export function certInfoByOid(certBase64: string, oid: string): string {
  if (!/^[0-2](\.\d{1,10}){1,30}$/.test(oid)) throw new AssistantError('BAD_REQUEST', 'not a dotted OID');
  const value = certValueByOid(certFromBase64(certBase64), oid);
  if (value === undefined) throw new AssistantError('CERT_NOT_FOUND', `certificate has no value for OID ${oid}`);
  return value;
}
