/**
 * The PIN asks of 环境检测 through the assistant's own PIN dialog: shared by
 * the assistant window's 环境检测 (headless bridge, Electron) and the API's
 * `check.run`, so both ask the same way (again after a wrong PIN, with a
 * 跳过 button instead of 取消).
 */
import type { PinAsk } from './types.js';
import type { TokenInfo } from '../tokens/types.js';
import type { UiPort } from '../ui/port.js';

/**
 * A `RunChecksOptions.pin` over a UiPort; null (skip the key) on cancel or when
 * `signal` is aborted. `origin` is the site that started the check (named in
 * every dialog); null for the user's own 环境检测 in the assistant.
 */
export function checkPinFromUi(ui: UiPort, signal: AbortSignal, origin: string | null = null): (token: TokenInfo, ask: PinAsk) => Promise<Buffer | null> {
  return async (token, ask) => {
    if (signal.aborted) return null;
    const answer = await ui.askPin({
      origin,
      purpose: 'check',
      token: { id: token.id, label: token.label, manufacturer: token.manufacturer, serial: token.serial },
      pin: { ...token.pin },
      attempt: ask.attempt,
      ...(ask.lastError ? { lastError: ask.lastError } : {}),
    }, signal);
    if (answer.kind === 'pin') return answer.pin;
    // A PIN-pad reader takes the PIN itself: an empty buffer asks C_Login without one.
    return answer.kind === 'pin-pad' ? Buffer.alloc(0) : null;
  };
}
