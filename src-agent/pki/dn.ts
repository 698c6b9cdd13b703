/** Distinguished names: decoding (Chinese included) and display. */
import type * as Asn1 from 'asn1js';
import type * as Pkijs from 'pkijs';
import { contentOf } from './asn1.js';
import { DN_ATTRIBUTES } from './oids.js';

/** One attribute of a distinguished name, in certificate order. */
export interface DnAttribute {
  /** Dotted OID of the attribute type, e.g. `2.5.4.3`. */
  oid: string;
  /** Short name (`CN`, `O`, `serialNumber`…) or the OID when unknown. */
  name: string;
  /** The decoded value (UTF8String, BMPString, PrintableString… all become JS strings). */
  value: string;
}

/** Universal string tags whose bytes are not Latin-1. */
const STRING_TAG = { UTF8: 12, T61: 20, UNIVERSAL: 28, BMP: 30 } as const;

function utf16be(b: Buffer): string {
  const swapped = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  swapped.swap16();
  return swapped.toString('utf16le');
}

function utf32be(b: Buffer): string {
  let out = '';
  for (let i = 0; i + 4 <= b.length; i += 4) out += String.fromCodePoint(Math.min(b.readUInt32BE(i), 0x10ffff));
  return out;
}

/**
 * Decodes an ASN.1 string value by its declared type: UTF8String as UTF-8,
 * BMPString as UTF-16BE, UniversalString as UTF-32BE. TeletexString is often
 * (mis)used by CAs to carry UTF-8 bytes, so it is read as UTF-8 when that is
 * well-formed; the rest as Latin-1.
 */
export function readString(block: Asn1.AsnType): string {
  const b = contentOf(block);
  switch (block.idBlock.tagClass === 1 ? block.idBlock.tagNumber : -1) {
    case STRING_TAG.UTF8:
      return b.toString('utf8');
    case STRING_TAG.BMP:
      return utf16be(b);
    case STRING_TAG.UNIVERSAL:
      return utf32be(b);
    case STRING_TAG.T61: {
      const text = b.toString('utf8');
      return text.includes('\ufffd') ? b.toString('latin1') : text;
    }
    default:
      return b.toString('latin1');
  }
}

/** Reads a Name (RDNSequence) as pkijs parsed it. Multi-valued RDNs are flattened in order. */
export function readName(name: Pkijs.RelativeDistinguishedNames): DnAttribute[] {
  return name.typesAndValues.map((tv) => ({
    oid: tv.type,
    name: DN_ATTRIBUTES[tv.type] ?? tv.type,
    value: readString(tv.value as Asn1.AsnType),
  }));
}

function escapeValue(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

/**
 * Formats a name the way Windows and RFC 4514 show it: most specific first
 * (`CN=…, OU=…, O=…, C=CN`), special characters escaped.
 */
export function formatName(attributes: readonly DnAttribute[]): string {
  return [...attributes].reverse().map((a) => `${a.name}=${escapeValue(a.value)}`).join(', ');
}

/** First value of an attribute by short name or OID, if present. */
export function dnValue(attributes: readonly DnAttribute[], nameOrOid: string): string | undefined {
  return attributes.find((a) => a.name === nameOrOid || a.oid === nameOrOid)?.value;
}

/** All values of an attribute by short name or OID. */
export function dnValues(attributes: readonly DnAttribute[], nameOrOid: string): string[] {
  return attributes.filter((a) => a.name === nameOrOid || a.oid === nameOrOid).map((a) => a.value);
}

/** A short label for messages: CN, else O, else the whole name. */
export function displayName(attributes: readonly DnAttribute[]): string {
  return dnValue(attributes, 'CN') ?? dnValue(attributes, 'O') ?? formatName(attributes);
}
