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
  /**
   * Opens the assistant's 移动签 QR dialog. The agent drives it through the
   * handle (QR, state) and reads the user's 刷新二维码 / 取消 from it; the
   * dialog closes when the signal aborts or the agent closes it.
   */
  openMobileSign(request: MobileSignRequest, signal?: AbortSignal): MobileSignDialog;
}

export interface MobileSignRequest {
  /** The asking web origin. */
  origin: string;
  /** What the site says it is signing — shown labelled as the site's claim. */
  documentName?: string;
  /** The short fingerprint of the requested hash, as the phone shows it. */
  fingerprint: string;
  sealKind: 'organization' | 'personal';
}

/** What the QR dialog says about the session. */
export type MobileSignState =
  | { kind: 'waiting' }
  | { kind: 'scanned'; name: string }
  | { kind: 'signed' }
  | { kind: 'rejected' }
  | { kind: 'expired' }
  | { kind: 'failed'; textZh: string; textEn: string };

export interface MobileSignDialog {
  /** Shows a QR (the first, and each after 刷新二维码) with its expiry time. */
  showQr(qr: { text: string; expiresAt: string }): Promise<void>;
  update(state: MobileSignState): void;
  /** The user's next click: 刷新二维码 or 取消 ('cancel' too when the dialog was closed by the signal). */
  nextAction(): Promise<'refresh' | 'cancel'>;
  /** Ends the dialog (the request is over); idempotent. */
  close(): void;
}

export interface PinRequest {
  /** The asking web origin; null when the assistant itself asks (环境检测). */
  origin: string | null;
  /** `check`: 环境检测 asks; the dialog offers to skip this key instead of cancelling. */
  purpose?: 'check';
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
  /** N of the “本次会话 N 分钟内不再询问” tick the dialog offers (off until the user ticks it); absent: no tick. */
  reuseMinutes?: number;
}

/** `reuse`: the user ticked “本次会话 N 分钟内不再询问” (ignored unless the request offered it). */
export type PinAnswer = { kind: 'pin'; pin: Buffer; reuse?: boolean } | { kind: 'pin-pad'; reuse?: boolean } | { kind: 'cancel' };

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
