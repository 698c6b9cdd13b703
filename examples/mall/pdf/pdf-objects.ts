/**
 * Just enough PDF structure for incremental updates on files with classic
 * xref tables (what pdf-lib writes with `useObjectStreams: false`, and what
 * seal-writer.ts appends): the xref chain, object bodies, text strings.
 */

export interface PdfTrailer {
  /** Object number → byte offset of its newest version. */
  offsets: Map<number, number>;
  rootRef: number;
  size: number;
  /** Offset of the newest xref section. */
  startxref: number;
  /** The /ID array text, kept in updates. */
  id: string | undefined;
}

const latin1 = (pdf: Buffer, from: number, to = pdf.length): string => pdf.toString('latin1', from, to);

/** Reads the xref chain from the last `startxref`; newer sections win. */
export function readTrailer(pdf: Buffer): PdfTrailer {
  const tail = latin1(pdf, Math.max(0, pdf.length - 1024));
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!m) throw new Error('PDF has no startxref at its end');
  const startxref = Number(m[1]);
  const offsets = new Map<number, number>();
  let at: number | undefined = startxref;
  let newest: string | undefined;
  const seen = new Set<number>();
  while (at !== undefined && !seen.has(at)) {
    seen.add(at);
    const end = pdf.indexOf('startxref', at, 'latin1');
    const section = latin1(pdf, at, end < 0 ? pdf.length : end);
    if (!section.startsWith('xref')) throw new Error('only classic xref tables are supported');
    const [table = '', trailer = ''] = section.slice(4).split('trailer');
    const lines = table.trim().split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean);
    let num = 0;
    for (const line of lines) {
      const parts = line.split(/\s+/);
      if (parts.length === 2) num = Number(parts[0]);
      else {
        if (parts[2] === 'n' && !offsets.has(num)) offsets.set(num, Number(parts[0]));
        num++;
      }
    }
    newest ??= trailer;
    const prev = /\/Prev\s+(\d+)/.exec(trailer);
    at = prev ? Number(prev[1]) : undefined;
  }
  const root = /\/Root\s+(\d+)\s+\d+\s+R/.exec(newest ?? '');
  const size = /\/Size\s+(\d+)/.exec(newest ?? '');
  if (!root || !size) throw new Error('PDF trailer lacks /Root or /Size');
  const id = /\/ID\s*(\[[^\]]*\])/.exec(newest ?? '')?.[1];
  return { offsets, rootRef: Number(root[1]), size: Number(size[1]), startxref, id };
}

/** The dictionary text of object `num` (newest version), between `obj` and `endobj`; streams are not expected. */
export function objectBody(pdf: Buffer, t: PdfTrailer, num: number): string {
  const offset = t.offsets.get(num);
  if (offset === undefined) throw new Error(`PDF object ${num} not found`);
  const end = pdf.indexOf('endobj', offset, 'latin1');
  const text = latin1(pdf, offset, end);
  const header = /^\s*\d+\s+\d+\s+obj\s*/.exec(text);
  if (!header) throw new Error(`PDF object ${num} is malformed`);
  return text.slice(header[0].length).trim();
}

/** Object numbers referenced as `N 0 R` in `text`. */
export function refs(text: string): number[] {
  return [...text.matchAll(/(\d+)\s+\d+\s+R/g)].map((m) => Number(m[1]));
}

/** A PDF text string in UTF-16BE with BOM, as hex. */
export function pdfText(s: string): string {
  const be = Buffer.from(s, 'utf16le').swap16();
  return `<FEFF${be.toString('hex').toUpperCase()}>`;
}

/** Decodes a PDF hex text string written by `pdfText` (or plain hex Latin-1). */
export function fromPdfText(hex: string): string {
  const bytes = Buffer.from(hex.replace(/[<>\s]/g, ''), 'hex');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  return bytes.toString('latin1');
}

/** `D:YYYYMMDDHHmmSS+08'00'` in China Standard Time. */
export function pdfDate(d: Date): string {
  const cst = new Date(d.getTime() + 8 * 3600_000).toISOString();
  return `D:${cst.slice(0, 4)}${cst.slice(5, 7)}${cst.slice(8, 10)}${cst.slice(11, 13)}${cst.slice(14, 16)}${cst.slice(17, 19)}+08'00'`;
}

/** First page object number: the Catalog's /Pages → /Kids[0]. */
export function firstPage(pdf: Buffer, t: PdfTrailer): number {
  const pages = /\/Pages\s+(\d+)\s+\d+\s+R/.exec(objectBody(pdf, t, t.rootRef));
  if (!pages) throw new Error('PDF catalog has no /Pages');
  const kids = /\/Kids\s*\[([^\]]*)\]/.exec(objectBody(pdf, t, Number(pages[1])));
  const first = refs(kids?.[1] ?? '')[0];
  if (first === undefined) throw new Error('PDF has no pages');
  return first;
}
