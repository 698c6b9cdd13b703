/**
 * CMS signed attributes (RFC 5652 §5.3): contentType, signingTime,
 * messageDigest and signingCertificateV2 (RFC 5035), as PAdES and
 * `openssl cms` expect them.
 */
import { createHash } from 'node:crypto';
import type { CertParts } from './cert-parts.js';
import { constant, contextConstructed, encode, integerContents, octets, oid, sequence, setOf, sortSetOf, time, verbatim, type Encodable } from './encode.js';
import { CMS } from './oids.js';

/** One Attribute: `SEQ { type OID, values SET OF }`. */
function attribute(type: string, ...values: Encodable[]): Buffer {
  return encode(sequence(verbatim(constant(`oid ${type}`, () => oid(type))), setOf(values.map(encode))));
}

const contentTypeAttribute = (contentType: string): Buffer => constant(`contentType ${contentType}`, () => verbatim(attribute(CMS.ATTR_CONTENT_TYPE, oid(contentType))));

/**
 * SigningCertificateV2 with one ESSCertIDv2: hashAlgorithm omitted (SHA-256 is
 * the DEFAULT), certHash = SHA-256 of the certificate, issuerSerial =
 * { GeneralNames { directoryName [4] issuer }, serialNumber }.
 */
export function signingCertificateV2(cert: CertParts): Encodable {
  const certHash = createHash('sha256').update(cert.der).digest();
  const generalNames = sequence(contextConstructed(4, verbatim(cert.issuerRaw)));
  const issuerSerial = sequence(generalNames, integerContents(cert.serialRaw));
  const essCertIdV2 = sequence(octets(certHash), issuerSerial);
  return sequence(sequence(essCertIdV2));
}

/** The signingCertificateV2 attribute of each certificate signed with (it depends on the certificate only). */
const signingCertificateAttributes = new WeakMap<CertParts, Buffer>();

function signingCertificateAttribute(cert: CertParts): Buffer {
  let der = signingCertificateAttributes.get(cert);
  if (!der) {
    der = attribute(CMS.ATTR_SIGNING_CERTIFICATE_V2, signingCertificateV2(cert));
    signingCertificateAttributes.set(cert, der);
  }
  return der;
}

/** Inputs of {@link buildSignedAttributes}. */
export interface SignedAttributesInput {
  /** The document digest; becomes messageDigest verbatim. */
  hash: Buffer;
  /** The signer certificate (for signingCertificateV2). */
  signer: CertParts;
  signingTime: Date;
  /** eContentType the contentType attribute names (default id-data; GM/T 0010's data OID for that profile). */
  contentType?: string;
}

/** The encoded Attribute elements, in DER (sorted) order. */
export function buildSignedAttributes(input: SignedAttributesInput): Buffer[] {
  return sortSetOf([
    contentTypeAttribute(input.contentType ?? CMS.DATA),
    attribute(CMS.ATTR_SIGNING_TIME, time(input.signingTime)),
    attribute(CMS.ATTR_MESSAGE_DIGEST, octets(input.hash)),
    signingCertificateAttribute(input.signer),
  ]);
}

/** The bytes the signature covers: the attributes as a DER `SET OF` (tag 0x31). */
export function signedAttributesForSigning(attributes: Buffer[]): Buffer {
  return encode(setOf(attributes));
}

/** The same attributes as stored in SignerInfo: `[0] IMPLICIT` (tag 0xA0). */
export function signedAttributesImplicit(attributes: Buffer[]): Encodable {
  return contextConstructed(0, ...sortSetOf(attributes).map((a) => verbatim(a)));
}
