// The 公采易通 phone app (reference stand-in): 激活, 首页【公采签】, camera scanner (getUserMedia + jsQR),
// confirmation (site, document, hash fingerprint, seal, app PIN), and a CMS signature made here with PKI.js.
// The private keys are WebCrypto keys created non-extractable and kept in IndexedDB: they never leave this page.
import jsQR from 'jsqr';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const $ = (sel) => document.querySelector(sel);
const main = () => $('#main');
const QR_PREFIX = 'gcyt-sign:';
const EC = { name: 'ECDSA', namedCurve: 'P-256' };
const HASH_NAME = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const KIND_LABEL = { organization: '单位公章', personal: '个人签章' };

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const b64ToBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const bytesToB64 = (bytes) => btoa(Array.from(new Uint8Array(bytes), (b) => String.fromCharCode(b)).join(''));

// ---- the key store (IndexedDB) ---------------------------------------------

function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('gcyt', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('wallet');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function walletGet() {
  const d = await db();
  return new Promise((resolve, reject) => {
    const req = d.transaction('wallet').objectStore('wallet').get('me');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function walletPut(value) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction('wallet', 'readwrite');
    tx.objectStore('wallet').put(value, 'me');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

async function api(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.error ?? `请求失败（${res.status}）`), { code: data.code });
  return data;
}

// ---- screens -----------------------------------------------------------------

let wallet;

function renderEnrol(error) {
  $('#who').textContent = '';
  main().innerHTML = `<div class="card"><h2>激活公采易通</h2><p class="hint">首次使用请输入账号和激活码，并设置 6 位应用密码。密钥在本机生成，不会离开手机。</p>
    <form id="enrol"><label for="account">账号</label><input type="text" id="account" autocomplete="username">
    <label for="code">激活码</label><input type="text" id="code">
    <label for="new-pin">设置应用密码（6 位数字）</label><input type="password" id="new-pin" inputmode="numeric" maxlength="6" autocomplete="new-password">
    <p class="error" id="enrol-error">${esc(error ?? '')}</p><div class="buttons"><button class="primary" type="submit">激活</button></div></form></div>`;
  $('#enrol').addEventListener('submit', (e) => {
    e.preventDefault();
    enrol($('#account').value.trim(), $('#code').value.trim(), $('#new-pin').value).catch((err) => renderEnrol(err.message));
  });
}

async function enrol(account, enrolCode, pin) {
  if (!/^\d{6}$/.test(pin)) throw new Error('应用密码须为 6 位数字');
  const deviceId = bytesToB64(crypto.getRandomValues(new Uint8Array(24))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const keys = {};
  const spki = {};
  for (const kind of ['organization', 'personal']) {
    keys[kind] = await crypto.subtle.generateKey(EC, false, ['sign', 'verify']);
    spki[kind] = bytesToB64(await crypto.subtle.exportKey('spki', keys[kind].publicKey));
  }
  const r = await api('/api/v1/enrol', { account, enrolCode, pin, deviceId, keys: spki });
  wallet = { deviceId, account, name: r.name, org: r.org, keys: { organization: keys.organization.privateKey, personal: keys.personal.privateKey }, certificates: r.certificates };
  await walletPut(wallet);
  renderHome('激活成功');
}

function renderHome(message) {
  $('#who').textContent = wallet.name;
  main().innerHTML = `<div class="card"><p>${esc(wallet.org)}</p><p class="hint">在商城合同页点击【公采签】后，互认助手会弹出二维码，点击下方【公采签】扫描该二维码。</p></div>
    <button class="big" id="scan">公采签</button>${message ? `<p class="ok" id="home-message">${esc(message)}</p>` : ''}`;
  $('#scan').addEventListener('click', () => void renderScanner());
}

let stream;
function stopCamera() {
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = undefined;
}

async function renderScanner() {
  main().innerHTML = `<div class="card"><h2>扫描二维码</h2><p class="hint">请对准互认助手窗口中的二维码</p><video id="video" playsinline muted></video>
    <p class="error" id="scan-error"></p><div class="buttons"><button id="back">返回</button></div></div>`;
  $('#back').addEventListener('click', () => { stopCamera(); renderHome(); });
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    $('#scan-error').textContent = '无法打开摄像头，请在手机设置中允许公采易通使用相机';
    return;
  }
  const video = $('#video');
  video.srcObject = stream;
  await video.play();
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const tick = () => {
    if (!stream) return;
    if (video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      g.drawImage(video, 0, 0);
      const code = jsQR(g.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height, { inversionAttempts: 'dontInvert' });
      if (code?.data.startsWith(QR_PREFIX)) {
        stopCamera();
        void scanned(code.data);
        return;
      }
      if (code) $('#scan-error').textContent = '这不是互认助手的签章二维码';
    }
    requestAnimationFrame(tick);
  };
  tick();
}

async function scanned(qr) {
  main().innerHTML = '<p class="hint">正在获取签章请求…</p>';
  let s;
  try {
    s = await api('/api/v1/scan', { qr, deviceId: wallet.deviceId });
  } catch (err) {
    main().innerHTML = `<div class="card"><p class="error" id="result-error">${esc(err.message)}</p><div class="buttons"><button id="home">返回首页</button></div></div>`;
    $('#home').addEventListener('click', () => renderHome());
    return;
  }
  renderConfirm(qr, s);
}

function renderConfirm(qr, s, error) {
  const seal = (kind) => `<label><input type="radio" name="kind" value="${kind}" ${kind === s.sealKind ? 'checked' : ''}>${KIND_LABEL[kind]}
    ${s.seals[kind] ? `<img alt="${KIND_LABEL[kind]}" src="data:${s.seals[kind].mime};base64,${s.seals[kind].image}">` : ''}</label>`;
  main().innerHTML = `<div class="card"><h2>确认签章</h2><dl>
      <dt>网站</dt><dd id="c-origin">${esc(s.origin)}</dd>
      <dt>文件</dt><dd id="c-doc">${s.documentName ? `「${esc(s.documentName)}」<div class="claim">（网站声称的文件名）</div>` : '（网站未提供文件名）'}</dd>
      <dt>摘要指纹</dt><dd class="fp" id="c-fp">${esc(s.fingerprint)}</dd></dl>
      <p class="hint">请核对摘要指纹与电脑上互认助手窗口中显示的一致。</p></div>
    <form class="card" id="confirm"><div>选择印章</div><div class="seals">${seal('organization')}${seal('personal')}</div>
      <label for="pin">应用密码</label><input type="password" id="pin" inputmode="numeric" maxlength="6" autocomplete="current-password">
      <p class="error" id="confirm-error">${esc(error ?? '')}</p>
      <div class="buttons"><button type="button" id="reject">拒绝</button><button type="submit" class="primary" id="sign">确认签章</button></div></form>`;
  $('#reject').addEventListener('click', async () => {
    try {
      await api('/api/v1/answer', { qr, deviceId: wallet.deviceId, decision: 'reject' });
      renderHome('已拒绝签章');
    } catch (err) {
      renderConfirm(qr, s, err.message);
    }
  });
  $('#confirm').addEventListener('submit', async (e) => {
    e.preventDefault();
    const pin = $('#pin').value;
    const kind = document.querySelector('input[name=kind]:checked')?.value ?? s.sealKind;
    if (!/^\d{6}$/.test(pin)) return void ($('#confirm-error').textContent = '请输入 6 位应用密码');
    $('#sign').disabled = true;
    try {
      const signature = await signCms(kind, b64ToBytes(s.hash), s.hashAlgorithm);
      await api('/api/v1/answer', { qr, deviceId: wallet.deviceId, decision: 'sign', pin, sealKind: kind, signature });
      renderHome(`已签章（${KIND_LABEL[kind]}），请回到电脑查看`);
    } catch (err) {
      renderConfirm(qr, s, err.message);
    }
  });
}

// ---- the signature -------------------------------------------------------------

/** A detached CMS SignedData over `hash` (messageDigest), signed with the key of that seal kind. */
async function signCms(kind, hash, hashAlgorithm) {
  const cert = pkijs.Certificate.fromBER(b64ToBytes(wallet.certificates[kind]));
  const attr = (type, value) => new pkijs.Attribute({ type, values: [value] });
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    signerInfos: [new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({
        type: 0,
        attributes: [
          attr('1.2.840.113549.1.9.3', new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })),
          attr('1.2.840.113549.1.9.5', new asn1js.UTCTime({ valueDate: new Date() })),
          attr('1.2.840.113549.1.9.4', new asn1js.OctetString({ valueHex: hash })),
        ],
      }),
    })],
    certificates: [cert],
  });
  await signedData.sign(wallet.keys[kind], 0, HASH_NAME[hashAlgorithm]);
  const contentInfo = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signedData.toSchema(true) });
  return bytesToB64(contentInfo.toSchema().toBER(false));
}

async function start() {
  wallet = await walletGet();
  if (wallet) renderHome();
  else renderEnrol();
}

start().catch((err) => (main().innerHTML = `<p class="error">${esc(err.message)}</p>`));
