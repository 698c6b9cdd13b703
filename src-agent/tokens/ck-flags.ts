/**
 * The PKCS#11 flag bits the token layer reads (values from the v2.40 header,
 * `pkcs11t.h`). Defined here once so the agent process never loads the
 * pkcs11js native addon for a few numbers; tests check them against pkcs11js.
 */
export const CKF = {
  /** CK_SLOT_INFO: a token is in the slot. */
  TOKEN_PRESENT: 0x1,
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  PROTECTED_AUTHENTICATION_PATH: 0x100,
  TOKEN_INITIALIZED: 0x400,
  USER_PIN_COUNT_LOW: 0x10000,
  USER_PIN_FINAL_TRY: 0x20000,
  USER_PIN_LOCKED: 0x40000,
  USER_PIN_TO_BE_CHANGED: 0x80000,
} as const;

/** Key types the token layer names outside the host (values from `pkcs11t.h`). */
export const CKK = { EC: 0x3 } as const;
