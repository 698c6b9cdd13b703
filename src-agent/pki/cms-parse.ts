/**
 * Reads a CMS ContentInfo/SignedData (RFC 5652, or GM/T 0010's content
 * types) with pkijs into the pieces a verifier needs, keeping the exact bytes
 * of the signed attributes and of every certificate. DER and BER (indefinite
 * lengths, constructed OCTET STRINGs) alike. The certificate and SignerInfo
 * counts are capped before anything is parsed into objects.
 */
import type * as Asn1 from 'asn1js';
import type * as Pkijs from 'pkijs';
import { AssistantError } from '../protocol/errors.js';
import { MAX_CMS_CERTIFICATES, MAX_CMS_SIGNERS } from '../limits.js';
import { asn1js, bytes, childrenOf, decode, malformed, parseWith, pkijs, rawOf } from './asn1.js';
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
  attributes: Map<string, Asn1.AsnType[]>;
}

/** The parts of a SignedData. */
export interface ParsedSignedData {
  eContentType: string;
  /** Encapsulated content when the CMS is not detached. */
  content?: Buffer;
  /** Every certificate of the `certificates` set, exact bytes (other choices skipped). */
  certificates: Buffer[];
  signers: ParsedSignerInfo[];
}

/** OCTET STRING value, primitive or (BER) constructed. */
export function octetsOf(block: unknown, what: string): Buffer {
  if (!(block instanceof asn1js().OctetString)) throw malformed(what);
  return bytes(block.getValue());
}

function tooMany(what: 'certificates' | 'signers', count: number, max: number): AssistantError {
  const zh = what === 'certificates' ? `签名数据中的证书过多（${count} 张，上限 ${max} 张）` : `签名数据中的签名者过多（${count} 个，上限 ${max} 个）`;
  return new AssistantError('BAD_REQUEST', `CMS carries ${count} ${what}, limit ${max}`, { detailZh: zh, limit: what });
}

/**
 * Counts the certificates and SignerInfos in the decoded tree and throws
 * before any is parsed when over the caps; returns the certificate
 * elements and takes the `certificates` and `crls` sets out of the tree, so
 * pkijs does not build objects for them: certificates are parsed later, one
 * by one, only those the verification needs (cert-parts.ts keeps recent ones).
 */
function checkCaps(signedData: Asn1.AsnType): Asn1.AsnType[] {
  const fields = childrenOf(signedData, 'SignedData');
  const isSet = (f: Asn1.AsnType, n: number) => f.idBlock.tagClass === 3 && f.idBlock.tagNumber === n;
  const certSet = fields.find((f) => isSet(f, 0));
  const certs = certSet ? childrenOf(certSet, 'certificates') : [];
  if (certs.length > MAX_CMS_CERTIFICATES) throw tooMany('certificates', certs.length, MAX_CMS_CERTIFICATES);
  const signerSet = fields[fields.length - 1];
  const signers = signerSet ? childrenOf(signerSet, 'signerInfos').length : 0;
  if (signers > MAX_CMS_SIGNERS) throw tooMany('signers', signers, MAX_CMS_SIGNERS);
  (signedData.valueBlock as { value: Asn1.AsnType[] }).value = fields.filter((f) => !isSet(f, 0) && !isSet(f, 1));
  return certs.filter((c) => c.idBlock.tagClass === 1 && c.idBlock.tagNumber === 16);
}

function readSid(sid: unknown): SignerIdentifier {
  if (sid instanceof pkijs().IssuerAndSerialNumber) {
    return { type: 'issuerAndSerial', issuerRaw: bytes(sid.issuer.valueBeforeDecode), serialRaw: bytes(sid.serialNumber.valueBlock.valueHexView) };
  }
  const block = sid as Asn1.AsnType;
  if (block?.idBlock?.tagClass === 3 && block.idBlock.tagNumber === 0) {
    return { type: 'subjectKeyIdentifier', keyId: bytes((block.valueBlock as { valueHexView: Uint8Array }).valueHexView).toString('hex') };
  }
  throw malformed('SignerIdentifier');
}

function readSignerInfo(si: Pkijs.SignerInfo): ParsedSignerInfo {
  const attributes = new Map<string, Asn1.AsnType[]>();
  const info: ParsedSignerInfo = {
    sid: readSid(si.sid),
    digestAlgorithmOid: si.digestAlgorithm.algorithmId,
    signatureAlgorithmOid: si.signatureAlgorithm.algorithmId,
    signature: octetsOf(si.signature, 'signature'),
    attributes,
  };
  if (si.signedAttrs) {
    // The signature covers the DER of the attributes with the universal SET tag, not [0].
    const encoded = bytes(si.signedAttrs.encodedValue);
    info.signedAttrsDer = Buffer.concat([Buffer.from([0x31]), encoded.subarray(1)]);
    for (const attr of si.signedAttrs.attributes) attributes.set(attr.type, attr.values as Asn1.AsnType[]);
  }
  return info;
}

/**
 * Parses DER/BER ContentInfo carrying SignedData (RFC 5652 or GM/T 0010 content type).
 * @throws AssistantError BAD_REQUEST when it is not a CMS SignedData, or carries
 *   more than {@link MAX_CMS_CERTIFICATES} certificates or {@link MAX_CMS_SIGNERS} signers.
 */
export function parseSignedData(der: Buffer): ParsedSignedData {
  const { ContentInfo, SignedData } = pkijs();
  const ci = parseWith('ContentInfo', () => new ContentInfo({ schema: decode(der, 'CMS') }));
  if (ci.contentType !== CMS.SIGNED_DATA && ci.contentType !== GMT0010.SIGNED_DATA) throw malformed('SignedData');
  const certBlocks = checkCaps(ci.content as Asn1.AsnType);
  const sd = parseWith('SignedData', () => new SignedData({ schema: ci.content }));
  const out: ParsedSignedData = {
    eContentType: sd.encapContentInfo.eContentType,
    certificates: certBlocks.map(rawOf),
    signers: parseWith('SignerInfo', () => sd.signerInfos.map(readSignerInfo)),
  };
  const eContent = sd.encapContentInfo.eContent;
  if (eContent) out.content = octetsOf(eContent, 'eContent');
  return out;
}

/** The single value of a signed attribute, if present. */
export function attributeValue(signer: ParsedSignerInfo, oid: string): Asn1.AsnType | undefined {
  return signer.attributes.get(oid)?.[0];
}

/** The signingTime attribute, if present. @throws BAD_REQUEST when it is there but not a time. */
export function signingTimeOf(signer: ParsedSignerInfo): Date | undefined {
  const node = attributeValue(signer, CMS.ATTR_SIGNING_TIME);
  if (node === undefined) return undefined;
  const { UTCTime, GeneralizedTime } = asn1js();
  if (!(node instanceof UTCTime) && !(node instanceof GeneralizedTime)) throw malformed('signingTime');
  const date = parseWith('signingTime', () => node.toDate());
  if (Number.isNaN(date.getTime())) throw malformed('signingTime');
  return date;
}
