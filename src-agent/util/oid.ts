/**
 * OBJECT IDENTIFIER encoding through asn1js, for the token layer (the
 * CKA_EC_PARAMS of a named curve); the PKI layer uses asn1js directly.
 */
import { AssistantError } from '../protocol/errors.js';
import { asn1js } from './asn1-lib.js';

const DOTTED = /^[0-2](\.(0|[1-9]\d{0,14}))+$/;

/**
 * Content octets (X.690 §8.19) of an OID in dotted form.
 * @throws AssistantError BAD_REQUEST when `dotted` is not an OID.
 */
export function oidToContent(dotted: string): Buffer {
  const [first, second] = dotted.split('.').map(Number);
  if (!DOTTED.test(dotted) || (first! < 2 && second! >= 40)) {
    throw new AssistantError('BAD_REQUEST', `bad OID ${dotted}`, { detailZh: '对象标识符（OID）格式不正确' });
  }
  const der = Buffer.from(new (asn1js().ObjectIdentifier)({ value: dotted }).toBER());
  return der.subarray(2); // our OIDs are short: one identifier and one length octet
}
