/**
 * PDF signing helpers for tests and the reference mall: a one-page PDF, an
 * `adbe.pkcs7.detached` signature placeholder (appended as an incremental
 * update, so a signed PDF can be signed again), and filling it with a CMS
 * made over the SHA-256 of the byte ranges.
 */
import { createHash } from 'node:crypto';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { PDFDocument, StandardFonts } from 'pdf-lib';

/** Bytes reserved for the CMS in /Contents (hex doubles it). Enough for a 3-certificate RSA chain. */
export const PDF_SIGNATURE_BYTES = 8192;

/** A one-page PDF with a line of (Latin) text, saved without object streams so the placeholder writer can read it. */
export async function createPdf(text: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  page.drawText(text, { x: 50, y: 780, size: 14, font: await doc.embedFont(StandardFonts.Helvetica) });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** Appends a signature field with an empty /Contents and a /ByteRange placeholder (incremental update). */
export function addSignaturePlaceholder(pdf: Buffer, name: string, reason = '合同签章'): Buffer {
  return plainAddPlaceholder({
    pdfBuffer: pdf, reason, name, contactInfo: '', location: '', signatureLength: PDF_SIGNATURE_BYTES,
  });
}

/** Turns the byte-range data into the CMS to embed; here: hash it and ask the assistant. */
class HashSigner extends Signer {
  constructor(private readonly cmsForHash: (sha256: Buffer) => Promise<Buffer>) {
    super();
  }

  override async sign(signedBytes: Buffer): Promise<Buffer> {
    return this.cmsForHash(createHash('sha256').update(signedBytes).digest());
  }
}

/**
 * Fills the first unfilled placeholder: computes the /ByteRange, hashes the
 * covered bytes with SHA-256 and embeds the CMS `cmsForHash` returns as hex.
 */
export async function signPdfPlaceholder(pdf: Buffer, cmsForHash: (sha256: Buffer) => Promise<Buffer>): Promise<Buffer> {
  return new SignPdf().sign(pdf, new HashSigner(cmsForHash));
}
