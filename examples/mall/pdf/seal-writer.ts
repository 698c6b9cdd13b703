/**
 * Adds one seal to a contract PDF as an incremental update: a signature
 * field whose widget shows the seal image at its position, and a
 * /Contents placeholder for a detached CMS over the /ByteRange. Earlier
 * revisions are left byte for byte, so their signatures stay valid, and the
 * revision can be removed again by truncating to the previous length.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import * as upngModule from '@pdf-lib/upng';

// CommonJS with `exports.default`: Node's ESM wrapper nests it one level deeper than the types say.
type Upng = typeof upngModule;
const UPNG: Upng = (() => {
  let m = upngModule as unknown as Upng & { default?: unknown };
  while (typeof m.decode !== 'function' && m.default) m = m.default as Upng & { default?: unknown };
  return m;
})();
import { firstPage, objectBody, pdfDate, pdfText, readTrailer, refs } from './pdf-objects.js';

/** Bytes reserved for the CMS (hex doubles it): a 3-certificate RSA chain with attributes fits in 8 KiB. */
export const SIGNATURE_BYTES = 16_384;
const BYTE_RANGE_PLACEHOLDER = '/ByteRange [0 ********** ********** **********]';
const PT_PER_MM = 72 / 25.4;

export interface SealImage {
  /** PNG bytes. */
  png: Buffer;
  widthMm?: number | undefined;
  heightMm?: number | undefined;
}

export interface SealRequest {
  /** PDF field name, e.g. 乙方公章 (unique per document). */
  fieldName: string;
  /** Position box on page 1 [x1, y1, x2, y2], points. */
  rect: [number, number, number, number];
  image: SealImage;
  reason: string;
  signerName: string;
  /** What `hash` is computed with: SM3 for 国密 SM2 certificates (default sha256). */
  hashAlgorithm?: 'sha256' | 'sm3';
  time?: Date;
}

export interface PreparedSeal {
  /** The PDF with the placeholder (zeros in /Contents). */
  pdf: Buffer;
  byteRange: [number, number, number, number];
  /** The digest over the byte ranges (`SealRequest.hashAlgorithm`): what sign.hash signs. */
  hash: Buffer;
}

/** Decodes the PNG into a FlateDecode RGB image and its alpha as SMask. */
function imageObjects(png: Buffer): { width: number; height: number; rgb: Buffer; alpha: Buffer } {
  const img = UPNG.decode(png.buffer.slice(png.byteOffset, png.byteOffset + png.length) as ArrayBuffer);
  const rgba = Buffer.from(UPNG.toRGBA8(img)[0] as ArrayBuffer);
  const n = img.width * img.height;
  const rgb = Buffer.alloc(n * 3);
  const alpha = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    rgba.copy(rgb, i * 3, i * 4, i * 4 + 3);
    alpha[i] = rgba[i * 4 + 3] as number;
  }
  return { width: img.width, height: img.height, rgb: deflateSync(rgb), alpha: deflateSync(alpha) };
}

/** The widget rectangle: the seal's physical size (or the box) fitted into the box, centred. */
function widgetRect(box: [number, number, number, number], image: SealImage, aspect: number): [number, number, number, number] {
  const [x1, y1, x2, y2] = box;
  let w = image.widthMm ? image.widthMm * PT_PER_MM : x2 - x1;
  let h = image.heightMm ? image.heightMm * PT_PER_MM : w / aspect;
  const scale = Math.min(1, (x2 - x1) / w, (y2 - y1) / h);
  w *= scale;
  h *= scale;
  const x = x1 + (x2 - x1 - w) / 2;
  const y = y1 + (y2 - y1 - h) / 2;
  return [x, y, x + w, y + h].map((v) => Math.round(v * 100) / 100) as [number, number, number, number];
}

