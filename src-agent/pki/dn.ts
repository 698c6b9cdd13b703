/** Distinguished names: decoding (Chinese included) and display. */
import { TAG, childrenOf, expectUniversal, type DerNode } from './der.js';
import { readOid, readString } from './der-values.js';
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

/**
 * Reads a Name (RDNSequence). Multi-valued RDNs are flattened in order.
 * @throws AssistantError BAD_REQUEST when the structure is broken.
 */
export function readName(node: DerNode | undefined): DnAttribute[] {
  const seq = expectUniversal(node, TAG.SEQUENCE, 'Name');
  const out: DnAttribute[] = [];
  for (const rdn of childrenOf(seq, 'Name')) {
    expectUniversal(rdn, TAG.SET, 'RDN');
    for (const atv of childrenOf(rdn, 'RDN')) {
      const [type, value] = childrenOf(expectUniversal(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'), 'AttributeTypeAndValue');
      const oid = readOid(type, 'attribute type');
      out.push({ oid, name: DN_ATTRIBUTES[oid] ?? oid, value: value ? readString(value) : '' });
    }
  }
  return out;
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
