// @ts-check
/**
 * Says plainly when the assistant behind this window is gone or was restarted.
 * The headless bridge (src-agent/ui/headless/client-script.ts) fires
 * `assistant-connection` on window: 'lost' (no answer; it keeps retrying),
 * 'restarted' (a new run refused this window's session: it can never work
 * again) and 'ok'. Electron's windows belong to the running app and never
 * see these events.
 */
import { h, t } from './i18n.js';

export function watchConnection() {
  const banner = h('div', { class: 'connection-banner', role: 'alert', id: 'connection-banner', hidden: true });
  document.body.prepend(banner);
  window.addEventListener('assistant-connection', (event) => {
    const state = /** @type {CustomEvent<string>} */ (event).detail;
    if (state === 'ok') {
      banner.hidden = true;
      document.body.classList.remove('stale');
      return;
    }
    banner.replaceChildren(h('strong', {}, t(state === 'restarted' ? 'connRestartedTitle' : 'connLostTitle')), h('div', {}, t(state === 'restarted' ? 'connRestartedText' : 'connLostText')));
    banner.hidden = false;
    document.body.classList.add('stale');
  });
}
