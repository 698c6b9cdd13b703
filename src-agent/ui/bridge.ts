/**
 * THE bridge between the assistant's pages (src-renderer) and the agent: one
 * runtime list of methods (with parameter schemas) and events, from which the
 * headless HTTP bridge (src-agent/ui/headless) and Electron's preload derive
 * their implementations, and `AssistantBridge`, the type of `window.assistant`.
 * The pages know nothing else of the agent.
 */
import { z } from 'zod';
import type { CheckReport, CheckStatus } from '../protocol/types.js';
import type { ConsentAnswer, MobileSignState } from './port.js';

/** Longest PIN accepted over the bridge, bytes (default 64). */
export const MAX_BRIDGE_PIN_BYTES = 64;

const empty = z.strictObject({});
const requestId = z.string().min(1).max(64);

/** A method: its params schema and (type-only) result. */
interface MethodDef<P extends z.ZodType, R> {
  params: P;
  /** Phantom: carries the result type, never read. */
  result?: R;
}
const method = <R>() => <P extends z.ZodType>(params: P): MethodDef<P, R> => ({ params });

/** Every bridge method. Results are JSON; the PIN travels as UTF-8 byte values so the agent can zero it. */
export const BRIDGE_METHODS = {
  /** The status header: keys, certificates, logins, whether the API listens. */
  getStatus: method<StatusView>()(empty),
  /**
   * Runs 环境检测 (PIN asked through the PIN dialog); progress arrives as `checkProgress`.
   * `pinTokens`: the keys whose PIN to check, in order (absent: the key the mall used last first, none at its final try).
   */
  runCheck: method<CheckReport>()(z.strictObject({ pinTokens: z.array(z.string().min(1).max(200)).max(32).optional() })),
  /** The dialogs open now: a page that connects after they were asked shows them (events are not replayed to it). */
  pendingDialogs: method<{ dialogs: PendingDialogView[] }>()(empty),
  /** Answers an open PIN dialog. */
  answerPin: method<Record<string, never>>()(
    z.strictObject({ id: requestId, kind: z.enum(['pin', 'pin-pad', 'cancel']), pin: z.array(z.number().int().min(0).max(255)).max(MAX_BRIDGE_PIN_BYTES).optional(), reuse: z.boolean().optional() }),
  ),
  /** Answers an open consent dialog. */
  answerConsent: method<Record<string, never>>()(z.strictObject({ id: requestId, answer: z.enum(['once', 'always', 'deny', 'block']) })),
  /** A click in an open 移动签 QR dialog: 刷新二维码 or 取消. */
  answerMobileSign: method<Record<string, never>>()(z.strictObject({ id: requestId, action: z.enum(['refresh', 'cancel']) })),
  /** Answers an open confirmation (a change of drivers asked for by setSettings). */
  answerConfirm: method<Record<string, never>>()(z.strictObject({ id: requestId, answer: z.enum(['confirm', 'cancel']) })),
  listCerts: method<{ certs: CertView[] }>()(empty),
  /** Trusted origins (config, read-only) and the ones the user allowed “always”. */
  listOrigins: method<{ trusted: string[]; allowed: string[] }>()(empty),
  revokeOrigin: method<{ allowed: string[] }>()(z.strictObject({ origin: z.string().min(1).max(300) })),
  getSettings: method<SettingsView>()(empty),
  /**
   * Saves settings into the config file; port and drivers apply at the next
   * start. A change of drivers (code the next start loads) is written only after
   * the user confirms it in a `confirmRequest` dialog; refused: USER_DENIED.
   */
  setSettings: method<SettingsView & { saved: boolean; restartNeeded: boolean }>()(
    z.strictObject({
      pinReuseMinutes: z.number().int().min(0).max(480).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      modules: z.array(z.string().min(1).max(1000)).max(50).optional(),
      language: z.enum(['zh-CN', 'en']).optional(),
    }),
  ),
  /** Writes the support report under the data directory; opens the folder when a desktop exists. */
  exportReport: method<{ dir: string; html: string; json: string; opened: boolean }>()(empty),
} as const;

export type BridgeMethodName = keyof typeof BRIDGE_METHODS;
export type BridgeParams<M extends BridgeMethodName> = z.input<(typeof BRIDGE_METHODS)[M]['params']>;
export type BridgeResult<M extends BridgeMethodName> = NonNullable<(typeof BRIDGE_METHODS)[M]['result']>;

