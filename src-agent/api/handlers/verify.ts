import { verifyCms } from '../../pki/index.js';
import type { Handler } from '../context.js';
import { toProblem } from './certs.js';

export const cms: Handler<'verify.cms'> = async (params, _session, { core }) => {
  const result = await verifyCms({
    signature: Buffer.from(params.signature, 'base64'),
    hash: Buffer.from(params.hash, 'base64'),
    hashAlgorithm: params.hashAlgorithm,
    trustAnchors: core.trust.anchors,
    intermediates: core.trust.intermediates,
    sm2UserId: core.config.sm2UserId,
  });
  const der = result.chain[0];
  const signer =
    result.signer && der
      ? {
          subject: result.signer.subject,
          issuer: result.signer.issuer,
          serialNumber: result.signer.serialNumber,
          fingerprintSha256: result.signer.fingerprintSha256,
          notBefore: result.signer.notBefore,
          notAfter: result.signer.notAfter,
          der: der.toString('base64'),
          ...(result.signingTime ? { signingTime: result.signingTime } : {}),
        }
      : null;
  return { valid: result.valid, signer, chainTrusted: result.chainTrusted, problems: result.problems.map(toProblem) };
};
