/**
 * Signing and verifying functions of the compatibility endpoint. Every
 * signature goes through the signing use case (certificate, login policy and
 * PIN dialog, audit record, notice) exactly as protocol v1's sign.hash does.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { XTX_MAX_SIGN_TEXT } from '../../limits.js';
import { attachContent, hashByOid, parseCertificate, parseSignedData, sm2Digest, sm2PublicPoint, sm2Verify, verifyCms, type HashAlgorithm } from '../../pki/index.js';
import { AssistantError } from '../../protocol/errors.js';
import type { SignPayload } from '../../service/signing/index.js';
import { certFromBase64 } from './cert-info.js';
import { SIGN_MESSAGE_ATTACHED, SIGN_MESSAGE_DETACHED, SIGNED_MESSAGE_INFO, SOR } from './gmt0020.js';
import { XtxFailure, xtxFunction, type XtxContext, type XtxFunction } from './xtx-types.js';

const text = z.string().max(XTX_MAX_SIGN_TEXT);
const b64 = z.string().min(1).max(1024 * 1024).regex(/^[A-Za-z0-9+/=\s]+$/);
const certId = z.string().min(1).max(200);
const int = z.union([z.number().int(), z.string().regex(/^-?\d{1,10}$/).transform(Number)]);

function spkiOf(der: Buffer): Buffer {
  return Buffer.from(parseCertificate(der).publicKeyPem.replace(/-----(BEGIN|END) PUBLIC KEY-----|\s+/g, ''), 'base64');
}

/** SOF_SignData signs the text's UTF-8 bytes: SHA-256 for RSA and P-256, e = SM3(Z ‖ M) for SM2. */
async function payloadFor(ctx: XtxContext, id: string, message: Buffer): Promise<SignPayload> {
  const entry = await ctx.services.core.certs.get(id);
  if (entry.details.keyAlgorithm !== 'SM2') return { message };
  return { hash: sm2Digest(sm2PublicPoint(spkiOf(entry.token.der)), message, ctx.services.core.config.sm2UserId), hashAlgorithm: 'sm3' };
}

function verifyRaw(ctx: XtxContext, certBase64: string, message: Buffer, signature: Buffer): boolean {
  const der = certFromBase64(certBase64);
  const details = parseCertificate(der);
  if (details.keyAlgorithm === 'SM2') return sm2Verify(spkiOf(der), message, signature, ctx.services.core.config.sm2UserId);
  const key = new X509Certificate(der).publicKey;
  if (details.keyAlgorithm === 'EC') return verify('sha256', message, { key, dsaEncoding: signature.length === 64 ? 'ieee-p1363' : 'der' }, signature);
  return verify('sha256', message, key, signature);
}

async function verifyMessage(ctx: XtxContext, p7Base64: string, inData: string | undefined): Promise<boolean> {
  const cms = Buffer.from(p7Base64.replace(/\s+/g, ''), 'base64');
  const parsed = parseSignedData(cms);
  const content = parsed.content ?? (inData !== undefined ? Buffer.from(inData, 'utf8') : undefined);
  const signer = parsed.signers[0];
  if (!content || !signer) throw new AssistantError('BAD_REQUEST', 'detached PKCS#7 without the original text, or without a signer');
  const info = hashByOid(signer.digestAlgorithmOid);
  if (!info) throw new AssistantError('UNSUPPORTED_ALGORITHM', `digest ${signer.digestAlgorithmOid} not supported`);
  const { core } = ctx.services;
  const hash = createHash(info.name).update(content).digest();
  return (await verifyCms({ signature: cms, hash, hashAlgorithm: info.name as HashAlgorithm, trustAnchors: core.trust.anchors, intermediates: core.trust.intermediates, sm2UserId: core.config.sm2UserId, tsaAnchors: core.trust.tsaAnchors })).valid;
}

/** A false answer from a verification, with the code SOF_GetLastError then reports. */
function verified(ok: boolean): true {
  if (!ok) throw new XtxFailure(SOR.VERIFY_SIGN_DATA, 'signature does not verify');
  return true;
}

export const SIGN_FUNCTIONS: Record<string, XtxFunction> = {
  SOF_SignData: xtxFunction({
    params: z.tuple([certId, text]),
    returns: 'string',
    access: 'protected',
    run: async ([id, inData], ctx) => {
      const payload = await payloadFor(ctx, id, Buffer.from(inData, 'utf8'));
      const signed = await ctx.services.signing.sign(ctx.session.requester, { method: 'xtx.SOF_SignData', certId: id, payload, format: 'raw' });
      return signed.signature.toString('base64');
    },
  }),
  SOF_SignMessage: xtxFunction({
    params: z.tuple([int, certId, text]),
    returns: 'string',
    access: 'protected',
    run: async ([flag, id, inData], ctx) => {
      if (flag !== SIGN_MESSAGE_ATTACHED && flag !== SIGN_MESSAGE_DETACHED) throw new AssistantError('BAD_REQUEST', `SOF_SignMessage flag ${flag}`);
      const message = Buffer.from(inData, 'utf8');
      const entry = await ctx.services.core.certs.get(id);
      const signed = await ctx.services.signing.sign(ctx.session.requester, {
        method: 'xtx.SOF_SignMessage',
        certId: id,
        payload: { message },
        format: 'cms',
        ...(entry.details.keyAlgorithm === 'SM2' ? { profile: 'gmt0010' as const } : {}),
      });
      return (flag === SIGN_MESSAGE_ATTACHED ? attachContent(signed.signature, message) : signed.signature).toString('base64');
    },
  }),
  SOF_VerifySignedData: xtxFunction({
    params: z.tuple([b64, text, b64]),
    returns: 'bool',
    access: 'protected',
    run: async ([cert, inData, signature], ctx) => verified(verifyRaw(ctx, cert, Buffer.from(inData, 'utf8'), Buffer.from(signature.replace(/\s+/g, ''), 'base64'))),
  }),
  SOF_VerifySignedMessage: xtxFunction({
    params: z.tuple([b64, text.optional()]),
    returns: 'bool',
    access: 'protected',
    run: async ([p7, inData], ctx) => verified(await verifyMessage(ctx, p7, inData === '' ? undefined : inData)),
  }),
  SOF_GetInfoFromSignedMessage: xtxFunction({
    params: z.tuple([b64, int]),
    returns: 'string',
    access: 'protected',
    run: async ([p7, type]) => {
      const parsed = parseSignedData(Buffer.from(p7.replace(/\s+/g, ''), 'base64'));
      const value =
        type === SIGNED_MESSAGE_INFO.CONTENT ? parsed.content?.toString('utf8')
        : type === SIGNED_MESSAGE_INFO.CERTIFICATE ? parsed.certificates[0]?.toString('base64')
        : type === SIGNED_MESSAGE_INFO.SIGNATURE ? parsed.signers[0]?.signature.toString('base64')
        : undefined;
      if (value === undefined) throw new AssistantError('BAD_REQUEST', `no item ${type} in the signed message`);
      return value;
    },
  }),
};
