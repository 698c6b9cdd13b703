/** The PKI layer: certificates, chains, CMS signing and verification, seal images. */
export { parseCertificate, summarizeCertificate, fingerprintSha256, serialHex, toPem, validityAt } from './certificate.js';
export type { CertDetails, CertSummary } from './certificate.js';
export type { KeyAlgorithm } from './cert-parts.js';
export { classifySubject, USCC_PATTERN, ID_CARD_PATTERN } from './cert-kind.js';
export type { CertKind } from './cert-kind.js';
export { formatName, dnValue, dnValues, displayName } from './dn.js';
export type { DnAttribute } from './dn.js';
export { KEY_USAGE_BITS } from './extensions.js';
export type { KeyUsage } from './extensions.js';
export {
  HASH_ALGORITHMS, SUPPORTED_HASH_ALGORITHMS, getHashAlgorithm, validateHash, digestInfo, hashByOid,
} from './hash.js';
export type { HashAlgorithm, HashInfo } from './hash.js';
export { signHash, assertCanSign, preflightSign } from './cms-sign.js';
export type { SignHashInput, SignHashResult, SignCallback, CmsProfile } from './cms-sign.js';
export { SM2_DEFAULT_USER_ID, sm2Digest, sm2PublicPoint, sm2Verify, sm2VerifyCertificate, sm2Z } from './sm2.js';
export { buildSignedAttributes, signedAttributesForSigning } from './signed-attributes.js';
export { verifyCms } from './cms-verify.js';
export type { VerifyCmsInput, VerifyCmsResult } from './cms-verify.js';
export { parseSignedData } from './cms-parse.js';
export type { ParsedSignedData, ParsedSignerInfo } from './cms-parse.js';
export { buildChain, isSignedBy, validityProblems, MAX_CHAIN_DEPTH } from './chain.js';
export type { ChainResult, ChainOptions } from './chain.js';
export { PROBLEMS } from './problems.js';
export type { PkiProblem, PkiProblemCode } from './problems.js';
export { describeImage } from './seal-image.js';
export type { SealImageInfo, SealImageMime, DescribeImageResult } from './seal-image.js';
export { loadCertificateFile, parseCertificateData, MAX_CERT_FILE_BYTES } from './cert-files.js';
