// @ts-check
/** Every UI string, zh-CN first, English second. `t(key, vars)` fills {name} placeholders. */
const STRINGS = {
  appName: ['互认助手', 'CA Assistant'],
  connLostTitle: ['与互认助手的连接已断开', 'The assistant is not answering'],
  connLostText: ['互认助手可能已退出或正在重新启动，此页上的状态已不再准确。请从开始菜单或托盘重新打开互认助手；需要输入 PIN 码时它会自动打开新的窗口。', 'It may have quit or be restarting; what this page shows is out of date. Start the assistant again; it opens a new window when a PIN is needed.'],
  connRestartedTitle: ['互认助手已重新启动，此窗口已失效', 'The assistant was restarted: this window no longer works'],
  connRestartedText: ['请关闭此页，使用互认助手新给出的地址打开窗口；需要输入 PIN 码时它会自动打开新的窗口。', 'Close this page and open the address the assistant gave this time; it opens a new window when a PIN is needed.'],
  tabCheck: ['环境检测', 'Environment check'],
  tabCerts: ['证书', 'Certificates'],
  tabOrigins: ['授权网站', 'Allowed sites'],
  tabSettings: ['设置', 'Settings'],
  tabDiag: ['诊断', 'Diagnostics'],
  stKey: ['CA 锁', 'Key'],
  stKeyNone: ['未插入', 'not inserted'],
  stKeyCount: ['已插入 {n} 个', '{n} inserted'],
  stCert: ['证书', 'Certificate'],
  stCertNone: ['无', 'none'],
  stLogin: ['登录', 'Login'],
  stLoggedIn: ['已登录', 'logged in'],
  stLoggedOut: ['未登录', 'not logged in'],
  stCertMore: ['{name}（共 {n} 张）', '{name} ({n} in all)'],
  stLoggedInWhich: ['已登录：{names}', 'logged in: {names}'],
  stLoggedInNone: ['{n} 个均未登录', 'none of {n} logged in'],
  checkPick: ['本次验证哪些 CA 锁的 PIN 码（按此顺序询问，可在对话框中跳过）', 'Keys whose PIN to check (asked in this order; you can skip one in the dialog)'],
  checkPickFinal: ['只剩最后一次机会，确认 PIN 码后再勾选', 'one try left: tick only when sure of the PIN'],
  checkPickLocked: ['已锁定，不会询问', 'locked: not asked'],
  checkPickUsed: ['商城最近使用', 'used by the mall lately'],
  checkPickLoggedIn: ['已登录', 'logged in'],
  stAgent: ['本地服务', 'Local service'],
  stListening: ['运行中（端口 {port}）', 'running (port {port})'],
  stStopped: ['未运行', 'not running'],
  checkIntro: ['插入 CA 锁后点击“开始检测”，按提示输入 CA 锁 PIN 码。检测通过后请保持互认助手运行，再到商城页面签章。', 'Insert the key, click "Start check" and type the PIN when asked. Keep the assistant running, then sign in the mall.'],
  checkStart: ['开始检测', 'Start check'],
  checkAgain: ['重新检测', 'Check again'],
  checkRunning: ['正在检测：{title}', 'Checking: {title}'],
  checkRunningShort: ['正在检测…', 'Checking…'],
  checkSummary: ['检测完成：{ok} 项通过，{warn} 项提醒，{fail} 项失败，{skipped} 项跳过', 'Done: {ok} passed, {warn} warnings, {fail} failed, {skipped} skipped'],
  checkAllOk: ['全部通过，可以到商城页面签章。', 'All good: you can sign in the mall now.'],
  checkHasFail: ['有检测项未通过，请按每项下方的提示处理后点击“重新检测”。', 'Some checks failed: follow the advice under each, then check again.'],
  checkFailed: ['检测未能完成：{msg}', 'The check could not finish: {msg}'],
  checkPassedList: ['已通过的 {n} 项（点击展开）', '{n} passed checks (click to show)'],
  remedy: ['处理方法：', 'What to do: '],
  statusOk: ['通过', 'OK'],
  statusWarn: ['提醒', 'Warning'],
  statusFail: ['失败', 'Failed'],
  statusSkipped: ['跳过', 'Skipped'],
  certsNone: ['没有找到证书。请插入 CA 锁；已插入时请到“环境检测”查看原因。', 'No certificates. Insert the key, or run the environment check.'],
  certsLoading: ['正在读取证书…', 'Reading certificates…'],
  kindOrganization: ['单位证书', 'Organization'],
  kindPersonal: ['个人证书', 'Personal'],
  kindUnknown: ['证书', 'Certificate'],
  certToken: ['所在 CA 锁', 'On key'],
  certSubject: ['主题', 'Subject'],
  certIssuer: ['颁发者', 'Issuer'],
  certValidity: ['有效期', 'Validity'],
  certDaysLeft: ['还剩 {n} 天', '{n} days left'],
  certExpired: ['已过期 {n} 天', 'expired {n} days ago'],
  certKeyUsage: ['密钥用法', 'Key usage'],
  certAlgorithm: ['密钥算法', 'Key algorithm'],
  certSerial: ['序列号', 'Serial number'],
  certChain: ['证书链', 'Chain'],
  certFingerprint: ['SHA-256 指纹', 'SHA-256 fingerprint'],
  certNoKey: ['CA 锁中没有该证书的私钥，无法用它签章', 'No private key: cannot sign with it'],
  certEncryption: ['加密证书：只用于加密，不用于签名或签章；签章用同一把 CA 锁中的签名证书', 'Encryption certificate: for encryption only, never for signing or sealing; the signing certificate on the same key seals'],
  algSm2: ['国密 SM2', 'SM2 (Chinese national algorithm)'],
  kuDigitalSignature: ['数字签名', 'digitalSignature'],
  kuNonRepudiation: ['不可否认', 'nonRepudiation'],
  kuKeyEncipherment: ['密钥加密', 'keyEncipherment'],
  kuDataEncipherment: ['数据加密', 'dataEncipherment'],
  kuKeyAgreement: ['密钥协商', 'keyAgreement'],
  kuKeyCertSign: ['签发证书', 'keyCertSign'],
  kuCRLSign: ['签发吊销列表', 'cRLSign'],
  kuEncipherOnly: ['仅加密', 'encipherOnly'],
  kuDecipherOnly: ['仅解密', 'decipherOnly'],
  certSeal: ['印章图片', 'Seal image'],
  certNoSeal: ['CA 锁中没有印章图片', 'No seal image on the key'],
  originsTrusted: ['可信网站（由单位配置，不能在此修改）', 'Trusted sites (set by your organization)'],
  originsTrustedNone: ['没有配置可信网站', 'No trusted sites configured'],
  originsAllowed: ['您允许过的网站', 'Sites you allowed'],
  originsAllowedNone: ['您还没有“始终允许”过任何网站', 'You have not allowed any site permanently'],
  originsRevoke: ['撤销授权', 'Revoke'],
  originsRevoked: ['已撤销 {origin} 的授权', 'Revoked {origin}'],
  setPinCache: ['“不再询问”时长（分钟）', '“Don’t ask again” time (minutes)'],
  setPinCacheHint: ['PIN 窗口中“本次会话 N 分钟内不再询问”的 N；默认每次签章都输入 CA 密码，填 0 则不提供该选项', 'The N of “don’t ask again for N minutes” in the PIN dialog; 0 removes the option'],
  setPort: ['本地服务端口', 'Local service port'],
  setPortHint: ['商城页面连接的端口，默认 21518；不清楚时请勿修改', 'The port mall pages connect to (default 21518)'],
  setModules: ['额外的驱动程序（每行一个 PKCS#11 库路径）', 'Extra drivers (one PKCS#11 library path per line)'],
  setLanguage: ['界面语言', 'Language'],
  setSave: ['保存设置', 'Save settings'],
  setSaved: ['设置已保存。', 'Settings saved.'],
  setRestart: ['端口、驱动和 PIN 缓存时间在互认助手重新启动后生效。', 'Port, drivers and PIN cache apply after a restart.'],
  setNoFile: ['互认助手启动时未指定配置文件，设置只能查看，不能保存。', 'No config file: settings are read-only.'],
  diagIntro: ['遇到问题时，导出诊断报告发给客服。报告不含 PIN 码。', 'When something goes wrong, export the report for support. It never contains your PIN.'],
  diagExport: ['导出诊断报告', 'Export support report'],
  diagExporting: ['正在生成报告…', 'Writing the report…'],
  diagDone: ['报告已保存到：', 'Report saved to:'],
  diagOpened: ['已打开所在文件夹。', 'The folder has been opened.'],
  diagNotOpened: ['请打开此文件夹，把其中的 report.html 发给客服。', 'Open this folder and send report.html to support.'],
  pinTitle: ['输入 CA 锁 PIN 码', 'Enter the key PIN'],
  pinAsksSite: ['此网站请求用您的 CA 锁签名：', 'This site asks to sign with your key:'],
  pinAsksSelf: ['环境检测需要验证 PIN 码', 'The environment check needs your PIN'],
  pinToken: ['CA 锁', 'Key'],
  pinCert: ['证书', 'Certificate'],
  pinDoc: ['网站声明的文件名', 'File name (as the site claims)'],
  pinDocNote: ['由网站提供，互认助手无法核实', 'given by the site; the assistant cannot verify it'],
  pinLabel: ['PIN 码', 'PIN'],
  pinLength: ['{min}–{max} 位', '{min}–{max} characters'],
  pinTooShort: ['PIN 码至少 {min} 位', 'The PIN has at least {min} characters'],
  pinWrong: ['PIN 码错误，请重新输入。', 'Wrong PIN, try again.'],
  pinWrongLen: ['PIN 码长度不对，请重新输入。', 'Wrong PIN length, try again.'],
  pinRetries: ['还剩 {n} 次机会', '{n} tries left'],
  pinCountLow: ['剩余次数已不多', 'Few tries left'],
  pinFinal: ['最后一次机会！再输错一次，CA 锁将被锁定。不确定 PIN 码时请点“取消”，联系发证机构。', 'Final try! One more wrong PIN locks the key. If unsure, cancel and contact your CA.'],
  pinLockedTitle: ['PIN 已锁定', 'PIN locked'],
  pinLockedText: ['为保护 CA 锁，互认助手不会再尝试。请携带 CA 锁到发证机构（CA 服务网点）解锁后再签章。', 'The assistant will not try again. Take the key to your certificate authority to unlock it.'],
  pinPadText: ['请在读卡器的密码键盘上输入 PIN 码，然后按读卡器上的确认键。', 'Type the PIN on the reader’s keypad and confirm there.'],
  pinPadStart: ['开始输入', 'Start'],
  pinVerifying: ['正在验证 PIN 码…', 'Checking the PIN…'],
  pinReuse: ['本次会话 {n} 分钟内不再询问', 'Don’t ask again for {n} minutes'],
  pinReuseNote: ['勾选后，此网站在 {n} 分钟内签章不再弹窗；其他网站仍须输入', 'This site then signs without asking for {n} minutes; other sites still ask'],
  ok: ['确定', 'OK'],
  cancel: ['取消', 'Cancel'],
  pinSkip: ['跳过此 CA 锁', 'Skip this key'],
  close: ['关闭', 'Close'],
  consentTitle: ['网站请求使用 CA 锁', 'A site wants to use your key'],
  consentText: ['此网站不在单位配置的可信网站中。只有您确认是正在使用的商城网站时才允许。', 'This site is not on your organization’s trusted list. Allow it only if it is the mall you are using.'],
  consentOnce: ['仅此一次', 'Only this time'],
  consentAlways: ['始终允许', 'Always allow'],
  consentDeny: ['拒绝', 'Deny'],
  consentBlock: ['始终拒绝', 'Always deny'],
  consentDoc: ['网站声明要签署的文件', 'Document the site says it signs'],
  confirmModulesTitle: ['确认修改 CA 锁驱动', 'Confirm the change of key drivers'],
  confirmModulesText: ['驱动是互认助手下次启动时加载的程序。只有您本人刚刚在设置中修改、并且认识这些文件时才确认。', 'Drivers are programs the assistant loads at its next start. Confirm only if you just changed them in the settings and know these files.'],
  confirmBefore: ['修改前', 'Before'],
  confirmAfter: ['修改后', 'After'],
  confirmNone: ['（无）', '(none)'],
  confirmOk: ['确认修改', 'Confirm change'],
  noticeSigned: ['已签名', 'Signed'],
  noticeSite: ['网站', 'Site'],
  noticeDoc: ['文件', 'Document'],
  errorPrefix: ['出错了：', 'Error: '],
  mobileTitle: ['公采签（移动签）：此网站请求用手机签章', 'Mobile signing: this site asks you to seal with your phone'],
  mobileSeal: ['印章', 'Seal'],
  mobileSealOrg: ['单位公章', 'Company seal'],
  mobileSealPersonal: ['个人签章', 'Personal seal'],
  mobileFingerprint: ['摘要指纹', 'Fingerprint'],
  mobileQrAlt: ['公采签二维码', 'Mobile signing QR code'],
  mobileHow: ['请打开公采易通，点击首页【公采签】扫描二维码，并核对手机上的摘要指纹与此处一致。', 'Open 公采易通, tap 公采签 and scan; check that the phone shows the same fingerprint.'],
  mobileCountdown: ['二维码 {s} 秒后过期。', 'The QR expires in {s} s.'],
  mobileExpiredShort: ['二维码已过期。', 'The QR has expired.'],
  mobileWaiting: ['等待扫码…', 'Waiting for the scan…'],
  mobileScanned: ['已扫码：{name}，请在手机上确认', 'Scanned by {name}: confirm on the phone'],
  mobileSigned: ['已签名', 'Signed'],
  mobileRejected: ['已拒绝：已在手机上拒绝签章', 'Rejected on the phone'],
  mobileExpired: ['已过期：请点击【刷新二维码】后重新扫描', 'Expired: click Refresh QR and scan again'],
  mobileRefresh: ['刷新二维码', 'Refresh QR'],
};

