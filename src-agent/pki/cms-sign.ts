/**
 * Signs a contract hash: raw signature or detached CMS SignedData whose
 * messageDigest is the given hash. One code path for RSA, ECDSA and SM2; the
 * private-key operation is the caller's `sign` callback (the token layer).
 *
 * SM2 (GM/T 0009/0010): the hash is SM3; the SignerInfo signature is SM2 over
 * the DER signed attributes, e = SM3(Z ‖ attributes) computed here from the
 * certificate's public key and the signer id, the token signing e.
 */
import type { CmsProfile } from '../protocol/types.js';
import type { SignMechanism } from '../tokens/types.js';
import { AssistantError } from '../protocol/errors.js';
import { readCertParts, type CertParts } from './cert-parts.js';
import { constant, contextConstructed, encode, integerContents, nullValue, octets, oid, sequence, setOf, smallInt, verbatim, type Encodable } from './encode.js';
import { keyUsageAllowsSigning, readExtensions } from './extensions.js';
import { digest, digestAlgorithmIdentifier, digestInfo, validateHash, type HashAlgorithm, type HashInfo } from './hash.js';
import { ALG, CMS, GMT0010 } from './oids.js';
import { buildSignedAttributes, signedAttributesForSigning, signedAttributesImplicit } from './signed-attributes.js';
import { SM2_DEFAULT_USER_ID, sm2Digest, sm2PublicPoint } from './sm2.js';

/** CMS encodings: RFC 5652 content types, or GM/T 0010's (SM2 only); defined with the protocol. */
export type { CmsProfile };

/** The private-key operation: RSA_PKCS over a DigestInfo, ECDSA over a digest, or SM2_SM3 over e; EC/SM2 return DER signatures. */
export type SignCallback = (mechanism: SignMechanism, data: Buffer) => Promise<Buffer>;

/** Inputs of {@link signHash}. */
export interface SignHashInput {
  /** Signer certificate, DER. */
  certificate: Buffer;
  /** Further certificates to embed (issuer first); duplicates and the signer are skipped. */
  chain: Buffer[];
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  format: 'cms' | 'raw';
  sign: SignCallback;
  /** signingTime attribute (default: now). */
  signingTime?: Date;
  /** Clock for the validity check (default: now). */
  now?: Date;
  /** SM2 signer id for Z (default `1234567812345678`, config `sm2UserId`). */
  sm2UserId?: string;
  /** Content-type OIDs of the CMS (default `cms`); `gmt0010` only with SM2 certificates. */
  profile?: CmsProfile;
}

/** Result of {@link signHash}. */
export interface SignHashResult {
  /** DER ContentInfo for `cms`; PKCS#1 v1.5 or DER ECDSA signature for `raw`. */
  signature: Buffer;
  format: 'cms' | 'raw';
  /** `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `SM2-with-SM3`… */
  signatureAlgorithm: string;
  certificate: Buffer;
}

/**
 * Refuses certificates that cannot sign now.
 * @throws AssistantError CERT_EXPIRED, CERT_UNUSABLE or UNSUPPORTED_ALGORITHM.
 */
export function assertCanSign(cert: CertParts, now: Date): void {
  if (now < cert.notBefore) {
    throw new AssistantError('CERT_EXPIRED', `certificate is not yet valid (notBefore ${cert.notBefore.toISOString()})`, {
      detailZh: `证书尚未生效（生效时间 ${cert.notBefore.toISOString()}）`,
    });
  }
  if (now > cert.notAfter) {
    throw new AssistantError('CERT_EXPIRED', `certificate expired on ${cert.notAfter.toISOString()}`, {
      detailZh: `证书已于 ${cert.notAfter.toISOString()} 过期`,
    });
  }
  const usage = readExtensions(cert.extensions).keyUsage;
  if (!keyUsageAllowsSigning(usage)) {
    throw new AssistantError('CERT_UNUSABLE', `key usage ${usage?.join(',') || '(none)'} allows no signatures`, {
      detailZh: '证书用途不包含数字签名或不可否认',
    });
  }
  const alg = cert.publicKey.algorithm;
  if (alg !== 'RSA' && alg !== 'EC' && alg !== 'SM2') {
    throw new AssistantError('UNSUPPORTED_ALGORITHM', `key algorithm ${alg} is not supported yet`, { detailZh: '不支持该证书的密钥算法' });
  }
}

