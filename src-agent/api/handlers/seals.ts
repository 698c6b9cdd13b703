import { AssistantError } from '../../protocol/errors.js';
import type { Handler } from '../context.js';

/** The seal image; CERT_NOT_FOUND (with a Chinese detail) when the certificate has none. */
export const get: Handler<'seals.get'> = async (params, _session, { core }) => {
  const seal = await core.certs.seal(await core.certs.get(params.certId));
  if (!seal) throw new AssistantError('CERT_NOT_FOUND', `no seal image for ${params.certId}`, { detailZh: '该证书没有对应的签章图片' });
  return {
    mime: seal.mime,
    image: seal.data.toString('base64'),
    source: seal.source,
    ...(seal.widthMm !== undefined ? { widthMm: seal.widthMm } : {}),
    ...(seal.heightMm !== undefined ? { heightMm: seal.heightMm } : {}),
  };
};
