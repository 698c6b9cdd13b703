import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CheckContext, CheckGroup } from './types.js';
import { shortTime } from './types.js';

const exec = promisify(execFile);
/** The Chrome/Edge machine policy that lets a public page open ws://127.0.0.1 (Chrome 147+). */
export const LNA_POLICY = 'LocalNetworkAccessAllowedForUrls';

const LINUX_POLICY_DIRS = ['/etc/opt/chrome/policies/managed', '/etc/chromium/policies/managed', '/etc/opt/edge/policies/managed'];
const WINDOWS_POLICY_KEYS = ['HKLM\\SOFTWARE\\Policies\\Google\\Chrome', 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge'];

/** URL patterns granted Local Network Access by machine policy; null when this OS is not inspected. */
export async function lnaPolicyUrls(): Promise<string[] | null> {
  const out: string[] = [];
  if (process.platform === 'linux') {
    for (const dir of LINUX_POLICY_DIRS) {
      const files = await readdir(dir).catch(() => []);
      for (const f of files.filter((n) => n.endsWith('.json'))) {
        try {
          const policy = JSON.parse(await readFile(join(dir, f), 'utf8')) as Record<string, unknown>;
          const urls = policy[LNA_POLICY];
          if (Array.isArray(urls)) out.push(...urls.map(String));
        } catch {
          // a broken policy file is Chrome's problem to report
        }
      }
    }
    return out;
  }
  if (process.platform === 'win32') {
    for (const key of WINDOWS_POLICY_KEYS) {
      const r = await exec('reg', ['query', `${key}\\${LNA_POLICY}`], { timeout: 3000, windowsHide: true }).catch(() => null);
      for (const line of r?.stdout.split('\n') ?? []) {
        const m = /REG_SZ\s+(\S+)/.exec(line);
        if (m?.[1]) out.push(m[1]);
      }
    }
    return out;
  }
  return null;
}

const GUIDE_ZH = '如商城页面提示“无法连接互认助手”，请在 Chrome/Edge 地址栏左侧的站点信息中将“本地网络访问”设为“允许”，然后刷新页面；也可重新安装互认助手（安装程序会为商城网址自动授权）。';
const GUIDE_EN = 'If the mall page cannot reach the assistant, allow "Local network access" for the site in Chrome/Edge site settings and reload, or reinstall the assistant (it grants the mall origins by policy).';

async function run(ctx: CheckContext): Promise<void> {
  const origins = ctx.core.config.trustedOrigins;
  if (origins.length === 0) {
    ctx.emit({ id: 'browser.lna', titleZh: '浏览器本地网络访问', titleEn: 'Browser local network access', status: 'skipped', detailZh: `互认助手未配置商城网址，无法检查浏览器授权。${GUIDE_ZH}`, detailEn: `No mall origin configured. ${GUIDE_EN}` });
  } else {
    const urls = await lnaPolicyUrls();
    const missing = urls === null ? origins : origins.filter((o) => !urls.some((u) => u === o || u.replace(/\/$/, '') === o));
    ctx.emit(
      urls === null
        ? { id: 'browser.lna', titleZh: '浏览器本地网络访问', titleEn: 'Browser local network access', status: 'skipped', detailZh: `本系统无法读取浏览器策略。${GUIDE_ZH}`, detailEn: `Browser policies are not inspected on this OS. ${GUIDE_EN}` }
        : missing.length === 0
          ? { id: 'browser.lna', titleZh: '浏览器本地网络访问', titleEn: 'Browser local network access', status: 'ok', detailZh: `Chrome/Edge 已通过策略允许商城网址访问互认助手：${origins.join('、')}`, detailEn: 'Chrome/Edge policy grants local network access to the mall origins' }
          : {
              id: 'browser.lna', titleZh: '浏览器本地网络访问', titleEn: 'Browser local network access', status: 'warn',
              detailZh: `浏览器策略未授权以下商城网址访问本机：${missing.join('、')}（新版 Chrome/Edge 会拦截）`, detailEn: `No ${LNA_POLICY} policy for: ${missing.join(', ')}`,
              remedyZh: GUIDE_ZH, remedyEn: GUIDE_EN, data: { missing },
            },
    );
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
