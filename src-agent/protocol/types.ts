/**
 * Protocol v1 data shapes: params, results and events of every method. Types
 * only: the SDK imports this file with `import type`, so it must never gain
 * runtime code or import anything but types. The zod schemas in `schemas.ts`
 * are checked against the params types here at compile time.
 */
import type { Reason } from './reasons.js';

export type { Reason };

/** Protocol version carried in `system.hello`. */
export type ProtocolVersion = 1;
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512' | 'sm3';
/** `cms`: detached CMS SignedData (PDF/.p7s); `raw`: the bare signature value. */
export type SignatureFormat = 'cms' | 'raw';
export type CertificateKind = 'organization' | 'personal' | 'unknown';
/** Standard base64 (RFC 4648 §4, with padding). */
export type Base64 = string;
/** Date and time, ISO 8601 in UTC, e.g. `2025-03-01T08:00:00.000Z`. */
export type IsoDateTime = string;

// ---- params ---------------------------------------------------------------

export interface HelloParams {
  /** Free-form client name and version, e.g. `mall-web/2.3`, for the assistant's log. */
  client?: string;
}
export type EmptyParams = Record<string, never>;
export interface CertsListParams {
  tokenId?: string;
  kind?: CertificateKind;
}
export interface CertIdParams {
  certId: string;
}
/** What the site claims it is signing; shown in the PIN dialog labelled as the site's claim. */
export interface DocumentClaim {
  name: string;
}
export interface SignHashParams {
  certId: string;
  /** The digest to sign; its length must match `hashAlgorithm`. */
  hash: Base64;
  hashAlgorithm: HashAlgorithm;
  format: SignatureFormat;
  /** CMS encoding for `format: "cms"`: RFC 5652 content types (default) or GM/T 0010's (SM2 certificates only). */
  profile?: CmsProfile;
  document?: DocumentClaim;
  /**
   * Add an RFC 3161 signature time-stamp (PAdES B-T) from the TSA the assistant is
   * configured with; `format: "cms"` only. Off unless asked. When the TSA fails the call
   * fails (TIMESTAMP_*), never a signature without the time-stamp.
   */
  timestamp?: boolean;
}
export type CmsProfile = 'cms' | 'gmt0010';
/** The seal a 移动签 signature is for: 单位公章 (organization certificate) or 个人签章 (personal certificate). */
export type SealKind = 'organization' | 'personal';
/**
 * `sign.mobile`: sign.hash's hash parameters without `certId` (the phone holds
 * the key) plus the seal kind. Phones sign P-256 with SHA-2, so `sm3` is refused.
 */
export interface SignMobileParams {
  hash: Base64;
  hashAlgorithm: 'sha256' | 'sha384' | 'sha512';
  format: 'cms';
  sealKind: SealKind;
  document?: DocumentClaim;
  /** Add an RFC 3161 signature time-stamp to the phone's CMS, as `sign.hash` does (checked before the QR is shown). */
  timestamp?: boolean;
}
export interface AuthChallengeParams {
  certId: string;
  /** The mall's random challenge, 16..64 bytes. */
  nonce: Base64;
}
export interface VerifyCmsParams {
  /** Detached CMS SignedData (DER). */
  signature: Base64;
  hash: Base64;
  hashAlgorithm: HashAlgorithm;
}
export interface LogoutParams {
  tokenId: string;
}

// ---- results --------------------------------------------------------------

export interface HelloResult {
  product: 'ca-assistant';
  /** Assistant version, semver. */
  version: string;
  protocol: ProtocolVersion;
  /** The origin the assistant saw for this connection. */
  origin: string;
  /** The origin may call every method without asking the user. */
  trusted: boolean;
  capabilities: {
    hashAlgorithms: HashAlgorithm[];
    signatureFormats: SignatureFormat[];
    /** A time-stamping authority is configured: `sign.hash` accepts `timestamp: true`. */
    timestamp: boolean;
  };
}

export interface PinSummary {
  minLength: number;
  maxLength: number;
  /** The PIN is typed on the reader's own PIN pad. */
  protectedAuthPath: boolean;
  countLow: boolean;
  finalTry: boolean;
  locked: boolean;
  /** 0 when locked, 1 at the final try; absent when the token does not say. */
  retriesLeft?: number;
}
export interface TokenSummary {
  id: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  /** File name or path of the PKCS#11 module serving the token. */
  module: string;
  loggedIn: boolean;
  pin: PinSummary;
}
export interface TokensListResult {
  tokens: TokenSummary[];
}

