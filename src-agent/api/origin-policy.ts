/**
 * Who is calling: checks on the handshake (`Host`, `Origin`) and the rules
 * deciding which origins are trusted and which may be offered the consent
 * dialog. Exact string comparison only: no wildcard, no suffix, no case folding.
 */
import { normalizeTrustedOrigin } from '../config.js';

export { isLoopbackHost } from '../util/loopback.js';

/** The trust an origin gets without asking the user. */
export type OriginClass =
  /** In `trustedOrigins`: may call every method. */
  | 'trusted'
  /** A canonical https (or loopback http) origin: may be offered the consent dialog. */
  | 'consentable'
  /** `null`, `file://`, plain http on the internet, non-canonical spellings: `system.hello` only. */
  | 'refused';

/**
 * Classifies the `Origin` header exactly as the browser sent it. Browsers
 * serialize origins in lower case and punycode, so an upper-case or Unicode
 * spelling never came from a real page of that site: it is refused, not
 * normalized. Plain http origins other than loopback are refused because a
 * network attacker could inject them.
 */
export function classifyOrigin(origin: string, trusted: readonly string[]): OriginClass {
  if (trusted.includes(origin)) return 'trusted';
  if (origin === 'null' || origin.length > 300) return 'refused';
  return normalizeTrustedOrigin(origin) === origin ? 'consentable' : 'refused';
}
