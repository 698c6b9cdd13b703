/** The shared path of sign.hash and auth.challenge: resolve, log in per policy, sign, audit, notify. */
import { toAssistantError } from '../../protocol/errors.js';
import type { SignHashResult } from '../../pki/index.js';
import type { CmsProfile, HashAlgorithm, SignatureFormat } from '../../protocol/types.js';
import type { CertEntry } from '../../service/cert-service.js';
import type { AuditRecord } from '../audit-log.js';
import type { ApiServices } from '../context.js';
import type { Session } from '../session.js';

export interface SignAttempt {
  method: AuditRecord['method'];
  certId: string;
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  format: SignatureFormat;
  profile?: CmsProfile;
  documentName?: string;
  timestamp?: boolean;
}

/**
 * Signs for the session's origin. Exactly one audit record is appended
 * (before this resolves or rejects, so before the reply leaves), whatever the outcome.
 */
export async function signAudited(attempt: SignAttempt, session: Session, services: ApiServices): Promise<SignHashResult> {
  const { core, policy, audit, ui } = services;
  let entry: CertEntry | undefined;
  const record = (result: string): void =>
    audit.append({
      time: new Date().toISOString(),
      origin: session.origin,
      method: attempt.method,
      certId: attempt.certId,
      certFingerprintSha256: entry?.details.fingerprintSha256 ?? null,
      hashAlgorithm: attempt.hashAlgorithm,
      hash: attempt.hash.toString('hex'),
      format: attempt.format,
      documentName: attempt.documentName ?? null,
      result,
    });
  try {
    core.signing.assertCanTimestamp(attempt);
    const resolved = await core.certs.get(attempt.certId);
    entry = resolved;
    const use = { origin: session.origin, trusted: session.trusted, signal: session.signal, ...(attempt.documentName !== undefined ? { documentName: attempt.documentName } : {}) };
    const result = await policy.withLogin(use, resolved, () =>
      core.signing.sign({
        certId: attempt.certId, hash: attempt.hash, hashAlgorithm: attempt.hashAlgorithm, format: attempt.format, signal: session.signal,
        ...(attempt.profile ? { profile: attempt.profile } : {}), ...(attempt.timestamp ? { timestamp: true } : {}),
      }, resolved),
    );
    record('ok');
    ui.notify({
      kind: 'signed',
      origin: session.origin,
      certSubject: resolved.details.subject,
      time: new Date().toISOString(),
      ...(attempt.documentName !== undefined ? { documentName: attempt.documentName } : {}),
    });
    return result;
  } catch (error) {
    record(toAssistantError(error).reason);
    throw error;
  }
}
