/**
 * The time-stamp code's view of the agent's ASN.1 libraries (util/asn1-lib.ts,
 * loaded on first use): only signatures that ask for a time-stamp, and CMS that
 * carry one, pay for them. pkijs verifies with node's WebCrypto.
 */
import { webcrypto } from 'node:crypto';
import { asn1js, pkijs } from '../../util/asn1-lib.js';

type Libs = { asn1js: ReturnType<typeof asn1js>; pkijs: ReturnType<typeof pkijs> };

let libs: Libs | undefined;

/** The two libraries, with pkijs set to node's WebCrypto (once). */
export async function tspLibs(): Promise<Libs> {
  if (!libs) {
    const p = pkijs();
    p.setEngine('node', new p.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));
    libs = { asn1js: asn1js(), pkijs: p };
  }
  return libs;
}

/** A fresh ArrayBuffer holding exactly `bytes` (pkijs and asn1js want ArrayBuffers). */
export function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  // Buffer#slice is a view on a shared pool; the Uint8Array copy owns exactly these bytes.
  return new Uint8Array(bytes).buffer;
}