/**
 * SM2 keys sign SM3 hashes, and SM3 hashes are signed only with SM2 keys (the
 * 国密 suite goes together); GM/T 0010 content types only with SM2.
 * @throws AssistantError UNSUPPORTED_ALGORITHM.
 */
function assertSuite(cert: CertParts, info: HashInfo, profile: CmsProfile): void {
  const sm2 = cert.publicKey.algorithm === 'SM2';
  if (sm2 && info.name !== 'sm3') {
    throw new AssistantError('UNSUPPORTED_ALGORITHM', `an SM2 certificate signs SM3 hashes, not ${info.name}`, { detailZh: '国密 SM2 证书须使用 SM3 摘要算法' });
  }
  if (!sm2 && info.name === 'sm3') {
    throw new AssistantError('UNSUPPORTED_ALGORITHM', `SM3 hashes are signed with SM2 certificates only, not ${cert.publicKey.algorithm}`, {
      detailZh: 'SM3 摘要须使用国密 SM2 证书签名',
    });
  }
  if (!sm2 && profile === 'gmt0010') {
    throw new AssistantError('UNSUPPORTED_ALGORITHM', 'the GM/T 0010 profile needs an SM2 certificate', { detailZh: 'GM/T 0010 格式须使用国密 SM2 证书' });
  }
}

/**
 * The checks {@link signHash} makes before any key operation (hash length,
 * validity, key usage, algorithm suite), for callers that must refuse before
 * a PIN is asked.
 * @throws AssistantError BAD_REQUEST, CERT_EXPIRED, CERT_UNUSABLE, UNSUPPORTED_ALGORITHM.
 */
export function preflightSign(input: Pick<SignHashInput, 'certificate' | 'hash' | 'hashAlgorithm' | 'profile' | 'now'>): void {
  const info = validateHash(input.hash, input.hashAlgorithm);
  const cert = readCertParts(input.certificate);
  assertCanSign(cert, input.now ?? new Date());
  assertSuite(cert, info, input.profile ?? 'cms');
}

/**
 * The private-key operation over `toBeSigned`: a digest for RSA/ECDSA; for SM2
 * the message itself when `sm2Message` (e = SM3(Z ‖ message) is computed
 * here), else a ready e (raw format: the caller computed SM3(Z ‖ M)).
 */
async function rawSign(cert: CertParts, info: HashInfo, toBeSigned: Buffer, sign: SignCallback, sm2: { userId: string; message: boolean }): Promise<Buffer> {
  if (cert.publicKey.algorithm === 'RSA') return sign('RSA_PKCS', digestInfo(toBeSigned, info));
  if (cert.publicKey.algorithm === 'SM2') {
    const e = sm2.message ? sm2Digest(sm2PublicPoint(cert.publicKey.spki), toBeSigned, sm2.userId) : toBeSigned;
    return sign('SM2_SM3', e);
  }
  return sign('ECDSA', toBeSigned);
}

function dedupe(signer: Buffer, chain: Buffer[]): Buffer[] {
  const out = [signer];
  for (const c of chain) if (!out.some((o) => o.equals(c))) out.push(c);
  return out;
}

/** Per signer certificate, the parts of a SignedData that depend on it (and its chain) only. */
interface SignerParts {
  /** SignerIdentifier: issuerAndSerialNumber. */
  sid: Buffer;
  chain: Buffer[];
  /** `certificates [0] IMPLICIT`: the signer and `chain`, deduplicated. */
  certificates: Buffer;
}

const signerParts = new WeakMap<CertParts, SignerParts>();

function partsOf(cert: CertParts, certificate: Buffer, chain: Buffer[]): SignerParts {
  const known = signerParts.get(cert);
  if (known && known.chain.length === chain.length && known.chain.every((c, i) => c.equals(chain[i]!))) return known;
  const parts = {
    sid: encode(sequence(verbatim(cert.issuerRaw), integerContents(cert.serialRaw))),
    chain: [...chain],
    certificates: encode(contextConstructed(0, ...dedupe(certificate, chain).map(verbatim))),
  };
  signerParts.set(cert, parts);
  return parts;
}

