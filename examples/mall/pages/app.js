// The reference mall's page: plain ES module; talks to the mall over fetch and to the 互认助手 only through the SDK.
import { connect, isAssistantError } from '/sdk/ca-assistant-sdk.js';
import { mobileSeal } from '/mobile-seal.js';
import { PageError, ask, localTime, yuan } from '/kit.js';
import { renderGuide as guidePage } from '/guide.js';

const $ = (sel) => document.querySelector(sel);
const POSITIONS = {
  supplier: { company: 'supplier-company', person: 'supplier-person', companyLabel: '乙方公章', personLabel: '乙方代表' },
  buyer: { company: 'buyer-company', person: 'buyer-person', companyLabel: '甲方公章', personLabel: '甲方代表' },
};
const TABS = [['draft', '草稿'], ['pending_confirm', '待确认合同'], ['pending_seal', '待盖章'], ['supplier_sealed', '供应商已盖章'], ['filed', '已备案']];
const FIELDS = [['contractNo', '合同编号'], ['title', '合同名称'], ['buyerName', '甲方（采购人）'], ['supplierName', '乙方（供应商）'], ['goods', '采购标的'],
  ['amount', '合同金额（元）'], ['deliveryPlace', '交货地点'], ['deliveryDate', '交货日期'], ['terms', '合同条款']];

let session;
let client;

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function showError(message, remedy, reason, action) {
  const box = $('#error');
  box.textContent = remedy ? `${message}\n处理办法：${remedy}` : message;
  box.dataset.reason = reason ?? '';
  if (action) {
    const link = document.createElement('a');
    link.href = '#';
    link.id = 'error-action';
    link.textContent = action.label;
    link.addEventListener('click', (e) => {
      e.preventDefault();
      clearMessages();
      action.run();
    });
    box.append('\n', link);
  }
  box.hidden = false;
  $('#notice').hidden = true;
}

function notice(text) {
  $('#error').hidden = true;
  $('#notice').textContent = text;
  $('#notice').hidden = false;
}

function clearMessages() {
  $('#error').hidden = true;
  $('#notice').hidden = true;
}

/** Shows any failure in Chinese: the assistant's own message and remedy, or the mall's reason. */
function fail(err) {
  if (isAssistantError(err)) showError(err.message, err.remedy, err.reason);
  else showError(err?.message ?? String(err), undefined, undefined, err?.action);
}

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ?? `请求失败（${res.status}）`);
  return data;
}

/** One connection to the 互认助手 per page; reconnects when it dropped. */
async function assistant() {
  if (client && !client.closed) return client;
  // connect() may wait ~15 s for an assistant the OS is starting; say what is happening meanwhile.
  notice('正在连接互认助手…');
  client = await connect({ url: session.assistantUrl, client: 'reference-mall/0.1', launch: true });
  $('#notice').hidden = true;
  return client;
}

/** While a call waits for the clerk in the 互认助手 window (request.progress), the page says where to look. */
const WAITING_TEXT = { 'waiting-pin': '请在互认助手窗口中输入 PIN 码', 'waiting-consent': '请在互认助手窗口中确认是否允许本网站使用 CA 锁' };
const waiting = { onProgress: (state) => notice(WAITING_TEXT[state] ?? '请在互认助手窗口中完成操作') };
/** 【首页】, where the personal certificate is bound. */
const toHomeBinding = { label: '前往【首页】绑定个人证书', run: () => { renderHome(); $('#bind')?.focus(); } };

const b64ToBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const bytesToB64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));

/** A personal 签章 image drawn from the certificate holder's name (personal certificates carry no seal image). */
function personalStamp(name) {
  const canvas = document.createElement('canvas');
  canvas.width = 240;
  canvas.height = 120;
  const g = canvas.getContext('2d');
  g.strokeStyle = g.fillStyle = '#d0021b';
  g.lineWidth = 8;
  g.strokeRect(6, 6, 228, 108);
  g.font = 'bold 56px "Noto Serif CJK SC", "Noto Sans CJK SC", serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(name, 120, 62);
  return canvas.toDataURL('image/png').split(',')[1];
}

const cnOf = (subject) => /CN=([^,]+)/.exec(subject)?.[1]?.trim();
const orgOf = (subject) => /(?:^|,\s*)O=([^,]+)/.exec(subject)?.[1]?.trim();
/**
 * A 国密 key comes as a pair: the signing certificate and the encryption one, with the same subject.
 * Only certificates whose keyUsage allows signing are offered for a seal (no keyUsage: no restriction).
 */
