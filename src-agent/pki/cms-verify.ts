/**
 * Verifies a detached CMS signature against a document hash: the signed
 * attributes, the signature value, the signer certificate and its chain.
 */
import { createPublicKey, verify } from 'node:crypto';
import { readCertParts, type CertParts } from './cert-parts.js';
import { parseCertificate, summarizeCertificate, type CertSummary } from './certificate.js';
import { buildChain, nameOf, validityProblems } from './chain.js';
import { attributeValue, parseSignedData, signingTimeOf, type ParsedSignedData, type ParsedSignerInfo } from './cms-parse.js';
import { TAG, TAG_CLASS, isTag } from './der.js';
import { readOid } from './der-values.js';
import { keyUsageAllowsSigning, readExtensions } from './extensions.js';
import { digest, hashByOid, validateHash, type HashAlgorithm, type HashInfo } from './hash.js';
import { ALG, CMS, SIGNATURE_ALGORITHM_NAMES } from './oids.js';
import { PROBLEMS, type PkiProblem } from './problems.js';
import { SM2_DEFAULT_USER_ID, sm2Verify } from './sm2.js';

/** SignerInfo signature algorithms that mean SM2: SM2-with-SM3, GM/T 0010's sm2-1, and the bare curve OID some signers write. */
const SM2_SIGNATURE_OIDS = new Set([ALG.SM2_WITH_SM3, ALG.SM2_SIGN, ALG.SM2_CURVE]);

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
  /** Clock used when the CMS has no signingTime (default: now). */
  now?: Date;
  /** SM2 signer id for Z (default `1234567812345678`). */
  sm2UserId?: string;
}

/** Result of {@link verifyCms}. */
export interface VerifyCmsResult {
  /** Signature value and messageDigest verify and the signer certificate was usable at signing time. Says nothing about trust. */
  valid: boolean;
  signer: CertSummary | null;
  /** The signer's chain reaches a trust anchor, every link verifies and was valid at signing time. */
  chainTrusted: boolean;
  /** Signer first; the anchor last when reached. */
  chain: Buffer[];
  /** ISO 8601 signingTime attribute, when present. */
  signingTime?: string;
  problems: PkiProblem[];
}

const serialEquals = (a: Buffer, b: Buffer) => a.subarray(a[0] === 0 && a.length > 1 ? 1 : 0).equals(b.subarray(b[0] === 0 && b.length > 1 ? 1 : 0));

function findSigner(signer: ParsedSignerInfo, pool: Buffer[]): CertParts | undefined {
  for (const der of pool) {
    let parts: CertParts;
    try {
      parts = readCertParts(der);
    } catch {
      continue;
    }
    const sid = signer.sid;
    if (sid.type === 'issuerAndSerial' ? parts.issuerRaw.equals(sid.issuerRaw) && serialEquals(parts.serialRaw, sid.serialRaw)
      : readExtensions(parts.extensions).subjectKeyIdentifier === sid.keyId) return parts;
  }
  return undefined;
}

/** Checks the signature value over the signed attributes; a problem, or undefined when it verifies. */
function checkSignatureValue(signer: ParsedSignerInfo, cert: CertParts, digestInfo: HashInfo, attrs: Buffer, sm2UserId: string): PkiProblem | undefined {
  const alg = cert.publicKey.algorithm;
  if (alg === 'SM2') {
    if (!SM2_SIGNATURE_OIDS.has(signer.signatureAlgorithmOid as never) || digestInfo.name !== 'sm3') {
      return PROBLEMS.unsupportedAlgorithm(`SM2/${SIGNATURE_ALGORITHM_NAMES[signer.signatureAlgorithmOid] ?? signer.signatureAlgorithmOid}`);
    }
    return sm2Verify(cert.publicKey.spki, attrs, signer.signature, sm2UserId) ? undefined : PROBLEMS.signatureInvalid();
  }
  const sigName = SIGNATURE_ALGORITHM_NAMES[signer.signatureAlgorithmOid] ?? signer.signatureAlgorithmOid;
  const fitsRsa = alg === 'RSA' && /RSAEncryption$|^rsaEncryption$/.test(sigName);
  const fitsEc = alg === 'EC' && (sigName.startsWith('ecdsa-with-SHA') || signer.signatureAlgorithmOid === '1.2.840.10045.2.1');
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
  if (!contentType || readOid(contentType, 'contentType') !== sd.eContentType) out.push(PROBLEMS.contentType());
  const md = attributeValue(signer, CMS.ATTR_MESSAGE_DIGEST);
  const mdOk = isTag(md, TAG_CLASS.UNIVERSAL, TAG.OCTET_STRING) && md.content.equals(hash);
  const contentOk = sd.content === undefined || digest(info, sd.content).equals(hash);
  if (!mdOk || !contentOk) out.push(PROBLEMS.digestMismatch());
  return out;
}

