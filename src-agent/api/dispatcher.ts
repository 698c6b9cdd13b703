/**
 * One frame in, one reply out: parsing, method lookup, access (trusted origin,
 * stored or fresh consent), per-connection limits, params, the handler, and
 * the mapping of every error to a JSON-RPC error reply. Never throws.
 */
import { MAX_PENDING_PER_CONNECTION } from '../limits.js';
import { AssistantError, toAssistantError } from '../protocol/errors.js';
import { errorReply, parseFrame, resultReply } from '../protocol/jsonrpc.js';
import { isMethodName, METHODS, parseParams } from '../protocol/methods.js';
import type { JsonRpcId, MethodName, MethodResult } from '../protocol/types.js';
import { logger } from '../util/log.js';
import { traceStep } from '../util/request-trace.js';
import { authorize } from './consent-gate.js';
import type { ApiServices } from './context.js';
import { HANDLERS } from './handlers/index.js';
import { withRequest } from './request-progress.js';
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
      const result = await withRequest((state) => session.notify('request.progress', { id, state }), () => this.#call(method, params, session, id));
      return JSON.stringify(resultReply(id, result));
    } catch (error) {
      return this.#error(id, error, session, method);
    } finally {
      session.pending--;
    }
  }

  async #call<M extends MethodName>(method: M, params: unknown, session: Session, id: JsonRpcId): Promise<MethodResult<M>> {
    const spec = METHODS[method];
    if (spec.access !== 'public' && session.originClass === 'refused') {
      throw new AssistantError('ORIGIN_NOT_ALLOWED', `origin ${session.origin} may not call ${method}`);
    }
    if (spec.access === 'trusted' && !session.trusted) {
      throw new AssistantError('ORIGIN_NOT_ALLOWED', `${method} is for trusted origins only; ${session.origin} is not one`, { detailZh: '环境检测只能由单位配置的可信商城网站发起，或在互认助手窗口中运行。' });
    }
    const parsed = parseParams(method, params);
    traceStep('params checked');
    const documentName = (parsed as { document?: { name?: string } }).document?.name;
    if (spec.access !== 'public') await authorize(session, method, this.services, documentName);
    traceStep('authorized');
    return HANDLERS[method](parsed, session, this.services, { id });
  }

  #error(id: JsonRpcId, error: unknown, session: Session, method: string): string {
    const e = toAssistantError(error);
    const fields = { origin: session.origin, session: session.id, method: method.slice(0, 64), reason: e.reason, error: e.message };
    if (e.reason === 'INTERNAL') log.error('request failed', { ...fields, stack: error instanceof Error ? error.stack : undefined });
    else log.info('request refused', fields);
    return JSON.stringify(errorReply(id, e, this.services.lang));
  }
}
