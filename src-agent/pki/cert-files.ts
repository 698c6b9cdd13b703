/** Reading certificates from files (trust anchors, intermediates in config). */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AssistantError } from '../protocol/errors.js';

/** Largest certificate file read, bytes (default 1 MiB: a bundle of a few hundred certificates). */
export const MAX_CERT_FILE_BYTES = 1024 * 1024;

const PEM_BLOCK = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/**
 * Certificates in PEM text (any number of blocks) or a single DER
 * certificate, each checked to be X.509 by node:crypto (OpenSSL, already
 * loaded): the trust store is read at start, and the PKI layer's own parser
 * (pkijs) loads only when a certificate is first looked at.
 * @throws AssistantError BAD_REQUEST when nothing usable is found or a block is broken.
 */
export function parseCertificateData(data: Buffer, source = 'data'): Buffer[] {
  const text = data.toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  const ders = blocks.length > 0 ? blocks : [data];
  for (const der of ders) {
    try {
      new X509Certificate(der); // the constructor is the check
    } catch (error) {
      throw new AssistantError('BAD_REQUEST', `${source}: not a certificate (PEM or DER)`, {
        detailZh: `文件“${source}”不是有效的证书文件（PEM 或 DER）`,
      }, { cause: error });
    }
  }
  return ders;
}

/**
 * Loads a PEM (one or many certificates) or DER certificate file.
 * @throws AssistantError BAD_REQUEST when the file is missing, too large or holds no certificate.
 */
export async function loadCertificateFile(path: string): Promise<Buffer[]> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw new AssistantError('BAD_REQUEST', `cannot read certificate file ${path}`, {
      detailZh: `无法读取证书文件“${path}”`,
    }, { cause: error });
  }
  if (data.length > MAX_CERT_FILE_BYTES) {
    throw new AssistantError('BAD_REQUEST', `certificate file ${path} exceeds ${MAX_CERT_FILE_BYTES} bytes`, {
      detailZh: `证书文件“${path}”过大`,
    });
  }
  return parseCertificateData(data, path);
}
