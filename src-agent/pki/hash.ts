/** Hash algorithms a mall may ask for, their OIDs and digest lengths. */
import { createHash } from 'node:crypto';
import { AssistantError } from '../protocol/errors.js';
import { HASH_LENGTHS } from '../protocol/schemas.js';
import { constant, nullValue, octets, oid, sequence, type Encodable } from './encode.js';

/** Names accepted on the wire (`sign.hash`, `verify.cms`). */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512' | 'sm3';

/** One row of {@link HASH_ALGORITHMS}. */
export interface HashInfo {
  name: HashAlgorithm;
  oid: string;
  /** Digest length in bytes. */
  length: number;
  /** False while the assistant cannot sign with it. */
  supported: boolean;
  /** `sha256WithRSAEncryption` & co. */
  rsaSignatureName: string;
  ecdsaSignatureOid: string;
  ecdsaSignatureName: string;
}

/** The table. SM3 signs with SM2 keys only (cms-sign.ts refuses other pairings). */
export const HASH_ALGORITHMS: Readonly<Record<HashAlgorithm, HashInfo>> = {
  sha256: {
    name: 'sha256', oid: '2.16.840.1.101.3.4.2.1', length: HASH_LENGTHS.sha256, supported: true,
    rsaSignatureName: 'sha256WithRSAEncryption', ecdsaSignatureOid: '1.2.840.10045.4.3.2', ecdsaSignatureName: 'ecdsa-with-SHA256',
  },
  sha384: {
    name: 'sha384', oid: '2.16.840.1.101.3.4.2.2', length: HASH_LENGTHS.sha384, supported: true,
    rsaSignatureName: 'sha384WithRSAEncryption', ecdsaSignatureOid: '1.2.840.10045.4.3.3', ecdsaSignatureName: 'ecdsa-with-SHA384',
  },
  sha512: {
    name: 'sha512', oid: '2.16.840.1.101.3.4.2.3', length: HASH_LENGTHS.sha512, supported: true,
    rsaSignatureName: 'sha512WithRSAEncryption', ecdsaSignatureOid: '1.2.840.10045.4.3.4', ecdsaSignatureName: 'ecdsa-with-SHA512',
  },
  sm3: {
    name: 'sm3', oid: '1.2.156.10197.1.401', length: HASH_LENGTHS.sm3, supported: true,
    rsaSignatureName: 'sm3WithRSAEncryption', ecdsaSignatureOid: '1.2.156.10197.1.501', ecdsaSignatureName: 'SM2-with-SM3',
  },
};

/** Algorithms the assistant signs with today (for `system.hello` capabilities). */
export const SUPPORTED_HASH_ALGORITHMS = (Object.keys(HASH_ALGORITHMS) as HashAlgorithm[]).filter(
  (name) => HASH_ALGORITHMS[name].supported,
);

/** Row for an algorithm OID (digestAlgorithm in CMS), if known. */
export function hashByOid(dotted: string): HashInfo | undefined {
  return Object.values(HASH_ALGORITHMS).find((h) => h.oid === dotted);
}

/**
 * Row for a supported algorithm name.
 * @throws AssistantError BAD_REQUEST for unknown names, UNSUPPORTED_ALGORITHM for a row marked unsupported.
 */
export function getHashAlgorithm(name: string): HashInfo {
  const info = Object.prototype.hasOwnProperty.call(HASH_ALGORITHMS, name) ? HASH_ALGORITHMS[name as HashAlgorithm] : undefined;
  if (!info) {
    throw new AssistantError('BAD_REQUEST', `unknown hash algorithm "${name}"`, { detailZh: `未知的摘要算法“${name}”` });
  }
  if (!info.supported) {
    throw new AssistantError('UNSUPPORTED_ALGORITHM', `hash algorithm ${name} is not supported yet`, {
      detailZh: `暂不支持 ${name.toUpperCase()} 摘要算法`,
    });
  }
  return info;
}

/**
 * Checks that `hash` is a digest of the named algorithm (by length).
 * @throws AssistantError BAD_REQUEST on a wrong length, UNSUPPORTED_ALGORITHM for a row marked unsupported.
 */
export function validateHash(hash: Buffer, name: string): HashInfo {
  const info = getHashAlgorithm(name);
  if (hash.length !== info.length) {
    throw new AssistantError(
      'BAD_REQUEST',
      `a ${name} hash is ${info.length} bytes, got ${hash.length}`,
      { detailZh: `${name.toUpperCase()} 摘要应为 ${info.length} 字节，实际为 ${hash.length} 字节` },
    );
  }
  return info;
}

/** Digest of `data` with a supported algorithm. */
export function digest(info: HashInfo, data: Buffer): Buffer {
  return createHash(info.name).update(data).digest();
}

/** AlgorithmIdentifier for the digest, parameters absent (RFC 5754 §2). */
export function digestAlgorithmIdentifier(info: HashInfo): Encodable {
  return sequence(oid(info.oid));
}

/** DER DigestInfo (RFC 8017 §9.2) for RSA PKCS#1 v1.5: `SEQ { SEQ { oid, NULL }, OCTET STRING hash }`. */
export function digestInfo(hash: Buffer, info: HashInfo): Buffer {
  // Only the digest varies: the encoding for this algorithm is built once (over zeros), and the digest written into its end.
  const template = constant(`digestInfo ${info.oid} ${hash.length}`, () => sequence(sequence(oid(info.oid), nullValue()), octets(Buffer.alloc(hash.length))));
  const out = Buffer.from(template);
  hash.copy(out, out.length - hash.length);
  return out;
}
