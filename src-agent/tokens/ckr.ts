import pkcs11js from 'pkcs11js';
import { AssistantError, type Reason } from '../protocol/errors.js';

/** CKR value → name, built from pkcs11js's constants (e.g. 0xa0 → 'CKR_PIN_INCORRECT'). */
const CKR_NAMES = new Map<number, string>(
  Object.entries(pkcs11js)
    .filter(([name, value]) => name.startsWith('CKR_') && typeof value === 'number')
    .map(([name, value]) => [value as number, name]),
);

export function ckrName(code: number): string {
  return CKR_NAMES.get(code) ?? `CKR_0x${code.toString(16).padStart(8, '0')}`;
}

/**
 * The one table mapping PKCS#11 return codes to the assistant's reasons.
 * Codes not listed are MODULE_FAILED (the CKR name goes to the log and to
 * `error.data.ckr`, never as the user's message).
 */
const CKR_REASONS: Record<string, Reason> = {
  CKR_PIN_INCORRECT: 'PIN_INCORRECT',
  CKR_PIN_INVALID: 'PIN_INCORRECT',
  CKR_PIN_LOCKED: 'PIN_LOCKED',
  CKR_PIN_LEN_RANGE: 'PIN_LEN_RANGE',
  CKR_FUNCTION_CANCELED: 'USER_CANCELLED',
  CKR_DEVICE_REMOVED: 'TOKEN_REMOVED',
  CKR_TOKEN_NOT_PRESENT: 'TOKEN_REMOVED',
  CKR_TOKEN_NOT_RECOGNIZED: 'NO_TOKEN',
  CKR_SLOT_ID_INVALID: 'TOKEN_REMOVED',
  CKR_MECHANISM_INVALID: 'UNSUPPORTED_ALGORITHM',
  CKR_KEY_TYPE_INCONSISTENT: 'UNSUPPORTED_ALGORITHM',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'CERT_UNUSABLE',
  CKR_KEY_HANDLE_INVALID: 'KEY_NOT_FOUND',
  CKR_DEVICE_MEMORY: 'BUSY',
  CKR_SESSION_COUNT: 'BUSY',
};

/** Maps a PKCS#11 return code to an AssistantError carrying `ckr` and the function name. */
export function ckrError(code: number, fn: string): AssistantError {
  const name = ckrName(code);
  const reason = CKR_REASONS[name] ?? 'MODULE_FAILED';
  return new AssistantError(reason, `${fn} returned ${name}`, { ckr: name });
}

/** Extracts the CKR code from a pkcs11js error, or undefined when it is not one. */
export function ckrCodeOf(error: unknown): number | undefined {
  if (error instanceof pkcs11js.Pkcs11Error && error.code) return error.code;
  const match = error instanceof Error ? /(CKR_[A-Z_0-9]+):(\d+)/.exec(error.message) : null;
  return match ? Number(match[2]) : undefined;
}
