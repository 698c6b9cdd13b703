/** ECDSA signature encodings, through asn1js (the agent's one ASN.1 codec). */
import { AssistantError } from '../protocol/errors.js';
import { asn1js } from '../util/asn1-lib.js';

/**
 * PKCS#11 CKM_ECDSA returns r‖s, each half the output; CMS and X.509 want
 * `SEQUENCE { INTEGER r, INTEGER s }` (positive INTEGERs, minimal length).
 * @throws AssistantError MODULE_FAILED on an empty or odd-length input.
 */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new AssistantError('MODULE_FAILED', `ECDSA signature of odd length ${raw.length}`, { detailZh: '驱动返回的 ECDSA 签名长度不正确' });
  }
  const { Integer, Sequence } = asn1js();
  const half = raw.length / 2;
  const int = (bytes: Buffer) => new Integer({ valueHex: unsignedBytes(bytes) });
  return Buffer.from(new Sequence({ value: [int(raw.subarray(0, half)), int(raw.subarray(half))] }).toBER());
}

/** Minimal big-endian magnitude with a zero octet in front when the top bit is set (a positive INTEGER). */
function unsignedBytes(bytes: Buffer): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = bytes.subarray(i);
  return (body[0]! & 0x80) ? Buffer.concat([Buffer.from([0]), body]) : Uint8Array.from(body);
}