/** Every event the agent pushes to the pages, with its payload. */
export interface BridgeEventMap {
  /** A PIN dialog to show (also replayed to a page that connects while it is open). */
  pinRequest: PinDialogView;
  consentRequest: ConsentDialogView;
  /** A 移动签 QR dialog opened or changed (the whole view each time). */
  mobileSign: MobileSignDialogView;
  /** A change that needs the user's confirmation in the assistant's own dialog (drivers). */
  confirmRequest: ConfirmDialogView;
  /** A dialog ended: answered here or elsewhere, cancelled by the agent, or timed out. */
  requestClosed: { id: string; reason: 'answered' | 'cancelled' | 'timeout' };
  checkProgress: { id: string; index: number; total: number; status?: CheckStatus; titleZh?: string };
  notice: NoticeView;
  tokensChanged: { tokens: TokenView[] };
}
export type BridgeEventName = keyof BridgeEventMap;
export const BRIDGE_EVENTS = ['pinRequest', 'consentRequest', 'confirmRequest', 'mobileSign', 'requestClosed', 'checkProgress', 'notice', 'tokensChanged'] as const satisfies readonly BridgeEventName[];

/** `window.assistant`: what the pages call. Implemented by the headless client script and by Electron's preload. */
export type AssistantBridge = {
  [M in BridgeMethodName]: (params: BridgeParams<M>) => Promise<BridgeResult<M>>;
} & {
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends BridgeEventName>(event: E, handler: (payload: BridgeEventMap[E]) => void): () => void;
};

// ---- the views the pages render ---------------------------------------------

export interface TokenView {
  id: string;
  label: string;
  manufacturer: string;
  serial: string;
  loggedIn: boolean;
  pin: { minLength: number; maxLength: number; protectedAuthPath: boolean; countLow: boolean; finalTry: boolean; locked: boolean; retriesLeft?: number };
}

export interface StatusView {
  agent: { listening: boolean; port: number | null };
  tokens: TokenView[];
  /** Common names of the user certificates, per token id; `lastUsed` (ISO 8601) when a site signed with it lately. */
  certs: { tokenId: string; name: string; kind: 'organization' | 'personal' | 'unknown'; lastUsed?: string }[];
  language: 'zh-CN' | 'en';
}

export interface CertView {
  id: string;
  tokenId: string;
  tokenLabel: string;
  kind: 'organization' | 'personal' | 'unknown';
  name: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  keyUsage: string[];
  extKeyUsage: string[];
  keyAlgorithm: string;
  fingerprintSha256: string;
  hasPrivateKey: boolean;
  /** The one chain verdict (service/chain-verdict.ts): `trusted` the chain, `valid` the dates, the label says both. */
  chain: { subjects: string[]; trusted: boolean; valid: boolean; labelZh: string; labelEn: string; problems: { zh: string; en: string }[] };
  /** `data:` URL of the seal image, for organization certificates that have one. */
  seal: { dataUrl: string; widthMm?: number; heightMm?: number } | null;
}

export interface SettingsView {
  /** N of the PIN dialog's “本次会话 N 分钟内不再询问” tick; 0: no tick. */
  pinReuseMinutes: number;
  port: number;
  modules: string[];
  language: 'zh-CN' | 'en';
  /** The config file settings are saved to; null when the assistant runs without one. */
  configFile: string | null;
}

export interface PinDialogView {
  id: string;
  /** The asking web origin; null when the assistant itself asks (环境检测). */
  origin: string | null;
  /** The origin's host, shown large. */
  host: string | null;
  /** `check`: asked by 环境检测; the dialog's second button skips this key. */
  purpose?: 'check';
  token: { id: string; label: string; serial: string };
  cert?: { name: string; subject: string; issuer: string; notAfter: string; kind: 'organization' | 'personal' | 'unknown' };
  documentName?: string;
  pin: TokenView['pin'];
  attempt: number;
  lastError?: 'PIN_INCORRECT' | 'PIN_LEN_RANGE';
  /** N of the “本次会话 N 分钟内不再询问” tick to offer (unticked); absent: no tick. */
  reuseMinutes?: number;
}

export interface ConsentDialogView {
  id: string;
  origin: string;
  host: string;
  method: string;
  /** For a signature: the site's claim of what it signs. */
  documentName?: string;
}

export interface ConfirmDialogView {
  id: string;
  /** What changes: the driver (PKCS#11 / SKF module) list. */
  kind: 'modules';
  before: string[];
  after: string[];
}

export interface MobileSignDialogView {
  id: string;
  origin: string;
  host: string;
  documentName?: string;
  /** Short fingerprint of the hash, the same the phone shows. */
  fingerprint: string;
  sealKind: 'organization' | 'personal';
  /** The QR as a PNG data URL, with its expiry; null until the service gave one. */
  qr: { dataUrl: string; expiresAt: string } | null;
  state: MobileSignState;
}
export type PendingDialogView = { kind: 'pin'; view: PinDialogView } | { kind: 'consent'; view: ConsentDialogView } | { kind: 'confirm'; view: ConfirmDialogView };

export interface NoticeView {
  kind: 'signed' | 'info';
  origin: string | null;
  host: string | null;
  documentName?: string;
  certName?: string;
  textZh?: string;
  textEn?: string;
  time: string;
}

export type { ConsentAnswer };
