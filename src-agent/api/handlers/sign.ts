import type { Handler } from '../context.js';

/** sign.hash: a thin adapter over the signing use case. */
export const hash: Handler<'sign.hash'> = async (params, session, { signing }) => {
  const result = await signing.sign(session.requester, {
    method: 'sign.hash',
    certId: params.certId,
    payload: { hash: Buffer.from(params.hash, 'base64'), hashAlgorithm: params.hashAlgorithm },
    format: params.format,
    ...(params.profile ? { profile: params.profile } : {}),
    ...(params.document ? { documentName: params.document.name } : {}),
  });
  return {
    signature: result.signature.toString('base64'),
    format: result.format,
    signatureAlgorithm: result.signatureAlgorithm,
    certificate: result.certificate.toString('base64'),
  };
};
