/**
 * 国密 SM2 for the mall's verifier. Node's crypto hashes SM3 but cannot verify
 * SM2 signatures (nor certificates signed SM2-with-SM3), so SM2 goes through
 * sm-crypto-v2 (pure JavaScript on @noble/curves): e = SM3(Z ‖ M), with Z
 * computed from the signer's public key and the GM/T 0009 default signer id.
 * Like the rest of cms/, this is independent of the assistant's own code.
 */
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
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

/** Position of one DER element: where its contents start and where it ends. */
interface Tlv { start: number; body: number; end: number }

/** Reads the DER header at `at` (definite lengths only, as DER requires). */
function tlv(der: Buffer, at: number): Tlv {
  const first = der[at + 1];
  if (first === undefined) throw new Error('DER truncated');
  let body = at + 2;
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER length not supported');
    length = der.readUIntBE(body, n);
    body += n;
  }
  if (body + length > der.length) throw new Error('DER truncated');
  return { start: at, body, end: body + length };
}

const oid = (node: forge.asn1.Asn1 | undefined): string | undefined =>
  node && node.type === forge.asn1.Type.OID && typeof node.value === 'string' ? forge.asn1.derToOid(forge.util.createBuffer(node.value)) : undefined;

/**
 * The uncompressed point (04 ‖ x ‖ y, 65 bytes) of a certificate's SM2 key,
 * or undefined when the key is not SM2: SubjectPublicKeyInfo with
 * id-ecPublicKey on the SM2 curve, or the SM2 OID as the algorithm.
 */
export function sm2PublicKey(cert: X509Certificate): Buffer | undefined {
  let spki: Buffer;
  try {
    spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
  const node = forge.asn1.fromDer(forge.util.createBuffer(spki.toString('binary')), { strict: true, decodeBitStrings: false } as unknown as boolean);
  const [algorithm, bits] = node.value as forge.asn1.Asn1[];
  const [alg, params] = (algorithm?.value ?? []) as forge.asn1.Asn1[];
  const isSm2 = oid(alg) === GM_OID.sm2 || (oid(alg) === EC_PUBLIC_KEY && oid(params) === GM_OID.sm2);
  if (!isSm2 || typeof bits?.value !== 'string') return undefined;
  const point = Buffer.from(bits.value, 'binary').subarray(1); // the BIT STRING's unused-bits octet
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
    const der = Buffer.from(cert.raw);
    const outer = tlv(der, 0);
    const tbs = tlv(der, outer.body);
    const algorithm = tlv(der, tbs.end);
    const signature = tlv(der, algorithm.end);
    const algNode = forge.asn1.fromDer(forge.util.createBuffer(der.subarray(algorithm.start, algorithm.end).toString('binary')));
    if (oid((algNode.value as forge.asn1.Asn1[])[0]) !== GM_OID.sm2WithSm3) return cert.verify(issuer.publicKey);
    const key = sm2PublicKey(issuer);
    // BIT STRING contents: one unused-bits octet (0), then the DER signature.
    return key !== undefined && der[signature.body] === 0 && verifySm2(der.subarray(tbs.start, tbs.end), der.subarray(signature.body + 1, signature.end), key);
  } catch {
    return false;
  }
}
