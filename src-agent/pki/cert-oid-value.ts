/**
 * A value of a certificate looked up by OID, as GM/T 0020's
 * SOF_GetCertInfoByOid returns it: a subject attribute (e.g. `2.5.4.5`
 * serialNumber, `2.5.4.97` organizationIdentifier) or the text of a private
 * extension Chinese CAs use for 统一社会信用代码 or 身份证号
 * (`1.2.156.10260.4.1.1`, `1.2.86.11.7.1.8`…).
 */
import { readCertParts } from './cert-parts.js';
import { childrenOf, isTag, parseDer, TAG, TAG_CLASS, type DerNode } from './der.js';
import { readOid, readString } from './der-values.js';
import { parseCertificate } from './certificate.js';

const STRING_TAGS = new Set<number>([TAG.UTF8_STRING, TAG.PRINTABLE_STRING, TAG.IA5_STRING, TAG.BMP_STRING, TAG.T61_STRING, TAG.UNIVERSAL_STRING, 26 /* VisibleString */, 27 /* GeneralString */]);

/** The text inside an extension value: a string, a string in a SEQUENCE or OCTET STRING, else the bytes as upper-case hex. */
function extensionText(octets: Buffer): string {
  let node: DerNode;
  try {
    node = parseDer(octets, 'extension value');
  } catch {
    return octets.toString('hex').toUpperCase();
  }
  for (let depth = 0; depth < 4; depth++) {
    if (node.cls === TAG_CLASS.UNIVERSAL && STRING_TAGS.has(node.tagNumber)) return readString(node);
    if (node.cls === TAG_CLASS.UNIVERSAL && node.tagNumber === TAG.OCTET_STRING) {
      try {
        node = parseDer(node.content, 'extension value');
        continue;
      } catch {
        return node.content.toString('utf8');
      }
    }
    if (node.constructed) {
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
  const parts = readCertParts(der);
  if (!parts.extensions) return undefined;
  const [list] = childrenOf(parts.extensions, 'extensions');
  if (!list) return undefined;
  for (const ext of childrenOf(list, 'extensions')) {
    const fields = childrenOf(ext, 'extension');
    if (readOid(fields[0], 'extnID') !== oid) continue;
    const value = fields.find((f, i) => i > 0 && isTag(f, TAG_CLASS.UNIVERSAL, TAG.OCTET_STRING));
    return value ? extensionText(value.content) : undefined;
  }
  return undefined;
}
