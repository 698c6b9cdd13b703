/**
 * The signing use case: the one entry point for every signature with a
 * token's key (sign.hash, auth.challenge, CLI sign, 环境检测's test
 * signature). It resolves the certificate once and carries the entry down to
 * the token call, refuses what cannot be signed before a PIN is asked, applies
 * the login policy, signs, and leaves the audit record and the notice to
 * {@link runAudited}.
 */
import { createHash } from 'node:crypto';
import { preflightSign, type CmsProfile, type HashAlgorithm, type SignHashResult } from '../../pki/index.js';
import { AssistantError } from '../../protocol/errors.js';
import type { SignatureFormat } from '../../protocol/types.js';
import type { CertEntry, CertificateService } from '../cert-service.js';
import type { SigningService } from '../signing-service.js';
import { traceStep } from '../../util/request-trace.js';
import { runAudited, type AuditedDeps, type AuditFacts, type NoticeFacts } from './audited.js';
import type { AuditLog } from './audit-log.js';
import type { KeyUse, LoginPolicy } from './login-policy.js';
import type { Requester } from './requester.js';

/** What is signed: a digest the caller made, or a message hashed here with the certificate's suite hash (SM3 for SM2, else SHA-256). */
export type SignPayload = { hash: Buffer; hashAlgorithm: HashAlgorithm } | { message: Buffer };

/** One signature with a token key. New options join here (e.g. `timestamp`) and are read by a {@link SignStep}. */
export interface SignCommand {
  /** Audit name of what was asked: `sign.hash`, `auth.challenge`, `check.keypair`, `xtx.SOF_SignData`… */
  method: string;
  certId: string;
  payload: SignPayload;
  format: SignatureFormat;
  profile?: CmsProfile;
  /** The site's claim, shown in the PIN dialog and the notice. */
  documentName?: string;
  /** A 环境检测 test signature: audited as such, no notice. */
  test?: boolean;
  /** Add an RFC 3161 signature time-stamp (CMS only): read by the time-stamp step. */
  timestamp?: boolean;
}

/** A signature and what it was made of. */
export interface Signed extends SignHashResult {
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  entry: CertEntry;
}

/**
 * A step after the token's signature (e.g. an RFC 3161 time-stamp when the
 * command asks for one). `check` refuses, before any PIN dialog, a command the
 * step could not complete; `run` may add route facts to the audit record's
 * `extra`. What either throws fails the attempt (audited).
 */
export interface SignStep {
  check?(command: SignCommand): void;
  run(signed: Signed, command: SignCommand, facts: AuditFacts, requester: Requester): Promise<Signed>;
}

export interface SigningUseCaseDeps extends AuditedDeps {
  certs: CertificateService;
  signing: SigningService;
  policy: LoginPolicy;
  steps?: SignStep[];
}

export class SigningUseCase {
  readonly #steps: SignStep[];

  constructor(private readonly deps: SigningUseCaseDeps) {
    this.#steps = [...(deps.steps ?? [])];
  }

  get policy(): LoginPolicy {
    return this.deps.policy;
  }

  get audit(): AuditLog {
    return this.deps.audit;
  }

  /**
   * The shared audit-and-notice frame for a route without a token key (a
   * phone's signature, a compatibility call): see {@link runAudited}.
   */
  runAudited<T>(requester: Requester, facts: AuditFacts, produce: (facts: AuditFacts) => Promise<T>, notice?: (value: T) => NoticeFacts): Promise<T> {
    return runAudited(this.deps, requester, facts, produce, notice);
  }

  /** Ends every login this use case made and fsyncs the audit log (shutdown). */
  async close(): Promise<void> {
    this.deps.policy.stop();
    await this.deps.policy.logoutAll();
    this.deps.audit.close();
  }

  /** Adds a step run after every token signature, in order. */
  addStep(step: SignStep): void {
    this.#steps.push(step);
  }

  /**
   * Signs for `requester`. Exactly one audit record is written before this
   * settles; a signature whose record cannot be written is not returned.
   * @throws AssistantError CERT_NOT_FOUND, TOKEN_REMOVED, KEY_NOT_FOUND, CERT_EXPIRED, CERT_UNUSABLE,
   *   UNSUPPORTED_ALGORITHM, BAD_REQUEST (before any PIN); PIN_LOCKED, USER_CANCELLED, TIMEOUT; token errors; AUDIT_FAILED.
   */
  sign(requester: Requester, command: SignCommand): Promise<Signed> {
    const given = 'hash' in command.payload ? command.payload : undefined;
    const facts: AuditFacts = {
      method: command.method,
      certId: command.certId,
      certFingerprintSha256: null,
      hashAlgorithm: given?.hashAlgorithm ?? null,
      hash: given?.hash.toString('hex') ?? null,
      format: command.format,
      documentName: command.documentName ?? null,
      ...(command.test ? { test: true as const } : {}),
    };
    return runAudited(
      this.deps,
      requester,
      facts,
      async () => {
        const entry = await this.deps.certs.get(command.certId);
        facts.certFingerprintSha256 = entry.details.fingerprintSha256;
        const { hash, hashAlgorithm } = digestOf(command.payload, entry);
        facts.hash = hash.toString('hex');
        facts.hashAlgorithm = hashAlgorithm;
        if (entry.token.hasPrivateKey === false) throw new AssistantError('KEY_NOT_FOUND', `no private key for ${command.certId}`);
        // A test signature proves the key pair, also of a certificate out of its validity (环境检测 reports that on its own line).
        const at = command.test ? withinValidity(entry) : undefined;
        const request = { certId: command.certId, hash, hashAlgorithm, format: command.format, ...(command.profile ? { profile: command.profile } : {}), ...(at ? { now: at } : {}) };
        preflightSign({ certificate: entry.token.der, ...request });
        for (const step of this.#steps) step.check?.(command);
        traceStep('certificate checked');
        const result = await this.deps.policy.withLogin(keyUse(requester, command), entry, () => {
          traceStep('login granted');
          return this.deps.signing.sign(request, entry);
        });
        traceStep('signed');
        let signed: Signed = { ...result, hash, hashAlgorithm, entry };
        for (const step of this.#steps) signed = await step.run(signed, command, facts, requester);
        return signed;
      },
      (signed) => ({ certSubject: signed.entry.details.subject, ...(command.documentName !== undefined ? { documentName: command.documentName } : {}) }),
    );
  }
}

function withinValidity(entry: CertEntry): Date {
  const from = Date.parse(entry.details.notBefore);
  const to = Date.parse(entry.details.notAfter);
  return new Date(from + Math.floor((to - from) / 2));
}

function digestOf(payload: SignPayload, entry: CertEntry): { hash: Buffer; hashAlgorithm: HashAlgorithm } {
  if ('hash' in payload) return payload;
  const hashAlgorithm = entry.details.keyAlgorithm === 'SM2' ? 'sm3' : 'sha256';
  return { hash: createHash(hashAlgorithm).update(payload.message).digest(), hashAlgorithm };
}

function keyUse(requester: Requester, command: SignCommand): KeyUse {
  const base: KeyUse =
    requester.kind === 'site'
      ? { origin: requester.origin, trusted: requester.trusted }
      : // A test signature hands nothing out: it may ride on whatever login 环境检测 just made or found.
        { origin: null, trusted: false, ...(requester.channel === 'check' && command.test ? { anyLogin: true } : {}) };
  return {
    ...base,
    ...(requester.signal ? { signal: requester.signal } : {}),
    ...(command.documentName !== undefined ? { documentName: command.documentName } : {}),
  };
}
