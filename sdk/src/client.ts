import type {
  AuthChallengeResult,
  CertificateKind,
  CertificateSummary,
  CertsChainResult,
  CheckProgressEvent,
  CheckReport,
  CmsProfile,
  DocumentClaim,
  ErrorObject,
  HashAlgorithm,
  HelloResult,
  MethodName,
  MethodParams,
  MethodResult,
  RequestProgressState,
  SealKind,
  SealResult,
  SignatureFormat,
  SignHashResult,
  SignMobileResult,
  TokenSummary,
  VerifyCmsResult,
} from '../../src-agent/protocol/types.js';
import { AssistantError, type SdkReason } from './assistant-error.js';
import { toBase64 } from './base64.js';
import { CLIENT_REASONS, type ClientReason } from './client-reasons.js';
import { Emitter } from './emitter.js';
import { WS_OPEN, type WebSocketLike } from './websocket.js';

/** Methods that may open an assistant dialog (PIN, 环境检测) even for a trusted site. */
export const INTERACTIVE_METHODS: readonly MethodName[] = ['sign.hash', 'sign.mobile', 'auth.challenge', 'check.run'];

export interface ClientTimeouts {
  /** Per-request timeout for calls that open no dialog, ms. */
  requestTimeoutMs: number;
  /** Per-request timeout for calls that may wait for the user in a dialog, ms. */
  dialogTimeoutMs: number;
}

export interface CloseInfo {
  /** WebSocket close code. */
  code: number;
  /** The page called `close()`. */
  byClient: boolean;
}

/** Per call: told while the request waits for the user in the assistant window. */
export interface CallOptions {
  /**
   * `waiting-pin`: the clerk types the PIN in the assistant window (show
   * 请在互认助手窗口中输入 PIN 码); `waiting-consent`: the clerk allows the site
   * there. Later assistants may add states: show a generic wait for unknown ones.
   */
  onProgress?: (state: RequestProgressState) => void;
}

export interface ClientEvents extends Record<string, unknown[]> {
  tokensChanged: [tokens: TokenSummary[]];
  /** Any request of this connection waits for the user (PIN, consent, the 移动签 QR, the phone; the same states as `onProgress`). */
  requestProgress: [progress: { method: MethodName; state: RequestProgressState }];
  checkProgress: [progress: CheckProgressEvent];
  close: [info: CloseInfo];
}

export interface SignHashInput {
  certId: string;
  /** The digest: bytes, or base64. */
  hash: Uint8Array | string;
  hashAlgorithm: HashAlgorithm;
  /** Default `cms`. */
  format?: SignatureFormat;
  /** CMS encoding: `cms` (RFC 5652 content types, the assistant's default) or `gmt0010` (GM/T 0010, SM2 certificates only). */
  profile?: CmsProfile;
  document?: DocumentClaim;
  /**
   * Ask for an RFC 3161 trusted time-stamp in the CMS (PAdES B-T), from the TSA the assistant is
   * configured with (`hello().capabilities.timestamp`). A TSA failure rejects the call
   * (`TIMESTAMP_UNAVAILABLE`, `TIMESTAMP_INVALID`, `TIMESTAMP_NOT_CONFIGURED`); never a signature without it.
   */
  timestamp?: boolean;
}

/** 移动签（公采签）: the phone signs; no certificate id (the key is on the phone). */
export interface SignMobileInput {
  hash: Uint8Array | string;
  hashAlgorithm: 'sha256' | 'sha384' | 'sha512';
  /** 单位公章 (`organization`) or 个人签章 (`personal`). */
  sealKind: SealKind;
  document?: DocumentClaim;
  /** Ask for an RFC 3161 trusted time-stamp in the phone's CMS (PAdES B-T), as `signHash` does. */
  timestamp?: boolean;
  /** What the request waits for now: `waiting-mobile-scan`, `waiting-mobile-confirm`, `mobile-qr-expired`. */
  onProgress?: (state: RequestProgressState) => void;
}

export interface VerifyCmsInput {
  signature: Uint8Array | string;
  hash: Uint8Array | string;
  hashAlgorithm: HashAlgorithm;
}