const canSign = (cert) => !cert.keyUsage?.length || cert.keyUsage.includes('digitalSignature') || cert.keyUsage.includes('nonRepudiation');
/** The certificate's key algorithm as the page names it. */
const ALGORITHM_LABEL = { SM2: '国密SM2', RSA: 'RSA', EC: 'ECC' };
const algorithmLabel = (keyAlgorithm) => ALGORITHM_LABEL[String(keyAlgorithm).replace(/-.*/, '')] ?? keyAlgorithm;

/** The certificate for a position: the unit's valid organization cert, or the personal cert bound to the account. */
async function pickCert(c, kind) {
  const certs = (await c.listCerts({ kind: kind === 'company' ? 'organization' : 'personal' })).filter(canSign);
  if (kind === 'person') {
    const bound = session.binding?.fingerprint;
    // Not bound yet: the way out is binding on 首页 (as the mall server says), not plugging a key in.
    if (!bound) throw new PageError('加盖个人签章前，请先在【首页】绑定个人证书（使用本人的个人CA）', toHomeBinding);
    const cert = certs.find((x) => x.fingerprintSha256.toLowerCase() === bound);
    if (!cert) throw new PageError(`未检测到本账号绑定的个人证书（${session.binding.subject}），请插入该个人CA后重试；如已更换个人CA，请先在【首页】解绑后重新绑定`, { ...toHomeBinding, label: '前往【首页】查看绑定' });
    return cert;
  }
  const mine = certs.filter((x) => orgOf(x.subject) === session.me.org);
  if (mine.length === 0) throw new Error(`未检测到“${session.me.org}”的单位证书，请插入单位CA并在互认助手中完成环境检测`);
  return mine.find((x) => new Date(x.notAfter) > new Date()) ?? mine[0];
}

async function seal(contract, kind) {
  clearMessages();
  const position = POSITIONS[session.me.role][kind];
  try {
    const c = await assistant();
    const cert = await pickCert(c, kind);
    let image;
    let widthMm;
    let heightMm;
    if (kind === 'company') {
      const s = await c.getSeal(cert.id);
      if (s.mime !== 'image/png') throw new Error('印章图片格式不受支持，请联系CA机构');
      ({ image, widthMm, heightMm } = s);
    } else {
      image = personalStamp(cnOf(cert.subject) ?? session.me.name);
      widthMm = 30;
      heightMm = 15;
    }
    const prep = await api('POST', `/api/contracts/${contract.id}/seals/prepare`, { position, certificate: cert.der, image, widthMm, heightMm });
    // The mall chose the digest from the certificate's key: sm3 for 国密 SM2, sha256 otherwise.
    // With prep.timestamp the mall wants PAdES B-T: the assistant adds its TSA's trusted time-stamp.
    const signed = await c.signHash({ certId: cert.id, hash: b64ToBytes(prep.hash), hashAlgorithm: prep.hashAlgorithm, format: 'cms', document: { name: prep.documentName }, timestamp: prep.timestamp }, waiting);
    await api('POST', `/api/contracts/${contract.id}/seals/complete`, { pendingId: prep.pendingId, signature: signed.signature });
    await showContract(contract.id);
    notice(`已在${kind === 'company' ? POSITIONS[session.me.role].companyLabel : POSITIONS[session.me.role].personLabel}位置盖章（${algorithmLabel(prep.keyAlgorithm)}证书）`);
  } catch (err) {
    fail(err);
  }
}

async function bindPersonalCert() {
  clearMessages();
  try {
    const c = await assistant();
    const certs = (await c.listCerts({ kind: 'personal' })).filter(canSign);
    const cert = certs.find((x) => orgOf(x.subject) === session.me.org && new Date(x.notAfter) > new Date());
    if (!cert) throw new Error(`未检测到“${session.me.org}”的个人证书：请插入本人的个人CA（个人介质证书），在互认助手中完成环境检测后再点击【绑定个人证书】`);
    const { nonce } = await api('POST', '/api/binding/challenge');
    const proof = await c.authChallenge({ certId: cert.id, nonce }, waiting);
    const { binding } = await api('POST', '/api/binding', proof);
    session.binding = binding;
    renderHome();
    notice(`绑定成功：${binding.subject}`);
  } catch (err) {
    fail(err);
  }
}

