/**
 * One answer to "is this certificate's chain 可信?", used by the assistant
 * window and the CLI alike: the chain reaching a trust anchor (structure and
 * signatures) and the certificates being valid now are two facts, and the
 * words say both (`链可信，证书已过期`) instead of one calling it 可信 and
 * the other 不可信.
 */
import { validityProblems, type PkiProblem } from '../pki/index.js';
import type { CertEntry, CertificateService } from './cert-service.js';

export interface ChainVerdict {
  /** The chain reaches a configured trust anchor with valid signatures. */
  trusted: boolean;
  /** Every certificate of the chain is within its validity at the time asked. */
  valid: boolean;
  /** `可信` | `链可信，证书已过期` | `链可信，证书尚未生效` | `链可信，上级证书已过期` | `不可信`. */
  labelZh: string;
  labelEn: string;
  /** What is wrong, structural problems first (empty when trusted and valid). */
  problems: PkiProblem[];
  /** The chain found, leaf first (DER). */
  chain: Buffer[];
}

/** The verdict on `entry`'s chain at `at` (default now). */
export function chainVerdict(certs: CertificateService, entry: CertEntry, at: Date = new Date()): ChainVerdict {
  const structure = certs.chain(entry);
  const validity = validityProblems(structure.chain.length > 0 ? structure.chain : [entry.token.der], at);
  const valid = validity.length === 0;
  const leafNotYet = at.getTime() < Date.parse(entry.details.notBefore);
  const leafExpired = at.getTime() > Date.parse(entry.details.notAfter);
  const [labelZh, labelEn] = !structure.trusted
    ? ['不可信', 'untrusted']
    : valid
      ? ['可信', 'trusted']
      : leafExpired
        ? ['链可信，证书已过期', 'chain trusted, certificate expired']
        : leafNotYet
          ? ['链可信，证书尚未生效', 'chain trusted, certificate not yet valid']
          : ['链可信，上级证书已过期', 'chain trusted, an issuer certificate expired'];
  return { trusted: structure.trusted, valid, labelZh, labelEn, problems: [...structure.problems, ...validity], chain: structure.chain };
}