/**
 * SignerInfo.signatureAlgorithm: rsaEncryption with NULL, ecdsa-with-SHAxxx
 * without parameters, SM2-with-SM3 (cms) or GM/T 0010's sm2-1 (gmt0010).
 */
function signatureAlgorithmIdentifier(cert: CertParts, info: HashInfo, profile: CmsProfile): Encodable {
  if (cert.publicKey.algorithm === 'RSA') return sequence(oid(ALG.RSA_ENCRYPTION), nullValue());
  if (cert.publicKey.algorithm === 'SM2') return sequence(oid(profile === 'gmt0010' ? ALG.SM2_SIGN : ALG.SM2_WITH_SM3));
  return sequence(oid(info.ecdsaSignatureOid));
}

/**
 * Signs a hash as raw or detached CMS. Checks come first: the callback is
 * never called for a bad hash or an unusable certificate.
 * Raw SM2 signs the given 32 bytes as e: the caller computed SM3(Z ‖ M).
 * @throws AssistantError BAD_REQUEST (hash length, bad certificate), UNSUPPORTED_ALGORITHM
 *   (also SM2 with a non-SM3 hash and the reverse), CERT_EXPIRED, CERT_UNUSABLE;
 *   whatever `sign` throws passes through.
 */
export async function signHash(input: SignHashInput): Promise<SignHashResult> {
  const info = validateHash(input.hash, input.hashAlgorithm);
  const cert = readCertParts(input.certificate);
  const profile = input.profile ?? 'cms';
  assertCanSign(cert, input.now ?? new Date());
  assertSuite(cert, info, profile);
  const isRsa = cert.publicKey.algorithm === 'RSA';
  const isSm2 = cert.publicKey.algorithm === 'SM2';
  const signatureAlgorithm = isRsa ? info.rsaSignatureName : info.ecdsaSignatureName;
  const sm2 = { userId: input.sm2UserId ?? SM2_DEFAULT_USER_ID, message: isSm2 };
  const result = (signature: Buffer): SignHashResult => ({
    signature, format: input.format, signatureAlgorithm, certificate: input.certificate,
  });
  if (input.format === 'raw') return result(await rawSign(cert, info, input.hash, input.sign, { ...sm2, message: false }));

  const types = profile === 'gmt0010' ? GMT0010 : CMS;
  const attributes = buildSignedAttributes({ hash: input.hash, signer: cert, signingTime: input.signingTime ?? new Date(), contentType: types.DATA });
  const encoded = signedAttributesForSigning(attributes);
  const signatureValue = await rawSign(cert, info, isSm2 ? encoded : digest(info, encoded), input.sign, sm2);
  // What depends on the certificate, the algorithms or the profile only is encoded once and copied in.
  const parts = partsOf(cert, input.certificate, input.chain);
  const digestAlgorithm = constant(`digestAlgorithm ${info.oid}`, () => digestAlgorithmIdentifier(info));
  const signerInfo = sequence(
    smallInt(1),
    verbatim(parts.sid),
    verbatim(digestAlgorithm),
    signedAttributesImplicit(attributes),
    verbatim(constant(`signatureAlgorithm ${cert.publicKey.algorithm} ${info.oid} ${profile}`, () => signatureAlgorithmIdentifier(cert, info, profile))),
    octets(signatureValue),
  );
  const signedData = sequence(
    smallInt(1),
    verbatim(constant(`digestAlgorithms ${info.oid}`, () => setOf([digestAlgorithm]))),
    verbatim(constant(`encapContentInfo ${types.DATA}`, () => sequence(oid(types.DATA)))),
    verbatim(parts.certificates),
    setOf([encode(signerInfo)]),
  );
  return result(encode(sequence(verbatim(constant(`oid ${types.SIGNED_DATA}`, () => oid(types.SIGNED_DATA))), contextConstructed(0, signedData))));
}