function renderHome() {
  const b = session.binding;
  $('#main').innerHTML = `<div class="card"><h2>欢迎，${esc(session.me.name)}</h2><p>单位：${esc(session.me.org)}</p></div>
    <div class="card" id="binding"><h3>个人证书绑定</h3>
      ${b ? `<p>已绑定个人证书：<strong>${esc(b.subject)}</strong></p><p class="hint">指纹 ${esc(b.fingerprint.slice(0, 16))}…</p><button id="unbind">解绑</button>`
    : `<p>加盖个人签章前，需使用个人介质CA在此绑定个人证书。账号和CA只能一对一绑定。</p><button id="bind">绑定个人证书</button>`}
    </div>`;
  $('#bind')?.addEventListener('click', bindPersonalCert);
  $('#unbind')?.addEventListener('click', async () => {
    const { ok } = await ask({ title: '解绑个人证书', text: `确认解绑个人证书“${b?.subject ?? ''}”？解绑后加盖个人签章前需重新绑定。`, okLabel: '解绑', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', '/api/binding');
      session.binding = null;
      renderHome();
      notice('已解绑个人证书');
    } catch (err) {
      fail(err);
    }
  });
}

async function renderOrders() {
  const { orders } = await api('GET', '/api/orders');
  $('#main').innerHTML = `<h2>订单管理 - 我的订单</h2><table><tr><th>订单号</th><th>采购标的</th><th>金额（元）</th><th>订单状态</th><th>合同状态</th><th>操作</th></tr>
    ${orders.map((o) => `<tr><td>${esc(o.orderNo)}</td><td>${esc(o.goods)}</td><td>${esc(yuan(o.amount))}</td><td>${esc(o.status)}</td><td>${esc(o.stateLabel ?? '未起草')}</td><td>
      ${!o.contractId && session.me.role === 'supplier' ? `<button data-draft="${o.id}">起草合同</button>` : ''}
      ${o.contractId && (session.me.role === 'supplier' || o.state !== 'draft') ? `<button data-view-contract="${o.contractId}">查看合同</button>` : ''}</td></tr>`).join('')}</table>`;
  for (const btn of document.querySelectorAll('[data-draft]')) {
    btn.addEventListener('click', async () => {
      try {
        const { id } = await api('POST', `/api/orders/${btn.dataset.draft}/contract`);
        await showContract(id, true);
      } catch (err) {
        fail(err);
      }
    });
  }
  bindViewButtons();
}

function bindViewButtons() {
  for (const btn of document.querySelectorAll('[data-view-contract]')) btn.addEventListener('click', () => showContract(Number(btn.dataset.viewContract)).catch(fail));
}

async function renderContracts(state = session.me.role === 'supplier' ? 'draft' : 'pending_confirm') {
  const { contracts } = await api('GET', `/api/contracts?state=${state}`);
  $('#main').innerHTML = `<h2>合同管理</h2><div class="tabs">${TABS.map(([s, label]) => `<button data-tab="${s}" class="${s === state ? 'active' : ''}">${label}</button>`).join('')}</div>
    <table><tr><th>合同编号</th><th>合同名称</th><th>金额（元）</th><th>状态</th><th>操作</th></tr>
    ${contracts.map((c) => `<tr><td>${esc(c.fields.contractNo)}</td><td>${esc(c.fields.title)}</td><td>${esc(yuan(c.fields.amount))}</td><td><span class="state${c.returned ? ' returned' : ''}">${esc(c.stateLabel)}</span>${c.returned && c.returnReason ? `<div class="hint">退回原因：${esc(c.returnReason)}</div>` : ''}</td>
      <td><button data-view-contract="${c.id}">查看合同</button></td></tr>`).join('') || '<tr><td colspan="5">暂无合同</td></tr>'}</table>`;
  for (const btn of document.querySelectorAll('[data-tab]')) btn.addEventListener('click', () => renderContracts(btn.dataset.tab).catch(fail));
  bindViewButtons();
}

function contractForm(c, editable) {
  return `<form id="contract-form" class="grid">${FIELDS.map(([key, label]) => `<label for="f-${key}">${label}</label>${key === 'terms'
    ? `<textarea id="f-${key}" name="${key}" ${editable ? '' : 'readonly'}>${esc(c.fields[key])}</textarea>`
    : `<input id="f-${key}" name="${key}" value="${esc(c.fields[key])}" ${editable ? '' : 'readonly'}>`}`).join('')}</form>`;
}

async function showContract(id, editing = false) {
  const c = await api('GET', `/api/contracts/${id}`);
  const role = session.me.role;
  const pos = POSITIONS[role];
  const editable = (role === 'supplier' && c.state === 'draft') || (role === 'buyer' && c.state === 'pending_confirm' && editing);
  const buttons = [];
  if (role === 'supplier' && c.state === 'draft') buttons.push(['save', '保存'], ['send', '发送']);
  if (role === 'buyer' && c.state === 'pending_confirm') {
    buttons.push(editing ? ['save', '保存修改'] : ['edit', '修改'], ['confirm', '确认'], ['return', '退回合同到草稿']);
  }
  const sealing = (role === 'supplier' && c.state === 'pending_seal') || (role === 'buyer' && c.state === 'supplier_sealed');
  if (sealing) buttons.push(['seal-company', `签章（${pos.companyLabel}）`], ['mobile-company', `公采签（${pos.companyLabel}）`], ['seal-person', `个人签章（${pos.personLabel}）`], ['mobile-person', `公采签（${pos.personLabel}）`]);
  if (role === 'supplier' && c.state === 'pending_seal') buttons.push(['send-sealed', '发送']);
  if (role === 'buyer' && c.state === 'supplier_sealed') buttons.push(['confirm-seals', '确认签章']);
  const seals = c.seals.map((s) => `<span class="seal" data-seal="${s.position}" title="${esc(localTime(s.time))} 盖章">${esc(s.label)}：${esc(s.signer)}${s.keyAlgorithm ? `<span class="hint">（${esc(algorithmLabel(s.keyAlgorithm))}证书）</span>` : ''}${s.trustedTime ? `<span class="hint" data-trusted-time>（可信时间 ${esc(localTime(s.trustedTime))}）</span>` : ''}${sealing && s.party === role ? ` <button data-delete-seal="${s.id}" data-label="${esc(s.label)}" data-also="${esc(s.alsoRemoves.join('、'))}" title="删除签章">删除</button>` : ''}</span>`).join('') || '<span class="hint">尚未盖章</span>';
  // The buyer seals only after the supplier has sealed and sent; say so instead of showing buttons the server would refuse.
  const waiting = role === 'buyer' && c.state === 'pending_seal' ? '<p class="hint" id="seal-wait">供应商尚未完成签章。待供应商盖章并发送后，您才能在甲方位置盖章。</p>' : '';
  // The manual calls the supplier's page 起草合同 while it is a draft.
  const heading = role === 'supplier' && c.state === 'draft' ? '起草合同' : '查看合同';
  const returned = c.returned ? `<div class="card returned" id="returned">采购人已退回合同${c.returnReason ? `，原因：${esc(c.returnReason)}` : '（未填写原因）'}。请修改后重新发送。</div>` : '';
  $('#main').innerHTML = `<h2>${heading} <span class="state${c.returned ? ' returned' : ''}" id="contract-state">${esc(c.stateLabel)}</span></h2>
    ${role === 'supplier' ? returned : ''}
    <div class="cols"><div>
      <div class="card">${contractForm(c, editable)}</div>
      ${c.paymentMethod ? `<div class="card">支付方式：${esc(c.paymentMethod)}；支付金额：${esc(yuan(c.paymentAmount))} 元；${c.online ? '线上签章' : '线下盖章'}</div>` : ''}
      ${role === 'buyer' && c.state === 'pending_confirm' ? `<div class="card"><h3>公示附件（可选）</h3><p class="hint">线下已盖章的合同请在确认合同前上传。</p>
        <label class="file-pick"><input type="file" id="attachment"><span class="button">选择文件</span> <span id="attachment-name" class="hint">未选择文件</span></label>
        <button id="upload">上传附件</button></div>` : ''}
      ${c.attachments.length ? `<div class="card" id="attachments"><h3>附件</h3><ul>${c.attachments.map((a) => `<li><a href="${esc(a.url)}" data-attachment="${a.id}">${esc(a.name)}</a> <span class="hint">${esc(Math.max(1, Math.round(a.size / 1024)))} KB</span>${role === 'buyer' && c.state === 'pending_confirm' ? ` <button data-delete-attachment="${a.id}" data-name="${esc(a.name)}">删除</button>` : ''}</li>`).join('')}</ul></div>` : ''}
      ${buttons.length ? `<div class="card actions">${buttons.map(([action, label]) => `<button data-action="${action}">${label}</button>`).join('')}</div>` : ''}
      ${c.online ? `<div class="card" id="seals"><h3>签章</h3>${seals}${waiting}</div>` : ''}
      ${c.state === 'filed' ? `<div class="card" id="filing">已推送监管系统备案（备案号 ${esc(c.filingId)}）</div>` : ''}
      ${c.filingReason && c.state !== 'filed' ? `<div class="card error">监管系统拒绝备案：${esc(c.filingReason)}</div>` : ''}
      <div class="card"><h3>操作记录</h3><ol class="hint">${c.history.map((h) => `<li>${esc(localTime(h.time))} ${esc(h.actor)}：${esc(h.action)}</li>`).join('')}</ol></div>
    </div>
    ${c.hasPdf ? `<div><p><a href="/api/contracts/${c.id}/pdf" target="_blank" download="${esc(c.documentName)}" id="pdf-link">下载合同 PDF（${esc(c.documentName)}）</a></p><img class="preview" alt="合同预览" src="/api/contracts/${c.id}/preview.png?v=${c.pdfLength}"></div>` : ''}</div>`;

  const run = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      fail(err);
    }
  };
  const fields = () => Object.fromEntries(new FormData($('#contract-form')).entries());
  const on = (action, fn) => document.querySelector(`[data-action="${action}"]`)?.addEventListener('click', run(fn));
  on('save', async () => {
    let reason;
    if (role === 'buyer') {
      const answer = await ask({ title: '保存修改', text: '修改后合同将退回供应商（状态变为“已退回”），需供应商重新发送。', okLabel: '保存修改', reasonLabel: '修改说明（可选，供应商可见）' });
      if (!answer.ok) return;
      reason = answer.reason;
    }
    await api('PUT', `/api/contracts/${id}`, { fields: fields(), ...(reason ? { reason } : {}) });
    // A buyer's edit turns the contract back into the supplier's draft, which the buyer no longer sees.
    if (role === 'buyer') await renderContracts();
    else await showContract(id);
    notice(role === 'buyer' ? '已修改，合同变为草稿，需供应商重新发送' : '已保存');
  });
  on('send', async () => {
    const { ok } = await ask({ title: '发送合同', text: '确认将合同发送给采购人？发送后不能再修改，除非采购人退回。', okLabel: '发送' });
    if (!ok) return;
    await api('PUT', `/api/contracts/${id}`, { fields: fields() });
    await api('POST', `/api/contracts/${id}/send`);
    await showContract(id);
    notice('已发送给采购人');
  });
  on('edit', () => showContract(id, true));
  on('return', async () => {
    const { ok, reason } = await ask({ title: '退回合同到草稿', text: '合同将退回供应商修改（状态变为“已退回”）。', okLabel: '退回', reasonLabel: '退回原因（可选，供应商可见）' });
    if (!ok) return;
    await api('POST', `/api/contracts/${id}/return`, reason ? { reason } : {});
    await renderContracts();
    notice('已退回合同到草稿');
  });
  on('confirm', () => openConfirmDialog(c));
  on('seal-company', () => seal(c, 'company'));
  on('seal-person', () => seal(c, 'person'));
  const mobileCtx = { session, assistant, api, showContract, notice, fail, positions: POSITIONS };
  on('mobile-company', () => mobileSeal(mobileCtx, c, 'company'));
  on('mobile-person', () => mobileSeal(mobileCtx, c, 'person'));
  on('send-sealed', async () => {
    const { ok } = await ask({ title: '发送盖章合同', text: '确认将盖章后的合同发送给采购人？发送后无法更改（不能再删除或加盖签章）。', okLabel: '发送' });
    if (!ok) return;
    await api('POST', `/api/contracts/${id}/send-sealed`);
    await showContract(id);
    notice('已将盖章合同发送给采购人');
  });
  on('confirm-seals', async () => {
    await api('POST', `/api/contracts/${id}/confirm-seals`).catch(async (err) => {
      await showContract(id);
      throw err;
    });
    await showContract(id);
    notice('签章流程结束，合同已推送监管系统备案');
  });
  // The native file input labels itself in the browser's UI language; the page names the choice in Chinese instead.
  $('#attachment')?.addEventListener('change', () => {
    $('#attachment-name').textContent = $('#attachment').files[0]?.name ?? '未选择文件';
  });
  $('#upload')?.addEventListener('click', run(async () => {
    const file = $('#attachment').files[0];
    if (!file) throw new Error('请选择要上传的附件');
    const data = bytesToB64(new Uint8Array(await file.arrayBuffer()));
    await api('POST', `/api/contracts/${id}/attachments`, { name: file.name, mime: file.type || 'application/octet-stream', data });
    await showContract(id);
    notice(`已上传附件：${file.name}`);
  }));
  for (const btn of document.querySelectorAll('[data-delete-attachment]')) {
    btn.addEventListener('click', run(async () => {
      const { ok } = await ask({ title: '删除附件', text: `确认删除附件“${btn.dataset.name}”？`, okLabel: '删除', danger: true });
      if (!ok) return;
      const { removed } = await api('DELETE', `/api/contracts/${id}/attachments/${btn.dataset.deleteAttachment}`);
      await showContract(id);
      notice(`已删除附件：${removed}`);
    }));
  }
  for (const btn of document.querySelectorAll('[data-delete-seal]')) {
    btn.addEventListener('click', run(async () => {
      // A seal is an incremental revision of the PDF: deleting it removes every seal added after it.
      const also = btn.dataset.also;
      const { ok } = await ask({ title: '删除签章', text: also ? `确认删除“${btn.dataset.label}”？将同时删除其后加盖的：${also}` : `确认删除“${btn.dataset.label}”？`, okLabel: '删除', danger: true });
      if (!ok) return;
      const { removed } = await api('DELETE', `/api/contracts/${id}/seals/${btn.dataset.deleteSeal}`);
      await showContract(id);
      notice(`已删除签章：${removed.join('、')}，可重新盖章`);
    }));
  }
}

