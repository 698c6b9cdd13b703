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
import { HANDLERS } from './handlers/index.js';
import type { Session } from './session.js';

const log = logger('api');

export class Dispatcher {
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
    if (spec.access !== 'public') await this.#authorize(session, method);
    return HANDLERS[method](parsed, session, this.services);
  }

  /** Trusted, or allowed by the user (stored “always”, or asked now). */
  async #authorize(session: Session, method: string): Promise<void> {
    if (session.trusted || this.services.consents.has(session.origin)) return;
    if (session.consents.get(method) === 'deny') throw new AssistantError('USER_DENIED', `consent for ${method} denied earlier on this connection`);
    let ask = session.consentAsks.get(method);
    if (!ask) {
      ask = this.#askConsent(session, method);
      session.consentAsks.set(method, ask);
      void ask.finally(() => session.consentAsks.delete(method)).catch(() => undefined);
    }
    const answer = await ask;
    log.info('consent', { origin: session.origin, method, answer });
    if (answer === 'deny') {
      session.consents.set(method, 'deny');
      throw new AssistantError('USER_DENIED', `user denied ${session.origin} ${method}`);
    }
    if (answer === 'always') this.services.consents.grant(session.origin);
  }

  async #askConsent(session: Session, method: string): Promise<ConsentAnswer> {
    const timeout = AbortSignal.timeout(DIALOG_TIMEOUT_MS);
    const signal = AbortSignal.any([session.signal, timeout]);
    return new Promise<ConsentAnswer>((resolve, reject) => {
      const onAbort = (): void => reject(new AssistantError(timeout.aborted ? 'TIMEOUT' : 'USER_CANCELLED', 'consent dialog ended without an answer'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.services.ui
        .askConsent({ origin: session.origin, method }, signal)
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
