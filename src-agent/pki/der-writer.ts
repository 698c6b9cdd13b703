/**
 * A minimal DER writer. Pre-encoded elements (certificates, the issuer Name
 * copied from a certificate) are passed as Buffers and spliced in verbatim,
 * so nothing a CA signed is ever re-encoded.
 */
import { formatTime, oidToContent } from './der-primitives.js';

function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-octet identifier (`tag` includes class and constructed bits). */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthOctets(content.length), content]);
}

/** SEQUENCE of already-encoded elements. */
export function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

/**
 * DER-sorts the encodings of a SET OF: ascending as octet strings, the shorter
 * one padded with trailing zero octets (X.690 §11.6).
 */
export function sortSetOf(parts: Buffer[]): Buffer[] {
  return [...parts].sort((a, b) => {
    const len = Math.max(a.length, b.length);
    for (let i = 0; i < len; i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** SET OF, DER-sorted. */
export function setOf(parts: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(sortSetOf(parts)));
}

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Buffer {
  return tlv(0x06, oidToContent(dotted));
}

/** INTEGER from unsigned big-endian magnitude bytes (adds the sign-padding zero when needed). */
export function unsignedInt(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = Buffer.from([0]);
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

/** INTEGER from a small non-negative number. */
export function smallInt(value: number): Buffer {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return unsignedInt(Buffer.from(bytes));
}

/** OCTET STRING. */
export function octets(content: Buffer): Buffer {
  return tlv(0x04, content);
}

/** NULL. */
export function nullValue(): Buffer {
  return Buffer.from([0x05, 0x00]);
}

/** Time as RFC 5280 says: UTCTime for 1950–2049, GeneralizedTime otherwise (whole seconds, UTC). */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(formatTime(whole, 'utc'), 'latin1'));
  return tlv(0x18, Buffer.from(formatTime(whole, 'generalized'), 'latin1'));
}

/** Context-specific constructed `[n]` wrapping already-encoded elements (EXPLICIT, or IMPLICIT over a SEQUENCE/SET body). */
export function contextConstructed(n: number, ...parts: Buffer[]): Buffer {
  return tlv(0xa0 | n, Buffer.concat(parts));
}
