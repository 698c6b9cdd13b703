import type { SignMechanism } from './types.js';

/**
 * Messages between the agent and a token host child process (IPC with
 * `serialization: 'advanced'`, so Buffers travel as bytes). Slot ids are hex
 * strings of the module's CK_SLOT_ID (PKCS#11) or `<hex device>.<hex application>`
 * (SKF); the agent treats them as opaque.
 */
export type HostRequest =
  | { op: 'info' }
  | { op: 'slots'; mechanisms?: boolean }
  | { op: 'objects'; slotId: string }
  | { op: 'login'; slotId: string; pin: Uint8Array }
  | { op: 'logout'; slotId: string }
  | { op: 'loginState'; slotId: string }
  | { op: 'sign'; slotId: string; ckaId: string; certDer: Uint8Array; mechanism: SignMechanism; data: Uint8Array }
  /** C_Finalize + C_Initialize: the module rescans its slots (probe hosts only; drops logins). */
  | { op: 'reinit' }
  /** Returns and clears the PKCS#11 call trace (when tracing is on). */
  | { op: 'trace' }
  /** Test hook: the host exits abruptly (only when CA_ASSISTANT_TEST_HOOKS=1). */
  | { op: 'crash' }
  /** Test hook: the host blocks forever (only when CA_ASSISTANT_TEST_HOOKS=1). */
  | { op: 'hang' };

export interface RawModuleInfo {
  manufacturer: string;
  description: string;
  cryptokiVersion: string;
  libraryVersion: string;
}

export interface RawTokenInfo {
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  flags: number;
  minPinLen: number;
  maxPinLen: number;
  /** User-PIN tries left, when the provider knows the count (SKF_GetPINInfo); PKCS#11 gives flags only. */
  pinRetries?: number;
}

export interface RawSlot {
  slotId: string;
  description: string;
  tokenPresent: boolean;
  token?: RawTokenInfo;
  mechanisms?: string[];
}

export interface RawCert {
  ckaId: string;
  label: string;
  der: Buffer;
  /** CKA_CERTIFICATE_CATEGORY (2 = authority) when the module reports it. */
  category?: number;
  /** A matching private key is visible (false may mean: not visible before login). */
  hasPrivateKey: boolean;
  /** `hasPrivateKey` holds even before login (SKF containers are public; an encryption certificate never signs). */
  privateKeyKnown?: boolean;
}

export interface RawDataObject {
  label: string;
  application: string;
  objectId: string;
  value: Buffer;
}

export interface RawObjects {
  certs: RawCert[];
  data: RawDataObject[];
  /** Whether private objects were visible (the token was logged in). */
  loggedIn: boolean;
}

export interface TraceEntry {
  fn: string;
  args: string;
  rv: string;
  ms: number;
}

/**
 * A request as it crosses the IPC channel: a login carries the PIN's length
 * only. Its bytes go over the PIN channel (the child's fd 4, a plain pipe)
 * from the agent's own Buffer, which is zeroed once written; over IPC they
 * would be copied into Node's serialization buffers, which nobody zeroes.
 */
export type HostWireRequest = Exclude<HostRequest, { op: 'login' }> | { op: 'login'; slotId: string; pinBytes: number };

/** The child's file descriptor of the PIN channel. */
export const PIN_CHANNEL_FD = 4;

export interface HostCall {
  id: number;
  request: HostWireRequest;
}

/** An error as it crosses from a host: the reason, the log message, and the details the wire may carry. */
export interface HostError {
  reason: string;
  message: string;
  ckr?: string;
  /** A Chinese detail line for the user (e.g. which vendor-table entry is missing). */
  detailZh?: string;
}

export type HostReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: HostError };

/** First message a host sends: the module loaded and initialized, or why not. */
export type HostHello = { hello: true; ok: true } | { hello: true; ok: false; error: HostError };

/**
 * argv[2] of a host forked ahead of need (see host-process.ts): it loads no
 * module until the agent's first message, a {@link HostOpen}, names one.
 */
export const WAIT_FOR_MODULE_ARG = '--wait-for-module';

/** The first message to a host started with {@link WAIT_FOR_MODULE_ARG}: what its argv would have said. */
export interface HostOpen {
  open: { modulePath: string; sm2?: string };
}
