import { REASONS, isReason, type Reason } from './reasons.js';

/** Extra data carried with an error to the wire (`error.data`). */
export interface ErrorDetails {
  /** Retries left on the PIN, where known. */
  retriesLeft?: number;
  /** The PKCS#11 return code name, e.g. `CKR_DEVICE_ERROR`. */
  ckr?: string;
  /** A Chinese detail line safe to show the user (never a library message). */
  detailZh?: string;
  [key: string]: unknown;
}

/**
 * The one error type the assistant's layers throw at each other. `reason` is
 * stable and goes on the wire; `message` is for logs (English, may carry
 * library detail) and never reaches a web page as is.
 */
export class AssistantError extends Error {
  override name = 'AssistantError';
  readonly reason: Reason;
  readonly details: ErrorDetails;

  constructor(reason: Reason, message?: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message ?? REASONS[reason].en, options);
    this.reason = reason;
    this.details = details;
  }

  /** Works across realms and module copies (e.g. errors rebuilt from the token host). */
  static is(value: unknown): value is AssistantError {
    return (
      value instanceof AssistantError ||
      (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AssistantError' &&
        isReason((value as { reason?: unknown }).reason))
    );
  }
}

/** Wraps anything thrown into an AssistantError; unknown errors become INTERNAL. */
export function toAssistantError(error: unknown): AssistantError {
  if (AssistantError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AssistantError('INTERNAL', message, {}, { cause: error });
}

export { REASONS, type Reason };
