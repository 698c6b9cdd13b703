import type { Handler } from '../context.js';
import { signAudited } from './signing.js';

export const hash: Handler<'sign.hash'> = async (params, session, services) => {
  const result = await signAudited(
    {
      method: 'sign.hash',
      certId: params.certId,
      hash: Buffer.from(params.hash, 'base64'),
      hashAlgorithm: params.hashAlgorithm,
      format: params.format,
      ...(params.profile ? { profile: params.profile } : {}),
      ...(params.document ? { documentName: params.document.name } : {}),
      ...(params.timestamp ? { timestamp: true } : {}),
    },
    session,
    services,
  );
  return {
    signature: result.signature.toString('base64'),
    format: result.format,
    signatureAlgorithm: result.signatureAlgorithm,
    certificate: result.certificate.toString('base64'),
  };
};
