import { randomBytes } from 'node:crypto';
import { serializeAuthPayload } from '../../protocol/schemas.js';
import type { Handler } from '../context.js';

/**
 * Proof of possession bound to the calling origin: a CMS over the hash of the
 * payload (SM3 for SM2 certificates, SHA-256 otherwise, chosen by the signing
 * use case from the certificate it resolves), where the payload names the
 * origin the assistant saw, the mall's nonce and a server nonce (so a page
 * never chooses the whole signed text).
 */
export const challenge: Handler<'auth.challenge'> = async (params, session, { signing }) => {
  const payload = serializeAuthPayload({
    type: 'ca-assistant/auth',
    origin: session.origin,
    nonce: params.nonce,
    serverNonce: randomBytes(16).toString('base64'),
    time: new Date().toISOString(),
  });
  const result = await signing.sign(session.requester, {
    method: 'auth.challenge',
    certId: params.certId,
    payload: { message: Buffer.from(payload, 'utf8') },
    format: 'cms',
    documentName: '身份认证（auth.challenge）',
  });
  return { certificate: result.certificate.toString('base64'), payload, signature: result.signature.toString('base64'), hashAlgorithm: result.hashAlgorithm as 'sha256' | 'sm3' };
};
