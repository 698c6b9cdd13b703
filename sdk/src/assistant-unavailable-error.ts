import { AssistantError } from './assistant-error.js';
import { CLIENT_REASONS } from './client-reasons.js';

export type UnavailableReason = 'NOT_RUNNING' | 'BLOCKED_BY_BROWSER' | 'INSECURE_CONTEXT';

/**
 * Nothing answered on the assistant's port: it is not running
 * (`NOT_RUNNING`), the browser's Local Network Access permission blocks
 * the page (`BLOCKED_BY_BROWSER`), or the page is not a secure context
 * (`INSECURE_CONTEXT`: an http page on a non-loopback address, which
 * Chromium refuses without asking, whatever the policy says).
 */
export class AssistantUnavailableError extends AssistantError {
  override name = 'AssistantUnavailableError';
  declare readonly reason: UnavailableReason;

  constructor(reason: UnavailableReason, detail?: string) {
    const info = CLIENT_REASONS[reason];
    super({ reason, code: info.code, message: info.zh, remedy: info.remedyZh, messageEn: info.en, remedyEn: info.remedyEn, ...(detail ? { detail } : {}) });
  }
}

/** True for an AssistantUnavailableError, also across realms. */
export function isAssistantUnavailableError(value: unknown): value is AssistantUnavailableError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value instanceof AssistantUnavailableError || (value as { name?: unknown }).name === 'AssistantUnavailableError')
  );
}
