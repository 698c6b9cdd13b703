// Small helpers of the reference mall's page: one amount format, local times, page errors with a way out, and the confirmation dialog.
const $ = (sel) => document.querySelector(sel);

/** One way to write an amount: `98,000.00`. */
export function yuan(amount) {
  const n = Number(String(amount ?? '').replace(/,/g, ''));
  return String(amount ?? '').trim() === '' || !Number.isFinite(n) ? String(amount ?? '') : n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A time in the clerk's own time zone (the PC's): `2026-01-31 16:00:05`. */
export function localTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** An error a page step raises with the way out: `action` is a link shown under the message. */
export class PageError extends Error {
  constructor(message, action) {
    super(message);
    this.action = action;
  }
}

/**
 * Asks before an action that cannot be undone (删除, 解绑, 发送): resolves
 * `{ ok, reason }`; with `reasonLabel` the clerk may give an optional reason.
 */
export function ask({ title, text, okLabel = '确定', danger = false, reasonLabel }) {
  const dialog = $('#ask-dialog');
  $('#ask-title').textContent = title;
  $('#ask-text').textContent = text;
  $('#ask-ok').textContent = okLabel;
  $('#ask-ok').className = danger ? 'danger' : '';
  $('#ask-reason-row').hidden = !reasonLabel;
  $('#ask-reason-label').textContent = reasonLabel ?? '';
  $('#ask-reason').value = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve({ ok: dialog.returnValue === 'ok', reason: $('#ask-reason').value.trim() }), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    (reasonLabel ? $('#ask-reason') : $('#ask-cancel')).focus();
  });
}

