import type { CertDetails } from '../../pki/index.js';
import type { CertificateSummary, Problem } from '../../protocol/types.js';
import type { CertEntry, CertificateService } from '../../service/cert-service.js';
import { logger } from '../../util/log.js';
import type { Handler } from '../context.js';

const log = logger('api');

/** `RSA-2048`, `EC-P256`, `SM2`. */
export function keyAlgorithmName(d: CertDetails): string {
  if (d.keyAlgorithm === 'RSA') return `RSA-${d.keySize}`;
  if (d.keyAlgorithm === 'EC') return `EC-${(d.keyCurve ?? String(d.keySize)).replace('-', '')}`;
  return d.keyAlgorithm;
}

export function toProblem(p: { code: string; zh: string; en: string }): Problem {
  return { code: p.code, messageZh: p.zh, messageEn: p.en };
}

async function hasSeal(certs: CertificateService, entry: CertEntry): Promise<boolean> {
  try {
    return (await certs.seal(entry)) !== null;
  } catch {
    return false;
  }
}

async function summary(certs: CertificateService, entry: CertEntry): Promise<CertificateSummary> {
  const d = entry.details;
  return {
    id: entry.token.id,
    tokenId: entry.token.tokenId,
    kind: d.kind,
    subject: d.subject,
    issuer: d.issuer,
    serialNumber: d.serialNumber,
    notBefore: d.notBefore,
    notAfter: d.notAfter,
    keyUsage: [...d.keyUsage],
    keyAlgorithm: keyAlgorithmName(d),
    fingerprintSha256: d.fingerprintSha256,
    hasSealImage: await hasSeal(certs, entry),
    der: entry.token.der.toString('base64'),
  };
}

/** User certificates of every present token (a token failing to read is skipped, not fatal). */
export const list: Handler<'certs.list'> = async (params, _session, { core }) => {
  const tokenIds = core.tokens.tokens().map((t) => t.id).filter((id) => params.tokenId === undefined || id === params.tokenId);
  const out: CertificateSummary[] = [];
  for (const tokenId of tokenIds) {
    let entries: CertEntry[];
    try {
      entries = await core.certs.list(tokenId);
    } catch (error) {
      log.warn('certificates of a token unreadable', { tokenId, error: (error as Error).message });
      continue;
    }
    for (const entry of entries) {
      if (params.kind !== undefined && entry.details.kind !== params.kind) continue;
      out.push(await summary(core.certs, entry));
    }
  }
  return { certs: out };
};

export const chain: Handler<'certs.chain'> = async (params, _session, { core }) => {
  const result = core.certs.chain(await core.certs.get(params.certId));
  return { chain: result.chain.map((der) => der.toString('base64')), trusted: result.trusted, problems: result.problems.map(toProblem) };
};
