/**
 * The consent rule both endpoints share (protocol v1 and the compatibility
 * endpoint), through one gate per running server: a trusted origin, or one the
 * user allowed “always”, passes; any other asks the user in the assistant's
 * consent dialog, and “仅此一次” covers the one request that asked.
 *
 * The dialogs' bounds hold across all connections and both endpoints: at most
 * MAX_PENDING_CONSENTS_PER_ORIGIN open per origin and MAX_PENDING_CONSENTS_TOTAL
 * together (the rest refused BUSY at once, never queued). An origin the user
 * answered 拒绝 for is refused for the rest of the run whatever connection,
 * endpoint or method it comes back with; “始终拒绝” lives in the ConsentStore.
 */
import { DIALOG_TIMEOUT_MS, MAX_PENDING_CONSENTS_PER_ORIGIN, MAX_PENDING_CONSENTS_TOTAL } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';
import type { ConsentAnswer } from '../ui/port.js';
import { logger } from '../util/log.js';
import type { ApiServices } from './context.js';
import type { Session } from './session.js';

const log = logger('api');

export class ConsentGate {
  readonly #open = new Map<string, number>();
  #total = 0;
  readonly #denied = new Set<string>();

  /** The user answered 拒绝 for this origin in this run. */
  denied(origin: string): boolean {
    return this.#denied.has(origin);
  }

  deny(origin: string): void {
    this.#denied.add(origin);
  }

  /**
   * Runs `ask` as one open dialog of `origin`.
   * @throws AssistantError BUSY when the origin (or everyone together) has its dialogs open already.
   */
  async run<T>(origin: string, ask: () => Promise<T>): Promise<T> {
    const mine = this.#open.get(origin) ?? 0;
    if (mine >= MAX_PENDING_CONSENTS_PER_ORIGIN || this.#total >= MAX_PENDING_CONSENTS_TOTAL) {
      throw new AssistantError('BUSY', `consent dialog of ${origin} already open (${mine} of this origin, ${this.#total} in all)`, {
        detailZh: '互认助手中已有授权窗口在等待回答，请先在互认助手中处理。',
      });
    }
    this.#open.set(origin, mine + 1);
    this.#total++;
    try {
      return await ask();
    } finally {
      const left = (this.#open.get(origin) ?? 1) - 1;
      if (left > 0) this.#open.set(origin, left);
      else this.#open.delete(origin);
      this.#total--;
    }
  }
}

/**
 * Trusted, or allowed by the user: stored “always”, or asked now for this one
 * request. 拒绝 refuses the origin for the rest of the run, “始终拒绝” from now
 * on; while one of its dialogs is open its other requests are refused BUSY.
 * @throws AssistantError USER_DENIED, BUSY, USER_CANCELLED (connection closed), TIMEOUT (no answer).
 */
export async function authorize(
  session: Session,
  method: string,
  services: Pick<ApiServices, 'consents' | 'consentGate' | 'ui'>,
  documentName?: string,
): Promise<void> {
  const { consents, consentGate: gate } = services;
  if (session.trusted || consents.has(session.origin)) return;
  if (consents.isBlocked(session.origin)) throw new AssistantError('USER_DENIED', `${session.origin} blocked by the user (始终拒绝)`);
  if (gate.denied(session.origin)) throw new AssistantError('USER_DENIED', `${session.origin} denied earlier in this run`);
  const answer = await gate.run(session.origin, () => askConsent(session, method, services, documentName));
  log.info('consent', { origin: session.origin, method, answer });
  if (answer === 'always') return consents.grant(session.origin);
  if (answer === 'once') return;
  if (answer === 'block') consents.block(session.origin);
  else gate.deny(session.origin);
  throw new AssistantError('USER_DENIED', `user denied ${session.origin} ${method}`);
}

function askConsent(session: Session, method: string, services: Pick<ApiServices, 'ui'>, documentName: string | undefined): Promise<ConsentAnswer> {
  const timeout = AbortSignal.timeout(DIALOG_TIMEOUT_MS);
  const signal = AbortSignal.any([session.signal, timeout]);
  return new Promise<ConsentAnswer>((resolve, reject) => {
    const onAbort = (): void => reject(new AssistantError(timeout.aborted ? 'TIMEOUT' : 'USER_CANCELLED', 'consent dialog ended without an answer'));
    signal.addEventListener('abort', onAbort, { once: true });
    services.ui
      .askConsent({ origin: session.origin, method, ...(documentName !== undefined ? { documentName } : {}) }, signal)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
