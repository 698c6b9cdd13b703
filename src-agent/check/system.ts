import { arch, platform, release, type as osType } from 'node:os';
import { assistantVersion } from '../version.js';
import type { CheckContext, CheckGroup } from './types.js';
import { shortTime } from './types.js';

/** The clock may be this far behind a certificate's notBefore before we call it wrong (default 1 day, ms). */
export const CLOCK_SKEW_TOLERANCE_MS = 24 * 3600 * 1000;

export { assistantVersion };

const OS_NAMES: Record<string, string> = { win32: 'Windows', linux: 'Linux', darwin: 'macOS' };

/** Whether the process runs with administrator rights; null when the OS does not say. */
export function isElevated(): boolean | null {
  if (typeof process.geteuid === 'function') return process.geteuid() === 0;
  // Windows: a thin check; the installer, not the agent, needs elevation.
  if (process.platform === 'win32') return null;
  return null;
}

async function run(ctx: CheckContext): Promise<void> {
  const os = `${OS_NAMES[platform()] ?? osType()} ${release()}`;
  ctx.emit({
    id: 'system.os', titleZh: '操作系统', titleEn: 'Operating system', status: 'ok',
    detailZh: `${os}，${arch()} 架构，互认助手 ${assistantVersion()}，Node ${process.versions.node}`,
    detailEn: `${os}, ${arch()}, assistant ${assistantVersion()}, Node ${process.versions.node}`,
    data: { platform: platform(), release: release(), arch: arch(), version: assistantVersion(), node: process.versions.node },
  });

  const elevated = isElevated();
  ctx.emit(
    elevated === null
      ? { id: 'system.elevated', titleZh: '运行权限', titleEn: 'Privileges', status: 'skipped', detailZh: '本系统无法判断是否以管理员身份运行', detailEn: 'The OS does not tell whether the process is elevated' }
      : elevated
        ? {
            id: 'system.elevated', titleZh: '运行权限', titleEn: 'Privileges', status: 'warn',
            detailZh: '互认助手正以管理员（root）身份运行，不应以管理员身份运行',
            detailEn: 'The assistant runs as root; it should run as the logged-in user',
            remedyZh: '请退出互认助手，以普通用户身份重新启动（双击桌面“互认助手”图标即可）。',
            remedyEn: 'Quit the assistant and start it again as the normal user.',
          }
        : { id: 'system.elevated', titleZh: '运行权限', titleEn: 'Privileges', status: 'ok', detailZh: '以普通用户身份运行', detailEn: 'Runs as a normal user' },
  );

  const certs = (await Promise.all(ctx.tokens.map((t) => ctx.entries(t.id).catch(() => [])))).flat();
  if (certs.length === 0) {
    ctx.emit({ id: 'system.clock', titleZh: '系统时间', titleEn: 'System clock', status: 'skipped', detailZh: `当前时间 ${shortTime(ctx.now.toISOString())}；未读到证书，无法与证书有效期比对`, detailEn: 'No certificate to compare the clock with' });
    return;
  }
  const now = ctx.now.getTime();
  const latestStart = Math.max(...certs.map((c) => Date.parse(c.details.notBefore)));
  const earliestStart = Math.min(...certs.map((c) => Date.parse(c.details.notBefore)));
  const behind = now < earliestStart - CLOCK_SKEW_TOLERANCE_MS;
  ctx.emit(
    behind
      ? {
          id: 'system.clock', titleZh: '系统时间', titleEn: 'System clock', status: 'warn',
          detailZh: `电脑时间 ${shortTime(ctx.now.toISOString())} 早于所有证书的生效时间（最早 ${shortTime(new Date(earliestStart).toISOString())}），电脑时间可能不正确`,
          detailEn: 'The clock is earlier than every certificate\'s notBefore; it is probably wrong',
          remedyZh: '请在系统设置中将日期和时间设为“自动设置”并与网络时间同步，然后重新检测。',
          remedyEn: 'Set the date and time to automatic (network time) and run the check again.',
          data: { now: ctx.now.toISOString(), earliestNotBefore: new Date(earliestStart).toISOString() },
        }
      : {
          id: 'system.clock', titleZh: '系统时间', titleEn: 'System clock', status: 'ok',
          detailZh: `电脑时间 ${shortTime(ctx.now.toISOString())}，与证书有效期相符`,
          detailEn: 'The clock is consistent with the certificates',
          data: { now: ctx.now.toISOString(), latestNotBefore: new Date(latestStart).toISOString() },
        },
  );
}

/** OS, architecture, version, privileges and clock sanity. */
export const systemChecks: CheckGroup = { id: 'system', titleZh: '系统', category: 'system', run };
