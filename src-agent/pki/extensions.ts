/** X.509 v3 extensions the assistant shows or acts on. Unknown ones are ignored. */
import { TAG, TAG_CLASS, childrenOf, expectUniversal, isTag, parseDer, type DerNode } from './der.js';
import { readBitString, readOid, readSmallInt } from './der-values.js';
import { ACCESS_METHOD, EXT, EXT_KEY_USAGE_NAMES } from './oids.js';

/** KeyUsage bit names in bit order (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;

export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

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
}

function keyUsage(value: DerNode): KeyUsage[] {
  const { bytes } = readBitString(value, 'keyUsage');
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
}

/** URIs ([6] IA5String) inside GeneralNames. */
function uris(names: DerNode[]): string[] {
  return names.filter((n) => isTag(n, TAG_CLASS.CONTEXT, 6)).map((n) => n.content.toString('latin1'));
}

function crlPoints(value: DerNode): string[] {
  const out: string[] = [];
  for (const dp of childrenOf(value, 'CRLDistributionPoints')) {
    const dpName = childrenOf(dp, 'DistributionPoint').find((n) => isTag(n, TAG_CLASS.CONTEXT, 0));
    const fullName = dpName ? childrenOf(dpName, 'DistributionPointName').find((n) => isTag(n, TAG_CLASS.CONTEXT, 0)) : undefined;
    if (fullName) out.push(...uris(childrenOf(fullName, 'GeneralNames')));
  }
  return out;
}

function apply(out: CertExtensions, oid: string, value: DerNode): void {
  switch (oid) {
    case EXT.KEY_USAGE:
      out.keyUsage = keyUsage(value);
      break;
    case EXT.EXT_KEY_USAGE:
      out.extKeyUsage = childrenOf(value, 'extKeyUsage').map((n) => {
        const id = readOid(n, 'extKeyUsage');
        return EXT_KEY_USAGE_NAMES[id] ?? id;
      });
      break;
    case EXT.SUBJECT_KEY_ID:
      out.subjectKeyIdentifier = expectUniversal(value, TAG.OCTET_STRING, 'SKI').content.toString('hex');
      break;
    case EXT.AUTHORITY_KEY_ID: {
      const keyId = childrenOf(value, 'AKI').find((n) => isTag(n, TAG_CLASS.CONTEXT, 0));
      if (keyId) out.authorityKeyIdentifier = keyId.content.toString('hex');
      break;
    }
    case EXT.BASIC_CONSTRAINTS: {
      const parts = childrenOf(value, 'basicConstraints');
      const ca = isTag(parts[0], TAG_CLASS.UNIVERSAL, TAG.BOOLEAN) && parts[0].content[0] !== 0;
      const lenNode = parts.find((n) => isTag(n, TAG_CLASS.UNIVERSAL, TAG.INTEGER));
      out.basicConstraints = lenNode ? { ca, pathLength: readSmallInt(lenNode) } : { ca };
      break;
    }
    case EXT.CRL_DISTRIBUTION_POINTS:
      out.crlDistributionPoints = crlPoints(value);
      break;
    case EXT.AUTHORITY_INFO_ACCESS:
      for (const ad of childrenOf(value, 'AIA')) {
        const [method, location] = childrenOf(ad, 'AccessDescription');
        const url = location ? uris([location]) : [];
        const id = readOid(method, 'accessMethod');
        if (id === ACCESS_METHOD.OCSP) out.ocspUrls.push(...url);
        else if (id === ACCESS_METHOD.CA_ISSUERS) out.caIssuersUrls.push(...url);
      }
      break;
    case EXT.CERTIFICATE_POLICIES:
      out.policies = childrenOf(value, 'certificatePolicies').map((p) => readOid(childrenOf(p, 'PolicyInformation')[0], 'policy'));
      break;
    default:
  }
}

/**
 * Reads the `[3] Extensions` element of a TBSCertificate (or nothing for v1 certificates).
 * @throws AssistantError BAD_REQUEST when a known extension is malformed.
 */
export function readExtensions(explicitTag: DerNode | undefined): CertExtensions {
  const out: CertExtensions = { extKeyUsage: [], crlDistributionPoints: [], ocspUrls: [], caIssuersUrls: [], policies: [] };
  if (!explicitTag) return out;
  const [list] = childrenOf(explicitTag, 'extensions');
  for (const ext of childrenOf(expectUniversal(list, TAG.SEQUENCE, 'Extensions'), 'Extensions')) {
    const parts = childrenOf(ext, 'Extension');
    const oid = readOid(parts[0], 'extnID');
    const octet = expectUniversal(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue');
    apply(out, oid, parseDer(octet.content, `extension ${oid}`));
  }
  return out;
}

/** True when a KeyUsage list (undefined: the extension is absent) allows signatures: digitalSignature or nonRepudiation. */
export function keyUsageAllowsSigning(usage: readonly string[] | undefined): boolean {
  return usage === undefined || usage.includes('digitalSignature') || usage.includes('nonRepudiation');
}
