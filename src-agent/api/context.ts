import type { Lang } from '../protocol/jsonrpc.js';
import type { CheckReport, JsonRpcId, MethodName, MethodParams, MethodResult } from '../protocol/types.js';
import type { AgentCore } from '../service/agent-core.js';
import type { UiPort } from '../ui/port.js';
import type { ConsentStore } from '../service/consent-store.js';
import type { SigningUseCase } from '../service/signing/index.js';
import type { ConsentGate } from './consent-gate.js';
import type { Session } from './session.js';

/** What check.run hands to the 环境检测 runner (src-agent/check). */
export interface CheckRunContext {
  core: AgentCore;
  ui: UiPort;
  /** The page that asked (a trusted origin: check.run is for those only). */
  origin: string;
  /**
   * Registers a login made in this check's PIN dialog, for the asking origin
   * only: a page-initiated 环境检测 never makes a login anyone else may use.
   */
  registerLogin(tokenId: string): void;
  /** The signing use case, for 环境检测's audited test signatures. */
  signing: SigningUseCase;
  /** Sends a `check.progress` event to the page that asked. */
  progress(event: { id: string; index: number; total: number; status?: 'ok' | 'warn' | 'fail' | 'skipped' }): void;
  signal: AbortSignal;
  /** The signature audit log's file: the keys sites signed with lately are asked first. */
  auditFile?: string;
}

/** Runs 环境检测 (injected; provided by src-agent/check). */
export type RunCheck = (ctx: CheckRunContext) => Promise<CheckReport>;

/** Everything a handler may use. Handlers never see the socket. */
export interface ApiServices {
  core: AgentCore;
  ui: UiPort;
  /** Every signature goes through here (login policy, audit, notice). */
  signing: SigningUseCase;
  consents: ConsentStore;
  /** The consent dialogs' bounds and this run's 拒绝, shared by protocol v1 and the compatibility endpoint. */
  consentGate: ConsentGate;
  lang: Lang;
  runCheck?: RunCheck;
}

/** The request being handled, beyond its params. */
export interface RequestInfo {
  /** Its JSON-RPC id (what `request.progress` events name). */
  id: JsonRpcId;
}

export type Handler<M extends MethodName> = (params: MethodParams<M>, session: Session, services: ApiServices, request: RequestInfo) => Promise<MethodResult<M>>;

export type HandlerTable = { readonly [M in MethodName]: Handler<M> };
