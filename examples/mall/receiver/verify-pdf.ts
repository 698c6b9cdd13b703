/**
 * Finds every signature in a PDF and verifies it over its /ByteRange, hashed
 * with the digest algorithm its CMS names (SHA-2, or SM3 for 国密 SM2 seals).
 */
import type { X509Certificate } from 'node:crypto';
import { verifyDetachedCms, subjectField, type DigestName, type TrustStore } from '../cms/verify-cms.js';

export interface PdfSignatureCheck {
  /** Byte offset where the signed revision ends. */
  revisionEnd: number;
  coversWholeDocument: boolean;
  valid: boolean;
  /** Subject O= and CN= of the signer. */
  organization: string | undefined;
  commonName: string | undefined;
  fingerprintSha256: string | undefined;
  /** Signer key, `SM2` for 国密 seals, `RSA`, `EC`. */
  keyAlgorithm: string | undefined;
  digestAlgorithm: DigestName | undefined;
  signingTime: Date | undefined;
  problems: string[];
  /** The signature's CMS (DER) and signer certificate, for the trusted-time check. */
  cms?: Buffer;
  signer?: X509Certificate;
}

/** All `/ByteRange` signatures in file order; a malformed one comes back invalid. */
export function verifyPdfSignatures(pdf: Buffer, trust: TrustStore): PdfSignatureCheck[] {
  const text = pdf.toString('latin1');
  const out: PdfSignatureCheck[] = [];
  for (const m of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    const [a, b, c, d] = m.slice(1, 5).map(Number) as [number, number, number, number];
    const base = { revisionEnd: c + d, coversWholeDocument: c + d === pdf.length, organization: undefined, commonName: undefined, fingerprintSha256: undefined, keyAlgorithm: undefined, digestAlgorithm: undefined, signingTime: undefined };
    if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length || pdf[b] !== 0x3c || pdf[c - 1] !== 0x3e) {
      out.push({ ...base, valid: false, problems: ['签名字节范围不合法'] });
      continue;
    }
    // The placeholder's zero padding after the DER is ignored by the parser.
    const cms = Buffer.from(pdf.toString('latin1', b + 1, c - 1), 'hex');
    const r = verifyDetachedCms(cms, { parts: [pdf.subarray(a, b), pdf.subarray(c, c + d)] }, trust);
    out.push({
      ...base,
      valid: r.valid,
      organization: r.signer ? subjectField(r.signer, 'O') : undefined,
      commonName: r.signer ? subjectField(r.signer, 'CN') : undefined,
      fingerprintSha256: r.signer?.fingerprint256.replace(/:/g, '').toLowerCase(),
      keyAlgorithm: r.keyAlgorithm,
      digestAlgorithm: r.digestAlgorithm,
      signingTime: r.signingTime,
      problems: r.problems,
      cms,
      ...(r.signer ? { signer: r.signer } : {}),
    });
  }
  return out.sort((x, y) => x.revisionEnd - y.revisionEnd);
}
