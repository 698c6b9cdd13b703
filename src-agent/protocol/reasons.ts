/**
 * Every error reason the assistant can report, with its JSON-RPC code, the
 * Chinese message a user sees, a remedy a clerk can follow, and English text.
 * This table is the single source for the wire, the SDK, the UI and
 * `docs/protocol.md`.
 */
export interface ReasonInfo {
  /** JSON-RPC error code (server-defined range -32000..-32099, or the standard ones). */
  readonly code: number;
  readonly zh: string;
  readonly remedyZh: string;
  readonly en: string;
  readonly remedyEn: string;
}

export const REASONS = {
  BAD_REQUEST: {
    code: -32602,
    zh: '请求格式不正确',
    remedyZh: '请刷新商城页面后重试；如仍出现，请联系商城技术支持。',
    en: 'The request is malformed',
    remedyEn: 'Reload the mall page and retry; if it persists, contact the mall support.',
  },
  METHOD_NOT_FOUND: {
    code: -32601,
    zh: '互认助手不支持该功能',
    remedyZh: '请将互认助手升级到最新版本。',
    en: 'The assistant does not support this method',
    remedyEn: 'Update the assistant to the latest version.',
  },
  ORIGIN_NOT_ALLOWED: {
    code: -32001,
    zh: '该网站未获授权使用 CA 证书',
    remedyZh: '请确认您打开的是政府采购商城的正式网址；如需授权，请在互认助手弹出的授权窗口中选择允许。',
    en: 'This website is not allowed to use the CA key',
    remedyEn: 'Check that you are on the official mall address; allow it in the assistant when asked.',
  },
  USER_DENIED: {
    code: -32002,
    zh: '您已拒绝该网站使用 CA 证书',
    remedyZh: '如需允许，请重新操作，并在互认助手的授权窗口中选择“仅此一次”或“始终允许”。',
    en: 'You denied this website access to the CA key',
    remedyEn: 'Retry and choose “once” or “always” in the assistant’s consent dialog.',
  },
  USER_CANCELLED: {
    code: -32003,
    zh: '您已取消操作',
    remedyZh: '如需继续，请重新点击【签章】，并在互认助手窗口中输入 CA 密码。',
    en: 'You cancelled the operation',
    remedyEn: 'Click the seal button again and enter the CA PIN in the assistant.',
  },
  TIMEOUT: {
    code: -32004,
    zh: '操作超时',
    remedyZh: '请检查 CA 锁是否插好、互认助手窗口是否在等待输入，然后重试。',
    en: 'The operation timed out',
    remedyEn: 'Check the USB key is plugged in and whether the assistant is waiting for input, then retry.',
  },
  NO_TOKEN: {
    code: -32010,
    zh: '未检测到 CA 锁',
    remedyZh: '请插入 CA 锁（USB Key），等待几秒后在互认助手中点击【环境检测】。',
    en: 'No USB key detected',
    remedyEn: 'Plug in the USB key, wait a few seconds, then run the environment check.',
  },
  TOKEN_REMOVED: {
    code: -32011,
    zh: 'CA 锁已被拔出',
    remedyZh: '请重新插入 CA 锁后重试；签章过程中请勿拔出 CA 锁。',
    en: 'The USB key was removed',
    remedyEn: 'Plug the key back in and retry; do not remove it while sealing.',
  },
  CERT_NOT_FOUND: {
    code: -32012,
    zh: '未找到所选证书',
    remedyZh: '请确认插入的是办理该证书的 CA 锁，然后刷新商城页面重新选择证书。',
    en: 'The selected certificate was not found',
    remedyEn: 'Check the right USB key is plugged in, reload the page and choose the certificate again.',
  },
  KEY_NOT_FOUND: {
    code: -32013,
    zh: '证书对应的私钥不在 CA 锁中',
    remedyZh: '该证书无法用于签章，请联系发证 CA 机构重新写入证书或更换 CA 锁。',
    en: 'The private key for this certificate is not on the key',
    remedyEn: 'The certificate cannot sign; ask the issuing CA to rewrite the key or replace it.',
  },
  CERT_EXPIRED: {
    code: -32014,
    zh: '证书已过期或尚未生效',
    remedyZh: '请联系发证 CA 机构办理证书更新（续期），更新后重新进行环境检测。',
    en: 'The certificate has expired or is not yet valid',
    remedyEn: 'Renew the certificate with the issuing CA, then run the environment check again.',
  },
  CERT_UNUSABLE: {
    code: -32015,
    zh: '该证书不能用于签章',
    remedyZh: '该证书的用途不包含数字签名，请选择单位签章证书或个人签章证书。',
    en: 'This certificate cannot be used for signing',
    remedyEn: 'Its key usage lacks digital signature; choose a seal or personal signing certificate.',
  },
  UNSUPPORTED_ALGORITHM: {
    code: -32016,
    zh: '不支持该算法',
    remedyZh: '请将互认助手升级到最新版本；如使用国密证书，请确认已安装 CA 机构的驱动。',
    en: 'Unsupported algorithm',
    remedyEn: 'Update the assistant; for SM2 certificates, install the CA vendor’s driver.',
  },
  PIN_INCORRECT: {
    code: -32020,
    zh: 'CA 密码错误',
    remedyZh: '请重新输入 CA 密码，注意区分大小写；多次输错会锁定 CA 锁。',
    en: 'Wrong PIN',
    remedyEn: 'Enter the PIN again (case-sensitive); too many wrong PINs lock the key.',
  },
  PIN_LOCKED: {
    code: -32021,
    zh: 'CA 密码已锁定',
    remedyZh: '密码输错次数过多，CA 锁已锁定。请携带 CA 锁到发证 CA 机构解锁，切勿继续尝试。',
    en: 'The PIN is locked',
    remedyEn: 'Too many wrong PINs; take the key to the issuing CA to unlock it.',
  },
  PIN_LEN_RANGE: {
    code: -32022,
    zh: 'CA 密码长度不正确',
    remedyZh: '请检查密码位数后重新输入。',
    en: 'The PIN has the wrong length',
    remedyEn: 'Check the number of characters and enter it again.',
  },
  MODULE_FAILED: {
    code: -32030,
    zh: 'CA 锁驱动返回错误',
    remedyZh: '请拔出 CA 锁后重新插入再试；如仍失败，请重新安装 CA 机构提供的驱动并导出诊断报告给客服。',
    en: 'The USB key driver returned an error',
    remedyEn: 'Re-plug the key and retry; if it fails again, reinstall the CA driver and send the diagnostic report.',
  },
  MODULE_CRASHED: {
    code: -32031,
    zh: 'CA 锁驱动异常退出',
    remedyZh: '互认助手已自动重启驱动，请重试；如频繁出现，请重新安装 CA 驱动并导出诊断报告给客服。',
    en: 'The USB key driver crashed',
    remedyEn: 'The assistant restarted the driver; retry. If frequent, reinstall the driver and send the report.',
  },
  BUSY: {
    code: -32040,
    zh: '互认助手正忙',
    remedyZh: '请稍候几秒再试，不要重复点击。',
    en: 'The assistant is busy',
    remedyEn: 'Wait a few seconds and retry; avoid repeated clicks.',
  },
  AUDIT_FAILED: {
    code: -32050,
    zh: '签章记录无法写入，签章未完成',
    remedyZh: '互认助手须先记下每次签章才能交出签名。请清理磁盘空间（数据目录所在磁盘已满时）或确认数据目录可写，然后重新签章；如仍失败，请导出诊断报告给客服。',
    en: 'The signature could not be recorded, so it was not released',
    remedyEn: 'Free disk space or make the data folder writable, then sign again; if it persists, export the diagnostic report for support.',
  },
  INTERNAL: {
    code: -32603,
    zh: '互认助手内部错误',
    remedyZh: '请重启互认助手后重试；如仍失败，请在互认助手中导出诊断报告发给客服。',
    en: 'Internal error in the assistant',
    remedyEn: 'Restart the assistant and retry; if it fails again, export the diagnostic report for support.',
  },
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;

export const REASON_NAMES = Object.keys(REASONS) as Reason[];

export function isReason(value: unknown): value is Reason {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASONS, value);
}
