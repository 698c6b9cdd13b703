/**
 * SM2 (GB/T 32918, GM/T 0003) as the assistant needs it: the signer's Z value
 * and e = SM3(Z ‖ M) the token signs (node:crypto's SM3), and signature
 * verification for CMS and certificate chains with the point arithmetic of
 * @noble/curves' generic short-Weierstrass curve over the sm2p256v1
 * parameters. Node's crypto hashes SM3 but cannot use SM2 keys.
 */
import { createHash } from 'node:crypto';
import type * as Asn1 from 'asn1js';
import type { WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { AssistantError } from '../protocol/errors.js';
import { weierstrassLib } from '../util/asn1-lib.js';
import { asn1js, childrenOf, contentOf, decode } from './asn1.js';
import { readCertParts } from './cert-parts.js';
import { ALG } from './oids.js';

/** The default signer id of GM/T 0009 (`1234567812345678`), used when a CA says nothing else. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** Curve parameters of sm2p256v1 (GM/T 0003.5). */
const SM2P256V1: Readonly<Record<'p' | 'a' | 'b' | 'n' | 'h' | 'Gx' | 'Gy', bigint>> = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

let point: WeierstrassPointCons<bigint> | undefined;
const Point = (): WeierstrassPointCons<bigint> => (point ??= weierstrassLib().weierstrass(SM2P256V1));

const toBig = (b: Buffer): bigint => (b.length ? BigInt(`0x${b.toString('hex')}`) : 0n);
const to32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

const badKey = (why: string) => new AssistantError('BAD_REQUEST', `SM2 public key ${why}`, { detailZh: 'SM2 公钥格式不正确' });

/** True when `bytes` is an uncompressed point (04‖x‖y) on sm2p256v1. */
function isPoint(bytes: Buffer): boolean {
  if (bytes.length !== 65 || bytes[0] !== 0x04) return false;
  try {
    Point().fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The public key point (uncompressed `04‖x‖y`, 65 bytes) of an SM2
 * SubjectPublicKeyInfo.
 * @throws AssistantError BAD_REQUEST when it is not an SM2 key with a 65-byte uncompressed point on the curve.
 */
export function sm2PublicPoint(spki: Buffer): Buffer {
  const [alg, key] = childrenOf(decode(spki, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
  const [algOid, curveOid] = alg ? childrenOf(alg, 'AlgorithmIdentifier') : [];
  const isSm2 = (b: Asn1.AsnType | undefined) => b instanceof asn1js().ObjectIdentifier && b.getValue() === ALG.SM2_CURVE;
  if (!(algOid instanceof asn1js().ObjectIdentifier) || !(isSm2(algOid) || (algOid.getValue() === ALG.EC_PUBLIC_KEY && isSm2(curveOid)))) {
    throw badKey('is not on the SM2 curve');
  }
  if (!(key instanceof asn1js().BitString)) throw badKey('has no BIT STRING');
  const bytes = contentOf(key);
  if (!isPoint(bytes)) throw badKey('is not an uncompressed point on the curve');
  return bytes;
}

/** Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2 §5.5), from a 65-byte public point. */
export function sm2Z(pointBytes: Buffer, userId: string = SM2_DEFAULT_USER_ID): Buffer {
  const id = Buffer.from(userId, 'utf8');
  if (id.length > 8191) throw new AssistantError('BAD_REQUEST', 'SM2 user id longer than 8191 bytes', { detailZh: 'SM2 签名者标识过长' });
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  const { a, b, Gx, Gy } = SM2P256V1;
  return createHash('sm3')
    .update(Buffer.concat([entl, id, to32(a), to32(b), to32(Gx), to32(Gy), pointBytes.subarray(1, 33), pointBytes.subarray(33, 65)]))
    .digest();
}

/** e = SM3(Z ‖ M): the 32 bytes an SKF token's ECCSignData signs. */
export function sm2Digest(pointBytes: Buffer, message: Buffer, userId: string = SM2_DEFAULT_USER_ID): Buffer {
  return createHash('sm3').update(sm2Z(pointBytes, userId)).update(message).digest();
}

/** Reads a DER `SEQUENCE { INTEGER r, INTEGER s }` (GM/T 0009 SM2Signature); undefined when it is not one. */
function readSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  try {
    const parts = childrenOf(decode(der, 'SM2Signature'), 'SM2Signature');
    const { Integer } = asn1js();
    if (parts.length !== 2 || !(parts[0] instanceof Integer) || !(parts[1] instanceof Integer)) return undefined;
    const [r, s] = parts.map((p) => contentOf(p));
    if ((r![0]! & 0x80) || (s![0]! & 0x80)) return undefined; // negative
    return { r: toBig(r!), s: toBig(s!) };
  } catch {
    return undefined;
  }
}

/** Verifies a DER SM2 signature over a precomputed e (GB/T 32918.2 §7.1). False on any malformed input. */
export function sm2VerifyDigest(pointBytes: Buffer, e: Buffer, signatureDer: Buffer): boolean {
  const sig = readSignature(signatureDer);
  const { n } = SM2P256V1;
  if (!sig || !isPoint(pointBytes)) return false;
  const { r, s } = sig;
  if (r < 1n || r >= n || s < 1n || s >= n) return false;
  const t = (r + s) % n;
  if (t === 0n) return false;
  const P = Point();
  const sum = P.BASE.mulAddUnsafe(s, P.fromBytes(pointBytes), t);
  if (sum.is0()) return false;
  return (toBig(e) + sum.toAffine().x) % n === r;
}

/** Verifies a DER SM2 signature over a message, with Z for `userId`. False on any malformed key or signature. */
export function sm2Verify(spki: Buffer, message: Buffer, signatureDer: Buffer, userId: string = SM2_DEFAULT_USER_ID): boolean {
  let pointBytes: Buffer;
  try {
    pointBytes = sm2PublicPoint(spki);
  } catch {
    return false;
  }
  return sm2VerifyDigest(pointBytes, sm2Digest(pointBytes, message, userId), signatureDer);
}

/**
 * True when `issuerSpki` (an SM2 key) verifies the SM2-with-SM3 signature of
 * a DER certificate, with the default user id (CAs sign certificates with it).
 */
export function sm2VerifyCertificate(certDer: Buffer, issuerSpki: Buffer): boolean {
  try {
    const cert = readCertParts(certDer);
    return sm2Verify(issuerSpki, cert.tbs, cert.signatureValue);
  } catch {
    return false;
  }
}
