/**
 * The phone's camera in tests: Chromium reads a Y4M file as its fake capture
 * device (`--use-file-for-fake-video-capture`). We write one showing a QR code,
 * so the phone app's real scanner (getUserMedia + jsQR) decodes it.
 */
import { writeFileSync } from 'node:fs';
import jsQRModule from 'jsqr';
import * as upngModule from '@pdf-lib/upng';
import QRCode from 'qrcode';

// jsqr is CommonJS with `exports.default`; under NodeNext its default import is the module object.
type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQr = (() => {
  const m = jsQRModule as unknown as { default?: JsQr };
  return typeof m === 'function' ? (m as JsQr) : (m.default as JsQr);
})();
// Same for upng (one level deeper than its types say).
type Upng = typeof upngModule;
const UPNG: Upng = (() => {
  let m = upngModule as unknown as Upng & { default?: unknown };
  while (typeof m.decode !== 'function' && m.default) m = m.default as Upng & { default?: unknown };
  return m;
})();

const WIDTH = 640;
const HEIGHT = 480;

/** Writes a few Y4M (I420) frames of `text` as a black-on-white QR code. */
export function writeQrY4m(file: string, text: string): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const scale = Math.floor(Math.min(WIDTH, HEIGHT) / (n + 8));
  const x0 = Math.floor((WIDTH - n * scale) / 2);
  const y0 = Math.floor((HEIGHT - n * scale) / 2);
  const y = Buffer.alloc(WIDTH * HEIGHT, 235);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.modules.get(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) y.fill(16, (y0 + r * scale + dy) * WIDTH + x0 + c * scale, (y0 + r * scale + dy) * WIDTH + x0 + (c + 1) * scale);
    }
  }
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`), ...Array.from({ length: 5 }, () => frame)]));
}

/** Decodes the QR code in a PNG (the assistant dialog's QR image, as the test reads it from the page). */
export function decodeQrPng(png: Buffer): string | null {
  const img = UPNG.decode(png.buffer.slice(png.byteOffset, png.byteOffset + png.length) as ArrayBuffer);
  const rgba = new Uint8ClampedArray(UPNG.toRGBA8(img)[0] as ArrayBuffer);
  return jsQR(rgba, img.width, img.height)?.data ?? null;
}
