/**
 * Builds a certificate chain from a leaf through a pool of intermediates to
 * a trust anchor, verifying every link's signature.
 */
import { X509Certificate } from 'node:crypto';
import { readCertParts, type CertParts } from './cert-parts.js';
import { displayName, readName } from './dn.js';
import { readExtensions, type CertExtensions } from './extensions.js';
import { PROBLEMS, type PkiProblem } from './problems.js';
import { sm2VerifyCertificate } from './sm2.js';

/** Longest chain followed, leaf and anchor included (default 10). */
export const MAX_CHAIN_DEPTH = 10;

/** Result of {@link buildChain}. */
export interface ChainResult {
  /** Leaf first; the anchor last when one was reached. */
  chain: Buffer[];
  /** A trust anchor was reached and every link verified. */
  trusted: boolean;
  problems: PkiProblem[];
}

/** Options of {@link buildChain}. */
export interface ChainOptions {
  /** Also report certificates not valid at this time (CERT_EXPIRED). */
  at?: Date;
  /** Who the chain belongs to in Chinese messages (default '', e.g. '签名者'). */
  roleZh?: string;
}

interface Cert {
  parts: CertParts;
  ext: CertExtensions;
  anchor: boolean;
}

function load(der: Buffer, anchor: boolean): Cert | undefined {
  try {
    const parts = readCertParts(der);
    return { parts, ext: readExtensions(parts.extensions), anchor };
  } catch {
    return undefined; // an unreadable pool entry is simply not a candidate
  }
}

/** Display name (CN, else O) of a certificate's subject or issuer. */
export function nameOf(parts: CertParts, which: 'subject' | 'issuer'): string {
  return displayName(readName(parts[which]));
}

function nameMatches(child: Cert, parent: Cert): boolean {
  if (!child.parts.issuerRaw.equals(parent.parts.subjectRaw)) return false;
  const aki = child.ext.authorityKeyIdentifier;
  const ski = parent.ext.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || aki === ski;
}

/** True when `parent`'s key verifies `child`'s signature (SM2 with the default signer id, as CAs sign). */
export function isSignedBy(child: Buffer, parent: Buffer): boolean {
  try {
    const parentKey = readCertParts(parent).publicKey;
    if (parentKey.algorithm === 'SM2') return sm2VerifyCertificate(child, parentKey.spki);
    return new X509Certificate(child).verify(new X509Certificate(parent).publicKey);
  } catch {
    return false;
  }
}

function mayIssue(cert: Cert): boolean {
  if (cert.anchor) return true;
  if (cert.parts.version < 3) return false;
  if (!cert.ext.basicConstraints?.ca) return false;
  return cert.ext.keyUsage === undefined || cert.ext.keyUsage.includes('keyCertSign');
}

/** CERT_EXPIRED (or CERT_EXPIRED_AT_SIGNING) problems for chain members not valid at `at`. */
export function validityProblems(chain: Buffer[], at: Date, atSigning = false): PkiProblem[] {
  const out: PkiProblem[] = [];
  for (const der of chain) {
    const p = readCertParts(der);
    if (at < p.notBefore || at > p.notAfter) {
      const make = atSigning ? PROBLEMS.certExpiredAtSigning : PROBLEMS.certExpired;
      out.push(make(nameOf(p, 'subject'), p.notBefore, p.notAfter, at));
    }
  }
  return out;
}

/**
 * Builds the chain: issuers are matched by issuer/subject DER and AKI/SKI,
 * anchors are preferred over pool certificates, each link's signature is
 * verified, loops and chains longer than {@link MAX_CHAIN_DEPTH} stop.
 * @throws AssistantError BAD_REQUEST when the leaf is not a certificate.
 */
export function buildChain(leaf: Buffer, pool: Buffer[], anchors: Buffer[], options: ChainOptions = {}): ChainResult {
  const role = options.roleZh ?? '';
  const leafParts = readCertParts(leaf);
  const leafCert: Cert = { parts: leafParts, ext: readExtensions(leafParts.extensions), anchor: false };
  const anchorCerts = anchors.map((a) => load(a, true)).filter((c): c is Cert => c !== undefined);
  const poolCerts = pool.map((p) => load(p, false)).filter((c): c is Cert => c !== undefined);
  const chain = [leaf];
  const problems: PkiProblem[] = [];
  const finish = (trusted: boolean): ChainResult => {
    if (options.at) problems.push(...validityProblems(chain, options.at));
    return { chain, trusted: trusted && problems.length === 0, problems };
  };

  if (anchorCerts.some((a) => a.parts.der.equals(leaf))) return finish(true);
  let current: Cert = leafCert;
  while (chain.length < MAX_CHAIN_DEPTH) {
    const candidates = [...anchorCerts, ...poolCerts].filter(
      (c) => nameMatches(current, c) && !chain.some((d) => d.equals(c.parts.der)),
    );
    const issuer = candidates.find((c) => isSignedBy(current.parts.der, c.parts.der));
    if (!issuer) {
      const name = nameOf(current.parts, 'subject');
      if (candidates[0]) problems.push(PROBLEMS.chainSignatureInvalid(name, nameOf(candidates[0].parts, 'subject')));
      else if (current.parts.subjectRaw.equals(current.parts.issuerRaw)) problems.push(PROBLEMS.untrustedRoot(role, name));
      else problems.push(PROBLEMS.missingIssuer(role, nameOf(current.parts, 'issuer')));
      return finish(false);
    }
    chain.push(issuer.parts.der);
    if (!mayIssue(issuer)) problems.push(PROBLEMS.notACa(nameOf(issuer.parts, 'subject')));
    if (issuer.anchor) return finish(true);
    current = issuer;
  }
  problems.push(PROBLEMS.chainTooLong());
  return finish(false);
}
