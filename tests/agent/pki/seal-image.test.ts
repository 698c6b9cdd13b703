import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { describeImage } from '../../../src-agent/pki/index.js';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
}

/** A PNG of `w`×`h` pixels, optionally with pHYs in pixels per metre. */
function png(w: number, h: number, pxPerMetre?: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const phys = Buffer.alloc(9);
  if (pxPerMetre) {
    phys.writeUInt32BE(pxPerMetre, 0);
    phys.writeUInt32BE(pxPerMetre, 4);
    phys[8] = 1;
  }
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), ...(pxPerMetre ? [chunk('pHYs', phys)] : []),
    chunk('IDAT', deflateSync(Buffer.alloc(h * (w * 4 + 1)))), chunk('IEND', Buffer.alloc(0)),
  ]);
}

function jpeg(w: number, h: number, dpi?: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0, 16, ...Buffer.from('JFIF\0'), 1, 1, dpi ? 1 : 0, 0, dpi ?? 1, 0, dpi ?? 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, h >> 8, h & 0xff, w >> 8, w & 0xff, 1, 1, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

describe('describeImage', () => {
  it('reads PNG size and converts pHYs (pixels per metre) to millimetres', () => {
    // A 42 mm seal at 600 dpi: 992 px, 23622 px/m.
    expect(describeImage(png(992, 992, 23622))).toEqual({
      ok: true, info: { mime: 'image/png', widthPx: 992, heightPx: 992, widthMm: 42, heightMm: 42 },
    });
    expect(describeImage(png(300, 200))).toEqual({ ok: true, info: { mime: 'image/png', widthPx: 300, heightPx: 200 } });
  });

  it('reads JPEG SOF size and JFIF dpi', () => {
    expect(describeImage(jpeg(400, 300, 254))).toEqual({
      ok: true, info: { mime: 'image/jpeg', widthPx: 400, heightPx: 300, widthMm: 40, heightMm: 30 },
    });
    expect(describeImage(jpeg(10, 20))).toEqual({ ok: true, info: { mime: 'image/jpeg', widthPx: 10, heightPx: 20 } });
  });

  it('reads GIF and BMP', () => {
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([0x40, 0x01, 0xf0, 0x00]), Buffer.alloc(10)]);
    expect(describeImage(gif)).toEqual({ ok: true, info: { mime: 'image/gif', widthPx: 320, heightPx: 240 } });
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeInt32LE(100, 18);
    bmp.writeInt32LE(-50, 22);
    bmp.writeInt32LE(3937, 38);
    bmp.writeInt32LE(3937, 42);
    expect(describeImage(bmp)).toEqual({ ok: true, info: { mime: 'image/bmp', widthPx: 100, heightPx: 50, widthMm: 25.4, heightMm: 12.7 } });
  });

  it('returns a reason instead of throwing for unknown or truncated data', () => {
    expect(describeImage(Buffer.from('%PDF-1.7'))).toEqual({ ok: false, reason: 'not a PNG, JPEG, GIF or BMP image' });
    expect(describeImage(png(10, 10).subarray(0, 20)).ok).toBe(false);
    expect(describeImage(jpeg(10, 10).subarray(0, 12)).ok).toBe(false);
    expect(describeImage(Buffer.from('BM')).ok).toBe(false);
    expect(describeImage(png(0, 10)).ok).toBe(false);
    expect(describeImage(Buffer.alloc(0)).ok).toBe(false);
  });
});
