/**
 * The consent rule both endpoints share (protocol v1 and the compatibility
 * endpoint): a trusted origin, or one the user allowed “always”, passes; any
 * other asks the user in the assistant's consent dialog, one dialog per method
 * and connection at a time, and a “deny” holds for the rest of the connection.
 */
import { DIALOG_TIMEOUT_MS } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';
import type { ConsentAnswer } from '../ui/port.js';
import { logger } from '../util/log.js';
import type { ApiServices } from './context.js';
import type { Session } from './session.js';

const log = logger('api');

/** @throws AssistantError USER_DENIED, USER_CANCELLED (connection closed), TIMEOUT (no answer). */
export async function authorize(session: Session, method: string, services: Pick<ApiServices, 'consents' | 'ui'>): Promise<void> {
  if (session.trusted || services.consents.has(session.origin)) return;
  if (session.consents.get(method) === 'deny') throw new AssistantError('USER_DENIED', `consent for ${method} denied earlier on this connection`);
  let ask = session.consentAsks.get(method);
  if (!ask) {
    ask = askConsent(session, method, services);
    session.consentAsks.set(method, ask);
    void ask.finally(() => session.consentAsks.delete(method)).catch(() => undefined);
  }
  const answer = await ask;
  log.info('consent', { origin: session.origin, method, answer });
  if (answer === 'deny') {
    session.consents.set(method, 'deny');
    throw new AssistantError('USER_DENIED', `user denied ${session.origin} ${method}`);
  }
  if (answer === 'always') services.consents.grant(session.origin);
}

function askConsent(session: Session, method: string, services: Pick<ApiServices, 'ui'>): Promise<ConsentAnswer> {
  const timeout = AbortSignal.timeout(DIALOG_TIMEOUT_MS);
  const signal = AbortSignal.any([session.signal, timeout]);
  return new Promise<ConsentAnswer>((resolve, reject) => {
    const onAbort = (): void => reject(new AssistantError(timeout.aborted ? 'TIMEOUT' : 'USER_CANCELLED', 'consent dialog ended without an answer'));
    signal.addEventListener('abort', onAbort, { once: true });
    services.ui
      .askConsent({ origin: session.origin, method }, signal)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
