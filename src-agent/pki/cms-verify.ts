/**
 * Verifies a detached CMS signature against a document hash: for every
 * SignerInfo the signed attributes, the signature value, the signer
 * certificate and its chain (chain.ts). Certificate validity is judged at the
 * time of verification; the signer's own claimed signingTime is checked
 * separately and reported as such (CERT_EXPIRED_AT_SIGNING). A SignerInfo
 * with a valid RFC 3161 signature time-stamp (checked against `tsaAnchors`;
 * the time-stamp code loads only for CMS that carry one) is judged at the
 * time-stamp's time instead. The work is
 * bounded (limits.ts caps, checked before parsing) and gives the event loop
 * back after every signature check.
 */
import { createPublicKey, verify } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AssistantError } from '../protocol/errors.js';
import { readCertParts, type CertParts } from './cert-parts.js';
import { parseCertificate, summarizeCertificate, type CertSummary } from './certificate.js';
import { buildChainAsync, nameOf, validityProblems } from './chain.js';
import { attributeValue, octetsOf, parseSignedData, signingTimeOf, type ParsedSignedData, type ParsedSignerInfo } from './cms-parse.js';
import { oidOf } from './asn1.js';
import { keyUsageAllowsSigning, readExtensions } from './extensions.js';
import { digest, hashByOid, validateHash, type HashAlgorithm, type HashInfo } from './hash.js';
import { ALG, CMS, SIGNATURE_ALGORITHM_NAMES } from './oids.js';
import { PROBLEMS, type PkiProblem } from './problems.js';
import { SM2_DEFAULT_USER_ID, sm2Verify } from './sm2.js';
import type { TimestampCheck } from './timestamp/verify.js';

/** DER of the OID id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14): a CMS without it has no time-stamp to check. */
const TOKEN_OID_DER = Buffer.from('060b2a864886f70d010910020e', 'hex');

/** SignerInfo signature algorithms that mean SM2: SM2-with-SM3, GM/T 0010's sm2-1, and the bare curve OID some signers write. */
const SM2_SIGNATURE_OIDS = new Set<string>([ALG.SM2_WITH_SM3, ALG.SM2_SIGN, ALG.SM2_CURVE]);

/**
 * Which time certificate validity is judged at: the time of verification, the
 * trusted time of a valid RFC 3161 time-stamp, or the signer's claimed
 * signingTime (only when the caller asks for it; never on the wire).
 */
export type ValiditySource = 'now' | 'signingTime' | 'timestamp';

/** Inputs of {@link verifyCms}. */
export interface VerifyCmsInput {
  /** DER (or BER) ContentInfo with SignedData. */
  signature: Buffer;
  /** Digest of the document the signature is claimed to cover. */
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  trustAnchors: Buffer[];
  /** Extra intermediates to complete the chain (the CMS's own certificates are used first). */
  intermediates: Buffer[];
  /** The time of verification (default: now). */
  now?: Date;
  /** Judge validity at the claimed signingTime instead of `now` (default 'now'; falls back to now without signingTime). */
  validityAt?: ValiditySource;
  /** SM2 signer id for Z (default `1234567812345678`). */
  sm2UserId?: string;
  /** Roots of trusted time-stamping authorities (config `timestamp.trustAnchors`); a time-stamp from any other TSA is TIMESTAMP_UNTRUSTED. */
  tsaAnchors?: Buffer[];
}

/** The time validity was judged at, and where it came from. */
export interface ValidityTime {
  /** ISO 8601. */
  time: string;
  source: ValiditySource;
}

/** What one SignerInfo came to. */
export interface SignerVerification {
  /** Signature value and messageDigest verify and the signer certificate was usable at `validityTime`. Says nothing about trust. */
  valid: boolean;
  signer: CertSummary | null;
  /** The signer's chain reaches a trust anchor, every link verifies and was valid at `validityTime`. */
  chainTrusted: boolean;
  /** Signer first; the anchor last when reached. */
  chain: Buffer[];
  /** ISO 8601 signingTime attribute, when present. */
  signingTime?: string;
  validityTime: ValidityTime;
  /** This SignerInfo's signature time-stamp, when it carries one. */
  timestamp?: TimestampCheck;
  problems: PkiProblem[];
}

/**
 * Result of {@link verifyCms}: every signer, and the whole — valid and
 * trusted only when every signer is; `signer`, `chain` and `signingTime` of
 * the first; the problems of all.
 */
export interface VerifyCmsResult extends SignerVerification {
  signers: SignerVerification[];
}

const serialEquals = (a: Buffer, b: Buffer) => a.subarray(a[0] === 0 && a.length > 1 ? 1 : 0).equals(b.subarray(b[0] === 0 && b.length > 1 ? 1 : 0));

