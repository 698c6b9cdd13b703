import type { Reason } from '../../src-agent/protocol/types.js';
import type { ClientReason } from './client-reasons.js';

/** Every reason an SDK error may carry: the agent's reasons plus the SDK's own. */
export type SdkReason = Reason | ClientReason;

export interface AssistantErrorInit {
  reason: SdkReason;
  code: number;
  /** Chinese message for the user. */
  message: string;
  /** Chinese remedy for the user. */
  remedy: string;
  messageEn?: string;
  remedyEn?: string;
  retriesLeft?: number;
  ckr?: string;
  detail?: string;
}

/**
 * An error reported by the assistant or by the SDK about the assistant.
 * `message` and `remedy` are Chinese and may be shown to the user as they
 * are; branch on `reason`, which is stable.
 */
export class AssistantError extends Error {
  override name = 'AssistantError';
  readonly reason: SdkReason;
  readonly code: number;
  readonly remedy: string;
  readonly messageEn?: string;
  readonly remedyEn?: string;
  /** PIN retries left (PIN_INCORRECT), where the key says. */
  readonly retriesLeft?: number;
  /** PKCS#11 return code name (MODULE_FAILED). */
  readonly ckr?: string;
  /** An extra Chinese detail line, where the assistant gave one. */
  readonly detail?: string;

  constructor(init: AssistantErrorInit) {
    super(init.message);
    this.reason = init.reason;
    this.code = init.code;
    this.remedy = init.remedy;
    if (init.messageEn !== undefined) this.messageEn = init.messageEn;
    if (init.remedyEn !== undefined) this.remedyEn = init.remedyEn;
    if (init.retriesLeft !== undefined) this.retriesLeft = init.retriesLeft;
    if (init.ckr !== undefined) this.ckr = init.ckr;
    if (init.detail !== undefined) this.detail = init.detail;
  }
}

const NAMES = new Set(['AssistantError', 'AssistantUnavailableError']);

/** True for any SDK error, also across realms (iframes) and duplicate SDK copies. */
export function isAssistantError(value: unknown): value is AssistantError {
  if (value instanceof AssistantError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { name, reason } = value as { name?: unknown; reason?: unknown };
  return typeof name === 'string' && NAMES.has(name) && typeof reason === 'string';
}
