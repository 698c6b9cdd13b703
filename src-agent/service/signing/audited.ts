/**
 * The part every way to sign shares: one audit record per attempt, written
 * before the answer leaves and failing closed, then the user's notice. A
 * route (token CMS, a phone, a compatibility call) supplies `produce`; it
 * never writes audit records or notices itself.
 */
import { toAssistantError } from '../../protocol/errors.js';
import type { UiPort } from '../../ui/port.js';
import { logger } from '../../util/log.js';
import { traceStep } from '../../util/request-trace.js';
import type { AuditLog, AuditRecord } from './audit-log.js';
import { auditedRequester, originOf, type Requester } from './requester.js';

const log = logger('signing');

/** What the record says about the attempt; a route fills in what it learns (e.g. the fingerprint) while it runs. */
export type AuditFacts = Omit<AuditRecord, 'time' | 'origin' | 'channel' | 'result'>;

/** What the user's notice names, or undefined for none (test signatures never notify). */
export type NoticeFacts = { certSubject: string; documentName?: string } | undefined;

export interface AuditedDeps {
  audit: AuditLog;
  ui: Pick<UiPort, 'notify'>;
  now?: () => Date;
}

/**
 * Runs `produce` for `requester` and audits the outcome. On success the record
 * is written first: when it cannot be (AUDIT_FAILED), the value is dropped and
 * the error goes to the caller instead. A failure is audited with its reason
 * and rethrown. The notice goes out only after a successful record.
 */
export async function runAudited<T>(
  deps: AuditedDeps,
  requester: Requester,
  facts: AuditFacts,
  produce: (facts: AuditFacts) => Promise<T>,
  notice?: (value: T) => NoticeFacts,
): Promise<T> {
  const now = deps.now ?? (() => new Date());
  const record = (result: string): void => deps.audit.append({ time: now().toISOString(), ...auditedRequester(requester), ...facts, result });
  let value: T;
  try {
    value = await produce(facts);
  } catch (error) {
    try {
      record(toAssistantError(error).reason);
    } catch (auditError) {
      // Nothing leaves on this path; the caller learns the first cause.
      log.error('failed attempt not audited', { method: facts.method, error: String(auditError) });
    }
    throw error;
  }
  record('ok');
  traceStep('audited');
  const shown = facts.test ? undefined : notice?.(value);
  if (shown) {
    deps.ui.notify({
      kind: 'signed',
      origin: originOf(requester),
      certSubject: shown.certSubject,
      time: now().toISOString(),
      ...(shown.documentName !== undefined ? { documentName: shown.documentName } : {}),
    });
  }
  return value;
}
