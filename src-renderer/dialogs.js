// @ts-check
/**
 * The PIN and consent dialogs and the signature notice, driven by bridge
 * events. Used by the main window (headless UI) and by Electron's dialog window.
 */
import { watchConnection } from './connection.js';
import { h, t } from './i18n.js';
import { mountMobileDialog } from './mobile-dialog.js';

/** How long a submitted PIN dialog waits for the agent's verdict before closing, ms. */
const VERIFY_WAIT_MS = 6000;
/** How long a signature notice stays, ms. */
const NOTICE_MS = 8000;

/**
 * Which dialogs this page shows, from `?dialogs=` (src-agent/ui/pages.ts): Electron's main
 * window none (but confirmations), its PIN and consent windows one kind each; without it (headless UI) all.
 * @returns {{pin: boolean, consent: boolean, confirm: boolean}}
 */
export function dialogKinds(search = location.search) {
  const value = new URLSearchParams(search).get('dialogs');
  // A confirmation answers a change asked for in this window (drivers): every window but the PIN/consent-only ones shows it.
  if (value === 'none') return { pin: false, consent: false, confirm: true };
  if (value === 'pin' || value === 'consent') return { pin: value === 'pin', consent: value === 'consent', confirm: false };
  return { pin: true, consent: true, confirm: true };
}

