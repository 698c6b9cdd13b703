/**
 * Building DER with asn1js for what the assistant writes (CMS SignedData,
 * signed attributes, DigestInfo). Pre-encoded elements — certificates, the
 * issuer Name copied from a certificate — go in through {@link verbatim} and
 * are written byte for byte: nothing a CA signed is ever re-encoded.
 */
import type * as Asn1 from 'asn1js';
import { asn1js } from './asn1.js';

/** Something asn1js can encode. */
export type Encodable = Asn1.AsnType;

/** The DER bytes of an element. */
export const encode = (block: Encodable): Buffer => Buffer.from(block.toBER());

/**
 * An already-encoded element inside an asn1js structure: asn1js asks each
 * child of a constructed value for `toBER(sizeOnly, writer)` (its
 * IBerConvertible contract), and this answer is the bytes as they are.
 */
class Verbatim {
  constructor(private readonly der: Buffer) {}

  toBER(sizeOnly = false, writer?: Asn1.ViewWriter): ArrayBuffer {
    // A copy of the bytes (a typed-array copy, not the byte-by-byte iterator of Uint8Array.from).
    const out = sizeOnly ? new ArrayBuffer(this.der.length) : new Uint8Array(this.der).buffer;
    if (!writer) return out;
    writer.write(out);
    return new ArrayBuffer(0);
  }
}

/** An already-encoded (DER) element, written exactly as it is. */
export const verbatim = (der: Buffer): Asn1.AsnType => new Verbatim(der) as unknown as Asn1.AsnType;

/** SEQUENCE of elements. */
export const sequence = (...value: Encodable[]): Asn1.Sequence => new (asn1js().Sequence)({ value });

/** OBJECT IDENTIFIER from dotted form. */
export const oid = (dotted: string): Asn1.ObjectIdentifier => new (asn1js().ObjectIdentifier)({ value: dotted });

/** OCTET STRING. */
export const octets = (content: Buffer): Asn1.OctetString => new (asn1js().OctetString)({ valueHex: content });

/** INTEGER from a small non-negative number. */
export const smallInt = (value: number): Asn1.Integer => new (asn1js().Integer)({ value });

/** INTEGER with exactly these contents octets (a serial number copied from a certificate). */
export const integerContents = (contents: Buffer): Asn1.Integer => new (asn1js().Integer)({ valueHex: contents });

/** NULL. */
export const nullValue = (): Asn1.Null => new (asn1js().Null)();

/** Context-specific constructed `[n]` around elements (EXPLICIT, or IMPLICIT over a SEQUENCE/SET body). */
export const contextConstructed = (n: number, ...value: Encodable[]): Asn1.Constructed =>
  new (asn1js().Constructed)({ idBlock: { tagClass: 3, tagNumber: n }, value });

/**
 * Time as RFC 5280 §4.1.2.5 says: UTCTime for 1950–2049, GeneralizedTime
 * otherwise; whole seconds, UTC.
 */
export function time(date: Date): Asn1.UTCTime | Asn1.GeneralizedTime {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const year = whole.getUTCFullYear();
  const { UTCTime, GeneralizedTime } = asn1js();
  return year >= 1950 && year < 2050 ? new UTCTime({ valueDate: whole }) : new GeneralizedTime({ valueDate: whole });
}

/**
 * DER-sorts the encodings of a SET OF: ascending as octet strings, the shorter
 * one padded with trailing zero octets (X.690 §11.6). asn1js writes a SET in
 * the order given, so this comes first.
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

const constants = new Map<string, Buffer>();

/**
 * The DER of an element that never changes (an algorithm identifier, an
 * attribute type with a fixed value), built once per process under `key`.
 */
export function constant(key: string, build: () => Encodable): Buffer {
  let der = constants.get(key);
  if (!der) {
    der = encode(build());
    constants.set(key, der);
  }
  return der;
}

/** SET OF already-encoded elements, DER-sorted. */
export const setOf = (parts: Buffer[]): Asn1.Set => new (asn1js().Set)({ value: sortSetOf(parts).map(verbatim) });