/** @type {'zh-CN' | 'en'} */
let lang = 'zh-CN';

/** @param {'zh-CN' | 'en'} next */
export function setLang(next) {
  lang = next;
  document.documentElement.lang = next;
}
export function getLang() {
  return lang;
}

/**
 * @param {keyof typeof STRINGS} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars = {}) {
  const pair = STRINGS[key];
  const text = (pair ? pair[lang === 'en' ? 1 : 0] : undefined) ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/**
 * A time in the user's own time zone (the PC's; Asia/Shanghai on a Chinese PC): `2026-01-31 16:00`,
 * with the zone (`北京时间`, or `UTC+02:00`) when `zone` is set. Dates only with `date`.
 * @param {string | number | Date} value @param {{ zone?: boolean, date?: boolean }} [options]
 */
export function localTime(value, options = {}) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = (n) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (options.date) return day;
  const text = `${day} ${p(d.getHours())}:${p(d.getMinutes())}`;
  return options.zone ? `${text}（${zoneName(d)}）` : text;
}

/** `北京时间` for UTC+8 in Chinese, else `UTC±hh:mm`. @param {Date} d */
export function zoneName(d) {
  const offset = -d.getTimezoneOffset();
  if (offset === 480 && lang !== 'en') return '北京时间';
  const sign = offset >= 0 ? '+' : '-';
  const a = Math.abs(offset);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Picks the zh or en field of a record (`detailZh` / `detailEn`), falling back to Chinese. */
export function pick(zh, en) {
  return lang === 'en' && en ? en : zh;
}

/** Creates an element: `h('div', {class: 'x'}, 'text', child)`. Text is always set as text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === undefined || v === null) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
