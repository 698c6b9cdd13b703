import { defaultPolicyReader, grantingPolicies, type BrowserLnaPolicy } from './browser-policy.js';
import type { CheckContext, CheckGroup, Outcome } from './types.js';
import { shortTime } from './types.js';

const GUIDE_ZH = '如商城页面提示“无法连接互认助手”，请在 Chrome/Edge 地址栏左侧的站点信息中将“本地网络访问”设为“允许”，然后刷新页面；也可重新安装互认助手（安装程序会为商城网址自动授权）。';
const GUIDE_EN = 'If the mall page cannot reach the assistant, allow "Local network access" for the site in Chrome/Edge site settings and reload, or reinstall the assistant (it grants the mall origins by policy).';

const TITLE = { titleZh: '浏览器本地网络访问', titleEn: 'Browser local network access' };
const REINSTALL_ZH: Partial<Record<NodeJS.Platform, string>> = {
  win32: '或请单位 IT 人员以管理员身份重新安装互认助手（安装程序会为商城网址写入 Chrome/Edge 策略）',
  linux: '或请管理员用 sudo 重新安装互认助手的 deb 安装包（安装时会为商城网址写入浏览器策略）',
};

/** One result per installed browser: which configured mall origins its machine policy lets reach 127.0.0.1. */
function browserOutcome(browser: BrowserLnaPolicy, origins: string[]): Outcome {
  const id = `browser.lna.${browser.id}`;
  const perOrigin = origins.map((origin) => ({ origin, policies: grantingPolicies(browser, origin) }));
  const missing = perOrigin.filter((o) => o.policies.length === 0).map((o) => o.origin);
  const data = { browser: browser.id, origins: perOrigin.map((o) => ({ origin: o.origin, allowed: o.policies.length > 0, policies: o.policies })) };
  if (missing.length === 0) {
    return { id, ...TITLE, status: 'ok', data,
      detailZh: `${browser.nameZh} 已通过管理员策略允许商城网址访问互认助手：${origins.join('、')}`,
      detailEn: `${browser.nameZh}: machine policy grants local network access to ${origins.join(', ')}` };
  }
  const remedyZh = `请在 ${browser.nameZh} 中打开商城页面，点击地址栏左侧的站点信息图标，将“本地网络访问”设为“允许”后刷新页面；${REINSTALL_ZH[process.platform] ?? '或请管理员为商城网址设置浏览器策略'}。`;
  return {
    id, ...TITLE, status: 'warn', data,
    detailZh: `${browser.nameZh} 未通过策略允许以下商城网址访问本机：${missing.join('、')}（新版浏览器会拦截或弹出“本地网络访问”询问）`,
    detailEn: `${browser.nameZh}: no LocalNetworkAccessAllowedForUrls/LoopbackNetworkAllowedForUrls policy for ${missing.join(', ')}`,
    remedyZh, remedyEn: `Allow "Local network access" for the mall in ${browser.nameZh}'s site settings and reload, or reinstall the assistant as administrator (it writes the browser policy).`,
  };
}

async function run(ctx: CheckContext): Promise<void> {
  const origins = ctx.core.config.trustedOrigins;
  const reader = ctx.options.browserPolicies === undefined ? defaultPolicyReader() : ctx.options.browserPolicies;
  if (origins.length === 0) {
    ctx.emit({ id: 'browser.lna', ...TITLE, status: 'skipped', detailZh: `互认助手未配置商城网址，无法检查浏览器授权。${GUIDE_ZH}`, detailEn: `No mall origin configured. ${GUIDE_EN}` });
  } else if (!reader) {
    ctx.emit({ id: 'browser.lna', ...TITLE, status: 'skipped', detailZh: `本系统无法读取浏览器策略。${GUIDE_ZH}`, detailEn: `Browser policies are not inspected on this OS. ${GUIDE_EN}` });
  } else {
    const installed = (await reader.read()).filter((b) => b.installed);
    if (installed.length === 0) {
      ctx.emit({ id: 'browser.lna', ...TITLE, status: 'skipped', detailZh: '未发现 Chrome、Edge 或 Chromium 浏览器，无法检查本地网络访问授权', detailEn: 'No Chrome, Edge or Chromium found' });
    }
    for (const browser of installed) ctx.emit(browserOutcome(browser, origins));
  }
  const seenFn = ctx.options.browserSeen;
  if (!seenFn) {
    ctx.emit({ id: 'browser.seen', titleZh: '商城页面连接', titleEn: 'Mall page connections', status: 'skipped', detailZh: '命令行检测时无法得知浏览器是否连接过互认助手（请在互认助手窗口中运行环境检测查看）', detailEn: 'Only known inside the running assistant' });
    return;
  }
  const seen = seenFn();
  const last = seen[seen.length - 1];
  ctx.emit(
    last
      ? { id: 'browser.seen', titleZh: '商城页面连接', titleEn: 'Mall page connections', status: 'ok', detailZh: `商城页面 ${last.origin} 已于 ${shortTime(last.time)} 连接互认助手`, detailEn: `${last.origin} connected at ${last.time}`, data: { seen } }
      : {
          id: 'browser.seen', titleZh: '商城页面连接', titleEn: 'Mall page connections', status: 'warn',
          detailZh: '本次运行中尚无商城页面连接互认助手', detailEn: 'No trusted page connected in this run',
          remedyZh: `请打开商城页面登录后再检测。${GUIDE_ZH}`, remedyEn: `Open the mall page and check again. ${GUIDE_EN}`,
        },
  );
}

/** Chrome/Edge Local Network Access guidance, and whether a mall page connected. */
export const browserChecks: CheckGroup = { id: 'browser', titleZh: '浏览器', category: 'browser', run };