interface Pending {
  method: MethodName;
  onProgress: CallOptions['onProgress'];
  resolve: (value: unknown) => void;
  reject: (error: AssistantError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Restarts the timeout (a progress event: the assistant waits for the user). */
  rearm(): void;
}

/** Builds the SDK error for a reason the SDK raises itself. */
export function clientError(reason: ClientReason, detail?: string): AssistantError {
  const info = CLIENT_REASONS[reason];
  return new AssistantError({
    reason,
    code: info.code,
    message: info.zh,
    remedy: info.remedyZh,
    messageEn: info.en,
    remedyEn: info.remedyEn,
    ...(detail ? { detail } : {}),
  });
}

/** Turns a JSON-RPC error object from the assistant into an AssistantError. */
export function fromErrorObject(error: Partial<ErrorObject> | undefined): AssistantError {
  const data: Partial<ErrorObject['data']> = typeof error?.data === 'object' && error.data !== null ? error.data : {};
  const reason: SdkReason = typeof data.reason === 'string' ? data.reason : 'INTERNAL';
  return new AssistantError({
    reason,
    code: typeof error?.code === 'number' ? error.code : -32603,
    message: typeof error?.message === 'string' && error.message ? error.message : '互认助手内部错误',
    remedy: typeof data.remedy === 'string' ? data.remedy : '请重启互认助手后重试；如仍失败，请在互认助手中导出诊断报告发给客服。',
    ...(typeof data.messageEn === 'string' ? { messageEn: data.messageEn } : {}),
    ...(typeof data.remedyEn === 'string' ? { remedyEn: data.remedyEn } : {}),
    ...(typeof data.retriesLeft === 'number' ? { retriesLeft: data.retriesLeft } : {}),
    ...(typeof data.ckr === 'string' ? { ckr: data.ckr } : {}),
    ...(typeof data.detailZh === 'string' ? { detail: data.detailZh } : {}),
  });
}

/**
 * A connection to the assistant. Create it with `connect()`. Every method
 * rejects with an `AssistantError`; when the socket closes, pending calls
 * reject with `CONNECTION_LOST` and the `close` event fires once.
 */
export class AssistantClient {
  /** What `system.hello` said when the connection was made. */
  info: HelloResult | undefined;
  readonly #socket: WebSocketLike;
  readonly #timeouts: ClientTimeouts;
  readonly #pending = new Map<number, Pending>();
  readonly #events = new Emitter<ClientEvents>();
  #nextId = 1;
  #closed = false;
  #closedByClient = false;

