import { runChecks } from '../check/index.js';
import type { BrowserSeen } from '../check/types.js';
import type { RunCheck } from './context.js';

/**
 * check.run backed by the real 环境检测: the PIN for each token is asked in
 * the assistant's own dialog, a login made there becomes the user's login
 * (serving trusted origins until idle), progress goes to the asking page.
 */
export function checkRunner(browserSeen?: () => BrowserSeen[]): RunCheck {
  return (ctx) =>
    runChecks({
      core: ctx.core,
      ...(browserSeen ? { browserSeen } : {}),
      onLogin: (tokenId) => ctx.registerUserLogin(tokenId),
      signing: ctx.signing,
      onProgress: (event) => ctx.progress({ id: event.id, index: event.index, total: event.total, ...(event.status ? { status: event.status } : {}) }),
      pin: async (token) => {
        if (ctx.signal.aborted) return null;
        const answer = await ctx.ui.askPin({ origin: null, token: { id: token.id, label: token.label, manufacturer: token.manufacturer, serial: token.serial }, pin: token.pin, attempt: 1 }, ctx.signal);
        if (answer.kind === 'pin') return answer.pin;
        // A PIN-pad reader takes the PIN itself: an empty buffer asks C_Login without one.
        return answer.kind === 'pin-pad' ? Buffer.alloc(0) : null;
      },
    });
}
