/**
 * GM/T 0020 (证书应用综合服务接口规范) constants the compatibility endpoint
 * speaks: certificate-information types of SOF_GetCertInfo, the error codes
 * SOF_GetLastError returns, and the flags of the message functions. Values
 * are those of the standard as public client scripts and headers state them.
 */
import type { Reason } from '../../protocol/errors.js';

/** SOF_GetCertInfo types (GM/T 0020 / GM/T 0006 SGD_CERT_*, SGD_EXT_*). */
export const SGD_CERT = {
  VERSION: 0x01,
  SERIAL: 0x02,
  ISSUER: 0x05,
  VALID_TIME: 0x06,
  SUBJECT: 0x07,
  DER_PUBLIC_KEY: 0x08,
  DER_EXTENSIONS: 0x09,
  /** Not in the standard; several client scripts use it for the start of validity. */
  NOT_BEFORE: 0x10,
  EXT_AUTHORITY_KEY_IDENTIFIER: 0x11,
  EXT_SUBJECT_KEY_IDENTIFIER: 0x12,
  EXT_KEY_USAGE: 0x13,
  EXT_CERTIFICATE_POLICIES: 0x15,
  EXT_BASIC_CONSTRAINTS: 0x17,
  EXT_EXT_KEY_USAGE: 0x19,
  EXT_CRL_DISTRIBUTION_POINTS: 0x1a,
  ISSUER_CN: 0x21,
  ISSUER_O: 0x22,
  ISSUER_OU: 0x23,
  SUBJECT_CN: 0x31,
  SUBJECT_O: 0x32,
  SUBJECT_OU: 0x33,
  SUBJECT_EMAIL: 0x34,
  NOTBEFORE_TIME: 0x35,
  NOTAFTER_TIME: 0x36,
} as const;

/** SOF_SignMessage's first argument: 0 = attached (带原文), 1 = detached (不带原文). */
export const SIGN_MESSAGE_ATTACHED = 0;
export const SIGN_MESSAGE_DETACHED = 1;

/** SOF_GetInfoFromSignedMessage types: the content, the signer certificate, the signature value. */
export const SIGNED_MESSAGE_INFO = { CONTENT: 1, CERTIFICATE: 2, SIGNATURE: 3 } as const;

/** GM/T 0006 signature method ids of SOF_SetSignMethod / SOF_GetSignMethod. */
export const SGD_SIGN_METHOD = { SM3_RSA: 0x00010001, SHA1_RSA: 0x00010002, SHA256_RSA: 0x00010004, SM3_SM2: 0x00020201 } as const;

/** GM/T 0020 SOR_* error codes (and three of GM/T 0016 for the PIN), as SOF_GetLastError returns them. */
export const SOR = {
  OK: 0,
  UNKNOWN: 0x0b000001,
  NOT_SUPPORT_YET: 0x0b000002,
  TIMEOUT: 0x0b000101,
  INDATA_LEN: 0x0b000200,
  INDATA: 0x0b000201,
  KEY_NOT_FOUND: 0x0b000309,
  CERT_NOT_FOUND: 0x0b000310,
  CERT_ENCODE: 0x0b000405,
  CERT_INVALID: 0x0b000406,
  CERT_HAS_EXPIRED: 0x0b000407,
  SIGN_DATA: 0x0b000409,
  VERIFY_SIGN_DATA: 0x0b000410,
  PARAMETER_NOT_SUPPORT: 0x0b000419,
  /** GM/T 0016 SAR_DEVICE_REMOVED. */
  DEVICE_REMOVED: 0x0a000023,
  /** GM/T 0016 SAR_PIN_INCORRECT. */
  PIN_INCORRECT: 0x0a000024,
  /** GM/T 0016 SAR_PIN_LOCKED. */
  PIN_LOCKED: 0x0a000025,
  /** GM/T 0016 SAR_PIN_LEN_RANGE. */
  PIN_LEN_RANGE: 0x0a000027,
  /** Assistant-defined (0x0B00F0xx, outside the standard's range): the site is not trusted and the user has not allowed it. */
  ORIGIN_NOT_ALLOWED: 0x0b00f001,
  /** Assistant-defined: the user refused the site in the consent dialog. */
  USER_DENIED: 0x0b00f002,
  /** Assistant-defined: the user closed the PIN dialog. */
  USER_CANCELLED: 0x0b00f003,
  /** Assistant-defined: too many requests from this page at once. */
  BUSY: 0x0b00f004,
  /** Assistant-defined: the signature could not be recorded in the audit log, so none was made. */
  AUDIT_FAILED: 0x0b00f005,
  /** Assistant-defined: a time-stamp was asked for and could not be had (TIMESTAMP_*), so no signature. */
  TIMESTAMP_FAILED: 0x0b00f006,
} as const;

/** The SOF_GetLastError code for each reason of protocol v1. */
export const SOR_OF_REASON: Record<Reason, number> = {
  BAD_REQUEST: SOR.INDATA,
  METHOD_NOT_FOUND: SOR.NOT_SUPPORT_YET,
  ORIGIN_NOT_ALLOWED: SOR.ORIGIN_NOT_ALLOWED,
  USER_DENIED: SOR.USER_DENIED,
  USER_CANCELLED: SOR.USER_CANCELLED,
  TIMEOUT: SOR.TIMEOUT,
  NO_TOKEN: SOR.CERT_NOT_FOUND,
  TOKEN_REMOVED: SOR.DEVICE_REMOVED,
  CERT_NOT_FOUND: SOR.CERT_NOT_FOUND,
  KEY_NOT_FOUND: SOR.KEY_NOT_FOUND,
  CERT_EXPIRED: SOR.CERT_HAS_EXPIRED,
  CERT_UNUSABLE: SOR.CERT_INVALID,
  UNSUPPORTED_ALGORITHM: SOR.PARAMETER_NOT_SUPPORT,
  PIN_INCORRECT: SOR.PIN_INCORRECT,
  PIN_LOCKED: SOR.PIN_LOCKED,
  PIN_LEN_RANGE: SOR.PIN_LEN_RANGE,
  MODULE_FAILED: SOR.SIGN_DATA,
  MODULE_CRASHED: SOR.SIGN_DATA,
  BUSY: SOR.BUSY,
  AUDIT_FAILED: SOR.AUDIT_FAILED,
  INTERNAL: SOR.UNKNOWN,
  TIMESTAMP_NOT_CONFIGURED: SOR.TIMESTAMP_FAILED,
  TIMESTAMP_UNAVAILABLE: SOR.TIMESTAMP_FAILED,
  TIMESTAMP_INVALID: SOR.TIMESTAMP_FAILED,
  // 移动签 is not reachable from SOF_* calls (no SOF function signs by phone).
  MOBILE_NOT_CONFIGURED: SOR.NOT_SUPPORT_YET,
  MOBILE_SERVICE_UNAVAILABLE: SOR.NOT_SUPPORT_YET,
  MOBILE_SERVICE_ERROR: SOR.NOT_SUPPORT_YET,
  MOBILE_EXPIRED: SOR.NOT_SUPPORT_YET,
  MOBILE_REJECTED: SOR.NOT_SUPPORT_YET,
  MOBILE_SIGNATURE_INVALID: SOR.NOT_SUPPORT_YET,
  MOBILE_WRONG_SEAL_KIND: SOR.NOT_SUPPORT_YET,
};