  constructor(socket: WebSocketLike, timeouts: ClientTimeouts) {
    this.#socket = socket;
    this.#timeouts = timeouts;
    socket.onmessage = (event: { data: unknown }) => this.#onMessage(event.data);
    socket.onclose = (event: { code?: number }) => this.#onClose(event.code ?? 1006);
    socket.onerror = () => {};
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one request and resolves with its result. */
  call<M extends MethodName>(method: M, params: MethodParams<M>, options: CallOptions = {}): Promise<MethodResult<M>> {
    if (this.#closed || this.#socket.readyState !== WS_OPEN) return Promise.reject(clientError('CONNECTION_LOST'));
    const id = this.#nextId++;
    const mayWait = INTERACTIVE_METHODS.includes(method) || (method !== 'system.hello' && this.info?.trusted !== true);
    const timeoutMs = mayWait ? Math.max(this.#timeouts.requestTimeoutMs, this.#timeouts.dialogTimeoutMs) : this.#timeouts.requestTimeoutMs;
    return new Promise<MethodResult<M>>((resolve, reject) => {
      const expire = (): void => {
        this.#pending.delete(id);
        reject(clientError('TIMEOUT', `${method} 超过 ${Math.round(timeoutMs / 1000)} 秒未响应`));
      };
      const entry: Pending = {
        method,
        onProgress: options.onProgress,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: setTimeout(expire, timeoutMs),
        rearm: () => {
          clearTimeout(entry.timer);
          entry.timer = setTimeout(expire, timeoutMs);
        },
      };
      this.#pending.set(id, entry);
      try {
        this.#socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      } catch {
        clearTimeout(entry.timer);
        this.#pending.delete(id);
        reject(clientError('CONNECTION_LOST'));
      }
    });
  }

  async hello(client?: string): Promise<HelloResult> {
    const info = await this.call('system.hello', client === undefined ? {} : { client });
    this.info = info;
    return info;
  }

  async listTokens(): Promise<TokenSummary[]> {
    return (await this.call('tokens.list', {})).tokens;
  }

  async listCerts(filter: { tokenId?: string; kind?: CertificateKind } = {}): Promise<CertificateSummary[]> {
    return (await this.call('certs.list', filter)).certs;
  }

  getChain(certId: string): Promise<CertsChainResult> {
    return this.call('certs.chain', { certId });
  }

  getSeal(certId: string): Promise<SealResult> {
    return this.call('seals.get', { certId });
  }

  signHash(input: SignHashInput, options?: CallOptions): Promise<SignHashResult> {
    const { certId, hash, hashAlgorithm, format = 'cms', profile, document, timestamp } = input;
    return this.call('sign.hash', {
      certId, hash: toBase64(hash), hashAlgorithm, format, ...(profile ? { profile } : {}), ...(document ? { document } : {}), ...(timestamp ? { timestamp: true } : {}),
    }, options);
  }

  /**
   * 移动签（公采签）: the assistant shows its QR dialog, the user scans it with 公采易通 and
   * confirms on the phone; resolves with the verified CMS and the seal image chosen.
   * Rejects MOBILE_* reasons (see the reason table), USER_CANCELLED when the user cancels the QR dialog.
   */
  signMobile(input: SignMobileInput): Promise<SignMobileResult> {
    const { hash, hashAlgorithm, sealKind, document, timestamp, onProgress } = input;
    return this.call('sign.mobile', { hash: toBase64(hash), hashAlgorithm, format: 'cms', sealKind, ...(document ? { document } : {}), ...(timestamp ? { timestamp: true } : {}) }, onProgress ? { onProgress } : {});
  }

  authChallenge(input: { certId: string; nonce: Uint8Array | string }, options?: CallOptions): Promise<AuthChallengeResult> {
    return this.call('auth.challenge', { certId: input.certId, nonce: toBase64(input.nonce) }, options);
  }

  verifyCms(input: VerifyCmsInput): Promise<VerifyCmsResult> {
    return this.call('verify.cms', { signature: toBase64(input.signature), hash: toBase64(input.hash), hashAlgorithm: input.hashAlgorithm });
  }

  /** Runs 环境检测; progress arrives as `checkProgress` events. */
  runCheck(options?: CallOptions): Promise<CheckReport> {
    return this.call('check.run', {}, options);
  }

  async logout(tokenId: string): Promise<void> {
    await this.call('session.logout', { tokenId });
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  off<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): void {
    this.#events.off(event, listener);
  }

  /** Closes the connection; pending calls reject with CONNECTION_LOST. */
  close(): void {
    if (this.#closed) return;
    this.#closedByClient = true;
    try {
      this.#socket.close(1000);
    } finally {
      this.#onClose(1000);
    }
  }

  #onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const { id, method, params, result, error } = frame as Record<string, unknown>;
    if (typeof id === 'number') {
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      if (error !== undefined) pending.reject(fromErrorObject(error as Partial<ErrorObject>));
      else pending.resolve(result);
      return;
    }
    if (id === undefined && typeof params === 'object' && params !== null) {
      if (method === 'tokens.changed') {
        const { tokens } = params as { tokens?: unknown };
        if (Array.isArray(tokens)) this.#events.emit('tokensChanged', tokens as TokenSummary[]);
      } else if (method === 'check.progress') {
        this.#events.emit('checkProgress', params as CheckProgressEvent);
      } else if (method === 'request.progress') {
        const { id: requestId, state } = params as { id?: unknown; state?: unknown };
        const pending = typeof requestId === 'number' ? this.#pending.get(requestId) : undefined;
        if (!pending || typeof state !== 'string' || state.length > 64) return;
        const progress = state as RequestProgressState;
        // The assistant waits for the user (PIN, consent, a phone): the request's timeout starts again.
        pending.rearm();
        try {
          pending.onProgress?.(progress);
        } finally {
          this.#events.emit('requestProgress', { method: pending.method, state: progress });
        }
      }
    }
  }

  #onClose(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.onmessage = this.#socket.onclose = null;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(clientError('CONNECTION_LOST'));
    }
    this.#pending.clear();
    this.#events.emit('close', { code, byClient: this.#closedByClient });
  }
}
