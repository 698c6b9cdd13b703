// @ts-check
/** The main window: status header and the 环境检测 / 证书 / 授权网站 / 设置 / 诊断 tabs. */
import { mountDialogs } from './dialogs.js';
import { getLang, h, localTime, pick, setLang, t } from './i18n.js';

/** @type {import('../src-agent/ui/bridge.js').AssistantBridge} */
const assistant = /** @type {any} */ (window).assistant;
const TABS = /** @type {const} */ (['check', 'certs', 'origins', 'settings', 'diag']);
const TAB_LABEL = /** @type {const} */ ({ check: 'tabCheck', certs: 'tabCerts', origins: 'tabOrigins', settings: 'tabSettings', diag: 'tabDiag' });
const STATUS_ICON = { ok: '✓', warn: '!', fail: '✗', skipped: '–' };
const STATUS_LABEL = { ok: 'statusOk', warn: 'statusWarn', fail: 'statusFail', skipped: 'statusSkipped' };

const panel = /** @type {HTMLElement} */ (document.getElementById('panel'));
let tab = /** @type {(typeof TABS)[number]} */ ('check');
/** 环境检测 state survives tab switches. */
const check = { running: false, ran: false, progress: /** @type {any} */ (null), report: /** @type {any} */ (null), error: '', picks: /** @type {Map<string, boolean>} */ (new Map()) };
let status = await assistant.getStatus({});
setLang(status.language);

const errorText = (e) => `${t('errorPrefix')}${(getLang() === 'en' ? e.message : e.messageZh) || e.message}`;

/** Latest time a site signed with a certificate on this key (ISO), or ''. */
const tokenLastUsed = (tokenId) => status.certs.filter((c) => c.tokenId === tokenId && c.lastUsed).map((c) => c.lastUsed).sort().pop() ?? '';

/** The certificate the clerk uses: the one a site signed with last, else on a logged-in key, a 单位证书 before a personal one. */
function certInUse() {
  const live = new Set(status.tokens.filter((tk) => tk.loggedIn).map((tk) => tk.id));
  const rank = (c) => (live.has(c.tokenId) ? 0 : 2) + (c.kind === 'organization' ? 0 : 1);
  return [...status.certs].sort((a, b) => (b.lastUsed ?? '').localeCompare(a.lastUsed ?? '') || rank(a) - rank(b))[0];
}

