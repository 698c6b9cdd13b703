/**
 * Reads a CMS ContentInfo/SignedData (RFC 5652) into the pieces a verifier
 * needs, keeping the exact bytes of the signed attributes.
 */
import { TAG, TAG_CLASS, childrenOf, expectUniversal, isTag, malformed, parseDer, type DerNode } from './der.js';
import { readAlgorithm, readOid, readTime } from './der-values.js';
import { CMS, GMT0010 } from './oids.js';

/** How the SignerInfo names its certificate. */
export type SignerIdentifier =
  | { type: 'issuerAndSerial'; issuerRaw: Buffer; serialRaw: Buffer }
  | { type: 'subjectKeyIdentifier'; keyId: string };

/** One SignerInfo. */
export interface ParsedSignerInfo {
  sid: SignerIdentifier;
  digestAlgorithmOid: string;
  signatureAlgorithmOid: string;
  signature: Buffer;
  /** The signed attributes re-tagged as `SET OF` (0x31): the bytes the signature covers. */
  signedAttrsDer?: Buffer;
  /** Attribute values by type OID. */
  attributes: Map<string, DerNode[]>;
}

/** The parts of a SignedData. */
export interface ParsedSignedData {
  eContentType: string;
  /** Encapsulated content when the CMS is not detached. */
  content?: Buffer;
  certificates: Buffer[];
  signers: ParsedSignerInfo[];
}

function readSid(node: DerNode | undefined): SignerIdentifier {
  if (isTag(node, TAG_CLASS.CONTEXT, 0)) return { type: 'subjectKeyIdentifier', keyId: node.content.toString('hex') };
  const [issuer, serial] = childrenOf(expectUniversal(node, TAG.SEQUENCE, 'IssuerAndSerialNumber'), 'IssuerAndSerialNumber');
  return {
    type: 'issuerAndSerial',
    issuerRaw: expectUniversal(issuer, TAG.SEQUENCE, 'issuer').raw,
    serialRaw: expectUniversal(serial, TAG.INTEGER, 'serialNumber').content,
  };
}

function readSignerInfo(node: DerNode): ParsedSignerInfo {
  const f = childrenOf(expectUniversal(node, TAG.SEQUENCE, 'SignerInfo'), 'SignerInfo');
  let i = 3;
  let signedAttrsDer: Buffer | undefined;
  const attributes = new Map<string, DerNode[]>();
  const attrsNode = f[3];
  if (isTag(attrsNode, TAG_CLASS.CONTEXT, 0)) {
    // The signature covers the DER of the attributes with the universal SET tag, not [0].
    signedAttrsDer = Buffer.concat([Buffer.from([0x31]), attrsNode.raw.subarray(1)]);
    for (const attr of childrenOf(attrsNode, 'signedAttrs')) {
      const [type, values] = childrenOf(expectUniversal(attr, TAG.SEQUENCE, 'Attribute'), 'Attribute');
      attributes.set(readOid(type, 'attribute type'), childrenOf(expectUniversal(values, TAG.SET, 'attrValues'), 'attrValues'));
    }
    i = 4;
  }
  const signature = expectUniversal(f[i + 1], TAG.OCTET_STRING, 'signature').content;
  const info: ParsedSignerInfo = {
    sid: readSid(f[1]),
    digestAlgorithmOid: readAlgorithm(f[2], 'digestAlgorithm').oid,
    signatureAlgorithmOid: readAlgorithm(f[i], 'signatureAlgorithm').oid,
    signature,
    attributes,
  };
  if (signedAttrsDer) info.signedAttrsDer = signedAttrsDer;
  return info;
}

/**
 * Parses DER/BER ContentInfo carrying SignedData (RFC 5652 or GM/T 0010 content type).
 * @throws AssistantError BAD_REQUEST when it is not a CMS SignedData.
 */
export function parseSignedData(der: Buffer): ParsedSignedData {
  const [type, explicit] = childrenOf(expectUniversal(parseDer(der, 'CMS'), TAG.SEQUENCE, 'ContentInfo'), 'ContentInfo');
  const contentType = readOid(type, 'contentType');
  if ((contentType !== CMS.SIGNED_DATA && contentType !== GMT0010.SIGNED_DATA) || !isTag(explicit, TAG_CLASS.CONTEXT, 0)) throw malformed('SignedData');
  const [sd] = childrenOf(explicit, 'ContentInfo content');
  const f = childrenOf(expectUniversal(sd, TAG.SEQUENCE, 'SignedData'), 'SignedData');
  const [eType, eContent] = childrenOf(expectUniversal(f[2], TAG.SEQUENCE, 'EncapsulatedContentInfo'), 'EncapsulatedContentInfo');
  const out: ParsedSignedData = { eContentType: readOid(eType, 'eContentType'), certificates: [], signers: [] };
  if (isTag(eContent, TAG_CLASS.CONTEXT, 0)) {
    const [octet] = childrenOf(eContent, 'eContent');
    if (octet) out.content = octet.constructed ? Buffer.concat(childrenOf(octet).map((c) => c.content)) : octet.content;
  }
  for (const node of f.slice(3)) {
    if (isTag(node, TAG_CLASS.CONTEXT, 0)) {
      out.certificates = childrenOf(node, 'certificates').filter((c) => isTag(c, TAG_CLASS.UNIVERSAL, TAG.SEQUENCE)).map((c) => c.raw);
    } else if (isTag(node, TAG_CLASS.UNIVERSAL, TAG.SET)) {
      out.signers = childrenOf(node, 'signerInfos').map(readSignerInfo);
    }
  }
  return out;
}

/** The single value of a signed attribute, if present. */
export function attributeValue(signer: ParsedSignerInfo, oid: string): DerNode | undefined {
  return signer.attributes.get(oid)?.[0];
}

/** The signingTime attribute, if present and readable. */
export function signingTimeOf(signer: ParsedSignerInfo): Date | undefined {
  const node = attributeValue(signer, CMS.ATTR_SIGNING_TIME);
  return node ? readTime(node, 'signingTime') : undefined;
}
