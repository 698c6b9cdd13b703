/**
 * 环境检测 of the compatibility endpoint (`ws://127.0.0.1:21051/xtxapp/`):
 * on and answering as the assistant, switched off in the config, or its port
 * held by another program — typically another CA vendor's local client, to
 * which pages coded for that client then talk instead of the assistant.
 */
import WebSocket from 'ws';
import { portOwner } from './port-owner.js';
import { SERVICE_PROBE_TIMEOUT_MS } from './service.js';
import type { CheckContext, CheckGroup, Outcome } from './types.js';

type XtxProbe = 'ours' | 'refused' | 'other' | 'timeout';

/** Opens `/xtxapp/` as a page would and asks SOF_GetVersion; `ours` when the assistant answers. */
export function probeXtx(port: number, origin: string, timeoutMs = SERVICE_PROBE_TIMEOUT_MS): Promise<XtxProbe> {
  return new Promise((resolve) => {
    let done = false;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/xtxapp/`, { origin, handshakeTimeout: timeoutMs, maxPayload: 64 * 1024 });
    const finish = (p: XtxProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(p);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ xtx_func_name: 'SOF_GetVersion', call_cmd_id: 'check', param: [] })));
    ws.on('message', (data: Buffer) => {
      try {
        const reply = JSON.parse(data.toString('utf8')) as { call_cmd_id?: unknown; retVal?: unknown };
        if (reply.call_cmd_id === 'check') finish(String(reply.retVal).includes('CA-Assistant/') ? 'ours' : 'other');
      } catch {
        finish('other');
      }
    });
    ws.on('unexpected-response', () => finish('other'));
    ws.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? 'refused' : 'other'));
  });
}

async function run(ctx: CheckContext): Promise<void> {
  const { enabled } = ctx.core.config.xtxCompat;
  const started = ctx.options.compat?.();
  const port = started && started.state !== 'off' ? started.port : ctx.core.config.xtxCompat.port;
  const base = { id: 'service.xtx', titleZh: '兼容接口（原 CA 客户端页面）', titleEn: 'Compatibility endpoint (pages of the incumbent CA clients)' };
  if (enabled && started?.state === 'off') {
    ctx.emit({ ...base, status: 'skipped', detailZh: '本次运行没有启动兼容接口', detailEn: 'The compatibility endpoint was not started in this run', data: { enabled, port } });
    return;
  }
  if (!enabled) {
    ctx.emit({
      ...base, status: 'skipped',
      detailZh: '兼容接口已在配置中关闭（xtxCompat.enabled 为 false），为原 CA 客户端编写的商城页面不能使用互认助手',
      detailEn: 'The compatibility endpoint is switched off in the config (xtxCompat.enabled = false)',
      remedyZh: '如商城页面仍使用原 CA 客户端的接口，请联系技术支持在配置中打开兼容接口。',
      remedyEn: 'If the mall still uses pages written for the incumbent clients, ask support to switch it on.',
      data: { enabled: false, port },
    });
    return;
  }
  const origin = ctx.core.config.trustedOrigins[0] ?? 'http://localhost';
  const probe = await probeXtx(port, origin);
  let out: Outcome;
  if (probe === 'ours') {
    out = { ...base, status: 'ok', detailZh: `兼容接口 ws://127.0.0.1:${port}/xtxapp/ 正常，为原 CA 客户端编写的商城页面可直接使用`, detailEn: `ws://127.0.0.1:${port}/xtxapp/ answers as the assistant`, data: { enabled: true, port, state: 'on' } };
  } else if (probe === 'refused') {
    out = {
      ...base, status: 'warn',
      detailZh: `本机端口 ${port} 没有程序在监听，兼容接口未运行`, detailEn: `Nothing listens on port ${port}`,
      remedyZh: '请重启互认助手；仍未运行时，把诊断报告发给技术支持。', remedyEn: 'Restart the assistant; if it persists, send the report to support.',
      data: { enabled: true, port, state: 'off' },
    };
  } else {
    const owner = await portOwner(port);
    const who = owner?.name || owner?.pid ? `“${owner.name ?? '未知程序'}”${owner.pid ? `（进程号 ${owner.pid}）` : ''}` : '其他程序（系统未告知是哪个程序）';
    out = {
      ...base, status: 'warn',
      detailZh: `本机端口 ${port} 被${who}占用，多半是其他 CA 厂商的证书应用环境客户端；为原客户端编写的商城页面会连到该程序，而不是互认助手`,
      detailEn: `Port ${port} is held by ${owner?.name ?? 'another program'}${owner?.pid ? ` (pid ${owner.pid})` : ''}, probably another CA vendor's client`,
      remedyZh: '如需互认助手为这些页面服务所有 CA 的锁：在“设置-应用-启动”（或任务管理器“启动”页）中禁用该客户端的自启动，或在“程序和功能”中卸载它，然后重启电脑。若只用该厂商的 CA 锁，可不处理。',
      remedyEn: 'To let the assistant serve those pages with every CA\'s key, disable that client\'s autostart or uninstall it, then restart the computer.',
      data: { enabled: true, port, state: 'taken', owner },
    };
  }
  ctx.emit(out);
}

/** The compatibility endpoint answers on its port, or who holds the port. */
export const compatChecks: CheckGroup = { id: 'compat', titleZh: '兼容接口', category: 'assistant', run };