function renderStatus() {
  const tokens = status.tokens;
  const live = tokens.filter((tk) => tk.loggedIn);
  const cert = certInUse();
  const certText = !cert ? t('stCertNone') : status.certs.length > 1 ? t('stCertMore', { name: cert.name, n: status.certs.length }) : cert.name;
  const loginText = tokens.length > 1
    ? (live.length ? t('stLoggedInWhich', { names: live.map((tk) => tk.label || tk.serial).join(getLang() === 'en' ? ', ' : '、') }) : t('stLoggedInNone', { n: tokens.length }))
    : live.length ? t('stLoggedIn') : t('stLoggedOut');
  const item = (label, value, ok, id) => h('li', { class: ok ? 'ok' : 'off', id }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
  document.getElementById('status')?.replaceChildren(
    item(t('stKey'), tokens.length === 0 ? t('stKeyNone') : tokens.length === 1 ? tokens[0]?.label ?? '' : t('stKeyCount', { n: tokens.length }), tokens.length > 0, 'st-key'),
    item(t('stCert'), certText, Boolean(cert), 'st-cert'),
    item(t('stLogin'), loginText, live.length > 0, 'st-login'),
    item(t('stAgent'), status.agent.listening ? t('stListening', { port: status.agent.port ?? '' }) : t('stStopped'), status.agent.listening, 'st-agent'),
  );
  const name = document.getElementById('app-name');
  if (name) name.textContent = t('appName');
  document.title = t('appName');
}

function renderTabs() {
  document.getElementById('tabs')?.replaceChildren(...TABS.map((id) => h('button', { role: 'tab', id: `tab-${id}`, 'aria-selected': String(id === tab), class: id === tab ? 'active' : '', onclick: () => { tab = id; render(); } }, t(TAB_LABEL[id]))));
}

function checkPanel() {
  const button = h('button', { class: 'primary big', id: 'run-check', disabled: check.running, onclick: () => void runCheck() }, check.ran ? t('checkAgain') : t('checkStart'));
  const picker = pickList();
  const parts = [h('p', { class: 'intro' }, t('checkIntro')), ...(picker ? [picker] : []), button];
  if (check.running) {
    const p = check.progress;
    parts.push(h('div', { class: 'progress', role: 'status' },
      h('progress', { max: p?.total ?? 1, value: p ? p.index + (p.status ? 1 : 0) : 0 }),
      h('span', {}, p?.titleZh ? t('checkRunning', { title: p.titleZh }) : t('checkRunningShort'))));
  }
  if (check.error) parts.push(h('div', { class: 'alert danger' }, check.error));
  if (check.report) {
    const r = check.report;
    parts.push(h('div', { class: `summary ${r.summary.fail > 0 ? 'bad' : 'good'}`, id: 'check-summary' }, h('strong', {}, t('checkSummary', r.summary)), h('div', {}, r.summary.fail > 0 ? t('checkHasFail') : t('checkAllOk'))));
    // What needs the clerk's attention first; the passed checks folded below.
    const row = (c) => h('li', { class: `result ${c.status}`, 'data-id': c.id },
      h('span', { class: 'icon', title: t(STATUS_LABEL[c.status]), 'aria-label': t(STATUS_LABEL[c.status]) }, STATUS_ICON[c.status]),
      h('div', { class: 'body' },
        h('div', { class: 'title' }, pick(c.titleZh, c.titleEn)),
        h('div', { class: 'detail' }, pick(c.detailZh, c.detailEn)),
        (c.status === 'fail' || c.status === 'warn') && c.remedyZh ? h('div', { class: 'remedy' }, h('strong', {}, t('remedy')), pick(c.remedyZh, c.remedyEn)) : null));
    const order = { fail: 0, warn: 1, skipped: 2 };
    const attention = r.checks.filter((c) => c.status !== 'ok').sort((a, b) => order[a.status] - order[b.status]);
    const passed = r.checks.filter((c) => c.status === 'ok');
    parts.push(h('div', { id: 'check-results' },
      attention.length ? h('ol', { class: 'results' }, attention.map(row)) : null,
      passed.length ? h('details', { class: 'passed', open: attention.length === 0 }, h('summary', {}, t('checkPassedList', { n: passed.length })), h('ol', { class: 'results' }, passed.map(row))) : null));
  }
  return parts;
}

/** The keys in the order their PIN is asked: the one the mall used last first. */
function pickOrder() {
  return [...status.tokens].sort((a, b) => tokenLastUsed(b.id).localeCompare(tokenLastUsed(a.id)));
}

/** Ticked by default: keys neither locked nor at their final try. */
const picked = (tk) => !tk.pin.locked && (check.picks.get(tk.id) ?? !tk.pin.finalTry);

/** The list shows with several keys, or one at its final try (never asked unless ticked). */
const showPick = () => status.tokens.length > 1 || status.tokens.some((tk) => tk.pin.finalTry);

/** Which keys' PIN to check, in the order asked. */
function pickList() {
  const tokens = pickOrder();
  if (check.running || !showPick()) return null;
  return h('fieldset', { class: 'pick', id: 'check-pick' }, h('legend', {}, t('checkPick')),
    tokens.map((tk) => {
      const box = h('input', { type: 'checkbox', 'data-token': tk.id, checked: picked(tk), disabled: tk.pin.locked, onchange: (e) => check.picks.set(tk.id, /** @type {HTMLInputElement} */ (e.target).checked) });
      const warn = tk.pin.locked || tk.pin.finalTry;
      const note = tk.pin.locked ? t('checkPickLocked') : tk.pin.finalTry ? t('checkPickFinal') : tk.loggedIn ? t('checkPickLoggedIn') : tokenLastUsed(tk.id) ? t('checkPickUsed') : '';
      return h('label', { class: warn ? 'warn' : '' }, box, ' ', tk.label || tk.serial, h('span', { class: 'muted small' }, `（${tk.serial}）`), note ? h('span', { class: warn ? 'note-inline' : 'note-inline muted' }, note) : null);
    }));
}

async function runCheck() {
  const pinTokens = showPick() ? pickOrder().filter(picked).map((tk) => tk.id) : undefined;
  check.running = true;
  check.ran = true;
  check.report = null;
  check.error = '';
  check.progress = null;
  render();
  try {
    check.report = await assistant.runCheck(pinTokens ? { pinTokens } : {});
  } catch (e) {
    check.error = t('checkFailed', { msg: errorText(e) });
  }
  check.running = false;
  status = await assistant.getStatus({}).catch(() => status);
  render();
}

/** The encryption half of a 国密 dual pair (or any encryption-only certificate): listed, never used to sign. */
function encryptionOnly(c) {
  const ku = c.keyUsage;
  return ku.length > 0 && !ku.includes('digitalSignature') && !ku.includes('nonRepudiation')
    && (ku.includes('keyEncipherment') || ku.includes('dataEncipherment') || ku.includes('keyAgreement'));
}

/** `SM2 …` → 国密 SM2; other algorithms as the agent names them (`RSA 2048`, `EC P-256`). */
function algorithmText(name) {
  return name.split(' ')[0] === 'SM2' ? t('algSm2') : name;
}

/** Key usage names in the page's language (`digitalSignature` → 数字签名); unknown ones as given. */
function keyUsageText(usages) {
  return usages.map((u) => {
    const key = `ku${u[0].toUpperCase()}${u.slice(1)}`;
    const text = t(/** @type {any} */ (key));
    return text === key ? u : text;
  }).join(getLang() === 'en' ? ', ' : '、');
}

async function certsPanel() {
  const { certs } = await assistant.listCerts({});
  if (certs.length === 0) return [h('p', { class: 'empty' }, t('certsNone'))];
  return certs.map((c) => {
    const kind = t(c.kind === 'organization' ? 'kindOrganization' : c.kind === 'personal' ? 'kindPersonal' : 'kindUnknown');
    const days = c.daysLeft >= 0 ? t('certDaysLeft', { n: c.daysLeft }) : t('certExpired', { n: -c.daysLeft });
    const row = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
    return h('article', { class: 'cert', 'data-cert': c.id, 'data-token-label': c.tokenLabel },
      h('div', { class: 'cert-main' },
        h('h2', {}, c.name, h('span', { class: `badge ${c.kind}` }, kind)),
        encryptionOnly(c) ? h('div', { class: 'alert info' }, t('certEncryption')) : c.hasPrivateKey ? null : h('div', { class: 'alert warn' }, t('certNoKey')),
        h('dl', { class: 'facts' },
          row(t('certToken'), c.tokenLabel),
          row(t('certSubject'), c.subject),
          row(t('certIssuer'), c.issuer),
          row(t('certValidity'), `${localTime(c.notBefore)} — ${localTime(c.notAfter, { zone: true })} `, h('span', { class: c.daysLeft < 0 ? 'tag bad' : c.daysLeft < 30 ? 'tag warn' : 'tag good' }, days)),
          row(t('certKeyUsage'), keyUsageText(c.keyUsage) || '—'),
          row(t('certAlgorithm'), algorithmText(c.keyAlgorithm)),
          row(t('certChain'), h('span', { class: !c.chain.trusted ? 'tag bad' : c.chain.valid ? 'tag good' : 'tag warn', id: `chain-${c.id}` }, pick(c.chain.labelZh, c.chain.labelEn)), ' ', c.chain.subjects.join(' → '), ...c.chain.problems.map((p) => h('div', { class: 'problem' }, pick(p.zh, p.en)))),
          row(t('certSerial'), h('code', {}, c.serialNumber)),
          row(t('certFingerprint'), h('code', { class: 'fp' }, c.fingerprintSha256)))),
      c.kind === 'organization' && !encryptionOnly(c) ? h('figure', { class: 'seal' }, c.seal ? h('img', { src: c.seal.dataUrl, alt: t('certSeal') }) : h('div', { class: 'muted' }, t('certNoSeal')), h('figcaption', {}, t('certSeal'))) : null);
  });
}

async function originsPanel() {
  const { trusted, allowed } = await assistant.listOrigins({});
  const note = h('div', { class: 'note', role: 'status' });
  return [
    h('h2', {}, t('originsTrusted')),
    trusted.length ? h('ul', { class: 'origins', id: 'trusted-origins' }, trusted.map((o) => h('li', {}, h('span', { class: 'origin' }, o)))) : h('p', { class: 'empty' }, t('originsTrustedNone')),
    h('h2', {}, t('originsAllowed')),
    allowed.length ? h('ul', { class: 'origins', id: 'allowed-origins' }, allowed.map((o) => h('li', {}, h('span', { class: 'origin' }, o), h('button', { class: 'danger-outline', 'data-origin': o, onclick: async () => { await assistant.revokeOrigin({ origin: o }); await render(); panel.prepend(h('div', { class: 'note' }, t('originsRevoked', { origin: o }))); } }, t('originsRevoke'))))) : h('p', { class: 'empty', id: 'allowed-none' }, t('originsAllowedNone')),
    note,
  ];
}

async function settingsPanel() {
  const s = await assistant.getSettings({});
  const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('div', { class: 'muted small' }, hint) : null);
  const cache = h('input', { id: 'set-cache', type: 'number', min: 0, max: 480, value: s.pinReuseMinutes });
  const port = h('input', { id: 'set-port', type: 'number', min: 1, max: 65535, value: s.port });
  const modules = h('textarea', { id: 'set-modules', rows: 3 }, s.modules.join('\n'));
  const lang = h('select', { id: 'set-lang' }, h('option', { value: 'zh-CN', selected: s.language === 'zh-CN' }, '中文（简体）'), h('option', { value: 'en', selected: s.language === 'en' }, 'English'));
  const note = h('div', { class: 'note', role: 'status' }, s.configFile ? '' : t('setNoFile'));
  lang.addEventListener('change', async () => {
    const value = /** @type {HTMLSelectElement} */ (lang).value === 'en' ? 'en' : 'zh-CN';
    setLang(value);
    if (s.configFile) await assistant.setSettings({ language: value }).catch(() => undefined);
    await render();
  });
  const save = h('button', { class: 'primary', disabled: !s.configFile, onclick: async () => {
    try {
      const r = await assistant.setSettings({
        pinReuseMinutes: Number(/** @type {HTMLInputElement} */ (cache).value),
        port: Number(/** @type {HTMLInputElement} */ (port).value),
        modules: /** @type {HTMLTextAreaElement} */ (modules).value.split('\n').map((l) => l.trim()).filter(Boolean),
      });
      note.replaceChildren(t('setSaved'), r.restartNeeded ? ' ' + t('setRestart') : '');
    } catch (e) {
      note.replaceChildren(h('span', { class: 'bad' }, errorText(e)));
    }
  } }, t('setSave'));
  return [h('form', { class: 'settings', onsubmit: (e) => e.preventDefault() },
    field('set-lang', t('setLanguage'), lang),
    field('set-cache', t('setPinCache'), cache, t('setPinCacheHint')),
    field('set-port', t('setPort'), port, t('setPortHint')),
    field('set-modules', t('setModules'), modules),
    save, note)];
}

