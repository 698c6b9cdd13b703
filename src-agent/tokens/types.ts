/** Data shapes the token layer hands to the rest of the agent. No JSON-RPC here. */

import type { PinSummary } from '../protocol/types.js';

/**
 * User-PIN state of a token, from CK_TOKEN_INFO flags and lengths (or SKF's
 * PIN info): what the protocol reports, plus whether the PIN must be changed.
 */
export interface PinState extends PinSummary {
  /** CKF_USER_PIN_TO_BE_CHANGED. */
  toBeChanged: boolean;
}

export interface TokenInfo {
  /** Stable id: derived from module path, manufacturer and serial. */
  id: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  /** Absolute path of the module that serves this token (`skf:`-prefixed for SKF libraries). */
  module: string;
  slotId: string;
  loggedIn: boolean;
  pin: PinState;
}

/** A certificate object found on a token. */
export interface TokenCertificate {
  /** Stable id: `<tokenId>.<first 16 hex of the SHA-256 fingerprint>`. */
  id: string;
  tokenId: string;
  /** CKA_ID in lower-case hex ('' when absent). */
  ckaId: string;
  /** CKA_LABEL. */
  label: string;
  der: Buffer;
  /**
   * A matching private key (CKA_ID, then public key) is on the token. `null`
   * when unknown: most keys show private objects only after login.
   */
  hasPrivateKey: boolean | null;
  /** Extra certificates the module offers for the chain (CKA_X509_CHAIN-style objects, other CA certs on the token). */
  chainDer: Buffer[];
}

/** A data object (CKO_DATA) read from a token, e.g. the seal image. */
export interface TokenDataObject {
  label: string;
  application: string;
  /** CKA_OBJECT_ID (DER, hex) when present. */
  objectId: string;
  value: Buffer;
}

/** What C_GetInfo says about a loaded module. */
export interface ModuleInfo {
  path: string;
  loaded: boolean;
  manufacturer?: string;
  description?: string;
  cryptokiVersion?: string;
  libraryVersion?: string;
  slots?: { slotId: string; description: string; tokenPresent: boolean; mechanisms: string[] }[];
  /** Not loaded because this other module path names the same library file (a link, another spelling, a copy). */
  duplicateOf?: string;
  /** Chinese explanation when it failed to load. */
  errorZh?: string;
  reason?: string;
}

/**
 * Raw signing mechanisms the token layer offers the PKI layer: RSA PKCS#1 v1.5
 * over a DigestInfo, ECDSA over a hash, and SM2 over the 32-byte
 * e = SM3(Z ‖ M) the agent computed (GM/T 0009; the token adds no Z). ECDSA
 * and SM2 signatures come back DER `SEQUENCE { r, s }`.
 */
export type SignMechanism = 'RSA_PKCS' | 'ECDSA' | 'SM2_SM3';

/** One physical key (manufacturer + serial) and every driver that reached it; the token list shows it once, through the kept driver. */
export interface PhysicalKey {
  /** Id of the token the agent lists (the kept driver's). */
  tokenId: string;
  label: string;
  manufacturer: string;
  serial: string;
  drivers: { module: string; tokenId: string; kept: boolean }[];
}
