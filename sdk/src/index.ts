/** ca-assistant-sdk: the browser client for the 互认助手 local API (protocol v1). */
export { connect, localNetworkPermission, DEFAULT_URL, type ConnectOptions } from './connect.js';
export {
  AssistantClient,
  INTERACTIVE_METHODS,
  type CallOptions,
  type ClientEvents,
  type ClientTimeouts,
  type CloseInfo,
  type SignHashInput,
  type SignMobileInput,
  type VerifyCmsInput,
} from './client.js';
export { AssistantError, isAssistantError, type AssistantErrorInit, type SdkReason } from './assistant-error.js';
export { AssistantUnavailableError, isAssistantUnavailableError, type UnavailableReason } from './assistant-unavailable-error.js';
export { CLIENT_REASONS, type ClientReason, type ClientReasonInfo } from './client-reasons.js';
export { bytesToBase64 } from './base64.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
export type {
  AuthChallengeResult,
  AuthPayload,
  CertificateKind,
  CertificateSummary,
  CertsChainResult,
  CheckCategory,
  CheckProgressEvent,
  CheckReport,
  CheckResult,
  CheckStatus,
  CmsProfile,
  DocumentClaim,
  HashAlgorithm,
  HelloResult,
  MethodMap,
  MethodName,
  PinSummary,
  Problem,
  Reason,
  RequestProgressEvent,
  RequestProgressState,
  SealKind,
  SealResult,
  SignatureFormat,
  SignerSummary,
  SignerVerification,
  ValidityTime,
  SignHashResult,
  SignMobileResult,
  TokenSummary,
  VerifyCmsResult,
} from '../../src-agent/protocol/types.js';