function verifyParsed(input: VerifyCmsInput, info: HashInfo, sd: ParsedSignedData): VerifyCmsResult {
  const result: VerifyCmsResult = { valid: false, signer: null, chainTrusted: false, chain: [], problems: [] };
  const signer = sd.signers[0];
  if (!signer) return { ...result, problems: [PROBLEMS.noSigner()] };
  const signerProblems: PkiProblem[] = [];
  const usedDigest = hashByOid(signer.digestAlgorithmOid);
  if (!usedDigest || !usedDigest.supported) {
    return { ...result, problems: [PROBLEMS.unsupportedAlgorithm(usedDigest?.name ?? signer.digestAlgorithmOid)] };
  }
  if (usedDigest.name !== info.name) signerProblems.push(PROBLEMS.digestAlgorithmMismatch(info.name, usedDigest.name));
  if (!signer.signedAttrsDer) return { ...result, problems: [...signerProblems, PROBLEMS.noSignedAttributes()] };
  signerProblems.push(...checkAttributes(sd, signer, usedDigest, input.hash));
  const signingTime = signingTimeOf(signer);
  if (signingTime) result.signingTime = signingTime.toISOString();

  const cert = findSigner(signer, [...sd.certificates, ...input.intermediates]);
  if (!cert) return { ...result, problems: [...signerProblems, PROBLEMS.signerNotFound()] };
  const details = parseCertificate(cert.der);
  result.signer = summarizeCertificate(details);
  const sigProblem = checkSignatureValue(signer, cert, usedDigest, signer.signedAttrsDer, input.sm2UserId ?? SM2_DEFAULT_USER_ID);
  if (sigProblem) signerProblems.push(sigProblem);
  if (details.keyUsagePresent && !keyUsageAllowsSigning(details.keyUsage)) {
    signerProblems.push(PROBLEMS.keyUsage(nameOf(cert, 'subject')));
  }
  const at = signingTime ?? input.now ?? new Date();
  signerProblems.push(...validityProblems([cert.der], at, signingTime !== undefined));

  const chain = buildChain(cert.der, [...sd.certificates, ...input.intermediates], input.trustAnchors, { roleZh: '签名者' });
  const caProblems = validityProblems(chain.chain.slice(1), at, signingTime !== undefined);
  result.chain = chain.chain;
  result.chainTrusted = chain.trusted && caProblems.length === 0;
  result.valid = signerProblems.length === 0;
  result.problems = [...signerProblems, ...chain.problems, ...caProblems];
  return result;
}

/**
 * Verifies a CMS signature over `hash`. Bad signatures never throw: garbage
 * gives `valid: false` with MALFORMED.
 * SM2 signatures (SM2-with-SM3 or GM/T 0010) verify with Z for `sm2UserId`.
 * @throws AssistantError BAD_REQUEST when the hash length does not fit the
 *   algorithm (a request error, not a signature problem).
 */
export function verifyCms(input: VerifyCmsInput): VerifyCmsResult {
  const info = validateHash(input.hash, input.hashAlgorithm);
  const fail = (what: string): VerifyCmsResult => ({
    valid: false, signer: null, chainTrusted: false, chain: [], problems: [PROBLEMS.malformed(what)],
  });
  let sd: ParsedSignedData;
  try {
    sd = parseSignedData(input.signature);
  } catch {
    return fail('SignedData');
  }
  try {
    return verifyParsed(input, info, sd);
  } catch (error) {
    const what = error instanceof Error ? error.message.replace(/^malformed /, '') : 'signature';
    return fail(what);
  }
}
