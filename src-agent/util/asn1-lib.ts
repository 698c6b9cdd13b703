/**
 * The ASN.1 libraries of the whole agent (asn1js, pkijs) and its curve library
 * (@noble/curves), loaded on first use rather than at start: together they
 * cost tens of milliseconds to load, which a `serve` that never parses a
 * certificate should not pay (docs/performance.md). They are loaded with a
 * synchronous `require` (Node ≥ 20.19 loads ES modules that way), so the PKI
 * functions stay synchronous; the bundle leaves them in node_modules.
 */
import { createRequire } from 'node:module';

type Asn1js = typeof import('asn1js');
type Pkijs = typeof import('pkijs');
type Weierstrass = typeof import('@noble/curves/abstract/weierstrass.js');

const load = createRequire(import.meta.url);
let asn1: Asn1js | undefined;
let pki: Pkijs | undefined;
let curves: Weierstrass | undefined;

/** asn1js, loaded on the first call. */
export function asn1js(): Asn1js {
  asn1 ??= load('asn1js') as Asn1js;
  return asn1;
}

/** pkijs (X.509, CMS schemas), loaded on the first call. */
export function pkijs(): Pkijs {
  pki ??= load('pkijs') as Pkijs;
  return pki;
}

/** @noble/curves' generic short-Weierstrass curve, loaded on the first call. */
export function weierstrassLib(): Weierstrass {
  curves ??= load('@noble/curves/abstract/weierstrass.js') as Weierstrass;
  return curves;
}
