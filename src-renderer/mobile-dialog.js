// @ts-check
/**
 * The 移动签（公采签）QR dialog: the assistant's own window shows the site, the
 * document name as the site's claim, the hash fingerprint (the phone shows the
 * same), the QR with a countdown, the session's state, 刷新二维码 and 取消.
 * Driven by `mobileSign` events (the whole view each time) and `requestClosed`.
 */
import { h, t } from './i18n.js';

/** @param {any} assistant `window.assistant` (AssistantBridge) */
export function mountMobileDialog(assistant) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'modal mobile', 'aria-modal': 'true', 'aria-labelledby': 'mobile-title' }));
  document.body.append(dialog);
  /** @type {any} */
  let view = null;
  /** @type {any} */
  let ticker;

  const act = (action) => {
    if (!view) return;
    void assistant.answerMobileSign({ id: view.id, action }).catch(() => undefined);
  };

  const stateLine = (state) => {
    switch (state.kind) {
      case 'scanned': return h('p', { class: 'mobile-state info', role: 'status' }, t('mobileScanned', { name: state.name }));
      case 'signed': return h('p', { class: 'mobile-state ok', role: 'status' }, `✓ ${t('mobileSigned')}`);
      case 'rejected': return h('p', { class: 'mobile-state danger', role: 'alert' }, t('mobileRejected'));
      case 'expired': return h('p', { class: 'mobile-state warn', role: 'alert' }, t('mobileExpired'));
      case 'failed': return h('p', { class: 'mobile-state danger', role: 'alert' }, state.textZh);
      default: return h('p', { class: 'mobile-state', role: 'status' }, t('mobileWaiting'));
    }
  };

  const countdown = () => {
    const el = dialog.querySelector('.countdown');
    if (!el || !view?.qr) return;
    const left = Math.max(0, Math.round((Date.parse(view.qr.expiresAt) - Date.now()) / 1000));
    el.textContent = left > 0 ? t('mobileCountdown', { s: left }) : t('mobileExpiredShort');
  };

  const render = () => {
    const done = ['signed', 'rejected', 'failed'].includes(view.state.kind);
    const expired = view.state.kind === 'expired';
    dialog.replaceChildren(h('form', { method: 'dialog', class: 'mobile-form' },
      h('header', {},
        h('div', { class: 'asker-label', id: 'mobile-title' }, t('mobileTitle')),
        h('div', { class: 'asker', title: view.origin }, view.host),
        view.origin !== `https://${view.host}` ? h('div', { class: 'muted small origin' }, view.origin) : null),
      h('dl', { class: 'facts' },
        view.documentName !== undefined ? [h('dt', {}, t('pinDoc')), h('dd', { class: 'doc' }, `「${view.documentName}」`, h('div', { class: 'muted small' }, t('pinDocNote')))] : null,
        h('dt', {}, t('mobileSeal')), h('dd', {}, t(view.sealKind === 'organization' ? 'mobileSealOrg' : 'mobileSealPersonal')),
        h('dt', {}, t('mobileFingerprint')), h('dd', { class: 'fingerprint' }, view.fingerprint)),
      h('div', { class: `qr${expired || done ? ' stale' : ''}` },
        view.qr ? h('img', { src: view.qr.dataUrl, alt: t('mobileQrAlt'), width: 240, height: 240 }) : h('span', { class: 'spinner', 'aria-hidden': 'true' })),
      h('p', { class: 'muted small center' }, t('mobileHow'), ' ', h('span', { class: 'countdown' })),
      stateLine(view.state),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', onclick: () => act('cancel'), disabled: done }, t('cancel')),
        h('button', { type: 'button', class: expired ? 'primary' : '', 'data-autofocus': expired, onclick: () => act('refresh'), disabled: done || !view.qr }, t('mobileRefresh')))));
    countdown();
    if (!dialog.open) dialog.showModal();
  };

  assistant.on('mobileSign', (next) => {
    view = next;
    render();
    clearInterval(ticker);
    ticker = setInterval(countdown, 1000);
  });
  assistant.on('requestClosed', ({ id }) => {
    if (view?.id !== id) return;
    view = null;
    clearInterval(ticker);
    dialog.close();
    dialog.replaceChildren();
  });
  // Esc is 取消.
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    act('cancel');
  });
}
