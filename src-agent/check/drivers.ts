import { basename } from 'node:path';
import type { ModuleInfo } from '../tokens/types.js';
import type { CheckContext, CheckGroup } from './types.js';

/** What a loaded module told about itself, without the empty values (SKF libraries report fewer). */
export function loadedFacts(m: ModuleInfo): string[] {
  const skf = m.path.startsWith('skf:');
  return [
    m.manufacturer?.trim() || '未知厂商',
    m.libraryVersion?.trim() ? `驱动版本 ${m.libraryVersion.trim()}` : null,
    m.cryptokiVersion?.trim() ? `${skf ? 'SKF 接口' : 'PKCS#11'} ${m.cryptokiVersion.trim()}` : skf ? 'SKF 接口（国密）' : null,
  ].filter((x): x is string => x !== null);
}

async function run(ctx: CheckContext): Promise<void> {
  const modules = ctx.core.tokens.modules();
  if (modules.length === 0) {
    ctx.emit({
      id: 'driver.none', titleZh: 'CA 驱动', titleEn: 'CA drivers', status: 'fail',
      detailZh: '未找到任何 CA 锁驱动（PKCS#11 模块）', detailEn: 'No PKCS#11 module configured or found',
      remedyZh: '请安装发证机构（CA）提供的 CA 锁驱动程序，安装后重新检测。',
      remedyEn: 'Install the driver from your certificate authority and run the check again.',
    });
    return;
  }
  for (const m of modules) {
    const name = basename(m.path);
    if (m.duplicateOf) {
      ctx.emit({
        id: `driver:${m.path}`, titleZh: `驱动 ${name}`, titleEn: `Driver ${name}`, status: 'ok',
        detailZh: `与 ${m.duplicateOf} 是同一驱动文件，只加载一次（${m.path}）`,
        detailEn: `Same library file as ${m.duplicateOf}, loaded once (${m.path})`,
        data: { path: m.path, duplicateOf: m.duplicateOf },
      });
    } else if (m.loaded) {
      ctx.emit({
        id: `driver:${m.path}`, titleZh: `驱动 ${name}`, titleEn: `Driver ${name}`, status: 'ok',
        detailZh: `已加载：${loadedFacts(m).join('，')}（${m.path}）`,
        detailEn: `Loaded: ${m.manufacturer ?? '?'}, library ${m.libraryVersion ?? '?'}, Cryptoki ${m.cryptokiVersion ?? '?'} (${m.path})`,
        data: { path: m.path, manufacturer: m.manufacturer, libraryVersion: m.libraryVersion, cryptokiVersion: m.cryptokiVersion },
      });
    } else {
      ctx.emit({
        id: `driver:${m.path}`, titleZh: `驱动 ${name}`, titleEn: `Driver ${name}`, status: 'fail',
        detailZh: `${m.errorZh ?? '驱动加载失败'}：${m.path}`,
        detailEn: `The module failed to load (${m.reason ?? 'unknown'}): ${m.path}`,
        remedyZh: '请重新安装发证机构（CA）提供的驱动程序（注意与系统位数一致），安装后重启电脑再检测。',
        remedyEn: 'Reinstall the CA driver (matching the system architecture), restart and check again.',
        data: { path: m.path, reason: m.reason },
      });
    }
  }
}

/** Each configured or discovered PKCS#11 module loads (C_GetInfo). */
export const driverChecks: CheckGroup = { id: 'driver', titleZh: '驱动', category: 'driver', run };
