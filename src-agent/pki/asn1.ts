/**
 * The PKI layer's access to asn1js: decoding with the exact input bytes kept
 * (`valueBeforeDecodeView`, which signatures cover), and the one error for
 * input that is not the ASN.1 it should be. The libraries load on first use
 * (util/asn1-lib.ts).
 */
import type * as Asn1 from 'asn1js';
import { AssistantError } from '../protocol/errors.js';
import { asn1js } from '../util/asn1-lib.js';

export { asn1js, pkijs } from '../util/asn1-lib.js';

/** Deepest nesting decoded (asn1js counts it; real certificates and CMS stay under 20). */
const MAX_DEPTH = 64;

/** Error for malformed ASN.1; `what` names the structure for the log. */
export function malformed(what: string): AssistantError {
  return new AssistantError('BAD_REQUEST', `malformed ${what}`, { detailZh: '数据格式不正确' });
}

/** A copy of a byte view as a Buffer. */
export const bytes = (view: Uint8Array | ArrayBuffer): Buffer => Buffer.from(view instanceof ArrayBuffer ? new Uint8Array(view) : view);

/** The complete encoding of a decoded element, exactly as it was in the input. */
export const rawOf = (block: { valueBeforeDecodeView: Uint8Array }): Buffer => bytes(block.valueBeforeDecodeView);

/**
 * Decodes one BER/DER element that must span all of `input`.
 * @throws AssistantError BAD_REQUEST naming `what` when it is not ASN.1.
 */
export function decode(input: Uint8Array, what: string): Asn1.AsnType {
  let r: Asn1.FromBerResult;
  try {
    // Contents of OCTET/BIT STRINGs are not tried as embedded ASN.1 (pkijs decodes the ones it needs);
    // the input is not copied (every value read out is copied into its own Buffer).
    r = asn1js().fromBER(input, { maxDepth: MAX_DEPTH, parseEmbedded: false, copyInput: false });
  } catch {
    throw malformed(what); // e.g. RangeError from nesting deeper than the stack
  }
  if (r.offset === -1 || r.offset !== input.length || r.result.error) throw malformed(what);
  return r.result;
}

/**
 * Runs a library parse (pkijs `fromBER`/`new X({ schema })`), turning
 * whatever it throws into BAD_REQUEST naming `what`.
 */
export function parseWith<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (AssistantError.is(error)) throw error;
    throw malformed(what);
  }
}

/** Dotted OID of an OBJECT IDENTIFIER block. @throws BAD_REQUEST */
export function oidOf(block: unknown, what: string): string {
  if (!(block instanceof asn1js().ObjectIdentifier)) throw malformed(what);
  const value = block.getValue();
  if (!value) throw malformed(what);
  return value;
}

/** Contents octets of a primitive block (an OCTET STRING, INTEGER, string…). */
export function contentOf(block: Asn1.AsnType): Buffer {
  const vb = (block as { valueBlock?: { valueHexView?: Uint8Array } }).valueBlock;
  return bytes(vb?.valueHexView ?? new Uint8Array());
}

/** The tag class (1 universal, 3 context-specific) and number of a block. */
export function tagOf(block: Asn1.AsnType): { cls: number; number: number; constructed: boolean } {
  return { cls: block.idBlock.tagClass, number: block.idBlock.tagNumber, constructed: block.idBlock.isConstructed };
}

/** The children of a constructed block. @throws BAD_REQUEST on a primitive one. */
export function childrenOf(block: Asn1.AsnType, what: string): Asn1.AsnType[] {
  const value = (block.valueBlock as { value?: unknown }).value;
  if (!block.idBlock.isConstructed || !Array.isArray(value)) throw malformed(what);
  return value as Asn1.AsnType[];
}
