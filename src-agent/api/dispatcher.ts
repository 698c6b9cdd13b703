/**
 * One frame in, one reply out: parsing, method lookup, access (trusted origin,
 * stored or fresh consent), per-connection limits, params, the handler, and
 * the mapping of every error to a JSON-RPC error reply. Never throws.
 */
import { DIALOG_TIMEOUT_MS, MAX_PENDING_PER_CONNECTION } from '../limits.js';
import { AssistantError, toAssistantError } from '../protocol/errors.js';
import { errorReply, parseFrame, resultReply } from '../protocol/jsonrpc.js';
import { isMethodName, METHODS, parseParams } from '../protocol/methods.js';
import type { JsonRpcId, MethodName, MethodResult } from '../protocol/types.js';
import type { ConsentAnswer } from '../ui/port.js';
import { logger } from '../util/log.js';
import type { ApiServices } from './context.js';
import { ConsentGate } from './consent-gate.js';
import { HANDLERS } from './handlers/index.js';
import type { Session } from './session.js';

const log = logger('api');

export class Dispatcher {
  readonly #gate = new ConsentGate();

  constructor(private readonly services: ApiServices) {}

  /** Handles one text frame; resolves to the reply frame (JSON text). */
  async dispatch(session: Session, text: string): Promise<string> {
    const { lang } = this.services;
    const parsed = parseFrame(text, lang);
    if (!parsed.ok) return JSON.stringify(parsed.errorReply);
    const { id, method, params } = parsed.request;
    if (id === undefined) {
      return JSON.stringify(errorReply(null, new AssistantError('BAD_REQUEST', 'requests need an id; notifications are not accepted'), lang, -32600));
    }
    if (!session.bucket.take()) {
      if (!session.overRate.take()) session.flooding = true;
      return this.#error(id, new AssistantError('BUSY', 'request rate exceeded'), session, method);
    }
    if (session.pending >= MAX_PENDING_PER_CONNECTION) return this.#error(id, new AssistantError('BUSY', 'too many pending requests'), session, method);
    session.pending++;
    try {
      if (!isMethodName(method)) throw new AssistantError('METHOD_NOT_FOUND', `unknown method ${method.slice(0, 64)}`);
      const result = await this.#call(method, params, session);
      return JSON.stringify(resultReply(id, result));
    } catch (error) {
      return this.#error(id, error, session, method);
    } finally {
      session.pending--;
    }
  }

  async #call<M extends MethodName>(method: M, params: unknown, session: Session): Promise<MethodResult<M>> {
    const spec = METHODS[method];
    if (spec.access !== 'public' && session.originClass === 'refused') {
      throw new AssistantError('ORIGIN_NOT_ALLOWED', `origin ${session.origin} may not call ${method}`);
    }
    if (spec.access === 'trusted' && !session.trusted) {
      throw new AssistantError('ORIGIN_NOT_ALLOWED', `${method} is for trusted origins only; ${session.origin} is not one`, { detailZh: '环境检测只能由单位配置的可信商城网站发起，或在互认助手窗口中运行。' });
    }
    const parsed = parseParams(method, params);
    const documentName = (parsed as { document?: { name?: string } }).document?.name;
    if (spec.access !== 'public') await this.#authorize(session, method, documentName);
    return HANDLERS[method](parsed, session, this.services);
  }

  /**
   * Trusted, or allowed by the user: stored “always”, or asked now for this one
   * request (“仅此一次” covers the request that asked, nothing else). 拒绝 refuses
   * the origin for the rest of the run, “始终拒绝” from now on; while one of its
   * dialogs is open its other requests are refused BUSY (ConsentGate).
   */
  async #authorize(session: Session, method: string, documentName: string | undefined): Promise<void> {
    const { consents } = this.services;
    if (session.trusted || consents.has(session.origin)) return;
    if (consents.isBlocked(session.origin)) throw new AssistantError('USER_DENIED', `${session.origin} blocked by the user (始终拒绝)`);
    if (this.#gate.denied(session.origin)) throw new AssistantError('USER_DENIED', `${session.origin} denied earlier in this run`);
    const answer = await this.#gate.run(session.origin, () => this.#askConsent(session, method, documentName));
    log.info('consent', { origin: session.origin, method, answer });
    if (answer === 'always') return consents.grant(session.origin);
    if (answer === 'once') return;
    if (answer === 'block') consents.block(session.origin);
    else this.#gate.deny(session.origin);
    throw new AssistantError('USER_DENIED', `user denied ${session.origin} ${method}`);
  }

  async #askConsent(session: Session, method: string, documentName: string | undefined): Promise<ConsentAnswer> {
    const timeout = AbortSignal.timeout(DIALOG_TIMEOUT_MS);
    const signal = AbortSignal.any([session.signal, timeout]);
    return new Promise<ConsentAnswer>((resolve, reject) => {
      const onAbort = (): void => reject(new AssistantError(timeout.aborted ? 'TIMEOUT' : 'USER_CANCELLED', 'consent dialog ended without an answer'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.services.ui
        .askConsent({ origin: session.origin, method, ...(documentName !== undefined ? { documentName } : {}) }, signal)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  #error(id: JsonRpcId, error: unknown, session: Session, method: string): string {
    const e = toAssistantError(error);
    const fields = { origin: session.origin, session: session.id, method: method.slice(0, 64), reason: e.reason, error: e.message };
    if (e.reason === 'INTERNAL') log.error('request failed', { ...fields, stack: error instanceof Error ? error.stack : undefined });
    else log.info('request refused', fields);
    return JSON.stringify(errorReply(id, e, this.services.lang));
  }
}
