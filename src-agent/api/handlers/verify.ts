import { verifyCmsOffThread, type SignerVerification as PkiSignerVerification } from '../../pki/index.js';
import type { SignerSummary, SignerVerification } from '../../protocol/types.js';
import type { Handler } from '../context.js';
import { toProblem } from './certs.js';

/** The wire summary of one signer (its certificate is the first of its chain). */
function signerSummary(s: PkiSignerVerification): SignerSummary | null {
  const der = s.chain[0];
  if (!s.signer || !der) return null;
  return {
    subject: s.signer.subject,
    issuer: s.signer.issuer,
    serialNumber: s.signer.serialNumber,
    fingerprintSha256: s.signer.fingerprintSha256,
    notBefore: s.signer.notBefore,
    notAfter: s.signer.notAfter,
    der: der.toString('base64'),
    ...(s.signingTime ? { signingTime: s.signingTime } : {}),
  };
}

/** A signer's time-stamp as the wire reports it. */
const stampOf = (s: PkiSignerVerification) => (s.timestamp ? { timestamp: { valid: s.timestamp.valid, ...(s.timestamp.time ? { time: s.timestamp.time } : {}), ...(s.timestamp.tsa ? { tsa: s.timestamp.tsa } : {}) } } : {});

const toWire = (s: PkiSignerVerification): SignerVerification => ({
  valid: s.valid, signer: signerSummary(s), chainTrusted: s.chainTrusted, validityTime: s.validityTime, ...stampOf(s), problems: s.problems.map(toProblem),
});

export const cms: Handler<'verify.cms'> = async (params, _session, { core }) => {
  const result = await verifyCmsOffThread({
    signature: Buffer.from(params.signature, 'base64'),
    hash: Buffer.from(params.hash, 'base64'),
    hashAlgorithm: params.hashAlgorithm,
    trustAnchors: core.trust.anchors,
    intermediates: core.trust.intermediates,
    sm2UserId: core.config.sm2UserId,
    tsaAnchors: core.trust.tsaAnchors,
  });
  return {
    valid: result.valid,
    signer: signerSummary(result),
    chainTrusted: result.chainTrusted,
    validityTime: result.validityTime,
    ...stampOf(result),
    signers: result.signers.map(toWire),
    problems: result.problems.map(toProblem),
  };
};
