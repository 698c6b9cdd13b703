import WebSocket from 'ws';
import { portOwner } from './port-owner.js';
import type { CheckContext, CheckGroup, Outcome } from './types.js';

/** How long the probe waits for `system.hello` (default 3 s). */
export const SERVICE_PROBE_TIMEOUT_MS = 3000;

type Probe =
  | { kind: 'hello'; version: string; protocol: number }
  | { kind: 'refused' }
  | { kind: 'other'; detail: string }
  | { kind: 'timeout' };

/** Connects to the API port as a page would (with an Origin) and asks `system.hello`. */
export function probeService(port: number, origin: string, timeoutMs = SERVICE_PROBE_TIMEOUT_MS): Promise<Probe> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (p: Probe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(p);
    };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin, handshakeTimeout: timeoutMs, maxPayload: 64 * 1024 });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system.hello', params: { client: 'ca-assistant-check' } })));
    ws.on('message', (data: Buffer) => {
      try {
        const reply = JSON.parse(data.toString('utf8')) as { id?: unknown; result?: { product?: unknown; version?: unknown; protocol?: unknown } };
        if (reply.id !== 1) return;
        if (reply.result?.product === 'ca-assistant') finish({ kind: 'hello', version: String(reply.result.version), protocol: Number(reply.result.protocol) });
        else finish({ kind: 'other', detail: 'unexpected reply' });
      } catch {
        finish({ kind: 'other', detail: 'not JSON' });
      }
    });
    ws.on('unexpected-response', (_req, res) => finish({ kind: 'other', detail: `HTTP ${res.statusCode}` }));
    ws.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'other', detail: error.code ?? error.message }));
  });
}

async function run(ctx: CheckContext): Promise<void> {
  const port = ctx.options.port ?? ctx.core.config.port;
  const origin = ctx.core.config.trustedOrigins[0] ?? 'http://localhost';
  const probe = await probeService(port, origin);
  const base = { id: 'service.port', titleZh: '互认助手服务', titleEn: 'Assistant service' };
  let out: Outcome;
  if (probe.kind === 'hello') {
    out = { ...base, status: 'ok', detailZh: `本机端口 ${port} 正常应答（版本 ${probe.version}，协议 ${probe.protocol}）`, detailEn: `Port ${port} answers system.hello (version ${probe.version})`, data: { port, version: probe.version } };
  } else if (probe.kind === 'refused') {
    out = {
      ...base, status: 'fail',
      detailZh: `本机端口 ${port} 没有程序在监听，互认助手服务未运行`, detailEn: `Nothing listens on port ${port}; the assistant service is not running`,
      remedyZh: '请双击桌面“互认助手”图标启动（启动后右下角托盘出现图标），再刷新商城页面。',
      remedyEn: 'Start the assistant from its desktop icon, then reload the mall page.',
      data: { port },
    };
  } else {
    const owner = await portOwner(port);
    const who = owner?.name || owner?.pid ? `“${owner.name ?? '未知程序'}”${owner.pid ? `（进程号 ${owner.pid}）` : ''}` : '其他程序（系统未告知是哪个程序）';
    out = {
      ...base, status: 'fail',
      detailZh: probe.kind === 'timeout' ? `本机端口 ${port} 无应答（${SERVICE_PROBE_TIMEOUT_MS / 1000} 秒超时），可能被${who}占用` : `本机端口 ${port} 被${who}占用，不是互认助手`,
      detailEn: `Port ${port} is held by ${owner?.name ?? 'another program'}${owner?.pid ? ` (pid ${owner.pid})` : ''} (${probe.kind === 'timeout' ? 'timeout' : probe.detail})`,
      remedyZh: '请关闭占用该端口的程序后重启互认助手；如无法关闭，请联系技术支持更换端口。',
      remedyEn: 'Close the program holding the port and restart the assistant, or ask support to change the port.',
      data: { port, owner, probe: probe.kind },
    };
  }
  ctx.emit(out);
}

/** The API port listens and answers `system.hello`; who holds it otherwise. */
export const serviceChecks: CheckGroup = { id: 'service', titleZh: '互认助手服务', category: 'assistant', run };
