/**
 * Tray icons drawn in code (no binary assets): a filled disc whose colour
 * tells the state, encoded as an RGBA PNG.
 */
import { encodeRgbaPng } from '../../src-agent/util/png.js';
import type { TrayState } from './tray-state.js';

/** Disc colour per state (RGB). */
export const TRAY_COLOURS: Record<TrayState, readonly [number, number, number]> = {
  'no-key': [0x9e, 0x9e, 0x9e],
  'key-present': [0x1e, 0x88, 0xe5],
  'logged-in': [0x2e, 0x7d, 0x32],
  error: [0xd3, 0x2f, 0x2f],
};

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
  return encodeRgbaPng(size, size, Buffer.concat(rows));
}
