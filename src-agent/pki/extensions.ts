/**
 * X.509 v3 extensions the assistant shows or acts on, from pkijs' parsed
 * values; and which critical extensions it does not understand (RFC 5280
 * §4.2: a certificate with one must be rejected).
 */
import type * as Asn1 from 'asn1js';
import type * as Pkijs from 'pkijs';
import { contentOf, malformed } from './asn1.js';
import { ACCESS_METHOD, EXT, EXT_KEY_USAGE_NAMES } from './oids.js';

/** KeyUsage bit names in bit order (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;

export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

/**
 * Extensions the assistant processes (or that only name things), so a
 * `critical` flag on them is honoured. Anything else marked critical makes
 * the certificate unusable in a chain.
 */
const UNDERSTOOD = new Set<string>([
  EXT.SUBJECT_KEY_ID, EXT.KEY_USAGE, EXT.BASIC_CONSTRAINTS, EXT.CRL_DISTRIBUTION_POINTS, EXT.CERTIFICATE_POLICIES,
  EXT.AUTHORITY_KEY_ID, EXT.EXT_KEY_USAGE, EXT.AUTHORITY_INFO_ACCESS, EXT.SUBJECT_ALT_NAME, EXT.ISSUER_ALT_NAME,
]);

/** What the extensions say; absent extensions leave their field undefined or empty. */
export interface CertExtensions {
  /** Undefined when the certificate has no KeyUsage extension (any usage allowed). */
  keyUsage?: KeyUsage[];
  /** Purpose names (`clientAuth`…) or OIDs; empty when absent. */
  extKeyUsage: string[];
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  basicConstraints?: { ca: boolean; pathLength?: number };
  crlDistributionPoints: string[];
  ocspUrls: string[];
  caIssuersUrls: string[];
  /** Certificate policy OIDs. */
  policies: string[];
  /** OIDs of extensions marked critical that the assistant does not process. */
  unknownCritical: string[];
}

/** True when the key usage allows signing documents (digitalSignature or nonRepudiation); absent KeyUsage allows everything. */
export function keyUsageAllowsSigning(usage: readonly KeyUsage[] | readonly string[] | undefined): boolean {
  return usage === undefined || (usage as readonly string[]).includes('digitalSignature') || (usage as readonly string[]).includes('nonRepudiation');
}

/** URIs ([6] IA5String) among GeneralNames. */
const uris = (names: Pkijs.GeneralName[] | undefined): string[] =>
  (names ?? []).filter((n) => n.type === 6 && typeof n.value === 'string').map((n) => n.value as string);

function apply(out: CertExtensions, ext: Pkijs.Extension): void {
  if (!UNDERSTOOD.has(ext.extnID) || ext.extnID === EXT.SUBJECT_ALT_NAME || ext.extnID === EXT.ISSUER_ALT_NAME) return;
  const value: unknown = ext.parsedValue;
  if (value === undefined) throw malformed(`extension ${ext.extnID}`);
  switch (ext.extnID) {
    case EXT.KEY_USAGE: {
      const b = contentOf(value as Asn1.AsnType);
      out.keyUsage = KEY_USAGE_BITS.filter((_, i) => ((b[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
      break;
    }
    case EXT.EXT_KEY_USAGE:
      out.extKeyUsage = (value as Pkijs.ExtKeyUsage).keyPurposes.map((id) => EXT_KEY_USAGE_NAMES[id] ?? id);
      break;
    case EXT.SUBJECT_KEY_ID:
      out.subjectKeyIdentifier = contentOf(value as Asn1.AsnType).toString('hex');
      break;
    case EXT.AUTHORITY_KEY_ID: {
      const keyId = (value as Pkijs.AuthorityKeyIdentifier).keyIdentifier;
      if (keyId) out.authorityKeyIdentifier = contentOf(keyId).toString('hex');
      break;
    }
    case EXT.BASIC_CONSTRAINTS: {
      const bc = value as Pkijs.BasicConstraints;
      const len = bc.pathLenConstraint;
      const pathLength = typeof len === 'number' ? len : len?.valueBlock.valueDec;
      out.basicConstraints = pathLength === undefined ? { ca: bc.cA === true } : { ca: bc.cA === true, pathLength };
      break;
    }
    case EXT.CRL_DISTRIBUTION_POINTS:
      out.crlDistributionPoints = (value as Pkijs.CRLDistributionPoints).distributionPoints.flatMap((dp) =>
        Array.isArray(dp.distributionPoint) ? uris(dp.distributionPoint) : []);
      break;
    case EXT.AUTHORITY_INFO_ACCESS:
      for (const ad of (value as Pkijs.InfoAccess).accessDescriptions) {
        const url = uris([ad.accessLocation]);
        if (ad.accessMethod === ACCESS_METHOD.OCSP) out.ocspUrls.push(...url);
        else if (ad.accessMethod === ACCESS_METHOD.CA_ISSUERS) out.caIssuersUrls.push(...url);
      }
      break;
    case EXT.CERTIFICATE_POLICIES:
      out.policies = (value as Pkijs.CertificatePolicies).certificatePolicies.map((p) => p.policyIdentifier);
      break;
    default:
  }
}

/**
 * Reads a certificate's extensions (none for v1 certificates). The result is shared: treat it as read-only.
 * @throws AssistantError BAD_REQUEST when an extension the assistant reads is malformed.
 */
export function readExtensions(extensions: readonly Pkijs.Extension[]): CertExtensions {
  const known = read.get(extensions);
  if (known) return known;
  const out: CertExtensions = { extKeyUsage: [], crlDistributionPoints: [], ocspUrls: [], caIssuersUrls: [], policies: [], unknownCritical: [] };
  for (const ext of extensions) {
    if (ext.critical && !UNDERSTOOD.has(ext.extnID)) out.unknownCritical.push(ext.extnID);
    apply(out, ext);
  }
  read.set(extensions, out);
  return out;
}

/** Extensions read before, by the (shared, cached) list they came from: every signature reads its certificate's key usage twice. */
const read = new WeakMap<readonly Pkijs.Extension[], CertExtensions>();
