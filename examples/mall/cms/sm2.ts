/**
 * 国密 SM2 for the mall's verifier. Node's crypto hashes SM3 but cannot verify
 * SM2 signatures (nor certificates signed SM2-with-SM3), so SM2 goes through
 * sm-crypto-v2 (pure JavaScript on @noble/curves): e = SM3(Z ‖ M), with Z
 * computed from the signer's public key and the GM/T 0009 default signer id.
 * Like the rest of cms/, this is independent of the assistant's own code;
 * ASN.1 goes through asn1js and pkijs, the same libraries the assistant uses.
 */
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { sm2 } from 'sm-crypto-v2';

/** GM/T 0009 default signer id, the `ID` in Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ G ‖ P). */
export const SM2_DEFAULT_ID = '1234567812345678';

/** GM/T 0006 object identifiers. */
export const GM_OID = {
  /** The SM2 curve (also used as key algorithm by some CAs). */
  sm2: '1.2.156.10197.1.301',
  /** sm2-1: SM2 signature (GM/T 0010's SignerInfo.signatureAlgorithm). */
  sm2Sign: '1.2.156.10197.1.301.1',
  sm2WithSm3: '1.2.156.10197.1.501',
  sm3: '1.2.156.10197.1.401',
  /** GM/T 0010 content types. */
  data: '1.2.156.10197.6.1.4.2.1',
  signedData: '1.2.156.10197.6.1.4.2.2',
} as const;

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/**
 * The uncompressed point (04 ‖ x ‖ y, 65 bytes) of a certificate's SM2 key,
 * or undefined when the key is not SM2: SubjectPublicKeyInfo with
 * id-ecPublicKey on the SM2 curve, or the SM2 OID as the algorithm.
 */
export function sm2PublicKey(cert: X509Certificate): Buffer | undefined {
  let spki: pkijs.PublicKeyInfo;
  try {
    spki = pkijs.PublicKeyInfo.fromBER(cert.publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return undefined;
  }
  const alg = spki.algorithm.algorithmId;
  const params = spki.algorithm.algorithmParams as unknown;
  const isSm2 = alg === GM_OID.sm2 || (alg === EC_PUBLIC_KEY && params instanceof asn1js.ObjectIdentifier && params.getValue() === GM_OID.sm2);
  if (!isSm2) return undefined;
  const point = Buffer.from(spki.subjectPublicKey.valueBlock.valueHexView);
  return point.length === 65 && point[0] === 0x04 ? point : undefined;
}

/** Verifies a DER `SEQUENCE { r, s }` SM2 signature over `message`; false (never throws) on any malformed input. */
export function verifySm2(message: Buffer, signature: Buffer, publicKey: Buffer, id = SM2_DEFAULT_ID): boolean {
  try {
    return sm2.doVerifySignature(new Uint8Array(message), signature.toString('hex'), publicKey.toString('hex'), { der: true, hash: true, userId: id });
  } catch {
    return false;
  }
}

/**
 * True when `issuer`'s key signed `cert`: SM2-with-SM3 (default id) through
 * sm-crypto-v2, every other algorithm through node:crypto.
 */
export function certSignedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    const parsed = pkijs.Certificate.fromBER(cert.raw);
    if (parsed.signatureAlgorithm.algorithmId !== GM_OID.sm2WithSm3) return cert.verify(issuer.publicKey);
    const key = sm2PublicKey(issuer);
    const signature = parsed.signatureValue.valueBlock;
    return key !== undefined && signature.unusedBits === 0 && verifySm2(Buffer.from(parsed.tbsView), Buffer.from(signature.valueHexView), key);
  } catch {
    return false;
  }
}
