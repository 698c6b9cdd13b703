/** Standard base64 of `bytes`, without Buffer (runs in browsers). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Accepts bytes or a base64 string and returns base64. */
export function toBase64(value: Uint8Array | string): string {
  return typeof value === 'string' ? value : bytesToBase64(value);
}
