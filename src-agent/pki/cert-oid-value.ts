/**
 * A value of a certificate looked up by OID, as GM/T 0020's
 * SOF_GetCertInfoByOid returns it: a subject attribute (e.g. `2.5.4.5`
 * serialNumber, `2.5.4.97` organizationIdentifier) or the text of a private
 * extension Chinese CAs use for 统一社会信用代码 or 身份证号
 * (`1.2.156.10260.4.1.1`, `1.2.86.11.7.1.8`…).
 */
import type * as Asn1 from 'asn1js';
import { childrenOf, contentOf, decode, tagOf } from './asn1.js';
import { readCertParts } from './cert-parts.js';
import { parseCertificate } from './certificate.js';
import { readString } from './dn.js';

/** Universal tags of the string types a value may be written in (UTF8, Printable, T61, IA5, Visible, General, Universal, BMP). */
const STRING_TAGS = new Set<number>([12, 19, 20, 22, 26, 27, 28, 30]);
const OCTET_STRING = 4;

/** The text inside an extension value: a string, a string in a SEQUENCE or OCTET STRING, else the bytes as upper-case hex. */
function extensionText(octets: Buffer): string {
  let node: Asn1.AsnType;
  try {
    node = decode(octets, 'extension value');
  } catch {
    return octets.toString('hex').toUpperCase();
  }
  for (let depth = 0; depth < 4; depth++) {
    const tag = tagOf(node);
    if (tag.cls === 1 && STRING_TAGS.has(tag.number)) return readString(node);
    if (tag.cls === 1 && tag.number === OCTET_STRING && !tag.constructed) {
      const inner = contentOf(node);
      try {
        node = decode(inner, 'extension value');
        continue;
      } catch {
        return inner.toString('utf8');
      }
    }
    if (tag.constructed) {
      const first = childrenOf(node, 'extension value')[0];
      if (!first) break;
      node = first;
      continue;
    }
    break;
  }
  return octets.toString('hex').toUpperCase();
}

/**
 * The subject attribute or extension with this OID, as text; undefined when the certificate has neither.
 * @throws AssistantError BAD_REQUEST when `der` is not a certificate.
 */
export function certValueByOid(der: Buffer, oid: string): string | undefined {
  const details = parseCertificate(der);
  const attribute = details.subjectAttributes.find((a) => a.oid === oid);
  if (attribute) return attribute.value;
  const ext = readCertParts(der).extensions.find((e) => e.extnID === oid);
  return ext ? extensionText(Buffer.from(ext.extnValue.valueBlock.valueHexView)) : undefined;
}
