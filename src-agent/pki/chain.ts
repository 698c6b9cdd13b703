/**
 * Builds a certificate chain from a leaf through a pool of intermediates to
 * a trust anchor, verifying every link's signature and the RFC 5280 §6.1
 * rules the assistant enforces: issuers are v3 CAs (basicConstraints cA) with
 * keyCertSign when KeyUsage is present, pathLenConstraint holds, and no
 * certificate carries a critical extension the assistant does not process.
 *
 * The walk is a generator that yields after each signature check, so
 * `verify.cms` can give the event loop back between checks
 * ({@link buildChainAsync}); {@link buildChain} runs it through at once.
 */
import { X509Certificate } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MAX_CHAIN_CANDIDATES } from '../limits.js';
import { readCertParts, type CertParts } from './cert-parts.js';
import { displayName } from './dn.js';
import { readExtensions, type CertExtensions } from './extensions.js';
import { PROBLEMS, type PkiProblem } from './problems.js';
import { sm2Verify } from './sm2.js';

/** Longest chain followed, leaf and anchor included (default 10). */
export const MAX_CHAIN_DEPTH = 10;

/** Result of {@link buildChain}. */
export interface ChainResult {
  /** Leaf first; the anchor last when one was reached. */
  chain: Buffer[];
  /** A trust anchor was reached, every link verified and no rule was broken. */
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
  return displayName(parts[which]);
}

function nameMatches(child: Cert, parent: Cert): boolean {
  if (!child.parts.issuerRaw.equals(parent.parts.subjectRaw)) return false;
  const aki = child.ext.authorityKeyIdentifier;
  const ski = parent.ext.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || aki === ski;
}

function signedBy(child: CertParts, parent: CertParts): boolean {
  try {
    if (parent.publicKey.algorithm === 'SM2') return sm2Verify(parent.publicKey.spki, child.tbs, child.signatureValue);
    return new X509Certificate(child.der).verify(new X509Certificate(parent.der).publicKey);
  } catch {
    return false;
  }
}

/** True when `parent`'s key verifies `child`'s signature (SM2 with the default signer id, as CAs sign). */
export function isSignedBy(child: Buffer, parent: Buffer): boolean {
  try {
    return signedBy(readCertParts(child), readCertParts(parent));
  } catch {
    return false;
  }
}

/** RFC 5280 §6.1.4 (k), (n): a non-anchor issuer must be a v3 CA allowed to sign certificates. */
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

/** RFC 5280 §4.2: critical extensions the assistant does not process make a certificate unusable. */
function criticalProblems(cert: Cert): PkiProblem[] {
  return cert.ext.unknownCritical.map((oid) => PROBLEMS.unknownCriticalExtension(nameOf(cert.parts, 'subject'), oid));
}

/** RFC 5280 §6.1.4 (l), (m): at most pathLenConstraint non-self-issued intermediates below this CA. */
function pathLengthProblem(issuer: Cert, below: Cert[]): PkiProblem | undefined {
  const max = issuer.ext.basicConstraints?.pathLength;
  if (max === undefined) return undefined;
  const count = below.filter((c) => !c.parts.subjectRaw.equals(c.parts.issuerRaw)).length;
  return count > max ? PROBLEMS.pathLength(nameOf(issuer.parts, 'subject'), max, count) : undefined;
}

/** The chain walk; yields after every signature check. */
function* walk(leaf: Buffer, pool: Buffer[], anchors: Buffer[], options: ChainOptions): Generator<void, ChainResult, void> {
  const role = options.roleZh ?? '';
  const leafParts = readCertParts(leaf);
  const leafCert: Cert = { parts: leafParts, ext: readExtensions(leafParts.extensions), anchor: false };
  const anchorCerts = anchors.map((a) => load(a, true)).filter((c): c is Cert => c !== undefined);
  const poolCerts = pool.map((p) => load(p, false)).filter((c): c is Cert => c !== undefined);
  const chain: Cert[] = [leafCert];
  const problems: PkiProblem[] = [];
  const finish = (trusted: boolean): ChainResult => {
    const ders = chain.map((c) => c.parts.der);
    for (const c of chain) problems.push(...criticalProblems(c));
    if (options.at) problems.push(...validityProblems(ders, options.at));
    return { chain: ders, trusted: trusted && problems.length === 0, problems };
  };

  if (anchorCerts.some((a) => a.parts.der.equals(leaf))) {
    chain[0] = { ...leafCert, anchor: true };
    return finish(true);
  }
  let current: Cert = leafCert;
  while (chain.length < MAX_CHAIN_DEPTH) {
    const candidates = [...anchorCerts, ...poolCerts]
      .filter((c) => nameMatches(current, c) && !chain.some((d) => d.parts.der.equals(c.parts.der)))
      .slice(0, MAX_CHAIN_CANDIDATES);
    let issuer: Cert | undefined;
    for (const c of candidates) {
      const ok = signedBy(current.parts, c.parts);
      yield;
      if (ok) {
        issuer = c;
        break;
      }
    }
    if (!issuer) {
      const name = nameOf(current.parts, 'subject');
      if (candidates[0]) problems.push(PROBLEMS.chainSignatureInvalid(name, nameOf(candidates[0].parts, 'subject')));
      else if (current.parts.subjectRaw.equals(current.parts.issuerRaw)) problems.push(PROBLEMS.untrustedRoot(role, name));
      else problems.push(PROBLEMS.missingIssuer(role, nameOf(current.parts, 'issuer')));
      return finish(false);
    }
    const below = chain.slice(1);
    chain.push(issuer);
    if (!mayIssue(issuer)) problems.push(PROBLEMS.notACa(nameOf(issuer.parts, 'subject')));
    const pathProblem = pathLengthProblem(issuer, below);
    if (pathProblem) problems.push(pathProblem);
    if (issuer.anchor) return finish(true);
    current = issuer;
  }
  problems.push(PROBLEMS.chainTooLong());
  return finish(false);
}

/**
 * Builds the chain: issuers are matched by issuer/subject DER and AKI/SKI
 * (at most {@link MAX_CHAIN_CANDIDATES} tried per link), anchors are preferred
 * over pool certificates, each link's signature is verified, loops and chains
 * longer than {@link MAX_CHAIN_DEPTH} stop.
 * @throws AssistantError BAD_REQUEST when the leaf is not a certificate.
 */
export function buildChain(leaf: Buffer, pool: Buffer[], anchors: Buffer[], options: ChainOptions = {}): ChainResult {
  const steps = walk(leaf, pool, anchors, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** {@link buildChain}, giving the event loop back after every signature check (for certificates from web pages). */
export async function buildChainAsync(leaf: Buffer, pool: Buffer[], anchors: Buffer[], options: ChainOptions = {}): Promise<ChainResult> {
  const steps = walk(leaf, pool, anchors, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await nextTurn();
  }
}
