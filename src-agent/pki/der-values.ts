/**
 * Decoders for primitive ASN.1 values (OIDs, integers, times, strings),
 * on top of {@link DerNode}. Chinese text is decoded by its declared type:
 * UTF8String as UTF-8, BMPString as UTF-16BE, UniversalString as UTF-32BE.
 */
import { contentToOid, parseTime } from './der-primitives.js';
import { TAG, TAG_CLASS, childrenOf, expectUniversal, malformed, type DerNode } from './der.js';

/** Dotted OID string of an OBJECT IDENTIFIER node. @throws BAD_REQUEST */
export function readOid(node: DerNode | undefined, what = 'OID'): string {
  const n = expectUniversal(node, TAG.OID, what);
  const oid = contentToOid(n.content);
  if (oid === undefined) throw malformed(what);
  return oid;
}

/** Contents of an INTEGER node as lower-case hex, without the sign-padding zero byte. */
export function readIntegerHex(node: DerNode | undefined, what = 'INTEGER'): string {
  const n = expectUniversal(node, TAG.INTEGER, what);
  if (n.content.length === 0) throw malformed(what);
  const bytes = n.content.length > 1 && n.content[0] === 0 ? n.content.subarray(1) : n.content;
  return bytes.toString('hex');
}

/** A small non-negative INTEGER (versions, path lengths). */
export function readSmallInt(node: DerNode | undefined, what = 'INTEGER'): number {
  const n = expectUniversal(node, TAG.INTEGER, what);
  if (n.content.length === 0 || n.content.length > 4) throw malformed(what);
  return n.content.readIntBE(0, n.content.length);
}

/** UTCTime or GeneralizedTime as a Date. @throws BAD_REQUEST */
export function readTime(node: DerNode | undefined, what = 'Time'): Date {
  if (node === undefined || node.cls !== TAG_CLASS.UNIVERSAL) throw malformed(what);
  const text = node.content.toString('latin1');
  let date: Date | undefined;
  if (node.tagNumber === TAG.UTC_TIME) date = parseTime(text, 'utc');
  else if (node.tagNumber === TAG.GENERALIZED_TIME) date = parseTime(text, 'generalized');
  if (date === undefined || Number.isNaN(date.getTime())) throw malformed(what);
  return date;
}

function utf16be(bytes: Buffer): string {
  const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  swapped.swap16();
  return swapped.toString('utf16le');
}

function utf32be(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i + 4 <= bytes.length; i += 4) out += String.fromCodePoint(Math.min(bytes.readUInt32BE(i), 0x10ffff));
  return out;
}

/**
 * Decodes any ASN.1 string type. TeletexString is often (mis)used by CAs to
 * carry UTF-8 bytes, so it is read as UTF-8 when that is well-formed.
 */
export function readString(node: DerNode): string {
  const b = node.content;
  switch (node.tagNumber) {
    case TAG.UTF8_STRING:
      return b.toString('utf8');
    case TAG.BMP_STRING:
      return utf16be(b);
    case TAG.UNIVERSAL_STRING:
      return utf32be(b);
    case TAG.T61_STRING: {
      const text = b.toString('utf8');
      return text.includes('\ufffd') ? b.toString('latin1') : text;
    }
    default:
      return b.toString('latin1');
  }
}

/** AlgorithmIdentifier: the OID and the raw parameters element (if any). */
export function readAlgorithm(node: DerNode | undefined, what = 'AlgorithmIdentifier'): { oid: string; params?: DerNode } {
  const seq = expectUniversal(node, TAG.SEQUENCE, what);
  const [oidNode, params] = childrenOf(seq, what);
  return params ? { oid: readOid(oidNode, what), params } : { oid: readOid(oidNode, what) };
}

/** The bytes of a BIT STRING without its leading unused-bits octet. */
export function readBitString(node: DerNode | undefined, what = 'BIT STRING'): { bytes: Buffer; unusedBits: number } {
  const n = expectUniversal(node, TAG.BIT_STRING, what);
  if (n.content.length === 0) throw malformed(what);
  return { bytes: n.content.subarray(1), unusedBits: n.content[0]! };
}
