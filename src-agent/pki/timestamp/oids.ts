import { HASH_ALGORITHMS } from '../hash.js';

/** OIDs of RFC 3161 time-stamping and its CMS attribute (RFC 3161 appendix A). */
export const TSP = {
  /** id-aa-signatureTimeStampToken: unsigned attribute holding a TimeStampToken over the SignerInfo's signature value. */
  SIGNATURE_TIMESTAMP_TOKEN: '1.2.840.113549.1.9.16.2.14',
  /** id-ct-TSTInfo: the eContentType of a TimeStampToken. */
  TST_INFO: '1.2.840.113549.1.9.16.1.4',
  /** id-kp-timeStamping: the extended key usage a TSA certificate must carry (critical). */
  KP_TIME_STAMPING: '1.3.6.1.5.5.7.3.8',
  EXTENDED_KEY_USAGE: '2.5.29.37',
} as const;

/** Digests a message imprint may use: the SHA-2 family (RFC 3161 TSAs rarely take SM3); OIDs from the one hash table. */
export const IMPRINT_DIGESTS = {
  sha256: HASH_ALGORITHMS.sha256.oid,
  sha384: HASH_ALGORITHMS.sha384.oid,
  sha512: HASH_ALGORITHMS.sha512.oid,
} as const;

export type ImprintDigest = keyof typeof IMPRINT_DIGESTS;

/** The imprint digest name for an OID, if it is one we accept. */
export function imprintDigestByOid(oid: string): ImprintDigest | undefined {
  return (Object.keys(IMPRINT_DIGESTS) as ImprintDigest[]).find((k) => IMPRINT_DIGESTS[k] === oid);
}