function findSigner(signer: ParsedSignerInfo, pool: Buffer[]): CertParts | undefined {
  for (const der of pool) {
    let parts: CertParts;
    try {
      parts = readCertParts(der);
      const sid = signer.sid;
      if (sid.type === 'issuerAndSerial' ? parts.issuerRaw.equals(sid.issuerRaw) && serialEquals(parts.serialRaw, sid.serialRaw)
        : readExtensions(parts.extensions).subjectKeyIdentifier === sid.keyId) return parts;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Checks the signature value over the signed attributes; a problem, or undefined when it verifies. */
function checkSignatureValue(signer: ParsedSignerInfo, cert: CertParts, digestInfo: HashInfo, attrs: Buffer, sm2UserId: string): PkiProblem | undefined {
  const alg = cert.publicKey.algorithm;
  const sigName = SIGNATURE_ALGORITHM_NAMES[signer.signatureAlgorithmOid] ?? signer.signatureAlgorithmOid;
  if (alg === 'SM2') {
    if (!SM2_SIGNATURE_OIDS.has(signer.signatureAlgorithmOid) || digestInfo.name !== 'sm3') return PROBLEMS.unsupportedAlgorithm(`SM2/${sigName}`);
    return sm2Verify(cert.publicKey.spki, attrs, signer.signature, sm2UserId) ? undefined : PROBLEMS.signatureInvalid();
  }
  const fitsRsa = alg === 'RSA' && /RSAEncryption$|^rsaEncryption$/.test(sigName);
  const fitsEc = alg === 'EC' && (sigName.startsWith('ecdsa-with-SHA') || signer.signatureAlgorithmOid === ALG.EC_PUBLIC_KEY);
  if (!fitsRsa && !fitsEc) return PROBLEMS.unsupportedAlgorithm(`${alg}/${sigName}`);
  try {
    const key = createPublicKey({ key: cert.publicKey.spki, format: 'der', type: 'spki' });
    return verify(digestInfo.name, attrs, key, signer.signature) ? undefined : PROBLEMS.signatureInvalid();
  } catch {
    return PROBLEMS.signatureInvalid();
  }
}

/** Problems with the signed attributes against the expected hash. */
function checkAttributes(sd: ParsedSignedData, signer: ParsedSignerInfo, info: HashInfo, hash: Buffer): PkiProblem[] {
  const out: PkiProblem[] = [];
  const contentType = attributeValue(signer, CMS.ATTR_CONTENT_TYPE);
  if (!contentType || oidOf(contentType, 'contentType') !== sd.eContentType) out.push(PROBLEMS.contentType());
  const md = attributeValue(signer, CMS.ATTR_MESSAGE_DIGEST);
  let mdOk = false;
  try {
    mdOk = md !== undefined && octetsOf(md, 'messageDigest').equals(hash);
  } catch {
    // not an OCTET STRING: a mismatch
  }
  const contentOk = sd.content === undefined || digest(info, sd.content).equals(hash);
  if (!mdOk || !contentOk) out.push(PROBLEMS.digestMismatch());
  return out;
}

async function verifySigner(input: VerifyCmsInput, info: HashInfo, sd: ParsedSignedData, signer: ParsedSignerInfo, now: Date, stamp?: TimestampCheck): Promise<SignerVerification> {
  const result: SignerVerification = { valid: false, signer: null, chainTrusted: false, chain: [], validityTime: { time: now.toISOString(), source: 'now' }, problems: [] };
  const usedDigest = hashByOid(signer.digestAlgorithmOid);
  if (!usedDigest || !usedDigest.supported) {
    return { ...result, problems: [PROBLEMS.unsupportedAlgorithm(usedDigest?.name ?? signer.digestAlgorithmOid)] };
  }
  const problems: PkiProblem[] = [];
  if (usedDigest.name !== info.name) problems.push(PROBLEMS.digestAlgorithmMismatch(info.name, usedDigest.name));
  if (!signer.signedAttrsDer) return { ...result, problems: [...problems, PROBLEMS.noSignedAttributes()] };
  problems.push(...checkAttributes(sd, signer, usedDigest, input.hash));
  const signingTime = signingTimeOf(signer);
  if (signingTime) result.signingTime = signingTime.toISOString();
  // A bad time-stamp is reported but says nothing about the signature itself (`timestamp.valid`).
  if (stamp) result.timestamp = stamp;
  // A valid time-stamp proves when the signature existed: validity is judged then, worded as at signing.
  const stampedAt = stamp?.valid && stamp.time ? new Date(stamp.time) : undefined;
  const atSigning = stampedAt !== undefined || (input.validityAt === 'signingTime' && signingTime !== undefined);
  const at = stampedAt ?? (atSigning && signingTime ? signingTime : now);
  result.validityTime = { time: at.toISOString(), source: stampedAt ? 'timestamp' : atSigning ? 'signingTime' : 'now' };

  const pool = [...sd.certificates, ...input.intermediates];
  const cert = findSigner(signer, pool);
  if (!cert) return { ...result, problems: [...problems, PROBLEMS.signerNotFound()] };
  result.signer = summarizeCertificate(parseCertificate(cert.der));
  const sigProblem = checkSignatureValue(signer, cert, usedDigest, signer.signedAttrsDer, input.sm2UserId ?? SM2_DEFAULT_USER_ID);
  if (sigProblem) problems.push(sigProblem);
  await nextTurn();
  if (!keyUsageAllowsSigning(readExtensions(cert.extensions).keyUsage)) problems.push(PROBLEMS.keyUsage(nameOf(cert, 'subject')));
  problems.push(...validityProblems([cert.der], at, atSigning));
  // The signer's own claim, checked apart: a certificate not valid when it says it signed.
  if (signingTime && !atSigning) problems.push(...validityProblems([cert.der], signingTime, true));

  const chain = await buildChainAsync(cert.der, pool, input.trustAnchors, { roleZh: '签名者' });
  const caProblems = validityProblems(chain.chain.slice(1), at, atSigning);
  result.chain = chain.chain;
  result.chainTrusted = chain.trusted && caProblems.length === 0;
  result.valid = problems.length === 0;
  result.problems = [...problems, ...chain.problems, ...caProblems, ...(stamp?.problems ?? [])];
  return result;
}

function failedSigner(what: string, now: Date): SignerVerification {
  return { valid: false, signer: null, chainTrusted: false, chain: [], validityTime: { time: now.toISOString(), source: 'now' }, problems: [PROBLEMS.malformed(what)] };
}

const malformedResult = (what: string, now: Date): VerifyCmsResult => ({ ...failedSigner(what, now), signers: [] });

/** The SignedData, or the result that says why there is none (MALFORMED, LIMIT_EXCEEDED). */
function parseOrResult(signature: Buffer, now: Date): ParsedSignedData | VerifyCmsResult {
  try {
    return parseSignedData(signature);
  } catch (error) {
    if (AssistantError.is(error) && error.details.limit !== undefined) {
      return { ...malformedResult('SignedData', now), problems: [PROBLEMS.limitExceeded(String(error.details.detailZh), error.message)] };
    }
    return malformedResult('SignedData', now);
  }
}

/** The signature time-stamps of the CMS's SignerInfos (none: no token OID in it, so pkijs is not loaded). */
async function timestampsOf(input: VerifyCmsInput): Promise<TimestampCheck[]> {
  if (!input.signature.includes(TOKEN_OID_DER)) return [];
  const { verifySignatureTimestamps } = await import('./timestamp/verify.js');
  return verifySignatureTimestamps(input.signature, input.tsaAnchors ?? []);
}

/**
 * Verifies a CMS signature over `hash`, every SignerInfo. Bad signatures
 * never throw: garbage gives `valid: false` with MALFORMED, a CMS over the
 * limits.ts caps LIMIT_EXCEEDED.
 * SM2 signatures (SM2-with-SM3 or GM/T 0010) verify with Z for `sm2UserId`.
 * @throws AssistantError BAD_REQUEST when the hash length does not fit the
 *   algorithm (a request error, not a signature problem).
 */
export async function verifyCms(input: VerifyCmsInput): Promise<VerifyCmsResult> {
  const info = validateHash(input.hash, input.hashAlgorithm);
  const now = input.now ?? new Date();
  const sd = parseOrResult(input.signature, now);
  if ('valid' in sd) return sd;
  if (sd.signers.length === 0) return { ...malformedResult('SignedData', now), problems: [PROBLEMS.noSigner()] };
  const stamps = await timestampsOf(input);
  const signers: SignerVerification[] = [];
  for (const [index, signer] of sd.signers.entries()) {
    try {
      signers.push(await verifySigner(input, info, sd, signer, now, stamps.find((s) => s.signerIndex === index)));
    } catch (error) {
      const what = error instanceof Error ? error.message.replace(/^malformed /, '') : 'signature';
      signers.push(failedSigner(what, now));
    }
  }
  const first = signers[0]!;
  return {
    ...first,
    valid: signers.every((s) => s.valid),
    chainTrusted: signers.every((s) => s.chainTrusted),
    problems: signers.flatMap((s) => s.problems),
    signers,
  };
}
