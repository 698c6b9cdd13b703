/**
 * asn1js and pkijs, loaded on first use: only signatures that ask for a
 * time-stamp, and CMS that carry one, pay for them (the agent's start does not).
 */
import { webcrypto } from 'node:crypto';

type Asn1js = typeof import('asn1js');
type Pkijs = typeof import('pkijs');

let loading: Promise<{ asn1js: Asn1js; pkijs: Pkijs }> | undefined;

/** The two libraries, with pkijs set to node's WebCrypto. */
export function tspLibs(): Promise<{ asn1js: Asn1js; pkijs: Pkijs }> {
  loading ??= Promise.all([import('asn1js'), import('pkijs')]).then(([asn1js, pkijs]) => {
    pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));
    return { asn1js, pkijs };
  });
  return loading;
}

/** A fresh ArrayBuffer holding exactly `bytes` (pkijs and asn1js want ArrayBuffers). */
export function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  // Buffer#slice is a view on a shared pool; the Uint8Array copy owns exactly these bytes.
  return new Uint8Array(bytes).buffer;
}
