/**
 * Signs a contract hash: raw signature or detached CMS SignedData whose
 * messageDigest is the given hash. One code path for RSA and ECDSA; the
 * private-key operation is the caller's `sign` callback (the token layer).
 */
import type { SignMechanism } from '../tokens/types.js';
import { AssistantError } from '../protocol/errors.js';
import { readCertParts, type CertParts } from './cert-parts.js';
import { contextConstructed, nullValue, octets, oid, seq, setOf, smallInt, tlv } from './der-writer.js';
import { readExtensions } from './extensions.js';
import { digest, digestAlgorithmIdentifier, digestInfo, validateHash, type HashAlgorithm, type HashInfo } from './hash.js';
import { ALG, CMS } from './oids.js';
import { buildSignedAttributes, signedAttributesForSigning, signedAttributesImplicit } from './signed-attributes.js';

/** The private-key operation: RSA_PKCS over a DigestInfo, or ECDSA over a digest returning a DER signature. */
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
}

/** Result of {@link signHash}. */
export interface SignHashResult {
  /** DER ContentInfo for `cms`; PKCS#1 v1.5 or DER ECDSA signature for `raw`. */
  signature: Buffer;
  format: 'cms' | 'raw';
  /** `sha256WithRSAEncryption`, `ecdsa-with-SHA256`… */
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
  if (usage && !usage.includes('digitalSignature') && !usage.includes('nonRepudiation')) {
    throw new AssistantError('CERT_UNUSABLE', `key usage ${usage.join(',') || '(none)'} allows no signatures`, {
      detailZh: '证书用途不包含数字签名或不可否认',
    });
  }
  const alg = cert.publicKey.algorithm;
  if (alg !== 'RSA' && alg !== 'EC') {
    throw new AssistantError('UNSUPPORTED_ALGORITHM', `key algorithm ${alg} is not supported yet`, {
      detailZh: alg === 'SM2' ? '暂不支持国密 SM2 证书签名' : '不支持该证书的密钥算法',
    });
  }
}

async function rawSign(cert: CertParts, info: HashInfo, hash: Buffer, sign: SignCallback): Promise<Buffer> {
  return cert.publicKey.algorithm === 'RSA' ? sign('RSA_PKCS', digestInfo(hash, info)) : sign('ECDSA', hash);
}

function dedupe(signer: Buffer, chain: Buffer[]): Buffer[] {
  const out = [signer];
  for (const c of chain) if (!out.some((o) => o.equals(c))) out.push(c);
  return out;
}

/** SignerInfo.signatureAlgorithm: rsaEncryption with NULL, or ecdsa-with-SHAxxx without parameters. */
function signatureAlgorithmIdentifier(cert: CertParts, info: HashInfo): Buffer {
  return cert.publicKey.algorithm === 'RSA' ? seq(oid(ALG.RSA_ENCRYPTION), nullValue()) : seq(oid(info.ecdsaSignatureOid));
}

/**
 * Signs a hash as raw or detached CMS. Checks come first: the callback is
 * never called for a bad hash or an unusable certificate.
 * @throws AssistantError BAD_REQUEST (hash length, bad certificate), UNSUPPORTED_ALGORITHM,
 *   CERT_EXPIRED, CERT_UNUSABLE; whatever `sign` throws passes through.
 */
export async function signHash(input: SignHashInput): Promise<SignHashResult> {
  const info = validateHash(input.hash, input.hashAlgorithm);
  const cert = readCertParts(input.certificate);
  assertCanSign(cert, input.now ?? new Date());
  const isRsa = cert.publicKey.algorithm === 'RSA';
  const signatureAlgorithm = isRsa ? info.rsaSignatureName : info.ecdsaSignatureName;
  const result = (signature: Buffer): SignHashResult => ({
    signature, format: input.format, signatureAlgorithm, certificate: input.certificate,
  });
  if (input.format === 'raw') return result(await rawSign(cert, info, input.hash, input.sign));

  const attributes = buildSignedAttributes({ hash: input.hash, signer: cert, signingTime: input.signingTime ?? new Date() });
  const toSign = digest(info, signedAttributesForSigning(attributes));
  const signatureValue = await rawSign(cert, info, toSign, input.sign);
  const signerInfo = seq(
    smallInt(1),
    seq(cert.issuerRaw, tlv(0x02, cert.serialRaw)),
    digestAlgorithmIdentifier(info),
    signedAttributesImplicit(attributes),
    signatureAlgorithmIdentifier(cert, info),
    octets(signatureValue),
  );
  const signedData = seq(
    smallInt(1),
    setOf([digestAlgorithmIdentifier(info)]),
    seq(oid(CMS.DATA)),
    contextConstructed(0, ...dedupe(input.certificate, input.chain)),
    setOf([signerInfo]),
  );
  return result(seq(oid(CMS.SIGNED_DATA), contextConstructed(0, signedData)));
}
