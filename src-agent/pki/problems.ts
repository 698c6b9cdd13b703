/**
 * Problems found while building chains or verifying signatures: a stable
 * `code` plus Chinese and English text, so 环境检测, reports and `verify.cms`
 * show the same words. Every code and its wording lives here.
 */
import { localTime } from '../util/local-time.js';

/** Stable problem codes. */
export type PkiProblemCode =
  | 'MALFORMED'
  | 'NO_SIGNER'
  | 'NO_SIGNED_ATTRIBUTES'
  | 'CONTENT_TYPE'
  | 'DIGEST_ALGORITHM_MISMATCH'
  | 'DIGEST_MISMATCH'
  | 'UNSUPPORTED_ALGORITHM'
  | 'SIGNER_NOT_FOUND'
  | 'SIGNATURE_INVALID'
  | 'KEY_USAGE'
  | 'CERT_EXPIRED'
  | 'CERT_EXPIRED_AT_SIGNING'
  | 'CHAIN_UNTRUSTED'
  | 'CHAIN_SIGNATURE_INVALID'
  | 'NOT_A_CA'
  | 'CHAIN_TOO_LONG'
  | 'UNKNOWN_CRITICAL_EXTENSION'
  | 'PATH_LENGTH'
  | 'LIMIT_EXCEEDED'
  | 'TIMESTAMP_MALFORMED'
  | 'TIMESTAMP_IMPRINT'
  | 'TIMESTAMP_SIGNATURE'
  | 'TIMESTAMP_NOT_TSA'
  | 'TIMESTAMP_UNTRUSTED';

/** One problem, ready to show. */
export interface PkiProblem {
  code: PkiProblemCode;
  zh: string;
  en: string;
}

const when = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
/** Chinese lines show the clerk's local time (北京时间 on a Chinese PC). */
const whenZh = (d: Date) => localTime(d, { zone: true });