export interface CertificateSummary {
  id: string;
  tokenId: string;
  kind: CertificateKind;
  /** Subject DN for display, e.g. `CN=某某公司,O=某某公司,C=CN`. */
  subject: string;
  issuer: string;
  /** Lower-case hex. */
  serialNumber: string;
  notBefore: IsoDateTime;
  notAfter: IsoDateTime;
  /** Key usage names as in RFC 5280, e.g. `digitalSignature`, `nonRepudiation`. */
  keyUsage: string[];
  /** e.g. `RSA-2048`, `EC-P256`, `SM2`. */
  keyAlgorithm: string;
  /** Lower-case hex. */
  fingerprintSha256: string;
  hasSealImage: boolean;
  der: Base64;
}
export interface CertsListResult {
  certs: CertificateSummary[];
}

/** One thing wrong with a chain or a signature. `code` is stable (UPPER_SNAKE). */
export interface Problem {
  code: string;
  messageZh: string;
  messageEn: string;
}
export interface CertsChainResult {
  /** DER certificates, leaf first. */
  chain: Base64[];
  trusted: boolean;
  problems: Problem[];
}

export interface SealResult {
  mime: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/bmp';
  image: Base64;
  widthMm?: number;
  heightMm?: number;
  /** Where the image came from: a data object on the token, or the assistant's config. */
  source: 'token' | 'config';
}

export interface SignHashResult {
  signature: Base64;
  format: SignatureFormat;
  /** e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `SM2-with-SM3`. */
  signatureAlgorithm: string;
  /** Signer certificate, DER. */
  certificate: Base64;
}

/** `sign.mobile`: sign.hash's result plus the seal image the user chose on the phone. */
export interface SignMobileResult extends SignHashResult {
  sealKind: SealKind;
  seal: { mime: 'image/png'; image: Base64; widthMm?: number; heightMm?: number };
}

/**
 * What the assistant signs for `auth.challenge`: serialized by
 * `serializeAuthPayload` as compact UTF-8 JSON with exactly these keys in
 * this order.
 */
export interface AuthPayload {
  type: 'ca-assistant/auth';
  /** The origin of the page that asked, as the assistant saw it. */
  origin: string;
  /** The mall's nonce, as sent. */
  nonce: Base64;
  /** 16 random bytes chosen by the assistant, so a page never picks the whole signed text. */
  serverNonce: Base64;
  time: IsoDateTime;
}
export interface AuthChallengeResult {
  /** Signer certificate, DER. */
  certificate: Base64;
  /** The exact signed text (serialized `AuthPayload`). */
  payload: string;
  /** Detached CMS SignedData over the hash of the UTF-8 payload. The mall verifies it and checks origin and nonce. */
  signature: Base64;
  /** The payload's hash: `sm3` for SM2 certificates (SM2 signs SM3 only), else `sha256`. */
  hashAlgorithm: 'sha256' | 'sm3';
}

export interface SignerSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  fingerprintSha256: string;
  notBefore: IsoDateTime;
  notAfter: IsoDateTime;
  der: Base64;
  signingTime?: IsoDateTime;
}
/**
 * The time certificate validity was judged at: `now` (the time of
 * verification; what `verify.cms` uses), or `signingTime` (the signer's own
 * claim, only when a caller asks for it). A trusted timestamp will add a
 * third source.
 */
export interface ValidityTime {
  time: IsoDateTime;
  /** `timestamp`: a valid RFC 3161 time-stamp's time; `now`: the time of verification; `signingTime`: the signer's claim (only when a caller asks, never on the wire). */
  source: 'now' | 'signingTime' | 'timestamp';
}
/** What one SignerInfo of the CMS came to. */
export interface SignerVerification {
  valid: boolean;
  /** null when its certificate is not in the CMS or the assistant's intermediates. */
  signer: SignerSummary | null;
  chainTrusted: boolean;
  validityTime: ValidityTime;
  /** This signer's time-stamp (RFC 3161), when its SignerInfo carries one. */
  timestamp?: TimestampSummary;
  problems: Problem[];
}
export interface VerifyCmsResult {
  /** Every signature is mathematically valid over the given hash and its certificate was valid at `validityTime`. */
  valid: boolean;
  /** The first signer; null when the CMS carries no usable signer certificate. */
  signer: SignerSummary | null;
  /** Every signer's chain reaches a trust anchor. */
  chainTrusted: boolean;
  /** When validity was judged (the first signer's; every signer's is in `signers`). */
  validityTime: ValidityTime;
  /** The first signer's time-stamp, when it carries one. */
  timestamp?: TimestampSummary;
  /** Every SignerInfo, in CMS order (empty when the CMS cannot be read). */
  signers: SignerVerification[];
  /** The problems of every signer. */
  problems: Problem[];
}

