/**
 * RFC 3161 requests and responses: the TimeStampReq over a signature value,
 * and the checks on the TSA's answer before its token is embedded (status
 * granted, imprint and nonce are ours, the token is a SignedData over TSTInfo).
 */
import { createHash, randomBytes } from 'node:crypto';
import { AssistantError } from '../../protocol/errors.js';
import { arrayBufferOf, tspLibs } from './libs.js';
import { IMPRINT_DIGESTS, TSP, type ImprintDigest } from './oids.js';

/** A request ready to send, and what its answer must echo. */
export interface TimestampRequest {
  /** DER TimeStampReq (`application/timestamp-query`). */
  der: Buffer;
  imprint: Buffer;
  digest: ImprintDigest;
  nonce: Buffer;
}

const invalid = (log: string, detailZh: string): AssistantError => new AssistantError('TIMESTAMP_INVALID', log, { detailZh });

/** A request for a time-stamp over `signatureValue` (the SignerInfo's signature), certReq set, with a random 64-bit nonce. */
export async function buildTimestampRequest(signatureValue: Buffer, digest: ImprintDigest = 'sha256'): Promise<TimestampRequest> {
  const { asn1js, pkijs } = await tspLibs();
  const imprint = createHash(digest).update(signatureValue).digest();
  // A positive INTEGER: the top bit clear, never a leading zero byte.
  const nonce = randomBytes(8);
  nonce[0] = (nonce[0]! & 0x7f) | 0x01;
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: IMPRINT_DIGESTS[digest] }),
      hashedMessage: new asn1js.OctetString({ valueHex: arrayBufferOf(imprint) }),
    }),
    nonce: new asn1js.Integer({ valueHex: arrayBufferOf(nonce) }),
    certReq: true,
  });
  return { der: Buffer.from(req.toSchema().toBER(false)), imprint, digest, nonce };
}

const STATUS_ZH: Record<number, string> = { 2: '拒绝（rejection）', 3: '等待（waiting）', 4: '即将吊销（revocationWarning）', 5: '已吊销（revocationNotification）' };

/**
 * Checks a TimeStampResp against its request and returns the TimeStampToken (DER ContentInfo).
 * @throws AssistantError TIMESTAMP_INVALID: not a response, not granted, or a token over something else.
 */
export async function readTimestampResponse(der: Buffer, request: TimestampRequest): Promise<Buffer> {
  const { asn1js, pkijs } = await tspLibs();
  let resp: InstanceType<typeof pkijs.TimeStampResp>;
  try {
    const asn = asn1js.fromBER(arrayBufferOf(der), { parseEmbedded: false });
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('not one DER value');
    resp = new pkijs.TimeStampResp({ schema: asn.result });
  } catch (error) {
    throw invalid(`TSA answer is not a TimeStampResp: ${(error as Error).message}`, '时间戳服务的应答不是有效的 RFC 3161 格式');
  }
  const status = resp.status.status;
  if (status !== 0 && status !== 1) {
    throw invalid(`TSA status ${status}`, `时间戳服务拒绝了请求，状态：${STATUS_ZH[status] ?? String(status)}`);
  }
  if (!resp.timeStampToken) throw invalid('granted response without a token', '时间戳服务的应答中没有时间戳');
  let tst: InstanceType<typeof pkijs.TSTInfo>;
  try {
    const signed = new pkijs.SignedData({ schema: resp.timeStampToken.content });
    if (signed.encapContentInfo.eContentType !== TSP.TST_INFO || !signed.encapContentInfo.eContent) throw new Error('eContentType is not TSTInfo');
    const content = asn1js.fromBER(signed.encapContentInfo.eContent.getValue(), { parseEmbedded: false });
    tst = new pkijs.TSTInfo({ schema: content.result });
  } catch (error) {
    throw invalid(`token is not a TSTInfo SignedData: ${(error as Error).message}`, '时间戳格式不正确');
  }
  const imprint = Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (tst.messageImprint.hashAlgorithm.algorithmId !== IMPRINT_DIGESTS[request.digest] || !imprint.equals(request.imprint)) {
    throw invalid('token imprint is not over this signature', '时间戳不是针对本次签名的（摘要不符）');
  }
  const nonce = tst.nonce ? Buffer.from(tst.nonce.valueBlock.valueHexView) : undefined;
  if (!nonce || !nonce.equals(request.nonce)) throw invalid('token nonce differs from the request', '时间戳不是针对本次请求的（随机数不符）');
  return Buffer.from(resp.timeStampToken.toSchema().toBER(false));
}
