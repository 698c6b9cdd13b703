import { createHash, randomBytes } from 'node:crypto';
import { serializeAuthPayload } from '../../protocol/schemas.js';
import type { ApiServices, Handler } from '../context.js';
import { signAudited } from './signing.js';

/**
 * Proof of possession bound to the calling origin: a CMS over the hash of the
 * payload (SM3 for SM2 certificates, SHA-256 otherwise), where the payload names
 * the origin the assistant saw, the mall's nonce and a server nonce (so a page
 * never chooses the whole signed text).
 */
export const challenge: Handler<'auth.challenge'> = async (params, session, services) => {
  const hashAlgorithm = await hashFor(params.certId, services);
  const payload = serializeAuthPayload({
    type: 'ca-assistant/auth',
    origin: session.origin,
    nonce: params.nonce,
    serverNonce: randomBytes(16).toString('base64'),
    time: new Date().toISOString(),
  });
  const hash = createHash(hashAlgorithm).update(payload, 'utf8').digest();
  const result = await signAudited(
    { method: 'auth.challenge', certId: params.certId, hash, hashAlgorithm, format: 'cms', documentName: '绑定个人证书（身份认证）' },
    session,
    services,
  );
  return { certificate: result.certificate.toString('base64'), payload, signature: result.signature.toString('base64'), hashAlgorithm };
};

/** SM2 keys sign SM3 hashes only. A certificate that cannot be found is left to signAudited, which audits the failure. */
async function hashFor(certId: string, services: ApiServices): Promise<'sha256' | 'sm3'> {
  try {
    return (await services.core.certs.get(certId)).details.keyAlgorithm === 'SM2' ? 'sm3' : 'sha256';
  } catch {
    return 'sha256';
  }
}