function diagPanel() {
  const out = h('div', { class: 'note', id: 'diag-result', role: 'status' });
  const button = h('button', { class: 'primary', id: 'export-report', onclick: async () => {
    button.setAttribute('disabled', '');
    out.replaceChildren(t('diagExporting'));
    try {
      const r = await assistant.exportReport({});
      out.replaceChildren(t('diagDone'), h('code', { class: 'path' }, r.dir), h('div', {}, r.opened ? t('diagOpened') : t('diagNotOpened')));
    } catch (e) {
      out.replaceChildren(h('span', { class: 'bad' }, errorText(e)));
    }
    button.removeAttribute('disabled');
  } }, t('diagExport'));
  return [h('p', { class: 'intro' }, t('diagIntro')), button, out];
}

async function render() {
  renderStatus();
  renderTabs();
  panel.setAttribute('aria-labelledby', `tab-${tab}`);
  panel.dataset.tab = tab;
  try {
    const content = tab === 'check' ? checkPanel() : tab === 'certs' ? await certsPanel() : tab === 'origins' ? await originsPanel() : tab === 'settings' ? await settingsPanel() : diagPanel();
    panel.replaceChildren(...content);
  } catch (e) {
    panel.replaceChildren(h('div', { class: 'alert danger' }, errorText(e)));
  }
}

assistant.on('checkProgress', (p) => {
  check.progress = p;
  if (tab === 'check' && check.running) panel.replaceChildren(...checkPanel());
});
assistant.on('tokensChanged', async () => {
  status = await assistant.getStatus({}).catch(() => status);
  renderStatus();
});

mountDialogs(assistant);
await render();
document.body.dataset.ready = 'true';
