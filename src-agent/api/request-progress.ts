/**
 * `request.progress`: tells the page that a request of its own now waits for
 * the user in the assistant window (PIN or consent), so it can say so instead
 * of a spinner. The dispatcher runs each request inside `withRequest`; the UI
 * port the server hands to the login policy, the signing use case and
 * 环境检测 is wrapped by `reportingProgress`, which looks up the request at
 * the moment a dialog opens (AsyncLocalStorage follows the awaits in between,
 * whichever layer asks).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestProgressState } from '../protocol/types.js';
import type { UiPort } from '../ui/port.js';

type Report = (state: RequestProgressState) => void;
const current = new AsyncLocalStorage<Report>();

/** Runs `fn` as the handling of one request; `report` sends its request.progress events. */
export function withRequest<T>(report: Report, fn: () => Promise<T>): Promise<T> {
  return current.run(report, fn);
}

/** The UI port that reports each dialog to the request it is asked for (none outside a request). */
export function reportingProgress(ui: UiPort): UiPort {
  const report = (state: RequestProgressState): void => {
    try {
      current.getStore()?.(state);
    } catch {
      // A closed connection cannot be told; the dialog still opens.
    }
  };
  return {
    askPin(request, signal) {
      report('waiting-pin');
      return ui.askPin(request, signal);
    },
    askConsent(request, signal) {
      report('waiting-consent');
      return ui.askConsent(request, signal);
    },
    // The 移动签 dialog reports its own states (waiting-mobile-scan…) through sign.mobile's handler.
    openMobileSign: (request, signal) => ui.openMobileSign(request, signal),
    notify: (notice) => ui.notify(notice),
  };
}
