/**
 * The CJK font for contract PDFs. pdf-lib subsets TrueType (glyf) fonts well
 * but writes CFF-CID subsets poppler rejects, so a TrueType CJK font is
 * preferred: Debian's fonts-wqy-microhei. Noto Sans CJK (CFF) is the
 * fallback; its text still extracts but some viewers draw no glyphs.
 * Both ship as TrueType collections (.ttc), which pdf-lib cannot read, so
 * one face is cut out of the collection into a standalone sfnt.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Candidate font files and the face to take from each, best first. `MALL_FONT` (a .ttf/.otf/.ttc path) overrides. */
const CANDIDATES: ReadonlyArray<{ file: string; face: number }> = [
  { file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', face: 0 },
  { file: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', face: 0 },
  { file: '/usr/share/fonts/truetype/arphic/uming.ttc', face: 0 },
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', face: 2 },
];

export interface CjkFont {
  bytes: Uint8Array;
  file: string;
  /** TrueType outlines: safe to subset. */
  subset: boolean;
}

/** Copies face `index` of a TrueType collection into a standalone font file. */
export function extractFace(ttc: Buffer, index: number): Buffer {
  if (ttc.toString('latin1', 0, 4) !== 'ttcf') return ttc;
  const count = ttc.readUInt32BE(8);
  if (index >= count) throw new Error(`font collection has ${count} faces, not ${index + 1}`);
  const start = ttc.readUInt32BE(12 + 4 * index);
  const numTables = ttc.readUInt16BE(start + 4);
  const headerLength = 12 + 16 * numTables;
  const tables = Array.from({ length: numTables }, (_, i) => {
    const r = start + 12 + 16 * i;
    return { record: r, offset: ttc.readUInt32BE(r + 8), length: ttc.readUInt32BE(r + 12) };
  });
  const size = tables.reduce((n, t) => n + ((t.length + 3) & ~3), headerLength);
  const out = Buffer.alloc(size);
  ttc.copy(out, 0, start, start + 12);
  let pos = headerLength;
  tables.forEach((t, i) => {
    const r = 12 + 16 * i;
    ttc.copy(out, r, t.record, t.record + 8);
    out.writeUInt32BE(pos, r + 8);
    out.writeUInt32BE(t.length, r + 12);
    ttc.copy(out, pos, t.offset, t.offset + t.length);
    pos += (t.length + 3) & ~3;
  });
  return out;
}

let cached: CjkFont | undefined;

/** Finds and loads the CJK font once; throws with the apt package to install when none is found. */
export function loadCjkFont(): CjkFont {
  if (cached) return cached;
  const override = process.env.MALL_FONT;
  const list = override ? [{ file: override, face: 0 }] : CANDIDATES;
  const found = list.find((c) => existsSync(c.file));
  if (!found) throw new Error('未找到中文字体：请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）或设置 MALL_FONT');
  const sfnt = extractFace(readFileSync(found.file), found.face);
  cached = { bytes: sfnt, file: found.file, subset: sfnt.toString('latin1', 0, 4) !== 'OTTO' };
  return cached;
}
