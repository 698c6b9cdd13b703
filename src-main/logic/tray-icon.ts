/**
 * Tray icons drawn in code (no binary assets): a filled disc whose colour
 * tells the state, encoded as an RGBA PNG.
 */
import { deflateSync } from 'node:zlib';
import type { TrayState } from './tray-state.js';

/** Disc colour per state (RGB). */
export const TRAY_COLOURS: Record<TrayState, readonly [number, number, number]> = {
  'no-key': [0x9e, 0x9e, 0x9e],
  'key-present': [0x1e, 0x88, 0xe5],
  'logged-in': [0x2e, 0x7d, 0x32],
  error: [0xd3, 0x2f, 0x2f],
};

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A `size`×`size` PNG of the state's disc (anti-aliased edge, transparent corners). */
export function trayIconPng(state: TrayState, size = 32): Buffer {
  const [r, g, b] = TRAY_COLOURS[state];
  const rows: Buffer[] = [];
  const radius = size / 2 - 1;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2);
      const alpha = Math.max(0, Math.min(1, radius - d + 0.5));
      row.set([r, g, b, Math.round(alpha * 255)], 1 + x * 4);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}
