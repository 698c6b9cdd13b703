/**
 * A small DER/BER reader that keeps the exact bytes of every element.
 *
 * We read structures ourselves rather than through `forge.asn1.fromDer`
 * because signatures cover exact bytes (tbsCertificate, signedAttrs, the
 * issuer Name inside IssuerAndSerialNumber): re-encoding a parsed tree, as
 * forge would, silently changes a certificate that is not strictly DER.
 * Indefinite lengths (BER, e.g. CMS from Windows or Java) are accepted.
 */
import { AssistantError } from '../protocol/errors.js';

/** Tag classes as they appear in the top two bits of the identifier octet. */
export const TAG_CLASS = { UNIVERSAL: 0, APPLICATION: 1, CONTEXT: 2, PRIVATE: 3 } as const;

/** Universal tag numbers used by the PKI layer. */
export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

/** Deepest nesting accepted (guards the stack against hostile input). */
const MAX_DEPTH = 64;

/** One element: its tag, its whole encoding (`raw`) and its contents. */
export interface DerNode {
  cls: number;
  constructed: boolean;
  tagNumber: number;
  /** The complete TLV, exactly as found in the input. */
  raw: Buffer;
  /** The contents octets (for indefinite lengths, without the end-of-contents marker). */
  content: Buffer;
}

/** Error for malformed ASN.1; `what` names the structure for the log. */
export function malformed(what: string): AssistantError {
  return new AssistantError('BAD_REQUEST', `malformed ${what}`, { detailZh: '数据格式不正确' });
}

function readHeader(buf: Buffer, offset: number, what: string) {
  let pos = offset;
  const need = (n: number) => {
    if (pos + n > buf.length) throw malformed(what);
  };
  need(1);
  const first = buf[pos++]!;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      need(1);
      const b = buf[pos++]!;
      if (i > 3) throw malformed(what);
      tagNumber = (tagNumber << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  need(1);
  const lenByte = buf[pos++]!;
  let length: number | null;
  if (lenByte < 0x80) {
    length = lenByte;
  } else if (lenByte === 0x80) {
    length = null;
  } else {
    const count = lenByte & 0x7f;
    if (count > 4) throw malformed(what);
    need(count);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
  }
  return { cls: first >> 6, constructed: (first & 0x20) !== 0, tagNumber, headerEnd: pos, length };
}

function readAt(buf: Buffer, offset: number, depth: number, what: string): { node: DerNode; next: number } {
  if (depth > MAX_DEPTH) throw malformed(what);
  const h = readHeader(buf, offset, what);
  if (h.length !== null) {
    const end = h.headerEnd + h.length;
    if (end > buf.length) throw malformed(what);
    const node = { cls: h.cls, constructed: h.constructed, tagNumber: h.tagNumber,
      raw: buf.subarray(offset, end), content: buf.subarray(h.headerEnd, end) };
    return { node, next: end };
  }
  if (!h.constructed) throw malformed(what);
  let pos = h.headerEnd;
  for (;;) {
    if (pos + 2 > buf.length) throw malformed(what);
    if (buf[pos] === 0 && buf[pos + 1] === 0) break;
    pos = readAt(buf, pos, depth + 1, what).next;
  }
  const node = { cls: h.cls, constructed: true, tagNumber: h.tagNumber,
    raw: buf.subarray(offset, pos + 2), content: buf.subarray(h.headerEnd, pos) };
  return { node, next: pos + 2 };
}

/**
 * Parses one element that must span the whole buffer.
 * @throws AssistantError BAD_REQUEST when the bytes are not ASN.1.
 */
export function parseDer(buf: Buffer, what = 'ASN.1'): DerNode {
  const { node, next } = readAt(buf, 0, 0, what);
  if (next !== buf.length) throw malformed(what);
  return node;
}

/** The elements inside a constructed node. @throws BAD_REQUEST on primitive or broken nodes. */
export function childrenOf(node: DerNode, what = 'ASN.1'): DerNode[] {
  if (!node.constructed) throw malformed(what);
  const out: DerNode[] = [];
  let pos = 0;
  while (pos < node.content.length) {
    const r = readAt(node.content, pos, 1, what);
    out.push(r.node);
    pos = r.next;
  }
  return out;
}

/** True when `node` has the given class and tag number. */
export function isTag(node: DerNode | undefined, cls: number, tagNumber: number): node is DerNode {
  return node !== undefined && node.cls === cls && node.tagNumber === tagNumber;
}

/** Returns `node` when it is a universal `tagNumber`, else throws BAD_REQUEST naming `what`. */
export function expectUniversal(node: DerNode | undefined, tagNumber: number, what: string): DerNode {
  if (!isTag(node, TAG_CLASS.UNIVERSAL, tagNumber)) throw malformed(what);
  return node;
}
