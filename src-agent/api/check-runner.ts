import { runChecks } from '../check/index.js';
import type { BrowserSeen, CompatPortState } from '../check/types.js';
import { recentTokens } from '../service/recent-uses.js';
import { checkPinFromUi } from '../check/ui-pin.js';
import type { RunCheck } from './context.js';

/**
 * check.run backed by the real 环境检测: the PIN for each token is asked in
 * the assistant's own dialog, naming the asking site; a login made there is
 * that site's and nobody else's (another site signs with its own PIN), the
 * test signatures are the site's, and progress goes to the asking page.
 * The keys sites signed with lately are asked first; a key at its final try is not asked.
 */
export function checkRunner(browserSeen?: () => BrowserSeen[], compat?: () => CompatPortState): RunCheck {
  return async (ctx) =>
    runChecks({
      core: ctx.core,
      ...(ctx.auditFile ? { preferredTokens: await recentTokens(ctx.core.certs, ctx.auditFile) } : {}),
      ...(browserSeen ? { browserSeen } : {}),
      ...(compat ? { compat } : {}),
      onLogin: (tokenId) => ctx.registerLogin(tokenId),
      requester: { kind: 'site', origin: ctx.origin, trusted: true, signal: ctx.signal },
      signing: ctx.signing,
      onProgress: (event) => ctx.progress({ id: event.id, index: event.index, total: event.total, ...(event.status ? { status: event.status } : {}) }),
      pin: checkPinFromUi(ctx.ui, ctx.signal, ctx.origin),
    });
}
