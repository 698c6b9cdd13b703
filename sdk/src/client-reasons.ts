/**
 * Reasons the SDK raises itself, when the assistant cannot answer. Server
 * reasons arrive with their own Chinese message and remedy; these need text
 * here because the SDK imports no runtime code from the agent.
 */
export type ClientReason = 'NOT_RUNNING' | 'BLOCKED_BY_BROWSER' | 'INSECURE_CONTEXT' | 'CONNECTION_LOST' | 'TIMEOUT';

export interface ClientReasonInfo {
  /** Error code; TIMEOUT shares the agent's code, the others are SDK-only. */
  readonly code: number;
  readonly zh: string;
  readonly remedyZh: string;
  readonly en: string;
  readonly remedyEn: string;
}

export const CLIENT_REASONS: { readonly [R in ClientReason]: ClientReasonInfo } = {
  NOT_RUNNING: {
    code: -32090,
    zh: '未连接到互认助手',
    remedyZh: '请先启动互认助手（桌面图标“互认助手”）；如未安装，请下载安装后重试。',
    en: 'The assistant is not running',
    remedyEn: 'Start the assistant (desktop icon “互认助手”); install it if missing, then retry.',
  },
  BLOCKED_BY_BROWSER: {
    code: -32091,
    zh: '浏览器阻止了本网站连接互认助手',
    remedyZh:
      '请点击地址栏左侧的锁形图标，打开“网站设置”，将“本地网络访问”设为“允许”后刷新页面；或请单位 IT 人员重新安装互认助手以写入浏览器策略。',
    en: 'The browser blocked this site from reaching the assistant',
    remedyEn:
      'Click the lock icon left of the address bar, open Site settings, allow “Local network access”, then reload; or ask IT to reinstall the assistant to set the browser policy.',
  },
  INSECURE_CONTEXT: {
    code: -32093,
    zh: '本页面未通过 https 打开，浏览器不允许它连接本机的互认助手',
    remedyZh:
      '请商城网站的技术人员改用 https 提供本页面（浏览器只允许 https 网页访问本机上的互认助手）；如地址栏以“http://”开头，可先改为“https://”重新打开页面。',
    en: 'This page is not served over https, so the browser does not let it reach the assistant',
    remedyEn: 'The mall must serve this page over https (browsers let only secure pages reach local services); try opening the https:// address.',
  },
  CONNECTION_LOST: {
    code: -32092,
    zh: '与互认助手的连接已断开',
    remedyZh: '请确认互认助手仍在运行（任务栏右下角图标），然后刷新页面重试。',
    en: 'The connection to the assistant was lost',
    remedyEn: 'Check the assistant is still running (tray icon), then reload the page and retry.',
  },
  TIMEOUT: {
    code: -32004,
    zh: '操作超时',
    remedyZh: '请检查 CA 锁是否插好、互认助手窗口是否在等待输入，然后重试。',
    en: 'The operation timed out',
    remedyEn: 'Check the USB key is plugged in and whether the assistant is waiting for input, then retry.',
  },
};
