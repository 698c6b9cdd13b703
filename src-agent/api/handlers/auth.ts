import { createHash, randomBytes } from 'node:crypto';
import { serializeAuthPayload } from '../../protocol/schemas.js';
import type { Handler } from '../context.js';
import { signAudited } from './signing.js';

/**
 * Proof of possession bound to the calling origin: a CMS over
 * sha256(payload), where the payload names the origin the assistant saw, the
 * mall's nonce and a server nonce (so a page never chooses the whole signed text).
 */
export const challenge: Handler<'auth.challenge'> = async (params, session, services) => {
  const payload = serializeAuthPayload({
    type: 'ca-assistant/auth',
    origin: session.origin,
    nonce: params.nonce,
    serverNonce: randomBytes(16).toString('base64'),
    time: new Date().toISOString(),
  });
  const hash = createHash('sha256').update(payload, 'utf8').digest();
  const result = await signAudited(
    { method: 'auth.challenge', certId: params.certId, hash, hashAlgorithm: 'sha256', format: 'cms', documentName: '身份认证（auth.challenge）' },
    session,
    services,
  );
  return { certificate: result.certificate.toString('base64'), payload, signature: result.signature.toString('base64') };
};
