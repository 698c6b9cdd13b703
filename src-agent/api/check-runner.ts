import { runChecks } from '../check/index.js';
import type { BrowserSeen } from '../check/types.js';
import type { RunCheck } from './context.js';

/**
 * check.run backed by the real 环境检测: the PIN for each token is asked in
 * the assistant's own dialog, naming the asking site; a login made there is
 * that site's login only (another site signs with its own PIN), the test
 * signatures are the site's, and progress goes to the asking page.
 */
export function checkRunner(browserSeen?: () => BrowserSeen[]): RunCheck {
  return (ctx) =>
    runChecks({
      core: ctx.core,
      ...(browserSeen ? { browserSeen } : {}),
      onLogin: (tokenId) => ctx.registerLogin(tokenId),
      requester: { kind: 'site', origin: ctx.origin, trusted: true, signal: ctx.signal },
      signing: ctx.signing,
      onProgress: (event) => ctx.progress({ id: event.id, index: event.index, total: event.total, ...(event.status ? { status: event.status } : {}) }),
      pin: async (token) => {
        if (ctx.signal.aborted) return null;
        const answer = await ctx.ui.askPin({ origin: ctx.origin, token: { id: token.id, label: token.label, manufacturer: token.manufacturer, serial: token.serial }, pin: token.pin, attempt: 1 }, ctx.signal);
        if (answer.kind === 'pin') return answer.pin;
        // A PIN-pad reader takes the PIN itself: an empty buffer asks C_Login without one.
        return answer.kind === 'pin-pad' ? Buffer.alloc(0) : null;
      },
    });
}