/** A signature time-stamp as verify.cms reports it. */
export interface TimestampSummary {
  /** Token valid: imprint over the signature value, token signature, TSA certificate with timeStamping, chain to a configured TSA root. */
  valid: boolean;
  /** The trusted time (TSTInfo genTime), ISO 8601; present when valid. */
  time?: string;
  /** Subject of the TSA certificate. */
  tsa?: string;
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';
export type CheckCategory =
  | 'system'
  | 'assistant'
  | 'browser'
  | 'driver'
  | 'token'
  | 'pin'
  | 'certificate'
  | 'seal'
  | 'signature';
/** One 环境检测 line. Text is Chinese first; remedies only where the user can act. */
export interface CheckResult {
  /** Stable id, e.g. `token.present`. */
  id: string;
  titleZh: string;
  titleEn: string;
  category: CheckCategory;
  status: CheckStatus;
  detailZh: string;
  detailEn?: string;
  remedyZh?: string;
  remedyEn?: string;
  durationMs: number;
  /** Machine-readable facts for the support report (never a PIN). */
  data?: Record<string, unknown>;
}
export interface CheckReport {
  startedAt: IsoDateTime;
  finishedAt: IsoDateTime;
  /** Assistant version. */
  version: string;
  summary: { ok: number; warn: number; fail: number; skipped: number };
  checks: CheckResult[];
}

export type LogoutResult = EmptyParams;

// ---- the method and event maps ---------------------------------------------

/** Every method of protocol v1 with its params and result. */
export interface MethodMap {
  'system.hello': { params: HelloParams; result: HelloResult };
  'tokens.list': { params: EmptyParams; result: TokensListResult };
  'certs.list': { params: CertsListParams; result: CertsListResult };
  'certs.chain': { params: CertIdParams; result: CertsChainResult };
  'seals.get': { params: CertIdParams; result: SealResult };
  'sign.hash': { params: SignHashParams; result: SignHashResult };
  'sign.mobile': { params: SignMobileParams; result: SignMobileResult };
  'auth.challenge': { params: AuthChallengeParams; result: AuthChallengeResult };
  'verify.cms': { params: VerifyCmsParams; result: VerifyCmsResult };
  'check.run': { params: EmptyParams; result: CheckReport };
  'session.logout': { params: LogoutParams; result: LogoutResult };
}
export type MethodName = keyof MethodMap;
export type MethodParams<M extends MethodName> = MethodMap[M]['params'];
export type MethodResult<M extends MethodName> = MethodMap[M]['result'];

export interface TokensChangedEvent {
  tokens: TokenSummary[];
}
/** Sent to the page that called `check.run` before and after each check. */
export interface CheckProgressEvent {
  /** The check's id. */
  id: string;
  /** 0-based position of the check. */
  index: number;
  total: number;
  /** Absent when the check starts; its outcome when it ends. */
  status?: CheckStatus;
}
/**
 * What a pending request is waiting for. `waiting-pin` / `waiting-consent`: a
 * dialog in the assistant; `waiting-mobile-scan`: the 移动签 QR is shown;
 * `waiting-mobile-confirm`: a phone scanned it, the user confirms there;
 * `mobile-qr-expired`: the QR expired, the user may refresh it in the assistant.
 */
export type RequestProgressState = 'waiting-pin' | 'waiting-consent' | 'waiting-mobile-scan' | 'waiting-mobile-confirm' | 'mobile-qr-expired';
/** Sent to the page while one of its requests waits for the user. */
export interface RequestProgressEvent {
  /** The JSON-RPC id of the request. */
  id: JsonRpcId;
  state: RequestProgressState;
}
/** Every notification the assistant sends. */
export interface EventMap {
  'tokens.changed': TokensChangedEvent;
  'check.progress': CheckProgressEvent;
  'request.progress': RequestProgressEvent;
}
export type EventName = keyof EventMap;

// ---- wire frames --------------------------------------------------------------

export type JsonRpcId = string | number;
/** `error.data` of every error reply. */
export interface ErrorData {
  reason: Reason;
  /** The remedy in the reply's language (Chinese by default). */
  remedy: string;
  messageEn: string;
  remedyEn: string;
  retriesLeft?: number;
  /** The key driver's return code name: PKCS#11 (`CKR_DEVICE_ERROR`) or SKF (`SAR_PIN_INCORRECT`). */
  ckr?: string;
  /** A Chinese detail line safe to show the user. */
  detailZh?: string;
  /** For BAD_REQUEST: which params were wrong (paths and zod issue codes, never values). */
  issues?: { path: string; code: string }[];
}
export interface ErrorObject {
  code: number;
  message: string;
  data: ErrorData;
}
export interface ResultResponse<R = unknown> {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: R;
}
export interface ErrorResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: ErrorObject;
}
export interface NotificationFrame<E extends EventName = EventName> {
  jsonrpc: '2.0';
  method: E;
  params: EventMap[E];
}