/** Factories for every problem, with the wording in one place. */
export const PROBLEMS = {
  malformed: (what: string): PkiProblem => ({
    code: 'MALFORMED', zh: `签名数据格式不正确，无法解析（${what}）`, en: `The signature cannot be parsed (${what})`,
  }),
  noSigner: (): PkiProblem => ({ code: 'NO_SIGNER', zh: '签名数据中没有签名者信息', en: 'The CMS has no SignerInfo' }),
  noSignedAttributes: (): PkiProblem => ({
    code: 'NO_SIGNED_ATTRIBUTES', zh: '签名缺少签名属性，无法只凭摘要验证', en: 'No signed attributes; cannot verify against a hash alone',
  }),
  contentType: (): PkiProblem => ({
    code: 'CONTENT_TYPE', zh: '签名属性中的内容类型缺失或与签名数据不一致', en: 'contentType attribute missing or inconsistent',
  }),
  digestAlgorithmMismatch: (expected: string, actual: string): PkiProblem => ({
    code: 'DIGEST_ALGORITHM_MISMATCH', zh: `签名使用的摘要算法是 ${actual}，而不是 ${expected}`, en: `Signed with ${actual}, not ${expected}`,
  }),
  digestMismatch: (): PkiProblem => ({
    code: 'DIGEST_MISMATCH', zh: '签名中的文件摘要与当前文件不一致，文件可能已被修改', en: 'messageDigest does not match the document hash',
  }),
  unsupportedAlgorithm: (name: string): PkiProblem => ({
    code: 'UNSUPPORTED_ALGORITHM', zh: `不支持的签名算法：${name}`, en: `Unsupported algorithm: ${name}`,
  }),
  signerNotFound: (): PkiProblem => ({
    code: 'SIGNER_NOT_FOUND', zh: '找不到签名者证书', en: 'The signer certificate is not in the CMS or the supplied certificates',
  }),
  signatureInvalid: (): PkiProblem => ({
    code: 'SIGNATURE_INVALID', zh: '签名值验证失败，签名无效', en: 'The signature value does not verify',
  }),
  keyUsage: (name: string): PkiProblem => ({
    code: 'KEY_USAGE', zh: `证书“${name}”的用途不包含数字签名`, en: `Certificate "${name}" is not for digital signatures`,
  }),
  certExpired: (name: string, notBefore: Date, notAfter: Date, at: Date): PkiProblem => ({
    code: 'CERT_EXPIRED',
    zh: `证书“${name}”在 ${whenZh(at)} 不在有效期内（${localTime(notBefore)} 至 ${whenZh(notAfter)}）`,
    en: `Certificate "${name}" is not valid at ${when(at)} (valid ${when(notBefore)} to ${when(notAfter)})`,
  }),
  certExpiredAtSigning: (name: string, notBefore: Date, notAfter: Date, at: Date): PkiProblem => ({
    code: 'CERT_EXPIRED_AT_SIGNING',
    zh: `签名时（${whenZh(at)}）证书“${name}”不在有效期内（${localTime(notBefore)} 至 ${whenZh(notAfter)}）`,
    en: `At signing time (${when(at)}) certificate "${name}" was not valid (${when(notBefore)} to ${when(notAfter)})`,
  }),
  missingIssuer: (role: string, issuer: string): PkiProblem => ({
    code: 'CHAIN_UNTRUSTED',
    zh: `${role}证书链无法追溯到受信任的根证书（缺少“${issuer}”）`,
    en: `The certificate chain does not reach a trusted root (missing "${issuer}")`,
  }),
  untrustedRoot: (role: string, root: string): PkiProblem => ({
    code: 'CHAIN_UNTRUSTED',
    zh: `${role}证书链的根证书“${root}”不受信任`,
    en: `The chain ends at root "${root}", which is not trusted`,
  }),
  chainSignatureInvalid: (name: string, issuer: string): PkiProblem => ({
    code: 'CHAIN_SIGNATURE_INVALID',
    zh: `证书“${name}”不是由“${issuer}”签发的（签名验证失败）`,
    en: `Certificate "${name}" does not verify with the key of "${issuer}"`,
  }),
  notACa: (name: string): PkiProblem => ({
    code: 'NOT_A_CA', zh: `证书“${name}”不是 CA 证书，不能签发其他证书`, en: `Certificate "${name}" is not a CA certificate`,
  }),
  unknownCriticalExtension: (name: string, oid: string): PkiProblem => ({
    code: 'UNKNOWN_CRITICAL_EXTENSION',
    zh: `证书“${name}”含有无法识别的关键扩展（${oid}），不能使用`,
    en: `Certificate "${name}" has a critical extension the assistant does not process (${oid})`,
  }),
  pathLength: (name: string, max: number, count: number): PkiProblem => ({
    code: 'PATH_LENGTH',
    zh: `CA 证书“${name}”限定其下最多 ${max} 级中级 CA，证书链中有 ${count} 级`,
    en: `CA certificate "${name}" allows ${max} intermediate CA(s) below it; the chain has ${count}`,
  }),
  limitExceeded: (zh: string, en: string): PkiProblem => ({ code: 'LIMIT_EXCEEDED', zh, en }),
  chainTooLong: (): PkiProblem => ({ code: 'CHAIN_TOO_LONG', zh: '证书链过长或存在循环', en: 'The chain is too long or loops' }),
  timestampMalformed: (): PkiProblem => ({
    code: 'TIMESTAMP_MALFORMED', zh: '签名中的时间戳格式不正确，无法解析', en: 'The signature time-stamp cannot be parsed',
  }),
  timestampImprint: (): PkiProblem => ({
    code: 'TIMESTAMP_IMPRINT', zh: '时间戳不是针对本签名的（摘要不符），可能被替换', en: 'The time-stamp is not over this signature value',
  }),
  timestampSignature: (): PkiProblem => ({
    code: 'TIMESTAMP_SIGNATURE', zh: '时间戳的签名验证失败', en: 'The time-stamp token signature does not verify',
  }),
  timestampNotTsa: (name: string): PkiProblem => ({
    code: 'TIMESTAMP_NOT_TSA', zh: `时间戳签发者“${name}”不是时间戳服务证书（缺少时间戳用途）`, en: `Time-stamp signer "${name}" lacks the timeStamping key usage`,
  }),
  timestampUntrusted: (name: string): PkiProblem => ({
    code: 'TIMESTAMP_UNTRUSTED', zh: `时间戳服务“${name}”的证书不受信任或当时不在有效期内`, en: `The TSA "${name}" does not chain to a trusted TSA root valid at the stated time`,
  }),
} as const;
