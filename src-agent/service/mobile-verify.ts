/**
 * What the assistant checks before it hands a 移动签 signature to the page: the
 * service is not trusted to pick the hash, the certificate or the seal.
 */
import { parseSignedData, verifyCms } from '../pki/index.js';
import { SIGNATURE_ALGORITHM_NAMES } from '../pki/oids.js';
import { AssistantError } from '../protocol/errors.js';
import type { SealKind } from '../protocol/types.js';

export interface VerifiedMobileSignature {
  certificate: Buffer;
  signatureAlgorithm: string;
  signerSubject: string;
}

/**
 * The CMS must cover exactly `hash`, verify, chain to one of `anchors` (the
 * configured mobile CA roots, nothing else) and be signed with a certificate of
 * the kind the seal needs (单位 for 单位公章, 个人 for 个人签章).
 * @throws AssistantError MOBILE_SIGNATURE_INVALID or MOBILE_WRONG_SEAL_KIND
 */
export async function verifyMobileSignature(signature: Buffer, hash: Buffer, hashAlgorithm: 'sha256' | 'sha384' | 'sha512', sealKind: SealKind, anchors: Buffer[]): Promise<VerifiedMobileSignature> {
  const v = await verifyCms({ signature, hash, hashAlgorithm, trustAnchors: anchors, intermediates: [] });
  const why = v.problems.map((p) => p.zh).join('；');
  if (!v.valid || !v.signer) {
    const otherHash = v.problems.some((p) => p.code === 'DIGEST_MISMATCH');
    throw new AssistantError('MOBILE_SIGNATURE_INVALID', `mobile signature invalid: ${v.problems.map((p) => p.code).join(',')}`, {
      detailZh: otherHash ? '手机签署的不是本文件的摘要（签名中的摘要与互认助手请求的不一致）' : `签名无效：${why}`,
    });
  }
  if (!v.chainTrusted) {
    throw new AssistantError('MOBILE_SIGNATURE_INVALID', `mobile signer not trusted: ${v.problems.map((p) => p.code).join(',')}`, { detailZh: `签名证书不是由互认助手配置的移动签 CA 签发：${why}` });
  }
  if (v.signer.kind !== sealKind) {
    throw new AssistantError('MOBILE_WRONG_SEAL_KIND', `mobile signer kind ${v.signer.kind}, wanted ${sealKind}`, {
      detailZh: sealKind === 'organization' ? '此位置需要单位公章，手机上使用的是个人证书' : '此位置需要个人签章，手机上使用的是单位证书',
    });
  }
  const oid = parseSignedData(signature).signers[0]?.signatureAlgorithmOid ?? '';
  return { certificate: v.chain[0] as Buffer, signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[oid] ?? oid, signerSubject: v.signer.subject };
}

/** The short fingerprint shown by the QR dialog and the phone: the hash's first 8 bytes, hex, in groups of 4. */
export function hashFingerprint(hash: Buffer): string {
  return hash.subarray(0, 8).toString('hex').toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}
