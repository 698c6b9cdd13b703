/**
 * The mall's and the 监管系统's check of a seal's trusted time (PAdES B-T): the
 * RFC 3161 token in the CMS's unsigned attributes must be over this signature
 * value, signed by a TSA certificate with the timeStamping usage that chains to
 * a configured TSA root, and the seal certificate must have been valid at the
 * time it states. Parsed and checked with pkijs on node's WebCrypto.
 */
import { webcrypto, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const TOKEN_ATTRIBUTE = '1.2.840.113549.1.9.16.2.14';
const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

pkijs.setEngine('mall', new pkijs.CryptoEngine({ name: 'mall', crypto: webcrypto as unknown as Crypto }));

/** What a seal's time-stamp says. */
export interface SealTimestamp {
  present: boolean;
  valid: boolean;
  /** The TSA's time, when the token is valid. */
  time?: Date;
  /** Why it is not valid, in Chinese. */
  problem?: string;
}

const buf = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer;

/** The seal's time-stamp; `signer` is the seal certificate whose validity the time must fall in. Never throws. */
export async function checkSealTimestamp(cms: Buffer, tsaRoots: X509Certificate[], signer?: X509Certificate): Promise<SealTimestamp> {
  let si: pkijs.SignerInfo | undefined;
  try {
    const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(buf(cms), { parseEmbedded: false }).result });
    si = new pkijs.SignedData({ schema: info.content }).signerInfos[0];
  } catch {
    return { present: false, valid: false, problem: '签名数据不是有效的 CMS 结构' };
  }
  const attr = si?.unsignedAttrs?.attributes.find((a) => a.type === TOKEN_ATTRIBUTE);
  if (!si || !attr) return { present: false, valid: false, problem: '签章没有可信时间戳' };
  const bad = (problem: string): SealTimestamp => ({ present: true, valid: false, problem });
  try {
    const token = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: attr.values[0] }).content });
    const tst = pkijs.TSTInfo.fromBER(token.encapContentInfo.eContent!.getValue());
    const trusted = tsaRoots.map((r) => pkijs.Certificate.fromBER(buf(r.raw)));
    const result = await token.verify({ signer: 0, data: buf(si.signature.valueBlock.valueHexView), trustedCerts: trusted, checkChain: true, checkDate: tst.genTime, extendedMode: true })
      .catch((e: pkijs.SignedDataVerifyError) => e);
    if (result.code === 15 || result.signatureVerified === false) return bad('可信时间戳与签章不符或已被篡改');
    if (!result.signatureVerified || !result.signerCertificateVerified) return bad('可信时间戳的签发机构不受信任');
    const eku = result.signerCertificate?.extensions?.find((e) => e.extnID === '2.5.29.37')?.parsedValue as { keyPurposes?: string[] } | undefined;
    if (!eku?.keyPurposes?.includes(TIME_STAMPING)) return bad('可信时间戳不是由时间戳服务签发的');
    const time = tst.genTime;
    if (signer && (time < new Date(signer.validFrom) || time > new Date(signer.validTo))) return bad('盖章时（可信时间）签章证书不在有效期内');
    return { present: true, valid: true, time };
  } catch {
    return bad('可信时间戳格式不正确');
  }
}
