/**
 * Seal images (公章 / 个人签章) as stored on keys: type, pixel size and,
 * when the file records its resolution, physical size in millimetres.
 */

/** Image formats the assistant hands to mall pages. */
export type SealImageMime = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/bmp';

/** What {@link describeImage} found. */
export interface SealImageInfo {
  mime: SealImageMime;
  widthPx: number;
  heightPx: number;
  /** Physical size, rounded to 0.1 mm, when the image records its resolution. */
  widthMm?: number;
  heightMm?: number;
}

/** Either the description or why the data is not a usable image. */
export type DescribeImageResult = { ok: true; info: SealImageInfo } | { ok: false; reason: string };

const MM_PER_INCH = 25.4;
const round1 = (n: number) => Math.round(n * 10) / 10;

function withDensity(base: SealImageInfo, pxPerMmX: number, pxPerMmY: number): SealImageInfo {
  if (!(pxPerMmX > 0 && pxPerMmY > 0)) return base;
  return { ...base, widthMm: round1(base.widthPx / pxPerMmX), heightMm: round1(base.heightPx / pxPerMmY) };
}

function png(d: Buffer): DescribeImageResult {
  if (d.length < 33 || d.toString('latin1', 12, 16) !== 'IHDR') return { ok: false, reason: 'PNG without IHDR' };
  const info: SealImageInfo = { mime: 'image/png', widthPx: d.readUInt32BE(16), heightPx: d.readUInt32BE(20) };
  for (let pos = 8; pos + 12 <= d.length;) {
    const len = d.readUInt32BE(pos);
    const type = d.toString('latin1', pos + 4, pos + 8);
    if (type === 'pHYs' && len >= 9 && pos + 17 <= d.length && d[pos + 16] === 1) {
      return { ok: true, info: withDensity(info, d.readUInt32BE(pos + 8) / 1000, d.readUInt32BE(pos + 12) / 1000) };
    }
    if (type === 'IDAT' || type === 'IEND') break;
    pos += 12 + len;
  }
  return { ok: true, info };
}

function jpeg(d: Buffer): DescribeImageResult {
  let density: { x: number; y: number } | undefined;
  for (let pos = 2; pos + 4 <= d.length;) {
    if (d[pos] !== 0xff) return { ok: false, reason: 'JPEG marker expected' };
    const marker = d[pos + 1]!;
    if (marker === 0xff) { pos++; continue; }
    const len = d.readUInt16BE(pos + 2);
    if (marker === 0xe0 && d.toString('latin1', pos + 4, pos + 9) === 'JFIF\0' && pos + 16 <= d.length) {
      const unit = d[pos + 11];
      const x = d.readUInt16BE(pos + 12);
      const y = d.readUInt16BE(pos + 14);
      if (unit === 1) density = { x: x / MM_PER_INCH, y: y / MM_PER_INCH };
      else if (unit === 2) density = { x: x / 10, y: y / 10 };
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && pos + 9 <= d.length) {
      const info: SealImageInfo = { mime: 'image/jpeg', widthPx: d.readUInt16BE(pos + 7), heightPx: d.readUInt16BE(pos + 5) };
      return { ok: true, info: density ? withDensity(info, density.x, density.y) : info };
    }
    if (marker === 0xda || marker === 0xd9) break;
    pos += 2 + len;
  }
  return { ok: false, reason: 'JPEG without a frame header' };
}

function bmp(d: Buffer): DescribeImageResult {
  if (d.length < 46) return { ok: false, reason: 'BMP header truncated' };
  const info: SealImageInfo = { mime: 'image/bmp', widthPx: Math.abs(d.readInt32LE(18)), heightPx: Math.abs(d.readInt32LE(22)) };
  return { ok: true, info: withDensity(info, d.readInt32LE(38) / 1000, d.readInt32LE(42) / 1000) };
}

/**
 * Identifies a PNG, JPEG, GIF or BMP image by its content and reads its size.
 * Never throws: unrecognised or truncated data gives `{ ok: false, reason }`.
 */
export function describeImage(data: Buffer): DescribeImageResult {
  let result: DescribeImageResult;
  try {
    if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a) result = png(data);
    else if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) result = jpeg(data);
    else if (data.length >= 10 && /^GIF8[79]a$/.test(data.toString('latin1', 0, 6))) {
      result = { ok: true, info: { mime: 'image/gif', widthPx: data.readUInt16LE(6), heightPx: data.readUInt16LE(8) } };
    } else if (data.length >= 2 && data.toString('latin1', 0, 2) === 'BM') result = bmp(data);
    else result = { ok: false, reason: 'not a PNG, JPEG, GIF or BMP image' };
  } catch {
    result = { ok: false, reason: 'image data truncated' };
  }
  if (result.ok && (result.info.widthPx === 0 || result.info.heightPx === 0)) return { ok: false, reason: 'image has zero size' };
  return result;
}