/** Appends the seal's field, appearance and signature placeholder; returns the hash to sign. */
export function prepareSeal(pdf: Buffer, req: SealRequest): PreparedSeal {
  const t = readTrailer(pdf);
  const pageNum = firstPage(pdf, t);
  const catalog = objectBody(pdf, t, t.rootRef);
  const acroRef = /\/AcroForm\s+(\d+)\s+\d+\s+R/.exec(catalog);
  const fields = acroRef ? refs(/\/Fields\s*\[([^\]]*)\]/.exec(objectBody(pdf, t, Number(acroRef[1])))?.[1] ?? '') : [];
  const page = objectBody(pdf, t, pageNum);

  const img = imageObjects(req.image.png);
  const [x1, y1, x2, y2] = widgetRect(req.rect, req.image, img.width / img.height);
  const w = Math.round((x2 - x1) * 100) / 100;
  const h = Math.round((y2 - y1) * 100) / 100;
  let next = t.size;
  const num = { smask: next++, image: next++, ap: next++, sig: next++, widget: next++, acro: next++ };
  const time = req.time ?? new Date();
  const apStream = Buffer.from(`q ${w} 0 0 ${h} 0 0 cm /Seal Do Q`, 'latin1');

  const chunks: Array<{ num: number; body: Buffer }> = [];
  const obj = (n: number, ...parts: Array<string | Buffer>): void => {
    chunks.push({ num: n, body: Buffer.concat([Buffer.from(`${n} 0 obj\n`), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)), Buffer.from('\nendobj\n')]) });
  };
  obj(num.smask, `<</Type/XObject/Subtype/Image/Width ${img.width}/Height ${img.height}/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/FlateDecode/Length ${img.alpha.length}>>\nstream\n`, img.alpha, '\nendstream');
  obj(num.image, `<</Type/XObject/Subtype/Image/Width ${img.width}/Height ${img.height}/ColorSpace/DeviceRGB/BitsPerComponent 8/Filter/FlateDecode/SMask ${num.smask} 0 R/Length ${img.rgb.length}>>\nstream\n`, img.rgb, '\nendstream');
  obj(num.ap, `<</Type/XObject/Subtype/Form/BBox[0 0 ${w} ${h}]/Resources<</XObject<</Seal ${num.image} 0 R>>>>/Length ${apStream.length}>>\nstream\n`, apStream, '\nendstream');
  obj(num.sig, `<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached${BYTE_RANGE_PLACEHOLDER}/Contents<${'0'.repeat(SIGNATURE_BYTES * 2)}>/M(${pdfDate(time)})/Reason${pdfText(req.reason)}/Name${pdfText(req.signerName)}>>`);
  obj(num.widget, `<</Type/Annot/Subtype/Widget/FT/Sig/T${pdfText(req.fieldName)}/V ${num.sig} 0 R/F 132/Rect[${x1} ${y1} ${x2} ${y2}]/P ${pageNum} 0 R/AP<</N ${num.ap} 0 R>>>>`);
  obj(num.acro, `<</Fields[${[...fields, num.widget].map((f) => `${f} 0 R`).join(' ')}]/SigFlags 3>>`);
  const annots = /\/Annots\s*\[([^\]]*)\]/.exec(page);
  const newPage = annots
    ? page.replace(annots[0], `/Annots [${annots[1]?.trim() ?? ''} ${num.widget} 0 R]`)
    : page.replace(/^<</, `<</Annots [${num.widget} 0 R]`);
  obj(pageNum, newPage);
  const newCatalog = catalog.replace(/\/AcroForm\s+\d+\s+\d+\s+R/, '').replace(/^<</, `<</AcroForm ${num.acro} 0 R`);
  obj(t.rootRef, newCatalog);

  const base = pdf[pdf.length - 1] === 0x0a ? pdf : Buffer.concat([pdf, Buffer.from('\n')]);
  const offsets = new Map<number, number>();
  let pos = base.length;
  for (const c of chunks) {
    offsets.set(c.num, pos);
    pos += c.body.length;
  }
  const xrefAt = pos;
  const sorted = [...offsets.keys()].sort((a, b) => a - b);
  let xref = 'xref\n';
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    xref += `${sorted[i]} ${j - i + 1}\n`;
    for (let k = i; k <= j; k++) xref += `${String(offsets.get(sorted[k] as number)).padStart(10, '0')} 00000 n \n`;
    i = j + 1;
  }
  xref += `trailer\n<</Size ${next}/Root ${t.rootRef} 0 R/Prev ${t.startxref}${t.id ? `/ID ${t.id}` : ''}>>\nstartxref\n${xrefAt}\n%%EOF\n`;
  const out = Buffer.concat([base, ...chunks.map((c) => c.body), Buffer.from(xref, 'latin1')]);

  const sigAt = offsets.get(num.sig) as number;
  const placeholderAt = out.indexOf(BYTE_RANGE_PLACEHOLDER, sigAt, 'latin1');
  const contentsStart = out.indexOf('/Contents<', placeholderAt, 'latin1') + '/Contents'.length;
  const contentsEnd = contentsStart + SIGNATURE_BYTES * 2 + 2;
  const byteRange: [number, number, number, number] = [0, contentsStart, contentsEnd, out.length - contentsEnd];
  const filled = `/ByteRange [${byteRange.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  out.write(filled, placeholderAt, 'latin1');
  const hash = createHash(req.hashAlgorithm ?? 'sha256').update(out.subarray(0, contentsStart)).update(out.subarray(contentsEnd)).digest();
  return { pdf: out, byteRange, hash };
}

/** Writes the CMS into the placeholder of a prepared seal. */
export function embedCms(prepared: Pick<PreparedSeal, 'pdf' | 'byteRange'>, cms: Buffer): Buffer {
  if (cms.length > SIGNATURE_BYTES) throw new Error(`签名数据过大（${cms.length} 字节）`);
  const out = Buffer.from(prepared.pdf);
  out.write(cms.toString('hex').toUpperCase(), prepared.byteRange[1] + 1, 'latin1');
  return out;
}
