/** The signing use case and what it owns: login policy, audit log. */
import type { AgentCore } from '../agent-core.js';
import type { UiPort } from '../../ui/port.js';
import { AuditLog } from './audit-log.js';
import { LoginPolicy, type LoginPolicyOptions } from './login-policy.js';
import { SigningUseCase, type SignStep } from './use-case.js';

export { AuditLog, type AuditRecord, type AuditLogOptions } from './audit-log.js';
export { runAudited, type AuditFacts, type NoticeFacts } from './audited.js';
export { LoginPolicy, type KeyUse, type LoginPolicyOptions } from './login-policy.js';
export { originOf, type Requester, type SiteRequester, type UserRequester } from './requester.js';
export { SigningUseCase, type SignCommand, type SignPayload, type Signed, type SignStep } from './use-case.js';

export interface CreateSigningOptions {
  /** Where PIN dialogs and notices go (the assistant window, the TTY, a script). */
  ui: UiPort;
  /** Default: `<dataDir>/audit`. */
  audit?: AuditLog;
  steps?: SignStep[];
  /** Login policy options beyond the core's config (e.g. `maxPinAttempts` for the CLI). */
  policy?: Pick<LoginPolicyOptions, 'maxPinAttempts' | 'dialogTimeoutMs'>;
}

/** Wires the use case over the core: one per process that signs (server, CLI command). */
export function createSigning(core: AgentCore, options: CreateSigningOptions): SigningUseCase {
  const policy = new LoginPolicy({ tokens: core.tokens, certs: core.certs, ui: options.ui, pinCacheSeconds: core.config.pinCacheSeconds, ...options.policy });
  const audit = options.audit ?? new AuditLog(core.config.dataDir);
  return new SigningUseCase({ certs: core.certs, signing: core.signing, policy, audit, ui: options.ui, ...(options.steps ? { steps: options.steps } : {}) });
}