function openConfirmDialog(c) {
  const dialog = $('#confirm-dialog');
  const form = $('#confirm-form');
  form.reset();
  $('#confirm-error').textContent = '';
  form.querySelector('.step2').hidden = true;
  $('#confirm-ok').hidden = false;
  $('#online-yes').hidden = $('#online-no').hidden = true;
  $('#payment-amount').value = c.fields.amount;
  const submit = async (event) => {
    const value = event.submitter?.value;
    if (value === 'cancel') return;
    event.preventDefault();
    const paymentMethod = $('#payment-method').value;
    const paymentAmount = $('#payment-amount').value.trim();
    if (value === 'ok') {
      const amount = Number(paymentAmount);
      if (!paymentMethod) return void ($('#confirm-error').textContent = '请选择支付方式');
      if (!/^\d+(\.\d{1,2})?$/.test(paymentAmount) || !(amount > 0)) return void ($('#confirm-error').textContent = '请填写正确的支付金额（大于 0，最多两位小数）');
      if (amount > Number(String(c.fields.amount).replace(/,/g, ''))) return void ($('#confirm-error').textContent = `支付金额不能超过合同金额 ${yuan(c.fields.amount)} 元`);
      $('#confirm-error').textContent = '';
      form.querySelector('.step2').hidden = false;
      $('#confirm-ok').hidden = true;
      $('#online-yes').hidden = $('#online-no').hidden = false;
      return;
    }
    try {
      await api('POST', `/api/contracts/${c.id}/confirm`, { paymentMethod, paymentAmount, online: value === 'yes' });
      dialog.close();
      form.removeEventListener('submit', submit);
      await showContract(c.id);
      notice(value === 'yes' ? '合同已确认，进入线上签章流程（待供应商盖章）' : '合同已确认，已推送监管系统备案');
    } catch (err) {
      $('#confirm-error').textContent = err.message;
    }
  };
  form.addEventListener('submit', submit);
  dialog.addEventListener('close', () => form.removeEventListener('submit', submit), { once: true });
  dialog.showModal();
}

async function start() {
  session = await api('GET', '/api/session');
  const select = $('#user');
  select.innerHTML = session.users.map((u) => `<option value="${u.id}" ${u.id === session.me.id ? 'selected' : ''}>${esc(u.name)}</option>`).join('');
  $('#payment-method').innerHTML = `<option value="">请选择</option>${session.paymentMethods.map((m) => `<option>${esc(m)}</option>`).join('')}`;
  select.onchange = async () => {
    await api('POST', '/api/session', { userId: select.value });
    client?.close();
    client = undefined;
    session = await api('GET', '/api/session');
    clearMessages();
    await renderOrders();
  };
  for (const btn of document.querySelectorAll('nav button')) {
    btn.addEventListener('click', () => {
      clearMessages();
      const view = btn.dataset.view;
      (view === 'home' ? Promise.resolve(renderHome()) : view === 'orders' ? renderOrders() : view === 'guide' ? guidePage($('#main'), api) : renderContracts()).catch(fail);
    });
  }
  renderHome();
}

start().catch(fail);
