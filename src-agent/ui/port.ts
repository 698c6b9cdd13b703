import type { PinState } from '../tokens/types.js';

/**
 * How the agent talks to the user: the assistant's own PIN and consent
 * dialogs and notices. Implemented by the Electron windows (src-main), the
 * headless web UI (src-agent/ui/headless) and a scripted UI for tests. The
 * agent never knows which one it has.
 */
export interface UiPort {
  /** Asks for the user PIN. Resolves with the PIN (a Buffer the caller zeroes), a PIN-pad go-ahead, or a cancel. */
  askPin(request: PinRequest, signal?: AbortSignal): Promise<PinAnswer>;
  /** Asks whether an origin that is not trusted may use the keys. */
  askConsent(request: ConsentRequest, signal?: AbortSignal): Promise<ConsentAnswer>;
  /** A non-blocking notice (e.g. after each signature). */
  notify(notice: Notice): void;
}

export interface PinRequest {
  /** The asking web origin; null when the assistant itself asks (环境检测). */
  origin: string | null;
  token: { id: string; label: string; manufacturer: string; serial: string };
  /** The certificate about to be used, when there is one. */
  cert?: { subject: string; issuer: string; notAfter: string; kind: 'organization' | 'personal' | 'unknown' };
  /** What the site says it is signing — shown labelled as the site's claim. */
  documentName?: string;
  pin: PinState;
  /** 1 for the first ask; more after a wrong PIN. */
  attempt: number;
  /** Set when asking again after a wrong PIN. */
  lastError?: 'PIN_INCORRECT' | 'PIN_LEN_RANGE';
}

export type PinAnswer = { kind: 'pin'; pin: Buffer } | { kind: 'pin-pad' } | { kind: 'cancel' };

export interface ConsentRequest {
  origin: string;
  /** The method that needs consent, e.g. `certs.list`. */
  method: string;
  /** For a signature: what the site claims it signs (shown labelled as the site's claim). */
  documentName?: string;
}

/**
 * `once`: this one request. `always`: the site from now on (persisted).
 * `deny`: refuse, and refuse this site without asking for the rest of the run.
 * `block`: refuse this site without asking from now on (persisted).
 */
export type ConsentAnswer = 'once' | 'always' | 'deny' | 'block';

export type Notice =
  | { kind: 'signed'; origin: string | null; documentName?: string; certSubject: string; time: string }
  | { kind: 'info'; textZh: string; textEn?: string };
