import type { CheckReport, CheckResult } from '../protocol/types.js';
import { toAssistantError, REASONS } from '../protocol/errors.js';
import type { CertEntry } from '../service/cert-service.js';
import { createSigning, type SigningUseCase } from '../service/signing/index.js';
import type { UiPort } from '../ui/port.js';
import { logger } from '../util/log.js';
import { browserChecks } from './browser.js';
import { certificateChecks } from './certificates.js';
import { driverChecks } from './drivers.js';
import { keyChecks } from './keys.js';
import { pinKeypairChecks } from './pin-keypair.js';
import { sealChecks } from './seal.js';
import { serviceChecks } from './service.js';
import { assistantVersion, systemChecks } from './system.js';
import type { CheckContext, CheckGroup, RunChecksOptions } from './types.js';

const log = logger('check');

/** For a run without the assistant's windows: test signatures use the login the run made, never a dialog. */
const NO_DIALOGS: UiPort = {
  askPin: async () => ({ kind: 'cancel' }),
  askConsent: async () => 'deny',
  notify: () => undefined,
};

/** The groups in the order a user meets them. */
export const CHECK_GROUPS: readonly CheckGroup[] = [
  systemChecks, serviceChecks, driverChecks, keyChecks, certificateChecks, pinKeypairChecks, sealChecks, browserChecks,
];

/**
 * Runs 环境检测: every group in order, reporting progress as it goes. A group
 * that throws yields one `fail` line naming the group; the run continues. Never
 * throws for a check's sake; the PIN buffers it is given are zeroed.
 */
export async function runChecks(options: RunChecksOptions): Promise<CheckReport> {
  const startedAt = new Date();
  const now = options.now ?? startedAt;
  const results: CheckResult[] = [];
  const cache = new Map<string, Promise<CertEntry[]>>();
  const total = CHECK_GROUPS.length;
  let own: SigningUseCase | undefined;
  const signing = (): SigningUseCase => options.signing ?? (own ??= createSigning(options.core, { ui: NO_DIALOGS }));

  for (const [index, group] of CHECK_GROUPS.entries()) {
    options.onProgress?.({ id: group.id, index, total });
    let last = performance.now();
    const ctx: CheckContext = {
      options,
      core: options.core,
      now,
      tokens: options.core.tokens.tokens(),
      signing,
      entries(tokenId, fresh = false) {
        let list = fresh ? undefined : cache.get(tokenId);
        if (!list) {
          list = options.core.certs.list(tokenId);
          cache.set(tokenId, list);
        }
        return list;
      },
      emit(outcome) {
        const t = performance.now();
        const result: CheckResult = { ...outcome, category: outcome.category ?? group.category, durationMs: Math.round(t - last) };
        last = t;
        results.push(result);
        options.onProgress?.({ id: result.id, index, total, status: result.status, titleZh: result.titleZh });
      },
    };
    try {
      await group.run(ctx);
    } catch (error) {
      const e = toAssistantError(error);
      log.error('check group failed', { group: group.id, reason: e.reason, error: e.message });
      ctx.emit({
        id: `${group.id}.error`,
        titleZh: `${group.titleZh}检测出错`,
        titleEn: `${group.id} checks failed to run`,
        status: 'fail',
        detailZh: `检测过程中出错：${e.details.detailZh ?? REASONS[e.reason].zh}`,
        detailEn: `The checks stopped with ${e.reason}`,
        remedyZh: REASONS[e.reason].remedyZh,
        remedyEn: REASONS[e.reason].remedyEn,
        data: { reason: e.reason },
      });
    }
  }
  if (own) {
    // The logins belong to whoever ran the check; only this run's policy and audit file end here.
    own.policy.stop();
    own.audit.close();
  }
  const summary = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const r of results) summary[r.status]++;
  return { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), version: assistantVersion(), summary, checks: results };
}