/** @param {any} assistant `window.assistant` (AssistantBridge) */
export function mountDialogs(assistant) {
  mountMobileDialog(assistant);
  watchConnection();
  const kinds = dialogKinds();
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'modal', 'aria-modal': 'true' }));
  const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  document.body.append(dialog, toasts);
  /** @type {{kind: 'pin'|'consent'|'confirm', view: any}[]} */
  const queue = [];
  /** @type {{kind: 'pin'|'consent'|'confirm', view: any, state: 'open'|'verifying'|'locked', timer?: any} | null} */
  let current = null;

  const close = () => {
    if (current?.timer) clearTimeout(current.timer);
    current = null;
    dialog.close();
    dialog.replaceChildren();
    const next = queue.shift();
    if (next) show(next.kind, next.view);
  };

  /** @param {'pin'|'consent'|'confirm'} kind @param {any} view */
  const show = (kind, view) => {
    current = { kind, view, state: view.pin?.locked ? 'locked' : 'open' };
    dialog.replaceChildren(kind === 'pin' ? pinBody(view, current.state) : kind === 'confirm' ? confirmBody(view) : consentBody(view));
    dialog.className = 'modal ' + kind;
    if (!dialog.open) dialog.showModal();
    const focus = dialog.querySelector('[data-autofocus]');
    if (focus instanceof HTMLElement) focus.focus();
  };

  const answerPin = async (kind, pinText) => {
    if (!current) return;
    const id = current.view.id;
    const tick = dialog.querySelector('#pin-reuse');
    const reuse = kind !== 'cancel' && tick instanceof HTMLInputElement && tick.checked;
    const pin = pinText ? Array.from(new TextEncoder().encode(pinText)) : undefined;
    if (kind === 'cancel') close();
    else {
      current.state = 'verifying';
      dialog.classList.add('verifying');
      for (const el of dialog.querySelectorAll('input, button')) /** @type {HTMLInputElement} */ (el).disabled = true;
      const status = dialog.querySelector('.pin-status');
      if (status) status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('pinVerifying'));
      current.timer = setTimeout(() => current?.state === 'verifying' && close(), VERIFY_WAIT_MS);
    }
    await assistant.answerPin({ id, kind, ...(pin ? { pin } : {}), ...(reuse ? { reuse: true } : {}) }).catch(() => undefined);
    pin?.fill(0);
  };

  /** @param {any} view @param {string} state */
  function pinBody(view, state) {
    const who = view.host ?? t('appName');
    const form = h('form', { class: 'pin-form', method: 'dialog' });
    /** @param {...any} parts */
    const add = (...parts) => form.append(...parts.filter((p) => p !== null && p !== undefined));
    const rows = h('dl', { class: 'facts' },
      h('dt', {}, t('pinToken')), h('dd', {}, view.token.label || view.token.serial, h('span', { class: 'muted' }, `（${view.token.serial}）`)),
      view.cert ? [h('dt', {}, t('pinCert')), h('dd', {}, view.cert.name, h('span', { class: 'muted' }, `（${t(view.cert.kind === 'organization' ? 'kindOrganization' : view.cert.kind === 'personal' ? 'kindPersonal' : 'kindUnknown')}）`))] : null,
      view.documentName !== undefined ? [h('dt', {}, t('pinDoc')), h('dd', { class: 'doc' }, `「${view.documentName}」`, h('div', { class: 'muted small' }, t('pinDocNote')))] : null,
    );
    const head = h('header', {},
      h('div', { class: 'asker-label' }, view.origin ? t('pinAsksSite') : t('pinAsksSelf')),
      h('div', { class: 'asker', title: view.origin ?? '' }, who),
      view.origin && view.origin !== `https://${view.host}` ? h('div', { class: 'muted small origin' }, view.origin) : null,
    );
    if (state === 'locked') {
      add(head, rows,
        h('div', { class: 'alert danger', role: 'alert' }, h('strong', {}, t('pinLockedTitle')), h('p', {}, t('pinLockedText'))),
        h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'primary', 'data-autofocus': true, onclick: () => void answerPin('cancel') }, t('close'))));
      form.addEventListener('submit', (e) => { e.preventDefault(); void answerPin('cancel'); });
      return form;
    }
    // Off by default: every signature asks the CA password unless the user ticks this.
    const reuseTick = view.reuseMinutes
      ? h('label', { class: 'pin-reuse', for: 'pin-reuse' },
        h('input', { type: 'checkbox', id: 'pin-reuse', name: 'reuse' }),
        h('span', {}, t('pinReuse', { n: view.reuseMinutes }), h('span', { class: 'muted small' }, `（${t('pinReuseNote', { n: view.reuseMinutes })}）`)))
      : null;
    if (view.pin.protectedAuthPath) {
      add(head, rows, h('p', { class: 'pinpad' }, t('pinPadText')), reuseTick,
        h('div', { class: 'pin-status', role: 'status' }),
        h('div', { class: 'buttons' },
          h('button', { type: 'button', onclick: () => void answerPin('cancel') }, t(view.purpose === 'check' ? 'pinSkip' : 'cancel')),
          h('button', { type: 'submit', class: 'primary', 'data-autofocus': true }, t('pinPadStart'))));
      form.addEventListener('submit', (e) => { e.preventDefault(); void answerPin('pin-pad'); });
      return form;
    }
    const input = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'pin-input', name: 'pin', autocomplete: 'off', spellcheck: 'false', minlength: view.pin.minLength, maxlength: view.pin.maxLength, 'data-autofocus': true, 'aria-describedby': 'pin-help', 'aria-invalid': view.lastError ? 'true' : false }));
    const error = h('div', { class: 'pin-error', role: 'alert' });
    const tries = view.pin.retriesLeft !== undefined ? t('pinRetries', { n: view.pin.retriesLeft }) : view.pin.countLow ? t('pinCountLow') : '';
    if (view.lastError) error.append(h('strong', {}, t(view.lastError === 'PIN_LEN_RANGE' ? 'pinWrongLen' : 'pinWrong')), tries && !view.pin.finalTry ? ` ${tries}` : '');
    add(head, rows,
      view.pin.finalTry ? h('div', { class: 'alert danger final', role: 'alert' }, h('strong', {}, t('pinRetries', { n: 1 })), h('p', {}, t('pinFinal'))) : null,
      h('label', { for: 'pin-input', class: 'pin-label' }, t('pinLabel'), h('span', { class: 'muted small', id: 'pin-help' }, `（${t('pinLength', { min: view.pin.minLength, max: view.pin.maxLength })}${tries && !view.lastError && !view.pin.finalTry ? '，' + tries : ''}）`)),
      input, error, reuseTick,
      h('div', { class: 'pin-status', role: 'status' }),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', onclick: () => void answerPin('cancel') }, t(view.purpose === 'check' ? 'pinSkip' : 'cancel')),
        h('button', { type: 'submit', class: 'primary' }, t('ok'))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = input.value;
      if (value.length < view.pin.minLength) {
        error.replaceChildren(t('pinTooShort', { min: view.pin.minLength }));
        input.focus();
        return;
      }
      input.value = '';
      void answerPin('pin', value);
    });
    return form;
  }

  /** @param {any} view */
  function consentBody(view) {
    const answer = (a) => {
      const id = view.id;
      close();
      void assistant.answerConsent({ id, answer: a }).catch(() => undefined);
    };
    const form = h('form', { method: 'dialog', class: 'consent-form' },
      h('header', {}, h('div', { class: 'asker-label' }, t('consentTitle')), h('div', { class: 'asker' }, view.host), h('div', { class: 'origin-full' }, view.origin)),
      h('p', {}, t('consentText')),
      view.documentName !== undefined ? h('div', { class: 'doc-claim' }, h('div', { class: 'asker-label' }, t('consentDoc')), h('div', { class: 'doc-name' }, `「${view.documentName}」`)) : null,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'danger-outline', onclick: () => answer('block') }, t('consentBlock')),
        h('button', { type: 'button', class: 'danger-outline', 'data-autofocus': true, onclick: () => answer('deny') }, t('consentDeny')),
        h('button', { type: 'button', onclick: () => answer('once') }, t('consentOnce')),
        h('button', { type: 'button', onclick: () => answer('always') }, t('consentAlways'))));
    form.addEventListener('submit', (e) => e.preventDefault());
    return form;
  }

  /** The driver change setSettings asked for: before and after, 取消 focused. @param {any} view */
  function confirmBody(view) {
    const answer = (a) => {
      const id = view.id;
      close();
      void assistant.answerConfirm({ id, answer: a }).catch(() => undefined);
    };
    const list = (/** @type {string[]} */ items) => (items.length ? h('ul', { class: 'paths' }, ...items.map((p) => h('li', {}, h('code', {}, p)))) : h('p', { class: 'muted' }, t('confirmNone')));
    const form = h('form', { method: 'dialog', class: 'confirm-form' },
      h('header', {}, h('div', { class: 'asker' }, t('confirmModulesTitle'))),
      h('p', {}, t('confirmModulesText')),
      h('div', { class: 'asker-label' }, t('confirmBefore')), list(view.before),
      h('div', { class: 'asker-label' }, t('confirmAfter')), list(view.after),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', 'data-autofocus': true, onclick: () => answer('cancel') }, t('cancel')),
        h('button', { type: 'button', class: 'danger-outline', onclick: () => answer('confirm') }, t('confirmOk'))));
    form.addEventListener('submit', (e) => e.preventDefault());
    return form;
  }

  // Esc: cancel the PIN dialog / deny consent (the browser closes a modal dialog on Esc; we answer first).
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    if (!current) return;
    if (current.kind === 'pin') void answerPin('cancel');
    else if (current.kind === 'confirm') {
      const id = current.view.id;
      close();
      void assistant.answerConfirm({ id, answer: 'cancel' }).catch(() => undefined);
    } else {
      const id = current.view.id;
      close();
      void assistant.answerConsent({ id, answer: 'deny' }).catch(() => undefined);
    }
  });

  /** A dialog already shown or waiting here (events and the pending list may both bring it). */
  const known = (id) => current?.view.id === id || queue.some((q) => q.view.id === id);

  assistant.on('pinRequest', (view) => {
    if (!kinds.pin) return;
    // A new request for the key whose PIN was just submitted: the PIN was wrong; update in place.
    if (current?.kind === 'pin' && current.view.token.id === view.token.id && current.state === 'verifying') {
      clearTimeout(current.timer);
      current = null;
      show('pin', view);
    } else if (known(view.id)) return;
    else if (current) {
      // A PIN dialog is someone signing and waiting: it goes before queued consent dialogs of other sites.
      const firstConsent = queue.findIndex((q) => q.kind === 'consent');
      queue.splice(firstConsent < 0 ? queue.length : firstConsent, 0, { kind: 'pin', view });
    } else show('pin', view);
  });
  assistant.on('consentRequest', (view) => {
    if (!kinds.consent || known(view.id)) return;
    if (current) queue.push({ kind: 'consent', view });
    else show('consent', view);
  });
  assistant.on('confirmRequest', (view) => {
    if (!kinds.confirm || known(view.id)) return;
    if (current) queue.push({ kind: 'confirm', view });
    else show('confirm', view);
  });
  assistant.on('requestClosed', ({ id }) => {
    const i = queue.findIndex((q) => q.view.id === id);
    if (i >= 0) queue.splice(i, 1);
    // Still open here: answered in another window, cancelled by the agent, or timed out.
    // (A PIN submitted here is 'verifying' and waits for the verdict.)
    const shown = current;
    if (shown && shown.view.id === id && shown.state === 'open') close();
  });
  assistant.on('tokensChanged', ({ tokens }) => {
    if (current?.kind !== 'pin' || current.state !== 'verifying') return;
    const token = tokens.find((tk) => tk.id === current?.view.token.id);
    if (!token) return close();
    if (token.pin.locked) {
      clearTimeout(current.timer);
      const view = { ...current.view, pin: token.pin };
      current = { kind: 'pin', view, state: 'locked' };
      dialog.classList.remove('verifying');
      dialog.replaceChildren(pinBody(view, 'locked'));
      const focus = dialog.querySelector('[data-autofocus]');
      if (focus instanceof HTMLElement) focus.focus();
    } else if (token.loggedIn) close();
  });
  assistant.on('notice', (notice) => {
    if (current?.kind === 'pin' && current.state === 'verifying') close();
    const body = notice.kind === 'signed'
      ? [h('strong', {}, `✓ ${t('noticeSigned')}`), h('div', {}, `${t('noticeSite')}：${notice.host ?? t('appName')}`), notice.documentName !== undefined ? h('div', {}, `${t('noticeDoc')}：「${notice.documentName}」`) : null, notice.certName ? h('div', { class: 'muted small' }, notice.certName) : null]
      : [h('div', {}, notice.textZh)];
    const toast = h('div', { class: 'toast' }, ...body);
    toasts.append(toast);
    setTimeout(() => toast.remove(), NOTICE_MS);
  });
  assistant.on('checkProgress', () => {
    if (current?.kind === 'pin' && current.state === 'verifying') close();
  });

  // Dialogs asked before this page listened (a window opened for them, or opened later).
  void assistant.pendingDialogs({}).then(({ dialogs }) => {
    for (const { kind, view } of dialogs) {
      if (!kinds[kind] || known(view.id)) continue;
      if (current) queue.push({ kind, view });
      else show(kind, view);
    }
  }, () => undefined);
}
