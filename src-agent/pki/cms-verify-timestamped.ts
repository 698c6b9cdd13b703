/**
 * verify.cms with trusted time: when the CMS carries a signature time-stamp
 * (RFC 3161), the token is verified against the TSA anchors and, when valid,
 * its time is the one certificate validity is judged at; otherwise the time of
 * verification is. The time-stamp code (asn1js + pkijs) loads only for CMS that
 * carry a token.
 */
import { verifyCms, type VerifyCmsInput, type VerifyCmsResult } from './cms-verify.js';
import type { TimestampCheck } from './timestamp/verify.js';

/** DER of the OID id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14). */
const TOKEN_OID_DER = Buffer.from('060b2a864886f70d010910020e', 'hex');

export interface TimestampedVerifyResult extends VerifyCmsResult {
  /** The first SignerInfo's time-stamp, when it carries one. */
  timestamp?: TimestampCheck;
  validityTime: { time: string; source: 'timestamp' | 'now' };
}

/** {@link verifyCms}, with the first SignerInfo's signature time-stamp checked against `tsaAnchors`. */
export async function verifyCmsTimestamped(input: VerifyCmsInput & { tsaAnchors: Buffer[] }): Promise<TimestampedVerifyResult> {
  const now = input.now ?? new Date();
  let timestamp: TimestampCheck | undefined;
  if (input.signature.includes(TOKEN_OID_DER)) {
    const { verifySignatureTimestamps } = await import('./timestamp/verify.js');
    timestamp = (await verifySignatureTimestamps(input.signature, input.tsaAnchors)).find((c) => c.signerIndex === 0);
  }
  const validityTime = timestamp?.valid && timestamp.time ? { time: new Date(timestamp.time), source: 'timestamp' as const } : { time: now, source: 'now' as const };
  const result = verifyCms({ ...input, now, validityTime });
  return {
    ...result,
    problems: [...result.problems, ...(timestamp?.problems ?? [])],
    ...(timestamp ? { timestamp } : {}),
    validityTime: { time: validityTime.time.toISOString(), source: validityTime.source },
  };
}
