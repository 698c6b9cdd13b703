/**
 * Which certificates were used to sign lately, read back from the tail of the
 * signature audit log (one JSONL record per attempt). The assistant window
 * uses it to put the key the mall uses first (环境检测's PIN order, the
 * header's 证书). Reads at most RECENT_USES_TAIL_BYTES; a missing or damaged
 * file yields what could be read.
 */
import { open } from 'node:fs/promises';
import type { CertificateService } from './cert-service.js';

/** Bytes read from the end of the audit log (default 64 KiB: a few hundred records). */
export const RECENT_USES_TAIL_BYTES = 64 * 1024;

/** SHA-256 fingerprint (lower-case hex) → time of its latest successful signature for a site (ISO 8601), most recent first. */
export async function recentCertUses(auditFile: string, tailBytes = RECENT_USES_TAIL_BYTES): Promise<Map<string, string>> {
  let text = '';
  try {
    const fh = await open(auditFile, 'r');
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, tailBytes);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      text = buf.toString('utf8');
      // A cut first line is not a record.
      if (length < size) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      await fh.close();
    }
  } catch {
    return new Map();
  }
  const uses: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const r = JSON.parse(line) as { time?: unknown; origin?: unknown; certFingerprintSha256?: unknown; result?: unknown; test?: unknown };
      // A site's signature only: the assistant's own (CLI, 环境检测 test signatures) has no origin.
      if (r.result === 'ok' && typeof r.origin === 'string' && r.test !== true && typeof r.certFingerprintSha256 === 'string' && typeof r.time === 'string') uses.push([r.certFingerprintSha256.toLowerCase(), r.time]);
    } catch {
      // A torn or foreign line: skip it.
    }
  }
  const latest = new Map<string, string>();
  for (const [fp, time] of uses.sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))) if (!latest.has(fp)) latest.set(fp, time);
  return latest;
}

/**
 * The tokens holding the certificates sites signed with lately, most recent
 * first (环境检测 asks their PIN first). Empty when nothing was signed yet.
 */
export async function recentTokens(certs: CertificateService, auditFile: string): Promise<string[]> {
  const uses = await recentCertUses(auditFile);
  if (uses.size === 0) return [];
  const entries = await certs.list().catch(() => []);
  const ids = [...uses.keys()].flatMap((fp) => entries.filter((e) => e.details.fingerprintSha256.toLowerCase() === fp).map((e) => e.token.tokenId));
  return [...new Set(ids)];
}
