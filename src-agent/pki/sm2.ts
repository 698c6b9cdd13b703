/**
 * SM2 (GB/T 32918, GM/T 0003) as the assistant needs it: the signer's Z value
 * and e = SM3(Z ‖ M) the token signs, and signature verification for CMS and
 * certificate chains. Node's crypto hashes SM3 but cannot use SM2 keys, so the
 * curve arithmetic is here, in BigInt (Jacobian coordinates; public data only,
 * so constant time does not matter).
 */
import { createHash } from 'node:crypto';
import { TAG, childrenOf, expectUniversal, parseDer } from './der.js';
import { readBitString } from './der-values.js';

/** The default signer id of GM/T 0009 (`1234567812345678`), used when a CA says nothing else. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** Curve parameters of sm2p256v1 (GM/T 0003.5). */
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

/** An affine point; `null` is the point at infinity. */
type Point = { x: bigint; y: bigint } | null;
type Jacobian = { x: bigint; y: bigint; z: bigint };

const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;
const toBig = (b: Buffer): bigint => (b.length ? BigInt(`0x${b.toString('hex')}`) : 0n);
const to32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

function inverse(a: bigint, m = P): bigint {
  let [r0, r1, t0, t1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0, m);
}

function double(p: Jacobian): Jacobian {
  if (p.y === 0n || p.z === 0n) return { x: 0n, y: 1n, z: 0n };
  const yy = mod(p.y * p.y);
  const s = mod(4n * p.x * yy);
  const zz = mod(p.z * p.z);
  const m = mod(3n * p.x * p.x + A * zz * zz);
  const x = mod(m * m - 2n * s);
  return { x, y: mod(m * (s - x) - 8n * yy * yy), z: mod(2n * p.y * p.z) };
}

function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const pz2 = mod(p.z * p.z);
  const qz2 = mod(q.z * q.z);
  const u1 = mod(p.x * qz2);
  const u2 = mod(q.x * pz2);
  const s1 = mod(p.y * qz2 * q.z);
  const s2 = mod(q.y * pz2 * p.z);
  if (u1 === u2) return s1 === s2 ? double(p) : { x: 0n, y: 1n, z: 0n };
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  const h2 = mod(h * h);
  const h3 = mod(h2 * h);
  const x = mod(r * r - h3 - 2n * u1 * h2);
  return { x, y: mod(r * (u1 * h2 - x) - s1 * h3), z: mod(h * p.z * q.z) };
}

function multiply(k: bigint, p: { x: bigint; y: bigint }): Jacobian {
  let acc: Jacobian = { x: 0n, y: 1n, z: 0n };
  const base: Jacobian = { x: p.x, y: p.y, z: 1n };
  for (let i = k.toString(2).length - 1; i >= 0; i--) {
    acc = double(acc);
    if ((k >> BigInt(i)) & 1n) acc = add(acc, base);
  }
  return acc;
}

function affine(p: Jacobian): Point {
  if (p.z === 0n) return null;
  const zi = inverse(p.z);
  const zi2 = mod(zi * zi);
  return { x: mod(p.x * zi2), y: mod(p.y * zi2 * zi) };
}

const onCurve = (x: bigint, y: bigint): boolean => mod(y * y) === mod(x * x * x + A * x + B);

/**
 * The public key point (uncompressed `04‖x‖y`, 65 bytes) of an SM2
 * SubjectPublicKeyInfo.
 * @throws AssistantError BAD_REQUEST when it is not a 65-byte uncompressed point on the curve.
 */
export function sm2PublicPoint(spki: Buffer): Buffer {
  const [, keyNode] = childrenOf(expectUniversal(parseDer(spki, 'SubjectPublicKeyInfo'), TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const { bytes } = readBitString(keyNode, 'subjectPublicKey');
  if (bytes.length !== 65 || bytes[0] !== 0x04 || !onCurve(toBig(bytes.subarray(1, 33)), toBig(bytes.subarray(33)))) {
    throw new Error('SM2 public key is not an uncompressed point on the curve');
  }
  return bytes;
}

/** Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2 §5.5), from a 65-byte public point. */
export function sm2Z(point: Buffer, userId: string = SM2_DEFAULT_USER_ID): Buffer {
  const id = Buffer.from(userId, 'utf8');
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  return createHash('sm3')
    .update(Buffer.concat([entl, id, to32(A), to32(B), to32(GX), to32(GY), point.subarray(1, 33), point.subarray(33, 65)]))
    .digest();
}

/** e = SM3(Z ‖ M): the 32 bytes an SKF token's ECCSignData signs. */
export function sm2Digest(point: Buffer, message: Buffer, userId: string = SM2_DEFAULT_USER_ID): Buffer {
  return createHash('sm3').update(sm2Z(point, userId)).update(message).digest();
}

/** Reads a DER `SEQUENCE { INTEGER r, INTEGER s }` (GM/T 0009 SM2Signature). */
function readSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  try {
    const [r, s, extra] = childrenOf(expectUniversal(parseDer(der, 'SM2Signature'), TAG.SEQUENCE, 'SM2Signature'));
    if (extra) return undefined;
    return { r: toBig(expectUniversal(r, TAG.INTEGER, 'r').content), s: toBig(expectUniversal(s, TAG.INTEGER, 's').content) };
  } catch {
    return undefined;
  }
}

/** Verifies a DER SM2 signature over a precomputed e (GB/T 32918.2 §7.1). False on any malformed input. */
export function sm2VerifyDigest(point: Buffer, e: Buffer, signatureDer: Buffer): boolean {
  const sig = readSignature(signatureDer);
  if (!sig || point.length !== 65 || point[0] !== 0x04) return false;
  const { r, s } = sig;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = mod(r + s, N);
  if (t === 0n) return false;
  const q = { x: toBig(point.subarray(1, 33)), y: toBig(point.subarray(33)) };
  if (!onCurve(q.x, q.y)) return false;
  const sum = affine(add(multiply(s, { x: GX, y: GY }), multiply(t, q)));
  return sum !== null && mod(toBig(e) + sum.x, N) === r;
}

/** Verifies a DER SM2 signature over a message, with Z for `userId`. */
export function sm2Verify(spki: Buffer, message: Buffer, signatureDer: Buffer, userId: string = SM2_DEFAULT_USER_ID): boolean {
  let point: Buffer;
  try {
    point = sm2PublicPoint(spki);
  } catch {
    return false;
  }
  return sm2VerifyDigest(point, sm2Digest(point, message, userId), signatureDer);
}

/**
 * True when `issuerSpki` (an SM2 key) verifies the SM2-with-SM3 signature of
 * a DER certificate, with the default user id (CAs sign certificates with it).
 */
export function sm2VerifyCertificate(certDer: Buffer, issuerSpki: Buffer): boolean {
  try {
    const [tbs, , sigNode] = childrenOf(expectUniversal(parseDer(certDer, 'Certificate'), TAG.SEQUENCE, 'Certificate'));
    const { bytes } = readBitString(sigNode, 'signatureValue');
    return tbs !== undefined && sm2Verify(issuerSpki, tbs.raw, bytes);
  } catch {
    return false;
  }
}
